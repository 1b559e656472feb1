//go:build cgo

package usearch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

// codesCase is one index configuration the compact-code tests run over.
type codesCase struct {
	metric usearch.Metric
	quant  usearch.Quantization
}

var codesCases = []codesCase{
	{usearch.Cosine, usearch.F32},
	{usearch.L2sq, usearch.F32},
	{usearch.InnerProduct, usearch.F32},
	{usearch.Cosine, usearch.F16},
	{usearch.L2sq, usearch.BF16},
	{usearch.InnerProduct, usearch.F64},
}

// codesData returns clustered rows and queries; for inner product both are normalised, as
// embeddings searched by inner product usually are.
func codesData(n, q, dims, clusters int, seed int64, metric usearch.Metric) ([]float32, []float32) {
	data := dataset.Clustered(n, dims, clusters, seed)
	queries := dataset.Queries(q, dims, clusters, seed)
	if metric == usearch.InnerProduct {
		unitRows(data, dims)
		unitRows(queries, dims)
	}
	return data, queries
}

func unitRows(v []float32, dims int) {
	for i := 0; i < len(v); i += dims {
		row, s := v[i:i+dims], 0.0
		for _, x := range row {
			s += float64(x) * float64(x)
		}
		inv := float32(1 / math.Sqrt(s))
		for j := range row {
			row[j] *= inv
		}
	}
}

func codesIndex(t testing.TB, c codesCase, dims int, data []float32) *usearch.Index {
	t.Helper()
	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: uint(dims), Metric: c.metric, Quantization: c.quant})
	if err != nil {
		t.Fatal(err)
	}
	n := len(data) / dims
	if err := dataset.AddParallel(2, n, func(i int) error {
		return idx.Add(usearch.Key(i), data[i*dims:(i+1)*dims])
	}); err != nil {
		t.Fatal(err)
	}
	return idx
}

// searchAll runs every query and returns keys and distances per query.
func searchAll(t testing.TB, idx *usearch.Index, queries []float32, dims, k int) ([][]usearch.Key, [][]float32) {
	t.Helper()
	q := len(queries) / dims
	keys, dists := make([][]usearch.Key, q), make([][]float32, q)
	for i := 0; i < q; i++ {
		ks, ds, err := idx.Search(queries[i*dims:(i+1)*dims], uint(k))
		if err != nil {
			t.Fatal(err)
		}
		keys[i], dists[i] = ks, ds
	}
	return keys, dists
}

// checkExact asserts that every returned distance is the index's own distance between the
// query and the stored vector (read back with Get, as the index holds it), in ascending
// order, and that no key repeats.
func checkExact(t testing.TB, idx *usearch.Index, c codesCase, queries []float32, dims int, keys [][]usearch.Key, dists [][]float32) {
	t.Helper()
	for i := range keys {
		q := queries[i*dims : (i+1)*dims]
		seen := map[usearch.Key]bool{}
		for j, key := range keys[i] {
			if seen[key] {
				t.Fatalf("query %d: key %d returned twice", i, key)
			}
			seen[key] = true
			if j > 0 && dists[i][j] < dists[i][j-1] {
				t.Fatalf("query %d: distances not ascending at %d: %v", i, j, dists[i])
			}
			stored, err := idx.Get(key, 1)
			if err != nil || len(stored) != dims {
				t.Fatalf("query %d: Get(%d) = %d values, %v", i, key, len(stored), err)
			}
			// The stored vector as F32 is exact for F16/BF16 storage; the query is rounded to
			// the storage kind by the index, so the reference rounds it too.
			want, err := refDistance(q, stored, c)
			if err != nil {
				t.Fatal(err)
			}
			if got := dists[i][j]; math.Abs(float64(got-want)) > 1e-5*math.Max(1, math.Abs(float64(want))) {
				t.Fatalf("query %d key %d: distance %g, the pair metric gives %g", i, key, got, want)
			}
		}
	}
}

// refDistance is the pair metric of an index of kind c between a query and a stored vector,
// both rounded to the storage kind as the index rounds them.
func refDistance(q, stored []float32, c codesCase) (float32, error) {
	switch c.quant {
	case usearch.F16:
		return usearch.DistanceOf(convertAll(q, usearch.Float16From), convertAll(stored, usearch.Float16From), c.metric)
	case usearch.BF16:
		return usearch.DistanceOf(convertAll(q, usearch.BFloat16From), convertAll(stored, usearch.BFloat16From), c.metric)
	case usearch.F64:
		widen := func(f float32) float64 { return float64(f) }
		return usearch.DistanceOf(convertAll(q, widen), convertAll(stored, widen), c.metric)
	}
	return usearch.Distance(q, stored, uint(len(q)), c.metric)
}

func convertAll[T any](v []float32, from func(float32) T) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = from(x)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCompactCodesRecall compares searches with and without codes on the same index at the
// same expansions: codes plus re-ranking must find nearly as many true neighbors, with
// exact distances, for every metric and storage kind they serve, over several seeds.
func TestCompactCodesRecall(t *testing.T) {
	n, nq, dims := 4000, 100, 64
	seeds := []int64{1, 2, 3}
	if testing.Short() {
		n, nq, seeds = 1500, 50, seeds[:2]
	}
	const k, clusters = 10, 30
	for _, c := range codesCases {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%v/%v/seed=%d", c.metric, c.quant, seed), func(t *testing.T) {
				data, queries := codesData(n, nq, dims, clusters, seed, c.metric)
				truth, err := dataset.GroundTruth(data, queries, dims, k, c.metric)
				if err != nil {
					t.Fatal(err)
				}
				idx := codesIndex(t, c, dims, data)
				defer idx.Close()
				for _, ef := range []uint{16, 64} {
					if err := idx.ChangeExpansionSearch(ef); err != nil {
						t.Fatal(err)
					}
					if err := idx.UseCompactCodes(0); err != nil {
						t.Fatal(err)
					}
					plainKeys, plainDists := searchAll(t, idx, queries, dims, k)
					if err := idx.UseCompactCodes(8); err != nil {
						t.Fatal(err)
					}
					if bits, serving, err := idx.CompactCodes(); bits != 8 || !serving || err != nil {
						t.Fatalf("CompactCodes() = %d, %v, %v; want 8, true, nil", bits, serving, err)
					}
					codeKeys, codeDists := searchAll(t, idx, queries, dims, k)
					plain, coded := dataset.Recall(plainKeys, truth, k), dataset.Recall(codeKeys, truth, k)
					t.Logf("ef=%d recall@%d without codes %.4f, with codes %.4f", ef, k, plain, coded)
					if coded < plain-0.02 {
						t.Errorf("ef=%d: recall with codes %.4f, without %.4f: lost more than 0.02", ef, coded, plain)
					}
					checkExact(t, idx, c, queries, dims, codeKeys, codeDists)
					// A key both searches return has bit-identical distances: both come from the
					// index's metric over the same vectors.
					for i := range codeKeys {
						plainAt := map[usearch.Key]float32{}
						for j, key := range plainKeys[i] {
							plainAt[key] = plainDists[i][j]
						}
						for j, key := range codeKeys[i] {
							if d, ok := plainAt[key]; ok && d != codeDists[i][j] {
								t.Fatalf("query %d key %d: %g with codes, %g without", i, key, codeDists[i][j], d)
							}
						}
					}
				}
			})
		}
	}
}

// TestCompactCodesSmallIndex: below 256 vectors codes are set but not serving, and searches
// take the ordinary path; they start serving once enough vectors were added.
func TestCompactCodesSmallIndex(t *testing.T) {
	const dims = 37 // odd: rows, norms and kernel tails off the vector widths
	data, queries := codesData(600, 20, dims, 8, 5, usearch.L2sq)
	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: dims, Metric: usearch.L2sq})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if err := idx.UseCompactCodes(8); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 600; i++ {
		if err := idx.Add(usearch.Key(i), data[i*dims:(i+1)*dims]); err != nil {
			t.Fatal(err)
		}
		if i == 100 {
			if bits, serving, _ := idx.CompactCodes(); bits != 8 || serving {
				t.Fatalf("at 101 vectors CompactCodes() = %d, %v; want 8, false", bits, serving)
			}
			keys, dists := searchAll(t, idx, queries, dims, 5)
			checkExact(t, idx, codesCase{usearch.L2sq, usearch.F32}, queries, dims, keys, dists)
		}
	}
	if _, serving, _ := idx.CompactCodes(); !serving {
		t.Fatal("codes not serving at 600 vectors")
	}
	// The cost is reported for walks on codes too: code distances plus the re-ranked beam.
	_, _, stats, err := idx.SearchWith(queries[:dims], 5, usearch.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Exact || stats.Visited < 64 || stats.Distances < stats.Visited {
		t.Errorf("stats of a search on codes: %+v; want a walk visiting >= 64 nodes, as many distances", stats)
	}
	keys, dists := searchAll(t, idx, queries, dims, 5)
	checkExact(t, idx, codesCase{usearch.L2sq, usearch.F32}, queries, dims, keys, dists)
}

// TestCompactCodesPersist: the file is the same with and without codes, and a loaded or
// viewed index (file or buffer) rebuilds its codes and searches with them.
func TestCompactCodesPersist(t *testing.T) {
	const dims, n, k = 32, 2000, 10
	c := codesCase{usearch.Cosine, usearch.F32}
	data, queries := codesData(n, 50, dims, 20, 11, c.metric)
	idx := codesIndex(t, c, dims, data)
	defer idx.Close()
	dir := t.TempDir()
	plainPath, codedPath := filepath.Join(dir, "plain.usearch"), filepath.Join(dir, "coded.usearch")
	if err := idx.Save(plainPath); err != nil {
		t.Fatal(err)
	}
	if err := idx.UseCompactCodes(8); err != nil {
		t.Fatal(err)
	}
	if err := idx.Save(codedPath); err != nil {
		t.Fatal(err)
	}
	if a, b := readFile(t, plainPath), readFile(t, codedPath); !bytes.Equal(a, b) {
		t.Fatalf("Save with codes wrote %d bytes differing from the %d without", len(b), len(a))
	}
	wantKeys, wantDists := searchAll(t, idx, queries, dims, k)
	buf := readFile(t, codedPath)
	for _, how := range []string{"Load", "View", "LoadBuffer", "ViewBuffer"} {
		t.Run(how, func(t *testing.T) {
			other, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: dims, Metric: c.metric})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if err := other.UseCompactCodes(8); err != nil {
				t.Fatal(err)
			}
			switch how {
			case "Load":
				err = other.Load(codedPath)
			case "View":
				err = other.View(codedPath)
			case "LoadBuffer":
				err = other.LoadBuffer(buf, uint(len(buf)))
			case "ViewBuffer":
				err = other.ViewBuffer(buf, uint(len(buf)))
			}
			if err != nil {
				t.Fatal(err)
			}
			if bits, serving, _ := other.CompactCodes(); bits != 8 || !serving {
				t.Fatalf("after %s CompactCodes() = %d, %v; want 8, true", how, bits, serving)
			}
			keys, dists := searchAll(t, other, queries, dims, k)
			// Same graph, same vectors, same data for the fit: the same answers.
			for i := range keys {
				if fmt.Sprint(keys[i]) != fmt.Sprint(wantKeys[i]) || fmt.Sprint(dists[i]) != fmt.Sprint(wantDists[i]) {
					t.Fatalf("query %d after %s: %v %v, before %v %v", i, how, keys[i], dists[i], wantKeys[i], wantDists[i])
				}
			}
		})
	}
}

// TestCompactCodesConcurrent adds and searches at once (run it with -race): every result
// is a key already added, with its exact distance.
func TestCompactCodesConcurrent(t *testing.T) {
	const dims, k = 24, 5
	n := 3000
	if testing.Short() {
		n = 1200
	}
	c := codesCase{usearch.L2sq, usearch.F32}
	data, queries := codesData(n, 40, dims, 16, 21, c.metric)
	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: dims, Metric: c.metric})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if err := idx.UseCompactCodes(8); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 2 {
				if err := idx.Add(usearch.Key(i), data[i*dims:(i+1)*dims]); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	done := make(chan struct{})
	var searchers sync.WaitGroup
	for w := 0; w < 2; w++ {
		searchers.Add(1)
		go func(w int) {
			defer searchers.Done()
			for i := w; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				qi := i % 40
				q := queries[qi*dims : (qi+1)*dims]
				keys, dists, err := idx.Search(q, k)
				if err != nil {
					errs <- err
					return
				}
				for j, key := range keys {
					if int(key) >= n {
						errs <- fmt.Errorf("unknown key %d", key)
						return
					}
					row := data[int(key)*dims : (int(key)+1)*dims]
					want, _ := usearch.Distance(q, row, dims, c.metric)
					if math.Abs(float64(dists[j]-want)) > 1e-4*math.Max(1, float64(want)) {
						errs <- fmt.Errorf("key %d: distance %g, want %g", key, dists[j], want)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(done)
	searchers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, serving, _ := idx.CompactCodes(); !serving {
		t.Fatal("codes not serving after the adds")
	}
	keys, dists := searchAll(t, idx, queries, dims, k)
	checkExact(t, idx, c, queries, dims, keys, dists)
}

// TestCompactCodesRemoveCompact: removed keys never come back, slots reused by new adds get
// their new codes, and Clear and Compact keep the codes serving.
func TestCompactCodesRemoveCompact(t *testing.T) {
	const dims, n, k = 32, 3000, 10
	c := codesCase{usearch.Cosine, usearch.F32}
	data, queries := codesData(2*n, 50, dims, 20, 31, c.metric)
	idx := codesIndex(t, c, dims, data[:n*dims])
	defer idx.Close()
	if err := idx.UseCompactCodes(8); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 2 {
		if err := idx.Remove(usearch.Key(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Reuse the freed slots for rows n..n+n/2 under new keys.
	for i := n; i < n+n/2; i++ {
		if err := idx.Add(usearch.Key(i), data[i*dims:(i+1)*dims]); err != nil {
			t.Fatal(err)
		}
	}
	live := func(key usearch.Key) bool { return (key < n && key%2 == 1) || (key >= n && key < n+n/2) }
	// Ground truth over the live rows, keys mapped back.
	var liveRows []float32
	var liveKeys []usearch.Key
	for key := usearch.Key(0); key < n+n/2; key++ {
		if live(key) {
			liveRows = append(liveRows, data[int(key)*dims:(int(key)+1)*dims]...)
			liveKeys = append(liveKeys, key)
		}
	}
	rows, err := dataset.GroundTruth(liveRows, queries, dims, k, c.metric)
	if err != nil {
		t.Fatal(err)
	}
	truth := make([][]usearch.Key, len(rows))
	for i, r := range rows {
		for _, row := range r {
			truth[i] = append(truth[i], liveKeys[row])
		}
	}
	check := func(stage string) {
		t.Helper()
		if _, serving, _ := idx.CompactCodes(); !serving {
			t.Fatalf("%s: codes not serving", stage)
		}
		keys, dists := searchAll(t, idx, queries, dims, k)
		for i := range keys {
			for _, key := range keys[i] {
				if !live(key) {
					t.Fatalf("%s: query %d returned removed key %d", stage, i, key)
				}
			}
		}
		checkExact(t, idx, c, queries, dims, keys, dists)
		if r := dataset.Recall(keys, truth, k); r < 0.9 {
			t.Errorf("%s: recall@%d %.3f, want >= 0.9", stage, k, r)
		}
	}
	check("after removes and re-adds")
	if err := idx.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("after Compact")
	clone, err := idx.Clone()
	if err != nil {
		t.Fatal(err)
	}
	defer clone.Close()
	if bits, serving, _ := clone.CompactCodes(); bits != 8 || !serving {
		t.Fatalf("clone: CompactCodes() = %d, %v", bits, serving)
	}
	// Clear keeps the memory (records are handed out again from the start): after re-adding
	// other rows under other keys, searches return only those, with exact distances.
	for stage, drop := range map[string]func() error{"Clear": idx.Clear, "Reset": idx.Reset} {
		if err := drop(); err != nil {
			t.Fatal(err)
		}
		if bits, serving, _ := idx.CompactCodes(); bits != 8 || serving {
			t.Fatalf("after %s CompactCodes() = %d, %v; want 8 (kept), false (nothing to fit)", stage, bits, serving)
		}
		const base = 100000
		for i := n; i < 2*n; i++ {
			if err := idx.Add(usearch.Key(base+i), data[i*dims:(i+1)*dims]); err != nil {
				t.Fatal(err)
			}
		}
		if _, serving, _ := idx.CompactCodes(); !serving {
			t.Fatalf("after %s and re-adding: codes not serving", stage)
		}
		keys, dists := searchAll(t, idx, queries, dims, k)
		for i := range keys {
			q := queries[i*dims : (i+1)*dims]
			for j, key := range keys[i] {
				if key < base+n || key >= base+2*n {
					t.Fatalf("after %s: query %d returned key %d, not re-added", stage, i, key)
				}
				row := int(key - base)
				want, _ := refDistance(q, data[row*dims:(row+1)*dims], c)
				if math.Abs(float64(dists[i][j]-want)) > 1e-5 {
					t.Fatalf("after %s: key %d distance %g, want %g", stage, key, dists[i][j], want)
				}
			}
		}
	}
}

// TestCompactCodesBadOptions: widths other than 8 and 0, and indexes codes cannot serve,
// are refused with the matching sentinel errors; nothing changes.
func TestCompactCodesBadOptions(t *testing.T) {
	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 8, Metric: usearch.Cosine})
	if err != nil {
		t.Fatal(err)
	}
	for _, bits := range []uint{1, 4, 7, 16} {
		if err := idx.UseCompactCodes(bits); !errors.Is(err, usearch.ErrInvalidConfig) {
			t.Errorf("UseCompactCodes(%d) = %v; want ErrInvalidConfig", bits, err)
		}
	}
	if bits, _, _ := idx.CompactCodes(); bits != 0 {
		t.Errorf("a refused width left bits %d", bits)
	}
	idx.Close()
	if err := idx.UseCompactCodes(8); !errors.Is(err, usearch.ErrClosed) {
		t.Errorf("on a closed index: %v; want ErrClosed", err)
	}
	for _, conf := range []usearch.IndexConfig{
		{Dimensions: 8, Metric: usearch.Hamming, Quantization: usearch.B1},
		{Dimensions: 8, Metric: usearch.Cosine, Quantization: usearch.I8},
		{Dimensions: 8, Metric: usearch.L2sq, Quantization: usearch.U8},
		{Dimensions: 8, Metric: usearch.Pearson, Quantization: usearch.F32},
		{Dimensions: 8, Metric: usearch.L2sq, Quantization: usearch.E4M3},
	} {
		x, err := usearch.NewIndex(conf)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.UseCompactCodes(8); !errors.Is(err, usearch.ErrUnsupported) {
			t.Errorf("%v over %v: %v; want ErrUnsupported", conf.Metric, conf.Quantization, err)
		}
		x.Close()
	}
	// A Go metric has no codes.
	x, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 8, Metric: usearch.L2sq})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.ChangeMetric(func(a, b []float32) float32 { return 0 }); err != nil {
		t.Fatal(err)
	}
	if err := x.UseCompactCodes(8); !errors.Is(err, usearch.ErrUnsupported) {
		t.Errorf("with a Go metric: %v; want ErrUnsupported", err)
	}
	// Installing a Go metric after the codes: searches use the Go metric, codes stop serving.
	y, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 8, Metric: usearch.L2sq})
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	data, queries := codesData(400, 5, 8, 4, 3, usearch.L2sq)
	for i := 0; i < 400; i++ {
		if err := y.Add(usearch.Key(i), data[i*8:(i+1)*8]); err != nil {
			t.Fatal(err)
		}
	}
	if err := y.UseCompactCodes(8); err != nil {
		t.Fatal(err)
	}
	manhattan := func(a, b []float32) float32 {
		s := float32(0)
		for i := range a {
			s += abs(a[i] - b[i])
		}
		return s
	}
	if err := y.ChangeMetric(manhattan); err != nil {
		t.Fatal(err)
	}
	if _, serving, _ := y.CompactCodes(); serving {
		t.Error("codes serving under a Go metric")
	}
	keys, dists, err := y.Search(queries[:8], 3)
	if err != nil || len(keys) != 3 {
		t.Fatalf("search under a Go metric: %v, %v", keys, err)
	}
	if want := manhattan(queries[:8], data[int(keys[0])*8:int(keys[0]+1)*8]); dists[0] != want {
		t.Errorf("distance %g under the Go metric, want %g", dists[0], want)
	}
}

// TestCompactCodesDrift fits codes on data of one scale, then adds data ten times wider:
// clamped codes may lower recall but never the exactness of distances, and calling
// UseCompactCodes again re-fits to the data present.
func TestCompactCodesDrift(t *testing.T) {
	const dims, k, narrow, wide = 32, 10, 600, 2400
	c := codesCase{usearch.L2sq, usearch.F32}
	data, queries := codesData(narrow+wide, 60, dims, 20, 41, c.metric)
	for i := 0; i < narrow*dims; i++ {
		data[i] *= 0.1
	}
	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: dims, Metric: c.metric})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	add := func(from, to int) {
		for i := from; i < to; i++ {
			if err := idx.Add(usearch.Key(i), data[i*dims:(i+1)*dims]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := idx.ChangeExpansionSearch(16); err != nil {
		t.Fatal(err)
	}
	add(0, narrow)
	if err := idx.UseCompactCodes(8); err != nil {
		t.Fatal(err)
	}
	add(narrow, narrow+wide)
	truth, err := dataset.GroundTruth(data, queries, dims, k, c.metric)
	if err != nil {
		t.Fatal(err)
	}
	keys, dists := searchAll(t, idx, queries, dims, k)
	checkExact(t, idx, c, queries, dims, keys, dists)
	drifted := dataset.Recall(keys, truth, k)
	if err := idx.UseCompactCodes(8); err != nil {
		t.Fatal(err)
	}
	keys, dists = searchAll(t, idx, queries, dims, k)
	checkExact(t, idx, c, queries, dims, keys, dists)
	refit := dataset.Recall(keys, truth, k)
	if err := idx.UseCompactCodes(0); err != nil {
		t.Fatal(err)
	}
	plainKeys, _ := searchAll(t, idx, queries, dims, k)
	plain := dataset.Recall(plainKeys, truth, k)
	t.Logf("recall@%d: codes fitted before the drift %.4f, re-fitted %.4f, without codes %.4f", k, drifted, refit, plain)
	if refit < plain-0.02 {
		t.Errorf("re-fitted codes: recall %.4f, without codes %.4f", refit, plain)
	}
}

// TestCompactCodesMetricAndMemory: codes follow ChangeMetricKind (re-fitted for the new
// metric), cost about one byte per dimension and vector in MemoryUsage, and may be switched
// while other goroutines search.
func TestCompactCodesMetricAndMemory(t *testing.T) {
	const dims, n, k = 48, 2000, 10
	c := codesCase{usearch.Cosine, usearch.F32}
	data, queries := codesData(n, 30, dims, 20, 51, c.metric)
	idx := codesIndex(t, c, dims, data)
	defer idx.Close()
	before, err := idx.MemoryUsage()
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.UseCompactCodes(8); err != nil {
		t.Fatal(err)
	}
	after, err := idx.MemoryUsage()
	if err != nil {
		t.Fatal(err)
	}
	if extra := float64(after) - float64(before); extra < n*dims || extra > 1.2*n*dims {
		t.Errorf("codes added %.0f bytes to MemoryUsage; want about %d (one byte per dimension)", extra, n*dims)
	}
	if err := idx.ChangeMetricKind(usearch.L2sq); err != nil {
		t.Fatal(err)
	}
	if bits, serving, _ := idx.CompactCodes(); bits != 8 || !serving {
		t.Fatalf("after ChangeMetricKind CompactCodes() = %d, %v; want 8, true", bits, serving)
	}
	l2 := codesCase{usearch.L2sq, usearch.F32}
	keys, dists := searchAll(t, idx, queries, dims, k)
	checkExact(t, idx, l2, queries, dims, keys, dists)
	// Toggle codes while searches run: each search sees codes on or off, never half.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 2)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				q := queries[(i%30)*dims : (i%30+1)*dims]
				ks, ds, err := idx.Search(q, k)
				if err != nil || len(ks) != k {
					errs <- fmt.Errorf("search: %d results, %v", len(ks), err)
					return
				}
				want, _ := refDistance(q, data[int(ks[0])*dims:(int(ks[0])+1)*dims], l2)
				if math.Abs(float64(ds[0]-want)) > 1e-4*math.Max(1, float64(want)) {
					errs <- fmt.Errorf("key %d: distance %g, want %g", ks[0], ds[0], want)
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		if err := idx.UseCompactCodes(uint(8 * (i % 2))); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestCompactCodesHugeF64 checks f64 values beyond the float range, which f64 storage
// accepts: a fit over them must not overflow its step, and a query the codes cannot scale
// (found under UBSan as a NaN cast to int8) walks the real vectors and answers like the plain
// index.
func TestCompactCodesHugeF64(t *testing.T) {
	const dims, n = 8, 2000
	conf := usearch.IndexConfig{Dimensions: dims, Metric: usearch.L2sq, Quantization: usearch.F64}
	plain, err := usearch.NewIndexOf[float64](conf)
	must(t, err)
	defer plain.Close()
	coded, err := usearch.NewIndexOf[float64](conf)
	must(t, err)
	defer coded.Close()
	must(t, coded.UseCompactCodes(8))
	data := dataset.Clustered(n, dims, 20, 5)
	for i := 0; i < n; i++ {
		row := make([]float64, dims)
		for j := range row {
			row[j] = float64(data[i*dims+j])
		}
		if i%100 == 7 { // a few rows far beyond the float range: 3e38 apart on each side
			row[i%dims] = float64(3e38) * float64(1-2*(i/100%2))
		}
		must(t, plain.Add(usearch.Key(i), row))
		must(t, coded.Add(usearch.Key(i), row))
	}
	if _, serving, err := coded.CompactCodes(); err != nil || !serving {
		t.Fatalf("codes serving = %v, %v; want serving after %d adds", serving, err, n)
	}
	for _, scale := range []float64{1, 1e300} {
		q := make([]float64, dims)
		for j := range q {
			q[j] = float64(data[j]) * scale
		}
		want, wantDists, err := plain.Search(q, 10)
		must(t, err)
		got, gotDists, err := coded.Search(q, 10)
		must(t, err)
		if len(got) != len(want) {
			t.Fatalf("scale %g: %d results with codes, %d without", scale, len(got), len(want))
		}
		for i := range got {
			if gotDists[i] != wantDists[i] && !(math.IsInf(float64(gotDists[i]), 1) && math.IsInf(float64(wantDists[i]), 1)) {
				t.Fatalf("scale %g: distances with codes %v, without %v", scale, gotDists, wantDists)
			}
		}
	}
}
