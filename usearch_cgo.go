//go:build cgo

package usearch

// This file is the only one that talks to C for the index: it turns Go values into C
// arguments and status codes into Go errors. Every call crosses into C once; the hot calls
// are marked noescape/nocallback so that slices passed to them stay on the Go stack.

/*
#cgo CFLAGS: -O2
#include <stdlib.h>
#include "csrc/usearch_ext.h"

// The trampolines exported by callbacks.go.
extern int usearchGoFilter(usearch_key_t*, size_t, uint8_t*, void*);
extern int usearchGoMetric(void*, void**, size_t, usearch_distance_t*, void*);

// The hot calls also ask, in the same crossing, whether this thread is due to yield to the
// Go scheduler (usearchx_yield_due; see yieldIfDue).
static inline int usearchx_go_add(usearch_index_t index, usearch_key_t key, void const* vector,
                                  usearch_scalar_kind_t kind, int* yield, usearch_error_t* error) {
    int code = usearchx_add(index, key, vector, kind, error);
    *yield = usearchx_yield_due();
    return code;
}
static inline int usearchx_go_search(usearch_index_t index, void const* query, usearch_scalar_kind_t kind,
                                     size_t count, usearch_key_t* keys, usearch_distance_t* distances,
                                     size_t* found, int* yield, usearch_error_t* error) {
    int code = usearchx_search(index, query, kind, count, keys, distances, found, error);
    *yield = usearchx_yield_due();
    return code;
}

// A cgo.Handle travels through the cores' void* state arguments.
static inline void* usearchx_handle_pointer(uintptr_t h) { return (void*)h; }

#cgo noescape usearchx_go_add
#cgo nocallback usearchx_go_add
#cgo noescape usearchx_go_search
#cgo nocallback usearchx_go_search
#cgo nocallback usearchx_yield_due
#cgo noescape usearchx_get
#cgo nocallback usearchx_get
#cgo noescape usearchx_remove
#cgo nocallback usearchx_remove
#cgo noescape usearchx_rename
#cgo nocallback usearchx_rename
#cgo noescape usearchx_distance
#cgo nocallback usearchx_distance
#cgo noescape usearchx_distance_isa
#cgo nocallback usearchx_distance_isa
#cgo noescape usearchx_distances_isa
#cgo nocallback usearchx_distances_isa
#cgo noescape usearchx_cast
#cgo nocallback usearchx_cast
#cgo nocallback usearch_size
#cgo nocallback usearch_count
#cgo noescape usearchx_save_chunk
#cgo nocallback usearchx_save_chunk
#cgo noescape usearchx_first_nonfinite
#cgo nocallback usearchx_first_nonfinite
*/
import "C"

import (
	"embed"
	"runtime"
	"runtime/cgo"
	"unsafe"

	// The C++ core, compiled once in a package of its own; the calls below link to it.
	_ "github.com/usearch-go/usearch/csrc"
)

// The preamble above includes these headers from csrc/; embedding them makes an edit there
// part of this package's build-cache key (the go command hashes only a package's own files).
//
//go:embed csrc/usearch.h csrc/usearch_ext.h
var _ embed.FS

type handle = unsafe.Pointer

var cMetric = [...]C.usearch_metric_kind_t{
	InnerProduct: C.usearch_metric_ip_k,
	Cosine:       C.usearch_metric_cos_k,
	L2sq:         C.usearch_metric_l2sq_k,
	Haversine:    C.usearch_metric_haversine_k,
	Divergence:   C.usearch_metric_divergence_k,
	Pearson:      C.usearch_metric_pearson_k,
	Hamming:      C.usearch_metric_hamming_k,
	Tanimoto:     C.usearch_metric_tanimoto_k,
	Sorensen:     C.usearch_metric_sorensen_k,
	Jaccard:      C.usearch_metric_jaccard_k,
}

var cScalar = [...]C.usearch_scalar_kind_t{
	F32:  C.usearch_scalar_f32_k,
	BF16: C.usearch_scalar_bf16_k,
	F16:  C.usearch_scalar_f16_k,
	F64:  C.usearch_scalar_f64_k,
	I8:   C.usearch_scalar_i8_k,
	B1:   C.usearch_scalar_b1_k,
	U8:   C.usearch_scalar_u8_k,
	E5M2: C.usearch_scalar_e5m2_k,
	E4M3: C.usearch_scalar_e4m3_k,
	E3M2: C.usearch_scalar_e3m2_k,
	E2M3: C.usearch_scalar_e2m3_k,
}

// statusKinds maps each failing usearchx_status_t code of the core to the sentinel error
// it reports; this table is the only place the Go side knows the codes.
var statusKinds = map[C.int]error{
	C.usearchx_not_initialized_k:  ErrClosed,
	C.usearchx_invalid_argument_k: ErrInvalidArgument,
	C.usearchx_unsupported_k:      ErrUnsupported,
	C.usearchx_duplicate_key_k:    ErrDuplicateKey,
	C.usearchx_reserved_key_k:     ErrReservedKey,
	C.usearchx_capacity_k:         ErrIndexFull,
	C.usearchx_read_only_k:        ErrReadOnly,
	C.usearchx_out_of_memory_k:    ErrOutOfMemory,
	C.usearchx_invalid_file_k:     ErrInvalidFile,
	C.usearchx_io_k:               ErrIO,
	C.usearchx_callback_k:         ErrCallback,
	C.usearchx_cancelled_k:        errCancelled,
}

func statusOf(code C.int, msg C.usearch_error_t) status {
	if code == C.usearchx_ok_k {
		return status{}
	}
	kind, known := statusKinds[code]
	if !known {
		kind = ErrInvalidArgument
	}
	s := status{kind: kind, msg: "unknown error"}
	if msg != nil {
		s.msg = C.GoString(msg)
	}
	return s
}

func coreNew(c IndexConfig) (handle, status) {
	opts := C.usearch_init_options_t{
		metric_kind:      cMetric[c.Metric],
		quantization:     cScalar[c.Quantization],
		dimensions:       C.size_t(c.Dimensions),
		connectivity:     C.size_t(c.Connectivity),
		expansion_add:    C.size_t(c.ExpansionAdd),
		expansion_search: C.size_t(c.ExpansionSearch),
		multi:            C.bool(c.Multi),
	}
	var h C.usearch_index_t
	var msg C.usearch_error_t
	code := C.usearchx_init(&opts, &h, &msg)
	return handle(h), statusOf(code, msg)
}

func coreFree(h handle) { C.usearch_free(C.usearch_index_t(h), nil) }

func coreAdd(h handle, key Key, vec unsafe.Pointer, kind Quantization) status {
	var msg C.usearch_error_t
	var yield C.int
	code := C.usearchx_go_add(C.usearch_index_t(h), C.usearch_key_t(key), vec, cScalar[kind], &yield, &msg)
	yieldIfDue(yield)
	return statusOf(code, msg)
}

func coreSearch(h handle, query unsafe.Pointer, kind Quantization, k uint, keys *Key, dists *float32) (uint, status) {
	var msg C.usearch_error_t
	var found C.size_t
	var yield C.int
	code := C.usearchx_go_search(C.usearch_index_t(h), query, cScalar[kind], C.size_t(k),
		(*C.usearch_key_t)(unsafe.Pointer(keys)), (*C.usearch_distance_t)(unsafe.Pointer(dists)), &found, &yield, &msg)
	yieldIfDue(yield)
	return uint(found), statusOf(code, msg)
}

func coreGet(h handle, key Key, count uint, out unsafe.Pointer, kind Quantization) (uint, status) {
	var msg C.usearch_error_t
	var found C.size_t
	code := C.usearchx_get(C.usearch_index_t(h), C.usearch_key_t(key), C.size_t(count), out, cScalar[kind], &found, &msg)
	return uint(found), statusOf(code, msg)
}

func coreRemove(h handle, key Key) (uint, status) {
	var msg C.usearch_error_t
	var n C.size_t
	code := C.usearchx_remove(C.usearch_index_t(h), C.usearch_key_t(key), &n, &msg)
	return uint(n), statusOf(code, msg)
}

func coreRename(h handle, from, to Key) (uint, status) {
	var msg C.usearch_error_t
	var n C.size_t
	code := C.usearchx_rename(C.usearch_index_t(h), C.usearch_key_t(from), C.usearch_key_t(to), &n, &msg)
	return uint(n), statusOf(code, msg)
}

func coreReserve(h handle, n uint) status {
	var msg C.usearch_error_t
	return statusOf(C.usearchx_reserve(C.usearch_index_t(h), C.size_t(n), &msg), msg)
}

func coreCount(h handle, key Key) uint {
	return uint(C.usearch_count(C.usearch_index_t(h), C.usearch_key_t(key), nil))
}

// coreStats reads the index's counters and settings.
type coreStats struct {
	size, capacity, dimensions, connectivity, expansionAdd, expansionSearch uint
}

func coreLen(h handle) uint { return uint(C.usearch_size(C.usearch_index_t(h), nil)) }

func coreStat(h handle) coreStats {
	i := C.usearch_index_t(h)
	return coreStats{
		size:            uint(C.usearch_size(i, nil)),
		capacity:        uint(C.usearch_capacity(i, nil)),
		dimensions:      uint(C.usearch_dimensions(i, nil)),
		connectivity:    uint(C.usearch_connectivity(i, nil)),
		expansionAdd:    uint(C.usearch_expansion_add(i, nil)),
		expansionSearch: uint(C.usearch_expansion_search(i, nil)),
	}
}

func coreMemoryUsage(h handle) uint { return uint(C.usearch_memory_usage(C.usearch_index_t(h), nil)) }

func coreHardware(h handle) string {
	return C.GoString(C.usearch_hardware_acceleration(C.usearch_index_t(h), nil))
}

// coreSetExpansion sets a beam width. 0 means the core's default, which is stored as such
// so that ExpansionAdd and ExpansionSearch report the width in use, as after NewIndex.
func coreSetExpansion(h handle, add bool, v uint) {
	if add {
		if v == 0 {
			v = C.usearchx_default_expansion_add_k
		}
		C.usearch_change_expansion_add(C.usearch_index_t(h), C.size_t(v), nil)
	} else {
		if v == 0 {
			v = C.usearchx_default_expansion_search_k
		}
		C.usearch_change_expansion_search(C.usearch_index_t(h), C.size_t(v), nil)
	}
}

func coreDistance(a, b unsafe.Pointer, kind Quantization, dims uint, m Metric) (float32, status) {
	var msg C.usearch_error_t
	var d C.usearch_distance_t
	code := C.usearchx_distance(a, b, cScalar[kind], C.size_t(dims), cMetric[m], &d, &msg)
	return float32(d), statusOf(code, msg)
}

func coreExactSearch(dataset, queries unsafe.Pointer, datasetSize, queryCount, datasetStride, queryStride uint,
	kind Quantization, dims uint, m Metric, count, threads uint, keys *Key, keysStride uint, dists *float32, distsStride uint) status {
	var msg C.usearch_error_t
	code := C.usearchx_exact_search(dataset, C.size_t(datasetSize), C.size_t(datasetStride),
		queries, C.size_t(queryCount), C.size_t(queryStride), cScalar[kind], C.size_t(dims), cMetric[m],
		C.size_t(count), C.size_t(threads), (*C.usearch_key_t)(unsafe.Pointer(keys)), C.size_t(keysStride),
		(*C.usearch_distance_t)(unsafe.Pointer(dists)), C.size_t(distsStride), &msg)
	return statusOf(code, msg)
}

func coreVersion() string         { return C.GoString(C.usearch_version()) }
func coreISACompiled() string     { return C.GoString(C.usearch_hardware_acceleration_compiled()) }
func coreISAAvailable() string    { return C.GoString(C.usearch_hardware_acceleration_available()) }
func coreISAName(i int) string    { return C.GoString(C.usearchx_isa_name(C.int(i))) }
func coreISAUsable(i int) bool    { return bool(C.usearchx_isa_usable(C.int(i))) }
func coreExactLevel(i int) string { return C.GoString(C.usearchx_exact_level(C.int(i))) }
func coreISACount() (n int) {
	for C.usearchx_isa_name(C.int(n)) != nil {
		n++
	}
	return n
}

func coreDistanceISA(isa int, a, b unsafe.Pointer, kind Quantization, dims uint, m Metric) (float32, status) {
	var msg C.usearch_error_t
	var d C.usearch_distance_t
	code := C.usearchx_distance_isa(C.int(isa), a, b, cScalar[kind], C.size_t(dims), cMetric[m], &d, &msg)
	return float32(d), statusOf(code, msg)
}

// coreDistancesISA scores query against count rows stride bytes apart with the batch kernel
// of variant isa, writing count distances to out.
func coreDistancesISA(isa int, query, rows unsafe.Pointer, count, stride uint, kind Quantization, dims uint, m Metric, out *float32) status {
	var msg C.usearch_error_t
	code := C.usearchx_distances_isa(C.int(isa), query, rows, C.size_t(count), C.size_t(stride), cScalar[kind],
		C.size_t(dims), cMetric[m], (*C.usearch_distance_t)(unsafe.Pointer(out)), &msg)
	return statusOf(code, msg)
}

func coreCast(from unsafe.Pointer, fromKind Quantization, to unsafe.Pointer, toKind Quantization, dims uint) status {
	var msg C.usearch_error_t
	return statusOf(C.usearchx_cast(from, cScalar[fromKind], to, cScalar[toKind], C.size_t(dims), &msg), msg)
}

// ---- persistence ----

func cString(s string) *C.char { return C.CString(s) }

// coreDescribe reads back the configuration in use and the live vector count.
func coreDescribe(h handle) (IndexConfig, uint) {
	var opts C.usearch_init_options_t
	var live C.size_t
	var readOnly C.bool
	if C.usearchx_describe(C.usearch_index_t(h), &opts, &live, &readOnly) != 0 {
		return IndexConfig{}, 0
	}
	conf := configFromC(&opts)
	conf.Connectivity = uint(opts.connectivity)
	conf.ExpansionAdd, conf.ExpansionSearch = uint(opts.expansion_add), uint(opts.expansion_search)
	return conf, uint(live)
}

// configFromC maps C enums back to Go ones; a metric Go has no name for (a file saved with
// a custom metric) reads as Metric(255).
func configFromC(o *C.usearch_init_options_t) IndexConfig {
	conf := IndexConfig{Dimensions: uint(o.dimensions), Multi: bool(o.multi), Metric: Metric(255)}
	for m, c := range cMetric {
		if c == o.metric_kind {
			conf.Metric = Metric(m)
		}
	}
	for q, c := range cScalar {
		if c == o.quantization {
			conf.Quantization = Quantization(q)
		}
	}
	return conf
}

func coreSaveChunk(h handle, cursor *saveCursor, buf []byte) (int, status) {
	return chunked(cursor, func(c *C.usearchx_save_cursor_t, written *C.size_t, msg *C.usearch_error_t) C.int {
		return C.usearchx_save_chunk(C.usearch_index_t(h), c, unsafe.Pointer(unsafe.SliceData(buf)), C.size_t(len(buf)), written, msg)
	})
}

func coreSnapshotBegin(h handle) status {
	var msg C.usearch_error_t
	return statusOf(C.usearchx_snapshot_begin(C.usearch_index_t(h), &msg), msg)
}

func coreSnapshotChunk(h handle, cursor *saveCursor, buf []byte) (int, status) {
	return chunked(cursor, func(c *C.usearchx_save_cursor_t, written *C.size_t, msg *C.usearch_error_t) C.int {
		return C.usearchx_snapshot_chunk(C.usearch_index_t(h), c, unsafe.Pointer(unsafe.SliceData(buf)), C.size_t(len(buf)), written, msg)
	})
}

// chunked runs one call of a chunked image stream with the cursor in C's form.
func chunked(cursor *saveCursor, call func(*C.usearchx_save_cursor_t, *C.size_t, *C.usearch_error_t) C.int) (int, status) {
	var msg C.usearch_error_t
	var written C.size_t
	c := C.usearchx_save_cursor_t{offset: C.uint64_t(cursor.offset), total: C.uint64_t(cursor.total),
		tape_slot: C.uint64_t(cursor.tapeSlot), tape_offset: C.uint64_t(cursor.tapeOffset)}
	code := call(&c, &written, &msg)
	*cursor = saveCursor{offset: uint64(c.offset), total: uint64(c.total), tapeSlot: uint64(c.tape_slot), tapeOffset: uint64(c.tape_offset)}
	return int(written), statusOf(code, msg)
}

// coreSnapshotEnd detaches the running snapshot (writes stop keeping copies); free releases
// it and may run once no write can still be using it.
func coreSnapshotEnd(h handle) (free func()) {
	p := C.usearchx_snapshot_end(C.usearch_index_t(h))
	return func() { C.usearchx_snapshot_free(p) }
}

func coreSerializedLength(h handle) uint {
	return uint(C.usearch_serialized_length(C.usearch_index_t(h), nil))
}

func coreLoad(h handle, path string, view bool) status {
	p := cString(path)
	defer C.free(unsafe.Pointer(p))
	var msg C.usearch_error_t
	return statusOf(C.usearchx_load(C.usearch_index_t(h), p, C.bool(view), &msg), msg)
}

// coreLoadBuffer copies (view false) or references (view true) buf; a viewing caller must
// keep buf pinned for as long as the index uses it.
func coreLoadBuffer(h handle, buf []byte, view bool) status {
	var msg C.usearch_error_t
	return statusOf(C.usearchx_load_buffer(C.usearch_index_t(h), unsafe.Pointer(unsafe.SliceData(buf)), C.size_t(len(buf)), C.bool(view), &msg), msg)
}

func coreMetadata(path string, buf []byte) (IndexConfig, status) {
	var opts C.usearch_init_options_t
	var msg C.usearch_error_t
	var code C.int
	if buf == nil {
		p := cString(path)
		defer C.free(unsafe.Pointer(p))
		code = C.usearchx_metadata(p, nil, 0, &opts, &msg)
	} else {
		code = C.usearchx_metadata(nil, unsafe.Pointer(unsafe.SliceData(buf)), C.size_t(len(buf)), &opts, &msg)
	}
	if code != 0 {
		return IndexConfig{}, statusOf(code, msg)
	}
	return configFromC(&opts), status{}
}

// ---- closures and filters (the trampolines are in callbacks.go) ----

func coreFilteredSearch(h handle, query unsafe.Pointer, kind Quantization, k uint, keys *Key, dists *float32, f *goFilterSpec) (uint, SearchStats, any, status) {
	var spec C.usearchx_filter_t
	var call *filterCall
	if f.fn != nil {
		call = &filterCall{fn: f.fn}
		handle := cgo.NewHandle(call)
		defer handle.Delete()
		spec.batch = C.usearchx_filter_batch_t(C.usearchGoFilter)
		spec.state = C.usearchx_handle_pointer(C.uintptr_t(handle))
	}
	if f.hasAllowed {
		// The spec struct is Go memory that holds a Go pointer: the list must be pinned.
		var pinner runtime.Pinner
		defer pinner.Unpin()
		if len(f.allowed) > 0 {
			pinner.Pin(&f.allowed[0])
		}
		if len(f.table) > 0 {
			pinner.Pin(&f.table[0])
			spec.allowed_table = (*C.usearch_key_t)(unsafe.Pointer(&f.table[0]))
			spec.allowed_table_size = C.size_t(len(f.table))
		}
		spec.has_allowed = true
		spec.allowed = (*C.usearch_key_t)(unsafe.Pointer(unsafe.SliceData(f.allowed)))
		spec.allowed_count = C.size_t(len(f.allowed))
	}
	if f.hasRange {
		spec.has_range, spec.range_min, spec.range_max = true, C.usearch_key_t(f.min), C.usearch_key_t(f.max)
	}
	var msg C.usearch_error_t
	var found C.size_t
	var stats C.usearchx_search_stats_t
	code := C.usearchx_filtered_search(C.usearch_index_t(h), query, cScalar[kind], C.size_t(k), &spec,
		(*C.usearch_key_t)(unsafe.Pointer(keys)), (*C.usearch_distance_t)(unsafe.Pointer(dists)), &found, &stats, &msg)
	yieldIfDue(C.usearchx_yield_due())
	s := SearchStats{Crossings: int(stats.crossings), Judged: int(stats.judged), Visited: int(stats.visited), Exact: bool(stats.exact), Distances: int(stats.distances)}
	var panicked any
	if call != nil {
		panicked = call.panicked
	}
	return uint(found), s, panicked, statusOf(code, msg)
}

// coreChangeMetric installs a Go metric; the returned handle must be deleted once the core
// no longer uses it (next metric change, load, or close).
func coreChangeMetric(h handle, m metricCall) (cgo.Handle, status) {
	handle := cgo.NewHandle(m)
	var msg C.usearch_error_t
	code := C.usearchx_change_metric_batch(C.usearch_index_t(h), C.usearchx_metric_batch_t(C.usearchGoMetric),
		C.usearchx_handle_pointer(C.uintptr_t(handle)), &msg)
	if code != 0 {
		handle.Delete()
		return 0, statusOf(code, msg)
	}
	return handle, status{}
}

func coreKeyHash(k Key) uint64 { return uint64(C.usearchx_key_hash(C.usearch_key_t(k))) }

func coreChangeMetricKind(h handle, m Metric) status {
	var msg C.usearch_error_t
	return statusOf(C.usearchx_change_metric_kind(C.usearch_index_t(h), cMetric[m], &msg), msg)
}

func coreAddCallback(h handle, key Key, vec unsafe.Pointer, kind Quantization) status {
	var msg C.usearch_error_t
	code := C.usearchx_add_callback(C.usearch_index_t(h), C.usearch_key_t(key), vec, cScalar[kind], &msg)
	yieldIfDue(C.usearchx_yield_due())
	return statusOf(code, msg)
}

func coreSearchCallback(h handle, query unsafe.Pointer, kind Quantization, k uint, keys *Key, dists *float32) (uint, status) {
	var msg C.usearch_error_t
	var found C.size_t
	code := C.usearchx_search_callback(C.usearch_index_t(h), query, cScalar[kind], C.size_t(k),
		(*C.usearch_key_t)(unsafe.Pointer(keys)), (*C.usearch_distance_t)(unsafe.Pointer(dists)), &found, &msg)
	yieldIfDue(C.usearchx_yield_due())
	return uint(found), statusOf(code, msg)
}

// yieldIfDue lets the Go scheduler run when the core said this thread is due
// (usearchx_yield_due), about once per millisecond of back-to-back calls.
//
// Why: a goroutine that searches in a loop spends nearly all its time inside C and never
// passes through the scheduler. After 10 ms on one scheduling tick the runtime's monitor
// (sysmon) forcibly takes the goroutine's processor while it is inside a call, hands it to
// another thread, and — having found work to do — keeps waking every 20 us. Measured with
// bench/internal/cgoprobe: a tenth of a core of extra CPU per searching thread, competing
// with the searches on a busy machine. A Gosched each millisecond moves the scheduling tick
// on, so none of that happens; it costs well under a microsecond per millisecond.
func yieldIfDue(due C.int) {
	if due != 0 {
		runtime.Gosched()
	}
}

// coreSearchExact may call a Go metric, so it is neither noescape nor nocallback.
func coreSearchExact(h handle, query unsafe.Pointer, kind Quantization, k uint, keys *Key, dists *float32) (uint, status) {
	var msg C.usearch_error_t
	var found C.size_t
	code := C.usearchx_search_exact(C.usearch_index_t(h), query, cScalar[kind], C.size_t(k),
		(*C.usearch_key_t)(unsafe.Pointer(keys)), (*C.usearch_distance_t)(unsafe.Pointer(dists)), &found, &msg)
	yieldIfDue(C.usearchx_yield_due())
	return uint(found), statusOf(code, msg)
}

// coreSearchExactBatch scores count queries (stride bytes apart) against every live entry
// in one scan, k results each into keys, dists and found (see usearchx_search_exact_batch).
// handled is false, with nothing done, for a Go metric.
func coreSearchExactBatch(h handle, queries unsafe.Pointer, kind Quantization, count, stride, k uint, keys *Key, dists *float32, found *uint) (bool, status) {
	var msg C.usearch_error_t
	var handled C.bool
	code := C.usearchx_search_exact_batch(C.usearch_index_t(h), queries, cScalar[kind], C.size_t(count), C.size_t(stride),
		C.size_t(k), (*C.usearch_key_t)(unsafe.Pointer(keys)), (*C.usearch_distance_t)(unsafe.Pointer(dists)),
		(*C.size_t)(unsafe.Pointer(found)), &handled, &msg)
	yieldIfDue(C.usearchx_yield_due())
	return bool(handled), statusOf(code, msg)
}

// coreExport copies one part of the live entries (see usearchx_export); vectors may be nil.
// It returns the part's size, which exceeds len(keys) when nothing was copied.
func coreExport(h handle, partBits uint, part uint64, keys []Key, vectors unsafe.Pointer, kind Quantization) (uint, status) {
	var msg C.usearch_error_t
	var count C.size_t
	var keyPtr *C.usearch_key_t
	if len(keys) > 0 {
		keyPtr = (*C.usearch_key_t)(unsafe.Pointer(&keys[0]))
	}
	code := C.usearchx_export(C.usearch_index_t(h), C.unsigned(partBits), C.uint64_t(part), keyPtr, vectors,
		cScalar[kind], C.size_t(len(keys)), &count, &msg)
	return uint(count), statusOf(code, msg)
}

type graphStats struct {
	nodes, removed, edges, memory uint
	maxLevel                      int
	levelNodes, levelEdges        [64]uint
}

func coreGraphStats(h handle) graphStats {
	var s C.usearchx_stats_t
	C.usearchx_stats(C.usearch_index_t(h), &s)
	out := graphStats{nodes: uint(s.nodes), removed: uint(s.removed), edges: uint(s.edges),
		memory: uint(s.memory_bytes), maxLevel: int(s.max_level)}
	for l := range out.levelNodes {
		out.levelNodes[l], out.levelEdges[l] = uint(s.level_nodes[l]), uint(s.level_edges[l])
	}
	return out
}

func coreClear(h handle, freeMemory bool) status {
	var msg C.usearch_error_t
	return statusOf(C.usearchx_clear(C.usearch_index_t(h), C.bool(freeMemory), &msg), msg)
}

func coreClone(h handle) (handle, status) {
	var msg C.usearch_error_t
	var out C.usearch_index_t
	code := C.usearchx_clone(C.usearch_index_t(h), &out, &msg)
	return handle(out), statusOf(code, msg)
}

// coreCompact builds the compacted copy; cancel is polled by C while it runs. It may call a
// Go metric, from the core's threads too.
func coreCompact(h handle, cancel *int32, threads uint) (handle, uint64, status) {
	var msg C.usearch_error_t
	var out C.usearch_index_t
	var epoch C.uint64_t
	code := C.usearchx_compact(C.usearch_index_t(h), (*C.int32_t)(unsafe.Pointer(cancel)), C.size_t(threads), &out, &epoch, &msg)
	return handle(out), uint64(epoch), statusOf(code, msg)
}

func coreMutations(h handle) uint64 { return uint64(C.usearchx_mutations(C.usearch_index_t(h))) }

func coreSwap(h, other handle) { C.usearchx_swap(C.usearch_index_t(h), C.usearch_index_t(other)) }

func coreUseCodes(h handle, bits int) status {
	var msg C.usearch_error_t
	return statusOf(C.usearchx_use_codes(C.usearch_index_t(h), C.int(bits), &msg), msg)
}

func coreCodesState(h handle) (int, bool) {
	var bits C.int
	var serving C.bool
	C.usearchx_codes_state(C.usearch_index_t(h), &bits, &serving)
	return int(bits), bool(serving)
}

// coreCodesDot runs the code-distance kernel of one instruction set; ok is false when this
// CPU does not run it.
func coreCodesDot(isa int, codes []uint8, query []int8) (int32, bool) {
	var out C.int32_t
	var c *C.uint8_t
	var q *C.int8_t
	if len(codes) > 0 {
		c, q = (*C.uint8_t)(&codes[0]), (*C.int8_t)(&query[0])
	}
	code := C.usearchx_codes_dot(C.int(isa), c, q, C.size_t(len(codes)), &out)
	return int32(out), code == C.usearchx_ok_k
}

// coreFirstNonFinite returns the first of count rows (stride bytes apart, dims elements of
// kind each) at p holding NaN or an infinity, and that element; row == count when none does.
// It is the scan Load runs over a file's vectors (csrc/nonfinite.hpp), callable on its own so
// that its speed can be measured apart from Load (BenchmarkNonFiniteScan).
func coreFirstNonFinite(p unsafe.Pointer, count, stride uint, kind Quantization, dims uint) (row, dim uint) {
	var d C.size_t
	r := C.usearchx_first_nonfinite(p, C.size_t(count), C.size_t(stride), cScalar[kind], C.size_t(dims), &d)
	return uint(r), uint(d)
}

// graphReach is what usearchx_reach (csrc/reach.hpp) counts: live entries, live entries a
// walk of level 0 from the entry point never meets, and live entries no level-0 list names.
type graphReach struct {
	live, unreachable, orphans uint
}

// reach measures whether every live vector can be found. It reads every list, so the tests
// call it while no add or remove runs.
func (b *base) reach() (graphReach, error) {
	h, rt, err := b.read("reach")
	if err != nil {
		return graphReach{}, err
	}
	defer b.mu.runlock(rt)
	var r C.usearchx_reach_t
	if code := C.usearchx_reach(C.usearch_index_t(h), &r); code != 0 {
		return graphReach{}, statusError("reach", statusOf(code, nil), "")
	}
	return graphReach{live: uint(r.live), unreachable: uint(r.unreachable), orphans: uint(r.orphans)}, nil
}
