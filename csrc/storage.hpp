// storage.hpp: the memory under the index: os_allocate (zeroed, huge-page-aligned blocks
// from the OS), stable_array (a growable array whose elements never move, for the slot
// table), row_array (one fixed-size vector row per slot, its address computed from the
// slot) and arena (the bump allocator for node records). The record layout is in
// node_record.hpp, the key -> slot map in keymap.hpp.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
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

}  // namespace usg
