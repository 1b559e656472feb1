// index.hpp: the dense HNSW index: vectors and node records per slot, a key -> slot map,
// tombstone removal with slot reuse, and graph construction on insertion. Searching the graph
// is in search.hpp, its scratch in context.hpp, moving it to and from files in persist.hpp.
//
// Concurrency model (docs/concurrency.md): any number of threads may add, search, get,
// remove and rename at once. Each node has a spin lock guarding writes to its neighbor lists;
// readers walk lists without locks (entries are always valid slot numbers, counts are
// clamped). The entry point and top level change under one mutex, taken only by an insertion
// that raises the top level. Scratch comes from a pool that grows on demand, so concurrency
// is never capped.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "codes.hpp"
#include "config.hpp"
#include "context.hpp"
#include "filter.hpp"
#include "keymap.hpp"
#include "mapping.hpp"
#include "metric.hpp"
#include "node_record.hpp"
#include "storage.hpp"

namespace usg {

struct persistence;

class dense_index {
    // persistence adopts a whole file image into the raw state (rows, records, slot table,
    // free list, key map) and emits it back; accessors would expose that state to every caller.
    friend struct persistence;  // persist.hpp
    friend struct toolkit;  // whole-index operations, in toolkit.hpp
    friend struct code_search;  // compact codes, in codes_search.hpp
    friend struct reachability;  // whether every live node can be found, in reach.hpp

  public:
    // slot_ref is a slot's entry in the slot table: its node record (null until the slot
    // has one) and the lock guarding writes to the record's lists. The slot's vector is
    // its row in vectors_, found by address arithmetic.
    struct slot_ref {
        std::atomic<uint8_t*> tape{nullptr};
        std::atomic<uint32_t> lock{0};
        // in_links counts the level-0 lists that name this slot (it fills what was padding).
        // A search walks level 0 only, so a node no level-0 list names cannot be returned
        // (reach.hpp). The count rises after a list gains the slot and falls before one
        // loses it, so it never exceeds the true number: a count above one proves that
        // another list still names the slot.
        std::atomic<uint32_t> in_links{0};
    };

  private:
    index_config config_;
    bool initialized_ = false;
    bool read_only_ = false;
    tape_layout layout_;
    size_t vector_bytes_ = 0;
    double level_multiplier_ = 0;
    metric_t metric_;

    stable_array<slot_ref> slots_;
    row_array vectors_;  // one row per slot, in the storage kind (the file's rows in a view)
    arena arena_;        // node records
    key_map keys_;
    std::atomic<size_t> size_{0};  // slots in use, removed ones included
    std::atomic<size_t> live_{0};
    std::atomic<size_t> capacity_{0};
    size_t cleared_rows_ = 0;  // rows written before the last clear, which keeps their memory
    // mutations_ counts finished adds, removes, renames and clears, so that a copy built
    // aside (compaction) can tell whether the index changed meanwhile.
    std::atomic<uint64_t> mutations_{0};
    struct mutation_mark {
        std::atomic<uint64_t>& n;
        ~mutation_mark() { n.fetch_add(1, std::memory_order_release); }
    };
    std::mutex free_mutex_;
    std::deque<slot_t> free_;
    std::atomic<uint64_t> adoptions_{0};  // reused slots that took their new vector (adopt_reused)

    // A snapshot is the index as it was when it began (snapshot_begin, called while no
    // write runs), which persistence streams into a file image while writes go on: a write
    // that changes a record or row of a slot the snapshot holds first keeps a copy of it
    // (preserve, under the node's lock), and the image reads each node from that copy, or
    // else from the node itself, which has not changed. New slots lie beyond the snapshot.
    // A durable index's checkpoint uses it, so that writers wait only for the switch to a
    // new log segment (durable.go).
    struct snapshot {
        size_t n = 0, live = 0;
        uint64_t entry = 0;
        std::unique_ptr<std::atomic<uint8_t*>[]> tapes, rows;
        std::atomic<bool> failed{false};  // a copy could not be allocated: the image is not valid
        ~snapshot() {
            for (size_t i = 0; i < n; ++i) delete[] tapes[i].load(), delete[] rows[i].load();
        }
    };
    std::atomic<snapshot*> snapshot_{nullptr};

    // preserve keeps, in a running snapshot, what a write is about to change of slot s: its
    // record, and its row when `row`. The caller holds the node's lock (write_lock).
    void preserve(slot_t s, bool row = false) {
        snapshot* sn = snapshot_.load(std::memory_order_acquire);
        if (!sn || s >= sn->n) return;
        const uint8_t* tape = tape_of(s);
        if (tape && !sn->tapes[s].load(std::memory_order_relaxed)) {
            size_t bytes = layout_.bytes(tape_level(tape));
            uint8_t* copy = new (std::nothrow) uint8_t[bytes];
            if (!copy) return sn->failed.store(true);
            std::memcpy(copy, tape, bytes);
            sn->tapes[s].store(copy, std::memory_order_release);
        }
        if (row && !sn->rows[s].load(std::memory_order_relaxed)) {
            uint8_t* copy = new (std::nothrow) uint8_t[vector_bytes_];
            if (!copy) return sn->failed.store(true);
            std::memcpy(copy, vectors_.row(s), vector_bytes_);
            sn->rows[s].store(copy, std::memory_order_release);
        }
    }

  public:
    // snapshot_begin starts a snapshot (one at a time); the caller guarantees that no write
    // runs during the call.
    status snapshot_begin() {
        if (snapshot_.load()) return fail(status_code::invalid_argument, "A snapshot is already running");
        std::unique_ptr<snapshot> sn(new (std::nothrow) snapshot());
        if (!sn) return fail(status_code::out_of_memory, "Out of memory!");
        size_t n = size_.load();
        sn->tapes.reset(new (std::nothrow) std::atomic<uint8_t*>[n ? n : 1]());
        sn->rows.reset(new (std::nothrow) std::atomic<uint8_t*>[n ? n : 1]());
        if (!sn->tapes || !sn->rows) return fail(status_code::out_of_memory, "Out of memory!");
        sn->n = n, sn->live = size(), sn->entry = entry_.load();
        snapshot_.store(sn.release());
        return {};
    }
    // snapshot_detach ends the snapshot: writes stop keeping copies. The caller guarantees
    // that no write runs during the call, and frees what it returns after.
    void* snapshot_detach() { return snapshot_.exchange(nullptr); }
    static void snapshot_free(void* detached) { delete static_cast<snapshot*>(detached); }

  private:
    // entry_ packs the top level (high 32 bits, signed, -1 when empty) and the entry slot.
    std::atomic<uint64_t> entry_{pack_entry(-1, 0)};
    std::mutex entry_mutex_;

    std::unique_ptr<mapped_file> mapping_;  // the file a view serves from

    context_pool pool_;  // scratch for concurrent operations
    code_store codes_;   // compact codes for searching, when switched on (codes.hpp)

    static uint64_t pack_entry(int level, slot_t slot) { return (uint64_t(uint32_t(int32_t(level))) << 32) | slot; }
    static int entry_level(uint64_t e) { return int32_t(uint32_t(e >> 32)); }
    static slot_t entry_slot(uint64_t e) { return slot_t(e); }

    struct node_lock {
        std::atomic<uint32_t>& flag;
        explicit node_lock(std::atomic<uint32_t>& f) : flag(f) {
            for (unsigned spins = 0; flag.exchange(1, std::memory_order_acquire); ++spins)
                if (spins > 64) std::this_thread::yield();
        }
        ~node_lock() { flag.store(0, std::memory_order_release); }
    };

    // write_lock is the node lock a write takes: it first preserves the node for a running
    // snapshot (its record; its row too when the write replaces the vector).
    struct write_lock {
        node_lock lock;
        write_lock(dense_index& x, slot_t s, bool row = false) : lock(x.slots_[s].lock) { x.preserve(s, row); }
    };

    uint8_t* tape_of(slot_t s) const { return slots_[s].tape.load(std::memory_order_acquire); }
    // row_of is where slot s keeps its vector, computed without reading memory: the walks
    // use it for the neighbors they score, and check the record of the nodes they expand or
    // return. vector_of is the vector of a slot with a record, or null.
    const uint8_t* row_of(slot_t s) const { return vectors_.row(s); }
    const uint8_t* vector_of(slot_t s) const { return tape_of(s) ? vectors_.row(s) : nullptr; }
    // set_vector_bytes sizes the vectors and their rows: rows of up to 64 bytes take a power
    // of two, longer ones whole cache lines, so that no row straddles more lines than it must.
    void set_vector_bytes(size_t bytes) {
        vector_bytes_ = bytes;
        size_t stride = bytes <= 64 ? 1 : (bytes + 63) & ~size_t(63);
        while (stride < bytes) stride *= 2;
        vectors_.configure(stride);
    }
    neighbor_list list_of(uint8_t* tape, int level) const { return neighbor_list{tape + layout_.list_offset(level)}; }

    // Search (search.hpp).
    void gather_neighbors(context& ctx, neighbor_list list, int level, bool mark_visits) const;
    void prefetch_list(slot_t s, int level) const;
    void greedy_descent(context& ctx, const uint8_t* q, slot_t& best, float& best_distance, int level) const;
    bool beam_search(context& ctx, const uint8_t* q, slot_t start, float start_distance, int level, size_t ef,
                     slot_t exclude, bool live_only, const filter_t& filter, size_t budget = 0) const;
    void exact_filtered(context& ctx, const uint8_t* q, size_t k, const filter_t& filter, bool after_walk) const;

    // Graph construction (docs/file-format.md, "Graph construction").
    // random_level draws a node's top level with P(level >= l) = M^-l, capped at 48.
    int random_level(context& ctx) {
        double level = std::floor(-std::log(ctx.uniform()) * level_multiplier_);
        return level > 48 ? 48 : int(level);
    }

    // select_neighbors applies the diversity heuristic to `sorted` (ascending) with `limit`.
    void select_neighbors(const std::vector<candidate>& sorted, size_t limit, std::vector<candidate>& out) const {
        out.clear();
        if (sorted.size() < limit) {
            out = sorted;
            return;
        }
        for (const candidate& c : sorted) {
            if (out.size() >= limit) break;
            const uint8_t* cv = row_of(c.slot);
            bool keep = true;
            for (const candidate& s : out)
                if (metric_.pair(cv, row_of(s.slot)) < c.distance) {
                    keep = false;
                    break;
                }
            if (keep) out.push_back(c);
        }
    }

    // select_covered is select_neighbors for a full level-0 list that gains the new node
    // `added`: a candidate the new node is closer to than the list's owner is dropped only
    // if the new node links to it. The heuristic drops a candidate on the assumption that
    // the nearer neighbor leads to it; a new node need not (its own selection may have passed
    // over the candidate, and a concurrent insertion never saw it), and nodes inserted at
    // the same time as their first cluster-mates lost, one prune after another, every
    // in-link from their neighborhood (counted in_links kept only a far one).
    void select_covered(const std::vector<candidate>& sorted, size_t limit, std::vector<candidate>& out,
                        slot_t added) const {
        out.clear();
        neighbor_list links = list_of(tape_of(added), 0);
        size_t n = std::min<size_t>(links.size(), layout_.capacity(0));
        auto linked = [&](slot_t t) {
            for (size_t i = 0; i < n; ++i)
                if (links[i] == t) return true;
            return false;
        };
        for (const candidate& c : sorted) {
            if (out.size() >= limit) break;
            const uint8_t* cv = row_of(c.slot);
            bool keep = true;
            for (const candidate& s : out)
                if (metric_.pair(cv, row_of(s.slot)) < c.distance && (s.slot != added || linked(c.slot))) {
                    keep = false;
                    break;
                }
            if (keep) out.push_back(c);
        }
    }

    // write_list replaces a list under its node's lock. Entries go in before the count and
    // the count never drops to zero on the way, so lock-free readers see either list (or a
    // mix of valid entries), never an empty one.
    static void write_list(neighbor_list list, const std::vector<candidate>& entries, size_t capacity) {
        for (size_t i = 0; i < capacity; ++i) list.set(i, i < entries.size() ? entries[i].slot : 0);
        list.set_size(uint32_t(std::min(entries.size(), capacity)));
    }

    // release_link accounts for a level-0 list about to drop t, unless that list holds t's
    // last in-link: then it changes nothing and returns false, and the list must keep t.
    // Pruning a neighbor's list used to drop such entries (the diversity heuristic assumes
    // that the closer neighbor that "covers" t links to it, which nothing guarantees), and
    // the node could then never be found again.
    bool release_link(slot_t t) {
        std::atomic<uint32_t>& count = slots_[t].in_links;
        for (uint32_t c = count.load(std::memory_order_relaxed); c > 1;)
            if (count.compare_exchange_weak(c, c - 1, std::memory_order_relaxed)) return true;
        return false;
    }
    void acquire_link(slot_t t) { slots_[t].in_links.fetch_add(1, std::memory_order_relaxed); }

    // nearest_of is the first entry of a node's level-0 list: the nearest neighbor it chose
    // (lists are written in ascending distance; force_link and pinned entries are the
    // exceptions), or `none` for a slot without a record or an empty list.
    slot_t nearest_of(slot_t s, slot_t none) const {
        const uint8_t* tape = tape_of(s);
        if (!tape) return none;
        neighbor_list list = list_of(const_cast<uint8_t*>(tape), 0);
        return list.size() ? list[0] : none;
    }

    // commit_list writes `keep` into a locked list of `owner` whose old entries are the
    // entries of `all` for which is_new is false; `keep` is `all` or a subsequence of it in
    // the same order (what select_neighbors leaves). On level 0 two kinds of entries stay:
    // - an old entry whose in-link is its last (release_link), always, and
    // - an entry anchored here: one whose own nearest neighbor is the owner. The diversity
    //   heuristic drops an entry as "covered" by a nearer neighbor of the owner, but nothing
    //   makes that neighbor link to it, and a node inserted early in what became a dense
    //   cluster lost, one prune after another, every in-link from the cluster: its last
    //   in-link, kept by the count, came from far away, where no search for it looks
    //   (reach_test.go). The list of a node's nearest neighbor is where every search for it
    //   passes.
    // When that overfills the list, the farthest entries leave first: new entries, then old
    // ones that keep another in-link, then anchored new ones. Old entries never outnumber
    // the old list, so the list always fits. The counts of the entries follow the write.
    template <typename IsNew>
    void commit_list(context& ctx, slot_t owner, neighbor_list list, int level, const std::vector<candidate>& all,
                     std::vector<candidate>& keep, IsNew is_new) {
        size_t capacity = layout_.capacity(level);
        if (level != 0) return write_list(list, keep, capacity);
        auto anchored = [&](slot_t s) { return s != owner && nearest_of(s, owner + 1) == owner; };
        ctx.pinned.clear();
        size_t j = 0;
        for (const candidate& c : all) {
            if (j < keep.size() && keep[j].slot == c.slot) {
                ++j;
                continue;
            }
            bool anchor = anchored(c.slot);
            if (anchor || (!is_new(c.slot) && !release_link(c.slot))) ctx.pinned.push_back(c.slot);
        }
        for (slot_t p : ctx.pinned) keep.push_back({0, p});
        auto evict = [&](auto&& may_leave) {
            for (size_t k = keep.size(); k-- > 0;)
                if (may_leave(keep[k].slot)) {
                    keep.erase(keep.begin() + std::ptrdiff_t(k));
                    return true;
                }
            return false;
        };
        while (keep.size() > capacity && evict([&](slot_t s) { return is_new(s) && !anchored(s); })) {}
        while (keep.size() > capacity && evict([&](slot_t s) { return !is_new(s) && !anchored(s) && release_link(s); })) {}
        while (keep.size() > capacity && evict([&](slot_t s) { return is_new(s); })) {}
        write_list(list, keep, capacity);
        for (const candidate& c : keep)
            if (is_new(c.slot)) acquire_link(c.slot);
    }

    // force_link makes y's level-0 list name x: appended when there is room, else in place of
    // the farthest entry that keeps another in-link. False when y cannot (no record, or every
    // entry is some node's last in-link).
    bool force_link(context& ctx, slot_t y, slot_t x) {
        if (y == x) return false;
        write_lock lock(*this, y);
        uint8_t* tape = tape_of(y);
        if (!tape) return false;
        neighbor_list list = list_of(tape, 0);
        size_t capacity = layout_.capacity(0), n = std::min<size_t>(list.size(), capacity);
        for (size_t i = 0; i < n; ++i)
            if (list[i] == x) return true;
        if (n < capacity) {
            list.set(n, x);
            list.set_size(uint32_t(n + 1));
            acquire_link(x);
            return true;
        }
        const uint8_t* yv = row_of(y);
        ctx.relink.clear();
        for (size_t i = 0; i < n; ++i) ctx.relink.push_back({metric_.pair(yv, row_of(list[i])), slot_t(i)});
        std::sort(ctx.relink.begin(), ctx.relink.end(),
                  [](const candidate& a, const candidate& b) { return a.distance > b.distance; });
        for (const candidate& c : ctx.relink)
            if (release_link(list[c.slot])) {
                list.set(c.slot, x);
                acquire_link(x);
                return true;
            }
        return false;
    }

    // search_level0 descends from the entry point through the upper levels and searches
    // level 0 for v with a beam of ef, leaving the results in ctx.results (exclude is never
    // one; live_only skips removed nodes). False on an empty graph.
    bool search_level0(context& ctx, const uint8_t* v, size_t ef, slot_t exclude, bool live_only) {
        uint64_t e = entry_.load(std::memory_order_acquire);
        int top = entry_level(e);
        if (top < 0) return false;
        slot_t best = entry_slot(e);
        float best_distance = metric_.pair(v, vector_of(best));
        for (int l = top; l > 0; --l) greedy_descent(ctx, v, best, best_distance, l);
        filter_t no_filter;
        beam_search(ctx, v, best, best_distance, 0, ef, exclude, live_only, no_filter);
        return true;
    }

    // relink gives x (not linked from the graph, or only from `away`, a node about to leave
    // its neighborhood) an in-link from the nearest live node a search from the entry point
    // finds, so from a node every search can reach. Then `away` drops x when it may. Rare: a
    // new node all of whose neighbors refused it, or a node whose only in-link was the list of
    // a removed node whose slot is being reused.
    void relink(context& ctx, slot_t x, slot_t away) {
        const uint8_t* xv = vector_of(x);
        if (!xv || !search_level0(ctx, xv, layout_.capacity(0), x, true) || metric_failed) return;
        std::sort(ctx.results.begin(), ctx.results.end(),
                  [](const candidate& a, const candidate& b) { return a.distance < b.distance; });
        ctx.sorted.assign(ctx.results.begin(), ctx.results.end());  // force_link reuses ctx.relink
        bool linked = false;
        for (const candidate& c : ctx.sorted)
            if (c.slot != away && tape_of(c.slot) && force_link(ctx, c.slot, x)) {
                linked = true;
                break;
            }
        if (!linked || away == x) return;
        write_lock lock(*this, away);
        neighbor_list list = list_of(tape_of(away), 0);
        size_t n = std::min<size_t>(list.size(), layout_.capacity(0));
        for (size_t i = 0; i < n; ++i)
            if (list[i] == x) {
                if (n > 1 && release_link(x)) list.set(i, list[n - 1]), list.set_size(uint32_t(n - 1));
                return;
            }
    }

    // add_reverse_link makes `target` point back at the new node on `level`.
    void add_reverse_link(context& ctx, slot_t target, slot_t added, float distance, int level) {
        write_lock lock(*this, target);
        uint8_t* tape = tape_of(target);
        if (!tape) return;  // a slot read torn by the walk (search.hpp, gather_neighbors)
        neighbor_list list = list_of(tape, level);
        size_t capacity = layout_.capacity(level);
        size_t n = std::min<size_t>(list.size(), capacity);
        for (size_t i = 0; i < n; ++i)
            if (list[i] == added) return;
        if (n < capacity) {
            list.set(n, added);
            list.set_size(uint32_t(n + 1));
            if (level == 0) acquire_link(added);
            return;
        }
        const uint8_t* tv = row_of(target);
        ctx.relink.clear();
        ctx.relink.push_back({distance, added});
        for (size_t i = 0; i < n; ++i) {
            slot_t s = list[i];
            if (level == 0) USG_PREFETCH(&slots_[s]);  // commit_list reads its in-link count
            ctx.relink.push_back({metric_.pair(tv, row_of(s)), s});
        }
        std::stable_sort(ctx.relink.begin(), ctx.relink.end(),
                         [](const candidate& a, const candidate& b) { return a.distance < b.distance; });
        if (level == 0) select_covered(ctx.relink, capacity, ctx.selected, added);
        else select_neighbors(ctx.relink, capacity, ctx.selected);
        commit_list(ctx, target, list, level, ctx.relink, ctx.selected, [added](slot_t s) { return s == added; });
    }

    // link connects a node (docs/file-format.md, "Graph construction"). Every node ends
    // with a level-0 in-link (relink), and so do the nodes whose last in-link was the old
    // level-0 list of a reused slot.
    void link(context& ctx, slot_t slot, int level, const uint8_t* v, bool reused, key_t key) {
        ctx.stranded.clear(), ctx.thinned.clear(), ctx.chosen.clear();
        link_levels(ctx, slot, level, v, reused, key);
        if (metric_failed) return;
        if (strayed(ctx, slot)) look_wider(ctx, slot, v);
        if (metric_failed) return;
        if (slots_[slot].in_links.load(std::memory_order_relaxed) == 0) {
            // Every neighbor pruned the new node away: the nearest one that can makes room.
            bool linked = false;
            for (const candidate& c : ctx.chosen)
                if ((linked = force_link(ctx, c.slot, slot))) break;
            if (!linked) relink(ctx, slot, slot);
        }
        for (size_t i = 0; i < ctx.stranded.size() && !metric_failed; ++i) relink(ctx, ctx.stranded[i], slot);
        for (size_t i = 0; i < ctx.thinned.size() && !metric_failed; ++i) relink(ctx, ctx.thinned[i], ctx.thinned[i]);
    }

    // strayed tells whether an insertion's search for neighbors ended in the wrong place:
    // its nearest find is much farther from it than that node is from its own nearest
    // neighbor. The descent through the upper levels can end in another cluster, and a
    // beam of ef_construction there does not always cross over: the node is then linked
    // only with a far cluster, where a search for it, which does cross, never looks
    // (reach_test.go). Also true, once, for the first node of a new cluster, and for
    // outliers: look_wider then confirms what was found.
    bool strayed(context& ctx, slot_t slot) {
        if (ctx.chosen.empty()) return false;
        const candidate& first = ctx.chosen.front();
        slot_t next = nearest_of(first.slot, slot);
        if (next == slot || next == first.slot || !tape_of(next)) return false;
        float apart = metric_.pair(row_of(first.slot), row_of(next));
        // Only where distances are positive: inner products can be negative, and an exact
        // duplicate of the nearest (apart 0) says nothing about the scale.
        return apart > 0 && first.distance > stray_ratio * apart;
    }
    static constexpr float stray_ratio = 8;

    // look_wider searches level 0 again with a beam stray_ratio times as wide and links the
    // node both ways with the nearer neighbors that search finds.
    void look_wider(context& ctx, slot_t slot, const uint8_t* v) {
        size_t ef = expansion_or_default(config_.expansion_add, default_expansion_add) * size_t(stray_ratio);
        if (!search_level0(ctx, v, ef, slot, false) || metric_failed) return;
        float found = ctx.chosen.front().distance;
        ctx.sorted.clear();
        for (const candidate& c : ctx.results)
            if (c.distance < found && tape_of(c.slot)) ctx.sorted.push_back(c);
        if (ctx.sorted.empty()) return;
        std::sort(ctx.sorted.begin(), ctx.sorted.end(),
                  [](const candidate& a, const candidate& b) { return a.distance < b.distance; });
        select_neighbors(ctx.sorted, layout_.M, ctx.chosen);
        for (const candidate& c : ctx.chosen) {
            add_reverse_link(ctx, slot, c.slot, c.distance, 0);
            add_reverse_link(ctx, c.slot, slot, c.distance, 0);
        }
    }

    // adopt_reused gives a reused slot its new vector and key, once its new lists are chosen.
    // Until then the slot kept the removed vector, its lists and its tombstone, so that the
    // lists that still name it (they belong to the removed vector's neighborhood) led walks
    // to a node consistent with its own lists; a new vector behind old or emptied lists
    // trapped concurrent walks, and the nodes inserted meanwhile were linked where searches
    // for them never go. Its lists are emptied at the same time (they belonged to the
    // removed vector), except an entry point's, where every walk starts, and except the
    // level-0 entries for which this list is the last in-link: those stay, listed in
    // ctx.stranded for relink. The lists that named the removed vector name the slot no
    // more: its in-link count restarts from zero, which keeps it at most the number of links
    // made since (the invariant of slot_ref), so the node keeps at least one of those.
    void adopt_reused(context& ctx, slot_t slot, int level, const uint8_t* v, key_t key) {
        ctx.stranded.clear(), ctx.thinned.clear();
        bool entry = entry_slot(entry_.load(std::memory_order_acquire)) == slot;
        {
            write_lock lock(*this, slot, true);
            uint8_t* tape = tape_of(slot);
            slots_[slot].in_links.store(0, std::memory_order_relaxed);
            if (!entry) {
                for (int l = 1; l <= level; ++l) list_of(tape, l).set_size(0);
                neighbor_list list = list_of(tape, 0);
                size_t n = std::min<size_t>(list.size(), layout_.capacity(0)), kept = 0;
                for (size_t i = 0; i < n; ++i) {
                    slot_t t = list[i];
                    if (release_link(t)) {
                        // The links of a neighborhood whose nodes are removed and reused
                        // leave one by one, and the in-links a node keeps can all come from
                        // far away (counts keep at least one, and the far, "diverse" ones
                        // are those pruning keeps): no search for it looks there. Every
                        // node this list drops is relinked from the nearest node a search
                        // for it finds (relink; nothing changes when that node links it
                        // already). Relinking only those left with one in-link left about
                        // 1 in 20,000 unfound after concurrent churn, with two or fewer 1
                        // in 200,000 (reach_test.go); relinking all, none in the same runs,
                        // for about 3.4 times the distances of a reusing add.
                        ctx.thinned.push_back(t);
                        continue;
                    }
                    list.set(kept++, t);
                    ctx.stranded.push_back(t);
                }
                list.set_size(uint32_t(kept));
            }
            std::memcpy(vectors_.row(slot), v, vector_bytes_);
        }
        // The key is written under the map's shard lock (then the node lock, the order every
        // writer of keys keeps): a remove of the key that ran meanwhile tombstoned and freed
        // the slot already, and the key must not come back to life.
        keys_.find(key, ~size_t(0), [&](slot_t s) {
            if (s != slot) return;
            write_lock lock(*this, slot);
            tape_set_key(tape_of(slot), key);
        });
        ctx.adopted = true;
        adoptions_.fetch_add(1, std::memory_order_release);
        code_search::after_store(*this, slot, vector_of(slot));
    }

    // link_levels chooses the neighbors of a new node on every level, top-down (each level's
    // search starts from the nearest node found on the level above), and only then writes
    // its lists and the reverse links, bottom-up: a walk that reaches the node on a level
    // finds its lists below already written, never an empty list to stop at. ctx.chosen is
    // left with the level-0 neighbors.
    void link_levels(context& ctx, slot_t slot, int level, const uint8_t* v, bool reused, key_t key) {
        std::unique_lock<std::mutex> top_lock(entry_mutex_, std::defer_lock);
        uint64_t e = entry_.load(std::memory_order_acquire);
        if (level > entry_level(e)) {
            top_lock.lock();
            e = entry_.load(std::memory_order_acquire);
            if (level <= entry_level(e)) top_lock.unlock();
        }
        int top = entry_level(e);
        if (top < 0) {
            if (reused) adopt_reused(ctx, slot, level, v, key);
            entry_.store(pack_entry(level, slot), std::memory_order_release);
            return;
        }
        slot_t best = entry_slot(e);
        float best_distance = metric_.pair(v, vector_of(best));
        for (int l = top; l > level; --l) greedy_descent(ctx, v, best, best_distance, l);

        filter_t no_filter;
        size_t ef = expansion_or_default(config_.expansion_add, default_expansion_add);
        int first = std::min(level, top);
        uint64_t adoptions = adoptions_.load(std::memory_order_acquire);
        if (ctx.levels.size() < size_t(first) + 1) ctx.levels.resize(size_t(first) + 1);
        for (int l = first; l >= 0; --l) {
            beam_search(ctx, v, best, best_distance, l, ef, slot, false, no_filter);
            // A failed metric (a panic or a NaN) makes distances meaningless: link nothing,
            // so that no other node leads to this one, which the caller withdraws.
            if (metric_failed) return;
            // Results are slots read from lists; one read torn by a racing write (search.hpp,
            // gather_neighbors) may name a slot without a record: never link to it.
            ctx.sorted.clear();
            for (const candidate& c : ctx.results)
                if (tape_of(c.slot)) ctx.sorted.push_back(c);
            std::sort(ctx.sorted.begin(), ctx.sorted.end(),
                      [](const candidate& a, const candidate& b) { return a.distance < b.distance; });
            std::vector<candidate>& chosen = ctx.levels[size_t(l)];
            select_neighbors(ctx.sorted, layout_.M, chosen);
            if (!chosen.empty()) best = chosen.front().slot, best_distance = chosen.front().distance;
        }
        if (reused) adopt_reused(ctx, slot, level, v, key);
        bool moved = adoptions_.load(std::memory_order_acquire) != adoptions + (reused ? 1 : 0);
        for (int l = 0; l <= first; ++l) {
            std::vector<candidate>& chosen = ctx.levels[size_t(l)];  // add_reverse_link reuses ctx.selected
            if (moved) {
                // A slot reused since it was scored holds another vector now, far from this
                // one: linking to it would count as an in-link of the new vector that leads
                // from elsewhere. Its distance tells (the same kernel on the same rows).
                chosen.erase(std::remove_if(chosen.begin(), chosen.end(),
                                            [&](const candidate& c) { return metric_.pair(v, row_of(c.slot)) != c.distance; }),
                             chosen.end());
            }
            {
                // Concurrent inserts may already have linked to this node on this level
                // (it is reachable from the levels above, or, reused, from the lists that
                // named the removed vector): keep those links, pruning with the heuristic if
                // they do not all fit, instead of overwriting them.
                write_lock lock(*this, slot);
                neighbor_list list = list_of(tape_of(slot), l);
                size_t capacity = layout_.capacity(l);
                size_t present = std::min<size_t>(list.size(), capacity);
                ctx.relink.assign(chosen.begin(), chosen.end());
                ctx.prior.clear();
                for (size_t i = 0; i < present; ++i) {
                    slot_t s = list[i];
                    ctx.prior.push_back(s);
                    bool known = s == slot;
                    for (const candidate& c : chosen) known = known || c.slot == s;
                    if (!known) ctx.relink.push_back({metric_.pair(v, row_of(s)), s});
                }
                auto is_new = [&ctx](slot_t s) {
                    for (slot_t p : ctx.prior)
                        if (p == s) return false;
                    return true;
                };
                if (ctx.relink.size() > capacity) {
                    std::stable_sort(ctx.relink.begin(), ctx.relink.end(),
                                     [](const candidate& a, const candidate& b) { return a.distance < b.distance; });
                    select_neighbors(ctx.relink, capacity, ctx.selected);
                } else {
                    ctx.selected.assign(ctx.relink.begin(), ctx.relink.end());
                }
                commit_list(ctx, slot, list, l, ctx.relink, ctx.selected, is_new);
            }
            for (const candidate& c : chosen) add_reverse_link(ctx, c.slot, slot, c.distance, l);
        }
        ctx.chosen.assign(ctx.levels[0].begin(), ctx.levels[0].end());
        if (level > top && !metric_failed) entry_.store(pack_entry(level, slot), std::memory_order_release);
    }

    // take_slot finds a slot for a new vector: a removed one first, else a fresh one.
    status take_slot(bool grow, slot_t& slot, bool& reused) {
        // A removed slot waits in free_ only while live < slots: without removals, adds
        // skip the free list's mutex (a cache line every add would write).
        bool entry_free = false;
        if (live_.load(std::memory_order_relaxed) < size_.load(std::memory_order_relaxed)) {
            std::lock_guard<std::mutex> lock(free_mutex_);
            if (!free_.empty()) {
                // The entry point's slot waits while a fresh slot fits in the capacity: every
                // walk starts at the entry, whose lists a reuse keeps, so its new vector would
                // keep linking the old neighborhood; nodes whose only in-link was that list
                // were then linked from far away only, where no search for them looks.
                slot_t entry = entry_slot(entry_.load(std::memory_order_acquire));
                if (free_.front() == entry) free_.pop_front(), free_.push_back(entry);
                entry_free = free_.front() == entry;
                if (!entry_free) {
                    slot = free_.front();
                    free_.pop_front();
                    reused = true;
                    return {};
                }
            }
        }
        reused = false;
        for (;;) {
            size_t n = size_.load(std::memory_order_acquire);
            if (n >= capacity_.load(std::memory_order_acquire)) {
                if (entry_free) {
                    std::lock_guard<std::mutex> lock(free_mutex_);
                    if (!free_.empty()) {
                        slot = free_.front();
                        free_.pop_front();
                        reused = true;
                        return {};
                    }
                }
                if (!grow) return fail(status_code::capacity, "Reserve capacity ahead of insertions!");
                if (n >= max_slots) return fail(status_code::capacity, "Index is full: 2^32-1 slots");
                size_t want = std::min<size_t>(max_slots, std::max<size_t>(n + 1, n + n / 2 + 64));
                status st = reserve(want);
                if (!st) return st;
                continue;
            }
            if (size_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) {
                slot = slot_t(n);
                return {};
            }
        }
    }

    void recycle_slot(slot_t slot) {
        std::lock_guard<std::mutex> lock(free_mutex_);
        free_.push_back(slot);
    }

    const uint8_t* convert_query(context& ctx, const void* vector, scalar_kind kind) const {
        if (kind == config_.storage) return static_cast<const uint8_t*>(vector);
        ctx.query.resize(vector_bytes_ + 64);
        cast_vector(vector, kind, ctx.query.data(), config_.storage, config_.dimensions);
        return ctx.query.data();
    }

  public:
    dense_index() = default;
    dense_index(const dense_index&) = delete;
    ~dense_index() { delete snapshot_.load(); }  // the pool frees its contexts, mapping_ unmaps a view

    // init configures an empty index. The config is validated by the caller.
    // With allow_no_metric, an unknown metric leaves the index without a distance (as after
    // loading a file saved with a custom metric) until a metric is set.
    status init(const index_config& config, usearch_metric_t custom = nullptr, bool allow_no_metric = false) {
        config_ = config;
        if (!config_.connectivity) config_.connectivity = default_connectivity;
        if (!config_.connectivity_base) config_.connectivity_base = 2 * config_.connectivity;
        layout_.M = config_.connectivity, layout_.M0 = config_.connectivity_base;
        set_vector_bytes(bytes_per_vector(config_.storage, config_.dimensions));
        level_multiplier_ = 1.0 / std::log(double(config_.connectivity));
        metric_ = metric_t{};
        metric_.label = config_.metric;
        if (custom) {
            metric_.custom = custom;
        } else {
            metric_.kernel = find_kernel(config_.metric, config_.storage, cpu_isa());
            metric_.length = kernel_length(config_.metric, config_.storage, config_.dimensions);
            if (!metric_.kernel.pair && !(allow_no_metric && config_.metric == metric_kind::unknown))
                return fail(status_code::unsupported, "Unknown metric kind!");
            if (status st = too_few_dimensions(config_.metric, config_.dimensions); !st) return st;
        }
        initialized_ = true;
        return {};
    }

    bool initialized() const { return initialized_; }
    // code_bits is the width of the compact codes searches may use (0: off); codes_serving
    // tells whether they are fitted for the current metric yet.
    int code_bits() const { return codes_.bits(); }
    bool codes_serving() const {
        const code_params* p = codes_.params();
        return codes_.bits() && p && p->metric == metric_.label && !metric_.custom && !metric_.custom_batch;
    }
    // keep_mapping hands a view its mapped file, released with the index.
    void keep_mapping(std::unique_ptr<mapped_file> m) { mapping_ = std::move(m); }
    bool read_only() const { return read_only_; }
    const index_config& config() const { return config_; }
    const metric_t& metric() const { return metric_; }
    size_t size() const { return live_.load(std::memory_order_relaxed); }
    size_t slots() const { return size_.load(std::memory_order_relaxed); }
    size_t capacity() const { return capacity_.load(std::memory_order_relaxed); }
    size_t vector_bytes() const { return vector_bytes_; }
    size_t connectivity() const { return initialized_ ? layout_.M : 0; }
    size_t dimensions() const { return initialized_ ? config_.dimensions : 0; }
    void change_expansion_add(size_t v) { config_.expansion_add = v; }
    void change_expansion_search(size_t v) { config_.expansion_search = v; }

    status change_metric_kind(metric_kind kind) {
        kernel_t k = find_kernel(kind, config_.storage, cpu_isa());
        if (!k.pair)
            return fail(status_code::unsupported, "Unsupported metric for this index's dimensions and scalar kind!");
        if (status st = too_few_dimensions(kind, config_.dimensions); !st) return st;
        metric_.reset();
        metric_.kernel = k;
        metric_.length = kernel_length(kind, config_.storage, config_.dimensions);
        metric_.label = kind;
        config_.metric = kind;
        return {};
    }
    // change_metric_batch installs a batched user metric; the label stays what it was.
    status change_metric_batch(usearchx_metric_batch_t fn, void* state) {
        if (!fn) return fail(status_code::invalid_argument, "Metric function is NULL");
        metric_kind label = metric_.label;
        metric_.reset();
        metric_.custom_batch = fn, metric_.state = state, metric_.label = label;
        return {};
    }
    status change_metric(usearch_metric_t fn, void* state, metric_kind label) {
        if (!fn)
            return fail(status_code::unsupported, "Unsupported metric for this index's dimensions and scalar kind!");
        metric_.reset();
        metric_.custom = fn, metric_.state = state, metric_.label = label;
        config_.metric = label;
        return {};
    }

    status reserve(size_t capacity) {
        if (capacity > max_slots) return fail(status_code::out_of_memory, "Out of memory!");
        if (capacity <= capacity_.load(std::memory_order_acquire)) return {};
        if (!slots_.ensure(capacity) || !vectors_.ensure(capacity))
            return fail(status_code::out_of_memory, "Out of memory!");
        size_t have = capacity_.load();
        while (have < capacity && !capacity_.compare_exchange_weak(have, capacity)) {
        }
        return {};
    }

    size_t memory_usage() {
        size_t bytes = sizeof(*this) + arena_.memory_usage() + slots_.memory_usage() + keys_.memory_usage() +
                       vectors_.memory_usage(std::max(slots(), cleared_rows_));
        return bytes + pool_.memory_usage() + codes_.memory_usage(slots());
    }

    // add stores a vector under a key. With grow unset it fails when no slot is free, as
    // the upstream C API does; the Go layer grows capacity on demand.
    status add(key_t key, const void* vector, scalar_kind kind, bool grow) {
        mutation_mark mark{mutations_};
        if (!initialized_) return fail(status_code::not_initialized, "Index is not initialized");
        if (!vector) return fail(status_code::invalid_argument, "Vector pointer is NULL");
        if (!is_storage_kind(int(kind))) return fail(status_code::unsupported, "Unknown scalar kind!");
        if (!metric_.valid()) return fail(status_code::unsupported, "Index has no metric: set one before adding");
        if (!config_.multi && keys_.count(key))
            return fail(status_code::duplicate_key, "Duplicate keys not allowed in high-level wrappers");
        if (read_only_) return fail(status_code::read_only, "Can't add to an immutable index");
        if (key == tombstone_key)
            return fail(status_code::reserved_key, "Key value reserved: 2^64-1 marks removed entries");
        context_pool::guard guard(pool_);
        if (!guard.get()) return fail(status_code::out_of_memory, "Out of memory!");
        context& ctx = *guard.get();
        const uint8_t* v;
        try {
            v = convert_query(ctx, vector, kind);
        } catch (...) {
            return fail(status_code::out_of_memory, "Out of memory!");
        }

        slot_t slot;
        bool reused;
        status st = take_slot(grow, slot, reused);
        if (!st) return st;
        slot_ref& ref = slots_[slot];
        int level;
        if (reused) {
            // The row keeps the removed vector and the record its tombstone until the new
            // lists are chosen (adopt_reused).
            level = tape_level(tape_of(slot));
        } else {
            level = random_level(ctx);
            uint8_t* tape = arena_.allocate(layout_.bytes(level));
            if (!tape) {
                // The slot is counted but has no record; readers skip it (null pointer).
                return fail(status_code::out_of_memory, "Out of memory!");
            }
            std::memcpy(vectors_.row(slot), v, vector_bytes_);
            tape_set_key(tape, tombstone_key);
            tape_set_level(tape, level);
            ref.tape.store(tape, std::memory_order_release);  // publishes the row too
        }
        if (!reused) code_search::after_store(*this, slot, vector_of(slot));
        // A new record takes the key inside the map's insert (under its shard lock): were it
        // written after, a remove that saw the key in between would tombstone the record first
        // and this write would bring the removed key back into searches, on a recycled slot.
        // A reused slot keeps its tombstone until it takes the new vector (adopt_reused).
        auto publish = [&](slot_t) {
            if (!reused) {
                write_lock lock(*this, slot);
                tape_set_key(tape_of(slot), key);
            }
            live_.fetch_add(1, std::memory_order_relaxed);
        };
        switch (keys_.insert(key, slot, !config_.multi, publish)) {
        case key_map::inserted: break;
        case key_map::duplicate:
            recycle_slot(slot);
            return fail(status_code::duplicate_key, "Duplicate keys not allowed in high-level wrappers");
        case key_map::out_of_memory: recycle_slot(slot); return fail(status_code::out_of_memory, "Out of memory!");
        }
        metric_failed = false;
        ctx.adopted = false;
        try {
            link(ctx, slot, level, reused ? v : vector_of(slot), reused, key);
        } catch (...) {
            // Allocation failed mid-link: the node stays reachable only through links made so far.
        }
        if (reused && !metric_failed && !ctx.adopted) {
            // Allocation failed before the reused slot took the new vector: nothing was added.
            // (A concurrent remove of the key may have taken and recycled the slot already.)
            if (keys_.erase_one(key, slot, [&](slot_t) { live_.fetch_sub(1, std::memory_order_relaxed); }))
                recycle_slot(slot);
            return fail(status_code::out_of_memory, "Out of memory!");
        }
        if (metric_failed) {
            // The user metric failed: the links made are valid, but the vector is withdrawn so
            // that a failed Add stores nothing.
            // A concurrent remove may have taken the key (and recycled the slot) already.
            if (keys_.erase_one(key, slot, [&](slot_t) {
                    write_lock lock(*this, slot);
                    tape_set_key(tape_of(slot), tombstone_key);
                    live_.fetch_sub(1, std::memory_order_relaxed);
                }))
                recycle_slot(slot);
            return fail(status_code::callback, "The metric failed (a Go metric panicked); nothing was added");
        }
        code_search::after_add(*this);
        return {};
    }

    bool contains(key_t key) const { return initialized_ && keys_.count(key) > 0; }
    size_t count(key_t key) const { return initialized_ ? keys_.count(key) : 0; }

    // get copies up to `limit` vectors of the key, converted to `kind`; returns how many.
    size_t get(key_t key, size_t limit, void* out, scalar_kind kind) const {
        if (!initialized_) return 0;
        size_t out_bytes = bytes_per_vector(kind, config_.dimensions);
        uint8_t* dst = static_cast<uint8_t*>(out);
        size_t n = 0;
        keys_.find(key, limit, [&](slot_t s) {
            // A reused slot takes its new key with its new vector (adopt_reused): until then
            // it holds the removed vector, which is not this key's.
            if (tape_key(tape_of(s)) != key) return;
            cast_vector(vector_of(s), config_.storage, dst, kind, config_.dimensions);
            dst += out_bytes, ++n;
        });
        return n;
    }

    // remove tombstones every vector of the key; returns how many.
    status remove(key_t key, size_t& removed) {
        mutation_mark mark{mutations_};
        removed = 0;
        if (!initialized_) return fail(status_code::not_initialized, "Index is not initialized");
        if (read_only_) return fail(status_code::read_only, "Can't remove from an immutable index");
        std::vector<slot_t> freed;
        try {
            // Tombstones are written under the map's shard lock, ordered with add's key write.
            keys_.erase(key, &freed, [&](slot_t s) {
                write_lock lock(*this, s);
                tape_set_key(tape_of(s), tombstone_key);
                live_.fetch_sub(1, std::memory_order_relaxed);
            });
        } catch (...) {
            return fail(status_code::out_of_memory, "Can't allocate memory for a free-list");
        }
        for (slot_t s : freed) recycle_slot(s);
        removed = freed.size();
        return {};
    }

    status rename(key_t from, key_t to, size_t& moved) {
        mutation_mark mark{mutations_};
        moved = 0;
        if (!initialized_) return fail(status_code::not_initialized, "Index is not initialized");
        if (from == to) {
            moved = keys_.count(from);
            return {};
        }
        if (read_only_) return fail(status_code::read_only, "Can't rename in an immutable index");
        if (to == tombstone_key)
            return fail(status_code::reserved_key, "Key value reserved: 2^64-1 marks removed entries");
        std::vector<slot_t> slots;
        // Records are renamed under the map's shard locks, ordered with adds and removes.
        auto publish = [&](slot_t s) {
            write_lock lock(*this, s);
            // A reused slot that has not taken its new vector yet (adopt_reused) keeps its
            // tombstone: the removed vector must not appear under the new key.
            if (tape_key(tape_of(s)) == from) tape_set_key(tape_of(s), to);
        };
        switch (keys_.rename(from, to, !config_.multi, slots, publish)) {
        case key_map::inserted: break;
        case key_map::duplicate: return fail(status_code::duplicate_key, "Renaming impossible, the key is already in use");
        case key_map::out_of_memory: return fail(status_code::out_of_memory, "Out of memory!");
        }
        moved = slots.size();
        return {};
    }

    // search writes up to `k` nearest live entries in ascending distance; returns how many.
    status search(const void* query, scalar_kind kind, size_t k, key_t* keys, float* distances, size_t& found,
                  const filter_t& filter = filter_t(), usearchx_search_stats_t* stats = nullptr);

    // recount_in_links sets every slot's level-0 in-link count from the lists, for an index
    // whose lists were written wholesale (loaded, cloned, compacted), before any insertion.
    void recount_in_links() {
        size_t n = size_.load(), capacity = layout_.capacity(0);
        for (size_t s = 0; s < n; ++s) slots_[s].in_links.store(0, std::memory_order_relaxed);
        for (size_t s = 0; s < n; ++s) {
            uint8_t* tape = tape_of(slot_t(s));
            if (!tape) continue;
            neighbor_list list = list_of(tape, 0);
            size_t m = std::min<size_t>(list.size(), capacity);
            for (size_t j = 0; j < m; ++j) {
                slot_t t = list[j];
                if (t >= n) continue;
                std::atomic<uint32_t>& count = slots_[t].in_links;
                count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            }
        }
    }

    // clear drops every entry and keeps configuration, capacity and allocated memory.
    void clear() {
        mutation_mark mark{mutations_};
        size_t n = size_.load();
        for (size_t i = 0; i < n; ++i) slots_[i].tape.store(nullptr), slots_[i].in_links.store(0);
        cleared_rows_ = std::max(cleared_rows_, n);
        arena_.rewind();
        keys_.clear(true);
        free_.clear();
        codes_.forget();
        size_ = 0, live_ = 0;
        entry_ = pack_entry(-1, 0);
    }
};

}  // namespace usg
