package usearch_test

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

// The exact-search benchmark: every Fashion-MNIST test image (10k) against the 60k training
// images, k=10, L2sq over f32 pixels scaled to [0, 1], as FAISS IndexFlatL2 is run by
// bench/faiss_flat.py (bench/exact_compare.sh runs both, alternated). The stable command:
//
//	go test -run '^$' -bench 'ExactSearchFashion' -benchtime 1x -count 3 .
//
// It reports qps (queries per second of wall time), q/cpu-s (per second of process CPU time,
// steadier on a shared machine) and cpu/wall. USEARCH_EXACT_QUERIES=N searches only the
// first N test images (for quick runs); USEARCH_EXACT_THREADS=N uses N threads (default 1).

var fashionExact struct {
	once           sync.Once
	base, queries  []float32
	rows, nq, dims int
	err            error
}

func loadFashionExact(b *testing.B) {
	b.Helper()
	train := dataset.FashionMNISTPath()
	if train == "" {
		b.Skip("Fashion-MNIST is not installed (Debian dataset-fashion-mnist, or $USEARCH_FASHION_MNIST)")
	}
	test := filepath.Join(filepath.Dir(train), "t10k-images-idx3-ubyte.gz")
	if _, err := os.Stat(test); err != nil {
		test = filepath.Join(filepath.Dir(train), "t10k-images-idx3-ubyte")
	}
	f := &fashionExact
	f.once.Do(func() {
		var dims2 int
		if f.base, f.rows, f.dims, f.err = dataset.ReadIDXImages(train); f.err != nil {
			return
		}
		f.queries, f.nq, dims2, f.err = dataset.ReadIDXImages(test)
		if f.err == nil && dims2 != f.dims {
			f.err = os.ErrInvalid
		}
	})
	if f.err != nil {
		b.Fatalf("loading Fashion-MNIST: %v", f.err)
	}
}

func envCount(name string, fallback, limit int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return min(v, limit)
	}
	return min(fallback, limit)
}

func BenchmarkExactSearchFashion(b *testing.B) {
	loadFashionExact(b)
	f := &fashionExact
	nq := envCount("USEARCH_EXACT_QUERIES", f.nq, f.nq)
	benchExact(b, nq, func(threads uint) ([]usearch.Key, error) {
		keys, _, err := usearch.ExactSearch(f.base, f.queries[:nq*f.dims], uint(f.rows), uint(nq), 0, 0, uint(f.dims),
			usearch.L2sq, exactK, threads, 0, 0)
		return keys, err
	})
}

// BenchmarkExactSearchFashionU8 is BenchmarkExactSearchFashion over the exact pixel bytes.
func BenchmarkExactSearchFashionU8(b *testing.B) {
	loadFashionExact(b)
	f := &fashionExact
	nq := envCount("USEARCH_EXACT_QUERIES", f.nq, f.nq)
	toU8 := func(xs []float32) []uint8 {
		out := make([]uint8, len(xs))
		for i, x := range xs {
			out[i] = uint8(math.Round(float64(x) * 255))
		}
		return out
	}
	base, queries := toU8(f.base), toU8(f.queries[:nq*f.dims])
	benchExact(b, nq, func(threads uint) ([]usearch.Key, error) {
		keys, _, err := usearch.ExactSearchUnsafe(unsafe.Pointer(&base[0]), unsafe.Pointer(&queries[0]), uint(f.rows),
			uint(nq), 0, 0, uint(f.dims), usearch.L2sq, usearch.U8, exactK, threads, 0, 0)
		return keys, err
	})
}

const exactK = 10

func benchExact(b *testing.B, nq int, search func(threads uint) ([]usearch.Key, error)) {
	threads := envCount("USEARCH_EXACT_THREADS", 1, 1<<10)
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for range b.N {
		keys, err := search(uint(threads))
		if err != nil {
			b.Fatal(err)
		}
		if len(keys) != nq*exactK {
			b.Fatalf("got %d keys, want %d", len(keys), nq*exactK)
		}
	}
	wall, used := time.Since(start).Seconds(), (cpuTime() - cpu).Seconds()
	b.ReportMetric(float64(nq*b.N)/wall, "qps")
	if used > 0 {
		// Queries per CPU second: on a shared machine this depends much less on the others.
		b.ReportMetric(float64(nq*b.N)/used, "q/cpu-s")
		b.ReportMetric(used/wall, "cpu/wall")
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
