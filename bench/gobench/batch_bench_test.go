//go:build cgo && unix

package gobench

// Batches and Indexes against the one-goroutine loops they replace, on 100k x 96 cosine
// clustered data (internal/dataset). Each benchmark measures the batch and its reference
// in the same run, interleaved chunk by chunk, so that load from other processes hits both
// alike; the ratios are the results:
//
//	go test -run '^$' -bench 'Batch|Indexes' -benchtime 1x ./bench/gobench
//
// One iteration builds 100k-vector indexes several times: BatchVsLoop and IndexesVsOne
// take one to two minutes each on two cores. Each also reports CPU-time ratios, which
// other processes on the machine do not skew.

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

const (
	batchRows    = 100000
	batchDims    = 96
	batchQueries = 2000
	batchChunks  = 20
)

var batchData = sync.OnceValues(func() ([]float32, []float32) {
	return dataset.Clustered(batchRows, batchDims, batchRows/1000, benchSeed),
		dataset.Queries(batchQueries, batchDims, batchRows/1000, benchSeed)
})

// median of per-chunk ratios: robust to the bursts of load a shared machine adds to one
// side of a pair.
func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

func batchKeys(from, to int) []usearch.Key {
	keys := make([]usearch.Key, to-from)
	for i := range keys {
		keys[i] = usearch.Key(from + i)
	}
	return keys
}

func batchIndex(b *testing.B, capacity int) *usearch.Index {
	idx, err := benchNewIndex(batchDims, capacity)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { idx.Close() })
	return idx
}

// BenchmarkBatchVsLoop reports AddBatch and SearchBatch with 2 threads against the
// one-goroutine Add and Search loops (speedup = loop time / batch time), and SearchBatch
// with 1 thread against the loop (its overhead).
func BenchmarkBatchVsLoop(b *testing.B) {
	data, queries := batchData()
	ctx := context.Background()
	two := &usearch.BatchOptions{Threads: 2}
	one := &usearch.BatchOptions{Threads: 1}
	for range b.N {
		loop, batch := batchIndex(b, batchRows), batchIndex(b, batchRows)
		var tLoop, tBatch, cLoop, cBatch time.Duration
		var addRatios []float64
		per := batchRows / batchChunks
		for c := range batchChunks {
			from, to := c*per, (c+1)*per
			start, cpu := time.Now(), cpuTime()
			before := tLoop
			for i := from; i < to; i++ {
				if err := loop.Add(usearch.Key(i), data[i*batchDims:(i+1)*batchDims]); err != nil {
					b.Fatal(err)
				}
			}
			tLoop += time.Since(start)
			cLoop += cpuTime() - cpu
			start, cpu = time.Now(), cpuTime()
			if err := batch.AddBatch(ctx, batchKeys(from, to), data[from*batchDims:to*batchDims], two); err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			tBatch += d
			cBatch += cpuTime() - cpu
			addRatios = append(addRatios, (tLoop-before).Seconds()/d.Seconds())
		}
		b.ReportMetric(median(addRatios), "add-speedup-median")
		b.ReportMetric(batchRows/tLoop.Seconds(), "add-loop-rows/s")
		b.ReportMetric(batchRows/tBatch.Seconds(), "add-batch2-rows/s")
		b.ReportMetric(tLoop.Seconds()/tBatch.Seconds(), "add-speedup")
		b.ReportMetric(cBatch.Seconds()/cLoop.Seconds(), "add-cpu-batch/loop")

		var tsLoop, tsBatch, tsOne, csLoop, csBatch time.Duration
		var searchRatios []float64
		qPer := batchQueries / batchChunks
		for c := range batchChunks {
			chunk := queries[c*qPer*batchDims : (c+1)*qPer*batchDims]
			start, cpu := time.Now(), cpuTime()
			for i := range qPer {
				if _, _, err := batch.Search(chunk[i*batchDims:(i+1)*batchDims], benchK); err != nil {
					b.Fatal(err)
				}
			}
			dLoop := time.Since(start)
			tsLoop += dLoop
			csLoop += cpuTime() - cpu
			start, cpu = time.Now(), cpuTime()
			if _, err := batch.SearchBatch(ctx, chunk, benchK, two); err != nil {
				b.Fatal(err)
			}
			dBatch := time.Since(start)
			tsBatch += dBatch
			csBatch += cpuTime() - cpu
			searchRatios = append(searchRatios, dLoop.Seconds()/dBatch.Seconds())
			start = time.Now()
			if _, err := batch.SearchBatch(ctx, chunk, benchK, one); err != nil {
				b.Fatal(err)
			}
			tsOne += time.Since(start)
		}
		b.ReportMetric(batchQueries/tsLoop.Seconds(), "search-loop-QPS")
		b.ReportMetric(batchQueries/tsBatch.Seconds(), "search-batch2-QPS")
		b.ReportMetric(tsLoop.Seconds()/tsBatch.Seconds(), "search-speedup")
		b.ReportMetric(median(searchRatios), "search-speedup-median")
		b.ReportMetric(csBatch.Seconds()/csLoop.Seconds(), "search-cpu-batch/loop")
		b.ReportMetric(tsOne.Seconds()/tsLoop.Seconds(), "search-batch1/loop")
	}
}

// BenchmarkBatchOverhead weighs what a batch pays per row outside the core, one read lock
// and one cgo crossing (measured with Len, which does nothing else), against a row's work
// in the core (an Add and a Search in a 100k x 96 index). Their ratio bounds what a loop
// inside the core, one crossing per chunk, could save.
func BenchmarkBatchOverhead(b *testing.B) {
	data, queries := batchData()
	for range b.N {
		idx := batchIndex(b, batchRows)
		if err := idx.AddBatch(context.Background(), batchKeys(0, batchRows-1000), data[:(batchRows-1000)*batchDims], nil); err != nil {
			b.Fatal(err)
		}
		const crossings = 200000
		start := time.Now()
		for range crossings {
			if _, err := idx.Len(); err != nil {
				b.Fatal(err)
			}
		}
		crossing := time.Since(start).Seconds() / crossings
		start = time.Now()
		for i := batchRows - 1000; i < batchRows; i++ {
			if err := idx.Add(usearch.Key(i), data[i*batchDims:(i+1)*batchDims]); err != nil {
				b.Fatal(err)
			}
		}
		add := time.Since(start).Seconds() / 1000
		start = time.Now()
		for i := range batchQueries {
			if _, _, err := idx.Search(queries[i*batchDims:(i+1)*batchDims], benchK); err != nil {
				b.Fatal(err)
			}
		}
		search := time.Since(start).Seconds() / batchQueries
		b.ReportMetric(crossing*1e9, "crossing-ns")
		b.ReportMetric(add*1e9, "add-ns")
		b.ReportMetric(search*1e9, "search-ns")
		b.ReportMetric(100*crossing/add, "crossing/add-%")
		b.ReportMetric(100*crossing/search, "crossing/search-%")
	}
}

// BenchmarkIndexesVsOne compares 4 shards of 25k searched as one Indexes with one index of
// all 100k at the same (default) expansion: recall@10 of both, and the time of one search
// (shards/one), interleaved query by query, with GOMAXPROCS goroutines available.
func BenchmarkIndexesVsOne(b *testing.B) {
	data, queries := batchData()
	const shards, nq = 4, 1000
	truth, err := dataset.GroundTruth(data, queries[:nq*batchDims], batchDims, benchK, usearch.Cosine)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for range b.N {
		whole := batchIndex(b, batchRows)
		if err := whole.AddBatch(ctx, batchKeys(0, batchRows), data, nil); err != nil {
			b.Fatal(err)
		}
		parts := make([]*usearch.Index, shards)
		per := batchRows / shards
		for s := range parts {
			parts[s] = batchIndex(b, per)
			if err := parts[s].AddBatch(ctx, batchKeys(s*per, (s+1)*per), data[s*per*batchDims:(s+1)*per*batchDims], nil); err != nil {
				b.Fatal(err)
			}
		}
		group, err := usearch.NewIndexes(parts...)
		if err != nil {
			b.Fatal(err)
		}
		gotOne, gotShards := make([][]usearch.Key, nq), make([][]usearch.Key, nq)
		var tOne, tShards, cOne, cShards time.Duration
		var ratios []float64
		for pass := range 3 { // the first pass warms caches and is not timed
			for i := range nq {
				q := queries[i*batchDims : (i+1)*batchDims]
				start, cpu := time.Now(), cpuTime()
				k1, _, err := whole.Search(q, benchK)
				d1, c1 := time.Since(start), cpuTime()-cpu
				if err != nil {
					b.Fatal(err)
				}
				start, cpu = time.Now(), cpuTime()
				k2, _, err := group.Search(q, benchK)
				d2, c2 := time.Since(start), cpuTime()-cpu
				if err != nil {
					b.Fatal(err)
				}
				gotOne[i], gotShards[i] = k1, k2
				if pass > 0 {
					tOne, tShards = tOne+d1, tShards+d2
					cOne, cShards = cOne+c1, cShards+c2
					ratios = append(ratios, d2.Seconds()/d1.Seconds())
				}
			}
		}
		group.Close()
		b.ReportMetric(dataset.Recall(gotOne, truth, benchK), "recall-one")
		b.ReportMetric(dataset.Recall(gotShards, truth, benchK), "recall-shards")
		b.ReportMetric(float64(tOne.Microseconds())/(2*nq), "one-µs/search")
		b.ReportMetric(float64(tShards.Microseconds())/(2*nq), "shards-µs/search")
		b.ReportMetric(tShards.Seconds()/tOne.Seconds(), "shards/one")
		b.ReportMetric(median(ratios), "shards/one-median")
		b.ReportMetric(cShards.Seconds()/cOne.Seconds(), "shards/one-cpu")
		b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "GOMAXPROCS")
	}
}
