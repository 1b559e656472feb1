package usearch

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Batches run rows through the single-vector path from a few
// goroutines. A row costs tens of microseconds in the core (one graph insertion or
// search) against well under a microsecond for its cgo crossing and read lock, so a
// loop inside the core would save almost nothing while goroutines keep every row
// cancellable, reuse one tested path, and leave the core free of thread management.
// BenchmarkBatchOverhead measures both sides.

// BatchOptions tunes AddBatch and SearchBatch. A nil *BatchOptions means all defaults.
type BatchOptions struct {
	// Threads is how many goroutines work on the batch; 0 means runtime.GOMAXPROCS(0).
	Threads int
	// Progress, if not nil, is called with the number of rows done so far, at least
	// every 1% of the rows (an Exact SearchBatch: every 1% or every block of up to 256
	// queries, whichever is more) and once at the end. It is called from the goroutine that
	// called the batch method, never concurrently, and done never decreases.
	Progress func(done, total int)
	// Exact makes SearchBatch scan every vector of the index (brute force with the
	// index's metric) instead of walking the graph. With a built-in metric the queries go
	// through in blocks of up to 256, one pass over the index per block (a blocked matrix
	// product for the common metrics, as in ExactSearch); equal distances then rank by
	// insertion slot. AddBatch ignores it.
	Exact bool
}

// Matches holds the results of a batch of searches. Row i, closest first, is
// Keys[i*Limit : i*Limit+Counts[i]] with the same slice of Distances; the slots after
// Counts[i] in a row are unused.
type Matches struct {
	Keys      []Key
	Distances []float32
	Counts    []int
	Limit     int
}

// Len returns the number of rows (queries).
func (m *Matches) Len() int { return len(m.Counts) }

// At returns the results of row i, closest first. The slices share memory with m and are
// capped so that appending to them never overwrites the next row.
func (m *Matches) At(i int) ([]Key, []float32) {
	start, end := i*m.Limit, i*m.Limit+m.Counts[i]
	return m.Keys[start:end:end], m.Distances[start:end:end]
}

// batchThreads resolves BatchOptions.Threads for a batch of rows.
func batchThreads(op string, opts *BatchOptions) (int, error) {
	if opts == nil || opts.Threads == 0 {
		return runtime.GOMAXPROCS(0), nil
	}
	if opts.Threads < 0 {
		return 0, &opError{op: op, detail: fmt.Sprintf("BatchOptions.Threads is %d; want 0 (GOMAXPROCS) or more", opts.Threads), kind: ErrInvalidArgument}
	}
	return opts.Threads, nil
}

// rowFailure is the first row (lowest number) whose work failed.
type rowFailure struct {
	mu  sync.Mutex
	row int
	err error
}

func (f *rowFailure) record(row int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil || row < f.row {
		f.row, f.err = row, err
	}
}

// runRows calls do(i) for every row i in [0, total) from up to threads goroutines, the
// caller's included, that claim chunks of at most 1% of the rows. It stops claiming rows
// once ctx is done or a row fails, and returns how many rows succeeded. Progress is called
// on the calling goroutine for every chunk done, partial chunks included, between the
// caller's own chunks and after the others finish, and once at the end if nothing was done.
func runRows(ctx context.Context, threads, total int, progress func(done, total int), do func(i int) error) (int, *rowFailure) {
	chunk := max(1, total/100)
	chunks := (total + chunk - 1) / chunk
	workers := max(1, min(threads, chunks))
	var next atomic.Int64
	var doneRows atomic.Int64
	var stop atomic.Bool
	failure := &rowFailure{}
	// Every chunk sends at most once, so the buffer never fills and workers never wait
	// for a slow Progress callback.
	var reports chan int
	if progress != nil {
		reports = make(chan int, chunks)
	}
	reported := 0
	report := func(n int) {
		reported += n
		progress(reported, total)
	}
	cancelled := ctx.Done()
	work := func(caller bool) {
		for !stop.Load() {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			ok := 0
			for i := c * chunk; i < min(total, (c+1)*chunk); i++ {
				select {
				case <-cancelled:
					stop.Store(true)
				default:
				}
				if stop.Load() {
					break
				}
				if err := do(i); err != nil {
					failure.record(i, err)
					stop.Store(true)
					break
				}
				ok++
			}
			doneRows.Add(int64(ok))
			if reports == nil || ok == 0 {
				continue
			}
			reports <- ok
			for caller && len(reports) > 0 {
				report(<-reports)
			}
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(false)
		}()
	}
	work(true)
	if reports == nil {
		wg.Wait()
	} else {
		go func() {
			wg.Wait()
			close(reports)
		}()
		for n := range reports {
			report(n)
		}
		if reported == 0 {
			progress(0, total) // "once at the end", also for an empty or at once stopped batch
		}
	}
	if failure.err != nil {
		return int(doneRows.Load()), failure
	}
	return int(doneRows.Load()), nil
}

// batchOutcome turns what runRows reports into the batch's error: the failed row's error
// (matching its sentinel) or the context's, each saying how many rows were done.
func batchOutcome(ctx context.Context, op, verb string, done, total int, failure *rowFailure) error {
	if failure != nil {
		detail, kind := failure.err.Error(), failure.err
		var oe *opError
		if errors.As(failure.err, &oe) {
			detail, kind = oe.detail, oe.kind
		}
		return &opError{op: op, detail: fmt.Sprintf("row %d: %s (%d of %d rows %s)", failure.row, detail, done, total, verb), kind: kind}
	}
	if done < total {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("usearch: %s: stopped after %d of %d rows %s: %w", op, done, total, verb, err)
		}
	}
	return nil
}

// batchError reports a bad batch: which row, what was wrong, and its sentinel.
func batchError(op string, row int, kind error, format string, args ...any) error {
	return &opError{op: op, detail: fmt.Sprintf("row %d: ", row) + fmt.Sprintf(format, args...) + "; nothing was added", kind: kind}
}

// batchRows checks that a flat batch holds whole rows of the index's vectors.
func batchRows[T Scalar](b *base, op string, n int) (rows, per int, err error) {
	per = int(elementsPerVector[T](b.config.Dimensions))
	if n%per != 0 {
		q := quantizationOf[T]()
		return 0, 0, &opError{op: op, detail: fmt.Sprintf("row %d has %d of %d elements: a batch of %v holds whole rows of %d elements for %d dimensions (got %d elements)",
			n/per, n%per, per, q, per, b.config.Dimensions, n), kind: ErrDimensionMismatch}
	}
	return n / per, per, nil
}

// validateAddBatch checks a batch against the index before anything is added, names the
// first bad row, and makes room for the batch.
func validateAddBatch[T Scalar](b *base, op string, keys []Key, vectors []T) (int, error) {
	h, rt, err := b.read(op)
	if err != nil {
		return 0, err
	}
	defer b.mu.runlock(rt)
	rows, per, err := batchRows[T](b, op, len(vectors))
	if err != nil {
		return 0, err
	}
	if len(keys) != rows {
		return 0, batchError(op, min(len(keys), rows), ErrInvalidArgument, "got %d keys for %d rows of vectors; want one key per row", len(keys), rows)
	}
	var seen map[Key]int
	if !b.config.Multi {
		seen = make(map[Key]int, rows)
	}
	for i, key := range keys {
		if err := checkVector(op, vectors[i*per:(i+1)*per], b.config.Quantization); err != nil {
			var oe *opError
			if errors.As(err, &oe) {
				return 0, batchError(op, i, oe.kind, "%s", oe.detail)
			}
			return 0, batchError(op, i, ErrInvalidArgument, "%v", err)
		}
		if key == ^Key(0) {
			return 0, batchError(op, i, ErrReservedKey, "key %d is reserved (it marks removed entries in files)", key)
		}
		if seen == nil {
			continue
		}
		if first, dup := seen[key]; dup {
			return 0, batchError(op, i, ErrDuplicateKey, "key %d repeats row %d and the index is not Multi", key, first)
		}
		seen[key] = i
		if coreCount(h, key) > 0 {
			return 0, batchError(op, i, ErrDuplicateKey, "key %d is already in the index and the index is not Multi", key)
		}
	}
	// Growing once up front spares the batch repeated reallocations while it runs.
	if st := coreReserve(h, uint(max(b.live.Load(), 0))+uint(rows)); !st.ok() {
		return 0, statusError(op, st, fmt.Sprintf("reserving room for %d rows", rows))
	}
	return rows, nil
}

func addBatch[T Scalar](ctx context.Context, b *base, keys []Key, vectors []T, opts *BatchOptions) error {
	const op = "AddBatch"
	threads, err := batchThreads(op, opts)
	if err != nil {
		return err
	}
	rows, err := validateAddBatch(b, op, keys, vectors)
	if err != nil {
		return err
	}
	per := len(vectors) / max(rows, 1)
	var progress func(int, int)
	if opts != nil {
		progress = opts.Progress
	}
	done, failure := runRows(ctx, threads, rows, progress, func(i int) error {
		return addVector(b, op, keys[i], vectors[i*per:(i+1)*per:(i+1)*per])
	})
	if b.durable != nil { // the rows' records are synced once, here
		return b.durable.syncBatch(batchOutcome(ctx, op, "added", done, rows, failure))
	}
	return batchOutcome(ctx, op, "added", done, rows, failure)
}

// searchLimit clamps a batch's per-row limit to what the index holds and checks that the
// results can be allocated.
func searchLimit(b *base, op string, rows int, limit uint) (int, error) {
	if n := b.live.Load(); n >= 0 && uint64(limit) > uint64(n) {
		limit = uint(n)
	}
	if rows > 0 && uint64(limit) > maxResultElements/uint64(rows) {
		return 0, &opError{op: op, detail: fmt.Sprintf("%d queries x %d results is too many to return", rows, limit), kind: ErrOutOfMemory}
	}
	return int(limit), nil
}

func searchBatch[T Scalar](ctx context.Context, b *base, queries []T, limit uint, opts *BatchOptions) (*Matches, error) {
	const op = "SearchBatch"
	threads, err := batchThreads(op, opts)
	if err != nil {
		return nil, err
	}
	_, rt, err := b.read(op)
	if err != nil {
		return nil, err
	}
	rows, per, err := batchRows[T](b, op, len(queries))
	var lim int
	if err == nil {
		lim, err = searchLimit(b, op, rows, limit)
	}
	b.mu.runlock(rt)
	if err != nil {
		return nil, err
	}
	m := &Matches{Keys: make([]Key, rows*lim), Distances: make([]float32, rows*lim), Counts: make([]int, rows), Limit: lim}
	exact := opts != nil && opts.Exact
	var progress func(int, int)
	if opts != nil {
		progress = opts.Progress
	}
	if exact && lim > 0 {
		handled, done, failure := searchExactBlocks(ctx, b, op, queries, per, rows, lim, threads, progress, m)
		if handled {
			if err := batchOutcome(ctx, op, "searched", done, rows, failure); err != nil {
				return nil, err
			}
			return m, nil
		}
	}
	done, failure := runRows(ctx, threads, rows, progress, func(i int) error {
		query := queries[i*per : (i+1)*per : (i+1)*per]
		keys, dists := m.Keys[i*lim:(i+1)*lim], m.Distances[i*lim:(i+1)*lim]
		if exact {
			k, d, err := searchExactVector(b, op, query, uint(lim))
			m.Counts[i] = copy(keys, k)
			copy(dists, d)
			return err
		}
		n, err := searchInto(b, op, query, keys, dists)
		m.Counts[i] = n
		return err
	})
	if err := batchOutcome(ctx, op, "searched", done, rows, failure); err != nil {
		return nil, err
	}
	return m, nil
}

// AddBatch stores rows of vectors, one flat row-major slice of len(keys) rows, under keys,
// in parallel (see BatchOptions). The whole batch is checked before anything is added: a
// length that is not whole rows (ErrDimensionMismatch), a key count that differs from the
// rows (ErrInvalidArgument), the reserved key (ErrReservedKey), and, unless the index is
// Multi, a key repeated in the batch or already present (ErrDuplicateKey) fail the batch
// with nothing added and an error naming the first bad row.
//
// When ctx is cancelled, AddBatch stops within a row's time per goroutine; the rows
// already added stay (with several threads they need not be a prefix of the batch) and
// the error wraps ctx.Err() and says how many rows were added. A row failing while the
// batch runs (for example a key added meanwhile by another goroutine) stops it the same
// way, with that row's sentinel.
func (b *Index) AddBatch(ctx context.Context, keys []Key, vectors []float32, opts *BatchOptions) error {
	return addBatch(ctx, &b.base, keys, vectors, opts)
}

// SearchBatch searches for every query, one flat row-major slice of rows, the limit
// nearest keys each, in parallel (see BatchOptions), through the graph or, with
// BatchOptions.Exact, by brute force. A limit beyond the index's content is reduced to
// it, so Matches.Limit may be smaller than limit. When ctx is cancelled it stops within a
// row's time per goroutine (with Exact, a block's) and returns an error that wraps
// ctx.Err() and says how many rows were searched.
func (b *Index) SearchBatch(ctx context.Context, queries []float32, limit uint, opts *BatchOptions) (*Matches, error) {
	return searchBatch(ctx, &b.base, queries, limit, opts)
}

// AddBatch stores rows of vectors under keys in parallel; see Index.AddBatch. For B1x8
// a row is Dimensions/8 bytes rounded up.
func (b *IndexOf[T]) AddBatch(ctx context.Context, keys []Key, vectors []T, opts *BatchOptions) error {
	return addBatch(ctx, &b.base, keys, vectors, opts)
}

// SearchBatch searches for every row of queries in parallel; see Index.SearchBatch.
func (b *IndexOf[T]) SearchBatch(ctx context.Context, queries []T, limit uint, opts *BatchOptions) (*Matches, error) {
	return searchBatch(ctx, &b.base, queries, limit, opts)
}
