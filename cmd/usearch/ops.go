package main

// ops.go holds every call the commands make on indexes: rows go in and out as batches
// (AddBatch, SearchBatch, Indexes), in the file's own element type where the index stores
// that type, so the commands never convert more than they must.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"slices"
	"strings"
	"unsafe"

	"github.com/usearch-go/usearch"
)

// native tells whether rows of m go to an index of quantization q as they are: the same
// element type, or bytes (u8) taken as packed bits for b1 storage. Other rows are
// converted to float32 by value, and the library converts those to the storage kind
// (normalizing for i8/u8 storage, as upstream does).
func native(m *matrix, q usearch.Quantization) bool {
	nq, ok := m.kind.quantization()
	return ok && nq == q || q == usearch.B1 && m.kind == kU8
}

// rowsAs views rows [lo, hi) of m as a slice of T without copying; T must be m's element
// type (or B1x8 for bytes).
func rowsAs[T usearch.Scalar](m *matrix, lo, hi int) []T {
	if hi == lo {
		return nil
	}
	var zero T
	n := m.dims * m.kind.size()
	b := m.data[lo*n : hi*n]
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/int(unsafe.Sizeof(zero)))
}

// floatRows converts rows [lo, hi) of m to float32 by value.
func floatRows(m *matrix, lo, hi int) []float32 {
	out := make([]float32, (hi-lo)*m.dims)
	for i := lo; i < hi; i++ {
		m.floats(i, out[(i-lo)*m.dims:(i-lo+1)*m.dims])
	}
	return out
}

// buildShard indexes rows [lo, hi) of m under keys[lo:hi] (row numbers when keys is nil)
// with AddBatch and writes the index image to w, returning its size. Progress counts rows
// from `before`. Errors while adding name the input rows; errors while writing name only
// the output (w's errors do).
func buildShard(ctx context.Context, conf usearch.IndexConfig, m *matrix, keys []uint64, lo, hi, threads int, p *progress, before int, w io.Writer) (int64, error) {
	var k []usearch.Key
	if keys != nil {
		k = keys[lo:hi]
	} else {
		k = make([]usearch.Key, hi-lo)
		for i := range k {
			k[i] = usearch.Key(lo + i)
		}
	}
	opts := &usearch.BatchOptions{Threads: threads, Progress: func(done, _ int) { p.set(before + done) }}
	var (
		n   int64
		err error
	)
	switch q := conf.Quantization; {
	case !native(m, q):
		n, err = addAndWrite(ctx, conf, k, floatRows(m, lo, hi), opts, w)
	case q == usearch.F32:
		n, err = addAndWrite(ctx, conf, k, rowsAs[float32](m, lo, hi), opts, w)
	case q == usearch.F64:
		n, err = addAndWrite(ctx, conf, k, rowsAs[float64](m, lo, hi), opts, w)
	case q == usearch.F16:
		n, err = addAndWrite(ctx, conf, k, rowsAs[usearch.Float16](m, lo, hi), opts, w)
	case q == usearch.I8:
		n, err = addAndWrite(ctx, conf, k, rowsAs[int8](m, lo, hi), opts, w)
	case q == usearch.U8:
		n, err = addAndWrite(ctx, conf, k, rowsAs[uint8](m, lo, hi), opts, w)
	case q == usearch.B1:
		n, err = addAndWrite(ctx, conf, k, rowsAs[usearch.B1x8](m, lo, hi), opts, w)
	default:
		err = fmt.Errorf("no native input path for %s storage", q)
	}
	var oe outputError
	if errors.As(err, &oe) {
		return n, oe.err
	}
	if err != nil {
		return n, fmt.Errorf("%s: rows %d to %d: %w", m.path, lo, hi-1, err)
	}
	return n, nil
}

// outputError marks a failure to write the output, which the input's name would only confuse.
type outputError struct{ err error }

func (e outputError) Error() string { return e.err.Error() }

func addAndWrite[T usearch.Scalar](ctx context.Context, conf usearch.IndexConfig, keys []usearch.Key, vectors []T, opts *usearch.BatchOptions, w io.Writer) (int64, error) {
	idx, err := usearch.NewIndexOf[T](conf)
	if err != nil {
		return 0, err
	}
	defer idx.Close()
	if err := idx.Reserve(uint(len(keys))); err != nil {
		return 0, err
	}
	if err := idx.AddBatch(ctx, keys, vectors, opts); err != nil {
		return 0, err
	}
	n, err := idx.WriteTo(w)
	if err != nil {
		return n, outputError{err}
	}
	return n, nil
}

// fileError is a library error about one file, said once: "PATH: what is wrong". It
// unwraps to the library's error, so errors.Is still finds the sentinel.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// fileErr words a library error about the file at path without the prefixes that would
// stutter ("usearch search: x.usearch: usearch: Metadata: stat x.usearch: ..."): the
// library's "usearch: Operation: " and its own copy of the path go, and an operating-system
// error keeps only its cause.
func fileErr(path string, err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return &fileError{path + ": " + pe.Err.Error(), err}
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "usearch: "); ok {
		if i := strings.Index(rest, ": "); i >= 0 {
			msg = rest[i+2:]
		}
	}
	return &fileError{path + ": " + strings.TrimPrefix(msg, path+": "), err}
}

// interruptContext is the context long work runs under: cancelled by Ctrl-C (a variable,
// so tests can hand in a cancelled one).
var interruptContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// errInterrupted is what an interrupted command reports instead of "context canceled".
var errInterrupted = errors.New("interrupted")

// result is one query's neighbors, nearest first.
type result struct {
	keys  []usearch.Key
	dists []float32
}

// shards are opened index files that searchRows queries as one index.
type shards struct {
	conf   usearch.IndexConfig
	closes []func() error
	// parts are searched one after another with SearchBatch: one Indexes group for the
	// files searched with float32 queries, one typed index per file for native queries.
	parts []func(ctx context.Context, k uint, opts *usearch.BatchOptions) (*usearch.Matches, error)
	count func() uint
}

func (s *shards) Close() {
	for _, c := range s.closes {
		c()
	}
}

// openShards loads (or memory-maps, with view) each file for searching with queries, sets
// the search expansion when it is not 0, and checks that the files agree with each other
// and with the queries. On error nothing stays open.
func openShards(paths []string, view bool, queries *matrix, expansion uint) (*shards, error) {
	s := &shards{}
	var float []*usearch.Index // files searched as one Indexes group with float32 queries
	var typed []func(ctx context.Context, k uint, opts *usearch.BatchOptions) (*usearch.Matches, error)
	var lens []func() (uint, error)
	fail := func(err error) (*shards, error) {
		s.Close()
		return nil, err
	}
	for i, path := range paths {
		conf, err := usearch.Metadata(path)
		if err != nil {
			return fail(fileErr(path, err))
		}
		if i == 0 {
			s.conf = conf
			want := uint(queries.dims)
			if conf.Quantization == usearch.B1 && queries.kind == kU8 {
				want *= 8
			}
			if want != conf.Dimensions {
				return fail(fmt.Errorf("%s: %d dimensions, index %s has %d", queries.path, queries.dims, path, conf.Dimensions))
			}
		} else if conf.Dimensions != s.conf.Dimensions || conf.Metric != s.conf.Metric || conf.Quantization != s.conf.Quantization {
			return fail(fmt.Errorf("%s: %d dimensions, %s, %s; %s has %d dimensions, %s, %s: shards must match",
				path, conf.Dimensions, conf.Metric, conf.Quantization, paths[0], s.conf.Dimensions, s.conf.Metric, s.conf.Quantization))
		}
		var open func() error
		if !native(queries, conf.Quantization) || conf.Quantization == usearch.F32 {
			open = func() error {
				idx, err := openIndex(conf, path, view, expansion, s)
				if err == nil {
					float, lens = append(float, idx), append(lens, idx.Len)
				}
				return err
			}
		} else {
			add := func(search func(ctx context.Context, k uint, opts *usearch.BatchOptions) (*usearch.Matches, error), n func() (uint, error)) {
				typed, lens = append(typed, search), append(lens, n)
			}
			switch conf.Quantization {
			case usearch.F64:
				open = func() error { return openTyped[float64](conf, path, view, expansion, s, queries, add) }
			case usearch.F16:
				open = func() error { return openTyped[usearch.Float16](conf, path, view, expansion, s, queries, add) }
			case usearch.I8:
				open = func() error { return openTyped[int8](conf, path, view, expansion, s, queries, add) }
			case usearch.U8:
				open = func() error { return openTyped[uint8](conf, path, view, expansion, s, queries, add) }
			case usearch.B1:
				open = func() error { return openTyped[usearch.B1x8](conf, path, view, expansion, s, queries, add) }
			default:
				open = func() error { return fmt.Errorf("no native query path for %s storage", conf.Quantization) }
			}
		}
		if err := open(); err != nil {
			return fail(fileErr(path, err))
		}
	}
	if float != nil {
		group, err := usearch.NewIndexes(float...)
		if err != nil {
			return fail(err)
		}
		s.closes = append(s.closes, group.Close)
		qs := floatRows(queries, 0, queries.rows)
		typed = append(typed, func(ctx context.Context, k uint, opts *usearch.BatchOptions) (*usearch.Matches, error) {
			return group.SearchBatch(ctx, qs, k, opts)
		})
	}
	s.parts = typed
	s.count = func() uint {
		var n uint
		for _, l := range lens {
			v, _ := l()
			n += v
		}
		return n
	}
	return s, nil
}

// openIndex loads or views one file as an *Index for float32 queries.
func openIndex(conf usearch.IndexConfig, path string, view bool, expansion uint, s *shards) (*usearch.Index, error) {
	idx, err := usearch.NewIndex(conf)
	if err != nil {
		return nil, err
	}
	s.closes = append(s.closes, idx.Close)
	if err := loadOrView(idx.Load, idx.View, path, view); err != nil {
		return nil, err
	}
	if expansion > 0 {
		if err := idx.ChangeExpansionSearch(expansion); err != nil {
			return nil, err
		}
	}
	return idx, nil
}

// openTyped loads or views one file as an IndexOf[T] searched with the query rows as
// they are.
func openTyped[T usearch.Scalar](conf usearch.IndexConfig, path string, view bool, expansion uint, s *shards, queries *matrix,
	add func(func(context.Context, uint, *usearch.BatchOptions) (*usearch.Matches, error), func() (uint, error))) error {
	idx, err := usearch.NewIndexOf[T](conf)
	if err != nil {
		return err
	}
	s.closes = append(s.closes, idx.Close)
	if err := loadOrView(idx.Load, idx.View, path, view); err != nil {
		return err
	}
	if expansion > 0 {
		if err := idx.ChangeExpansionSearch(expansion); err != nil {
			return err
		}
	}
	qs := rowsAs[T](queries, 0, queries.rows)
	add(func(ctx context.Context, k uint, opts *usearch.BatchOptions) (*usearch.Matches, error) {
		return idx.SearchBatch(ctx, qs, k, opts)
	}, idx.Len)
	return nil
}

func loadOrView(load, viewFn func(string) error, path string, view bool) error {
	if view {
		return viewFn(path)
	}
	return load(path)
}

// searchRows runs every query over all shards as one index and returns each query's k
// nearest. exact scans every vector instead of walking the graph. p counts rows × parts.
func searchRows(ctx context.Context, s *shards, rows, k int, exact bool, threads int, p *progress) ([]result, error) {
	var parts []*usearch.Matches
	for j, search := range s.parts {
		m, err := search(ctx, uint(k), &usearch.BatchOptions{Threads: threads, Exact: exact, Progress: func(done, _ int) { p.set(j*rows + done) }})
		if err != nil {
			return nil, err
		}
		parts = append(parts, m)
	}
	out := make([]result, rows)
	for i := range out {
		var r result
		for _, m := range parts {
			keys, dists := m.At(i)
			r.keys, r.dists = append(r.keys, keys...), append(r.dists, dists...)
		}
		if len(parts) > 1 {
			r = mergeNearest(r, k)
		}
		out[i] = r
	}
	return out, nil
}

// mergeNearest keeps the k nearest of several parts' results, nearest first (ties by key,
// so the order does not depend on which part answered first).
func mergeNearest(r result, k int) result {
	order := make([]int, len(r.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(r.dists[a], r.dists[b]); c != 0 {
			return c
		}
		return cmp.Compare(r.keys[a], r.keys[b])
	})
	order = order[:min(k, len(order))]
	m := result{keys: make([]usearch.Key, len(order)), dists: make([]float32, len(order))}
	for j, o := range order {
		m.keys[j], m.dists[j] = r.keys[o], r.dists[o]
	}
	return m
}
