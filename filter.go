package usearch

import (
	"fmt"
	"slices"
	"unsafe"
)

// Filter restricts which keys a search may return. Build one with FilterFunc (a Go
// predicate), AllowKeys (a set of keys) or KeyRange (an inclusive range), and combine them
// with And. AllowKeys and KeyRange are evaluated inside the core without calling Go.
//
// Low selectivity does not hurt recall: the search walks through rejected nodes, and when
// the filter rejects nearly everything it sees (or a small allow-list is given) it switches
// to an exact scan of the accepted keys.
type Filter struct {
	spec goFilterSpec
}

// goFilterSpec describes a filter for the core; the allow-list must stay alive for the call.
type goFilterSpec struct {
	fn         func(Key) bool
	allowed    []Key
	table      []Key // the allowed keys hashed for O(1) checks in C (see allowTable)
	hasAllowed bool
	hasRange   bool
	min, max   Key
}

// SearchStats reports what one search cost. SearchWith with the zero Filter reports it for
// an unfiltered search.
type SearchStats struct {
	Crossings int  // calls from C into the Go filter (each judges a group of keys)
	Judged    int  // keys the filter judged
	Visited   int  // graph nodes visited
	Exact     bool // the search scanned every candidate instead of walking the graph
	Distances int  // distances computed: the greedy descent, the walk and any exact scan
}

// FilterFunc makes a filter from a predicate; it is called from the searching goroutine
// with groups of candidate keys, each key at most once per search. It must be safe to call
// concurrently if the same filter is used by concurrent searches.
func FilterFunc(fn func(Key) bool) Filter { return Filter{spec: goFilterSpec{fn: fn}} }

// AllowKeys makes a filter that accepts exactly the given keys. The keys are copied and
// indexed once, so build the filter once and reuse it across searches.
func AllowKeys(keys []Key) Filter {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	return Filter{spec: goFilterSpec{allowed: sorted, table: allowTable(sorted), hasAllowed: true}}
}

// emptyCell marks a free cell of an allow table; 2^64-1 is never a stored key.
const emptyCell = ^Key(0)

// keyHash is the core's key hash (splitmix64's finaliser); TestAllowTableHash checks they agree.
func keyHash(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// allowTable lays the keys out in an open-addressing table at most half full, probed
// linearly from keyHash, for the core's membership checks.
func allowTable(keys []Key) []Key {
	size := 16
	for size < 2*len(keys) {
		size *= 2
	}
	table := make([]Key, size)
	for i := range table {
		table[i] = emptyCell
	}
	mask := uint64(size - 1)
	for _, k := range keys {
		if k == emptyCell {
			continue
		}
		i := keyHash(k) & mask
		for table[i] != emptyCell && table[i] != k {
			i = (i + 1) & mask
		}
		table[i] = k
	}
	return table
}

// KeyRange makes a filter that accepts keys from min to max inclusive.
func KeyRange(min, max Key) Filter {
	return Filter{spec: goFilterSpec{hasRange: true, min: min, max: max}}
}

// And returns a filter that accepts what both f and g accept.
func (f Filter) And(g Filter) Filter {
	out := f.spec
	switch {
	case out.fn == nil:
		out.fn = g.spec.fn
	case g.spec.fn != nil:
		a, b := out.fn, g.spec.fn
		out.fn = func(k Key) bool { return a(k) && b(k) }
	}
	if g.spec.hasAllowed {
		if out.hasAllowed {
			var both []Key
			for _, k := range g.spec.allowed {
				if _, ok := slices.BinarySearch(out.allowed, k); ok {
					both = append(both, k)
				}
			}
			out.allowed, out.table = both, allowTable(both)
		} else {
			out.allowed, out.table = g.spec.allowed, g.spec.table
		}
		out.hasAllowed = true
	}
	if g.spec.hasRange {
		if out.hasRange {
			out.min, out.max = max(out.min, g.spec.min), min(out.max, g.spec.max)
		} else {
			out.min, out.max = g.spec.min, g.spec.max
		}
		out.hasRange = true
	}
	return Filter{spec: out}
}

func searchFiltered[T Scalar](b *base, op string, query []T, limit uint, f Filter) ([]Key, []float32, SearchStats, error) {
	h, rt, err := b.read(op)
	if err != nil {
		return nil, nil, SearchStats{}, err
	}
	defer b.mu.runlock(rt)
	q := quantizationOf[T]()
	if err := b.vectorLength(op, len(query), q); err != nil {
		return nil, nil, SearchStats{}, err
	}
	if err := checkVector(op, query, b.config.Quantization); err != nil {
		return nil, nil, SearchStats{}, err
	}
	if n := b.live.Load(); n >= 0 && uint64(limit) > uint64(n) {
		limit = uint(n)
	}
	if limit == 0 {
		return []Key{}, []float32{}, SearchStats{}, nil
	}
	keys := make([]Key, limit)
	dists := make([]float32, limit)
	n, stats, panicked, st := coreFilteredSearch(h, unsafe.Pointer(unsafe.SliceData(query)), q, limit, &keys[0], &dists[0], &f.spec)
	if panicked != nil {
		return nil, nil, stats, &opError{op: op, detail: fmt.Sprintf("the filter panicked: %v", panicked), kind: ErrCallback}
	}
	if !st.ok() {
		return nil, nil, stats, b.callError(op, st, "")
	}
	return keys[:n], dists[:n], stats, nil
}

// FilteredSearch is Search restricted to keys for which filter returns true.
func (b *Index) FilteredSearch(query []float32, limit uint, filter func(Key) bool) ([]Key, []float32, error) {
	keys, dists, _, err := searchFiltered(&b.base, "FilteredSearch", query, limit, FilterFunc(filter))
	return keys, dists, err
}

// SearchWith is Search restricted by a Filter, reporting what the search cost.
func (b *Index) SearchWith(query []float32, limit uint, filter Filter) ([]Key, []float32, SearchStats, error) {
	return searchFiltered(&b.base, "SearchWith", query, limit, filter)
}

// FilteredSearch is Search restricted to keys for which filter returns true.
func (b *IndexOf[T]) FilteredSearch(query []T, limit uint, filter func(Key) bool) ([]Key, []float32, error) {
	keys, dists, _, err := searchFiltered(&b.base, "FilteredSearch", query, limit, FilterFunc(filter))
	return keys, dists, err
}

// SearchWith is Search restricted by a Filter, reporting what the search cost.
func (b *IndexOf[T]) SearchWith(query []T, limit uint, filter Filter) ([]Key, []float32, SearchStats, error) {
	return searchFiltered(&b.base, "SearchWith", query, limit, filter)
}
