//go:build cgo

package usearch_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/usearch-go/usearch"
)

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
