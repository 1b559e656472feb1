// storage.hpp: the building blocks under the index: a growable array whose elements never
// move, a bump arena for node records, the node-record ("tape") layout of the file format,
// and a sharded key -> slot multimap.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <type_traits>
#include <vector>

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX  // std::min and std::max stay functions
#endif
#include <windows.h>
#else
#include <sys/mman.h>
#endif

namespace usg {

using key_t = uint64_t;
using slot_t = uint32_t;
constexpr key_t tombstone_key = ~key_t(0);
constexpr size_t max_slots = 0xFFFFFFFFull - 1;

// huge_page is the size of a transparent huge page (x86-64 and most arm64 kernels).
constexpr size_t huge_page = size_t(1) << 21;

// os_allocate returns zeroed memory straight from the OS (mmap) where there is one, and
// os_free gives it back. Through malloc, glibc keeps freed 1 MiB blocks in its heap once
// its dynamic mmap threshold has risen, and a process compacting an index every second
// grew by about the index's size each time (BenchmarkSoak).
//
// Blocks of whole 2 MiB pages are aligned to 2 MiB and offered to the kernel as
// transparent huge pages: a walk over a large index lands on a new page at nearly every
// hop, and with 4 KiB pages each of those hops is also a TLB miss and a page-table walk
// (and each first touch a page fault, which is most of a large build's system time).
inline void* os_allocate(size_t size) {
#if defined(_WIN32)
    // Reserved and committed at once, as mmap does: the commit only charges the pagefile
    // quota, and each page is backed, zeroed, on first touch, so capacity reserved for a
    // growing index costs no memory until rows land in it (operator new + memset used to
    // touch every page). Addresses are 64 KiB aligned (the allocation granularity).
    return ::VirtualAlloc(nullptr, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
#else
    if (size % huge_page != 0) {
        void* block = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return block == MAP_FAILED ? nullptr : block;  // page-aligned, zeroed
    }
    size_t span = size + huge_page;
    void* raw = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    uintptr_t begin = reinterpret_cast<uintptr_t>(raw);
    uintptr_t aligned = (begin + huge_page - 1) & ~uintptr_t(huge_page - 1);
    if (aligned > begin) ::munmap(raw, aligned - begin);
    if (begin + span > aligned + size) ::munmap(reinterpret_cast<void*>(aligned + size), begin + span - aligned - size);
#if defined(MADV_HUGEPAGE)
    ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
    return reinterpret_cast<void*>(aligned);
#endif
}
inline void os_free(void* block, size_t size) {
#if defined(_WIN32)
    (void)size;  // MEM_RELEASE frees the whole reservation and must be given 0
    ::VirtualFree(block, 0, MEM_RELEASE);
#else
    ::munmap(block, size);
#endif
}

// stable_array grows in power-of-two segments, so an element's address never changes and
// readers need no lock while another thread grows the array.
template <typename T> class stable_array {
    static constexpr unsigned first_log = 10;  // segment 0 holds 1024 elements
    static constexpr unsigned max_segments = 24;
    std::atomic<T*> segments_[max_segments] = {};
    std::mutex grow_mutex_;
    std::atomic<size_t> allocated_{0};

    static size_t segment_begin(unsigned s) { return s == 0 ? 0 : size_t(1) << (first_log + s - 1); }
    static size_t segment_size(unsigned s) { return s == 0 ? size_t(1) << first_log : size_t(1) << (first_log + s - 1); }

    // Segments of 2 MiB and more come from os_allocate, in huge pages where offered: the
    // slot table of a large index is read at every hop of a walk.
    static bool huge(size_t n) { return n * sizeof(T) >= huge_page; }
    static T* allocate_segment(size_t n) {
        if (!huge(n)) return new (std::nothrow) T[n]();
        static_assert(std::is_trivially_destructible<T>::value, "os_free runs no destructors");
        size_t bytes = (n * sizeof(T) + huge_page - 1) & ~(huge_page - 1);
        void* raw = os_allocate(bytes);
        if (!raw) return nullptr;
        T* seg = static_cast<T*>(raw);
        for (size_t i = 0; i < n; ++i) new (seg + i) T();
        return seg;
    }
    static void free_segment(T* seg, size_t n) {
        if (!seg) return;
        if (!huge(n)) return delete[] seg;
        os_free(seg, (n * sizeof(T) + huge_page - 1) & ~(huge_page - 1));
    }

  public:
    stable_array() = default;
    stable_array(const stable_array&) = delete;
    ~stable_array() { clear(); }

    T& operator[](size_t i) const {
        unsigned s = 0;
        size_t offset = i;
        if (i >> first_log) {
            s = 64u - unsigned(__builtin_clzll(uint64_t(i >> first_log)));
            offset = i - segment_begin(s);
        }
        return segments_[s].load(std::memory_order_acquire)[offset];
    }
    size_t allocated() const { return allocated_.load(std::memory_order_acquire); }

    // ensure makes elements [0, n) addressable. New elements are value-initialised.
    bool ensure(size_t n) {
        if (n <= allocated()) return true;
        std::lock_guard<std::mutex> lock(grow_mutex_);
        size_t have = allocated_.load();
        for (unsigned s = 0; s < max_segments && have < n; ++s) {
            if (segments_[s].load()) continue;
            T* seg = allocate_segment(segment_size(s));
            if (!seg) return false;
            segments_[s].store(seg, std::memory_order_release);
            have = segment_begin(s) + segment_size(s);
            allocated_.store(have, std::memory_order_release);
        }
        return have >= n;
    }
    void clear() {
        for (unsigned s = 0; s < max_segments; ++s) free_segment(segments_[s].exchange(nullptr), segment_size(s));
        allocated_ = 0;
    }
    size_t memory_usage() const { return allocated() * sizeof(T); }
};

// row_array holds one fixed-size row per slot in power-of-two segments that never move, so
// that a row's address is computed from its slot (a segment number from the slot's leading
// bit, an offset) instead of being read from memory. A walk over a large index scores rows
// in random order: with the address computed, a hop costs one miss per neighbor (its row),
// not two (a slot-table entry, then the row). The rows of a view are the file's vectors:
// the segments then point into the mapping, and nothing is allocated or freed.
class row_array {
    static constexpr unsigned first_log = 10, max_segments = 24;  // segment 0 holds 1024 rows
    std::atomic<uint8_t*> segments_[max_segments] = {};
    size_t mapped_bytes_[max_segments] = {};  // of segments from os_allocate; 0: calloc
    std::mutex grow_mutex_;
    std::atomic<size_t> allocated_{0};
    size_t stride_ = 0;
    bool borrowed_ = false;  // the segments point into memory owned elsewhere (a view)

    static size_t segment_begin(unsigned s) { return s == 0 ? 0 : size_t(1) << (first_log + s - 1); }
    static size_t segment_size(unsigned s) { return size_t(1) << (s == 0 ? first_log : first_log + s - 1); }

    // allocate_segment returns zeroed memory; large segments come from os_allocate, in
    // transparent huge pages where offered (a random walk then misses the TLB far less).
    uint8_t* allocate_segment(unsigned s, size_t bytes) {
        if (bytes >= huge_page) {
            size_t length = (bytes + huge_page - 1) & ~(huge_page - 1);
            uint8_t* seg = static_cast<uint8_t*>(os_allocate(length));
            mapped_bytes_[s] = seg ? length : 0;
            return seg;
        }
        mapped_bytes_[s] = 0;
        return static_cast<uint8_t*>(std::calloc(bytes, 1));
    }

  public:
    row_array() = default;
    row_array(const row_array&) = delete;
    ~row_array() { release(); }

    // release frees the rows and forgets the stride; only while no reader runs.
    void release() {
        for (unsigned s = 0; s < max_segments; ++s) {
            uint8_t* seg = segments_[s].exchange(nullptr);
            if (!seg || borrowed_) continue;
            if (mapped_bytes_[s]) os_free(seg, mapped_bytes_[s]);
            else std::free(seg);
            mapped_bytes_[s] = 0;
        }
        allocated_ = 0, stride_ = 0, borrowed_ = false;
    }
    // configure drops every row and sets the row size for the rows made from now on.
    void configure(size_t stride) { release(), stride_ = stride; }
    // borrow serves n rows of `stride` bytes laid end to end at `base` (a mapped file).
    void borrow(const uint8_t* base, size_t stride, size_t n) {
        release();
        stride_ = stride, borrowed_ = true;
        size_t have = 0;
        for (unsigned s = 0; s < max_segments && have < n; ++s) {
            segments_[s].store(const_cast<uint8_t*>(base) + segment_begin(s) * stride, std::memory_order_release);
            have = segment_begin(s) + segment_size(s);
        }
        allocated_.store(n, std::memory_order_release);
    }

    size_t stride() const { return stride_; }
    size_t allocated() const { return allocated_.load(std::memory_order_acquire); }
    uint8_t* row(size_t slot) const {
        unsigned s = 0;
        size_t offset = slot;
        if (slot >> first_log) {
            s = 64u - unsigned(__builtin_clzll(uint64_t(slot >> first_log)));
            offset = slot - segment_begin(s);
        }
        return segments_[s].load(std::memory_order_acquire) + offset * stride_;
    }

    // ensure makes rows [0, n) addressable; new rows are zero.
    bool ensure(size_t n) {
        if (n <= allocated()) return true;
        if (borrowed_) return true;  // a view is read-only: it reserves without adding rows
        std::lock_guard<std::mutex> lock(grow_mutex_);
        size_t have = allocated_.load();
        for (unsigned s = 0; s < max_segments && have < n; ++s) {
            if (segments_[s].load()) continue;
            uint8_t* seg = allocate_segment(s, segment_size(s) * stride_);
            if (!seg) return false;
            segments_[s].store(seg, std::memory_order_release);
            have = segment_begin(s) + segment_size(s);
            allocated_.store(have, std::memory_order_release);
        }
        return have >= n;
    }

    // zero clears every owned row, keeping the memory.
    void zero() {
        if (borrowed_) return;
        for (unsigned s = 0; s < max_segments; ++s)
            if (uint8_t* seg = segments_[s].load()) std::memset(seg, 0, segment_size(s) * stride_);
    }

    // memory_usage counts the owned rows of the first `slots` slots: the rest of the last
    // segment is never touched, so the OS has not backed it with memory.
    size_t memory_usage(size_t slots) const { return borrowed_ ? 0 : std::min(allocated(), slots) * stride_; }
};

// arena hands out memory for node records and vectors in large chunks, freed all at once.
// rewind starts handing out the chunks it holds again, for clearing without freeing.
class arena {
    std::mutex mutex_;
    std::vector<void*> chunks_;
    std::vector<size_t> sizes_;
    size_t next_ = 0;  // the first held chunk not handed out since the last rewind
    uint8_t* cursor_ = nullptr;
    size_t left_ = 0;
    size_t total_ = 0;
    static constexpr size_t chunk_size = size_t(1) << 20;
    static constexpr size_t max_chunk = size_t(1) << 26;

    // next_chunk_size grows chunks with the arena: 1 MiB while it is small, then an eighth
    // of what it holds (at most 64 MiB, so at most an eighth is ever unused), in whole
    // 2 MiB pages.
    size_t next_chunk_size(size_t bytes) const {
        size_t size = std::max(chunk_size, std::min(total_ / 8, max_chunk));
        if (size >= huge_page) size = (size + huge_page - 1) & ~(huge_page - 1);
        return std::max(size, bytes);
    }

  public:
    arena() = default;
    arena(const arena&) = delete;
    ~arena() { clear(); }
    // allocate returns zeroed memory aligned to 64 bytes, or nullptr when out of memory.
    uint8_t* allocate(size_t bytes) {
        bytes = (bytes + 63) & ~size_t(63);
        std::lock_guard<std::mutex> lock(mutex_);
        while (bytes > left_ && next_ < chunks_.size()) {  // reuse what a rewind kept
            cursor_ = static_cast<uint8_t*>(chunks_[next_]), left_ = sizes_[next_], ++next_;
            std::memset(cursor_, 0, left_);
        }
        if (bytes > left_) {
            size_t size = next_chunk_size(bytes);
            void* chunk = os_allocate(size);
            if (!chunk) return nullptr;
            try {
                chunks_.push_back(chunk);
                sizes_.push_back(size);
            } catch (...) {
                if (chunks_.size() > sizes_.size()) chunks_.pop_back();
                os_free(chunk, size);
                return nullptr;
            }
            next_ = chunks_.size();
            cursor_ = static_cast<uint8_t*>(chunk), left_ = size, total_ += size;
        }
        uint8_t* result = cursor_;
        cursor_ += bytes, left_ -= bytes;
        return result;
    }
    void rewind() { next_ = 0, cursor_ = nullptr, left_ = 0; }
    void clear() {
        for (size_t i = 0; i < chunks_.size(); ++i) os_free(chunks_[i], sizes_[i]);
        chunks_.clear(), sizes_.clear(), next_ = 0, cursor_ = nullptr, left_ = 0, total_ = 0;
    }
    size_t memory_usage() const { return total_; }
};

// Node records use the byte layout of the file format (docs/file-format.md, "Layout"),
// unaligned:
//   key u64 | level i16 | level 0: count u32, M0 x u32 | each level l >= 1: count u32, M x u32
// so that a view can serve them straight from a mapped file.
struct tape_layout {
    size_t M = 16, M0 = 32;
    size_t bytes(int level) const { return 14 + 4 * M0 + size_t(level) * (4 + 4 * M); }
    size_t list_offset(int level) const { return level == 0 ? 10 : 14 + 4 * M0 + size_t(level - 1) * (4 + 4 * M); }
    size_t capacity(int level) const { return level == 0 ? M0 : M; }
};

inline key_t tape_key(const uint8_t* t) { key_t k; std::memcpy(&k, t, 8); return k; }
inline void tape_set_key(uint8_t* t, key_t k) { std::memcpy(t, &k, 8); }
inline int tape_level(const uint8_t* t) { int16_t l; std::memcpy(&l, t + 8, 2); return l; }
inline void tape_set_level(uint8_t* t, int l) { int16_t v = int16_t(l); std::memcpy(t + 8, &v, 2); }

// neighbor_list reads and writes one level's list inside a tape.
struct neighbor_list {
    uint8_t* base;  // points at the count
    uint32_t size() const { uint32_t n; std::memcpy(&n, base, 4); return n; }
    slot_t operator[](size_t i) const { slot_t s; std::memcpy(&s, base + 4 + 4 * i, 4); return s; }
    void set_size(uint32_t n) { std::memcpy(base, &n, 4); }
    void set(size_t i, slot_t s) { std::memcpy(base + 4 + 4 * i, &s, 4); }
};

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
    static size_t erase_locked(shard& s, uint64_t h, key_t key, std::vector<slot_t>* out) {
        if (s.table.empty()) return 0;
        size_t mask = s.table.size() - 1, i = h & mask, n = 0;
        for (; s.table[i].slot != empty_slot; i = (i + 1) & mask)
            if (s.table[i].slot != deleted_slot && s.table[i].key == key) {
                if (out) out->push_back(s.table[i].slot);
                s.table[i].slot = deleted_slot;
                --s.live, ++n;
            }
        return n;
    }

  public:
    enum insert_result { inserted, duplicate, out_of_memory };

    // insert adds key -> slot; with unique set it refuses a key that is already present.
    insert_result insert(key_t key, slot_t slot, bool unique) {
        uint64_t h = mix(key);
        shard& s = shard_of(h);
        std::unique_lock<std::shared_mutex> lock(s.mutex);
        if (unique) {
            bool found = false;
            scan_locked(s, h, key, [&](slot_t) { found = true; return false; });
            if (found) return duplicate;
        }
        return insert_locked(s, h, key, slot) ? inserted : out_of_memory;
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
    size_t erase(key_t key, std::vector<slot_t>* out) {
        uint64_t h = mix(key);
        shard& s = shard_of(h);
        std::unique_lock<std::shared_mutex> lock(s.mutex);
        return erase_locked(s, h, key, out);
    }
    // erase_one removes the entry of one slot of the key.
    void erase_one(key_t key, slot_t slot) {
        uint64_t h = mix(key);
        shard& s = shard_of(h);
        std::unique_lock<std::shared_mutex> lock(s.mutex);
        if (s.table.empty()) return;
        size_t mask = s.table.size() - 1;
        for (size_t i = h & mask; s.table[i].slot != empty_slot; i = (i + 1) & mask)
            if (s.table[i].key == key && s.table[i].slot == slot) {
                s.table[i].slot = deleted_slot;
                --s.live;
                return;
            }
    }
    // rename moves every entry of `from` to `to` atomically; with unique set it refuses when
    // `to` already exists. Returns the moved slots in `out`.
    insert_result rename(key_t from, key_t to, bool unique, std::vector<slot_t>& out) {
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
        erase_locked(sf, hf, from, &out);
        for (size_t i = before; i < out.size(); ++i)
            if (!insert_locked(st, ht, to, out[i])) return out_of_memory;
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
