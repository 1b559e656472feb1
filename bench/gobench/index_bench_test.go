package gobench

// Benchmarks of Add and Search for float32 cosine indexes at 96 and 768 dimensions, on
// the seeded synthetic clustered data of internal/dataset:
//
//	go test -run '^$' -bench '^Benchmark(Add|Search)(Parallel)?$' -benchtime 2000x ./bench/gobench
//
// Add inserts into a fresh, pre-reserved index and reports vectors/s. Search queries a
// prebuilt index of benchRows vectors, built once per dimension and shared by every Search
// benchmark, and reports QPS and recall@10 against brute force. The Parallel variants run
// the same calls from GOMAXPROCS goroutines (b.RunParallel); their rates are aggregate.
// Nothing here runs without -bench.

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

const (
	benchRows     = 20000
	benchQueries  = 1000
	benchK        = 10
	benchClusters = benchRows / 1000
	benchSeed     = 42
)

var benchDims = []int{96, 768}

// benchData is one dimension's data set, ground truth and (once built) index.
type benchData struct {
	dims          int
	data, queries []float32
	truth         [][]usearch.Key

	dataOnce, indexOnce sync.Once
	dataErr, indexErr   error
	index               *usearch.Index
}

var benchSets sync.Map // dims -> *benchData

func benchSet(dims int) *benchData {
	s, _ := benchSets.LoadOrStore(dims, &benchData{dims: dims})
	return s.(*benchData)
}

// load generates the data and the brute-force ground truth once.
func (s *benchData) load(b *testing.B) {
	s.dataOnce.Do(func() {
		s.data = dataset.Clustered(benchRows, s.dims, benchClusters, benchSeed)
		s.queries = dataset.Queries(benchQueries, s.dims, benchClusters, benchSeed)
		s.truth, s.dataErr = dataset.GroundTruth(s.data, s.queries, s.dims, benchK, usearch.Cosine)
	})
	if s.dataErr != nil {
		b.Fatal(s.dataErr)
	}
}

func (s *benchData) row(i int) []float32 {
	i %= benchRows
	return s.data[i*s.dims : (i+1)*s.dims]
}

func (s *benchData) query(i int) []float32 {
	i %= benchQueries
	return s.queries[i*s.dims : (i+1)*s.dims]
}

// built returns the shared index over every row, building it once with one goroutine per
// CPU. It is never closed: it lives as long as the benchmark binary.
func (s *benchData) built(b *testing.B) *usearch.Index {
	s.load(b)
	s.indexOnce.Do(func() {
		s.index, s.indexErr = benchNewIndex(s.dims, benchRows)
		if s.indexErr != nil {
			return
		}
		s.indexErr = dataset.AddParallel(runtime.NumCPU(), benchRows, func(i int) error {
			return s.index.Add(usearch.Key(i), s.row(i))
		})
	})
	if s.indexErr != nil {
		b.Fatal(s.indexErr)
	}
	return s.index
}

func benchNewIndex(dims, capacity int) (*usearch.Index, error) {
	idx, err := usearch.NewIndex(usearch.DefaultConfig(uint(dims)))
	if err != nil {
		return nil, err
	}
	if err := idx.Reserve(uint(capacity)); err != nil {
		idx.Close()
		return nil, err
	}
	return idx, nil
}

// benchEachDim runs fn as a sub-benchmark named d=<dims> for every benchmarked dimension.
func benchEachDim(b *testing.B, fn func(b *testing.B, s *benchData)) {
	for _, d := range benchDims {
		b.Run(fmt.Sprintf("d=%d", d), func(b *testing.B) { fn(b, benchSet(d)) })
	}
}

// benchAddInto prepares a fresh index sized for b.N vectors; rows repeat past benchRows
// under new keys.
func benchAddInto(b *testing.B, s *benchData) *usearch.Index {
	s.load(b)
	idx, err := benchNewIndex(s.dims, b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { idx.Close() })
	return idx
}

func BenchmarkAdd(b *testing.B) {
	benchEachDim(b, func(b *testing.B, s *benchData) {
		idx := benchAddInto(b, s)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := idx.Add(usearch.Key(i), s.row(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
	})
}

func BenchmarkAddParallel(b *testing.B) {
	benchEachDim(b, func(b *testing.B, s *benchData) {
		idx := benchAddInto(b, s)
		var next atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1) - 1)
				if err := idx.Add(usearch.Key(i), s.row(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
	})
}

// benchSearchReport reports QPS and the recall@10 of the first pass over the queries.
func benchSearchReport(b *testing.B, s *benchData, got [][]usearch.Key) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "QPS")
	covered := min(b.N, benchQueries)
	b.ReportMetric(dataset.Recall(got[:covered], s.truth[:covered], benchK), "recall@10")
}

func BenchmarkSearch(b *testing.B) {
	benchEachDim(b, func(b *testing.B, s *benchData) {
		idx := s.built(b)
		got := make([][]usearch.Key, benchQueries)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			keys, _, err := idx.Search(s.query(i), benchK)
			if err != nil {
				b.Fatal(err)
			}
			if i < benchQueries {
				got[i] = keys
			}
		}
		b.StopTimer()
		benchSearchReport(b, s, got)
	})
}

func BenchmarkSearchParallel(b *testing.B) {
	benchEachDim(b, func(b *testing.B, s *benchData) {
		idx := s.built(b)
		got := make([][]usearch.Key, benchQueries)
		var next atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1) - 1)
				keys, _, err := idx.Search(s.query(i), benchK)
				if err != nil {
					b.Error(err)
					return
				}
				if i < benchQueries {
					got[i] = keys // each i < benchQueries is written by one goroutine only
				}
			}
		})
		b.StopTimer()
		benchSearchReport(b, s, got)
	})
}
