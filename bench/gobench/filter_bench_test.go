package gobench

// Benchmarks of filtered search and of user-defined (Go) metrics:
//
//	go test -run '^$' -bench 'FilteredSearch|GoMetric' -benchtime 200x ./bench/gobench
//
// BenchmarkFilteredSearch searches the 100k x 96 cosine index of persist_bench_test.go
// (built once and cached as a file, see there) restricted to 50%, 10% and 1% of its keys,
// with each kind of filter:
//
//	closure     FilterFunc over a []bool of allowed rows (a Go callback per group of keys)
//	allow-list  AllowKeys with the same keys as closure (evaluated in C)
//	range       KeyRange over the first 50/10/1% of the keys (evaluated in C)
//	unfiltered  plain Search, for reference
//
// One op is one SearchWith (k=10). It reports qps, recall@10 against brute force over the
// allowed rows only (measured once on fbQueries queries before the timed loop), and from
// SearchStats the Go-filter crossings, keys judged and nodes visited per query, and the
// share of searches that fell back to an exact scan.
//
// BenchmarkGoMetric compares the native squared-L2 kernel with the same distance written
// in Go (installed with ChangeMetric before adding) on a 20k x 96 index: "add" times Adds
// from one goroutine, one op being fbMetricBatch of them (so -benchtime 200x adds the whole
// 20k set) and reports vectors/s; "search" times one Search per op on an index built once
// per metric and reports qps and recall@10. Nothing here runs without -bench.

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

const (
	fbQueries = 200
	fbK       = 10
)

// fbState is what the filtered-search benchmarks share: the loaded index, the queries and
// the ground truth of each allowed subset.
var fbState struct {
	once    sync.Once
	err     error
	idx     *usearch.Index
	queries []float32
	truth   map[string][][]usearch.Key // subset name -> per-query keys
}

// fbSetup loads the cached 100k index into memory once; it is never closed.
func fbSetup(b *testing.B) {
	path, _ := pbClustered.file(b)
	data := pbClustered.load(b)
	fbState.once.Do(func() {
		fbState.queries = dataset.Queries(fbQueries, pbDims, pbClusters, pbSeed)
		fbState.truth = map[string][][]usearch.Key{}
		fbState.idx, fbState.err = usearch.NewIndex(pbClustered.conf)
		if fbState.err != nil {
			return
		}
		if fbState.err = fbState.idx.Load(path); fbState.err != nil {
			return
		}
		// The whole set, for the unfiltered searches.
		fbState.truth["all"], fbState.err = dataset.GroundTruth(data, fbState.queries, pbDims, fbK, usearch.Cosine)
	})
	if fbState.err != nil {
		b.Fatal(fbState.err)
	}
}

// fbSubsetTruth returns the brute-force k nearest neighbors of every query among the rows
// that allowed accepts, computed once per subset name.
func fbSubsetTruth(b *testing.B, name string, allowed func(usearch.Key) bool) [][]usearch.Key {
	if t, ok := fbState.truth[name]; ok {
		return t
	}
	data := pbClustered.load(b)
	var rows []float32
	var keys []usearch.Key
	for i := 0; i < pbRows; i++ {
		if allowed(usearch.Key(i)) {
			rows = append(rows, data[i*pbDims:(i+1)*pbDims]...)
			keys = append(keys, usearch.Key(i))
		}
	}
	truth, err := dataset.GroundTruth(rows, fbState.queries, pbDims, fbK, usearch.Cosine)
	if err != nil {
		b.Fatal(err)
	}
	for _, row := range truth {
		for j, r := range row { // row numbers in the subset -> keys
			row[j] = keys[r]
		}
	}
	fbState.truth[name] = truth
	return truth
}

// fbMix is SplitMix64's finalizer: it picks a subset of keys that is unrelated to the
// clusters and to key order.
func fbMix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

func fbQuery(i int) []float32 {
	i %= fbQueries
	return fbState.queries[i*pbDims : (i+1)*pbDims]
}

func BenchmarkFilteredSearch(b *testing.B) {
	b.Run("unfiltered", func(b *testing.B) {
		fbSetup(b)
		idx := fbState.idx
		got := make([][]usearch.Key, fbQueries)
		for i := range got {
			keys, _, err := idx.Search(fbQuery(i), fbK)
			if err != nil {
				b.Fatal(err)
			}
			got[i] = keys
		}
		recall := dataset.Recall(got, fbState.truth["all"], fbK)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, _, err := idx.Search(fbQuery(i), fbK); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "qps")
		b.ReportMetric(recall, "recall@10")
	})
	for _, percent := range []int{50, 10, 1} {
		// closure and allow-list accept the same pseudo-random keys; range the first ones.
		inSubset := func(k usearch.Key) bool { return fbMix(k)%100 < uint64(percent) }
		rangeMax := usearch.Key(pbRows*percent/100 - 1)
		inRange := func(k usearch.Key) bool { return k <= rangeMax }

		mask := make([]bool, pbRows)
		var allowed []usearch.Key
		for i := range mask {
			if mask[i] = inSubset(usearch.Key(i)); mask[i] {
				allowed = append(allowed, usearch.Key(i))
			}
		}
		kinds := []struct {
			name   string
			subset string
			accept func(usearch.Key) bool
			filter func() usearch.Filter
		}{
			{"closure", "hash", inSubset, func() usearch.Filter {
				return usearch.FilterFunc(func(k usearch.Key) bool { return k < usearch.Key(len(mask)) && mask[k] })
			}},
			{"allow-list", "hash", inSubset, func() usearch.Filter { return usearch.AllowKeys(allowed) }},
			{"range", "range", inRange, func() usearch.Filter { return usearch.KeyRange(0, rangeMax) }},
		}
		for _, kind := range kinds {
			b.Run(fmt.Sprintf("sel=%d%%/%s", percent, kind.name), func(b *testing.B) {
				fbSetup(b)
				idx := fbState.idx
				truth := fbSubsetTruth(b, fmt.Sprintf("%s-%d", kind.subset, percent), kind.accept)
				filter := kind.filter()

				// Recall on the fixed query set, untimed; also checks every result is allowed.
				got := make([][]usearch.Key, fbQueries)
				for i := range got {
					keys, _, _, err := idx.SearchWith(fbQuery(i), fbK, filter)
					if err != nil {
						b.Fatal(err)
					}
					for _, k := range keys {
						if !kind.accept(k) {
							b.Fatalf("query %d returned key %d, which the filter rejects", i, k)
						}
					}
					got[i] = keys
				}
				recall := dataset.Recall(got, truth, fbK)

				var crossings, judged, visited, exact int
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					_, _, st, err := idx.SearchWith(fbQuery(i), fbK, filter)
					if err != nil {
						b.Fatal(err)
					}
					crossings += st.Crossings
					judged += st.Judged
					visited += st.Visited
					if st.Exact {
						exact++
					}
				}
				b.StopTimer()
				n := float64(b.N)
				b.ReportMetric(n/b.Elapsed().Seconds(), "qps")
				b.ReportMetric(recall, "recall@10")
				b.ReportMetric(float64(crossings)/n, "crossings/query")
				b.ReportMetric(float64(judged)/n, "judged/query")
				b.ReportMetric(float64(visited)/n, "visited/query")
				b.ReportMetric(100*float64(exact)/n, "exact%")
			})
		}
	}
}

// ---- Go metric versus native kernel ----

const (
	fbMetricRows     = 20000
	fbMetricDims     = 96
	fbMetricClusters = fbMetricRows / 1000
	fbMetricBatch    = 100 // Adds per op in the "add" sub-benchmarks
)

// fbGoL2sq is squared Euclidean distance written as a user would, for ChangeMetric.
func fbGoL2sq(a, b []float32) float32 {
	b = b[:len(a)]
	var sum float32
	for i, x := range a {
		d := x - b[i]
		sum += d * d
	}
	return sum
}

var fbMetricData struct {
	once          sync.Once
	err           error
	data, queries []float32
	truth         [][]usearch.Key
}

func fbMetricLoad(b *testing.B) {
	d := &fbMetricData
	d.once.Do(func() {
		d.data = dataset.Clustered(fbMetricRows, fbMetricDims, fbMetricClusters, pbSeed)
		d.queries = dataset.Queries(fbQueries, fbMetricDims, fbMetricClusters, pbSeed)
		d.truth, d.err = dataset.GroundTruth(d.data, d.queries, fbMetricDims, fbK, usearch.L2sq)
	})
	if d.err != nil {
		b.Fatal(d.err)
	}
}

func fbMetricRow(i int) []float32 {
	i %= fbMetricRows
	return fbMetricData.data[i*fbMetricDims : (i+1)*fbMetricDims]
}

// fbMetricVariant is one way of computing the distance.
type fbMetricVariant struct {
	name   string
	goFunc func(a, b []float32) float32 // nil: the native kernel

	once  sync.Once
	built *usearch.Index
	err   error
}

func (v *fbMetricVariant) newIndex() (*usearch.Index, error) {
	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: fbMetricDims, Metric: usearch.L2sq, Quantization: usearch.F32})
	if err != nil {
		return nil, err
	}
	if v.goFunc != nil {
		if err := idx.ChangeMetric(v.goFunc); err != nil {
			idx.Close()
			return nil, err
		}
	}
	return idx, nil
}

// index returns the variant's index over all rows, built once with one goroutine per CPU
// and never closed.
func (v *fbMetricVariant) index(b *testing.B) *usearch.Index {
	fbMetricLoad(b)
	v.once.Do(func() {
		if v.built, v.err = v.newIndex(); v.err != nil {
			return
		}
		v.err = dataset.AddParallel(runtime.NumCPU(), fbMetricRows, func(i int) error {
			return v.built.Add(usearch.Key(i), fbMetricRow(i))
		})
	})
	if v.err != nil {
		b.Fatal(v.err)
	}
	return v.built
}

var fbMetricVariants = []*fbMetricVariant{
	{name: "native-l2sq"},
	{name: "go-l2sq", goFunc: fbGoL2sq},
}

func BenchmarkGoMetric(b *testing.B) {
	for _, v := range fbMetricVariants {
		b.Run(v.name+"/add", func(b *testing.B) {
			fbMetricLoad(b)
			idx, err := v.newIndex()
			if err != nil {
				b.Fatal(err)
			}
			defer idx.Close()
			if err := idx.Reserve(uint(b.N * fbMetricBatch)); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := i * fbMetricBatch; j < (i+1)*fbMetricBatch; j++ {
					if err := idx.Add(usearch.Key(j), fbMetricRow(j)); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*fbMetricBatch)/b.Elapsed().Seconds(), "vectors/s")
		})
		b.Run(v.name+"/search", func(b *testing.B) {
			idx := v.index(b)
			got := make([][]usearch.Key, fbQueries)
			for i := range got {
				keys, _, err := idx.Search(fbMetricData.queries[i*fbMetricDims:(i+1)*fbMetricDims], fbK)
				if err != nil {
					b.Fatal(err)
				}
				got[i] = keys
			}
			recall := dataset.Recall(got, fbMetricData.truth, fbK)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := i % fbQueries
				if _, _, err := idx.Search(fbMetricData.queries[q*fbMetricDims:(q+1)*fbMetricDims], fbK); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "qps")
			b.ReportMetric(recall, "recall@10")
		})
	}
}
