package usearch

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// base is the state shared by Index and IndexOf: the core handle and the settings Go needs
// to check arguments without crossing into C.
//
// mu is held for reading by every call that uses the handle and for writing only by calls
// that replace or free it (Close, Load, View, metric changes), so ordinary calls never wait
// for each other.
type base struct {
	mu procLock
	// gate is held for reading by calls that change the content (taken before mu)
	// and for writing by Compact and Clone while they copy the content aside, so that writers
	// wait for them while searches go on.
	gate    procLock
	h       handle // nil once closed
	config  IndexConfig
	cleanup runtime.Cleanup
	// live mirrors the core's vector count so that Search can size its results without a
	// second cgo crossing. Every mutation goes through this type, so it is exact once calls
	// in flight return; while they run it may lag, which only shortens a result buffer.
	//
	// Every Add writes it, so it sits on a cache line of its own, away from the fields every
	// search reads (h, config).
	_    [64]byte
	live atomic.Int64
	_    [56]byte
	// gen counts replacements of the content (Load, View, Clear, Reset), under mu locked.
	gen uint64
	// native owns what must be released with the index, also by the cleanup that runs when
	// an index is dropped without Close: it must not point back at base.
	native *native
	// durable is the write-ahead log of an index opened with OpenDurable (durable.go).
	durable *durable
}

// native is the C handle plus the pin that keeps a viewed Go buffer in place for C.
type native struct {
	h      handle
	pinner *runtime.Pinner // nil unless a Go buffer is viewed
	viewed []byte
	// metric is the Go metric the core calls through metricHandle, if any.
	metric       metricCall
	metricHandle callbackHandle
}

func (n *native) release() {
	if n.h != nil {
		coreFree(n.h)
		n.h = nil
	}
	n.unpin()
	n.setMetric(0, nil)
}

func (n *native) unpin() {
	if n.pinner != nil {
		n.pinner.Unpin()
	}
	n.pinner, n.viewed = nil, nil
}

// open creates the core index. b must be the first field of its owner so that the cleanup,
// which frees a forgotten index, is tied to the owner's lifetime.
func (b *base) open(conf IndexConfig) error {
	if err := conf.validate(); err != nil {
		return err
	}
	h, st := coreNew(conf)
	if !st.ok() {
		return statusError("NewIndex", st, "")
	}
	b.h, b.config = h, conf
	b.native = &native{h: h}
	b.cleanup = runtime.AddCleanup(b, (*native).release, b.native)
	return nil
}

// status is a core call's outcome: on failure the sentinel error its status code maps to
// (statusKinds in usearch_cgo.go) and the core's message; the zero status is success.
type status struct {
	kind error
	msg  string
}

func (s status) ok() bool { return s.kind == nil }

// statusError turns a failed core status into an error that names the operation and,
// when given, what it was applied to.
func statusError(op string, st status, subject string) error {
	detail := st.msg
	if subject != "" {
		detail = subject + ": " + st.msg
	}
	return &opError{op: op, detail: detail, kind: st.kind}
}

func closedError(op string) error {
	return &opError{op: op, detail: "the index was closed", kind: ErrClosed}
}

// read locks the handle for an ordinary call; the caller must call b.mu.runlock with the
// token when done.
func (b *base) read(op string) (handle, readToken, error) {
	rt := b.mu.rlock()
	if b.h == nil {
		b.mu.runlock(rt)
		return nil, 0, closedError(op)
	}
	return b.h, rt, nil
}

// write locks the handle for a call that changes the content; the caller must call endWrite
// with the token.
func (b *base) write(op string) (handle, readToken, error) {
	gt := b.gate.rlock()
	h, rt, err := b.read(op)
	if err != nil {
		b.gate.runlock(gt)
		return nil, 0, err
	}
	return h, rt<<16 | gt, nil
}

func (b *base) endWrite(t readToken) {
	b.mu.runlock(t >> 16)
	b.gate.runlock(t & 0xFFFF)
}

// vectorLength checks a vector of n elements of kind q against the index dimensions.
func (b *base) vectorLength(op string, n int, q Quantization) error {
	want := b.config.Dimensions
	if q == B1 {
		want = (want + 7) / 8
	}
	if uint(n) != want {
		return &opError{op: op, detail: fmt.Sprintf("got %d elements of %v, want %d for %d dimensions", n, q, want, b.config.Dimensions), kind: ErrDimensionMismatch}
	}
	return nil
}

func addVector[T Scalar](b *base, op string, key Key, vec []T) error {
	h, rt, err := b.write(op)
	if err != nil {
		return err
	}
	defer b.endWrite(rt)
	q := quantizationOf[T]()
	if err := b.vectorLength(op, len(vec), q); err != nil {
		return err
	}
	if err := checkVector(op, vec, b.config.Quantization); err != nil {
		return err
	}
	if b.durable != nil {
		return b.durableAdd(h, op, key, unsafe.Pointer(unsafe.SliceData(vec)), q, len(vec)*int(unsafe.Sizeof(vec[0])))
	}
	if st := b.add(h, key, unsafe.Pointer(unsafe.SliceData(vec)), q); !st.ok() {
		return b.callError(op, st, fmt.Sprintf("key %d", key))
	}
	b.live.Add(1)
	return nil
}

// add and search call the core through entry points that allow callbacks only while a Go
// metric is installed; the others let cgo keep arguments on the stack.
func (b *base) add(h handle, key Key, vec unsafe.Pointer, q Quantization) status {
	if b.native.metric != nil {
		return coreAddCallback(h, key, vec, q)
	}
	return coreAdd(h, key, vec, q)
}

func (b *base) search(h handle, query unsafe.Pointer, q Quantization, k uint, keys *Key, dists *float32) (uint, status) {
	if b.native.metric != nil {
		return coreSearchCallback(h, query, q, k, keys, dists)
	}
	return coreSearch(h, query, q, k, keys, dists)
}

// callError reports a failed call, saying how the Go metric failed (a panic, or a NaN
// distance) when that was the cause.
func (b *base) callError(op string, st status, subject string) error {
	if st.kind == ErrCallback && b.native.metric != nil {
		if p := b.native.metric.lastPanic(); p != nil {
			detail := fmt.Sprintf("the metric %v", p)
			if subject != "" {
				detail = subject + ": " + detail
			}
			return &opError{op: op, detail: detail, kind: ErrCallback}
		}
	}
	return statusError(op, st, subject)
}

func searchVector[T Scalar](b *base, op string, query []T, limit uint) ([]Key, []float32, error) {
	h, rt, err := b.read(op)
	if err != nil {
		return nil, nil, err
	}
	defer b.mu.runlock(rt)
	if err := checkQuery(b, op, query); err != nil {
		return nil, nil, err
	}
	return b.searchPointer(h, op, unsafe.Pointer(unsafe.SliceData(query)), quantizationOf[T](), limit)
}

// checkQuery checks a query's length and values (finite, within the storage kind) for every
// search path, graph or exact.
func checkQuery[T Scalar](b *base, op string, query []T) error {
	if err := b.vectorLength(op, len(query), quantizationOf[T]()); err != nil {
		return err
	}
	return checkVector(op, query, b.config.Quantization)
}

// searchPointer runs one search; the caller holds the read lock.
func (b *base) searchPointer(h handle, op string, query unsafe.Pointer, q Quantization, limit uint) ([]Key, []float32, error) {
	if n := b.live.Load(); n >= 0 && uint64(limit) > uint64(n) {
		limit = uint(n)
	}
	if limit == 0 {
		return []Key{}, []float32{}, nil
	}
	keys := make([]Key, limit)
	dists := make([]float32, limit)
	n, st := b.search(h, query, q, limit, &keys[0], &dists[0])
	if !st.ok() {
		return nil, nil, b.callError(op, st, "")
	}
	return keys[:n], dists[:n], nil
}

func searchInto[T Scalar](b *base, op string, query []T, keys []Key, dists []float32) (int, error) {
	h, rt, err := b.read(op)
	if err != nil {
		return 0, err
	}
	defer b.mu.runlock(rt)
	q := quantizationOf[T]()
	if err := b.vectorLength(op, len(query), q); err != nil {
		return 0, err
	}
	if err := checkVector(op, query, b.config.Quantization); err != nil {
		return 0, err
	}
	limit := min(len(keys), len(dists))
	if limit == 0 {
		return 0, nil
	}
	n, st := b.search(h, unsafe.Pointer(unsafe.SliceData(query)), q, uint(limit), &keys[0], &dists[0])
	if !st.ok() {
		return 0, b.callError(op, st, "")
	}
	return int(n), nil
}

func getVectors[T Scalar](b *base, op string, key Key, maxCount uint) ([]T, error) {
	h, rt, err := b.read(op)
	if err != nil {
		return nil, err
	}
	defer b.mu.runlock(rt)
	n := coreCount(h, key)
	if n > maxCount {
		n = maxCount
	}
	if n == 0 {
		return nil, nil
	}
	per := elementsPerVector[T](b.config.Dimensions)
	out := make([]T, n*per)
	found, st := coreGet(h, key, n, unsafe.Pointer(&out[0]), quantizationOf[T]())
	if !st.ok() {
		return nil, statusError(op, st, "")
	}
	if found == 0 {
		return nil, nil
	}
	return out[:found*per], nil
}

// Len returns the number of vectors stored (removed ones excluded).
func (b *base) Len() (uint, error) {
	h, rt, err := b.read("Len")
	if err != nil {
		return 0, err
	}
	defer b.mu.runlock(rt)
	return coreLen(h), nil
}

func (b *base) stat(op string) (coreStats, error) {
	h, rt, err := b.read(op)
	if err != nil {
		return coreStats{}, err
	}
	defer b.mu.runlock(rt)
	return coreStat(h), nil
}

// Capacity returns how many vectors fit before the index grows its storage.
func (b *base) Capacity() (uint, error) { s, err := b.stat("Capacity"); return s.capacity, err }

// Dimensions returns the number of elements per vector (bits for B1).
func (b *base) Dimensions() (uint, error) { s, err := b.stat("Dimensions"); return s.dimensions, err }

// Connectivity returns the graph degree M of the upper levels.
func (b *base) Connectivity() (uint, error) {
	s, err := b.stat("Connectivity")
	return s.connectivity, err
}

// ExpansionAdd returns the beam width used while inserting.
func (b *base) ExpansionAdd() (uint, error) {
	s, err := b.stat("ExpansionAdd")
	return s.expansionAdd, err
}

// ExpansionSearch returns the beam width used while searching.
func (b *base) ExpansionSearch() (uint, error) {
	s, err := b.stat("ExpansionSearch")
	return s.expansionSearch, err
}

// MemoryUsage returns the bytes held by the index: vectors, graph, key table and scratch.
func (b *base) MemoryUsage() (uint, error) {
	h, rt, err := b.read("MemoryUsage")
	if err != nil {
		return 0, err
	}
	defer b.mu.runlock(rt)
	return coreMemoryUsage(h), nil
}

// HardwareAcceleration names the distance-kernel variant in use, such as "serial",
// "haswell" (AVX2), "skylake" (AVX-512), "ice" (plus VNNI and VPOPCNTDQ) or "genoa" (plus
// AVX512_BF16); on arm64 "neon", "neon_i8" (dot product), "neon_f16" (FHM) or "neon_bf16".
// A level runs the previous level's code for the pairs it adds nothing to.
func (b *base) HardwareAcceleration() (string, error) {
	h, rt, err := b.read("HardwareAcceleration")
	if err != nil {
		return "", err
	}
	defer b.mu.runlock(rt)
	return coreHardware(h), nil
}

func (b *base) changeExpansion(op string, add bool, val uint) error {
	b.mu.lock()
	defer b.mu.unlock()
	if b.h == nil {
		return closedError(op)
	}
	if uint64(val) > maxExpansion {
		return &opError{op: op, detail: fmt.Sprintf("%d is too large; want at most %d, the most vectors an index holds", val, uint64(maxExpansion)), kind: ErrInvalidConfig}
	}
	coreSetExpansion(b.h, add, val)
	return nil
}

// ChangeExpansionAdd sets the beam width used while inserting; 0 means the default 128.
func (b *base) ChangeExpansionAdd(val uint) error {
	return b.changeExpansion("ChangeExpansionAdd", true, val)
}

// ChangeExpansionSearch sets the beam width used while searching; 0 means the default 64.
// A search always explores at least as many candidates as it returns.
func (b *base) ChangeExpansionSearch(val uint) error {
	return b.changeExpansion("ChangeExpansionSearch", false, val)
}

func (b *base) threadsHint(op string) error {
	_, rt, err := b.read(op)
	if err != nil {
		return err
	}
	b.mu.runlock(rt)
	return nil
}

// ChangeThreadsAdd is kept for compatibility. Scratch space is pooled per call, so any
// number of goroutines may add at once whatever value is given.
func (b *base) ChangeThreadsAdd(val uint) error { return b.threadsHint("ChangeThreadsAdd") }

// ChangeThreadsSearch is kept for compatibility; like ChangeThreadsAdd it never limits
// concurrency.
func (b *base) ChangeThreadsSearch(val uint) error { return b.threadsHint("ChangeThreadsSearch") }

// Reserve pre-sizes storage for capacity vectors. It is optional: Add grows the index.
func (b *base) Reserve(capacity uint) error {
	h, rt, err := b.read("Reserve")
	if err != nil {
		return err
	}
	defer b.mu.runlock(rt)
	if st := coreReserve(h, capacity); !st.ok() {
		return statusError("Reserve", st, "")
	}
	return nil
}

// Remove deletes every vector stored under key. Removing an absent key is not an error.
func (b *base) Remove(key Key) error {
	h, rt, err := b.write("Remove")
	if err != nil {
		return err
	}
	defer b.endWrite(rt)
	if b.durable != nil {
		return b.durableRemove(h, key)
	}
	n, st := coreRemove(h, key)
	if !st.ok() {
		return statusError("Remove", st, fmt.Sprintf("key %d", key))
	}
	b.live.Add(-int64(n))
	return nil
}

// Contains reports whether at least one vector is stored under key.
func (b *base) Contains(key Key) (bool, error) {
	n, err := b.countOp("Contains", key)
	return n > 0, err
}

// Count returns the number of vectors stored under key (0 or 1 unless Multi).
func (b *base) Count(key Key) (uint, error) { return b.countOp("Count", key) }

func (b *base) countOp(op string, key Key) (uint, error) {
	h, rt, err := b.read(op)
	if err != nil {
		return 0, err
	}
	defer b.mu.runlock(rt)
	return coreCount(h, key), nil
}

// Rename moves every vector of key from to key to. Without Multi, it fails with
// ErrDuplicateKey when to is already present. When from is absent it changes nothing and
// returns nil, as upstream's rename does (its C call reports 0 vectors moved, no error);
// call Contains first to tell the two apart.
func (b *base) Rename(from, to Key) error {
	h, rt, err := b.write("Rename")
	if err != nil {
		return err
	}
	defer b.endWrite(rt)
	if b.durable != nil {
		return b.durableRename(h, from, to)
	}
	if _, st := coreRename(h, from, to); !st.ok() {
		return statusError("Rename", st, fmt.Sprintf("%d to %d", from, to))
	}
	return nil
}

// Close frees the index. It is idempotent; every other call on a closed index returns
// ErrClosed. It waits for calls in flight to finish.
func (b *base) Close() error {
	if d := b.durable; d != nil && !d.closing.Load() {
		return d.close(b) // stops checkpoints, comes back here, then closes the log
	}
	b.mu.lock()
	defer b.mu.unlock()
	if b.h != nil {
		b.cleanup.Stop()
		b.native.release()
		b.h = nil
	}
	return nil
}

// Destroy is Close, kept for compatibility with upstream's binding.
func (b *base) Destroy() error { return b.Close() }

// Index is an index of float32 vectors stored in its configured Quantization: the drop-in
// equivalent of upstream USearch's Go binding. Use IndexOf for other element types.
type Index struct {
	base
}

// NewIndex creates an empty index. It returns ErrInvalidConfig for zero dimensions, bad
// options, or sizes the file format cannot hold (more than 2^32-1 bytes per vector,
// Connectivity above 2^20, expansions above 2^32-2), naming the limit, and ErrUnsupported
// for a metric that makes no sense on the quantization.
func NewIndex(conf IndexConfig) (*Index, error) {
	idx := &Index{}
	if err := idx.open(conf); err != nil {
		return nil, err
	}
	return idx, nil
}

// Add stores vec under key, converting it to the index's Quantization. It returns
// ErrInvalidArgument, storing nothing, when an element is NaN or ±Inf or does not fit the
// Quantization (beyond ±65504 for F16, for instance); queries are checked the same way.
func (b *Index) Add(key Key, vec []float32) error { return addVector(&b.base, "Add", key, vec) }

// AddI8 stores an int8 vector under key.
func (b *Index) AddI8(key Key, vec []int8) error { return addVector(&b.base, "AddI8", key, vec) }

// AddUnsafe stores the vector at vec, which must hold one vector in the index's
// Quantization (Dimensions elements, or Dimensions/8 bytes rounded up for B1). A float
// vector holding NaN or ±Inf is refused with ErrInvalidArgument.
func (b *Index) AddUnsafe(key Key, vec unsafe.Pointer) error {
	h, rt, err := b.write("AddUnsafe")
	if err != nil {
		return err
	}
	defer b.endWrite(rt)
	if vec == nil {
		return &opError{op: "AddUnsafe", detail: "vector pointer is nil", kind: ErrInvalidArgument}
	}
	if err := b.checkUnsafe("AddUnsafe", vec); err != nil {
		return err
	}
	if b.durable != nil {
		q := b.config.Quantization
		return b.durableAdd(h, "AddUnsafe", key, vec, q, int(q.bytesPerVector(b.config.Dimensions)))
	}
	if st := b.add(h, key, vec, b.config.Quantization); !st.ok() {
		return b.callError("AddUnsafe", st, fmt.Sprintf("key %d", key))
	}
	b.live.Add(1)
	return nil
}

// Search returns up to limit keys nearest to query with their distances, closest first.
func (b *Index) Search(query []float32, limit uint) (keys []Key, distances []float32, err error) {
	return searchVector(&b.base, "Search", query, limit)
}

// SearchInto is Search without allocation: it fills keys and distances (up to the shorter
// of the two) and returns how many results it wrote.
func (b *Index) SearchInto(query []float32, keys []Key, distances []float32) (int, error) {
	return searchInto(&b.base, "SearchInto", query, keys, distances)
}

// SearchI8 searches with an int8 query.
func (b *Index) SearchI8(query []int8, limit uint) ([]Key, []float32, error) {
	return searchVector(&b.base, "SearchI8", query, limit)
}

// SearchUnsafe searches with a query in the index's Quantization.
func (b *Index) SearchUnsafe(query unsafe.Pointer, limit uint) ([]Key, []float32, error) {
	h, rt, err := b.read("SearchUnsafe")
	if err != nil {
		return nil, nil, err
	}
	defer b.mu.runlock(rt)
	if query == nil {
		return nil, nil, &opError{op: "SearchUnsafe", detail: "query pointer is nil", kind: ErrInvalidArgument}
	}
	if err := b.checkUnsafe("SearchUnsafe", query); err != nil {
		return nil, nil, err
	}
	return b.searchPointer(h, "SearchUnsafe", query, b.config.Quantization, limit)
}

// checkUnsafe checks a vector given in the index's own Quantization; only float kinds can
// hold a non-finite value.
func (b *base) checkUnsafe(op string, vec unsafe.Pointer) error {
	q := b.config.Quantization
	return checkInput(op, vec, int(b.config.Dimensions), q, q)
}

// Get returns up to maxCount vectors stored under key as float32, one after another, or
// nil when the key is absent.
func (b *Index) Get(key Key, maxCount uint) ([]float32, error) {
	return getVectors[float32](&b.base, "Get", key, maxCount)
}

// IndexOf is an index whose vectors are given and returned as []T. Vectors are stored in
// the configured Quantization; T is converted on the way in and out.
type IndexOf[T Scalar] struct {
	base
}

// NewIndexOf creates an empty index taking vectors of type T.
func NewIndexOf[T Scalar](conf IndexConfig) (*IndexOf[T], error) {
	idx := &IndexOf[T]{}
	if err := idx.open(conf); err != nil {
		return nil, err
	}
	return idx, nil
}

// Add stores vec under key. For B1x8, vec holds Dimensions/8 bytes rounded up. Float
// elements that are NaN, ±Inf or beyond the Quantization's finite range are refused with
// ErrInvalidArgument and nothing is stored; queries are checked the same way.
func (b *IndexOf[T]) Add(key Key, vec []T) error { return addVector(&b.base, "Add", key, vec) }

// Search returns up to limit keys nearest to query with their distances, closest first.
func (b *IndexOf[T]) Search(query []T, limit uint) ([]Key, []float32, error) {
	return searchVector(&b.base, "Search", query, limit)
}

// SearchInto is Search without allocation: it fills keys and distances (up to the shorter
// of the two) and returns how many results it wrote.
func (b *IndexOf[T]) SearchInto(query []T, keys []Key, distances []float32) (int, error) {
	return searchInto(&b.base, "SearchInto", query, keys, distances)
}

// Get returns up to maxCount vectors stored under key, converted to T, one after another,
// or nil when the key is absent.
func (b *IndexOf[T]) Get(key Key, maxCount uint) ([]T, error) {
	return getVectors[T](&b.base, "Get", key, maxCount)
}

// HardwareAccelerationCompiled lists the kernel variants compiled into this binary.
func HardwareAccelerationCompiled() string { return coreISACompiled() }

// HardwareAccelerationAvailable lists the compiled variants this CPU can run.
func HardwareAccelerationAvailable() string { return coreISAAvailable() }
