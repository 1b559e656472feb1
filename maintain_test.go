//go:build cgo

package usearch

// Whole-index operations (maintain.go): Clear/Reset, Keys/All, Clone, Stats and Compact.
// toolkitData, l2sq64 and l1 are shared with the other white-box tests.

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toolkitData is a clustered data set (so that neighbours are not all equidistant) with
// its vectors by key.
func toolkitData(rng *rand.Rand, n, dims int) [][]float32 {
	centers := make([][]float32, 16)
	for c := range centers {
		centers[c] = make([]float32, dims)
		for j := range centers[c] {
			centers[c][j] = float32(rng.NormFloat64() * 3)
		}
	}
	rows := make([][]float32, n)
	for i := range rows {
		c := centers[rng.Intn(len(centers))]
		rows[i] = make([]float32, dims)
		for j := range rows[i] {
			rows[i][j] = c[j] + float32(rng.NormFloat64())
		}
	}
	return rows
}

func l2sq64(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

func l1(a, b []float32) float32 {
	s := float32(0)
	for i := range a {
		s += float32(math.Abs(float64(a[i] - b[i])))
	}
	return s
}

// live vectors by key.
func filled(t *testing.T, conf IndexConfig, rows [][]float32) (*Index, map[Key][]float32) {
	t.Helper()
	idx := newTestIndex(t, conf)
	live := map[Key][]float32{}
	for i, r := range rows {
		require.NoError(t, idx.Add(Key(i), r))
		live[Key(i)] = r
	}
	for i := 0; i < len(rows); i += 3 {
		require.NoError(t, idx.Remove(Key(i)))
		delete(live, Key(i))
	}
	return idx, live
}

func TestClearAndReset(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	rows := toolkitData(rng, 3000, 32)
	idx, _ := filled(t, IndexConfig{Dimensions: 32, Metric: L2sq, ExpansionSearch: 90}, rows)
	require.NoError(t, idx.ChangeExpansionAdd(77))
	before, err := idx.MemoryUsage()
	require.NoError(t, err)

	require.NoError(t, idx.Clear())
	assert.Equal(t, uint(0), mustLen(t, idx))
	keys, _, err := idx.Search(rows[1], 5)
	require.NoError(t, err)
	assert.Empty(t, keys)
	ok, err := idx.Contains(1)
	require.NoError(t, err)
	assert.False(t, ok)
	kept, err := idx.MemoryUsage()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, kept, before*9/10, "Clear keeps the allocations")
	ea, _ := idx.ExpansionAdd()
	es, _ := idx.ExpansionSearch()
	assert.Equal(t, []uint{77, 90}, []uint{ea, es})

	// Refilling after Clear reuses the memory and works as new.
	for i, r := range rows[:2000] {
		require.NoError(t, idx.Add(Key(i), r))
	}
	refilled, _ := idx.MemoryUsage()
	assert.LessOrEqual(t, refilled, before*11/10)
	keys, _, err = idx.Search(rows[5], 1)
	require.NoError(t, err)
	assert.Equal(t, []Key{5}, keys)

	require.NoError(t, idx.Reset())
	assert.Equal(t, uint(0), mustLen(t, idx))
	after, _ := idx.MemoryUsage()
	assert.Less(t, after, before/4, "Reset frees the memory")
	ea, _ = idx.ExpansionAdd()
	assert.Equal(t, uint(77), ea)
	require.NoError(t, idx.Add(7, rows[7]))
	keys, _, err = idx.Search(rows[7], 3)
	require.NoError(t, err)
	assert.Equal(t, []Key{7}, keys)

	require.NoError(t, idx.Close())
	require.ErrorIs(t, idx.Clear(), ErrClosed)
	require.ErrorIs(t, idx.Reset(), ErrClosed)
}

func TestKeysAndAll(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	rows := toolkitData(rng, 2500, 8)
	idx, live := filled(t, IndexConfig{Dimensions: 8, Metric: L2sq}, rows)
	got := map[Key]int{}
	for k := range idx.Keys() {
		got[k]++
	}
	assert.Len(t, got, len(live))
	for k, n := range got {
		assert.Equal(t, 1, n, "key %d", k)
		assert.Contains(t, live, k)
	}
	seen := 0
	for k, v := range idx.All() {
		seen++
		assert.Equal(t, live[k], v, "key %d", k)
	}
	assert.Equal(t, len(live), seen)
	// Breaking out stops the iteration.
	n := 0
	for range idx.Keys() {
		n++
		if n == 10 {
			break
		}
	}
	assert.Equal(t, 10, n)

	// Multi: each key once from Keys, each vector once from All; converted to T.
	m, err := NewIndexOf[float64](IndexConfig{Dimensions: 8, Metric: L2sq, Multi: true})
	require.NoError(t, err)
	defer m.Close()
	want := map[Key][][]float64{}
	for i, r := range rows[:600] {
		v := make([]float64, 8)
		for j := range r {
			v[j] = float64(r[j])
		}
		k := Key(i % 200)
		require.NoError(t, m.Add(k, v))
		want[k] = append(want[k], v)
	}
	keys := []Key{}
	for k := range m.Keys() {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	require.Len(t, keys, 200)
	for i, k := range keys {
		assert.Equal(t, Key(i), k)
	}
	vectors := map[Key][][]float64{}
	for k, v := range m.All() {
		vectors[k] = append(vectors[k], v)
	}
	for k, vs := range want {
		assert.ElementsMatch(t, vs, vectors[k], "key %d", k)
	}

	require.NoError(t, idx.Close())
	for range idx.Keys() {
		t.Fatal("a closed index yields nothing")
	}
	for range idx.All() {
		t.Fatal("a closed index yields nothing")
	}
}

func TestStats(t *testing.T) {
	rng := rand.New(rand.NewSource(15))
	rows := toolkitData(rng, 3000, 16)
	idx := newTestIndex(t, IndexConfig{Dimensions: 16, Metric: L2sq})
	s, err := idx.Stats()
	require.NoError(t, err)
	assert.Equal(t, IndexStats{MaxLevel: -1, LevelNodes: []uint{}, LevelEdges: []uint{}, MemoryBytes: s.MemoryBytes}, s)
	for i, r := range rows {
		require.NoError(t, idx.Add(Key(i), r))
	}
	for i := 0; i < 1000; i++ {
		require.NoError(t, idx.Remove(Key(i)))
	}
	s, err = idx.Stats()
	require.NoError(t, err)
	assert.Equal(t, uint(3000), s.Nodes)
	assert.Equal(t, uint(1000), s.Removed)
	require.Len(t, s.LevelNodes, s.MaxLevel+1)
	require.Len(t, s.LevelEdges, s.MaxLevel+1)
	assert.Equal(t, s.Nodes, s.LevelNodes[0])
	sum := uint(0)
	for l := range s.LevelNodes {
		if l > 0 {
			assert.LessOrEqual(t, s.LevelNodes[l], s.LevelNodes[l-1])
		}
		assert.LessOrEqual(t, s.LevelEdges[l], s.LevelNodes[l]*32)
		sum += s.LevelEdges[l]
	}
	assert.Equal(t, s.Edges, sum)
	assert.Greater(t, s.Edges, s.Nodes*4, "a connected graph has several edges per node")
	assert.GreaterOrEqual(t, s.LevelNodes[s.MaxLevel], uint(1))
	assert.Greater(t, s.MaxLevel, 0, "3000 nodes span several levels")
	mem, _ := idx.MemoryUsage()
	assert.InDelta(t, float64(mem), float64(s.MemoryBytes), float64(mem)/100)
}

// recallAt10 measures Search against SearchExact (the same metric over the same content).
func recallAt10(t *testing.T, idx *Index, queries [][]float32) float64 {
	t.Helper()
	hit, total := 0, 0
	for _, q := range queries {
		truth, _, err := idx.SearchExact(q, 10)
		require.NoError(t, err)
		got, _, err := idx.Search(q, 10)
		require.NoError(t, err)
		in := map[Key]bool{}
		for _, k := range got {
			in[k] = true
		}
		for _, k := range truth {
			if in[k] {
				hit++
			}
		}
		total += len(truth)
	}
	return float64(hit) / float64(total)
}

func TestCompact(t *testing.T) {
	rng := rand.New(rand.NewSource(16))
	const n, dims = 4000, 24
	rows := toolkitData(rng, n, dims)
	// A narrow search beam keeps recall below 1, so that a damaged graph would show.
	conf := IndexConfig{Dimensions: dims, Metric: L2sq, Connectivity: 8, ExpansionSearch: 10}
	idx := newTestIndex(t, conf)
	for i, r := range rows {
		require.NoError(t, idx.Add(Key(i), r))
	}
	live := map[Key][]float32{}
	for i, r := range rows {
		if rng.Intn(2) == 0 {
			require.NoError(t, idx.Remove(Key(i)))
		} else {
			live[Key(i)] = r
		}
	}
	queries := make([][]float32, 100)
	for i := range queries {
		q := append([]float32(nil), rows[rng.Intn(n)]...)
		for j := range q {
			q[j] += float32(rng.NormFloat64() * 0.3)
		}
		queries[i] = q
	}
	before := recallAt10(t, idx, queries)
	memBefore, _ := idx.MemoryUsage()
	fileBefore, _ := idx.SerializedLength()

	require.NoError(t, idx.Compact(context.Background()))

	s, err := idx.Stats()
	require.NoError(t, err)
	assert.Equal(t, uint(0), s.Removed)
	assert.Equal(t, uint(len(live)), s.Nodes)
	assert.Equal(t, uint(len(live)), mustLen(t, idx))
	for k, v := range live {
		got, err := idx.Get(k, 1)
		require.NoError(t, err)
		require.Equal(t, v, got, "key %d", k)
	}
	after := recallAt10(t, idx, queries)
	fresh := newTestIndex(t, conf)
	for k, v := range live {
		require.NoError(t, fresh.Add(k, v))
	}
	rebuilt := recallAt10(t, fresh, queries)
	fs, _ := fresh.Stats()
	t.Logf("recall@10 before %.4f, after %.4f, fresh build of the survivors %.4f; edges %d, fresh %d", before, after, rebuilt, s.Edges, fs.Edges)
	assert.GreaterOrEqual(t, after, rebuilt-0.03)
	assert.GreaterOrEqual(t, after, before-0.03)
	memAfter, _ := idx.MemoryUsage()
	fileAfter, _ := idx.SerializedLength()
	t.Logf("memory %d -> %d, file %d -> %d", memBefore, memAfter, fileBefore, fileAfter)
	assert.Less(t, memAfter, memBefore) // at this size the arena's 1 MiB chunks dominate
	assert.Less(t, fileAfter, fileBefore*6/10)

	// Saved and loaded: no removed entry in the file, same answers.
	path := t.TempDir() + "/compacted.usearch"
	require.NoError(t, idx.Save(path))
	loaded := newTestIndex(t, conf)
	require.NoError(t, loaded.Load(path))
	ls, err := loaded.Stats()
	require.NoError(t, err)
	assert.Equal(t, uint(0), ls.Removed)
	assert.Equal(t, s.Nodes, ls.Nodes)
	assert.Equal(t, s.Edges, ls.Edges)
	for _, q := range queries[:10] {
		a, _, _ := idx.Search(q, 10)
		b, _, _ := loaded.Search(q, 10)
		assert.Equal(t, a, b)
	}
	// Afterwards the index is an ordinary one: adds and removes work.
	require.NoError(t, idx.Add(Key(n+1), rows[0]))
	keys, _, err := idx.Search(rows[0], 1)
	require.NoError(t, err)
	assert.Contains(t, []Key{0, Key(n + 1)}, keys[0])
	require.NoError(t, idx.Compact(context.Background())) // nothing removed: a renumbered copy
	assert.Equal(t, uint(len(live)+1), mustLen(t, idx))

	require.NoError(t, idx.Close())
	require.ErrorIs(t, idx.Compact(context.Background()), ErrClosed)
}

func TestCompactEdgeCases(t *testing.T) {
	rng := rand.New(rand.NewSource(17))
	rows := toolkitData(rng, 600, 8)
	// Everything removed: an empty index that accepts adds again.
	idx := newTestIndex(t, IndexConfig{Dimensions: 8, Metric: L2sq})
	for i, r := range rows {
		require.NoError(t, idx.Add(Key(i), r))
	}
	for i := range rows {
		require.NoError(t, idx.Remove(Key(i)))
	}
	require.NoError(t, idx.Compact(context.Background()))
	s, _ := idx.Stats()
	assert.Equal(t, IndexStats{MaxLevel: -1, LevelNodes: []uint{}, LevelEdges: []uint{}, MemoryBytes: s.MemoryBytes}, s)
	require.NoError(t, idx.Add(1, rows[1]))
	keys, _, _ := idx.Search(rows[1], 1)
	assert.Equal(t, []Key{1}, keys)
	// An empty index.
	empty := newTestIndex(t, IndexConfig{Dimensions: 8})
	require.NoError(t, empty.Compact(context.Background()))

	// Multi with a Go metric: every vector of every key stays; the metric runs on the
	// core's threads.
	m, err := NewIndexOf[float32](IndexConfig{Dimensions: 8, Metric: L2sq, Multi: true})
	require.NoError(t, err)
	defer m.Close()
	require.NoError(t, m.ChangeMetric(func(a, b []float32) float32 { return float32(l2sq64(a, b)) }))
	for i, r := range rows {
		require.NoError(t, m.Add(Key(i%150), r))
	}
	for k := Key(0); k < 150; k += 2 {
		require.NoError(t, m.Remove(k))
	}
	require.NoError(t, m.Compact(context.Background()))
	s, _ = m.Stats()
	assert.Equal(t, uint(300), s.Nodes)
	assert.Equal(t, uint(0), s.Removed)
	for k := Key(1); k < 150; k += 2 {
		c, _ := m.Count(k)
		assert.Equal(t, uint(4), c, "key %d", k)
	}

	// A view cannot be compacted.
	path := t.TempDir() + "/v.usearch"
	require.NoError(t, idx.Save(path))
	v := newTestIndex(t, IndexConfig{Dimensions: 8})
	require.NoError(t, v.View(path))
	require.ErrorIs(t, v.Compact(context.Background()), ErrReadOnly)
}

func TestCompactCancelled(t *testing.T) {
	rng := rand.New(rand.NewSource(18))
	rows := toolkitData(rng, 3000, 16)
	idx, live := filled(t, IndexConfig{Dimensions: 16, Metric: L2sq}, rows)
	before, _ := idx.Stats()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := idx.Compact(ctx)
	require.ErrorIs(t, err, context.Canceled)

	// Cancelled while it runs: the metric cancels on its first call and waits a little so
	// that the core sees the flag before it is done.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	require.NoError(t, idx.ChangeMetric(func(a, b []float32) float32 {
		once.Do(func() { cancel(); time.Sleep(20 * time.Millisecond) })
		return float32(l2sq64(a, b))
	}))
	err = idx.Compact(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "unchanged")
	after, _ := idx.Stats()
	before.MemoryBytes, after.MemoryBytes = 0, 0 // the core's threads leave scratch behind
	assert.Equal(t, before, after, "a cancelled Compact leaves the index as it was")
	for k, v := range live {
		keys, _, err := idx.Search(v, 1)
		require.NoError(t, err)
		if len(keys) == 1 && keys[0] == k {
			continue
		}
		got, _ := idx.Get(k, 1)
		require.Equal(t, v, got)
	}
	require.NoError(t, idx.Compact(context.Background()))
	s, _ := idx.Stats()
	assert.Equal(t, uint(len(live)), s.Nodes)
}

func TestClone(t *testing.T) {
	rng := rand.New(rand.NewSource(19))
	rows := toolkitData(rng, 2000, 16)
	idx, live := filled(t, IndexConfig{Dimensions: 16, Metric: L2sq}, rows)
	require.NoError(t, idx.ChangeExpansionSearch(33))
	require.NoError(t, idx.ChangeMetric(l1))
	c, err := idx.Clone()
	require.NoError(t, err)
	defer c.Close()

	a, _ := idx.Stats()
	b, _ := c.Stats()
	a.MemoryBytes, b.MemoryBytes = 0, 0
	assert.Equal(t, a, b, "same graph, removed nodes included")
	es, _ := c.ExpansionSearch()
	assert.Equal(t, uint(33), es)
	for _, q := range rows[:20] {
		k1, d1, err := idx.Search(q, 10)
		require.NoError(t, err)
		k2, d2, err := c.Search(q, 10)
		require.NoError(t, err)
		assert.Equal(t, k1, k2)
		assert.Equal(t, d1, d2)
		assert.InDelta(t, float64(l1(q, live[k2[0]])), float64(d2[0]), 1e-3, "the Go metric carried over")
	}

	// Independent: changes to one do not reach the other, nor does closing it.
	require.NoError(t, idx.Remove(1))
	require.NoError(t, c.Add(100000, rows[0]))
	require.NoError(t, idx.ChangeExpansionSearch(12))
	ok, _ := c.Contains(1)
	assert.True(t, ok)
	ok, _ = idx.Contains(100000)
	assert.False(t, ok)
	es, _ = c.ExpansionSearch()
	assert.Equal(t, uint(33), es)
	require.NoError(t, idx.Close())
	keys, dists, err := c.SearchExact(rows[2], 1)
	require.NoError(t, err)
	assert.Equal(t, []Key{2}, keys)
	assert.Equal(t, []float32{0}, dists)
	n := 0
	for k, v := range c.All() {
		n++
		if k != 100000 {
			require.Equal(t, live[k], v)
		}
	}
	assert.Equal(t, len(live)+1, n)
	_, err = idx.Clone()
	require.ErrorIs(t, err, ErrClosed)

	// A typed index, cloned from a view: the copy owns its memory and is writable.
	path := t.TempDir() + "/c.usearch"
	require.NoError(t, c.Save(path))
	v, err := NewIndexOf[float32](IndexConfig{Dimensions: 16})
	require.NoError(t, err)
	defer v.Close()
	require.NoError(t, v.View(path))
	vc, err := v.Clone()
	require.NoError(t, err)
	defer vc.Close()
	require.NoError(t, v.Close())
	require.NoError(t, vc.Add(200000, rows[3]))
	assert.Equal(t, uint(len(live)+2), mustLen(t, vc))
}

// TestKeysDuringWrites iterates while other goroutines add, remove and re-add keys and
// Compact renumbers everything: every key present throughout is yielded, none twice.
func TestKeysDuringWrites(t *testing.T) {
	rng := rand.New(rand.NewSource(20))
	const stable, churn, dims = 1500, 500, 8
	rows := toolkitData(rng, stable+churn, dims)
	idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq, Connectivity: 8, ExpansionAdd: 32})
	for i := 0; i < stable; i++ {
		require.NoError(t, idx.Add(Key(i), rows[i]))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for round := 0; ; round++ {
				for i := stable + w; i < stable+churn; i += 2 {
					select {
					case <-stop:
						return
					default:
					}
					var err error
					if round%2 == 0 {
						err = idx.Add(Key(i), rows[i])
					} else {
						err = idx.Remove(Key(i))
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := idx.Compact(context.Background()); err != nil {
				errs <- err
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for pass := 0; pass < 4; pass++ {
		seen := map[Key]int{}
		for k := range idx.Keys() {
			seen[k]++
		}
		for k, n := range seen {
			require.Equal(t, 1, n, "key %d yielded %d times", k, n)
			require.Less(t, k, Key(stable+churn))
		}
		for k := Key(0); k < stable; k++ {
			require.Contains(t, seen, k)
		}
		vectors := 0
		for k, v := range idx.All() {
			if k < stable {
				require.Equal(t, rows[k], v)
				vectors++
			}
		}
		require.Equal(t, stable, vectors)
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

// TestCompactDuringSearches compacts while searches run: every answer holds only live keys,
// closest first, and searching for a stored vector finds it.
func TestCompactDuringSearches(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	const n, dims = 3000, 16
	rows := toolkitData(rng, n, dims)
	idx, live := filled(t, IndexConfig{Dimensions: dims, Metric: L2sq}, rows)
	liveKeys := make([]Key, 0, len(live))
	for k := range live {
		liveKeys = append(liveKeys, k)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var searches, found atomic.Int64
	errs := make(chan error, 8)
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(g)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := liveKeys[r.Intn(len(liveKeys))]
				keys, dists, err := idx.Search(live[k], 5)
				if err != nil {
					errs <- err
					return
				}
				searches.Add(1)
				for i, key := range keys {
					if _, ok := live[key]; !ok && key < n { // keys from n on are the writer's
						errs <- fmt.Errorf("search returned key %d, which is not live", key)
						return
					}
					if i > 0 && dists[i] < dists[i-1] {
						errs <- fmt.Errorf("distances out of order: %v", dists)
						return
					}
				}
				if len(keys) > 0 && keys[0] == k {
					found.Add(1)
				}
			}
		}(g)
	}
	// A writer waits for each Compact and then goes on.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			key := Key(n + i)
			if err := idx.Add(key, rows[i%n]); err != nil {
				errs <- err
				return
			}
			if err := idx.Remove(key); err != nil {
				errs <- err
				return
			}
		}
	}()
	for round := 0; round < 3; round++ {
		require.NoError(t, idx.Compact(context.Background()))
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	require.Greater(t, searches.Load(), int64(0))
	assert.Greater(t, float64(found.Load()), 0.95*float64(searches.Load()), "a stored vector finds itself")
	s, _ := idx.Stats()
	assert.Equal(t, uint(len(live)), mustLen(t, idx))
	assert.LessOrEqual(t, s.Removed, uint(1), "the writer's last removal may follow the last Compact")
}
