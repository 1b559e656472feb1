//go:build cgo

package usearch_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/usearch-go/usearch"
)

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
