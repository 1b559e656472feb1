//go:build cgo

package usearch_test

import (
	"fmt"

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
