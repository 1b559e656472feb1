// search.hpp: finding the nearest entries: the greedy descent through the upper levels, the
// beam search on one level (filtered or not), the exact filtered scan it falls back to, the
// public dense_index::search that chooses between them (docs/filtered-search.md). The
// brute-force search over a dataset without an index is in exact.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "index.hpp"

namespace usg {

// search_tuning holds the thresholds that choose between walking the graph and scanning
// exactly under a filter, and the group sizes of the scans (the design is described in
// docs/filtered-search.md).
namespace search_tuning {
// An index with at most this many live entries is scanned exactly under any filter.
constexpr size_t exact_scan_max_live = 1024;
// A plain allow-list is scanned exactly when it holds at most max(floor, live / divisor) keys.
constexpr size_t exact_allow_list_floor = 4096, exact_allow_list_divisor = 16;
// A filtered walk gives up after visiting max(floor, live / divisor) slots without filling
// its results...
constexpr size_t walk_budget_floor = 4096, walk_budget_divisor = 4;
// ...or once it has judged this many keys and accepted fewer than one in max_rejection_ratio.
constexpr size_t min_judged_to_give_up = 256, max_rejection_ratio = 32;
// The exact scan scores allow-listed vectors in batches of score_batch and judges keys in
// groups of scan_group per predicate crossing.
constexpr size_t score_batch = 256, scan_group = 1024;
}  // namespace search_tuning

// prefer_exact_scan tells whether a filtered search should score every candidate instead of
// walking the graph: small candidate sets are cheaper to scan.
inline bool prefer_exact_scan(const filter_t& filter, size_t live) {
    using namespace search_tuning;
    return live <= exact_scan_max_live ||
           (filter.only_allow_list() &&
            filter.allowed_count <= std::max<size_t>(exact_allow_list_floor, live / exact_allow_list_divisor));
}

// walk_budget is how many slots a filtered walk may visit before it falls back to a scan.
inline size_t walk_budget(size_t live) {
    return std::max<size_t>(live / search_tuning::walk_budget_divisor, search_tuning::walk_budget_floor);
}

// signaling_nan fills the distance of a result slot that has no entry, as upstream does.
inline float signaling_nan() { return std::numeric_limits<float>::signaling_NaN(); }

// gather_neighbors collects the neighbors of one list on `level` (with mark_visits, those
// this search has not visited yet, marking them) into ctx.batch_slots and their rows into
// ctx.batch_vectors, prefetching the rows so that the misses of one hop overlap and the
// distance kernel finds them on their way. Rows are addressed without reading the slot
// table; a listed slot always has its record, but one read torn by a racing write (see
// below) may not, and is caught where a record is read: on expansion and in the results.
inline void dense_index::gather_neighbors(context& ctx, neighbor_list list, int level, bool mark_visits) const {
    size_t n = std::min<size_t>(list.size(), layout_.capacity(level));
    size_t addressable = vectors_.allocated();
    ctx.batch_slots.clear(), ctx.batch_vectors.clear();
    for (size_t i = 0; i < n; ++i) {
        slot_t s = list[i];
        // Lists are read without locks and some entries straddle cache lines, so a read
        // racing a write may be torn; never follow a slot that is not addressable.
        if (s >= addressable) continue;
        if (mark_visits && ctx.visit(s)) continue;
        const uint8_t* v = row_of(s);
        USG_PREFETCH(v);
        ctx.batch_slots.push_back(s);
        ctx.batch_vectors.push_back(v);
    }
}

// prefetch_list starts loading the neighbor list of slot s on `level` (its slot-table entry
// first: the walks prefetch it a step ahead, when the node becomes the best candidate).
inline void dense_index::prefetch_list(slot_t s, int level) const {
    if (const uint8_t* tape = tape_of(s)) {
        const uint8_t* list = tape + layout_.list_offset(level);
        size_t bytes = 4 + 4 * layout_.capacity(level);
        for (size_t at = 0; at < bytes + 63; at += 64) USG_PREFETCH(list + std::min(at, bytes - 1));
    }
}

// greedy_descent walks level `level` from `best`, moving to any strictly closer neighbor
// until no neighbor of the current best is closer.
inline void dense_index::greedy_descent(context& ctx, const uint8_t* q, slot_t& best, float& best_distance,
                                        int level) const {
    for (bool changed = true; changed;) {
        changed = false;
        uint8_t* tape = tape_of(best);
        if (!tape) return;  // a slot read torn (see gather_neighbors): stop here
        gather_neighbors(ctx, list_of(tape, level), level, false);
        size_t count = ctx.batch_slots.size();
        ctx.batch_distances.resize(count);
        metric_.batch(q, ctx.batch_vectors.data(), count, ctx.batch_distances.data());
        ctx.distances += count;
        for (size_t i = 0; i < count; ++i)
            if (ctx.batch_distances[i] < best_distance)
                best_distance = ctx.batch_distances[i], best = ctx.batch_slots[i], changed = true;
    }
}

// beam_search explores `level` from `start` with width `ef`. Results (at most ef) are
// left in ctx.results as a max-heap. With live_only, removed nodes and keys rejected by
// the filter are walked through but never returned; `exclude` is never returned. With a
// budget, it gives up (returns false) once that many slots were visited without filling
// the results, so that the caller can switch to an exact scan.
inline bool dense_index::beam_search(context& ctx, const uint8_t* q, slot_t start, float start_distance, int level,
                                     size_t ef, slot_t exclude, bool live_only, const filter_t& filter,
                                     size_t budget) const {
    ctx.begin_visits(size_.load(std::memory_order_acquire));
    ctx.candidates.clear(), ctx.results.clear();
    ctx.visit(start);
    ctx.candidates.push_back({start_distance, start});
    bool filtering = live_only && filter.active();
    // While no entry is removed every slot is live, and the walk need not read keys (a
    // cache miss per result); search() still drops an entry removed meanwhile when it
    // reads the final keys.
    bool check_keys = filtering || (live_only && live_.load(std::memory_order_relaxed) != size_.load(std::memory_order_relaxed));
    auto push_result = [&](float d, slot_t s) {
        ctx.results.push_back({d, s});
        std::push_heap(ctx.results.begin(), ctx.results.end(), farther_first());
        if (ctx.results.size() > ef) {
            std::pop_heap(ctx.results.begin(), ctx.results.end(), farther_first());
            ctx.results.pop_back();
        }
    };
    auto live_key = [&](slot_t s, key_t& key) {
        if (s == exclude) return false;
        const uint8_t* tape = tape_of(s);
        if (!tape) return false;
        key = tape_key(tape);
        return key != tombstone_key;
    };
    if (!check_keys) {
        if (start != exclude) ctx.results.push_back({start_distance, start});
    } else if (key_t key; live_key(start, key)) {
        uint8_t keep = 1;
        if (filtering) filter.judge(&key, 1, &keep);
        if (keep) ctx.results.push_back({start_distance, start});
    }
    while (!ctx.candidates.empty()) {
        std::pop_heap(ctx.candidates.begin(), ctx.candidates.end(), closer_first());
        candidate c = ctx.candidates.back();
        ctx.candidates.pop_back();
        if (ctx.results.size() >= ef && c.distance > ctx.results.front().distance) break;
        if (filter.failed) break;
        // Give up on the walk when it has visited too much without filling the results,
        // or when the filter rejects nearly everything it sees: an exact scan is then
        // cheaper and cannot miss. Until then the results were never full, so every
        // visited live key has been judged and the scan can skip visited slots.
        if (budget && ctx.results.size() < ef &&
            (ctx.visits > budget || (filter.judged >= search_tuning::min_judged_to_give_up &&
             filter.accepted * search_tuning::max_rejection_ratio < filter.judged)))
            return false;

        // The next candidate is likely the next one expanded: fetch its list ahead, which
        // lives apart from its row (a walk would otherwise wait for it at every expansion).
        // Its slot-table entry is requested first and read only once this hop's rows are
        // on their way, so that the two misses overlap with them.
        slot_t next = ctx.candidates.empty() ? c.slot : ctx.candidates.front().slot;
        USG_PREFETCH(&slots_[next]);
        uint8_t* tape = tape_of(c.slot);
        if (!tape) continue;  // a slot read torn (see gather_neighbors) has no list to follow
        gather_neighbors(ctx, list_of(tape, level), level, true);
        if (next != c.slot) prefetch_list(next, level);
        size_t count = ctx.batch_slots.size();
        if (!count) continue;
        ctx.batch_distances.resize(count);
        metric_.batch(q, ctx.batch_vectors.data(), count, ctx.batch_distances.data());
        ctx.distances += count;
        if (!filtering) {
            // Neighbor by neighbor, as upstream does, so walks over the same graph agree.
            for (size_t i = 0; i < count; ++i) {
                float d = ctx.batch_distances[i];
                slot_t s = ctx.batch_slots[i];
                if (ctx.results.size() >= ef && !(d < ctx.results.front().distance)) continue;
                ctx.candidates.push_back({d, s});
                std::push_heap(ctx.candidates.begin(), ctx.candidates.end(), closer_first());
                key_t key;
                if (check_keys ? live_key(s, key) : s != exclude) push_result(d, s);
            }
            continue;
        }
        // Filtered: every neighbor close enough to matter becomes a candidate (so the
        // walk goes on through rejected nodes); the live ones among them are judged in
        // one group, i.e. one predicate crossing per expanded node.
        ctx.judge_keys.clear(), ctx.judge_index.clear();
        float worst = ctx.results.size() >= ef ? ctx.results.front().distance : INFINITY;
        for (size_t i = 0; i < count; ++i) {
            float d = ctx.batch_distances[i];
            slot_t s = ctx.batch_slots[i];
            if (!(d < worst) && ctx.results.size() >= ef) continue;
            ctx.candidates.push_back({d, s});
            std::push_heap(ctx.candidates.begin(), ctx.candidates.end(), closer_first());
            key_t key;
            if (live_key(s, key)) ctx.judge_keys.push_back(key), ctx.judge_index.push_back(uint32_t(i));
        }
        ctx.judge_keep.resize(ctx.judge_keys.size());
        filter.judge(ctx.judge_keys.data(), ctx.judge_keys.size(), ctx.judge_keep.data());
        for (size_t j = 0; j < ctx.judge_keys.size(); ++j)
            if (ctx.judge_keep[j]) push_result(ctx.batch_distances[ctx.judge_index[j]], ctx.batch_slots[ctx.judge_index[j]]);
    }
    return true;
}

// exact_filtered scans every live slot (or, for a plain allow-list, every allowed key),
// judging keys in groups per predicate crossing and scoring only accepted ones.
inline void dense_index::exact_filtered(context& ctx, const uint8_t* q, size_t k, const filter_t& filter, bool after_walk) const {
    if (!after_walk) ctx.results.clear();
    while (ctx.results.size() > k) {  // keep the k best accepted ones the walk found
        std::pop_heap(ctx.results.begin(), ctx.results.end(), farther_first());
        ctx.results.pop_back();
    }
    auto offer = [&](float d, slot_t s) {
        if (ctx.results.size() >= k && !(d < ctx.results.front().distance)) return;
        ctx.results.push_back({d, s});
        std::push_heap(ctx.results.begin(), ctx.results.end(), farther_first());
        if (ctx.results.size() > k) {
            std::pop_heap(ctx.results.begin(), ctx.results.end(), farther_first());
            ctx.results.pop_back();
        }
    };
    auto score = [&]() {  // scores ctx.batch_slots / batch_vectors
        size_t count = ctx.batch_slots.size();
        ctx.batch_distances.resize(count);
        if (count) metric_.batch(q, ctx.batch_vectors.data(), count, ctx.batch_distances.data());
        ctx.distances += count;
        for (size_t i = 0; i < count; ++i) offer(ctx.batch_distances[i], ctx.batch_slots[i]);
        ctx.batch_slots.clear(), ctx.batch_vectors.clear();
    };
    ctx.batch_slots.clear(), ctx.batch_vectors.clear();
    if (filter.only_allow_list()) {
        for (size_t i = 0; i < filter.allowed_count; ++i) {
            if (i && filter.allowed[i] == filter.allowed[i - 1]) continue;
            keys_.find(filter.allowed[i], ~size_t(0), [&](slot_t s) {
                if (after_walk && ctx.visited(s)) return;  // the walk judged it already: offered once
                if (const uint8_t* v = vector_of(s)) ctx.batch_slots.push_back(s), ctx.batch_vectors.push_back(v);
            });
            if (ctx.batch_slots.size() >= search_tuning::score_batch) score();
        }
        score();
        return;
    }
    // Every live entry is in the key table: scanning a copy of each shard is sequential and
    // skips tombstones. Keys are judged in groups of at most scan_group per predicate crossing.
    constexpr size_t group = search_tuning::scan_group;
    for (size_t shard = 0; shard < key_map::shard_count && !filter.failed; ++shard) {
        ctx.scan_keys.clear(), ctx.scan_slots.clear();
        keys_.copy_shard(shard, ctx.scan_keys, ctx.scan_slots);
        for (size_t first = 0; first < ctx.scan_keys.size() && !filter.failed; first += group) {
            size_t last = std::min(ctx.scan_keys.size(), first + group);
            ctx.judge_keys.clear(), ctx.judge_index.clear();
            for (size_t i = first; i < last; ++i) {
                slot_t s = ctx.scan_slots[i];
                if (after_walk && ctx.visited(s)) continue;
                if (!filter.cheap_allows(ctx.scan_keys[i])) continue;  // ranges and allow-lists: no crossing
                ctx.judge_keys.push_back(ctx.scan_keys[i]), ctx.judge_index.push_back(s);
            }
            ctx.judge_keep.resize(ctx.judge_keys.size());
            filter.judge(ctx.judge_keys.data(), ctx.judge_keys.size(), ctx.judge_keep.data());
            for (size_t j = 0; j < ctx.judge_keys.size(); ++j)
                if (ctx.judge_keep[j]) {
                    slot_t s = slot_t(ctx.judge_index[j]);
                    if (const uint8_t* v = vector_of(s)) ctx.batch_slots.push_back(s), ctx.batch_vectors.push_back(v);
                }
            score();
        }
    }
}

// search writes up to `k` nearest live entries in ascending distance; returns how many.
inline status dense_index::search(const void* query, scalar_kind kind, size_t k, key_t* keys, float* distances,
                                  size_t& found, const filter_t& filter, usearchx_search_stats_t* stats) {
    found = 0;
    if (!initialized_) return fail(status_code::not_initialized, "Index is not initialized");
    if (!is_storage_kind(int(kind))) return fail(status_code::unsupported, "Unknown scalar kind!");
    if (!query) return fail(status_code::invalid_argument, "Query pointer is NULL");
    if (!metric_.valid()) return fail(status_code::unsupported, "Index has no metric: set one before searching");
    if (k == 0) return {};
    uint64_t e = entry_.load(std::memory_order_acquire);
    int top = entry_level(e);
    if (top < 0) return {};
    context_pool::guard guard(pool_);
    if (!guard.get()) return fail(status_code::out_of_memory, "Out of memory!");
    context& ctx = *guard.get();
    metric_failed = false;
    ctx.distances = 0;
    bool exact = false;
    try {
        const uint8_t* q = convert_query(ctx, query, kind);
        size_t live = size();
        if (filter.active() && prefer_exact_scan(filter, live)) {
            // Small candidate sets: scoring them all beats walking the graph.
            exact = true;
            ctx.begin_visits(size_.load(std::memory_order_acquire));
            exact_filtered(ctx, q, k, filter, false);
        } else if (!filter.active() &&
                   code_search::search(*this, ctx, q,
                                       std::max(expansion_or_default(config_.expansion_search, default_expansion_search), k))) {
            // Walked on compact codes and re-ranked with the real vectors (codes_search.hpp).
        } else {
            slot_t best = entry_slot(e);
            float best_distance = metric_.pair(q, vector_of(best));
            ctx.distances += 1;
            for (int l = top; l > 0; --l) greedy_descent(ctx, q, best, best_distance, l);
            size_t ef = expansion_or_default(config_.expansion_search, default_expansion_search);
            size_t budget = filter.active() ? walk_budget(live) : 0;
            if (!beam_search(ctx, q, best, best_distance, 0, std::max(ef, k), slot_t(~0u), true, filter, budget)) {
                exact = true;
                exact_filtered(ctx, q, k, filter, true);
            }
        }
    } catch (...) {
        return fail(status_code::out_of_memory, "Out of memory!");
    }
    if (stats) *stats = usearchx_search_stats_t{filter.crossings, filter.judged, ctx.visits, exact, ctx.distances};
    if (filter.failed) return fail(status_code::callback, "The filter failed (a Go filter panicked)");
    if (metric_failed) return fail(status_code::callback, "The metric failed (a Go metric panicked)");
    std::sort_heap(ctx.results.begin(), ctx.results.end(), farther_first());
    // Keys are read now: an entry removed concurrently since it was admitted reads as the
    // tombstone and is dropped rather than reported as key 2^64-1.
    size_t n = 0;
    for (size_t i = 0; i < ctx.results.size() && n < k; ++i) {
        const uint8_t* tape = tape_of(ctx.results[i].slot);
        if (!tape) continue;  // a slot read torn (see gather_neighbors)
        key_t key = tape_key(tape);
        if (key == tombstone_key) continue;
        keys[n] = key, distances[n] = ctx.results[i].distance, ++n;
    }
    found = n;
    return {};
}

}  // namespace usg
