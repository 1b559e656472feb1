//go:build cgo

package usearch

// AddBatch and SearchBatch: results, progress, cancellation, and every bad batch.

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func flatRows(rows [][]float32) []float32 {
	out := make([]float32, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func seqKeys(n int, offset Key) []Key {
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = offset + Key(i)
	}
	return keys
}

// progressLog records Progress calls and fails the test if two of them overlap.
type progressLog struct {
	busy  atomic.Bool
	calls [][2]int // written only by the (single) calling goroutine; -race checks that
}

func (p *progressLog) record(t *testing.T) func(done, total int) {
	return func(done, total int) {
		if !p.busy.CompareAndSwap(false, true) {
			t.Error("Progress called concurrently")
		}
		p.calls = append(p.calls, [2]int{done, total})
		p.busy.Store(false)
	}
}

// check asserts the documented contract: done never decreases, no step exceeds 1% of
// the rows (or one row), and the last call reports want rows done.
func (p *progressLog) check(t *testing.T, total, want int) {
	t.Helper()
	p.checkSteps(t, total, want, max(1, total/100))
}

// checkExact is check for an exact SearchBatch, which reports per block of exactBlock
// queries when that is more than 1%.
func (p *progressLog) checkExact(t *testing.T, total, want int) {
	t.Helper()
	p.checkSteps(t, total, want, max(exactBlock, total/100))
}

func (p *progressLog) checkSteps(t *testing.T, total, want, step int) {
	t.Helper()
	require.NotEmpty(t, p.calls)
	prev := 0
	for _, c := range p.calls {
		require.Equal(t, total, c[1])
		require.GreaterOrEqual(t, c[0], prev, "done decreased")
		require.LessOrEqual(t, c[0]-prev, step, "a step beyond %d of %d rows", step, total)
		prev = c[0]
	}
	require.Equal(t, want, prev, "the last call reports what was done")
}

func TestAddBatchMatchesAddAndSearch(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	const n, dims, k = 3000, 24, 10
	rows := toolkitData(rng, n, dims)
	flat := flatRows(rows)
	for _, threads := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq})
			var log progressLog
			keys := seqKeys(n, 1000)
			require.NoError(t, idx.AddBatch(context.Background(), keys, flat, &BatchOptions{Threads: threads, Progress: log.record(t)}))
			log.check(t, n, n)
			require.Equal(t, uint(n), mustLen(t, idx))
			for i := 0; i < n; i += 97 {
				got, err := idx.Get(keys[i], 1)
				require.NoError(t, err)
				require.Equal(t, rows[i], got, "row %d", i)
			}

			queries := toolkitData(rng, 200, dims)
			qflat := flatRows(queries)
			m, err := idx.SearchBatch(context.Background(), qflat, k, &BatchOptions{Threads: threads})
			require.NoError(t, err)
			require.Equal(t, len(queries), m.Len())
			require.Equal(t, k, m.Limit)
			live := map[Key][]float32{}
			for i, r := range rows {
				live[keys[i]] = r
			}
			hits := 0
			for i, q := range queries {
				gotKeys, gotDists := m.At(i)
				wantKeys, wantDists, err := idx.Search(q, k)
				require.NoError(t, err)
				// The graph is fixed, so a batch row is exactly the single search.
				require.Equal(t, wantKeys, gotKeys, "row %d", i)
				require.Equal(t, wantDists, gotDists, "row %d", i)
				exactKeys, _, err := idx.SearchExact(q, k)
				require.NoError(t, err)
				for _, key := range exactKeys {
					for _, g := range gotKeys {
						if g == key {
							hits++
						}
					}
				}
			}
			recall := float64(hits) / float64(k*len(queries))
			assert.GreaterOrEqual(t, recall, 0.9, "recall@%d of a batch-built index", k)

			var slog progressLog
			exact, err := idx.SearchBatch(context.Background(), qflat, k, &BatchOptions{Threads: threads, Exact: true, Progress: slog.record(t)})
			require.NoError(t, err)
			slog.checkExact(t, len(queries), len(queries))
			for i, q := range queries {
				gotKeys, gotDists := exact.At(i)
				checkExactAnswer(t, live, l2sq64, q, k, gotKeys, gotDists)
			}
		})
	}
}

func TestMatchesAtIsCapped(t *testing.T) {
	m := &Matches{Keys: []Key{1, 2, 0, 3, 4, 5}, Distances: []float32{.1, .2, 0, .3, .4, .5}, Counts: []int{2, 3}, Limit: 3}
	keys, dists := m.At(0)
	assert.Equal(t, []Key{1, 2}, keys)
	assert.Equal(t, []float32{.1, .2}, dists)
	_ = append(keys, 99)
	_ = append(dists, 99)
	k1, d1 := m.At(1)
	assert.Equal(t, []Key{3, 4, 5}, k1, "appending to row 0 must not overwrite row 1")
	assert.Equal(t, []float32{.3, .4, .5}, d1)
	assert.Equal(t, 2, m.Len())
}

func TestBatchEdges(t *testing.T) {
	ctx := context.Background()
	idx := newTestIndex(t, IndexConfig{Dimensions: 4, Metric: L2sq})
	var log progressLog
	require.NoError(t, idx.AddBatch(ctx, nil, nil, &BatchOptions{Progress: log.record(t)}))
	assert.Equal(t, [][2]int{{0, 0}}, log.calls, "an empty batch reports its end once")
	m, err := idx.SearchBatch(ctx, []float32{1, 2, 3, 4}, 5, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, m.Len())
	assert.Equal(t, 0, m.Limit, "an empty index clamps the limit to 0")
	assert.Equal(t, []int{0}, m.Counts)

	require.NoError(t, idx.AddBatch(ctx, []Key{1, 2, 3}, []float32{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}, nil))
	m, err = idx.SearchBatch(ctx, []float32{0, 0, 0, 0.1, 2, 2, 2, 2}, 10, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, m.Limit, "the limit is clamped to the content")
	k0, _ := m.At(0)
	k1, d1 := m.At(1)
	assert.Equal(t, []Key{1, 2, 3}, k0)
	assert.Equal(t, []Key{3, 2, 1}, k1)
	assert.Equal(t, float32(0), d1[0])
	m, err = idx.SearchBatch(ctx, []float32{0, 0, 0, 0}, 0, nil)
	require.NoError(t, err)
	assert.Equal(t, []int{0}, m.Counts)
	m, err = idx.SearchBatch(ctx, nil, 3, nil)
	require.NoError(t, err)
	assert.Equal(t, 0, m.Len())

	_, err = idx.SearchBatch(ctx, []float32{1, 2, 3, 4, 5}, 3, nil)
	require.ErrorIs(t, err, ErrDimensionMismatch)
	assert.Contains(t, err.Error(), "row 1 has 1 of 4 elements")
	_, err = idx.SearchBatch(ctx, []float32{1, 2, 3, 4}, 3, &BatchOptions{Threads: -1})
	require.ErrorIs(t, err, ErrInvalidArgument)
	require.ErrorIs(t, idx.AddBatch(ctx, []Key{9}, []float32{1, 2, 3, 4}, &BatchOptions{Threads: -2}), ErrInvalidArgument)
	assert.Equal(t, uint(3), mustLen(t, idx))

	require.NoError(t, idx.Close())
	require.ErrorIs(t, idx.AddBatch(ctx, []Key{9}, []float32{1, 2, 3, 4}, nil), ErrClosed)
	_, err = idx.SearchBatch(ctx, []float32{1, 2, 3, 4}, 3, nil)
	require.ErrorIs(t, err, ErrClosed)
}

// TestAddBatchBadBatches checks every rejected batch: the sentinel, the first bad row in
// the message, and that nothing was added.
// withValue returns v with element i set to x.
func withValue(v []float32, i int, x float32) []float32 {
	v[i] = x
	return v
}

func TestAddBatchBadBatches(t *testing.T) {
	const dims = 3
	vec := func(rows int) []float32 {
		out := make([]float32, rows*dims)
		for i := range out {
			out[i] = float32(i%7) + 1
		}
		return out
	}
	reserved := ^Key(0)
	cases := []struct {
		name  string
		multi bool
		keys  []Key
		vecs  []float32
		kind  error
		row   int
		extra string
	}{
		{"partial row", false, seqKeys(3, 100), vec(3)[:8], ErrDimensionMismatch, 2, "2 of 3 elements"},
		{"fewer keys", false, seqKeys(2, 100), vec(3), ErrInvalidArgument, 2, "2 keys for 3 rows"},
		{"more keys", false, seqKeys(4, 100), vec(3), ErrInvalidArgument, 3, "4 keys for 3 rows"},
		{"reserved key", false, []Key{100, 101, 102, reserved}, vec(4), ErrReservedKey, 3, "reserved"},
		{"reserved key in multi", true, []Key{100, reserved}, vec(2), ErrReservedKey, 1, "reserved"},
		{"repeated in batch", false, []Key{100, 101, 102, 103, 101}, vec(5), ErrDuplicateKey, 4, "repeats row 1"},
		{"already present", false, []Key{100, 101, 7, 102}, vec(4), ErrDuplicateKey, 2, "already in the index"},
		{"first bad row wins", false, []Key{100, 7, 101, reserved}, vec(4), ErrDuplicateKey, 1, "already"},
		{"first bad row wins (reserved)", false, []Key{100, reserved, 7, 7}, vec(4), ErrReservedKey, 1, "reserved"},
		{"NaN element", false, seqKeys(4, 100), withValue(vec(4), 2*dims+1, float32(math.NaN())), ErrInvalidArgument, 2, "NaN"},
		{"infinite element", false, seqKeys(4, 100), withValue(vec(4), 3*dims, float32(math.Inf(-1))), ErrInvalidArgument, 3, "Inf"},
		{"first bad row wins (NaN)", false, []Key{100, 101, 7}, withValue(vec(3), 0, float32(math.NaN())), ErrInvalidArgument, 0, "NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq, Multi: c.multi})
			require.NoError(t, idx.Add(7, []float32{1, 2, 3}))
			var log progressLog
			err := idx.AddBatch(context.Background(), c.keys, c.vecs, &BatchOptions{Progress: log.record(t)})
			require.ErrorIs(t, err, c.kind)
			assert.Contains(t, err.Error(), fmt.Sprintf("row %d", c.row))
			assert.Contains(t, err.Error(), c.extra)
			assert.Equal(t, uint(1), mustLen(t, idx), "nothing added")
			for _, k := range c.keys {
				if k != 7 && k != reserved {
					n, err := idx.Count(k)
					require.NoError(t, err)
					assert.Zero(t, n, "key %d", k)
				}
			}
			assert.Empty(t, log.calls, "a rejected batch does not start")
		})
	}

	// Multi allows repeated and present keys.
	idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq, Multi: true})
	require.NoError(t, idx.Add(7, []float32{1, 2, 3}))
	require.NoError(t, idx.AddBatch(context.Background(), []Key{7, 8, 7}, vec(3), nil))
	n, err := idx.Count(7)
	require.NoError(t, err)
	assert.Equal(t, uint(3), n)

	// A viewed index is read-only: the batch fails before adding anything.
	path := filepath.Join(t.TempDir(), "view.usearch")
	require.NoError(t, idx.Save(path))
	viewed := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq, Multi: true})
	require.NoError(t, viewed.View(path))
	err = viewed.AddBatch(context.Background(), []Key{50, 51}, vec(2), nil)
	require.ErrorIs(t, err, ErrReadOnly)
	assert.Equal(t, uint(4), mustLen(t, viewed))
	require.NoError(t, os.Remove(path))
}

// TestAddBatchRowFailure: a row failing while the batch runs stops it with that row's
// sentinel and row number; the rows before it stay.
func TestAddBatchRowFailure(t *testing.T) {
	const dims, n, bad = 4, 50, 17
	idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq})
	require.NoError(t, idx.ChangeMetric(func(a, b []float32) float32 {
		if a[0] == 999 || b[0] == 999 {
			panic("marked vector")
		}
		return float32(l2sq64(a, b))
	}))
	vecs := make([]float32, n*dims)
	for i := range vecs {
		vecs[i] = float32(i % 11)
	}
	vecs[bad*dims] = 999
	err := idx.AddBatch(context.Background(), seqKeys(n, 0), vecs, &BatchOptions{Threads: 1})
	require.ErrorIs(t, err, ErrCallback)
	assert.Contains(t, err.Error(), fmt.Sprintf("row %d", bad))
	assert.Contains(t, err.Error(), "marked vector")
	assert.Contains(t, err.Error(), fmt.Sprintf("%d of %d rows added", bad, n))
	assert.Equal(t, uint(bad), mustLen(t, idx), "one thread adds rows in order: those before the bad one stay")
	for k := range Key(bad) {
		ok, err := idx.Contains(k)
		require.NoError(t, err)
		assert.True(t, ok, "key %d", k)
	}
}

var doneRe = regexp.MustCompile(`after (\d+) of (\d+) rows`)

func doneOf(t *testing.T, err error) int {
	t.Helper()
	m := doneRe.FindStringSubmatch(err.Error())
	require.NotNil(t, m, "error %q says how many rows were done", err)
	done, _ := strconv.Atoi(m[1])
	return done
}

func TestBatchCancellation(t *testing.T) {
	rng := rand.New(rand.NewSource(22))
	const n, dims = 10000, 16
	flat := flatRows(toolkitData(rng, n, dims))
	keys := seqKeys(n, 0)

	t.Run("already cancelled", func(t *testing.T) {
		idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var log progressLog
		err := idx.AddBatch(ctx, keys, flat, &BatchOptions{Progress: log.record(t)})
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 0, doneOf(t, err))
		assert.Equal(t, uint(0), mustLen(t, idx))
		assert.Equal(t, [][2]int{{0, n}}, log.calls)
		_, err = idx.SearchBatch(ctx, flat[:10*dims], 3, nil)
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("add", func(t *testing.T) {
		for _, threads := range []int{1, 2} {
			idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq})
			ctx, cancel := context.WithCancel(context.Background())
			var log progressLog
			record := log.record(t)
			err := idx.AddBatch(ctx, keys, flat, &BatchOptions{Threads: threads, Progress: func(done, total int) {
				record(done, total)
				if done >= total/10 {
					cancel()
				}
			}})
			cancel()
			require.ErrorIs(t, err, context.Canceled)
			done := doneOf(t, err)
			assert.Less(t, done, n, "cancellation stopped the batch")
			assert.GreaterOrEqual(t, done, n/10)
			log.check(t, n, done)
			assert.Equal(t, uint(done), mustLen(t, idx), "every row reported done is in the index")
			// The rows added are usable, and the others can be added afterwards.
			var rest []Key
			var restVecs []float32
			for i, k := range keys {
				ok, err := idx.Contains(k)
				require.NoError(t, err)
				if !ok {
					rest = append(rest, k)
					restVecs = append(restVecs, flat[i*dims:(i+1)*dims]...)
				}
			}
			require.Len(t, rest, n-done)
			require.NoError(t, idx.AddBatch(context.Background(), rest, restVecs, &BatchOptions{Threads: threads}))
			assert.Equal(t, uint(n), mustLen(t, idx))
		}
	})

	t.Run("search", func(t *testing.T) {
		idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq})
		require.NoError(t, idx.AddBatch(context.Background(), keys[:2000], flat[:2000*dims], nil))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var log progressLog
		record := log.record(t)
		m, err := idx.SearchBatch(ctx, flat, 10, &BatchOptions{Exact: true, Progress: func(done, total int) {
			record(done, total)
			if done >= total/20 {
				cancel()
			}
		}})
		require.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, m)
		done := doneOf(t, err)
		assert.Less(t, done, n)
		log.checkExact(t, n, done)
		assert.Contains(t, err.Error(), "rows searched")
	})

	t.Run("deadline", func(t *testing.T) {
		idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq})
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		<-ctx.Done()
		err := idx.AddBatch(ctx, keys, flat, nil)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// TestBatchTyped runs batches through IndexOf for a converted kind and for packed bits.
func TestBatchTyped(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewSource(23))
	t.Run("float64 into F16", func(t *testing.T) {
		const n, dims, k = 600, 12, 5
		idx, err := NewIndexOf[float64](IndexConfig{Dimensions: dims, Metric: Cosine, Quantization: F16})
		require.NoError(t, err)
		defer idx.Close()
		data := make([]float64, n*dims)
		for i := range data {
			data[i] = rng.NormFloat64()
		}
		require.NoError(t, idx.AddBatch(ctx, seqKeys(n, 0), data, &BatchOptions{Threads: 2}))
		m, err := idx.SearchBatch(ctx, data[:50*dims], k, nil)
		require.NoError(t, err)
		ex, err := idx.SearchBatch(ctx, data[:50*dims], k, &BatchOptions{Exact: true})
		require.NoError(t, err)
		for i := range 50 {
			keys, dists := m.At(i)
			want, wantD, err := idx.Search(data[i*dims:(i+1)*dims], k)
			require.NoError(t, err)
			assert.Equal(t, want, keys)
			assert.Equal(t, wantD, dists)
			exKeys, exDists := ex.At(i)
			assert.Equal(t, Key(i), exKeys[0], "a stored vector is its own nearest")
			assert.InDelta(t, 0, exDists[0], 1e-3)
		}
		_, err = idx.SearchBatch(ctx, data[:dims+1], k, nil)
		require.ErrorIs(t, err, ErrDimensionMismatch)
	})
	t.Run("B1x8", func(t *testing.T) {
		const n, dims = 300, 70 // 9 bytes per row, the last one partly padding
		idx, err := NewIndexOf[B1x8](IndexConfig{Dimensions: dims, Metric: Hamming, Quantization: B1})
		require.NoError(t, err)
		defer idx.Close()
		per := (dims + 7) / 8
		data := make([]B1x8, n*per)
		for i := range data {
			data[i] = B1x8(rng.Intn(256))
			if i%per == per-1 {
				data[i] &= 0xFC // dimensions 70 and 71 do not exist
			}
		}
		require.NoError(t, idx.AddBatch(ctx, seqKeys(n, 0), data, nil))
		ex, err := idx.SearchBatch(ctx, data, 1, &BatchOptions{Exact: true})
		require.NoError(t, err)
		for i := range n {
			keys, dists := ex.At(i)
			require.Len(t, keys, 1)
			assert.Equal(t, float32(0), dists[0], "row %d finds itself at distance 0", i)
		}
		err = idx.AddBatch(ctx, seqKeys(2, 1000), data[:2*per-1], nil)
		require.ErrorIs(t, err, ErrDimensionMismatch)
		assert.Contains(t, err.Error(), "row 1 has 8 of 9 elements")
	})
}

// TestBatchConcurrent runs batches against each other and against single calls (-race):
// disjoint batches all land, and a batch racing a conflicting one fails cleanly.
func TestBatchConcurrent(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewSource(24))
	const n, dims, writers = 1500, 16, 3
	flat := flatRows(toolkitData(rng, n*writers, dims))
	idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: Cosine})
	require.NoError(t, idx.AddBatch(ctx, seqKeys(n, 0), flat[:n*dims], nil))
	var wg sync.WaitGroup
	errs := make([]error, writers+2)
	for w := 1; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = idx.AddBatch(ctx, seqKeys(n, Key(w*n)), flat[w*n*dims:(w+1)*n*dims], &BatchOptions{Threads: 2})
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 5 {
			m, err := idx.SearchBatch(ctx, flat[:200*dims], 5, &BatchOptions{Threads: 2})
			if err != nil {
				errs[writers] = err
				return
			}
			for i := range m.Len() {
				if keys, _ := m.At(i); len(keys) == 0 {
					errs[writers] = fmt.Errorf("row %d found nothing", i)
				}
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 200 {
			if _, _, err := idx.Search(flat[i*dims:(i+1)*dims], 3); err != nil {
				errs[writers+1] = err
				return
			}
		}
	}()
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, uint(n*writers), mustLen(t, idx))

	// Two batches with the same new keys race: whichever adds a key first wins it, the
	// other batch stops on a duplicate; every key ends up stored exactly once.
	keys := seqKeys(n, 100000)
	var dupErrs [2]error
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dupErrs[r] = idx.AddBatch(ctx, keys, flat[:n*dims], &BatchOptions{Threads: 2})
		}()
	}
	wg.Wait()
	for _, err := range dupErrs {
		if err != nil {
			require.ErrorIs(t, err, ErrDuplicateKey)
		}
	}
	added := 0
	for _, k := range keys {
		c, err := idx.Count(k)
		require.NoError(t, err)
		require.LessOrEqual(t, c, uint(1))
		added += int(c)
	}
	assert.Equal(t, uint(n*writers+added), mustLen(t, idx))
	assert.True(t, added > 0)
	if dupErrs[0] == nil || dupErrs[1] == nil {
		assert.Equal(t, n, added, "a batch that succeeded added all its keys")
	}
}

// TestExactSearchOneQueryStrides: upstream's binding test passes result strides of one
// element with one query; several queries whose rows would overlap keep a clear error.
func TestExactSearchOneQueryStrides(t *testing.T) {
	const dims, rows, k = 4, 20, 5
	data := make([]float32, rows*dims)
	for i := range data {
		data[i] = float32(math.Sin(float64(i)))
	}
	query := data[3*dims : 4*dims]
	want, wantD, err := ExactSearch(data, query, rows, 1, 0, 0, dims, L2sq, k, 1, 0, 0)
	require.NoError(t, err)
	require.Equal(t, Key(3), want[0])
	for _, strides := range [][2]uint{{8, 4}, {8, 0}, {0, 4}, {3, 1}, {800, 400}} {
		keys, dists, err := ExactSearch(data, query, rows, 1, 0, 0, dims, L2sq, k, 1, strides[0], strides[1])
		require.NoError(t, err, "strides %v", strides)
		assert.Equal(t, want, keys, "strides %v", strides)
		assert.Equal(t, wantD, dists, "strides %v", strides)
		keys8, _, err := ExactSearchI8(make([]int8, rows*dims), make([]int8, dims), rows, 1, 0, 0, dims, L2sq, k, 1, strides[0], strides[1])
		require.NoError(t, err)
		assert.Len(t, keys8, k)
		_, _, err = ExactSearchUnsafe(unsafe.Pointer(&data[0]), unsafe.Pointer(&query[0]), rows, 1, 0, 0, dims, L2sq, F32, k, 1, strides[0], strides[1])
		require.NoError(t, err)
	}
	_, _, err = ExactSearch(data, data[:2*dims], rows, 2, 0, 0, dims, L2sq, k, 1, 8, 4)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "would overlap")
	assert.Contains(t, err.Error(), "resultKeysStride 8")
	_, _, err = ExactSearch(data, data[:2*dims], rows, 2, 0, 0, dims, L2sq, k, 1, 0, 4)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "resultDistancesStride 4")
	_, _, err = ExactSearch(data, data[:2*dims], rows, 2, 0, 0, dims, L2sq, k, 1, 44, 0)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "multiple of 8")
	// Wider-than-dense strides for several queries still work.
	keys, _, err := ExactSearch(data, data[:2*dims], rows, 2, 0, 0, dims, L2sq, k, 1, (k+1)*8, (k+2)*4)
	require.NoError(t, err)
	assert.Equal(t, Key(0), keys[0])
	assert.Equal(t, Key(1), keys[k+1])
}

// TestSearchBatchExactMatchesSearchExact: an exact batch (blocks of queries, one scan of the
// index each) answers every query as SearchExact does: the same distances in the same order,
// and the same keys up to the order of equal distances. Covered: built-in metrics over
// f32, f16 and i8 storage (the blocked matrix-product scan; i8 inner products tie often),
// removed entries, more queries than one block, and a Go metric (which the query-by-query
// scan answers).
func TestSearchBatchExactMatchesSearchExact(t *testing.T) {
	const dims, n, nq, k = 24, 1200, 300, 7
	for _, seed := range []int64{1, 2} {
		// Data and queries from one mixture of 12 clusters (queries drawn like the data).
		rng := rand.New(rand.NewSource(seed))
		centers := make([]float32, 12*dims)
		for i := range centers {
			centers[i] = float32(rng.NormFloat64())
		}
		draw := func(rows int) []float32 {
			out := make([]float32, rows*dims)
			for r := range rows {
				c := rng.Intn(12)
				for d := range dims {
					out[r*dims+d] = centers[c*dims+d] + 0.3*float32(rng.NormFloat64())
				}
			}
			return out
		}
		data, queries := draw(n), draw(nq)
		check := func(t *testing.T, idx *Index, goMetric bool) {
			t.Helper()
			if goMetric {
				require.NoError(t, idx.ChangeMetric(func(a, b []float32) float32 { return float32(l2sq64(a, b)) }))
			}
			require.NoError(t, idx.AddBatch(context.Background(), seqKeys(n, 0), data, nil))
			for key := Key(0); key < n; key += 5 {
				require.NoError(t, idx.Remove(key))
			}
			m, err := idx.SearchBatch(context.Background(), queries, k, &BatchOptions{Exact: true, Threads: 2})
			require.NoError(t, err)
			for i := range nq {
				want, wantD, err := idx.SearchExact(queries[i*dims:(i+1)*dims], k)
				require.NoError(t, err)
				got, gotD := m.At(i)
				require.Equal(t, wantD, gotD, "query %d: distances", i)
				sameKeysUpToTies(t, want, wantD, got, fmt.Sprintf("query %d", i))
				for _, key := range got {
					assert.NotZero(t, key%5, "query %d: removed key %d returned", i, key)
				}
			}
		}
		for _, c := range []struct {
			name   string
			metric Metric
			q      Quantization
			goFn   bool
		}{{"cos-f32", Cosine, F32, false}, {"l2-f16", L2sq, F16, false}, {"ip-i8", InnerProduct, I8, false},
			{"l2-go-metric", L2sq, F32, true}} {
			t.Run(fmt.Sprintf("%s/seed=%d", c.name, seed), func(t *testing.T) {
				check(t, newTestIndex(t, IndexConfig{Dimensions: dims, Metric: c.metric, Quantization: c.q}), c.goFn)
			})
		}
	}
}

// sameKeysUpToTies checks that got holds want's keys, allowing any order among keys at
// equal distances (and any choice among those tied at the last place).
func sameKeysUpToTies(t *testing.T, want []Key, wantD []float32, got []Key, ctx string) {
	t.Helper()
	require.Len(t, got, len(want), ctx)
	for i := 0; i < len(want); {
		j := i
		for j < len(want) && wantD[j] == wantD[i] {
			j++
		}
		if j == len(want) {
			break // the last group may have been cut anywhere among equal distances
		}
		assert.ElementsMatch(t, want[i:j], got[i:j], "%s: keys at distance %v", ctx, wantD[i])
		i = j
	}
}
