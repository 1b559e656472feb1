//go:build cgo

package tests

import (
	"fmt"
	"math"
	"sort"
	"testing"
	"unsafe"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

// TestRecallAtDefaults checks recall@10 against brute force over the original float32
// vectors on seeded clustered data, with default connectivity and expansions.
func TestRecallAtDefaults(t *testing.T) {
	n, queries := 6000, 200
	if testing.Short() { // emulated runs (qemu): same behaviour, smaller data
		n, queries = 2000, 60
	}
	const dims, clusters, k = 48, 40, 10
	data := dataset.Clustered(n, dims, clusters, 7)
	qs := dataset.Queries(queries, dims, clusters, 7)
	unit := func(v []float32) []float32 { // for inner product: the usual normalised embeddings
		out := append([]float32(nil), v...)
		for i := 0; i < len(out); i += dims {
			row, s := out[i:i+dims], 0.0
			for _, x := range row {
				s += float64(x) * float64(x)
			}
			for j := range row {
				row[j] = float32(float64(row[j]) / math.Sqrt(s))
			}
		}
		return out
	}
	cases := []struct {
		metric usearch.Metric
		quant  usearch.Quantization
		floor  float64
	}{
		{usearch.Cosine, usearch.F32, 0.95},
		{usearch.L2sq, usearch.F32, 0.95},
		{usearch.InnerProduct, usearch.F32, 0.95},
		{usearch.Cosine, usearch.F16, 0.90},
		{usearch.Cosine, usearch.BF16, 0.90},
		{usearch.Cosine, usearch.I8, 0.90},
		{usearch.L2sq, usearch.F16, 0.90},
		{usearch.Cosine, usearch.F64, 0.95},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/%v", c.metric, c.quant), func(t *testing.T) {
			d, q := data, qs
			if c.metric == usearch.InnerProduct {
				d, q = unit(data), unit(qs)
			}
			truth, err := dataset.GroundTruth(d, q, dims, k, c.metric)
			if err != nil {
				t.Fatal(err)
			}
			idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: dims, Metric: c.metric, Quantization: c.quant})
			if err != nil {
				t.Fatal(err)
			}
			defer idx.Close()
			for i := 0; i < n; i++ {
				if err := idx.Add(usearch.Key(i), d[i*dims:(i+1)*dims]); err != nil {
					t.Fatal(err)
				}
			}
			got := make([][]usearch.Key, queries)
			for i := range got {
				if got[i], _, err = idx.Search(q[i*dims:(i+1)*dims], k); err != nil {
					t.Fatal(err)
				}
			}
			recall := dataset.Recall(got, truth, k)
			t.Logf("recall@%d = %.4f", k, recall)
			if recall < c.floor {
				t.Fatalf("recall@%d = %.4f, want at least %.2f", k, recall, c.floor)
			}
		})
	}
}

// TestExactSearchFashionMatchesBruteForce checks the blocked scan on real data, where near
// ties are common: a slice of Fashion-MNIST as f32 (pixels in [0, 1]) and as u8 (exact pixel
// values, whose l2sq is an exact integer the result must reproduce, ties to the lower row),
// against a float64 brute force, on 1 and 2 threads.
func TestExactSearchFashionMatchesBruteForce(t *testing.T) {
	if testing.Short() {
		t.Skip("reads Fashion-MNIST; not in -short")
	}
	path := dataset.FashionMNISTPath()
	if path == "" {
		t.Skip("Fashion-MNIST is not installed")
	}
	pixels, count, dims, err := dataset.ReadIDXImages(path)
	if err != nil {
		t.Fatal(err)
	}
	const n, nq, k = 2000, 24, 10
	if count < n+nq {
		t.Fatalf("only %d images", count)
	}
	base, queries := pixels[:n*dims], pixels[n*dims:(n+nq)*dims]
	baseU8, queriesU8 := make([]uint8, len(base)), make([]uint8, len(queries))
	for i, x := range base {
		baseU8[i] = uint8(math.Round(float64(x) * 255))
	}
	for i, x := range queries {
		queriesU8[i] = uint8(math.Round(float64(x) * 255))
	}
	type hit struct {
		row  int
		dist float64
	}
	bruteForce := func(q int, at func(row, i int) float64, query func(i int) float64) []hit {
		hits := make([]hit, n)
		for r := range hits {
			s := 0.0
			for i := 0; i < dims; i++ {
				d := at(r, i) - query(i)
				s += d * d
			}
			hits[r] = hit{r, s}
		}
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].dist < hits[j].dist })
		return hits
	}
	refs, refsU8 := make([][]hit, nq), make([][]hit, nq)
	for q := 0; q < nq; q++ {
		refs[q] = bruteForce(q, func(r, i int) float64 { return float64(base[r*dims+i]) },
			func(i int) float64 { return float64(queries[q*dims+i]) })
		refsU8[q] = bruteForce(q, func(r, i int) float64 { return float64(baseU8[r*dims+i]) },
			func(i int) float64 { return float64(queriesU8[q*dims+i]) })
	}
	for _, threads := range []uint{1, 2} {
		keys, dists, err := usearch.ExactSearch(base, queries, n, nq, 0, 0, uint(dims), usearch.L2sq, k, threads, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		keysU8, distsU8, err := usearch.ExactSearchUnsafe(unsafe.Pointer(&baseU8[0]), unsafe.Pointer(&queriesU8[0]),
			n, nq, 0, 0, uint(dims), usearch.L2sq, usearch.U8, k, threads, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for q := 0; q < nq; q++ {
			ref := refs[q]
			dist := make(map[int]float64, n)
			for _, h := range ref {
				dist[h.row] = h.dist
			}
			for i := 0; i < k; i++ {
				// Near ties may swap: each result must be as near as the reference's at its rank.
				row, tol := int(keys[q*k+i]), 1e-5*math.Max(1, ref[i].dist)
				if math.Abs(dist[row]-ref[i].dist) > tol || math.Abs(float64(dists[q*k+i])-ref[i].dist) > tol {
					t.Fatalf("f32 threads %d query %d rank %d: row %d at %v (reported %v), reference row %d at %v",
						threads, q, i, row, dist[row], dists[q*k+i], ref[i].row, ref[i].dist)
				}
			}
			for i, h := range refsU8[q][:k] {
				if usearch.Key(h.row) != keysU8[q*k+i] || float32(h.dist) != distsU8[q*k+i] {
					t.Fatalf("u8 threads %d query %d rank %d: row %d at %v, reference row %d at %v",
						threads, q, i, keysU8[q*k+i], distsU8[q*k+i], h.row, h.dist)
				}
			}
		}
	}
}
