// metric.hpp: the distance an index uses, a built-in kernel or a user function (per pair or
// batched), behind one interface for the graph and the searches.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "config.hpp"
#include "kernels.hpp"
#include "nonfinite.hpp"

namespace usg {

// metric_t is the distance an index uses: a built-in kernel or a user function.
// metric_failed is set when a batch metric asks to abort (a Go metric panicked); every add
// and search runs on one thread, clears it first and reports it at the end.
inline thread_local bool metric_failed = false;

struct metric_t {
    kernel_t kernel;
    size_t length = 0;  // `n` passed to the kernel
    metric_kind label = metric_kind::unknown;
    usearch_metric_t custom = nullptr;
    void* state = nullptr;
    usearchx_metric_batch_t custom_batch = nullptr;  // one crossing per group of vectors
    // guard is on for a view whose storage kind can hold NaN or ±Inf: such an index may
    // serve vectors nobody checked (nonfinite.hpp), and a distance to one is reported as
    // +Inf. An owned index pays one predictable branch per pair or batch call (a batch
    // scores a node's neighbors), nothing per distance.
    nonfinite_guard guard;

    bool valid() const { return custom || custom_batch || kernel.pair; }
    // reset forgets the distance function but keeps the guard, which belongs to the
    // vectors, not to the metric: a view whose metric is changed still needs it.
    void reset() {
        nonfinite_guard keep = guard;
        *this = metric_t{};
        guard = keep;
    }
    // pair and batch score stored vectors (b, v) against a query or another stored vector
    // (a, q); the guard checks the stored ones, queries being checked on input.
    float pair(const uint8_t* a, const uint8_t* b) const {
        float d = pair_raw(a, b);
        return guard.on ? guard.apply(d, b) : d;
    }
    void batch(const uint8_t* q, const uint8_t* const* v, size_t count, float* out) const {
        batch_raw(q, v, count, out);
        if (guard.on)
            for (size_t i = 0; i < count; ++i) out[i] = guard.apply(out[i], v[i]);
    }
    float pair_raw(const uint8_t* a, const uint8_t* b) const {
        if (custom_batch) {
            float d;
            const void* v = b;
            if (metric_failed || custom_batch(a, &v, 1, &d, state) != 0) return metric_failed = true, INFINITY;
            return d;
        }
        if (!custom) return kernel.pair(a, b, length);
        // The C API calls a metric registered with state through the three-argument type;
        // the detour through void(*)(void) is the sanctioned way to say so.
        using stateful = float (*)(const void*, const void*, void*);
        if (state) return reinterpret_cast<stateful>(reinterpret_cast<void (*)(void)>(custom))(a, b, state);
        return custom(a, b);
    }
    void batch_raw(const uint8_t* q, const uint8_t* const* v, size_t count, float* out) const {
        if (custom_batch) {
            if (metric_failed || custom_batch(q, reinterpret_cast<const void* const*>(v), count, out, state) != 0) {
                metric_failed = true;
                std::fill(out, out + count, INFINITY);
            }
            return;
        }
        if (!custom) return kernel.batch(q, v, count, length, out);
        for (size_t i = 0; i < count; ++i) out[i] = pair_raw(q, v[i]);
    }
    const char* isa() const { return custom || custom_batch ? "serial" : kernel.pair ? kernel.isa : "uninitialized"; }
};

// too_few_dimensions refuses a metric the dimensions cannot feed: haversine reads a latitude
// and a longitude from every vector (2 elements), so with fewer it would read past the end.
inline status too_few_dimensions(metric_kind m, size_t dims) {
    if (m == metric_kind::haversine && dims < 2)
        return fail(status_code::invalid_argument, "Haversine needs 2 dimensions (latitude, longitude)");
    return {};
}

// distance_with computes one distance with the kernel of an instruction set, for
// usearch_distance and the per-ISA tests.
inline status distance_with(int isa, const void* a, const void* b, int kind, size_t dims, int metric,
                            float& result) {
    result = std::numeric_limits<float>::quiet_NaN();
    if (!a || !b) return fail(status_code::invalid_argument, "Vector pointer is NULL");
    kernel_t k = find_kernel(metric_kind(metric), scalar_kind(kind), isa);
    if (!k.pair)
        return fail(status_code::unsupported, "Unsupported metric for this index's dimensions and scalar kind!");
    if (status st = too_few_dimensions(metric_kind(metric), dims); !st) return st;
    result = k.pair(a, b, kernel_length(metric_kind(metric), scalar_kind(kind), dims));
    return {};
}

// distances_with is the batch form of distance_with: one query against `count` rows laid
// out `stride` bytes apart, handed to the batch kernel in groups through a pointer array on
// the stack, the way a graph walk hands it a node's neighbours.
inline status distances_with(int isa, const void* query, const void* rows, size_t count, size_t stride, int kind,
                             size_t dims, int metric, float* results) {
    if (!query || (count && (!rows || !results))) return fail(status_code::invalid_argument, "Vector pointer is NULL");
    kernel_t k = find_kernel(metric_kind(metric), scalar_kind(kind), isa);
    if (!k.batch)
        return fail(status_code::unsupported, "Unsupported metric for this index's dimensions and scalar kind!");
    if (status st = too_few_dimensions(metric_kind(metric), dims); !st) return st;
    size_t n = kernel_length(metric_kind(metric), scalar_kind(kind), dims);
    const uint8_t* base = static_cast<const uint8_t*>(rows);
    const uint8_t* group[64];
    for (size_t done = 0; done < count;) {
        size_t g = std::min<size_t>(64, count - done);
        for (size_t i = 0; i < g; ++i) group[i] = base + (done + i) * stride;
        k.batch(query, group, g, n, results + done);
        done += g;
    }
    return {};
}

}  // namespace usg
