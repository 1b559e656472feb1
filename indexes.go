package usearch

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Indexes searches several indexes of the same dimensions, metric and kind as one: each
// search runs on every index in parallel and the results are merged, closest first. With
// OpenIndexes over viewed files, a data set larger than memory is searchable from its
// shard files. It is safe for concurrent use.
//
// Keys are returned as each index stores them: give the indexes disjoint keys if a key
// should name one vector.
type Indexes struct {
	mu     procLock // readers: every call; writer: Close
	list   []*Index
	owned  bool // opened by OpenIndexes: Close closes them
	closed bool
	dims   uint // of every index, checked again by each index's own calls
}

// NewIndexes groups indexes for searching. They must all have the same dimensions, metric
// and quantization (ErrInvalidArgument otherwise). The group does not own them: Close on
// it leaves them open, and they stay usable on their own (adds included).
func NewIndexes(indexes ...*Index) (*Indexes, error) {
	const op = "NewIndexes"
	if len(indexes) == 0 {
		return nil, &opError{op: op, detail: "no indexes given; want at least one", kind: ErrInvalidArgument}
	}
	var first IndexConfig
	seen := make(map[*Index]int, len(indexes))
	for i, idx := range indexes {
		if idx == nil {
			return nil, &opError{op: op, detail: fmt.Sprintf("index %d is nil", i), kind: ErrInvalidArgument}
		}
		if j, dup := seen[idx]; dup {
			return nil, &opError{op: op, detail: fmt.Sprintf("index %d is index %d again; its results would be counted twice", i, j), kind: ErrInvalidArgument}
		}
		seen[idx] = i
		_, rt, err := idx.read(op)
		if err != nil {
			return nil, &opError{op: op, detail: fmt.Sprintf("index %d: the index was closed", i), kind: ErrClosed}
		}
		conf := idx.config
		idx.mu.runlock(rt)
		if i == 0 {
			first = conf
			continue
		}
		if conf.Dimensions != first.Dimensions || conf.Metric != first.Metric || conf.Quantization != first.Quantization {
			return nil, &opError{op: op, detail: fmt.Sprintf("index %d has %d dimensions, %v, %v; index 0 has %d dimensions, %v, %v",
				i, conf.Dimensions, conf.Metric, conf.Quantization, first.Dimensions, first.Metric, first.Quantization), kind: ErrInvalidArgument}
		}
	}
	return &Indexes{list: append([]*Index(nil), indexes...), dims: first.Dimensions}, nil
}

// OpenIndexes loads (view false) or memory-maps read-only (view true) every index file in
// paths and groups them as NewIndexes does. The group owns them: Close closes them. On any
// error nothing stays open, and the error names the file.
func OpenIndexes(paths []string, view bool) (*Indexes, error) {
	const op = "OpenIndexes"
	if len(paths) == 0 {
		return nil, &opError{op: op, detail: "no paths given; want at least one", kind: ErrInvalidArgument}
	}
	opened := make([]*Index, 0, len(paths))
	fail := func(err error) (*Indexes, error) {
		for _, idx := range opened {
			idx.Close()
		}
		return nil, err
	}
	for _, path := range paths {
		idx, err := openIndexFile(path, view)
		if err != nil {
			var oe *opError
			if errors.As(err, &oe) {
				return fail(&opError{op: op, detail: fmt.Sprintf("%s: %s", path, oe.detail), kind: oe.kind})
			}
			return fail(fmt.Errorf("usearch: %s: %s: %w", op, path, err))
		}
		opened = append(opened, idx)
	}
	group, err := NewIndexes(opened...)
	if err != nil {
		var oe *opError
		if errors.As(err, &oe) {
			err = &opError{op: op, detail: oe.detail + " (in the order of paths)", kind: oe.kind}
		}
		return fail(err)
	}
	group.owned = true
	return group, nil
}

func openIndexFile(path string, view bool) (*Index, error) {
	conf, err := Metadata(path)
	if err != nil {
		return nil, err
	}
	idx, err := NewIndex(conf)
	if err != nil {
		return nil, err
	}
	if view {
		err = idx.View(path)
	} else {
		err = idx.Load(path)
	}
	if err != nil {
		idx.Close()
		return nil, err
	}
	return idx, nil
}

// read locks the group against Close for one call; the caller must call g.mu.runlock with
// the token when done.
func (g *Indexes) read(op string) (readToken, error) {
	rt := g.mu.rlock()
	if g.closed {
		g.mu.runlock(rt)
		return 0, &opError{op: op, detail: "the indexes were closed", kind: ErrClosed}
	}
	return rt, nil
}

// Len returns the number of vectors stored in all the indexes together.
func (g *Indexes) Len() (uint, error) {
	const op = "Len"
	rt, err := g.read(op)
	if err != nil {
		return 0, err
	}
	defer g.mu.runlock(rt)
	total := uint(0)
	for i, idx := range g.list {
		n, err := idx.Len()
		if err != nil {
			return 0, shardError(op, i, err)
		}
		total += n
	}
	return total, nil
}

// Close closes the indexes that OpenIndexes opened (never those given to NewIndexes). It
// is idempotent; afterwards every method returns ErrClosed.
func (g *Indexes) Close() error {
	g.mu.lock()
	defer g.mu.unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	var errs []error
	if g.owned {
		for _, idx := range g.list {
			errs = append(errs, idx.Close())
		}
	}
	return errors.Join(errs...)
}

// shardError names the index a failed call came from, keeping its sentinel.
func shardError(op string, i int, err error) error {
	var oe *opError
	if errors.As(err, &oe) {
		return &opError{op: op, detail: fmt.Sprintf("index %d: %s", i, oe.detail), kind: oe.kind}
	}
	return fmt.Errorf("usearch: %s: index %d: %w", op, i, err)
}

// shardResults holds one query's results from every index, limit slots per index.
type shardResults struct {
	keys   []Key
	dists  []float32
	counts []int
	limit  int
}

func newShardResults(shards, limit int) *shardResults {
	return &shardResults{keys: make([]Key, shards*limit), dists: make([]float32, shards*limit), counts: make([]int, shards), limit: limit}
}

// merge writes the closest len(keys) results of all indexes into keys and dists, closest
// first (ties in index order), and returns how many it wrote.
func (r *shardResults) merge(keys []Key, dists []float32) int {
	heads := make([]int, len(r.counts))
	n := 0
	for ; n < len(keys); n++ {
		best := -1
		for s, h := range heads {
			if h < r.counts[s] && (best < 0 || r.dists[s*r.limit+h] < r.dists[best*r.limit+heads[best]]) {
				best = s
			}
		}
		if best < 0 {
			break
		}
		at := best*r.limit + heads[best]
		keys[n], dists[n] = r.keys[at], r.dists[at]
		heads[best]++
	}
	return n
}

// each runs do(s) for every index s, from up to GOMAXPROCS goroutines (the caller's
// included), and returns the error of the lowest failing index.
func (g *Indexes) each(do func(s int) error) error {
	shards := len(g.list)
	workers := min(runtime.GOMAXPROCS(0), shards)
	errs := make([]error, shards)
	if workers <= 1 {
		for s := range shards {
			errs[s] = do(s)
		}
		return firstError(errs)
	}
	var next atomic.Int64
	work := func() {
		for s := int(next.Add(1) - 1); s < shards; s = int(next.Add(1) - 1) {
			errs[s] = do(s)
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
	return firstError(errs)
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// limitFor clamps a per-query limit to what one index can return (perIndex) and to what
// all of them hold together (merged), so that result buffers stay as small as the content
// allows.
func (g *Indexes) limitFor(limit uint) (perIndex, merged int) {
	most, sum := int64(0), uint64(0)
	for _, idx := range g.list {
		n := max(idx.live.Load(), 0)
		most, sum = max(most, n), sum+uint64(n)
	}
	return int(min(uint64(limit), uint64(most))), int(min(uint64(limit), sum))
}

// checkQuery validates a float32 query's length against the group's dimensions.
func (g *Indexes) checkQuery(op string, n int) error {
	if uint(n) != g.dims {
		return &opError{op: op, detail: fmt.Sprintf("got %d elements, want %d for %d dimensions", n, g.dims, g.dims), kind: ErrDimensionMismatch}
	}
	return nil
}

// search runs one query on every index through one, which fills an index's slots of r,
// and merges the results.
func (g *Indexes) search(op string, query []float32, limit uint, one func(idx *Index, keys []Key, dists []float32) (int, error)) ([]Key, []float32, error) {
	rt, err := g.read(op)
	if err != nil {
		return nil, nil, err
	}
	defer g.mu.runlock(rt)
	if err := g.checkQuery(op, len(query)); err != nil {
		return nil, nil, err
	}
	lim, out := g.limitFor(limit)
	if lim == 0 {
		return []Key{}, []float32{}, nil
	}
	r := newShardResults(len(g.list), lim)
	err = g.each(func(s int) error {
		n, err := one(g.list[s], r.keys[s*lim:(s+1)*lim], r.dists[s*lim:(s+1)*lim])
		r.counts[s] = n
		if err != nil {
			return shardError(op, s, err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	keys, dists := make([]Key, out), make([]float32, out)
	n := r.merge(keys, dists)
	return keys[:n], dists[:n], nil
}

// Search returns up to limit keys nearest to query over all the indexes with their
// distances, closest first. Every index is searched with its own expansion.
func (g *Indexes) Search(query []float32, limit uint) ([]Key, []float32, error) {
	return g.search("Search", query, limit, func(idx *Index, keys []Key, dists []float32) (int, error) {
		return idx.SearchInto(query, keys, dists)
	})
}

// FilteredSearch is Search restricted to keys for which filter returns true. The filter
// is called from several goroutines at once (one per index searched), so it must be safe
// for concurrent use.
func (g *Indexes) FilteredSearch(query []float32, limit uint, filter func(Key) bool) ([]Key, []float32, error) {
	f := FilterFunc(filter)
	return g.search("FilteredSearch", query, limit, func(idx *Index, keys []Key, dists []float32) (int, error) {
		k, d, _, err := searchFiltered(&idx.base, "FilteredSearch", query, uint(len(keys)), f)
		copy(dists, d)
		return copy(keys, k), err
	})
}

// searchExactBlocks answers an exact SearchBatch over the indexes block by block: each
// index scanned once per block of queries (searchExactBlock; query by query for an index
// with a Go metric), then every row's results merged.
func (g *Indexes) searchExactBlocks(ctx context.Context, queries []float32, per, rows, lim, out, threads int,
	progress func(int, int), m *Matches, scratch *sync.Pool) (int, *rowFailure) {
	const op = "SearchBatch"
	for s, idx := range g.list {
		if f := checkQueries(&idx.base, op, queries, per); f != nil {
			f.err = shardError(op, s, f.err)
			return 0, f
		}
	}
	return runBlocks(ctx, threads, rows, progress, func(first, last int) error {
		n := last - first
		keys, dists, counts := make([]Key, len(g.list)*n*lim), make([]float32, len(g.list)*n*lim), make([]int, len(g.list)*n)
		for s, idx := range g.list {
			k, d, c := keys[s*n*lim:(s+1)*n*lim], dists[s*n*lim:(s+1)*n*lim], counts[s*n:(s+1)*n]
			handled, err := searchExactBlock(&idx.base, op, queries[first*per:last*per], per, lim, k, d, c)
			for i := 0; err == nil && !handled && i < n; i++ {
				var rk []Key
				var rd []float32
				rk, rd, err = searchExactVector(&idx.base, op, queries[(first+i)*per:(first+i+1)*per], uint(lim))
				c[i] = copy(k[i*lim:(i+1)*lim], rk)
				copy(d[i*lim:(i+1)*lim], rd)
			}
			if err != nil {
				return shardError(op, s, err)
			}
		}
		r := scratch.Get().(*shardResults)
		defer scratch.Put(r)
		for i := range n {
			for s := range g.list {
				at := (s*n + i) * lim
				copy(r.keys[s*lim:(s+1)*lim], keys[at:at+lim])
				copy(r.dists[s*lim:(s+1)*lim], dists[at:at+lim])
				r.counts[s] = counts[s*n+i]
			}
			row := first + i
			m.Counts[row] = r.merge(m.Keys[row*out:(row+1)*out], m.Distances[row*out:(row+1)*out])
		}
		return nil
	})
}

// SearchBatch searches for every row of queries over all the indexes, in parallel across
// queries (see BatchOptions; Exact scans every index by brute force), merging each row's
// results closest first. Cancellation and errors behave as in Index.SearchBatch.
func (g *Indexes) SearchBatch(ctx context.Context, queries []float32, limit uint, opts *BatchOptions) (*Matches, error) {
	const op = "SearchBatch"
	threads, err := batchThreads(op, opts)
	if err != nil {
		return nil, err
	}
	rt, err := g.read(op)
	if err != nil {
		return nil, err
	}
	defer g.mu.runlock(rt)
	per := int(g.dims)
	if len(queries)%per != 0 {
		return nil, &opError{op: op, detail: fmt.Sprintf("row %d has %d of %d elements: a batch holds whole rows of %d elements (got %d elements)",
			len(queries)/per, len(queries)%per, per, per, len(queries)), kind: ErrDimensionMismatch}
	}
	rows := len(queries) / per
	lim, out := g.limitFor(limit)
	if rows > 0 && uint64(out) > maxResultElements/uint64(rows) {
		return nil, &opError{op: op, detail: fmt.Sprintf("%d queries x %d results is too many to return", rows, out), kind: ErrOutOfMemory}
	}
	m := &Matches{Keys: make([]Key, rows*out), Distances: make([]float32, rows*out), Counts: make([]int, rows), Limit: out}
	exact := opts != nil && opts.Exact
	var progress func(int, int)
	if opts != nil {
		progress = opts.Progress
	}
	// Each worker goroutine reuses one scratch buffer for the indexes' results.
	scratch := sync.Pool{New: func() any { return newShardResults(len(g.list), lim) }}
	if exact && lim > 0 {
		done, failure := g.searchExactBlocks(ctx, queries, per, rows, lim, out, threads, progress, m, &scratch)
		if err := batchOutcome(ctx, op, "searched", done, rows, failure); err != nil {
			return nil, err
		}
		return m, nil
	}
	done, failure := runRows(ctx, threads, rows, progress, func(i int) error {
		if lim == 0 {
			return nil
		}
		query := queries[i*per : (i+1)*per : (i+1)*per]
		r := scratch.Get().(*shardResults)
		defer scratch.Put(r)
		for s, idx := range g.list {
			keys, dists := r.keys[s*lim:(s+1)*lim], r.dists[s*lim:(s+1)*lim]
			var n int
			var err error
			if exact {
				var k []Key
				var d []float32
				k, d, err = searchExactVector(&idx.base, op, query, uint(lim))
				n = copy(keys, k)
				copy(dists, d)
			} else {
				n, err = idx.SearchInto(query, keys, dists)
			}
			r.counts[s] = n
			if err != nil {
				return shardError(op, s, err)
			}
		}
		m.Counts[i] = r.merge(m.Keys[i*out:(i+1)*out], m.Distances[i*out:(i+1)*out])
		return nil
	})
	if err := batchOutcome(ctx, op, "searched", done, rows, failure); err != nil {
		return nil, err
	}
	return m, nil
}
