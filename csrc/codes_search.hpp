// codes_search.hpp: compact codes at work on an index (codes.hpp has the codes themselves):
// fitting the ranges over the stored vectors, encoding on add, and the search that walks the
// graph on codes and re-ranks its beam with the real vectors (docs/compact-codes.md).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "codes.hpp"
#include "index.hpp"

namespace usg {

// code_scratch is per-thread scratch for encoding and for the prepared query; context.hpp's
// scratch belongs to the main search path and stays as it is.
struct code_scratch {
    code_query query;
    std::vector<float> f32, lo, hi;
    std::vector<slot_t> slots;
};
inline thread_local code_scratch code_scratch_tls;

// use switches codes on (bits 8) or off (0) and fits them to the vectors present; only while
// no other call runs on the index.
inline status code_search::use(dense_index& x, int bits) {
    if (bits != 0 && bits != 8)
        return fail(status_code::invalid_argument, "Compact codes take 8 bits per dimension (or 0 to switch them off)");
    if (bits == 0) {
        x.codes_.release();
        return {};
    }
    if (x.metric_.custom || x.metric_.custom_batch)
        return fail(status_code::unsupported, "Compact codes need a built-in metric, not a user metric");
    if (const char* why = code_store::unsupported_reason(x.metric_.label, x.config_.storage, x.config_.dimensions))
        return fail(status_code::unsupported, why);
    try {
        x.codes_.configure(bits, x.config_.storage, x.metric_.label, x.config_.dimensions);
        fit(x, true);
    } catch (...) {
        x.codes_.release();
        return fail(status_code::out_of_memory, "Out of memory!");
    }
    return {};
}

// fit learns per-dimension ranges from (a sample of) the live vectors, publishes them and
// encodes every stored vector with them. Searches running meanwhile use the new ranges with
// rows not yet re-encoded: their walks are worse, their answers still exact (re-ranked).
// Without force it is a re-fit an add asked for: skipped when another fit runs.
inline void code_search::fit(dense_index& x, bool force) {
    code_store& cs = x.codes_;
    if (!cs.bits()) return;
    std::unique_lock<std::mutex> lock(cs.fit_mutex, std::defer_lock);
    if (force) lock.lock();
    else if (!lock.try_lock()) return;
    size_t live = x.size();
    if (live < code_store::train_min || (!force && live < cs.next_fit())) return;
    metric_kind metric = x.metric_.label;
    size_t dims = cs.dims(), slots = x.size_.load(std::memory_order_acquire);
    code_scratch& sc = code_scratch_tls;
    sc.f32.resize(dims);
    sc.lo.assign(dims, INFINITY), sc.hi.assign(dims, -INFINITY);
    size_t stride = std::max<size_t>(1, slots / code_store::train_sample), seen = 0;
    for (size_t s = 0; s < slots; s += stride) {
        const uint8_t* v = x.vector_of(slot_t(s));
        const uint8_t* tape = x.tape_of(slot_t(s));
        if (!v || !tape || tape_key(tape) == tombstone_key) continue;
        cs.to_f32(v, metric, sc.f32.data());
        for (size_t i = 0; i < dims; ++i) {
            float f = sc.f32[i];
            if (!(std::fabs(f) <= 3.0e38f)) continue;  // NaN or infinite (f64 storage)
            sc.lo[i] = std::min(sc.lo[i], f), sc.hi[i] = std::max(sc.hi[i], f);
        }
        ++seen;
    }
    if (!seen) return;
    std::unique_ptr<code_params> p(new code_params());
    p->metric = metric, p->dims = dims, p->trained_live = live;
    p->lo.resize(dims), p->step.resize(dims);
    for (size_t i = 0; i < dims; ++i) {
        float lo = sc.lo[i], hi = sc.hi[i];
        if (!(lo <= hi)) lo = hi = 0;
        p->lo[i] = lo;
        // In double: hi - lo of two finite floats can overflow a float.
        p->step[i] = hi > lo ? float((double(hi) - double(lo)) / 255) : 1;
    }
    const code_params& fitted = *p;
    cs.publish(std::move(p));
    // After publishing: an add that stored its vector before this fence is seen below; one
    // that stores it later sees the new fit and encodes itself (code_search::after_store).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    slots = x.size_.load(std::memory_order_acquire);
    cs.ensure(slots);
    for (size_t s = 0; s < slots; ++s)
        if (const uint8_t* v = x.vector_of(slot_t(s))) cs.encode(fitted, s, v, x.tape_of(slot_t(s)), sc.f32);
}

// after_store encodes a vector an add has just stored, before the node is linked (so that
// no walk reaches it without its code).
inline void code_search::after_store(dense_index& x, size_t slot, const uint8_t* v) {
    code_store& cs = x.codes_;
    if (!cs.bits()) return;
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with fit's fence
    try {
        cs.encode_current(slot, v, x.tape_of(slot_t(slot)), code_scratch_tls.f32);
    } catch (...) {
        // Out of memory for scratch: the row keeps what it held, which only costs recall.
    }
}

// after_add fits or re-fits the codes once the index has grown enough.
inline void code_search::after_add(dense_index& x) {
    code_store& cs = x.codes_;
    if (!cs.bits() || x.size() < cs.next_fit()) return;
    try {
        fit(x, false);
    } catch (...) {
        // Out of memory: the codes keep their current fit (or none) and the add stands.
    }
}

// search walks level by level like greedy_descent and beam_search, scoring neighbors by
// their codes, then re-scores the ef best live ones with the real vectors and leaves them
// in ctx.results as a max-heap of exact distances. It returns false, touching nothing, when
// codes cannot serve this index now (off, not fitted yet, or fitted for another metric).
inline bool code_search::search(const dense_index& x, context& ctx, const uint8_t* q, size_t ef) {
    const code_store& cs = x.codes_;
    if (!cs.bits()) return false;
    const code_params* p = cs.params();
    if (!p || p->metric != x.metric_.label || x.metric_.custom || x.metric_.custom_batch) return false;
    uint64_t e = x.entry_.load(std::memory_order_acquire);
    int top = dense_index::entry_level(e);
    if (top < 0) return false;

    code_scratch& sc = code_scratch_tls;
    if (!cs.prepare(*p, q, sc.query)) return false;
    const code_query& cq = sc.query;
    size_t row_bytes = cs.row_bytes();
    // A slot whose row was never made (out of memory) is scored exactly: same scale.
    // Code distances and the exact ones of the re-ranking both count in ctx.distances.
    auto score = [&](slot_t s) {
        ++ctx.distances;
        if (s < cs.allocated()) return cs.distance(*p, cq, cs.row(s));
        const uint8_t* v = x.vector_of(s);
        return v ? x.metric_.pair(q, v) : INFINITY;
    };
    auto prefetch_row = [&](slot_t s) {
        if (s >= cs.allocated()) return;
        const uint8_t* r = cs.row(s);
        for (size_t line = 0; line < row_bytes; line += 64) USG_PREFETCH(r + line);
    };
    // record is a node's tape, from its code row (cached: the node was just scored) when the
    // row has it, else from the slot table.
    auto record = [&](slot_t s) -> uint8_t* {
        if (s < cs.allocated())
            if (uint8_t* t = cs.tape(cs.row(s))) return t;
        return x.tape_of(s);
    };
    // prefetch_record starts loading a node's key and level-0 list.
    size_t record_head = x.layout_.list_offset(0) + 4 + 4 * x.layout_.capacity(0);
    auto prefetch_record = [&](slot_t s) {
        if (const uint8_t* t = record(s))
            for (size_t at = 0; at < record_head + 63; at += 64) USG_PREFETCH(t + std::min(at, record_head - 1));
    };
    // gather collects the unvisited, addressable neighbors of `from` on `level`. Unlike the
    // walk on vectors it does not read the neighbors' slot records: a hop then touches the
    // code rows only, and records are read for the nodes expanded or returned (a slot whose
    // record is not in place yet has no tape and is skipped there).
    auto gather = [&](slot_t from, int level, bool mark) {
        sc.slots.clear();
        uint8_t* tape = record(from);
        if (!tape) return;
        neighbor_list list = x.list_of(tape, level);
        size_t n = std::min<size_t>(list.size(), x.layout_.capacity(level));
        size_t addressable = x.slots_.allocated();
        for (size_t i = 0; i < n; ++i) {
            slot_t s = list[i];
            if (s >= addressable) continue;  // a torn read of a list being written (see beam_search)
            if (mark && ctx.visit(s)) continue;
            prefetch_row(s);
            sc.slots.push_back(s);
        }
    };

    // Upper levels: greedy descent on codes.
    slot_t best = dense_index::entry_slot(e);
    const uint8_t* best_vector = x.vector_of(best);
    if (!best_vector) return false;
    float best_distance = score(best);
    for (int level = top; level > 0; --level)
        for (bool changed = true; changed;) {
            changed = false;
            gather(best, level, false);
            for (slot_t s : sc.slots) {
                float d = score(s);
                if (d < best_distance) best_distance = d, best = s, changed = true;
            }
        }

    // Level 0: beam search on codes. A node joins the results when it is expanded, not when
    // it is scored: its record is read then anyway (for its list), so whether it was removed
    // costs no extra cache miss per scored neighbor. Every node that would end among the ef
    // best is expanded before the walk stops (the walk stops at the first candidate farther
    // than the ef-th result), so the results are the same ef best of the nodes reached.
    // Removed nodes are walked through, never returned.
    ctx.begin_visits(x.size_.load(std::memory_order_acquire));
    ctx.candidates.clear(), ctx.results.clear();
    ctx.visit(best);
    ctx.candidates.push_back({best_distance, best});
    while (!ctx.candidates.empty()) {
        std::pop_heap(ctx.candidates.begin(), ctx.candidates.end(), closer_first());
        candidate c = ctx.candidates.back();
        ctx.candidates.pop_back();
        if (ctx.results.size() >= ef && c.distance > ctx.results.front().distance) break;
        // The next candidate is likely the next one expanded: start fetching its record.
        if (!ctx.candidates.empty()) prefetch_record(ctx.candidates.front().slot);
        const uint8_t* tape = record(c.slot);
        if (!tape) continue;
        if (tape_key(tape) != tombstone_key) {
            ctx.results.push_back(c);
            std::push_heap(ctx.results.begin(), ctx.results.end(), farther_first());
            if (ctx.results.size() > ef) {
                std::pop_heap(ctx.results.begin(), ctx.results.end(), farther_first());
                ctx.results.pop_back();
            }
        }
        gather(c.slot, 0, true);
        for (slot_t s : sc.slots) {
            float d = score(s);
            if (ctx.results.size() >= ef && !(d < ctx.results.front().distance)) continue;
            ctx.candidates.push_back({d, s});
            std::push_heap(ctx.candidates.begin(), ctx.candidates.end(), closer_first());
        }
    }

    // Re-rank: the beam's entries with their exact distances. Every result had its record
    // read when it was expanded, so its row is read straight away, not through the slot table.
    ctx.batch_slots.clear(), ctx.batch_vectors.clear();
    for (const candidate& c : ctx.results) {
        const uint8_t* v = x.row_of(c.slot);
        USG_PREFETCH(v);
        ctx.batch_slots.push_back(c.slot), ctx.batch_vectors.push_back(v);
    }
    size_t count = ctx.batch_slots.size();
    ctx.batch_distances.resize(count);
    if (count) x.metric_.batch(q, ctx.batch_vectors.data(), count, ctx.batch_distances.data());
    ctx.distances += count;
    ctx.results.clear();
    for (size_t i = 0; i < count; ++i) ctx.results.push_back({ctx.batch_distances[i], ctx.batch_slots[i]});
    std::make_heap(ctx.results.begin(), ctx.results.end(), farther_first());
    return true;
}

}  // namespace usg
