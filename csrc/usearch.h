/*
 * usearch.h: C interface of the usearch-go core.
 *
 * Source-compatible with the C header of USearch 2.26.2: the same type names, enum values,
 * struct layout and function prototypes, so a C program written for that header builds
 * against this library unchanged. Behaviour follows the upstream library on its
 * well-defined paths; where upstream crashes or corrupts memory (NULL arguments, calls on an
 * empty handle, writes to a read-only view, ...) this library reports an error instead.
 *
 * Errors: every call that can fail takes a trailing `usearch_error_t* error`. On failure a
 * static, NUL-terminated message is stored there (never free it); on success the slot is
 * left untouched, so set it to NULL before each call. `error` may be NULL.
 */
#ifndef UNUM_USEARCH_H
#define UNUM_USEARCH_H

#ifdef __cplusplus
extern "C" {
#endif

#ifndef USEARCH_EXPORT
#if defined(_WIN32) && !defined(__MINGW32__)
#define USEARCH_EXPORT __declspec(dllexport)
#else
#define USEARCH_EXPORT
#endif
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

USEARCH_EXPORT typedef void* usearch_index_t;
USEARCH_EXPORT typedef uint64_t usearch_key_t;
USEARCH_EXPORT typedef float usearch_distance_t;
USEARCH_EXPORT typedef char const* usearch_error_t;

/* A user-defined distance over two vectors in the index's storage kind. When registered
 * with a non-NULL state through usearch_change_metric, it is called with the state as a
 * third argument (cast a three-argument function to this type). */
USEARCH_EXPORT typedef usearch_distance_t (*usearch_metric_t)(void const*, void const*);

/* A search predicate: non-zero keeps the entry with this key. */
USEARCH_EXPORT typedef int (*usearch_filtered_search_callback_t)(usearch_key_t, void*);

USEARCH_EXPORT typedef enum usearch_metric_kind_t {
    usearch_metric_unknown_k = 0,
    usearch_metric_cos_k = 1,
    usearch_metric_ip_k = 2,
    usearch_metric_l2sq_k = 3,
    usearch_metric_haversine_k = 4,
    usearch_metric_divergence_k = 5,
    usearch_metric_pearson_k = 6,
    usearch_metric_jaccard_k = 7,
    usearch_metric_hamming_k = 8,
    usearch_metric_tanimoto_k = 9,
    usearch_metric_sorensen_k = 10,
} usearch_metric_kind_t;

USEARCH_EXPORT typedef enum usearch_scalar_kind_t {
    usearch_scalar_unknown_k = 0,
    usearch_scalar_f32_k = 1,
    usearch_scalar_f64_k = 2,
    usearch_scalar_f16_k = 3,
    usearch_scalar_i8_k = 4,
    usearch_scalar_b1_k = 5,
    usearch_scalar_bf16_k = 6,
    usearch_scalar_e5m2_k = 7,
    usearch_scalar_e4m3_k = 8,
    usearch_scalar_u8_k = 9,
    usearch_scalar_e2m3_k = 10,
    usearch_scalar_e3m2_k = 11,
} usearch_scalar_kind_t;

USEARCH_EXPORT typedef struct usearch_init_options_t {
    usearch_metric_kind_t metric_kind; /* built-in metric, also the label saved in files */
    usearch_metric_t metric;           /* optional custom distance; NULL = use metric_kind */
    usearch_scalar_kind_t quantization; /* storage kind of vectors */
    size_t dimensions;                  /* elements per vector (bits for b1) */
    size_t connectivity;                /* M of the upper levels; 0 = 16 */
    size_t expansion_add;               /* beam width while inserting; 0 = 128 */
    size_t expansion_search;            /* beam width while searching; 0 = 64 */
    bool multi;                         /* allow several vectors per key */
} usearch_init_options_t;

USEARCH_EXPORT char const* usearch_version(void);
USEARCH_EXPORT char const* usearch_hardware_acceleration_compiled(void);
USEARCH_EXPORT char const* usearch_hardware_acceleration_available(void);

USEARCH_EXPORT usearch_index_t usearch_init(usearch_init_options_t* options, usearch_error_t* error);
USEARCH_EXPORT void usearch_free(usearch_index_t index, usearch_error_t* error);
USEARCH_EXPORT void usearch_clear(usearch_index_t index, usearch_error_t* error);

USEARCH_EXPORT void usearch_save(usearch_index_t index, char const* path, usearch_error_t* error);
USEARCH_EXPORT void usearch_load(usearch_index_t index, char const* path, usearch_error_t* error);
USEARCH_EXPORT void usearch_view(usearch_index_t index, char const* path, usearch_error_t* error);
USEARCH_EXPORT void usearch_metadata(char const* path, usearch_init_options_t* options, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_serialized_length(usearch_index_t index, usearch_error_t* error);
USEARCH_EXPORT void usearch_save_buffer(usearch_index_t index, void* buffer, size_t length, usearch_error_t* error);
USEARCH_EXPORT void usearch_load_buffer(usearch_index_t index, void const* buffer, size_t length,
                                        usearch_error_t* error);
USEARCH_EXPORT void usearch_view_buffer(usearch_index_t index, void const* buffer, size_t length,
                                        usearch_error_t* error);
USEARCH_EXPORT void usearch_metadata_buffer(void const* buffer, size_t length, usearch_init_options_t* options,
                                            usearch_error_t* error);

USEARCH_EXPORT size_t usearch_size(usearch_index_t index, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_capacity(usearch_index_t index, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_dimensions(usearch_index_t index, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_connectivity(usearch_index_t index, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_expansion_add(usearch_index_t index, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_expansion_search(usearch_index_t index, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_memory_usage(usearch_index_t index, usearch_error_t* error);
USEARCH_EXPORT char const* usearch_hardware_acceleration(usearch_index_t index, usearch_error_t* error);

USEARCH_EXPORT void usearch_reserve(usearch_index_t index, size_t capacity, usearch_error_t* error);
USEARCH_EXPORT void usearch_change_expansion_add(usearch_index_t index, size_t expansion, usearch_error_t* error);
USEARCH_EXPORT void usearch_change_expansion_search(usearch_index_t index, size_t expansion, usearch_error_t* error);
USEARCH_EXPORT void usearch_change_threads_add(usearch_index_t index, size_t threads, usearch_error_t* error);
USEARCH_EXPORT void usearch_change_threads_search(usearch_index_t index, size_t threads, usearch_error_t* error);
USEARCH_EXPORT void usearch_change_metric_kind(usearch_index_t index, usearch_metric_kind_t kind, usearch_error_t* error);
USEARCH_EXPORT void usearch_change_metric(usearch_index_t index, usearch_metric_t metric, void* state,
                                          usearch_metric_kind_t kind, usearch_error_t* error);

USEARCH_EXPORT void usearch_add(usearch_index_t index, usearch_key_t key, void const* vector,
                                usearch_scalar_kind_t vector_kind, usearch_error_t* error);
USEARCH_EXPORT bool usearch_contains(usearch_index_t index, usearch_key_t key, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_count(usearch_index_t index, usearch_key_t key, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_get(usearch_index_t index, usearch_key_t key, size_t count, void* vector,
                                  usearch_scalar_kind_t vector_kind, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_remove(usearch_index_t index, usearch_key_t key, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_rename(usearch_index_t index, usearch_key_t from, usearch_key_t to,
                                     usearch_error_t* error);

USEARCH_EXPORT size_t usearch_search(usearch_index_t index, void const* query_vector,
                                     usearch_scalar_kind_t query_kind, size_t count, usearch_key_t* keys,
                                     usearch_distance_t* distances, usearch_error_t* error);
USEARCH_EXPORT size_t usearch_filtered_search(usearch_index_t index, void const* query_vector,
                                              usearch_scalar_kind_t query_kind, size_t count,
                                              usearch_filtered_search_callback_t filter, void* filter_state,
                                              usearch_key_t* keys, usearch_distance_t* distances,
                                              usearch_error_t* error);

USEARCH_EXPORT usearch_distance_t usearch_distance(void const* vector_first, void const* vector_second,
                                                   usearch_scalar_kind_t scalar_kind, size_t dimensions,
                                                   usearch_metric_kind_t metric_kind, usearch_error_t* error);
USEARCH_EXPORT void usearch_exact_search(void const* dataset, size_t dataset_size, size_t dataset_stride,
                                         void const* queries, size_t queries_size, size_t queries_stride,
                                         usearch_scalar_kind_t scalar_kind, size_t dimensions,
                                         usearch_metric_kind_t metric_kind, size_t count, size_t threads,
                                         usearch_key_t* keys, size_t keys_stride, usearch_distance_t* distances,
                                         size_t distances_stride, usearch_error_t* error);

/* Not defined by this library, and not used by this repository's Go package: upstream's header
 * declares it because upstream's Go binding exports a Go predicate under this name and passes
 * its address to usearch_filtered_search from its cgo preamble, which needs this declaration.
 * It stays for source compatibility (docs/c-api.md). */
extern int goFilteredSearchCallback(usearch_key_t, void*);

#ifdef __cplusplus
}
#endif

#endif /* UNUM_USEARCH_H */
