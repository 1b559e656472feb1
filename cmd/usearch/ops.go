package main

// ops.go holds every call the commands make on indexes, so the way rows reach the library
// (one Add/Search per row from a pool of goroutines, or batches) changes in one place.

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/usearch-go/usearch"
)

// vectorSink passes row i of m to the index: in place when the row already has the
// storage kind, otherwise converted to float32 by value (the library then converts it to
// the storage kind, normalizing for i8/u8 storage as upstream does). Bytes (u8) for b1
// storage are taken as packed bits.
type vectorSink struct {
	m      *matrix
	native bool
}

func newVectorSink(m *matrix, q usearch.Quantization) vectorSink {
	nq, ok := m.kind.quantization()
	packedBits := q == usearch.B1 && m.kind == kU8
	return vectorSink{m: m, native: ok && nq == q || packedBits}
}

// addRows adds rows [lo, hi) of m under keys[i] (or the row number when keys is nil) from
// `threads` goroutines, reporting each row to p.
func addRows(idx *usearch.Index, q usearch.Quantization, m *matrix, keys []uint64, lo, hi, threads int, p *progress) error {
	s := newVectorSink(m, q)
	return parallelRows(lo, hi, threads, func(buf []float32, i int) error {
		key := usearch.Key(i)
		if keys != nil {
			key = keys[i]
		}
		var err error
		if s.native {
			err = idx.AddUnsafe(key, m.rowPointer(i))
		} else {
			err = idx.Add(key, m.floats(i, buf))
		}
		if err != nil {
			return fmt.Errorf("%s: row %d (key %d): %w", m.path, i, key, err)
		}
		p.Add(1)
		return nil
	}, m.dims)
}

// result is one query's neighbors, nearest first.
type result struct {
	keys  []usearch.Key
	dists []float32
}

// searchRows searches every row of queries in all shards as one index: each shard's k
// nearest, merged by distance. exact scans every vector instead of walking the graph.
func searchRows(shards []shard, queries *matrix, k int, exact bool, threads int, p *progress) ([]result, error) {
	out := make([]result, queries.rows)
	err := parallelRows(0, queries.rows, threads, func(buf []float32, i int) error {
		var all result
		for _, sh := range shards {
			keys, dists, err := sh.search(i, buf, uint(k), exact)
			if err != nil {
				return fmt.Errorf("%s: query %d: %w", queries.path, i, err)
			}
			all.keys, all.dists = append(all.keys, keys...), append(all.dists, dists...)
		}
		if len(shards) > 1 {
			all = mergeNearest(all, k)
		}
		out[i] = all
		p.Add(1)
		return nil
	}, queries.dims)
	return out, err
}

// mergeNearest keeps the k nearest of several shards' results, nearest first (ties by key,
// so the order does not depend on which shard answered first).
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

// shard is one opened index file with its queries bound: search takes a query's row
// number, so rows in the storage kind go in as they are (an IndexOf of that type) and
// others as float32 (an Index), for HNSW and exact search alike.
type shard struct {
	search          func(row int, buf []float32, k uint, exact bool) ([]usearch.Key, []float32, error)
	len             func() (uint, error)
	changeExpansion func(uint) error
	close           func() error
}

// openShards loads (or memory-maps, with view) each file for searching with queries; on
// error it closes what it opened.
func openShards(paths []string, view bool, queries *matrix) ([]shard, usearch.IndexConfig, error) {
	var (
		shards []shard
		first  usearch.IndexConfig
	)
	fail := func(err error) ([]shard, usearch.IndexConfig, error) {
		closeShards(shards)
		return nil, first, err
	}
	for i, path := range paths {
		conf, err := usearch.Metadata(path)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", path, err))
		}
		if i == 0 {
			first = conf
		} else if conf.Dimensions != first.Dimensions || conf.Metric != first.Metric || conf.Quantization != first.Quantization {
			return fail(fmt.Errorf("%s: %d dimensions, %s, %s; %s has %d dimensions, %s, %s: shards must match",
				path, conf.Dimensions, conf.Metric, conf.Quantization, paths[0], first.Dimensions, first.Metric, first.Quantization))
		}
		var sh shard
		switch {
		case !newVectorSink(queries, conf.Quantization).native:
			sh, err = floatShard(conf, path, view, queries)
		case conf.Quantization == usearch.F32:
			sh, err = typedShard[float32](conf, path, view, queries)
		case conf.Quantization == usearch.F64:
			sh, err = typedShard[float64](conf, path, view, queries)
		case conf.Quantization == usearch.F16:
			sh, err = typedShard[usearch.Float16](conf, path, view, queries)
		case conf.Quantization == usearch.I8:
			sh, err = typedShard[int8](conf, path, view, queries)
		case conf.Quantization == usearch.U8:
			sh, err = typedShard[uint8](conf, path, view, queries)
		case conf.Quantization == usearch.B1:
			sh, err = typedShard[usearch.B1x8](conf, path, view, queries)
		default:
			err = fmt.Errorf("no native query path for %s storage", conf.Quantization)
		}
		if err != nil {
			return fail(fmt.Errorf("%s: %w", path, err))
		}
		shards = append(shards, sh)
	}
	return shards, first, nil
}

func floatShard(conf usearch.IndexConfig, path string, view bool, queries *matrix) (shard, error) {
	idx, err := usearch.NewIndex(conf)
	if err != nil {
		return shard{}, err
	}
	if view {
		err = idx.View(path)
	} else {
		err = idx.Load(path)
	}
	if err != nil {
		idx.Close()
		return shard{}, err
	}
	return shard{
		search: func(row int, buf []float32, k uint, exact bool) ([]usearch.Key, []float32, error) {
			if exact {
				return idx.SearchExact(queries.floats(row, buf), k)
			}
			return idx.Search(queries.floats(row, buf), k)
		},
		len: idx.Len, changeExpansion: idx.ChangeExpansionSearch, close: idx.Close,
	}, nil
}

func typedShard[T usearch.Scalar](conf usearch.IndexConfig, path string, view bool, queries *matrix) (shard, error) {
	idx, err := usearch.NewIndexOf[T](conf)
	if err != nil {
		return shard{}, err
	}
	if view {
		err = idx.View(path)
	} else {
		err = idx.Load(path)
	}
	if err != nil {
		idx.Close()
		return shard{}, err
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	row := func(i int) []T { return unsafe.Slice((*T)(queries.rowPointer(i)), len(queries.row(i))/size) }
	return shard{
		search: func(i int, _ []float32, k uint, exact bool) ([]usearch.Key, []float32, error) {
			if exact {
				return idx.SearchExact(row(i), k)
			}
			return idx.Search(row(i), k)
		},
		len: idx.Len, changeExpansion: idx.ChangeExpansionSearch, close: idx.Close,
	}, nil
}

func closeShards(shards []shard) {
	for _, sh := range shards {
		sh.close()
	}
}

// parallelRows calls fn for every i in [lo, hi) from `threads` goroutines, each with its
// own float32 buffer of dims elements, and returns the first error.
func parallelRows(lo, hi, threads int, fn func(buf []float32, i int) error, dims int) error {
	var (
		next   atomic.Int64
		failed atomic.Bool
		once   sync.Once
		first  error
		wg     sync.WaitGroup
	)
	next.Store(int64(lo))
	for range max(1, min(threads, hi-lo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]float32, dims)
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= hi {
					return
				}
				if err := fn(buf, i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
