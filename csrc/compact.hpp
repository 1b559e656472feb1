// compact.hpp: compaction: toolkit::compact builds a copy of an index without its removed
// nodes, the graph repaired around them, while the source keeps serving searches;
// toolkit::compaction is the state of one such call (renumbering, repair, entry point), and
// toolkit::mutations the epoch the caller compares before swapping the copy in.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "clone.hpp"
#include "reach.hpp"
#include "search.hpp"
#include "toolkit.hpp"

namespace usg {

inline uint64_t toolkit::mutations(const dense_index& x) { return x.mutations_.load(std::memory_order_acquire); }

// compaction is the state of one compact call: the renumbering and the repair work.
struct toolkit::compaction {
    static constexpr slot_t none = ~slot_t(0);
    dense_index& x;
    dense_index& y;
    const volatile int32_t* cancel;
    std::vector<slot_t> new_id;  // old slot -> new slot, none for removed or empty slots
    std::vector<slot_t> old_of;  // new slot -> old slot
    std::vector<uint64_t> live_bits;  // old slots that survive, as bits: stays in L1/L2
    // Old records and vectors by slot, dense, so that the repair can prefetch them.
    std::vector<uint8_t*> tapes;
    std::vector<const uint8_t*> vectors;
    std::vector<slot_t> order;  // new slots in the order the repair takes them

    bool survives(slot_t s) const { return live_bits[s >> 6] >> (s & 63) & 1; }

    compaction(dense_index& from, dense_index& to, const volatile int32_t* stop) : x(from), y(to), cancel(stop) {}

    bool cancelled() const { return cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0; }

    // plan numbers the live nodes densely in slot order.
    status plan() {
        size_t n = x.size_.load(std::memory_order_acquire);
        try {
            new_id.assign(n, none);
            live_bits.assign((n + 63) / 64, 0);
            tapes.assign(n, nullptr), vectors.assign(n, nullptr);
            for (size_t s = 0; s < n; ++s) {
                uint8_t* tape = x.tape_of(slot_t(s));
                tapes[s] = tape, vectors[s] = x.vector_of(slot_t(s));
                if (tape && vectors[s] && tape_key(tape) != tombstone_key) {
                    new_id[s] = slot_t(old_of.size()), old_of.push_back(slot_t(s));
                    live_bits[s >> 6] |= uint64_t(1) << (s & 63);
                }
            }
            walk_order();
        } catch (...) {
            return fail(status_code::out_of_memory, "Out of memory!");
        }
        return {};
    }

    // walk_order lists the live nodes breadth first over level 0 of the old graph, from
    // the entry point, so that nodes repaired one after another share neighborhoods whose
    // records and vectors are then still in cache (the repair is bound by memory latency;
    // slot order is random with respect to the data). Nodes the walk does not reach follow.
    void walk_order() {
        size_t n = new_id.size();
        order.clear();
        order.reserve(old_of.size());
        std::vector<uint64_t> seen((n + 63) / 64, 0);
        std::vector<slot_t> queue;
        queue.reserve(n);
        auto push = [&](slot_t t) {
            if (t >= n || !tapes[t] || (seen[t >> 6] >> (t & 63) & 1)) return;
            seen[t >> 6] |= uint64_t(1) << (t & 63);
            queue.push_back(t);
        };
        uint64_t e = x.entry_.load(std::memory_order_acquire);
        if (dense_index::entry_level(e) >= 0) push(dense_index::entry_slot(e));
        for (size_t head = 0; head < queue.size(); ++head) {
            slot_t t = queue[head];
            if (survives(t)) order.push_back(new_id[t]);
            neighbor_list list = x.list_of(tapes[t], 0);
            size_t m = std::min<size_t>(list.size(), x.layout_.capacity(0));
            for (size_t j = 0; j < m; ++j) push(list[j]);
        }
        for (size_t i = 0; i < old_of.size(); ++i)
            if (!(seen[old_of[i] >> 6] >> (old_of[i] & 63) & 1)) order.push_back(slot_t(i));
    }

    // copy_nodes gives every live node its record in y: vector, key and level, with empty
    // lists that repair fills.
    status copy_nodes() {
        size_t m = old_of.size();
        status st = y.reserve(m);
        if (!st) return st;
        for (size_t i = 0; i < m; ++i) {
            if ((i & 4095) == 0 && cancelled()) return fail(status_code::cancelled, "Compaction was cancelled");
            const uint8_t* tape = x.tape_of(old_of[i]);
            int level = tape_level(tape);
            uint8_t* fresh = y.arena_.allocate(x.layout_.bytes(level));
            if (!fresh) return fail(status_code::out_of_memory, "Out of memory!");
            std::memcpy(y.vectors_.row(i), x.row_of(old_of[i]), x.vector_bytes_);
            key_t key = tape_key(tape);
            tape_set_key(fresh, key), tape_set_level(fresh, level);
            y.slots_[i].tape.store(fresh, std::memory_order_relaxed);
            try {
                if (y.keys_.insert(key, slot_t(i), false) != key_map::inserted)
                    return fail(status_code::out_of_memory, "Out of memory!");
            } catch (...) {
                return fail(status_code::out_of_memory, "Out of memory!");
            }
        }
        y.size_ = m, y.live_ = m;
        return {};
    }

    // repair_all rebuilds every live node's lists, in blocks shared by `threads` threads.
    status repair_all(size_t threads) {
        size_t m = old_of.size();
        threads = std::min(threads, std::max<size_t>(1, m / 256));
        std::atomic<size_t> next{0};
        std::atomic<int> failure{int(status_code::ok)};
        auto work = [&]() {
            metric_failed = false;
            context_pool::guard guard(x.pool_);
            if (!guard.get()) return void(failure.store(int(status_code::out_of_memory)));
            context& ctx = *guard.get();
            constexpr size_t block = 64;
            for (;;) {
                if (failure.load(std::memory_order_relaxed) != int(status_code::ok)) return;
                if (cancelled()) return void(failure.store(int(status_code::cancelled)));
                size_t first = next.fetch_add(block);
                if (first >= m) return;
                try {
                    for (size_t i = first; i < std::min(m, first + block); ++i) repair_node(ctx, order[i]);
                } catch (...) {
                    return void(failure.store(int(status_code::out_of_memory)));
                }
                if (metric_failed) return void(failure.store(int(status_code::callback)));
            }
        };
        if (threads <= 1) {
            work();
        } else {
            std::vector<std::thread> pool;
            try {
                for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
            } catch (...) {
                // Fewer threads than asked: the ones started and this one share the work.
            }
            work();
            for (std::thread& t : pool) t.join();
        }
        switch (status_code(failure.load())) {
        case status_code::ok: return {};
        case status_code::cancelled: return fail(status_code::cancelled, "Compaction was cancelled");
        case status_code::callback: return fail(status_code::callback, "The metric failed (a Go metric panicked)");
        default: return fail(status_code::out_of_memory, "Out of memory!");
        }
    }

    // repair_node writes the lists of new node i on every level it has.
    void repair_node(context& ctx, slot_t i) {
        slot_t s = old_of[i];
        uint8_t* tape = tapes[s];
        int level = tape_level(tape);
        for (int l = 0; l <= level; ++l) {
            neighbor_list from = x.list_of(tape, l), to = y.list_of(y.tape_of(i), l);
            if (!gather_candidates(ctx, s, l)) {
                // Nothing pointed at a removed node: the list carries over, renumbered.
                size_t n = std::min<size_t>(from.size(), x.layout_.capacity(l)), kept = 0;
                for (size_t j = 0; j < n; ++j) to.set(kept++, new_id[from[j]]);
                to.set_size(uint32_t(kept));
                continue;
            }
            choose_neighbors(ctx, s, l, std::min<size_t>(from.size(), x.layout_.capacity(l)));
            for (size_t j = 0; j < ctx.chosen.size(); ++j) to.set(j, new_id[ctx.chosen[j].slot]);
            to.set_size(uint32_t(ctx.chosen.size()));
        }
    }

    // gather_candidates collects in ctx.batch_slots the live nodes of s's list on level l
    // and, for each removed node in it, the live nodes of that node's list, following
    // removed nodes up to two hops away. It returns false when s's list held no removed
    // node (the list then needs no repair).
    bool gather_candidates(context& ctx, slot_t s, int l) {
        size_t n_old = new_id.size(), capacity = x.layout_.capacity(l);
        ctx.begin_visits(n_old);
        ctx.visit(s);
        ctx.batch_slots.clear();
        ctx.relink.clear();  // removed nodes still to open, distance field = hop count
        bool damaged = false;
        size_t list_offset = x.layout_.list_offset(l);
        // Records and vectors are fetched ahead: the repair is bound by memory latency.
        auto offer = [&](slot_t t, float hop) {
            if (t >= n_old || ctx.visit(t)) return;
            if (survives(t)) {
                ctx.batch_slots.push_back(t);
                USG_PREFETCH(vectors[t]);
            } else if (tapes[t]) {
                ctx.relink.push_back({hop, t});
                USG_PREFETCH(tapes[t] + list_offset);
            }
        };
        neighbor_list list = x.list_of(tapes[s], l);
        size_t n = std::min<size_t>(list.size(), capacity);
        for (size_t j = 0; j < n; ++j) {
            slot_t t = list[j];
            if (t >= n_old || !survives(t)) damaged = true;
            offer(t, 1);
        }
        if (!damaged) return false;
        // Open removed nodes breadth first, bounded so one node's repair stays cheap.
        size_t opened = 0, budget = 2 * capacity;
        for (size_t r = 0; r < ctx.relink.size() && opened < budget; ++r, ++opened) {
            candidate c = ctx.relink[r];
            uint8_t* rtape = tapes[c.slot];
            if (tape_level(rtape) < l) continue;
            neighbor_list rl = x.list_of(rtape, l);
            size_t rn = std::min<size_t>(rl.size(), capacity);
            for (size_t j = 0; j < rn; ++j) {
                slot_t t = rl[j];
                if (t < n_old && !survives(t) && c.distance >= 2) continue;  // no third hop
                offer(t, c.distance + 1);
            }
        }
        return true;
    }

    // choose_neighbors scores the gathered candidates from s and keeps at most the
    // level's capacity with the diversity heuristic new nodes are linked with. When the
    // neighborhood of the removed nodes yields too few live ones, a search of the old
    // graph (as for an insertion) adds candidates, so no node is left stranded.
    void choose_neighbors(context& ctx, slot_t s, int l, size_t degree) {
        const uint8_t* v = x.vector_of(s);
        size_t capacity = x.layout_.capacity(l);
        ctx.batch_vectors.clear();
        for (slot_t t : ctx.batch_slots) ctx.batch_vectors.push_back(vectors[t]);
        size_t count = ctx.batch_slots.size();
        ctx.batch_distances.resize(count);
        if (count) x.metric_.batch(v, ctx.batch_vectors.data(), count, ctx.batch_distances.data());
        ctx.sorted.clear();
        for (size_t j = 0; j < count; ++j) ctx.sorted.push_back({ctx.batch_distances[j], ctx.batch_slots[j]});
        if (count < std::max<size_t>(2, capacity / 4)) search_more(ctx, s, l, v);
        std::sort(ctx.sorted.begin(), ctx.sorted.end(),
                  [](const candidate& a, const candidate& b) { return a.distance < b.distance; });
        // The heuristic sees every candidate: the far ones it keeps are the long links
        // between clusters that searches need (keeping only the nearest few costs recall).
        x.select_neighbors(ctx.sorted, capacity, ctx.chosen);
        // Insertion grows lists through reverse links, which skip the heuristic while there
        // is room; a repaired list gets back the size it had likewise, with the nearest
        // candidates the heuristic passed over, or it would end up sparser than its peers.
        for (const candidate& c : ctx.sorted) {
            if (ctx.chosen.size() >= degree) break;
            bool known = false;
            for (const candidate& k : ctx.chosen) known = known || k.slot == c.slot;
            if (!known) ctx.chosen.push_back(c);
        }
    }

    // search_more appends to ctx.sorted the live nodes an insertion of s would find on
    // level l of the old graph, skipping those already there.
    void search_more(context& ctx, slot_t s, int l, const uint8_t* v) {
        uint64_t e = x.entry_.load(std::memory_order_acquire);
        int top = dense_index::entry_level(e);
        if (top < l) return;
        slot_t best = dense_index::entry_slot(e);
        float best_distance = x.metric_.pair(v, x.vector_of(best));
        for (int k = top; k > l; --k) x.greedy_descent(ctx, v, best, best_distance, k);
        size_t ef = x.config_.expansion_add ? x.config_.expansion_add : default_expansion_add;
        x.beam_search(ctx, v, best, best_distance, l, ef, s, true, filter_t());
        for (const candidate& c : ctx.results) {
            if (!survives(c.slot)) continue;
            bool known = false;
            for (const candidate& k : ctx.sorted) known = known || k.slot == c.slot;
            if (!known) ctx.sorted.push_back(c);
        }
    }

    // set_entry keeps the old entry point when it is live, else promotes a live node of
    // the highest level left.
    void set_entry() {
        size_t m = old_of.size();
        if (m == 0) return void(y.entry_ = dense_index::pack_entry(-1, 0));
        uint64_t e = x.entry_.load(std::memory_order_acquire);
        slot_t es = dense_index::entry_slot(e);
        if (es < new_id.size() && new_id[es] != none) {
            y.entry_ = dense_index::pack_entry(tape_level(x.tape_of(es)), new_id[es]);
            return;
        }
        slot_t best = 0;
        int best_level = -1;
        for (size_t i = 0; i < m; ++i) {
            int level = tape_level(y.tape_of(slot_t(i)));
            if (level > best_level) best_level = level, best = slot_t(i);
        }
        y.entry_ = dense_index::pack_entry(best_level, best);
    }
};

// compact builds into the empty index y a copy of x without its removed nodes: first the
// graph is repaired around them (every list that pointed at a removed node is rebuilt
// from the live nodes around it with the usual neighbor-selection heuristic), then the
// live nodes are renumbered densely so their memory is all that remains. x is only read,
// so searches go on meanwhile; `epoch` is x's mutation count when the copy started, which
// the caller compares before swapping the copy in. A set `*cancel` stops the work
// (status cancelled) within one block of nodes; x is never modified.
inline status toolkit::compact(dense_index& x, dense_index& y, const volatile int32_t* cancel, size_t threads,
                               uint64_t& epoch) {
    if (!x.initialized_) return fail(status_code::not_initialized, "Index is not initialized");
    if (x.read_only_) return fail(status_code::read_only, "Can't compact an immutable index");
    if (!x.metric_.valid()) return fail(status_code::unsupported, "Index has no metric: set one before compacting");
    epoch = x.mutations_.load(std::memory_order_acquire);
    init_like(y, x);
    compaction job(x, y, cancel);
    status st = job.plan();
    if (!st) return st;
    st = job.copy_nodes();
    if (!st) return st;
    st = job.repair_all(std::max<size_t>(1, threads));
    if (!st) return st;
    job.set_entry();
    return reachability::restore(y);  // every live node reachable (reach.hpp)
}

}  // namespace usg
