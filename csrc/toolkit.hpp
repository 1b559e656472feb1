// toolkit.hpp: whole-index operations over a dense_index that are not part of adding and
// searching one vector: exact search over the index's own content, exporting live entries,
// statistics, clearing, cloning and compaction. They live here, as a friend of dense_index,
// so that index.hpp stays the hot path only.
#pragma once

#include <algorithm>
#include <vector>

#include "index.hpp"

namespace usg {

struct toolkit {
    // search_exact scores every live entry with the index's metric (a Go metric included)
    // and writes the k nearest in ascending distance; removed entries are never scored.
    static status search_exact(dense_index& x, const void* query, scalar_kind kind, size_t k, key_t* keys,
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

  private:
    // results_out sorts ctx.results and writes up to k of them; keys are read now, so an entry
    // removed since it was scored reads as the tombstone and is dropped.
    static size_t results_out(const dense_index& x, context& ctx, size_t k, key_t* keys, float* distances) {
        std::sort_heap(ctx.results.begin(), ctx.results.end(), farther_first());
        size_t n = 0;
        for (size_t i = 0; i < ctx.results.size() && n < k; ++i) {
            key_t key = tape_key(x.tape_of(ctx.results[i].slot));
            if (key == tombstone_key) continue;
            keys[n] = key, distances[n] = ctx.results[i].distance, ++n;
        }
        return n;
    }
};

}  // namespace usg
