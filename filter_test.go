//go:build cgo

package usearch_test

import (
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

const filterDims = 32

// filterN is the index size; -short (emulated runs) shrinks it but keeps 1% = 50 keys.
var filterN = 20000

var filterData = sync.OnceValues(func() (*usearch.Index, []float32) {
	if testing.Short() {
		filterN = 5000
	}
	data := dataset.Clustered(filterN, filterDims, 50, 11)
	idx, err := usearch.NewIndex(usearch.DefaultConfig(filterDims))
	if err != nil {
		panic(err)
	}
	for i := 0; i < filterN; i++ {
		if err := idx.Add(usearch.Key(i), data[i*filterDims:(i+1)*filterDims]); err != nil {
			panic(err)
		}
	}
	return idx, data
})

// filteredRecall measures recall@10 of a filter against brute force over the allowed rows.
func filteredRecall(t *testing.T, idx *usearch.Index, data []float32, allowed func(usearch.Key) bool, f usearch.Filter) (float64, usearch.SearchStats) {
	t.Helper()
	queries, k := 100, 10
	if testing.Short() {
		queries = 30
	}
	var subset []float32
	var subsetKeys []usearch.Key
	for i := 0; i < filterN; i++ {
		if allowed(usearch.Key(i)) {
			subset = append(subset, data[i*filterDims:(i+1)*filterDims]...)
			subsetKeys = append(subsetKeys, usearch.Key(i))
		}
	}
	qs := dataset.Queries(queries, filterDims, 50, 11)
	truth, err := dataset.GroundTruth(subset, qs, filterDims, k, usearch.Cosine)
	if err != nil {
		t.Fatal(err)
	}
	got := make([][]usearch.Key, queries)
	var total usearch.SearchStats
	for q := range got {
		for j := range truth[q] {
			truth[q][j] = subsetKeys[truth[q][j]]
		}
		keys, _, stats, err := idx.SearchWith(qs[q*filterDims:(q+1)*filterDims], uint(k), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range keys {
			if !allowed(key) {
				t.Fatalf("filtered search returned key %d, which the filter rejects", key)
			}
		}
		got[q] = keys
		total.Crossings += stats.Crossings
		total.Judged += stats.Judged
		if stats.Exact {
			total.Visited++ // counts exact searches in this summary
		}
	}
	return dataset.Recall(got, truth, k), total
}

func TestFilteredRecallFloors(t *testing.T) {
	idx, data := filterData()
	for _, c := range []struct {
		percent int
		floor   float64
	}{{50, 0.95}, {10, 0.90}, {1, 0.90}} {
		every := usearch.Key(100 / c.percent)
		pass := func(k usearch.Key) bool { return k%every == 0 }
		var allowList []usearch.Key
		for k := usearch.Key(0); k < usearch.Key(filterN); k += every {
			allowList = append(allowList, k)
		}
		rangeMax := usearch.Key(filterN*c.percent/100 - 1)
		inRange := func(k usearch.Key) bool { return k <= rangeMax }
		for _, f := range []struct {
			name   string
			accept func(usearch.Key) bool
			filter usearch.Filter
		}{
			{"closure", pass, usearch.FilterFunc(pass)},
			{"allow-list", pass, usearch.AllowKeys(allowList)},
			{"range", inRange, usearch.KeyRange(0, rangeMax)},
		} {
			t.Run(fmt.Sprintf("%d%%/%s", c.percent, f.name), func(t *testing.T) {
				recall, stats := filteredRecall(t, idx, data, f.accept, f.filter)
				t.Logf("recall@10 %.3f, crossings/query %.1f, judged/query %.0f, exact searches %d",
					recall, float64(stats.Crossings)/100, float64(stats.Judged)/100, stats.Visited)
				if recall < c.floor {
					t.Fatalf("recall@10 = %.3f at %d%% selectivity, want at least %.2f", recall, c.percent, c.floor)
				}
				if f.name != "closure" && stats.Crossings != 0 {
					t.Fatalf("a callback-free filter crossed into Go %d times", stats.Crossings)
				}
			})
		}
	}
}

func TestFilterPanicBecomesError(t *testing.T) {
	idx, data := filterData()
	q := data[:filterDims]
	_, _, err := idx.FilteredSearch(q, 10, func(k usearch.Key) bool {
		if k%7 == 3 {
			panic("boom")
		}
		return true
	})
	if !errors.Is(err, usearch.ErrCallback) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("panicking filter: err = %v, want ErrCallback naming the panic", err)
	}
	// The index is intact and usable.
	keys, _, err := idx.Search(q, 1)
	if err != nil || len(keys) != 1 || keys[0] != 0 {
		t.Fatalf("search after a panicking filter: %v %v", keys, err)
	}
}

func TestConcurrentFilteredSearchesKeepTheirClosures(t *testing.T) {
	idx, data := filterData()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			mod := usearch.Key(g + 2)
			for i := 0; i < 30; i++ {
				q := data[(i*97%filterN)*filterDims:][:filterDims]
				keys, _, err := idx.FilteredSearch(q, 10, func(k usearch.Key) bool { return k%mod == usearch.Key(g)%mod })
				if err != nil {
					t.Error(err)
					return
				}
				for _, k := range keys {
					if k%mod != usearch.Key(g)%mod {
						t.Errorf("goroutine %d got key %d from another goroutine's filter", g, k)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
}

// TestSearchStatsCountDistances checks the cost a benchmark reports next to QPS: an unfiltered
// search (the zero Filter) computes at least one distance per visited node and returns what
// Search returns; an exact scan computes exactly one distance per accepted key; a wider beam
// computes more distances.
func TestSearchStatsCountDistances(t *testing.T) {
	idx, _ := filterData()
	qs := dataset.Queries(20, filterDims, 50, 11)
	for q := 0; q < 20; q++ {
		query := qs[q*filterDims : (q+1)*filterDims]
		keys, dists, st, err := idx.SearchWith(query, 10, usearch.Filter{})
		must(t, err)
		want, wantDists, err := idx.Search(query, 10)
		must(t, err)
		if !equalKeys(keys, want) || len(dists) != len(wantDists) {
			t.Fatalf("query %d: SearchWith(zero Filter) = %v, Search = %v", q, keys, want)
		}
		if st.Exact || st.Crossings != 0 || st.Visited < 10 || st.Distances < st.Visited {
			t.Fatalf("query %d: unfiltered stats %+v: want a walk with Distances >= Visited >= 10", q, st)
		}
		// 40 allowed keys in 20000 (or 5000): scanned exactly, one distance per allowed key.
		var allowed []usearch.Key
		for i := q; i < filterN; i += filterN / 40 {
			allowed = append(allowed, usearch.Key(i))
		}
		_, _, st, err = idx.SearchWith(query, 10, usearch.AllowKeys(allowed))
		must(t, err)
		if !st.Exact || st.Distances != len(allowed) {
			t.Fatalf("query %d: allow-list of %d keys: stats %+v, want an exact scan with %d distances", q, len(allowed), st, len(allowed))
		}
	}
	// A wider beam costs more distances (summed over the queries, so one query's luck does not decide).
	cost := func(ef uint) (n int) {
		must(t, idx.ChangeExpansionSearch(ef))
		for q := 0; q < 20; q++ {
			_, _, st, err := idx.SearchWith(qs[q*filterDims:(q+1)*filterDims], 10, usearch.Filter{})
			must(t, err)
			n += st.Distances
		}
		return n
	}
	narrow, wide := cost(16), cost(256)
	must(t, idx.ChangeExpansionSearch(0))
	if wide <= narrow {
		t.Fatalf("distances at ef=256: %d, at ef=16: %d; want more at the wider beam", wide, narrow)
	}
}

// TestAllowListAfterWalkReturnsEachKeyOnce covers a search whose allow-list is too large to
// scan directly, so it walks the graph first, then falls back to scanning the allowed keys
// because almost none of them lie near the query. The keys the walk had already accepted
// must not be offered a second time by the scan.
func TestAllowListAfterWalkReturnsEachKeyOnce(t *testing.T) {
	const n, dims, near, k = 20000, 4, 5, 20
	for seed := int64(1); seed <= 3; seed++ {
		rng := rand.New(rand.NewSource(seed))
		conf := usearch.DefaultConfig(dims)
		conf.Metric = usearch.L2sq
		idx, err := usearch.NewIndex(conf)
		require.NoError(t, err)
		vecs := make([][]float32, n)
		for i := range vecs {
			vecs[i] = make([]float32, dims)
			for j := range vecs[i] {
				vecs[i][j] = rng.Float32()
			}
			require.NoError(t, idx.Add(usearch.Key(i), vecs[i]))
		}
		query := vecs[rng.Intn(n)]
		// Rank every key by its distance to the query; allow the `near` closest ones and
		// the farthest 5,000 (more than the direct-scan limit of max(4096, n/16)).
		order := make([]int, n)
		dist := make([]float64, n)
		for i := range order {
			order[i] = i
			for j := 0; j < dims; j++ {
				d := float64(vecs[i][j] - query[j])
				dist[i] += d * d
			}
		}
		sort.Slice(order, func(a, b int) bool { return dist[order[a]] < dist[order[b]] })
		var allowed []usearch.Key
		for _, i := range order[:near] {
			allowed = append(allowed, usearch.Key(i))
		}
		for _, i := range order[n-5000:] {
			allowed = append(allowed, usearch.Key(i))
		}
		keys, _, _, err := idx.SearchWith(query, k, usearch.AllowKeys(allowed))
		require.NoError(t, err)
		require.Len(t, keys, k, "seed %d", seed)
		seen := map[usearch.Key]bool{}
		for _, key := range keys {
			require.Falsef(t, seen[key], "seed %d: key %d returned twice in %v", seed, key, keys)
			seen[key] = true
		}
		for _, i := range order[:near] {
			require.Truef(t, seen[usearch.Key(i)], "seed %d: near key %d missing from %v", seed, i, keys)
		}
		require.NoError(t, idx.Close())
	}
}
