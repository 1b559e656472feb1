// lib.cpp: the C API (usearch.h, upstream-compatible, docs/c-api.md) and our extensions
// (usearch_ext.h) over the core. A thin shim: it converts C arguments, checks handles with
// check(), calls the core and reports the status. No C++ exception crosses this boundary.

// No implicit fused multiply-adds on arm64, where compilers contract a*b+c by default: one
// portable kernel inlined into its pair and its batch form could then round differently
// (pearson over 3 dimensions differed in the 6th digit), and a batch scan would disagree with
// Distance. The NEON kernels fuse explicitly where they mean to. (A pragma, not a flag: cgo
// refuses -ffp-contract in #cgo CXXFLAGS.)
#if defined(__aarch64__) || defined(_M_ARM64)
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#endif
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "codes_search.hpp"
#include "index.hpp"
#include "persist.hpp"
#include "reach.hpp"
#include "exact.hpp"
#include "search.hpp"
#include "clone.hpp"
#include "compact.hpp"
#include "exact_index.hpp"
#include "inspect.hpp"
#include "usearch.h"
#include "usearch_ext.h"

namespace {

using namespace usg;

// A handle owns its index through one more indirection so that Load and View can build
// the new content aside and swap it in only when it is complete and valid.
struct handle_t {
    std::unique_ptr<dense_index> index;
};

dense_index* as_index(usearch_index_t index) { return static_cast<handle_t*>(index)->index.get(); }

// C callers may pass any int as an enum; reading such a value through the C enum type is
// undefined in C++, so the bits are copied out as an int first.
// (Even passing it by value loads it, so these take the address.)
template <typename E> int raw(const E* value) {
    int v;
    static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
    std::memcpy(&v, value, sizeof v);
    return v;
}
metric_kind metric_of(const usearch_metric_kind_t* m) { return metric_kind(raw(m)); }
scalar_kind scalar_of(const usearch_scalar_kind_t* k) { return scalar_kind(raw(k)); }

void set_error(usearch_error_t* error, const char* message) {
    if (error) *error = message;
}

int report(status st, usearch_error_t* error) {
    if (!st) set_error(error, st.message);
    return int(st.code);
}

// need says what a call needs behind its handle: only the handle (load and view replace the
// index), or an index that is configured.
enum class need { handle, configured };

// check is the one test of a handle before a call: NULL handles and, for calls that need
// one, unconfigured indexes fail with status_code::not_initialized.
status check(usearch_index_t index, need what = need::configured) {
    if (!index) return fail(status_code::not_initialized, "Index handle is NULL");
    if (what == need::configured && !as_index(index)->initialized())
        return fail(status_code::not_initialized, "Index is not initialized");
    return {};
}

// with_index runs `op` on the index behind a handle that passed check, and reports.
template <typename F> int with_index(usearch_index_t index, usearch_error_t* error, F op,
                                     need what = need::configured) {
    status st = check(index, what);
    if (st) st = op(*as_index(index));
    return report(st, error);
}

status validate_options(const usearch_init_options_t& o) {
    if (o.connectivity == 1)
        return fail(status_code::invalid_argument,
                    "Connectivity must be at least 2, otherwise the index degenerates into ropes");
    if (o.connectivity > 1u << 20) return fail(status_code::invalid_argument, "Connectivity is too large");
    if (!is_storage_kind(raw(&o.quantization))) return fail(status_code::unsupported, "Unknown scalar kind!");
    // The file format stores bytes per vector in 32 bits; checked before multiplying.
    if (uint64_t(o.dimensions) > uint64_t(0xFFFFFFFFu) * 8 / bytes_per_vector(scalar_of(&o.quantization), 8))
        return fail(status_code::invalid_argument, "Dimensions too large: a vector must fit in 2^32-1 bytes");
    if (!o.metric && !metric_supported(metric_of(&o.metric_kind), scalar_of(&o.quantization)))
        return fail(status_code::unsupported, "Unknown metric kind!");
    return {};
}

status create(const usearch_init_options_t* options, handle_t*& handle) {
    handle = new (std::nothrow) handle_t();
    dense_index* out = handle ? new (std::nothrow) dense_index() : nullptr;
    if (!out) {
        delete handle;
        handle = nullptr;
        return fail(status_code::out_of_memory, "Failed to allocate memory for the index!");
    }
    handle->index.reset(out);
    if (!options) return {};
    status st = validate_options(*options);
    if (st) {
        index_config c;
        c.storage = scalar_of(&options->quantization);
        c.metric = metric_of(&options->metric_kind);
        c.dimensions = options->dimensions;
        c.connectivity = options->connectivity;
        c.expansion_add = expansion_or_default(options->expansion_add, default_expansion_add);
        c.expansion_search = expansion_or_default(options->expansion_search, default_expansion_search);
        c.multi = options->multi;
        st = out->init(c, options->metric);
    }
    if (!st) {
        delete handle;
        handle = nullptr;
    }
    return st;
}

// keep_codes gives an index that replaces another (loaded, viewed, cleared, compacted) the
// compact codes the other had, fitted to its own vectors. Codes are kept in memory only, so
// the replacement always rebuilds them; where its metric cannot use them, it goes without.
void keep_codes(const dense_index& from, dense_index& to) {
    if (from.initialized() && to.initialized() && from.code_bits() && !code_search::use(to, from.code_bits()))
        (void)code_search::use(to, 0);
}

// replace_from parses an image and, only if it is valid and fully adopted, swaps it into the
// handle. Expansions (and, for empty files, connectivity) are kept from the old index.
status replace_from(usearch_index_t handle, const uint8_t* data, size_t len, bool view,
                    std::unique_ptr<mapped_file> mapping) {
    file_image img;
    status st = parse_file(data, len, img);
    if (!st) return st;
    std::unique_ptr<dense_index> fresh(new (std::nothrow) dense_index());
    if (!fresh) return fail(status_code::out_of_memory, "Out of memory!");
    dense_index& old = *as_index(handle);
    index_config keep;
    if (old.initialized()) keep = old.config(), keep.connectivity = old.connectivity();
    if (old.initialized()) keep.connectivity_base = 2 * keep.connectivity;
    st = persistence::adopt(*fresh, img, view, keep);
    if (!st) return st;
    if (mapping) fresh->keep_mapping(std::move(mapping));
    keep_codes(old, *fresh);
    static_cast<handle_t*>(handle)->index.swap(fresh);
    return {};
}

// fresh_like makes an empty index configured as the handle's: the start of Reset, Clone and Compact.
status fresh_like(usearch_index_t index, std::unique_ptr<dense_index>& out) {
    out.reset(new (std::nothrow) dense_index());
    if (!out) return fail(status_code::out_of_memory, "Out of memory!");
    toolkit::init_like(*out, *as_index(index));
    return {};
}

// adopt wraps an index in a new handle.
status adopt(std::unique_ptr<dense_index>& x, usearch_index_t* out) {
    handle_t* h = new (std::nothrow) handle_t();
    if (!h) return fail(status_code::out_of_memory, "Out of memory!");
    h->index = std::move(x);
    *out = h;
    return {};
}

status map_file(const char* path, std::unique_ptr<mapped_file>& out) {
    if (!path) return fail(status_code::invalid_argument, "Path is NULL");
    out.reset(new (std::nothrow) mapped_file());
    if (!out) return fail(status_code::out_of_memory, "Out of memory!");
    if (const char* msg = out->open(path)) return fail(status_code::io, msg);
    return {};
}

status load_path(usearch_index_t handle, const char* path, bool view) {
    std::unique_ptr<mapped_file> file;
    status st = map_file(path, file);
    if (!st) return st;
    const uint8_t* data = file->data();
    size_t len = file->size();
    return replace_from(handle, data, len, view, view ? std::move(file) : nullptr);
}

status metadata_of(const uint8_t* data, size_t len, usearch_init_options_t* options) {
    index_config c;
    status st = parse_metadata(data, len, c);
    if (!st) return st;
    options->metric_kind = usearch_metric_kind_t(c.metric);
    options->metric = nullptr;
    options->quantization = usearch_scalar_kind_t(c.storage);
    options->dimensions = c.dimensions;
    options->connectivity = 0, options->expansion_add = 0, options->expansion_search = 0;
    options->multi = c.multi;
    return {};
}

// fits_storage tells whether element value x, converted the way the core stores it, stays
// finite in the storage kind.
bool fits_storage(double x, scalar_kind storage) {
    switch (storage) {
    case scalar_kind::f32: return std::isfinite(float(x));
    case scalar_kind::f16: return (f32_to_f16(float(x)) & 0x7C00u) != 0x7C00u;
    case scalar_kind::bf16: return (f32_to_bf16(float(x)) & 0x7F80u) != 0x7F80u;
    case scalar_kind::e5m2: return (f32_to_mini(float(x), e5m2_format) & 0x7Fu) < 0x7Cu;
    case scalar_kind::e4m3: case scalar_kind::e3m2: case scalar_kind::e2m3:
        return std::isfinite(float(x));  // rounded through f32, then saturated as upstream does
    default: return std::isfinite(x);  // f64 keeps it; i8, u8 and b1 normalise or threshold
    }
}

// check_input refuses, for the upstream C entry points, a float vector holding NaN, ±Inf
// or a value its storage kind would turn into an infinity: one such vector would sit at
// distance 0 or -Inf from every query. (The Go layer checks before calling the usearchx_
// entry points.) The message lives in a per-thread buffer until the thread's next failure.
status check_input(const dense_index& index, const void* vector, scalar_kind kind) {
    if (!vector || !is_float_family(kind)) return {};
    scalar_kind storage = index.config().storage;
    size_t dims = index.config().dimensions;
    for (size_t i = 0; i < dims; ++i) {
        double x = load_f64(kind, vector, i);
        if (fits_storage(x, storage)) continue;
        static thread_local char message[160];
        if (std::isfinite(x))
            std::snprintf(message, sizeof message, "Vector element %zu = %g overflows the index's scalar kind", i, x);
        else
            std::snprintf(message, sizeof message, "Vector element %zu is %g: vectors must be finite", i, x);
        return fail(status_code::invalid_argument, message);
    }
    return {};
}

std::string join_isas(bool only_usable) {
    std::string s;
    for (int i = 0; i < kern::isa_count; ++i) {
        if (!USG_X86 && !USG_ARM64 && i != kern::isa_serial) continue;
        if (only_usable && i > cpu_isa()) continue;
        if (!s.empty()) s += ", ";
        s += kern::isa_name(i);
    }
    return s;
}

}  // namespace

extern "C" {

char const* usearch_version(void) { return "2.26.2"; }

char const* usearch_hardware_acceleration_compiled(void) {
    static const std::string names = join_isas(false);
    return names.c_str();
}

char const* usearch_hardware_acceleration_available(void) {
    static const std::string names = join_isas(true);
    return names.c_str();
}

usearch_index_t usearch_init(usearch_init_options_t* options, usearch_error_t* error) {
    handle_t* index = nullptr;
    status st = create(options, index);
    if (!st) set_error(error, st.message);
    return index;
}

void usearch_free(usearch_index_t index, usearch_error_t*) { delete static_cast<handle_t*>(index); }

void usearch_save(usearch_index_t index, char const* path, usearch_error_t* error) {
    with_index(index, error, [&](dense_index& x) { return persistence::save_file(x, path); });
}
void usearch_load(usearch_index_t index, char const* path, usearch_error_t* error) {
    if (report(check(index, need::handle), error) == 0) report(load_path(index, path, false), error);
}
void usearch_view(usearch_index_t index, char const* path, usearch_error_t* error) {
    if (report(check(index, need::handle), error) == 0) report(load_path(index, path, true), error);
}
void usearch_metadata(char const* path, usearch_init_options_t* options, usearch_error_t* error) {
    if (!options) return set_error(error, "Options pointer is NULL");
    std::unique_ptr<mapped_file> file;
    status st = map_file(path, file);
    if (st) st = metadata_of(file->data(), file->size(), options);
    report(st, error);
}
size_t usearch_serialized_length(usearch_index_t index, usearch_error_t*) {
    return check(index) ? size_t(persistence::serialized_length(*as_index(index))) : 0;
}
void usearch_save_buffer(usearch_index_t index, void* buffer, size_t length, usearch_error_t* error) {
    with_index(index, error, [&](dense_index& x) {
        if (!buffer) return fail(status_code::invalid_argument, "Buffer is NULL");
        if (length < persistence::serialized_length(x))
            return fail(status_code::invalid_argument, "Failed to serialize into stream");
        save_cursor cursor;
        persistence::save_chunk(x, cursor, static_cast<uint8_t*>(buffer), length);
        return status{};
    });
}
void usearch_load_buffer(usearch_index_t index, void const* buffer, size_t length, usearch_error_t* error) {
    if (report(check(index, need::handle), error) == 0)
        report(replace_from(index, static_cast<const uint8_t*>(buffer), length, false, nullptr), error);
}
void usearch_view_buffer(usearch_index_t index, void const* buffer, size_t length, usearch_error_t* error) {
    if (report(check(index, need::handle), error) == 0)
        report(replace_from(index, static_cast<const uint8_t*>(buffer), length, true, nullptr), error);
}
void usearch_metadata_buffer(void const* buffer, size_t length, usearch_init_options_t* options,
                             usearch_error_t* error) {
    if (!options) return set_error(error, "Options pointer is NULL");
    report(metadata_of(static_cast<const uint8_t*>(buffer), length, options), error);
}

void usearch_clear(usearch_index_t index, usearch_error_t*) {
    if (check(index)) as_index(index)->clear();
}

// The getters answer 0 for a NULL handle, as upstream's do, without reporting an error.
size_t usearch_size(usearch_index_t index, usearch_error_t*) { return index ? as_index(index)->size() : 0; }
size_t usearch_capacity(usearch_index_t index, usearch_error_t*) { return index ? as_index(index)->capacity() : 0; }
size_t usearch_dimensions(usearch_index_t index, usearch_error_t*) { return index ? as_index(index)->dimensions() : 0; }
size_t usearch_connectivity(usearch_index_t index, usearch_error_t*) {
    return index ? as_index(index)->connectivity() : 0;
}
size_t usearch_expansion_add(usearch_index_t index, usearch_error_t*) {
    return index ? as_index(index)->config().expansion_add : 0;
}
size_t usearch_expansion_search(usearch_index_t index, usearch_error_t*) {
    return index ? as_index(index)->config().expansion_search : 0;
}
size_t usearch_memory_usage(usearch_index_t index, usearch_error_t*) {
    return index ? as_index(index)->memory_usage() : 0;
}
char const* usearch_hardware_acceleration(usearch_index_t index, usearch_error_t*) {
    return index ? as_index(index)->metric().isa() : "uninitialized";
}

void usearch_reserve(usearch_index_t index, size_t capacity, usearch_error_t* error) {
    with_index(index, error, [&](dense_index& x) { return x.reserve(capacity); });
}
void usearch_change_expansion_add(usearch_index_t index, size_t expansion, usearch_error_t*) {
    if (index) as_index(index)->change_expansion_add(expansion);
}
void usearch_change_expansion_search(usearch_index_t index, size_t expansion, usearch_error_t*) {
    if (index) as_index(index)->change_expansion_search(expansion);
}
// Scratch contexts are pooled and created on demand, so thread counts are only hints.
void usearch_change_threads_add(usearch_index_t index, size_t, usearch_error_t* error) { report(check(index), error); }
void usearch_change_threads_search(usearch_index_t index, size_t, usearch_error_t* error) {
    report(check(index), error);
}

void usearch_change_metric_kind(usearch_index_t index, usearch_metric_kind_t kind, usearch_error_t* error) {
    with_index(index, error, [&](dense_index& x) { return x.change_metric_kind(metric_of(&kind)); });
}
void usearch_change_metric(usearch_index_t index, usearch_metric_t metric, void* state, usearch_metric_kind_t kind,
                           usearch_error_t* error) {
    with_index(index, error, [&](dense_index& x) { return x.change_metric(metric, state, metric_of(&kind)); });
}

void usearch_add(usearch_index_t index, usearch_key_t key, void const* vector, usearch_scalar_kind_t kind,
                 usearch_error_t* error) {
    with_index(index, error, [&](dense_index& x) {
        // Upstream stores mini-floats but takes no input in them.
        if (!is_caller_kind(raw(&kind))) return fail(status_code::unsupported, "Unknown scalar kind!");
        status st = check_input(x, vector, scalar_of(&kind));
        return st ? x.add(key, vector, scalar_of(&kind), false) : st;
    });
}

bool usearch_contains(usearch_index_t index, usearch_key_t key, usearch_error_t*) {
    return index && as_index(index)->contains(key);
}
size_t usearch_count(usearch_index_t index, usearch_key_t key, usearch_error_t*) {
    return index ? as_index(index)->count(key) : 0;
}

size_t usearch_get(usearch_index_t index, usearch_key_t key, size_t count, void* vector,
                   usearch_scalar_kind_t kind, usearch_error_t* error) {
    if (!check(index)) return 0;  // upstream answers 0 without an error
    if (!is_caller_kind(raw(&kind))) {
        set_error(error, "Unknown scalar kind!");
        return 0;
    }
    if (!vector) {
        set_error(error, "Vector pointer is NULL");
        return 0;
    }
    dense_index& i = *as_index(index);
    // Upstream ignores `count` for single-vector indexes.
    return i.get(key, i.config().multi ? count : 1, vector, scalar_of(&kind));
}

size_t usearch_remove(usearch_index_t index, usearch_key_t key, usearch_error_t* error) {
    size_t removed = 0;
    with_index(index, error, [&](dense_index& x) { return x.remove(key, removed); });
    return removed;
}

size_t usearch_rename(usearch_index_t index, usearch_key_t from, usearch_key_t to, usearch_error_t* error) {
    size_t moved = 0;
    with_index(index, error, [&](dense_index& x) { return x.rename(from, to, moved); });
    return moved;
}

size_t usearch_filtered_search(usearch_index_t index, void const* query, usearch_scalar_kind_t kind, size_t count,
                               usearch_filtered_search_callback_t filter, void* filter_state, usearch_key_t* keys,
                               usearch_distance_t* distances, usearch_error_t* error) {
    size_t found = 0;
    int code = with_index(index, error, [&](dense_index& x) {
        if (!is_caller_kind(raw(&kind))) return fail(status_code::unsupported, "Unknown scalar kind!");
        if (count && (!keys || !distances)) return fail(status_code::invalid_argument, "Output arrays must not be NULL");
        filter_t f{filter, filter_state};  // a NULL filter searches unfiltered
        status st = check_input(x, query, scalar_of(&kind));
        return st ? x.search(query, scalar_of(&kind), count, keys, distances, found, f) : st;
    });
    if (code != 0) return 0;
    for (size_t i = found; i < count; ++i) keys[i] = 0, distances[i] = signaling_nan();
    return found;
}

size_t usearch_search(usearch_index_t index, void const* query, usearch_scalar_kind_t kind, size_t count,
                      usearch_key_t* keys, usearch_distance_t* distances, usearch_error_t* error) {
    return usearch_filtered_search(index, query, kind, count, nullptr, nullptr, keys, distances, error);
}

usearch_distance_t usearch_distance(void const* a, void const* b, usearch_scalar_kind_t kind, size_t dims,
                                    usearch_metric_kind_t metric, usearch_error_t* error) {
    float result;
    report(distance_with(cpu_isa(), a, b, raw(&kind), dims, raw(&metric), result), error);
    return result;
}

void usearch_exact_search(void const* dataset, size_t dataset_size, size_t dataset_stride, void const* queries,
                          size_t queries_size, size_t queries_stride, usearch_scalar_kind_t kind, size_t dims,
                          usearch_metric_kind_t metric, size_t count, size_t threads, usearch_key_t* keys,
                          size_t keys_stride, usearch_distance_t* distances, size_t distances_stride,
                          usearch_error_t* error) {
    report(exact_search(dataset, dataset_size, dataset_stride, queries, queries_size, queries_stride, raw(&kind), dims,
                        raw(&metric), count, threads, keys, keys_stride, distances, distances_stride),
           error);
}

// ---- extensions ----

int usearchx_init(usearch_init_options_t const* options, usearch_index_t* index, usearch_error_t* error) {
    if (!options || !index) return report(fail(status_code::invalid_argument, "Options are NULL"), error);
    handle_t* created = nullptr;
    status st = create(options, created);
    *index = created;
    return report(st, error);
}

int usearchx_yield_due(void) {
    thread_local int64_t last = 0;
    int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch()).count();
    if (now - last < 1000000) return 0;
    last = now;
    return 1;
}

int usearchx_add(usearch_index_t index, usearch_key_t key, void const* vector, usearch_scalar_kind_t kind,
                 usearch_error_t* error) {
    return with_index(index, error, [&](dense_index& x) { return x.add(key, vector, scalar_of(&kind), true); });
}

int usearchx_search(usearch_index_t index, void const* query, usearch_scalar_kind_t kind, size_t count,
                    usearch_key_t* keys, usearch_distance_t* distances, size_t* found, usearch_error_t* error) {
    *found = 0;
    return with_index(index, error,
                      [&](dense_index& x) { return x.search(query, scalar_of(&kind), count, keys, distances, *found); });
}

int usearchx_get(usearch_index_t index, usearch_key_t key, size_t count, void* vectors, usearch_scalar_kind_t kind,
                 size_t* found, usearch_error_t* error) {
    *found = 0;
    return with_index(index, error, [&](dense_index& x) {
        if (!is_storage_kind(raw(&kind))) return fail(status_code::unsupported, "Unknown scalar kind!");
        *found = x.get(key, count, vectors, scalar_of(&kind));
        return status{};
    });
}

int usearchx_remove(usearch_index_t index, usearch_key_t key, size_t* removed, usearch_error_t* error) {
    *removed = 0;
    return with_index(index, error, [&](dense_index& x) { return x.remove(key, *removed); });
}

int usearchx_rename(usearch_index_t index, usearch_key_t from, usearch_key_t to, size_t* moved,
                    usearch_error_t* error) {
    *moved = 0;
    return with_index(index, error, [&](dense_index& x) { return x.rename(from, to, *moved); });
}

int usearchx_reserve(usearch_index_t index, size_t capacity, usearch_error_t* error) {
    return with_index(index, error, [&](dense_index& x) { return x.reserve(capacity); });
}

int usearchx_distance(void const* a, void const* b, usearch_scalar_kind_t kind, size_t dims,
                      usearch_metric_kind_t metric, usearch_distance_t* result, usearch_error_t* error) {
    return report(distance_with(cpu_isa(), a, b, raw(&kind), dims, raw(&metric), *result), error);
}

int usearchx_exact_search(void const* dataset, size_t dataset_size, size_t dataset_stride, void const* queries,
                          size_t queries_size, size_t queries_stride, usearch_scalar_kind_t kind, size_t dims,
                          usearch_metric_kind_t metric, size_t count, size_t threads, usearch_key_t* keys,
                          size_t keys_stride, usearch_distance_t* distances, size_t distances_stride,
                          usearch_error_t* error) {
    return report(exact_search(dataset, dataset_size, dataset_stride, queries, queries_size, queries_stride, raw(&kind),
                               dims, raw(&metric), count, threads, keys, keys_stride, distances, distances_stride),
                  error);
}

int usearchx_describe(usearch_index_t index, usearch_init_options_t* options, size_t* live, bool* read_only) {
    return with_index(index, nullptr, [&](dense_index& x) {
        options->metric_kind = usearch_metric_kind_t(x.metric().label);
        options->metric = nullptr;
        options->quantization = usearch_scalar_kind_t(x.config().storage);
        options->dimensions = x.config().dimensions;
        options->connectivity = x.connectivity();
        options->expansion_add = x.config().expansion_add;
        options->expansion_search = x.config().expansion_search;
        options->multi = x.config().multi;
        *live = x.size();
        *read_only = x.read_only();
        return status{};
    });
}

int usearchx_save_chunk(usearch_index_t index, usearchx_save_cursor_t* cursor, void* buffer, size_t capacity,
                        size_t* written, usearch_error_t* error) {
    *written = 0;
    return with_index(index, error, [&](dense_index& x) {
        save_cursor c{cursor->offset, cursor->total, cursor->tape_slot, cursor->tape_offset};
        *written = persistence::save_chunk(x, c, static_cast<uint8_t*>(buffer), capacity);
        *cursor = usearchx_save_cursor_t{c.offset, c.total, c.tape_slot, c.tape_offset};
        return status{};
    });
}

int usearchx_snapshot_begin(usearch_index_t index, usearch_error_t* error) {
    return with_index(index, error, [&](dense_index& x) { return x.snapshot_begin(); });
}

int usearchx_snapshot_chunk(usearch_index_t index, usearchx_save_cursor_t* cursor, void* buffer, size_t capacity,
                            size_t* written, usearch_error_t* error) {
    *written = 0;
    return with_index(index, error, [&](dense_index& x) {
        save_cursor c{cursor->offset, cursor->total, cursor->tape_slot, cursor->tape_offset};
        status st = persistence::snapshot_chunk(x, c, static_cast<uint8_t*>(buffer), capacity, *written);
        *cursor = usearchx_save_cursor_t{c.offset, c.total, c.tape_slot, c.tape_offset};
        return st;
    });
}

void* usearchx_snapshot_end(usearch_index_t index) {
    return check(index) ? as_index(index)->snapshot_detach() : nullptr;
}

void usearchx_snapshot_free(void* snapshot) { dense_index::snapshot_free(snapshot); }

int usearchx_load(usearch_index_t index, char const* path, bool view, usearch_error_t* error) {
    return with_index(index, error, [&](dense_index&) { return load_path(index, path, view); }, need::handle);
}

int usearchx_load_buffer(usearch_index_t index, void const* buffer, size_t length, bool view,
                         usearch_error_t* error) {
    return with_index(
        index, error,
        [&](dense_index&) { return replace_from(index, static_cast<const uint8_t*>(buffer), length, view, nullptr); },
        need::handle);
}

size_t usearchx_first_nonfinite(void const* rows, size_t count, size_t stride, usearch_scalar_kind_t kind,
                                size_t dims, size_t* dimension) {
    if (!rows || !is_storage_kind(raw(&kind))) return count;
    return first_nonfinite(scalar_of(&kind), static_cast<const uint8_t*>(rows), count, stride, dims, dimension);
}

int usearchx_metadata(char const* path, void const* buffer, size_t length, usearch_init_options_t* options,
                      usearch_error_t* error) {
    if (!path) return report(metadata_of(static_cast<const uint8_t*>(buffer), length, options), error);
    std::unique_ptr<mapped_file> file;
    status st = map_file(path, file);
    if (st) st = metadata_of(file->data(), file->size(), options);
    return report(st, error);
}

int usearchx_filtered_search(usearch_index_t index, void const* query, usearch_scalar_kind_t kind, size_t count,
                             usearchx_filter_t const* spec, usearch_key_t* keys, usearch_distance_t* distances,
                             size_t* found, usearchx_search_stats_t* stats, usearch_error_t* error) {
    *found = 0;
    return with_index(index, error, [&](dense_index& x) {
        filter_t f;
        if (spec) {
            f.batch = spec->batch, f.batch_state = spec->state;
            f.has_allowed = spec->has_allowed, f.allowed = spec->allowed, f.allowed_count = spec->allowed_count;
            f.has_range = spec->has_range, f.range_min = spec->range_min, f.range_max = spec->range_max;
            if (f.has_allowed && f.allowed_count && !f.allowed)
                return fail(status_code::invalid_argument, "Allow-list pointer is NULL");
            size_t table_size = spec->allowed_table_size;
            if (spec->allowed_table && table_size && !(table_size & (table_size - 1)))
                f.allowed_table = spec->allowed_table, f.allowed_table_size = table_size;
        }
        return x.search(query, scalar_of(&kind), count, keys, distances, *found, f, stats);
    });
}

int usearchx_change_metric_batch(usearch_index_t index, usearchx_metric_batch_t metric, void* state,
                                 usearch_error_t* error) {
    return with_index(index, error, [&](dense_index& x) { return x.change_metric_batch(metric, state); });
}

int usearchx_change_metric_kind(usearch_index_t index, usearch_metric_kind_t kind, usearch_error_t* error) {
    return with_index(index, error, [&](dense_index& x) {
        status st = x.change_metric_kind(metric_of(&kind));
        // Codes are fitted for one metric (cosine codes are of normalized vectors): re-fit.
        if (st && x.code_bits() && !code_search::use(x, x.code_bits())) (void)code_search::use(x, 0);
        return st;
    });
}

int usearchx_add_callback(usearch_index_t index, usearch_key_t key, void const* vector, usearch_scalar_kind_t kind,
                          usearch_error_t* error) {
    return usearchx_add(index, key, vector, kind, error);
}

int usearchx_search_callback(usearch_index_t index, void const* query, usearch_scalar_kind_t kind, size_t count,
                             usearch_key_t* keys, usearch_distance_t* distances, size_t* found,
                             usearch_error_t* error) {
    return usearchx_search(index, query, kind, count, keys, distances, found, error);
}

uint64_t usearchx_key_hash(usearch_key_t key) { return key_hash(key); }

char const* usearchx_isa_name(int isa) {
    if (isa < 0 || isa >= kern::isa_count) return nullptr;
    return kern::isa_name(isa);
}

bool usearchx_isa_usable(int isa) { return isa >= 0 && isa <= cpu_isa() && (USG_X86 || USG_ARM64 || isa == kern::isa_serial); }

char const* usearchx_exact_level(int isa) { return exact_gemm::plan_for(metric_kind::l2sq, isa).level; }

int usearchx_distance_isa(int isa, void const* a, void const* b, usearch_scalar_kind_t kind, size_t dims,
                          usearch_metric_kind_t metric, usearch_distance_t* result, usearch_error_t* error) {
    if (!usearchx_isa_usable(isa))
        return report(fail(status_code::unsupported, "Instruction set not available on this CPU"), error);
    return report(distance_with(isa, a, b, raw(&kind), dims, raw(&metric), *result), error);
}

int usearchx_distances_isa(int isa, void const* query, void const* rows, size_t count, size_t stride,
                           usearch_scalar_kind_t kind, size_t dims, usearch_metric_kind_t metric,
                           usearch_distance_t* results, usearch_error_t* error) {
    if (!usearchx_isa_usable(isa))
        return report(fail(status_code::unsupported, "Instruction set not available on this CPU"), error);
    return report(distances_with(isa, query, rows, count, stride, raw(&kind), dims, raw(&metric), results), error);
}

int usearchx_cast(void const* from, usearch_scalar_kind_t from_kind, void* to, usearch_scalar_kind_t to_kind,
                  size_t dims, usearch_error_t* error) {
    if (!from || !to) return report(fail(status_code::invalid_argument, "Vector pointer is NULL"), error);
    if (!cast_vector(from, scalar_of(&from_kind), to, scalar_of(&to_kind), dims))
        return report(fail(status_code::unsupported, "Unknown scalar kind!"), error);
    return 0;
}

// ---- whole-index toolkit (toolkit.hpp) ----

int usearchx_search_exact(usearch_index_t index, void const* query, usearch_scalar_kind_t kind, size_t count,
                          usearch_key_t* keys, usearch_distance_t* distances, size_t* found, usearch_error_t* error) {
    *found = 0;
    return with_index(index, error, [&](dense_index& x) {
        return toolkit::search_exact(x, query, scalar_of(&kind), count, keys, distances, *found);
    });
}

int usearchx_search_exact_batch(usearch_index_t index, void const* queries, usearch_scalar_kind_t kind,
                                size_t query_count, size_t query_stride, size_t count, usearch_key_t* keys,
                                usearch_distance_t* distances, size_t* found, bool* handled, usearch_error_t* error) {
    *handled = false;
    return with_index(index, error, [&](dense_index& x) {
        return toolkit::search_exact_batch(x, queries, scalar_of(&kind), query_count, query_stride, count, keys,
                                           distances, found, *handled);
    });
}

int usearchx_export(usearch_index_t index, unsigned part_bits, uint64_t part, usearch_key_t* keys, void* vectors,
                    usearch_scalar_kind_t kind, size_t capacity, size_t* count, usearch_error_t* error) {
    *count = 0;
    return with_index(index, error, [&](dense_index& x) {
        return toolkit::export_part(x, part_bits, part, keys, vectors, scalar_of(&kind), capacity, *count);
    });
}

int usearchx_stats(usearch_index_t index, usearchx_stats_t* out) {
    *out = usearchx_stats_t{};
    return with_index(index, nullptr, [&](dense_index& x) {
        toolkit::stats st = toolkit::graph_stats(x);
        out->nodes = st.nodes, out->removed = st.removed, out->edges = st.edges, out->max_level = st.max_level;
        for (size_t l = 0; l < 64; ++l)
            out->level_nodes[l] = st.level_nodes[l], out->level_edges[l] = st.level_edges[l];
        out->memory_bytes = x.memory_usage();
        return status{};
    });
}

int usearchx_reach(usearch_index_t index, usearchx_reach_t* out) {
    *out = usearchx_reach_t{};
    return with_index(index, nullptr, [&](dense_index& x) {
        reachability::report r = reachability::measure(x);
        out->live = r.live, out->unreachable = r.unreachable, out->orphans = r.orphans;
        return status{};
    });
}

int usearchx_clear(usearch_index_t index, bool free_memory, usearch_error_t* error) {
    return with_index(index, error, [&](dense_index& x) {
        if (!free_memory && !x.read_only()) {
            x.clear();
            return status{};
        }
        // Dropping the memory (or a view's file) is replacing the content with an empty copy.
        std::unique_ptr<dense_index> fresh;
        status st = fresh_like(index, fresh);
        if (st) keep_codes(x, *fresh), static_cast<handle_t*>(index)->index.swap(fresh);
        return st;
    });
}

int usearchx_clone(usearch_index_t index, usearch_index_t* clone, usearch_error_t* error) {
    *clone = nullptr;
    return with_index(index, error, [&](dense_index& x) {
        std::unique_ptr<dense_index> copy(new (std::nothrow) dense_index());
        status st = copy ? toolkit::clone(x, *copy) : fail(status_code::out_of_memory, "Out of memory!");
        if (st) keep_codes(x, *copy);
        return st ? adopt(copy, clone) : st;
    });
}

int usearchx_compact(usearch_index_t index, int32_t const volatile* cancel, size_t threads,
                     usearch_index_t* compacted, uint64_t* epoch, usearch_error_t* error) {
    *compacted = nullptr, *epoch = 0;
    return with_index(index, error, [&](dense_index& x) {
        std::unique_ptr<dense_index> copy(new (std::nothrow) dense_index());
        status st = copy ? toolkit::compact(x, *copy, cancel, threads, *epoch)
                         : fail(status_code::out_of_memory, "Out of memory!");
        return st ? adopt(copy, compacted) : st;
    });
}

uint64_t usearchx_mutations(usearch_index_t index) {
    return check(index) ? toolkit::mutations(*as_index(index)) : 0;
}

int usearchx_swap(usearch_index_t index, usearch_index_t other) {
    status st = check(index, need::handle);
    if (st) st = check(other, need::handle);
    if (st && as_index(index)->initialized() && as_index(other)->initialized())
        toolkit::take_settings(*as_index(other), *as_index(index));
    if (st) static_cast<handle_t*>(index)->index.swap(static_cast<handle_t*>(other)->index);
    if (st) keep_codes(*as_index(other), *as_index(index));
    return report(st, nullptr);
}

int usearchx_use_codes(usearch_index_t index, int bits, usearch_error_t* error) {
    return with_index(index, error, [&](dense_index& x) { return code_search::use(x, bits); });
}

int usearchx_codes_dot(int isa, uint8_t const* codes, int8_t const* query, size_t n, int32_t* result) {
    codes_kern::dot_fn f = codes_kern::dot_by_isa(isa);
    if (!f) return usearchx_unsupported_k;
    *result = f(codes, query, n);
    return usearchx_ok_k;
}

int usearchx_codes_state(usearch_index_t index, int* bits, bool* serving) {
    *bits = 0, *serving = false;
    return with_index(index, nullptr, [&](dense_index& x) {
        *bits = x.code_bits(), *serving = x.codes_serving();
        return status{};
    });
}

}  // extern "C"
