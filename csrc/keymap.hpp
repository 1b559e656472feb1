// keymap.hpp: key_map, the sharded key -> slot multimap of an index (a key may hold several
// slots when the index allows multiple vectors per key), and key_hash, the mixer that spreads
// keys over its shards and tables (also used to split exports into parts by key).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "node_record.hpp"

namespace usg {

// key_hash mixes a key (splitmix64's finaliser) so that sequential keys spread evenly.
inline uint64_t key_hash(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// key_map maps keys to the slots holding them. Shards with their own reader-writer lock keep
// concurrent adds and lookups from serialising; open addressing with a strong mixer keeps
// sequential keys as fast as random ones.
//
// insert, erase, erase_one and rename call an optional `publish(slot)` for every slot they
// change while still holding the shard lock(s): the index writes the key into the slot's node
// record there, so that record writes for one key happen in the same order as the map's
// changes (index.hpp, dense_index::add). Lock order: shard lock, then a node lock.
class key_map {
    struct entry { key_t key; slot_t slot; };
    static constexpr slot_t empty_slot = 0xFFFFFFFFu, deleted_slot = 0xFFFFFFFEu;
    struct shard {
        mutable std::shared_mutex mutex;
        std::vector<entry> table;  // size is a power of two or zero
        size_t used = 0;           // live + deleted entries
        size_t live = 0;
    };
    static constexpr unsigned shard_bits = 6;
    shard shards_[1u << shard_bits];

    static uint64_t mix(uint64_t x) { return key_hash(x); }
    shard& shard_of(uint64_t h) { return shards_[h >> (64 - shard_bits)]; }
    const shard& shard_of(uint64_t h) const { return shards_[h >> (64 - shard_bits)]; }

    static bool grow(shard& s) {
        size_t size = s.table.empty() ? 16 : (s.live * 2 + 1 > s.table.size() / 2 ? s.table.size() * 2 : s.table.size());
        std::vector<entry> fresh;
        try {
            fresh.assign(size, entry{0, empty_slot});
        } catch (...) {
            return false;
        }
        for (const entry& e : s.table) {
            if (e.slot == empty_slot || e.slot == deleted_slot) continue;
            size_t i = mix(e.key) & (size - 1);
            while (fresh[i].slot != empty_slot) i = (i + 1) & (size - 1);
            fresh[i] = e;
        }
        s.table.swap(fresh);
        s.used = s.live;
        return true;
    }
    static bool insert_locked(shard& s, uint64_t h, key_t key, slot_t slot) {
        if ((s.used + 1) * 4 > s.table.size() * 3 && !grow(s)) return false;
        size_t mask = s.table.size() - 1, i = h & mask;
        while (s.table[i].slot != empty_slot && s.table[i].slot != deleted_slot) i = (i + 1) & mask;
        if (s.table[i].slot == empty_slot) ++s.used;
        s.table[i] = entry{key, slot};
        ++s.live;
        return true;
    }
    template <typename F> static void scan_locked(const shard& s, uint64_t h, key_t key, F&& f) {
        if (s.table.empty()) return;
        size_t mask = s.table.size() - 1, i = h & mask;
        for (; s.table[i].slot != empty_slot; i = (i + 1) & mask)
            if (s.table[i].slot != deleted_slot && s.table[i].key == key)
                if (!f(s.table[i].slot)) return;
    }
    template <typename F>
    static size_t erase_locked(shard& s, uint64_t h, key_t key, std::vector<slot_t>* out, F&& publish) {
        if (s.table.empty()) return 0;
        size_t mask = s.table.size() - 1, i = h & mask, n = 0;
        for (; s.table[i].slot != empty_slot; i = (i + 1) & mask)
            if (s.table[i].slot != deleted_slot && s.table[i].key == key) {
                slot_t slot = s.table[i].slot;
                if (out) out->push_back(slot);
                s.table[i].slot = deleted_slot;
                --s.live, ++n;
                publish(slot);
            }
        return n;
    }

  public:
    enum insert_result { inserted, duplicate, out_of_memory };
    struct no_publish {
        void operator()(slot_t) const {}
    };

    // insert adds key -> slot; with unique set it refuses a key that is already present.
    template <typename F = no_publish> insert_result insert(key_t key, slot_t slot, bool unique, F&& publish = F()) {
        uint64_t h = mix(key);
        shard& s = shard_of(h);
        std::unique_lock<std::shared_mutex> lock(s.mutex);
        if (unique) {
            bool found = false;
            scan_locked(s, h, key, [&](slot_t) { found = true; return false; });
            if (found) return duplicate;
        }
        if (!insert_locked(s, h, key, slot)) return out_of_memory;
        publish(slot);
        return inserted;
    }
    size_t count(key_t key) const {
        uint64_t h = mix(key);
        const shard& s = shard_of(h);
        std::shared_lock<std::shared_mutex> lock(s.mutex);
        size_t n = 0;
        scan_locked(s, h, key, [&](slot_t) { ++n; return true; });
        return n;
    }
    // find calls f(slot) for up to `limit` slots of the key; returns how many were visited.
    template <typename F> size_t find(key_t key, size_t limit, F&& f) const {
        uint64_t h = mix(key);
        const shard& s = shard_of(h);
        std::shared_lock<std::shared_mutex> lock(s.mutex);
        size_t n = 0;
        if (limit == 0) return 0;
        scan_locked(s, h, key, [&](slot_t slot) { f(slot); return ++n < limit; });
        return n;
    }
    // erase removes every entry of the key, appending their slots to `out`.
    template <typename F = no_publish> size_t erase(key_t key, std::vector<slot_t>* out, F&& publish = F()) {
        uint64_t h = mix(key);
        shard& s = shard_of(h);
        std::unique_lock<std::shared_mutex> lock(s.mutex);
        return erase_locked(s, h, key, out, publish);
    }
    // erase_one removes the entry of one slot of the key; false when it was not there (a
    // concurrent erase took it first).
    template <typename F = no_publish> bool erase_one(key_t key, slot_t slot, F&& publish = F()) {
        uint64_t h = mix(key);
        shard& s = shard_of(h);
        std::unique_lock<std::shared_mutex> lock(s.mutex);
        if (s.table.empty()) return false;
        size_t mask = s.table.size() - 1;
        for (size_t i = h & mask; s.table[i].slot != empty_slot; i = (i + 1) & mask)
            if (s.table[i].key == key && s.table[i].slot == slot) {
                s.table[i].slot = deleted_slot;
                --s.live;
                publish(slot);
                return true;
            }
        return false;
    }
    // rename moves every entry of `from` to `to` atomically; with unique set it refuses when
    // `to` already exists. Returns the moved slots in `out`.
    template <typename F = no_publish>
    insert_result rename(key_t from, key_t to, bool unique, std::vector<slot_t>& out, F&& publish = F()) {
        uint64_t hf = mix(from), ht = mix(to);
        shard& sf = shard_of(hf);
        shard& st = shard_of(ht);
        std::unique_lock<std::shared_mutex> first, second;
        if (&sf == &st) {
            first = std::unique_lock<std::shared_mutex>(sf.mutex);
        } else if (&sf < &st) {
            first = std::unique_lock<std::shared_mutex>(sf.mutex), second = std::unique_lock<std::shared_mutex>(st.mutex);
        } else {
            first = std::unique_lock<std::shared_mutex>(st.mutex), second = std::unique_lock<std::shared_mutex>(sf.mutex);
        }
        if (unique) {
            bool found = false;
            scan_locked(st, ht, to, [&](slot_t) { found = true; return false; });
            if (found) return duplicate;
        }
        size_t before = out.size();
        erase_locked(sf, hf, from, &out, no_publish());
        for (size_t i = before; i < out.size(); ++i)
            if (!insert_locked(st, ht, to, out[i])) return out_of_memory;
        for (size_t i = before; i < out.size(); ++i) publish(out[i]);
        return inserted;
    }
    static constexpr size_t shard_count = size_t(1) << shard_bits;
    // copy_shard appends shard i's live (key, slot) pairs. Callers scan the copy, so no
    // lock is held while they run user code.
    void copy_shard(size_t i, std::vector<key_t>& keys, std::vector<uint32_t>& slots) const {
        const shard& s = shards_[i];
        std::shared_lock<std::shared_mutex> lock(s.mutex);
        for (const entry& e : s.table)
            if (e.slot != empty_slot && e.slot != deleted_slot) keys.push_back(e.key), slots.push_back(e.slot);
    }
    // visit_shard calls f(key, slot) for shard i's live entries under the shard's read lock:
    // while it runs no entry of the shard is added or removed.
    template <typename F> void visit_shard(size_t i, F&& f) const {
        const shard& s = shards_[i];
        std::shared_lock<std::shared_mutex> lock(s.mutex);
        for (const entry& e : s.table)
            if (e.slot != empty_slot && e.slot != deleted_slot) f(e.key, e.slot);
    }
    static size_t shard_of_hash(uint64_t h) { return size_t(h >> (64 - shard_bits)); }
    static constexpr unsigned shard_hash_bits = shard_bits;
    // clear empties every shard; with keep_memory the tables stay allocated.
    void clear(bool keep_memory = false) {
        for (shard& s : shards_) {
            std::unique_lock<std::shared_mutex> lock(s.mutex);
            if (keep_memory) std::fill(s.table.begin(), s.table.end(), entry{0, empty_slot});
            else std::vector<entry>().swap(s.table);
            s.used = s.live = 0;
        }
    }
    size_t memory_usage() const {
        size_t bytes = sizeof(*this);
        for (const shard& s : shards_) bytes += s.table.capacity() * sizeof(entry);
        return bytes;
    }
};

}  // namespace usg
