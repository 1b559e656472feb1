// clone.hpp: filling an empty index from another: toolkit::init_like (the settings and the
// metric), toolkit::take_settings (what may change on the source while a copy is built) and
// toolkit::clone (every node as it is, removed ones included).
#pragma once

#include <algorithm>
#include <cstring>

#include "toolkit.hpp"

namespace usg {

// init_like configures an empty index exactly as x: settings, expansions and metric (a
// user metric's function and state included).
inline void toolkit::init_like(dense_index& y, const dense_index& x) {
    y.config_ = x.config_;
    y.layout_ = x.layout_;
    y.set_vector_bytes(x.vector_bytes_);
    y.level_multiplier_ = x.level_multiplier_;
    y.metric_ = x.metric_;
    y.initialized_ = true;
}

// take_settings gives y what may change on x without changing its content: expansions
// and the metric (a Go metric may be installed while a compacted copy is being built).
inline void toolkit::take_settings(dense_index& y, const dense_index& x) {
    y.config_.expansion_add = x.config_.expansion_add;
    y.config_.expansion_search = x.config_.expansion_search;
    y.config_.metric = x.config_.metric;
    y.metric_ = x.metric_;
}

// clone copies every node as it is (removed ones and the free list included) into the
// empty index y, which owns all its memory even when x is a view.
inline status toolkit::clone(const dense_index& x, dense_index& y) {
    init_like(y, x);
    size_t n = x.size_.load(std::memory_order_acquire);
    status st = y.reserve(std::max(n, x.capacity()));
    if (!st) return st;
    try {
        for (size_t s = 0; s < n; ++s) {
            const uint8_t* tape = x.tape_of(slot_t(s));
            if (!tape) continue;
            size_t bytes = x.layout_.bytes(tape_level(tape));
            uint8_t* record = y.arena_.allocate(bytes);
            if (!record) return fail(status_code::out_of_memory, "Out of memory!");
            std::memcpy(y.vectors_.row(s), x.row_of(slot_t(s)), x.vector_bytes_), std::memcpy(record, tape, bytes);
            y.slots_[s].tape.store(record, std::memory_order_relaxed);
            key_t key = tape_key(tape);
            if (key != tombstone_key && y.keys_.insert(key, slot_t(s), false) != key_map::inserted)
                return fail(status_code::out_of_memory, "Out of memory!");
        }
        y.free_ = x.free_;
    } catch (...) {
        return fail(status_code::out_of_memory, "Out of memory!");
    }
    y.size_ = n, y.live_ = x.live_.load();
    y.entry_ = x.entry_.load();
    y.recount_in_links();
    return {};
}

}  // namespace usg
