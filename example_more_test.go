//go:build cgo

package usearch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/usearch-go/usearch"
)

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
