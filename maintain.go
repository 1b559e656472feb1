package usearch

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"slices"
	"sync/atomic"
	"unsafe"
)

// Whole-index operations: emptying (Clear, Reset), listing (Keys, All), copying (Clone),
// statistics (Stats) and compaction (Compact). Exact search over the index is in exact.go.

// ---- emptying ----

// Clear removes every vector and keeps the configuration (metric, a Go metric included, and
// expansions) and the memory already allocated, for refilling. A viewed index becomes an
// empty in-memory one.
func (b *base) Clear() error { return b.clear("Clear", false) }

// Reset removes every vector and frees the memory; the configuration stays as for Clear.
func (b *base) Reset() error { return b.clear("Reset", true) }

func (b *base) clear(op string, free bool) error {
	if free && b.durable != nil {
		return b.durable.refuse(op, "use Clear, which the log records")
	}
	h, err := b.exclusive(op)
	if err != nil {
		return err
	}
	defer b.mu.unlock()
	if st := coreClear(h, free); !st.ok() {
		return statusError(op, st, "")
	}
	b.native.unpin() // a viewed buffer is no longer referenced
	b.live.Store(0)
	b.gen++
	if b.durable != nil {
		return b.durable.logClear()
	}
	return nil
}

// ---- listing ----

// exportPartBits splits the key space into 64 << bits parts of about 2048 entries or fewer.
func exportPartBits(live int64) uint {
	bits := uint(0)
	for bits < 20 && live>>bits > 64*2048 {
		bits++
	}
	return bits
}

// exportParts calls each with every part of the live entries in turn (keys, and vectors as
// T when withVectors, per elements each), holding no lock while each runs. Parts split the
// key space, so the iteration is weakly consistent: a key present throughout is seen, none
// twice. It stops when the index is closed or fails, or when each returns false.
func exportParts[T Scalar](b *base, op string, withVectors bool, each func(keys []Key, vectors []T, per int, multi bool) bool) {
	q := quantizationOf[T]()
	bits := exportPartBits(b.live.Load())
	keys := make([]Key, 256)
	var buf []T
	for part := uint64(0); part < uint64(64)<<bits; part++ {
		for {
			h, rt, err := b.read(op)
			if err != nil {
				return
			}
			conf := b.config // Load may change it between parts
			per := int(elementsPerVector[T](conf.Dimensions))
			var out unsafe.Pointer
			if withVectors {
				if len(buf) < len(keys)*per {
					buf = make([]T, len(keys)*per)
				}
				out = unsafe.Pointer(unsafe.SliceData(buf))
			}
			n, st := coreExport(h, bits, part, keys, out, q)
			b.mu.runlock(rt)
			if !st.ok() {
				return
			}
			if n > uint(len(keys)) {
				keys = make([]Key, n+n/4)
				continue
			}
			var vectors []T
			if withVectors { // a copy, so that yielded vectors stay the caller's
				vectors = slices.Clone(buf[:int(n)*per])
			}
			if !each(keys[:n], vectors, per, conf.Multi) {
				return
			}
			break
		}
	}
}

func keysOf(b *base) iter.Seq[Key] {
	return func(yield func(Key) bool) {
		exportParts(b, "Keys", false, func(keys []Key, _ []float32, _ int, multi bool) bool {
			if multi { // a key's vectors are all in its part: one sort removes repeats
				slices.Sort(keys)
				keys = slices.Compact(keys)
			}
			for _, k := range keys {
				if !yield(k) {
					return false
				}
			}
			return true
		})
	}
}

func allOf[T Scalar](b *base) iter.Seq2[Key, []T] {
	return func(yield func(Key, []T) bool) {
		exportParts(b, "All", true, func(keys []Key, vectors []T, per int, _ bool) bool {
			for i, k := range keys {
				if !yield(k, vectors[i*per:(i+1)*per:(i+1)*per]) {
					return false
				}
			}
			return true
		})
	}
}

// Keys iterates over the keys stored, each once (also with Multi), in no particular order.
// It is weakly consistent: it may run while other goroutines add and remove; a key present
// for the whole iteration is yielded, none is yielded twice, and keys added or removed
// meanwhile may or may not be. No lock is held while the loop body runs, so it may change
// the index. A closed index yields nothing.
func (b *Index) Keys() iter.Seq[Key] { return keysOf(&b.base) }

// All iterates over every stored vector, converted to float32, with its key: each vector
// once (a Multi key once per vector), with the consistency of Keys. Each yielded slice is
// the caller's to keep.
func (b *Index) All() iter.Seq2[Key, []float32] { return allOf[float32](&b.base) }

// Keys iterates over the keys stored, each once; see Index.Keys.
func (b *IndexOf[T]) Keys() iter.Seq[Key] { return keysOf(&b.base) }

// All iterates over every stored vector, converted to T, with its key; see Index.All.
func (b *IndexOf[T]) All() iter.Seq2[Key, []T] { return allOf[T](&b.base) }

// ---- copying ----

// cloneInto fills the empty dst with a copy of b. Writers wait while the copy is taken;
// searches go on.
func (b *base) cloneInto(dst *base) error {
	const op = "Clone"
	b.gate.lock()
	defer b.gate.unlock()
	h, rt, err := b.read(op)
	if err != nil {
		return err
	}
	before := coreMutations(h)
	c, st := coreClone(h)
	if st.ok() && coreMutations(h) != before {
		// A writer that does not take the gate changed the index meanwhile: copy again
		// with every call excluded.
		coreFree(c)
		b.mu.runlock(rt)
		if h, err = b.exclusive(op); err != nil {
			return err
		}
		defer b.mu.unlock()
		c, st = coreClone(h)
	} else {
		defer b.mu.runlock(rt)
	}
	if !st.ok() {
		return statusError(op, st, "")
	}
	dst.h, dst.config = c, b.config
	dst.native = &native{h: c}
	dst.cleanup = runtime.AddCleanup(dst, (*native).release, dst.native)
	dst.live.Store(b.live.Load())
	if b.native.metric != nil {
		// The copy has the metric's function but must not share its handle.
		m := b.native.metric.copyMetric()
		handle, st := coreChangeMetric(c, m)
		if !st.ok() {
			_ = dst.Close()
			return statusError(op, st, "")
		}
		dst.native.setMetric(handle, m)
	}
	return nil
}

// Clone returns an independent copy: same vectors, graph, settings (expansions changed at
// run time included) and metric; a Go metric's function is shared, its state is not.
// Changing either index afterwards does not affect the other. The copy of a viewed index
// holds its own memory and is writable.
func (b *Index) Clone() (*Index, error) {
	c := &Index{}
	if err := b.cloneInto(&c.base); err != nil {
		return nil, err
	}
	return c, nil
}

// Clone returns an independent copy; see Index.Clone.
func (b *IndexOf[T]) Clone() (*IndexOf[T], error) {
	c := &IndexOf[T]{}
	if err := b.cloneInto(&c.base); err != nil {
		return nil, err
	}
	return c, nil
}

// ---- statistics ----

// IndexStats describes the graph of an index.
type IndexStats struct {
	Nodes       uint   // graph nodes, removed vectors still linked in included
	Removed     uint   // removed vectors still in the graph (until reused or compacted away)
	Edges       uint   // neighbor-list entries over all levels
	MaxLevel    int    // the top level; -1 when the index is empty
	LevelNodes  []uint // LevelNodes[l]: nodes with a neighbor list on level l; len MaxLevel+1
	LevelEdges  []uint // LevelEdges[l]: neighbor-list entries on level l
	MemoryBytes uint   // as MemoryUsage
}

// Stats walks the graph and returns its statistics. While writers run, the counts are
// those of some moment during the walk.
func (b *base) Stats() (IndexStats, error) {
	h, rt, err := b.read("Stats")
	if err != nil {
		return IndexStats{}, err
	}
	defer b.mu.runlock(rt)
	g := coreGraphStats(h)
	levels := max(g.maxLevel+1, 0)
	for levels < len(g.levelNodes) && g.levelNodes[levels] > 0 { // levels of nodes being linked
		levels++
	}
	return IndexStats{
		Nodes: g.nodes, Removed: g.removed, Edges: g.edges, MaxLevel: levels - 1,
		LevelNodes: slices.Clone(g.levelNodes[:levels]), LevelEdges: slices.Clone(g.levelEdges[:levels]),
		MemoryBytes: g.memory,
	}, nil
}

// ---- compaction ----

// errCancelled is the core's report that a long call saw its cancel flag; callers replace
// it with the context's error.
var errCancelled = errors.New("cancelled")

// Compact drops the removed vectors from the graph and from memory. The graph is repaired
// around them first: every node that linked to a removed one is reconnected to the live
// nodes of that neighborhood with the neighbor-selection heuristic of insertion, so recall
// holds. Then the live vectors are renumbered densely, which frees the removed ones' memory;
// a saved file no longer contains them.
//
// The compacted index is built aside, by GOMAXPROCS threads, and swapped in at the end:
// searches run meanwhile on the old graph and see the new one afterwards, while calls that
// change the content (Add, Remove, Rename, ...) wait until Compact returns. When ctx is
// cancelled, Compact stops within milliseconds and returns an error that wraps ctx.Err();
// the index is then left exactly as it was. A viewed index returns ErrReadOnly.
func (b *base) Compact(ctx context.Context) (err error) {
	const op = "Compact"
	if b.durable != nil { // runs after the gate is released
		defer b.durable.checkpointAfter(b, op, &err)
	}
	if err := ctx.Err(); err != nil {
		return &opError{op: op, detail: "cancelled before it started: " + err.Error(), kind: err}
	}
	b.gate.lock()
	defer b.gate.unlock()
	cancel := new(int32)
	defer context.AfterFunc(ctx, func() { atomic.StoreInt32(cancel, 1) })()
	for attempt := 0; ; attempt++ {
		// Writers that bypass the gate would make the copy stale; after two such misses the
		// copy is built with every call excluded.
		exclusive := attempt >= 2
		var h handle
		var rt readToken
		var err error
		if exclusive {
			h, err = b.exclusive(op)
		} else {
			h, rt, err = b.read(op)
		}
		if err != nil {
			return err
		}
		gen := b.gen
		fresh, epoch, st := coreCompact(h, cancel, uint(runtime.GOMAXPROCS(0)))
		if !exclusive {
			b.mu.runlock(rt)
		}
		if !st.ok() {
			if exclusive {
				b.mu.unlock()
			}
			if st.kind == errCancelled && ctx.Err() != nil {
				return &opError{op: op, detail: "cancelled, the index is unchanged: " + ctx.Err().Error(), kind: ctx.Err()}
			}
			return b.callError(op, st, "")
		}
		if !exclusive {
			b.mu.lock()
		}
		if b.h == nil {
			b.mu.unlock()
			coreFree(fresh)
			return closedError(op)
		}
		if b.gen != gen || coreMutations(h) != epoch {
			b.mu.unlock()
			coreFree(fresh)
			continue
		}
		coreSwap(h, fresh) // fresh now holds the old content
		b.mu.unlock()
		coreFree(fresh)
		return nil
	}
}
