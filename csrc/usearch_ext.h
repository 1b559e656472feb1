/*
 * usearch_ext.h: extensions of the usearch-go core beyond the upstream C API, used by the Go
 * package. Every call returns a usearchx_status_t (0 on success) so that callers can tell
 * failures apart without matching message text; the message, when wanted, goes to `error`.
 * Unlike usearch_add, usearchx_add grows capacity on demand, and the usearchx_ calls take
 * vectors in every storage kind, the mini-floats e5m2/e4m3/e3m2/e2m3 included (upstream's
 * usearch_add/search/get refuse those as the caller's kind).
 */
#ifndef USEARCH_GO_EXT_H
#define USEARCH_GO_EXT_H

#include "usearch.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The status of every usearchx_* call. The core's status_code takes its values from these
 * constants and the Go package maps each to a sentinel error (usearch_cgo.go). */
typedef enum usearchx_status_t {
    usearchx_ok_k = 0,
    usearchx_not_initialized_k = 1,
    usearchx_invalid_argument_k = 2,
    usearchx_unsupported_k = 3,
    usearchx_duplicate_key_k = 4,
    usearchx_reserved_key_k = 5,
    usearchx_capacity_k = 6,
    usearchx_read_only_k = 7,
    usearchx_out_of_memory_k = 8,
    /* 9 is unused (it named a "not found" status no call returned). */
    usearchx_invalid_file_k = 10,
    usearchx_io_k = 11,
    usearchx_callback_k = 12,
    usearchx_cancelled_k = 13,
} usearchx_status_t;

/* The defaults a zero connectivity or expansion stands for (upstream's values). */
typedef enum usearchx_defaults_t {
    usearchx_default_connectivity_k = 16,
    usearchx_default_expansion_add_k = 128,
    usearchx_default_expansion_search_k = 64,
} usearchx_defaults_t;

USEARCH_EXPORT int usearchx_init(usearch_init_options_t const* options, usearch_index_t* index, usearch_error_t* error);
USEARCH_EXPORT int usearchx_add(usearch_index_t index, usearch_key_t key, void const* vector,
                                usearch_scalar_kind_t vector_kind, usearch_error_t* error);
USEARCH_EXPORT int usearchx_search(usearch_index_t index, void const* query, usearch_scalar_kind_t query_kind,
                                   size_t count, usearch_key_t* keys, usearch_distance_t* distances, size_t* found,
                                   usearch_error_t* error);
/* Copies up to `count` vectors of `key` (honoured for single-vector indexes too). */
USEARCH_EXPORT int usearchx_get(usearch_index_t index, usearch_key_t key, size_t count, void* vectors,
                                usearch_scalar_kind_t vector_kind, size_t* found, usearch_error_t* error);
USEARCH_EXPORT int usearchx_remove(usearch_index_t index, usearch_key_t key, size_t* removed, usearch_error_t* error);
USEARCH_EXPORT int usearchx_rename(usearch_index_t index, usearch_key_t from, usearch_key_t to, size_t* moved,
                                   usearch_error_t* error);
USEARCH_EXPORT int usearchx_reserve(usearch_index_t index, size_t capacity, usearch_error_t* error);
USEARCH_EXPORT int usearchx_distance(void const* first, void const* second, usearch_scalar_kind_t scalar_kind,
                                     size_t dimensions, usearch_metric_kind_t metric_kind, usearch_distance_t* result,
                                     usearch_error_t* error);
USEARCH_EXPORT int usearchx_exact_search(void const* dataset, size_t dataset_size, size_t dataset_stride,
                                         void const* queries, size_t queries_size, size_t queries_stride,
                                         usearch_scalar_kind_t scalar_kind, size_t dimensions,
                                         usearch_metric_kind_t metric_kind, size_t count, size_t threads,
                                         usearch_key_t* keys, size_t keys_stride, usearch_distance_t* distances,
                                         size_t distances_stride, usearch_error_t* error);

/* A batched filter: keep[i] arrives set by any callback-free parts of the filter; the
 * predicate clears the entries it refuses. Return non-zero to abort the search (the Go
 * layer does so when a closure panics). */
typedef int (*usearchx_filter_batch_t)(usearch_key_t const* keys, size_t count, uint8_t* keep, void* state);

/* What a filtered search may return: every part that is set must agree. */
typedef struct usearchx_filter_t {
    usearchx_filter_batch_t batch; /* optional batched predicate */
    void* state;
    bool has_allowed;              /* allow-list of keys, sorted ascending, read during the call */
    usearch_key_t const* allowed;
    size_t allowed_count;
    /* Optional: the same keys in an open-addressing table (power-of-two size, linear probing
     * from usearchx_key_hash(key), empty cells hold UINT64_MAX) for O(1) membership. */
    usearch_key_t const* allowed_table;
    size_t allowed_table_size;
    bool has_range;                /* inclusive key range */
    usearch_key_t range_min, range_max;
} usearchx_filter_t;

/* The hash the allow-list table is probed with. */
USEARCH_EXPORT uint64_t usearchx_key_hash(usearch_key_t key);

/* Cost of one search: predicate crossings, keys judged, slots visited, exact scan used, and
 * distances computed (greedy descent, walk and scan together). */
typedef struct usearchx_search_stats_t {
    size_t crossings, judged, visited;
    bool exact;
    size_t distances;
} usearchx_search_stats_t;

USEARCH_EXPORT int usearchx_filtered_search(usearch_index_t index, void const* query, usearch_scalar_kind_t query_kind,
                                            size_t count, usearchx_filter_t const* filter, usearch_key_t* keys,
                                            usearch_distance_t* distances, size_t* found,
                                            usearchx_search_stats_t* stats, usearch_error_t* error);

/* A batched user metric: distances from `query` to each of `count` vectors, all in the
 * index's storage kind. Return non-zero to abort the calling add or search. */
typedef int (*usearchx_metric_batch_t)(void const* query, void const* const* vectors, size_t count,
                                       usearch_distance_t* distances, void* state);
USEARCH_EXPORT int usearchx_change_metric_batch(usearch_index_t index, usearchx_metric_batch_t metric, void* state,
                                                usearch_error_t* error);
USEARCH_EXPORT int usearchx_change_metric_kind(usearch_index_t index, usearch_metric_kind_t kind,
                                               usearch_error_t* error);
/* The same as usearchx_add and usearchx_search, for indexes whose metric calls back into Go:
 * cgo must not mark these as free of callbacks. */
USEARCH_EXPORT int usearchx_add_callback(usearch_index_t index, usearch_key_t key, void const* vector,
                                         usearch_scalar_kind_t vector_kind, usearch_error_t* error);
USEARCH_EXPORT int usearchx_search_callback(usearch_index_t index, void const* query, usearch_scalar_kind_t query_kind,
                                            size_t count, usearch_key_t* keys, usearch_distance_t* distances,
                                            size_t* found, usearch_error_t* error);

/* Returns 1 at most once per millisecond per calling thread, 0 otherwise. The Go binding asks
 * after each add or search and then lets its scheduler run (runtime.Gosched): a goroutine
 * that calls into C back to back never passes through the scheduler, so after 10 ms the Go
 * runtime's monitor takes its processor away in the middle of a call and keeps polling every
 * 20 us, which costs a tenth of a core per searching thread (docs/concurrency.md). */
USEARCH_EXPORT int usearchx_yield_due(void);

/* Reads back the configuration (connectivity and expansions as in use), the live vector
 * count and whether the index is a read-only view. */
USEARCH_EXPORT int usearchx_describe(usearch_index_t index, usearch_init_options_t* options, size_t* live,
                                     bool* read_only);

/* Streams the serialized image: zero-initialise a cursor, then call until *written is 0.
 * The index must not change between calls. */
typedef struct usearchx_save_cursor_t {
    uint64_t offset, total, tape_slot, tape_offset;
} usearchx_save_cursor_t;
USEARCH_EXPORT int usearchx_save_chunk(usearch_index_t index, usearchx_save_cursor_t* cursor, void* buffer,
                                       size_t capacity, size_t* written, usearch_error_t* error);
/* A snapshot streams the image of the index as it was when the snapshot began, while writes
 * go on (each write keeps a copy of what it changes of the snapshot's nodes). Begin and end it
 * while no write runs; stream it with usearchx_snapshot_chunk as with usearchx_save_chunk;
 * free what end returns once it is detached (writes no longer see it). One at a time. */
USEARCH_EXPORT int usearchx_snapshot_begin(usearch_index_t index, usearch_error_t* error);
USEARCH_EXPORT int usearchx_snapshot_chunk(usearch_index_t index, usearchx_save_cursor_t* cursor, void* buffer,
                                           size_t capacity, size_t* written, usearch_error_t* error);
USEARCH_EXPORT void* usearchx_snapshot_end(usearch_index_t index);
USEARCH_EXPORT void usearchx_snapshot_free(void* snapshot);
/* Loads (copies) or views a file or buffer; on any failure the index is left as it was. */
USEARCH_EXPORT int usearchx_load(usearch_index_t index, char const* path, bool view, usearch_error_t* error);
USEARCH_EXPORT int usearchx_load_buffer(usearch_index_t index, void const* buffer, size_t length, bool view,
                                        usearch_error_t* error);
/* The first of count rows (stride bytes apart, dimensions elements of scalar_kind each)
 * holding NaN or an infinity, or count when there is none; *dimension receives the element.
 * The scan Load runs over a file's vectors (docs/file-format.md, "Non-finite vectors"). */
USEARCH_EXPORT size_t usearchx_first_nonfinite(void const* rows, size_t count, size_t stride,
                                               usearch_scalar_kind_t scalar_kind, size_t dimensions,
                                               size_t* dimension);
/* Reads a file's (path != NULL) or a buffer's header into options. */
USEARCH_EXPORT int usearchx_metadata(char const* path, void const* buffer, size_t length,
                                     usearch_init_options_t* options, usearch_error_t* error);

/* Kernel variants, for tests that compare every compiled instruction set with "serial". */
USEARCH_EXPORT char const* usearchx_isa_name(int isa);          /* NULL past the last one */
USEARCH_EXPORT bool usearchx_isa_usable(int isa);              /* compiled in and run by this CPU */
USEARCH_EXPORT int usearchx_distance_isa(int isa, void const* first, void const* second,
                                         usearch_scalar_kind_t scalar_kind, size_t dimensions,
                                         usearch_metric_kind_t metric_kind, usearch_distance_t* result,
                                         usearch_error_t* error);
/* Scores query against count rows (stride bytes apart) with the batch kernel of one variant. */
USEARCH_EXPORT int usearchx_distances_isa(int isa, void const* query, void const* rows, size_t count, size_t stride,
                                          usearch_scalar_kind_t scalar_kind, size_t dimensions,
                                          usearch_metric_kind_t metric_kind, usearch_distance_t* results,
                                          usearch_error_t* error);
/* The level whose micro-kernel the blocked exact scan runs on level isa ("serial" when it has
   none): a CPU newer than the kernels must still get the fastest one it can run. */
USEARCH_EXPORT char const* usearchx_exact_level(int isa);
/* Converts one vector between scalar kinds with the rules used on add/get. */
USEARCH_EXPORT int usearchx_cast(void const* from, usearch_scalar_kind_t from_kind, void* to,
                                 usearch_scalar_kind_t to_kind, size_t dimensions, usearch_error_t* error);

/* ---- whole-index toolkit ---- */

/* Brute force over the index's own live entries with its metric (a user metric included):
 * the `count` nearest in ascending distance. May call back into Go. */
USEARCH_EXPORT int usearchx_search_exact(usearch_index_t index, void const* query, usearch_scalar_kind_t query_kind,
                                         size_t count, usearch_key_t* keys, usearch_distance_t* distances,
                                         size_t* found, usearch_error_t* error);

/* usearchx_search_exact for query_count queries (query_stride bytes apart) in one scan of the
 * index's rows, blocked like usearch_exact_search; `count` results per query in keys and
 * distances, found[q] of them set. A user metric sets *handled to false and does nothing:
 * use usearchx_search_exact per query then. Ties go to the lower slot. */
USEARCH_EXPORT int usearchx_search_exact_batch(usearch_index_t index, void const* queries,
                                               usearch_scalar_kind_t query_kind, size_t query_count,
                                               size_t query_stride, size_t count, usearch_key_t* keys,
                                               usearch_distance_t* distances, size_t* found, bool* handled,
                                               usearch_error_t* error);

/* Copies the live entries whose key hash falls in part `part` of 64 << part_bits: keys, and
 * vectors converted to vector_kind when vectors is not NULL. The parts split the key space,
 * so a key belongs to one part whatever happens to the index; each part is a consistent
 * snapshot. When a part holds more than `capacity` entries nothing is copied and *count says
 * how many it holds; otherwise *count entries were written. */
USEARCH_EXPORT int usearchx_export(usearch_index_t index, unsigned part_bits, uint64_t part, usearch_key_t* keys,
                                   void* vectors, usearch_scalar_kind_t vector_kind, size_t capacity, size_t* count,
                                   usearch_error_t* error);

/* Graph statistics: nodes (removed ones included), edges (list entries over all levels) and
 * per level (level_nodes[l] nodes have a list on level l). */
typedef struct usearchx_stats_t {
    size_t nodes, removed, edges, memory_bytes;
    int max_level; /* -1 when empty */
    size_t level_nodes[64], level_edges[64];
} usearchx_stats_t;
USEARCH_EXPORT int usearchx_stats(usearch_index_t index, usearchx_stats_t* stats);

/* Whether every live vector can be found (csrc/reach.hpp): live entries, live entries that a
 * walk of level 0 from the entry point never meets (no search can return them), and live
 * entries that no level-0 list points at. Reads every list: call while no add or remove runs. */
typedef struct usearchx_reach_t {
    size_t live, unreachable, orphans;
} usearchx_reach_t;
USEARCH_EXPORT int usearchx_reach(usearch_index_t index, usearchx_reach_t* out);

/* Drops every vector. Without free_memory the allocations are kept for reuse; a view (or
 * free_memory) is replaced by an empty in-memory index with the same settings and metric. */
USEARCH_EXPORT int usearchx_clear(usearch_index_t index, bool free_memory, usearch_error_t* error);
/* A new index holding a copy of every node, settings and metric (a user metric's state is
 * shared: callers install their own). The copy owns its memory even when index is a view. */
USEARCH_EXPORT int usearchx_clone(usearch_index_t index, usearch_index_t* clone, usearch_error_t* error);
/* Builds aside an index without the removed nodes: lists around them are repaired, nodes are
 * renumbered densely. The index is only read (searches may run meanwhile); *epoch is its
 * mutation count at the start: swap the copy in with usearchx_swap only while no call runs
 * and usearchx_mutations still equals it. A non-zero *cancel (polled) stops the work with
 * usearchx_cancelled_k. threads >= 1 share the repair. May call back into Go. */
USEARCH_EXPORT int usearchx_compact(usearch_index_t index, int32_t const volatile* cancel, size_t threads,
                                    usearch_index_t* compacted, uint64_t* epoch, usearch_error_t* error);
/* Counts finished adds, removes, renames and clears. */
USEARCH_EXPORT uint64_t usearchx_mutations(usearch_index_t index);
/* Moves other's content (a compacted copy) into index and index's into other; index keeps
 * its settings that may change meanwhile (expansions, metric). */
USEARCH_EXPORT int usearchx_swap(usearch_index_t index, usearch_index_t other);

/* ---- compact codes (docs/compact-codes.md) ---- */

/* Makes searches walk the graph on per-dimension 8-bit codes of the stored vectors and re-rank
 * the beam with the real vectors (bits 8), or stops (bits 0). Codes live in memory beside the
 * graph, are fitted once the index holds 256 vectors and re-fitted as it grows, and are
 * rebuilt after a load, view, clear, clone or compaction; files are unchanged. Needs a
 * cos, l2sq or ip metric over f32, f64, f16 or bf16 storage. Call while no other call runs. */
USEARCH_EXPORT int usearchx_use_codes(usearch_index_t index, int bits, usearch_error_t* error);
/* The code-distance kernel of one instruction set (0 serial, 1 AVX2, 2 AVX-512 VNNI): sum of
 * codes[i] * query[i]. usearchx_unsupported_k when this CPU does not run it. For tests. */
USEARCH_EXPORT int usearchx_codes_dot(int isa, uint8_t const* codes, int8_t const* query, size_t n, int32_t* result);
/* Reads the code width set (0: off) and whether codes serve searches now. */
USEARCH_EXPORT int usearchx_codes_state(usearch_index_t index, int* bits, bool* serving);

#ifdef __cplusplus
}
#endif

#endif /* USEARCH_GO_EXT_H */
