// filter.hpp: which keys a filtered search may return (docs/filtered-search.md): callback-free
// parts evaluated in C++, predicates called per key or per group, and the cost counters.
#pragma once

#include <algorithm>
#include <cstring>

#include "keymap.hpp"
#include "usearch.h"
#include "usearch_ext.h"

namespace usg {

// A filter decides which keys may enter the results. Callback-free parts (a sorted
// allow-list, an inclusive key range) are evaluated here; a per-key C predicate is called
// per key; a batch predicate (the Go closure path) is called once per group of candidates.
// All parts present must agree. The counters report the cost of one search.
struct filter_t {
    usearch_filtered_search_callback_t fn = nullptr;
    void* state = nullptr;
    usearchx_filter_batch_t batch = nullptr;
    void* batch_state = nullptr;
    bool has_allowed = false;
    const key_t* allowed = nullptr;  // sorted ascending
    size_t allowed_count = 0;
    const key_t* allowed_table = nullptr;  // optional hash table of the same keys
    size_t allowed_table_size = 0;         // a power of two; empty cells hold 2^64-1
    bool has_range = false;
    key_t range_min = 0, range_max = 0;

    mutable size_t crossings = 0, judged = 0, accepted = 0;
    mutable bool failed = false;  // the batch predicate asked to abort (a Go panic)

    bool active() const { return fn || batch || has_allowed || has_range; }
    bool only_allow_list() const { return has_allowed && !fn && !batch && !has_range; }
    bool cheap_allows(key_t key) const {
        if (has_range && (key < range_min || key > range_max)) return false;
        if (has_allowed && !(allowed_table ? table_has(key) : std::binary_search(allowed, allowed + allowed_count, key)))
            return false;
        return true;
    }
    bool table_has(key_t key) const {
        size_t mask = allowed_table_size - 1;
        for (size_t i = key_hash(key) & mask, probes = 0; probes < allowed_table_size; i = (i + 1) & mask, ++probes) {
            if (allowed_table[i] == key) return true;
            if (allowed_table[i] == tombstone_key) return false;
        }
        return false;
    }
    // judge sets keep[i] for keys[i]; one batch-predicate crossing for the whole group.
    void judge(const key_t* keys, size_t n, uint8_t* keep) const {
        if (!n) return;
        judged += n;
        for (size_t i = 0; i < n; ++i) keep[i] = cheap_allows(keys[i]) && (!fn || fn(keys[i], state) != 0);
        if (fn) crossings += n;
        if (batch && !failed) {
            ++crossings;
            // The predicate sees the verdicts so far and may only clear them.
            if (batch(keys, n, keep, batch_state) != 0) {
                failed = true;
                std::memset(keep, 0, n);
            }
        }
        for (size_t i = 0; i < n; ++i) accepted += keep[i] != 0;
    }
};

}  // namespace usg
