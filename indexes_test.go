//go:build cgo

package usearch

// Indexes: many indexes (or index files) searched as one.

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shardSet is a clustered data set split round-robin over shards with disjoint keys.
type shardSet struct {
	rows    [][]float32
	shards  []*Index
	live    map[Key][]float32
	queries [][]float32
}

func newShardSet(t *testing.T, seed int64, n, dims, shards int, conf IndexConfig) *shardSet {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	s := &shardSet{rows: toolkitData(rng, n, dims), live: map[Key][]float32{}}
	s.queries = toolkitData(rng, 60, dims)
	for range shards {
		s.shards = append(s.shards, newTestIndex(t, conf))
	}
	for i, r := range s.rows {
		require.NoError(t, s.shards[i%shards].Add(Key(i), r))
		s.live[Key(i)] = r
	}
	return s
}

// mergeByHand merges per-index answers closest first, ties in index order, as the
// documented contract says.
func mergeByHand(keys [][]Key, dists [][]float32, limit int) ([]Key, []float32) {
	type hit struct {
		key   Key
		dist  float32
		shard int
		rank  int
	}
	var all []hit
	for s := range keys {
		for r := range keys[s] {
			all = append(all, hit{keys[s][r], dists[s][r], s, r})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].dist != all[j].dist {
			return all[i].dist < all[j].dist
		}
		if all[i].shard != all[j].shard {
			return all[i].shard < all[j].shard
		}
		return all[i].rank < all[j].rank
	})
	outK, outD := []Key{}, []float32{}
	for _, h := range all[:min(limit, len(all))] {
		outK = append(outK, h.key)
		outD = append(outD, h.dist)
	}
	return outK, outD
}

func TestIndexesSearch(t *testing.T) {
	const n, dims, k = 4000, 20, 10
	s := newShardSet(t, 31, n, dims, 4, IndexConfig{Dimensions: dims, Metric: L2sq})
	g, err := NewIndexes(s.shards...)
	require.NoError(t, err)
	defer g.Close()
	total, err := g.Len()
	require.NoError(t, err)
	assert.Equal(t, uint(n), total)

	hits := 0
	for _, q := range s.queries {
		keys, dists, err := g.Search(q, k)
		require.NoError(t, err)
		// The merge of the indexes' own answers.
		var perK [][]Key
		var perD [][]float32
		for _, idx := range s.shards {
			kk, dd, err := idx.Search(q, k)
			require.NoError(t, err)
			perK, perD = append(perK, kk), append(perD, dd)
		}
		wantK, wantD := mergeByHand(perK, perD, k)
		require.Equal(t, wantK, keys)
		require.Equal(t, wantD, dists)
		exact, _, err := idx0ExactOver(s.live, q, k)
		require.NoError(t, err)
		for _, e := range exact {
			for _, got := range keys {
				if got == e {
					hits++
				}
			}
		}
	}
	assert.GreaterOrEqual(t, float64(hits)/float64(k*len(s.queries)), 0.9, "recall@%d over shards", k)

	// A limit beyond the content, and 0.
	keys, dists, err := g.Search(s.queries[0], 100000)
	require.NoError(t, err)
	assert.Len(t, keys, n)
	assert.True(t, sort.SliceIsSorted(dists, func(i, j int) bool { return dists[i] < dists[j] }))
	keys, _, err = g.Search(s.queries[0], 0)
	require.NoError(t, err)
	assert.Empty(t, keys)
	_, _, err = g.Search(s.queries[0][:3], k)
	require.ErrorIs(t, err, ErrDimensionMismatch)

	// Batches: each row is the single search; Exact rows are the brute-force truth.
	flat := flatRows(s.queries)
	var log progressLog
	m, err := g.SearchBatch(context.Background(), flat, k, &BatchOptions{Threads: 2, Progress: log.record(t)})
	require.NoError(t, err)
	log.check(t, len(s.queries), len(s.queries))
	ex, err := g.SearchBatch(context.Background(), flat, k, &BatchOptions{Exact: true})
	require.NoError(t, err)
	for i, q := range s.queries {
		wantK, wantD, err := g.Search(q, k)
		require.NoError(t, err)
		gotK, gotD := m.At(i)
		require.Equal(t, wantK, gotK, "row %d", i)
		require.Equal(t, wantD, gotD, "row %d", i)
		exK, exD := ex.At(i)
		checkExactAnswer(t, s.live, l2sq64, q, k, exK, exD)
	}
	_, err = g.SearchBatch(context.Background(), flat[:dims+2], k, nil)
	require.ErrorIs(t, err, ErrDimensionMismatch)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = g.SearchBatch(ctx, flat, k, nil)
	require.ErrorIs(t, err, context.Canceled)
	_, err = g.SearchBatch(context.Background(), flat, k, &BatchOptions{Threads: -1})
	require.ErrorIs(t, err, ErrInvalidArgument)
}

// idx0ExactOver is brute force over a key -> vector map.
func idx0ExactOver(live map[Key][]float32, q []float32, k int) ([]Key, []float64, error) {
	type kd struct {
		k Key
		d float64
	}
	all := make([]kd, 0, len(live))
	for key, v := range live {
		all = append(all, kd{key, l2sq64(q, v)})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].d < all[j].d || (all[i].d == all[j].d && all[i].k < all[j].k) })
	keys, dists := []Key{}, []float64{}
	for _, e := range all[:min(k, len(all))] {
		keys, dists = append(keys, e.k), append(dists, e.d)
	}
	return keys, dists, nil
}

func TestIndexesFilteredSearch(t *testing.T) {
	const n, dims, k = 2000, 16, 8
	s := newShardSet(t, 32, n, dims, 3, IndexConfig{Dimensions: dims, Metric: L2sq})
	g, err := NewIndexes(s.shards...)
	require.NoError(t, err)
	defer g.Close()
	var mu sync.Mutex
	calls := 0
	even := func(key Key) bool {
		mu.Lock() // the filter runs on several goroutines at once
		calls++
		mu.Unlock()
		return key%2 == 0
	}
	evens := map[Key][]float32{}
	for key, v := range s.live {
		if key%2 == 0 {
			evens[key] = v
		}
	}
	for _, q := range s.queries[:20] {
		keys, dists, err := g.FilteredSearch(q, k, even)
		require.NoError(t, err)
		require.Len(t, keys, k)
		for _, key := range keys {
			assert.Zero(t, key%2, "key %d is odd", key)
		}
		var perK [][]Key
		var perD [][]float32
		for _, idx := range s.shards {
			kk, dd, err := idx.FilteredSearch(q, k, even)
			require.NoError(t, err)
			perK, perD = append(perK, kk), append(perD, dd)
		}
		wantK, wantD := mergeByHand(perK, perD, k)
		require.Equal(t, wantK, keys)
		require.Equal(t, wantD, dists)
	}
	assert.Positive(t, calls)
	_, _, err = g.FilteredSearch(s.queries[0], k, func(Key) bool { panic("filter boom") })
	require.ErrorIs(t, err, ErrCallback)
	assert.Contains(t, err.Error(), "filter boom")
	assert.Contains(t, err.Error(), "index ")
}

func TestIndexesLifecycle(t *testing.T) {
	const dims = 8
	conf := IndexConfig{Dimensions: dims, Metric: Cosine}
	a, b := newTestIndex(t, conf), newTestIndex(t, conf)
	vec := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	require.NoError(t, a.Add(1, vec))
	require.NoError(t, b.Add(2, vec))

	_, err := NewIndexes()
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = NewIndexes(a, nil)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "index 1 is nil")
	_, err = NewIndexes(a, b, a)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "index 2 is index 0 again")
	for name, other := range map[string]IndexConfig{
		"dimensions":   {Dimensions: dims + 1, Metric: Cosine},
		"metric":       {Dimensions: dims, Metric: L2sq},
		"quantization": {Dimensions: dims, Metric: Cosine, Quantization: F16},
	} {
		_, err = NewIndexes(a, newTestIndex(t, other))
		require.ErrorIs(t, err, ErrInvalidArgument, name)
		assert.Contains(t, err.Error(), "index 1 has", name)
	}
	closed := newTestIndex(t, conf)
	require.NoError(t, closed.Close())
	_, err = NewIndexes(a, closed)
	require.ErrorIs(t, err, ErrClosed)

	g, err := NewIndexes(a, b)
	require.NoError(t, err)
	keys, dists, err := g.Search(vec, 5)
	require.NoError(t, err)
	assert.Equal(t, []Key{1, 2}, keys, "equal distances keep index order")
	assert.InDelta(t, 0, dists[0], 1e-6)
	// The group sees what its indexes gain later.
	require.NoError(t, b.Add(3, []float32{8, 7, 6, 5, 4, 3, 2, 1}))
	n, err := g.Len()
	require.NoError(t, err)
	assert.Equal(t, uint(3), n)
	// A member closed on its own fails the group's searches with ErrClosed, naming it.
	c := newTestIndex(t, conf)
	require.NoError(t, c.Add(9, vec))
	g2, err := NewIndexes(a, c)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	_, _, err = g2.Search(vec, 2)
	require.ErrorIs(t, err, ErrClosed)
	assert.Contains(t, err.Error(), "index 1")
	_, err = g2.Len()
	require.ErrorIs(t, err, ErrClosed)

	// Close leaves indexes it does not own open, and is idempotent.
	require.NoError(t, g.Close())
	require.NoError(t, g.Close())
	_, _, err = a.Search(vec, 1)
	require.NoError(t, err, "NewIndexes does not own its indexes")
	_, _, err = g.Search(vec, 1)
	require.ErrorIs(t, err, ErrClosed)
	_, _, err = g.FilteredSearch(vec, 1, func(Key) bool { return true })
	require.ErrorIs(t, err, ErrClosed)
	_, err = g.SearchBatch(context.Background(), vec, 1, nil)
	require.ErrorIs(t, err, ErrClosed)
	_, err = g.Len()
	require.ErrorIs(t, err, ErrClosed)
}

// TestOpenIndexes searches shard files loaded and memory-mapped, and checks that the group
// owns what it opened.
func TestOpenIndexes(t *testing.T) {
	const n, dims, k = 3000, 16, 10
	s := newShardSet(t, 33, n, dims, 3, IndexConfig{Dimensions: dims, Metric: L2sq})
	dir := t.TempDir()
	var paths []string
	for i, idx := range s.shards {
		p := filepath.Join(dir, fmt.Sprintf("shard%d.usearch", i))
		require.NoError(t, idx.Save(p))
		paths = append(paths, p)
	}
	inMemory, err := NewIndexes(s.shards...)
	require.NoError(t, err)
	defer inMemory.Close()
	flat := flatRows(s.queries)
	want, err := inMemory.SearchBatch(context.Background(), flat, k, nil)
	require.NoError(t, err)

	for _, view := range []bool{false, true} {
		t.Run(fmt.Sprintf("view=%v", view), func(t *testing.T) {
			g, err := OpenIndexes(paths, view)
			require.NoError(t, err)
			total, err := g.Len()
			require.NoError(t, err)
			assert.Equal(t, uint(n), total)
			got, err := g.SearchBatch(context.Background(), flat, k, nil)
			require.NoError(t, err)
			assert.Equal(t, want, got, "files answer as the indexes they were saved from")
			ex, err := g.SearchBatch(context.Background(), flat, k, &BatchOptions{Exact: true})
			require.NoError(t, err)
			for i, q := range s.queries {
				keys, dists := ex.At(i)
				checkExactAnswer(t, s.live, l2sq64, q, k, keys, dists)
				single, _, err := g.Search(q, k)
				require.NoError(t, err)
				wk, _ := want.At(i)
				assert.Equal(t, wk, single)
			}
			if view {
				require.ErrorIs(t, g.list[0].Add(Key(n+1), s.rows[0]), ErrReadOnly, "viewed shards are read-only")
			}
			members := append([]*Index(nil), g.list...)
			require.NoError(t, g.Close())
			for i, idx := range members {
				_, err := idx.Len()
				require.ErrorIs(t, err, ErrClosed, "Close closes shard %d that OpenIndexes opened", i)
			}
			_, _, err = g.Search(s.queries[0], k)
			require.ErrorIs(t, err, ErrClosed)
		})
	}

	_, err = OpenIndexes(nil, true)
	require.ErrorIs(t, err, ErrInvalidArgument)
	missing := filepath.Join(dir, "missing.usearch")
	_, err = OpenIndexes(append(paths[:1:1], missing), true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), missing)
	other := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: Cosine})
	require.NoError(t, other.Add(1, s.rows[0]))
	otherPath := filepath.Join(dir, "other.usearch")
	require.NoError(t, other.Save(otherPath))
	_, err = OpenIndexes([]string{paths[0], otherPath}, false)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "index 1 has")
}

// TestIndexesConcurrent searches while members gain vectors and the group is closed
// (-race): every call either answers or returns ErrClosed.
func TestIndexesConcurrent(t *testing.T) {
	const n, dims, k = 1200, 12, 5
	s := newShardSet(t, 34, n, dims, 2, IndexConfig{Dimensions: dims, Metric: L2sq})
	g, err := NewIndexes(s.shards...)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				q := s.queries[(i+w)%len(s.queries)]
				var err error
				switch i % 3 {
				case 0:
					_, _, err = g.Search(q, k)
				case 1:
					_, _, err = g.FilteredSearch(q, k, func(key Key) bool { return key%3 != 0 })
				default:
					_, err = g.SearchBatch(context.Background(), flatRows(s.queries[:4]), k, &BatchOptions{Threads: 2})
				}
				if err != nil {
					if !assert.ErrorIs(t, err, ErrClosed) {
						errs <- err
					}
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 300 {
			if err := s.shards[i%2].Add(Key(n+i), s.rows[i]); err != nil {
				errs <- err
				return
			}
		}
		require.NoError(t, g.Close())
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
