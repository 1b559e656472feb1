// toolkit.hpp: whole-index operations over a dense_index that are not part of adding and
// searching one vector: exact search over the index's own content, exporting live entries,
// statistics, clearing, cloning and compaction. They live here, as a friend of dense_index,
// so that index.hpp stays the hot path only.
#pragma once

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "exact.hpp"
#include "index.hpp"
#include "reach.hpp"

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

    // search_exact_batch is search_exact for many queries at once: one scan of the live rows
    // (exact.hpp) in which each block of rows is read once per block of queries, and the
    // built-in metrics are scored as a blocked matrix product. Ties go to the lower slot. A
    // user metric is not handled (handled stays false): the caller scans query by query.
    // keys and distances hold k per query; found[q] tells how many of them are set.
    static status search_exact_batch(dense_index& x, const void* queries, scalar_kind kind, size_t query_count,
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
            std::vector<slot_t> slots;
            size_t n = x.size_.load(std::memory_order_acquire);
            for (size_t s = 0; s < n; ++s) {
                const uint8_t* tape = x.tape_of(slot_t(s));
                if (!tape || tape_key(tape) == tombstone_key) continue;
                rows.push_back(x.row_of(slot_t(s)));
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
                found[q] = m;
            });
        } catch (...) {
            return fail(status_code::out_of_memory, "Out of memory!");
        }
    }

    // ---- listing ----

    // export_part copies the live entries whose key hash starts with `part` (of 64 << part_bits
    // parts): keys and, when vectors is set, their vectors converted to kind. The parts split
    // the key space, not the slots, so a key always falls in the same part whatever is added,
    // removed or compacted meanwhile. Each part is read under its key-table shard's lock, so it
    // is a consistent snapshot. When the part holds more than `capacity` entries, nothing is
    // copied and `count` tells how many there are.
    static status export_part(const dense_index& x, unsigned part_bits, uint64_t part, key_t* keys, void* vectors,
                              scalar_kind kind, size_t capacity, size_t& count) {
        count = 0;
        if (!x.initialized_) return fail(status_code::not_initialized, "Index is not initialized");
        if (vectors && !is_storage_kind(int(kind))) return fail(status_code::unsupported, "Unknown scalar kind!");
        unsigned prefix_bits = key_map::shard_hash_bits + part_bits;
        if (part_bits > 24 || part >= (uint64_t(1) << prefix_bits))
            return fail(status_code::invalid_argument, "Export part out of range");
        size_t out_bytes = vectors ? bytes_per_vector(kind, x.config_.dimensions) : 0;
        uint8_t* dst = static_cast<uint8_t*>(vectors);
        size_t n = 0;
        auto in_part = [&](key_t key) { return (key_hash(key) >> (64 - prefix_bits)) == part; };
        x.keys_.visit_shard(size_t(part >> part_bits), [&](key_t key, slot_t) {
            if (in_part(key)) ++n;
        });
        count = n;
        if (n > capacity || n == 0) return {};
        // Second pass for the copy: the count may have changed between the passes.
        size_t i = 0;
        x.keys_.visit_shard(size_t(part >> part_bits), [&](key_t key, slot_t slot) {
            if (!in_part(key) || i >= capacity) return;
            const uint8_t* v = x.vector_of(slot);
            if (!v || tape_key(x.tape_of(slot)) != key) return;  // a reused slot not yet adopted (index.hpp)
            keys[i] = key;
            if (dst) cast_vector(v, x.config_.storage, dst + i * out_bytes, kind, x.config_.dimensions);
            ++i;
        });
        count = i;
        return {};
    }

    // ---- statistics ----

    struct stats {
        size_t nodes = 0, removed = 0, edges = 0;
        int max_level = -1;
        size_t level_nodes[64] = {}, level_edges[64] = {};
    };

    // graph_stats counts the nodes (removed ones included), edges and nodes per level.
    static stats graph_stats(const dense_index& x) {
        stats out;
        if (!x.initialized_) return out;
        size_t n = x.size_.load(std::memory_order_acquire);
        for (size_t s = 0; s < n; ++s) {
            uint8_t* tape = x.tape_of(slot_t(s));
            if (!tape) continue;
            ++out.nodes;
            if (tape_key(tape) == tombstone_key) ++out.removed;
            int level = std::min(tape_level(tape), 63);
            for (int l = 0; l <= level; ++l) {
                size_t e = std::min<size_t>(x.list_of(tape, l).size(), x.layout_.capacity(l));
                ++out.level_nodes[l], out.level_edges[l] += e, out.edges += e;
            }
        }
        out.max_level = dense_index::entry_level(x.entry_.load(std::memory_order_acquire));
        return out;
    }

    // ---- emptying and copying ----

    // init_like configures an empty index exactly as x: settings, expansions and metric (a
    // user metric's function and state included).
    static void init_like(dense_index& y, const dense_index& x) {
        y.config_ = x.config_;
        y.layout_ = x.layout_;
        y.set_vector_bytes(x.vector_bytes_);
        y.level_multiplier_ = x.level_multiplier_;
        y.metric_ = x.metric_;
        y.initialized_ = true;
    }

    // take_settings gives y what may change on x without changing its content: expansions
    // and the metric (a Go metric may be installed while a compacted copy is being built).
    static void take_settings(dense_index& y, const dense_index& x) {
        y.config_.expansion_add = x.config_.expansion_add;
        y.config_.expansion_search = x.config_.expansion_search;
        y.config_.metric = x.config_.metric;
        y.metric_ = x.metric_;
    }

    // clone copies every node as it is (removed ones and the free list included) into the
    // empty index y, which owns all its memory even when x is a view.
    static status clone(const dense_index& x, dense_index& y) {
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

    // ---- compaction ----

    static uint64_t mutations(const dense_index& x) { return x.mutations_.load(std::memory_order_acquire); }

    // compact builds into the empty index y a copy of x without its removed nodes: first the
    // graph is repaired around them (every list that pointed at a removed node is rebuilt
    // from the live nodes around it with the usual neighbor-selection heuristic), then the
    // live nodes are renumbered densely so their memory is all that remains. x is only read,
    // so searches go on meanwhile; `epoch` is x's mutation count when the copy started, which
    // the caller compares before swapping the copy in. A set `*cancel` stops the work
    // (status cancelled) within one block of nodes; x is never modified.
    static status compact(dense_index& x, dense_index& y, const volatile int32_t* cancel, size_t threads,
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

  private:

    // compaction is the state of one compact call: the renumbering and the repair work.
    struct compaction {
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

    // results_out sorts ctx.results and writes up to k of them; keys are read now, so an entry
    // removed since it was scored reads as the tombstone and is dropped.
    static size_t results_out(const dense_index& x, context& ctx, size_t k, key_t* keys, float* distances) {
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
};

}  // namespace usg
