// exact_index.hpp: exact search over an index's own rows (toolkit::search_exact for one
// query, toolkit::search_exact_batch for many), on the driver of exact.hpp for built-in
// metrics; results_out ranks a context's results and reads their keys.
#pragma once

#include <algorithm>
#include <vector>

#include "exact.hpp"
#include "search.hpp"
#include "toolkit.hpp"

namespace usg {

// search_exact scores every live entry with the index's metric (a Go metric included)
// and writes the k nearest in ascending distance; removed entries are never scored.
inline status toolkit::search_exact(dense_index& x, const void* query, scalar_kind kind, size_t k, key_t* keys,
                                    float* distances, size_t& found) {
    found = 0;
    if (!x.initialized_) return fail(status_code::not_initialized, "Index is not initialized");
    if (!is_storage_kind(int(kind))) return fail(status_code::unsupported, "Unknown scalar kind!");
    if (!query) return fail(status_code::invalid_argument, "Query pointer is NULL");
    if (!x.metric_.valid()) return fail(status_code::unsupported, "Index has no metric: set one before searching");
    if (k == 0) return {};
    context_pool::guard guard(x.pool_);
    if (!guard.get()) return fail(status_code::out_of_memory, "Out of memory!");
    context& ctx = *guard.get();
    metric_failed = false;
    try {
        const uint8_t* q = x.convert_query(ctx, query, kind);
        x.exact_filtered(ctx, q, k, filter_t(), false);
    } catch (...) {
        return fail(status_code::out_of_memory, "Out of memory!");
    }
    if (metric_failed) return fail(status_code::callback, "The metric failed (a Go metric panicked)");
    found = results_out(x, ctx, k, keys, distances);
    return {};
}

// search_exact_batch is search_exact for many queries at once: one scan of the live rows
// (exact.hpp) in which each block of rows is read once per block of queries, and the
// built-in metrics are scored as a blocked matrix product. Ties go to the lower slot. A
// user metric is not handled (handled stays false): the caller scans query by query.
// keys and distances hold k per query; found[q] tells how many of them are set.
inline status toolkit::search_exact_batch(dense_index& x, const void* queries, scalar_kind kind, size_t query_count,
                                          size_t query_stride, size_t k, key_t* keys, float* distances, size_t* found,
                                          bool& handled) {
    handled = false;
    if (!x.initialized_) return fail(status_code::not_initialized, "Index is not initialized");
    if (!is_storage_kind(int(kind))) return fail(status_code::unsupported, "Unknown scalar kind!");
    if (!queries && query_count) return fail(status_code::invalid_argument, "Query pointer is NULL");
    if (!x.metric_.valid()) return fail(status_code::unsupported, "Index has no metric: set one before searching");
    if (x.metric_.custom || x.metric_.custom_batch || !x.metric_.kernel.pair) return {};
    handled = true;
    for (size_t q = 0; q < query_count; ++q) found[q] = 0;
    if (k == 0 || query_count == 0) return {};
    try {
        // The queries in the storage kind, end to end.
        size_t bytes = x.vector_bytes_;
        std::vector<uint8_t> converted(query_count * bytes);
        const uint8_t* in = static_cast<const uint8_t*>(queries);
        for (size_t q = 0; q < query_count; ++q)
            cast_vector(in + q * query_stride, kind, converted.data() + q * bytes, x.config_.storage, x.config_.dimensions);
        // The live rows, in slot order.
        std::vector<const uint8_t*> rows;
        std::vector<slot_t> slots, poisoned;
        size_t n = x.size_.load(std::memory_order_acquire);
        for (size_t s = 0; s < n; ++s) {
            const uint8_t* tape = x.tape_of(slot_t(s));
            if (!tape || tape_key(tape) == tombstone_key) continue;
            // A view may hold non-finite vectors (nonfinite.hpp): the scan reads every
            // row anyway, so they are set apart here and ranked last, at +Inf.
            const uint8_t* row = x.row_of(slot_t(s));
            if (x.metric_.guard.on && !vector_finite(x.config_.storage, row, x.config_.dimensions)) {
                poisoned.push_back(slot_t(s));
                continue;
            }
            rows.push_back(row);
            slots.push_back(slot_t(s));
        }
        exact_job job{rows.data(), rows.size(), converted.data(), query_count, bytes, x.metric_.label,
                      x.config_.storage, x.config_.dimensions, x.metric_.length, x.metric_.kernel};
        return exact_search_rows(job, k, 1, [&](size_t q, const candidate* ranked, size_t count) {
            size_t m = 0;
            for (size_t i = 0; i < count && m < k; ++i) {
                // Keys are read now: an entry removed since the rows were listed is dropped.
                const uint8_t* tape = x.tape_of(slots[ranked[i].slot]);
                if (!tape) continue;
                key_t key = tape_key(tape);
                if (key == tombstone_key) continue;
                keys[q * k + m] = key, distances[q * k + m] = ranked[i].distance, ++m;
            }
            for (size_t i = 0; i < poisoned.size() && m < k; ++i) {
                const uint8_t* tape = x.tape_of(poisoned[i]);
                if (!tape || tape_key(tape) == tombstone_key) continue;
                keys[q * k + m] = tape_key(tape), distances[q * k + m] = INFINITY, ++m;
            }
            found[q] = m;
        });
    } catch (...) {
        return fail(status_code::out_of_memory, "Out of memory!");
    }
}

// results_out sorts ctx.results and writes up to k of them; keys are read now, so an entry
// removed since it was scored reads as the tombstone and is dropped.
inline size_t toolkit::results_out(const dense_index& x, context& ctx, size_t k, key_t* keys, float* distances) {
    std::sort_heap(ctx.results.begin(), ctx.results.end(), farther_first());
    size_t n = 0;
    for (size_t i = 0; i < ctx.results.size() && n < k; ++i) {
        const uint8_t* tape = x.tape_of(ctx.results[i].slot);
        if (!tape) continue;  // a slot read torn (search.hpp, gather_neighbors)
        key_t key = tape_key(tape);
        if (key == tombstone_key) continue;
        keys[n] = key, distances[n] = ctx.results[i].distance, ++n;
    }
    return n;
}

}  // namespace usg
