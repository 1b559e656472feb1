// reach.hpp: whether every live vector can be found. A search descends the upper levels and
// then walks level 0 (search.hpp), so a live node that no level-0 list points at (an orphan),
// or that a walk of level 0 from the entry point never meets, is stored but cannot be
// returned. `measure` counts both, for tests; `repair` re-links every live node a walk from the
// entry point does not meet, which compaction runs on its copy (toolkit.hpp).
#pragma once

#include <algorithm>
#include <vector>

#include "index.hpp"

namespace usg {

struct reachability {
    struct report {
        size_t live = 0, unreachable = 0, orphans = 0;
    };

    // walk marks in `seen` the slots a breadth-first walk of level 0 from the entry meets.
    static void walk(const dense_index& x, std::vector<uint64_t>& seen, std::vector<slot_t>& queue, size_t head) {
        size_t n = seen.size() * 64, capacity = x.layout_.capacity(0);
        for (; head < queue.size(); ++head) {
            const uint8_t* tape = x.tape_of(queue[head]);
            if (!tape) continue;
            neighbor_list list = x.list_of(const_cast<uint8_t*>(tape), 0);
            size_t m = std::min<size_t>(list.size(), capacity);
            for (size_t j = 0; j < m; ++j) {
                slot_t t = list[j];
                if (t >= n || (seen[t >> 6] >> (t & 63) & 1)) continue;
                seen[t >> 6] |= uint64_t(1) << (t & 63);
                queue.push_back(t);
            }
        }
    }

    static bool live(const dense_index& x, slot_t s) {
        const uint8_t* tape = x.tape_of(s);
        return tape && tape_key(tape) != tombstone_key;
    }

    // measure reads every list: call it while no add, remove or compaction swap runs.
    static report measure(const dense_index& x) {
        report r;
        size_t n = x.slots();
        uint64_t e = x.entry_.load(std::memory_order_acquire);
        if (dense_index::entry_level(e) < 0) return r;
        std::vector<uint64_t> seen((n + 63) / 64, 0), pointed((n + 63) / 64, 0);
        std::vector<slot_t> queue;
        slot_t entry = dense_index::entry_slot(e);
        seen[entry >> 6] |= uint64_t(1) << (entry & 63);
        queue.push_back(entry);
        walk(x, seen, queue, 0);
        size_t capacity = x.layout_.capacity(0);
        for (size_t s = 0; s < n; ++s) {
            const uint8_t* tape = x.tape_of(slot_t(s));
            if (!tape) continue;
            neighbor_list list = x.list_of(const_cast<uint8_t*>(tape), 0);
            size_t m = std::min<size_t>(list.size(), capacity);
            for (size_t j = 0; j < m; ++j)
                if (list[j] < n) pointed[list[j] >> 6] |= uint64_t(1) << (list[j] & 63);
        }
        for (size_t s = 0; s < n; ++s) {
            if (!live(x, slot_t(s))) continue;
            ++r.live;
            if (!(seen[s >> 6] >> (s & 63) & 1)) ++r.unreachable;
            if (slot_t(s) != entry && !(pointed[s >> 6] >> (s & 63) & 1)) ++r.orphans;
        }
        return r;
    }

    // restore makes every live node of an index no other thread uses (a compacted copy) reachable
    // from the entry point over level 0: it counts the in-links afresh, then walks from the
    // entry and gives each live node the walk missed an in-link from the nearest node a
    // search finds (dense_index::relink, which searches from the entry: only reachable
    // nodes are found), then walks on from it. A forced link may displace an entry whose
    // other in-link is from a node the walk has not met; the check is repeated until a walk
    // meets every live node, at most a few times.
    static status restore(dense_index& y) {
        y.recount_in_links();
        uint64_t e = y.entry_.load(std::memory_order_acquire);
        if (dense_index::entry_level(e) < 0) return {};
        context_pool::guard guard(y.pool_);
        if (!guard.get()) return fail(status_code::out_of_memory, "Out of memory!");
        context& ctx = *guard.get();
        size_t n = y.slots();
        try {
            std::vector<uint64_t> seen;
            std::vector<slot_t> queue;
            for (int pass = 0; pass < 4; ++pass) {
                seen.assign((n + 63) / 64, 0), queue.clear();
                slot_t entry = dense_index::entry_slot(e);
                seen[entry >> 6] |= uint64_t(1) << (entry & 63);
                queue.push_back(entry);
                walk(y, seen, queue, 0);
                size_t relinked = 0;
                for (size_t s = 0; s < n; ++s) {
                    if ((seen[s >> 6] >> (s & 63) & 1) || !live(y, slot_t(s))) continue;
                    metric_failed = false;
                    y.relink(ctx, slot_t(s), slot_t(s));
                    if (metric_failed) return fail(status_code::callback, "The metric failed (a Go metric panicked)");
                    ++relinked;
                    seen[s >> 6] |= uint64_t(1) << (s & 63);
                    size_t head = queue.size();
                    queue.push_back(slot_t(s));
                    walk(y, seen, queue, head);
                }
                if (!relinked) break;
            }
        } catch (...) {
            return fail(status_code::out_of_memory, "Out of memory!");
        }
        return {};
    }
};

}  // namespace usg
