//go:build cgo

package usearch_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/usearch-go/usearch"
)

// Build an index of float32 vectors, add three of them and find the nearest to a query.
func ExampleNewIndex() {
	index, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 3, Metric: usearch.L2sq})
	if err != nil {
		panic(err)
	}
	defer index.Close()

	vectors := map[usearch.Key][]float32{
		1: {0, 0, 0},
		2: {1, 1, 1},
		3: {5, 5, 5},
	}
	for key, vec := range vectors {
		if err := index.Add(key, vec); err != nil {
			panic(err)
		}
	}

	keys, distances, err := index.Search([]float32{0.9, 1, 1.2}, 2)
	if err != nil {
		panic(err)
	}
	fmt.Printf("nearest: %d at %.2f, then %d at %.2f\n", keys[0], distances[0], keys[1], distances[1])
	// Output: nearest: 2 at 0.05, then 1 at 3.25
}

// IndexOf takes and returns vectors of any Scalar type; here int8 vectors are stored as
// given in an i8 index.
func ExampleNewIndexOf() {
	index, err := usearch.NewIndexOf[int8](usearch.IndexConfig{
		Dimensions:   4,
		Metric:       usearch.Cosine,
		Quantization: usearch.I8,
	})
	if err != nil {
		panic(err)
	}
	defer index.Close()

	_ = index.Add(10, []int8{100, 0, 0, 0})
	_ = index.Add(20, []int8{0, 100, 0, 0})
	_ = index.Add(30, []int8{70, 70, 0, 0})

	keys, distances, _ := index.Search([]int8{1, 2, 0, 0}, 3)
	for i := range keys {
		fmt.Printf("%d %.3f\n", keys[i], distances[i])
	}
	stored, _ := index.Get(30, 1)
	fmt.Println(stored)
	// Output:
	// 30 0.051
	// 20 0.106
	// 10 0.553
	// [70 70 0 0]
}

// Half-precision storage: float32 input is rounded to the nearest binary16 value.
func ExampleNewIndexOf_float16() {
	index, err := usearch.NewIndexOf[usearch.Float16](usearch.IndexConfig{
		Dimensions:   2,
		Metric:       usearch.L2sq,
		Quantization: usearch.F16,
	})
	if err != nil {
		panic(err)
	}
	defer index.Close()

	vec := []usearch.Float16{usearch.Float16From(0.1), usearch.Float16From(-2.5)}
	_ = index.Add(1, vec)
	got, _ := index.Get(1, 1)
	fmt.Printf("%#04x %v\n", uint16(got[0]), got[0].Float32())
	fmt.Printf("%#04x %v\n", uint16(got[1]), got[1].Float32())
	// Output:
	// 0x2e66 0.099975586
	// 0xc100 -2.5
}

// Distance computes one distance without an index.
func ExampleDistance() {
	a := []float32{1, 0, 0}
	b := []float32{0, 1, 0}
	for _, metric := range []usearch.Metric{usearch.L2sq, usearch.Cosine, usearch.InnerProduct} {
		d, err := usearch.Distance(a, b, 3, metric)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%v: %v\n", metric, d)
	}
	// Output:
	// l2sq: 2
	// cos: 1
	// ip: 1
}

// DistanceOf works on every Scalar type; binary vectors are packed 8 dimensions a byte.
func ExampleDistanceOf() {
	a := usearch.PackBits([]bool{true, true, false, true, true, false, true, true})
	b := usearch.PackBits([]bool{true, true, true, false, true, true, false, true})
	hamming, _ := usearch.DistanceOf(a, b, usearch.Hamming)
	tanimoto, _ := usearch.DistanceOf(a, b, usearch.Tanimoto)
	fmt.Println(hamming, tanimoto)

	geo, _ := usearch.DistanceOf([]float64{60, 0}, []float64{60, 90}, usearch.Haversine)
	fmt.Printf("%.5f rad\n", geo)
	// Output:
	// 4 0.5
	// 0.72273 rad
}

// ExactSearch is brute force over a flat dataset; keys are row numbers.
func ExampleExactSearch() {
	dataset := []float32{
		0, 0, // row 0
		3, 4, // row 1
		1, 1, // row 2
	}
	keys, distances, err := usearch.ExactSearch(dataset, []float32{1, 2}, 3, 1, 0, 0, 2, usearch.L2sq, 2, 0, 0, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(keys, distances)
	// Output: [2 0] [1 5]
}

// Add many vectors at once: one flat row-major slice, one key per row, in parallel. A bad
// batch is rejected before anything is added.
func ExampleIndex_AddBatch() {
	index, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 2, Metric: usearch.L2sq})
	if err != nil {
		panic(err)
	}
	defer index.Close()

	keys := []usearch.Key{10, 20, 30, 40}
	vectors := []float32{
		0, 0, // key 10
		1, 0, // key 20
		0, 1, // key 30
		5, 5, // key 40
	}
	var progress []string
	opts := &usearch.BatchOptions{
		Threads: 2,
		// Called from this goroutine as rows complete: at least every 1% and at the end.
		Progress: func(done, total int) { progress = append(progress, fmt.Sprintf("%d/%d", done, total)) },
	}
	if err := index.AddBatch(context.Background(), keys, vectors, opts); err != nil {
		panic(err)
	}
	n, _ := index.Len()
	fmt.Println(progress, "stored:", n)

	// Key 20 is already present: the batch fails as a whole and names the row.
	err = index.AddBatch(context.Background(), []usearch.Key{50, 20}, []float32{9, 9, 1, 1}, nil)
	fmt.Println(errors.Is(err, usearch.ErrDuplicateKey), err)
	n, _ = index.Len()
	fmt.Println("stored:", n)
	// Output:
	// [1/4 2/4 3/4 4/4] stored: 4
	// true usearch: AddBatch: row 1: key 20 is already in the index and the index is not Multi; nothing was added
	// stored: 4
}

// Search for many queries at once; row i of the Matches holds query i's results.
func ExampleIndex_SearchBatch() {
	index, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 2, Metric: usearch.L2sq})
	if err != nil {
		panic(err)
	}
	defer index.Close()
	_ = index.AddBatch(context.Background(), []usearch.Key{1, 2, 3}, []float32{0, 0, 1, 1, 5, 5}, nil)

	queries := []float32{
		0.1, 0, // near key 1
		4, 4, // near key 3
	}
	matches, err := index.SearchBatch(context.Background(), queries, 2, nil)
	if err != nil {
		panic(err)
	}
	for i := range matches.Len() {
		keys, distances := matches.At(i)
		fmt.Printf("query %d: keys %v distances %.2f\n", i, keys, distances)
	}

	// Exact scans every vector instead of walking the graph: the ground truth.
	exact, _ := index.SearchBatch(context.Background(), queries, 1, &usearch.BatchOptions{Exact: true})
	fmt.Println("exact:", exact.Keys)
	// Output:
	// query 0: keys [1 2] distances [0.01 1.81]
	// query 1: keys [3 2] distances [2.00 18.00]
	// exact: [1 3]
}

// Search two indexes as one: results are merged across them, closest first. OpenIndexes
// does the same for index files, loaded or memory-mapped.
func ExampleIndexes() {
	conf := usearch.IndexConfig{Dimensions: 2, Metric: usearch.L2sq}
	even, _ := usearch.NewIndex(conf)
	defer even.Close()
	odd, _ := usearch.NewIndex(conf)
	defer odd.Close()
	for key := range usearch.Key(6) {
		vec := []float32{float32(key), 0}
		if key%2 == 0 {
			_ = even.Add(key, vec)
		} else {
			_ = odd.Add(key, vec)
		}
	}

	shards, err := usearch.NewIndexes(even, odd)
	if err != nil {
		panic(err)
	}
	defer shards.Close() // leaves even and odd open: NewIndexes does not own them

	keys, distances, _ := shards.Search([]float32{2.2, 0}, 3)
	fmt.Printf("%v %.2f\n", keys, distances)
	n, _ := shards.Len()
	fmt.Println("vectors:", n)
	// Output:
	// [2 3 1] [0.04 0.64 1.44]
	// vectors: 6
}

// List what an index holds: Keys yields each key once, All each vector with its key.
func ExampleIndex_Keys() {
	index, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 2, Metric: usearch.L2sq})
	if err != nil {
		panic(err)
	}
	defer index.Close()
	for key := usearch.Key(1); key <= 4; key++ {
		if err := index.Add(key, []float32{float32(key), 0}); err != nil {
			panic(err)
		}
	}
	if err := index.Remove(3); err != nil {
		panic(err)
	}

	// The order is unspecified: sort for display.
	keys := slices.Sorted(index.Keys())
	fmt.Println("keys:", keys)
	for key, vec := range index.All() {
		if key == 4 {
			fmt.Println("vector of 4:", vec)
		}
	}
	// Output:
	// keys: [1 2 4]
	// vector of 4: [4 0]
}

// Reclaim the space of removed vectors: Compact repairs the graph around them and drops
// them from memory and from files saved afterwards.
func ExampleIndex_Compact() {
	index, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 2, Metric: usearch.L2sq})
	if err != nil {
		panic(err)
	}
	defer index.Close()
	for key := usearch.Key(0); key < 1000; key++ {
		if err := index.Add(key, []float32{float32(key % 40), float32(key / 40)}); err != nil {
			panic(err)
		}
	}
	for key := usearch.Key(0); key < 1000; key += 2 {
		if err := index.Remove(key); err != nil {
			panic(err)
		}
	}
	before, _ := index.Stats()
	if err := index.Compact(context.Background()); err != nil {
		panic(err)
	}
	after, _ := index.Stats()
	fmt.Printf("nodes %d -> %d, removed %d -> %d\n", before.Nodes, after.Nodes, before.Removed, after.Removed)

	keys, _, _ := index.Search([]float32{3, 0}, 1)
	fmt.Println("nearest to (3, 0):", keys[0])
	// Output:
	// nodes 1000 -> 500, removed 500 -> 0
	// nearest to (3, 0): 3
}

// line returns an L2sq index holding the points 0, 1, ..., n-1 on a line (key i at x = i).
func line(n int) *usearch.Index {
	index, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 2, Metric: usearch.L2sq})
	if err != nil {
		panic(err)
	}
	for i := range n {
		if err := index.Add(usearch.Key(i), []float32{float32(i), 0}); err != nil {
			panic(err)
		}
	}
	return index
}

// A Go predicate decides which keys may be returned; the search walks past the others.
func ExampleIndex_FilteredSearch() {
	index := line(100)
	defer index.Close()
	odd := func(k usearch.Key) bool { return k%2 == 1 }
	keys, _, err := index.FilteredSearch([]float32{50, 0}, 3, odd)
	if err != nil {
		panic(err)
	}
	slices.Sort(keys) // 49 and 51 are equally near
	fmt.Println(keys)
	// Output: [47 49 51]
}

// Filters built from key lists and ranges run inside the core, without calling back into Go.
func ExampleIndex_SearchWith() {
	index := line(100)
	defer index.Close()
	filter := usearch.KeyRange(60, 99).And(usearch.AllowKeys([]usearch.Key{10, 62, 70, 95}))
	keys, distances, _, err := index.SearchWith([]float32{50, 0}, 10, filter)
	if err != nil {
		panic(err)
	}
	fmt.Println(keys, distances)
	// Output: [62 70 95] [144 400 2025]
}

// A Go function replaces the metric; ChangeMetricKind goes back to a built-in one.
func ExampleIndex_ChangeMetric() {
	index := line(10)
	defer index.Close()
	manhattan := func(a, b []float32) float32 {
		var d float32
		for i := range a {
			d += max(a[i]-b[i], b[i]-a[i])
		}
		return d
	}
	if err := index.ChangeMetric(manhattan); err != nil {
		panic(err)
	}
	keys, distances, _ := index.Search([]float32{3.25, 4}, 2)
	fmt.Println(keys, distances)
	if err := index.ChangeMetricKind(usearch.L2sq); err != nil {
		panic(err)
	}
	keys, distances, _ = index.Search([]float32{3.25, 4}, 1)
	fmt.Println(keys, distances)
	// Output:
	// [3 4] [4.25 4.75]
	// [3] [16.0625]
}

// Save writes the upstream file format; Load reads it into memory and View maps it
// read-only. Metadata reads the configuration without loading.
func ExampleIndex_Save() {
	dir, _ := os.MkdirTemp("", "usearch-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "line.usearch")

	index := line(10)
	if err := index.Save(path); err != nil {
		panic(err)
	}
	index.Close()

	conf, _ := usearch.Metadata(path)
	fmt.Println(conf.Dimensions, conf.Metric, conf.Quantization)

	loaded, _ := usearch.NewIndex(conf)
	defer loaded.Close()
	if err := loaded.Load(path); err != nil {
		panic(err)
	}
	viewed, _ := usearch.NewIndex(conf)
	defer viewed.Close()
	if err := viewed.View(path); err != nil {
		panic(err)
	}
	a, _, _ := loaded.Search([]float32{7.2, 0}, 1)
	b, _, _ := viewed.Search([]float32{7.2, 0}, 1)
	fmt.Println(a, b, viewed.Add(11, []float32{11, 0}) != nil) // a view is read-only
	// Output:
	// 2 l2sq F32
	// [7] [7] true
}

// SaveBuffer and LoadBuffer do the same in memory; SerializedLength sizes the buffer.
func ExampleIndex_SaveBuffer() {
	index := line(10)
	defer index.Close()
	n, _ := index.SerializedLength()
	buf := make([]byte, n)
	if err := index.SaveBuffer(buf, n); err != nil {
		panic(err)
	}
	conf, _ := usearch.MetadataBuffer(buf, n)
	copyOf, _ := usearch.NewIndex(conf)
	defer copyOf.Close()
	if err := copyOf.LoadBuffer(buf, n); err != nil {
		panic(err)
	}
	count, _ := copyOf.Len()
	fmt.Println(count)
	// Output: 10
}

// Every scalar kind has a Go type: float64, float32, Float16, BFloat16, int8, uint8, B1x8.
func ExampleNewIndexOf_scalarKinds() {
	f64, _ := usearch.NewIndexOf[float64](usearch.IndexConfig{Dimensions: 2, Metric: usearch.L2sq, Quantization: usearch.F64})
	defer f64.Close()
	_ = f64.Add(1, []float64{0.1, 0.2})
	k64, _, _ := f64.Search([]float64{0.1, 0.25}, 1)

	bf16, _ := usearch.NewIndexOf[usearch.BFloat16](usearch.IndexConfig{Dimensions: 2, Metric: usearch.Cosine, Quantization: usearch.BF16})
	defer bf16.Close()
	_ = bf16.Add(2, []usearch.BFloat16{usearch.BFloat16From(1), usearch.BFloat16From(0)})
	kbf, _, _ := bf16.Search([]usearch.BFloat16{usearch.BFloat16From(1), usearch.BFloat16From(0.1)}, 1)

	u8, _ := usearch.NewIndexOf[uint8](usearch.IndexConfig{Dimensions: 3, Metric: usearch.L2sq, Quantization: usearch.U8})
	defer u8.Close()
	_ = u8.Add(3, []uint8{10, 20, 30})
	_ = u8.Add(4, []uint8{200, 200, 200})
	ku8, du8, _ := u8.Search([]uint8{12, 20, 30}, 1)

	bits, _ := usearch.NewIndexOf[usearch.B1x8](usearch.IndexConfig{Dimensions: 8, Metric: usearch.Hamming, Quantization: usearch.B1})
	defer bits.Close()
	_ = bits.Add(42, []usearch.B1x8{0b00001111})
	_ = bits.Add(43, []usearch.B1x8{0b11110000})
	kb, db, _ := bits.Search([]usearch.B1x8{0b01111000}, 2)

	fmt.Println(k64, kbf, ku8, du8, kb, db)
	// Output: [1] [2] [3] [4] [43 42] [2 6]
}

// SearchExact compares the query with every stored vector: the exact answer, for checking
// recall or for small indexes.
func ExampleIndex_SearchExact() {
	index := line(1000)
	defer index.Close()
	keys, distances, err := index.SearchExact([]float32{500.4, 0}, 3)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v %.2f\n", keys, distances)
	// Output: [500 501 499] [0.16 0.36 1.96]
}

// Keys and All iterate over the content; removed keys are skipped.
func ExampleIndex_All() {
	index := line(5)
	defer index.Close()
	_ = index.Remove(2)
	var keys []usearch.Key
	for k, vec := range index.All() {
		keys = append(keys, k)
		_ = vec // the vector as []float32
	}
	slices.Sort(keys)
	fmt.Println(keys)
	// Output: [0 1 3 4]
}

// Stats describes the graph: here before and after Compact drops the removed vectors.
func ExampleIndex_Stats() {
	index := line(1000)
	defer index.Close()
	for k := range usearch.Key(500) {
		_ = index.Remove(k * 2)
	}
	before, _ := index.Stats()
	if err := index.Compact(context.Background()); err != nil {
		panic(err)
	}
	after, _ := index.Stats()
	live, _ := index.Len()
	keys, _, _ := index.Search([]float32{500, 0}, 2)
	slices.Sort(keys)
	fmt.Println(before.Nodes, before.Removed, "->", after.Nodes, after.Removed, live, keys)
	// Output: 1000 500 -> 500 0 500 [499 501]
}
