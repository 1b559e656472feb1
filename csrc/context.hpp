// context.hpp: the scratch of one add or search (visited marks, heaps, batches, converted
// query) and the pool that hands contexts to concurrent callers.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

#include "node_record.hpp"

namespace usg {

struct candidate {
    float distance;
    slot_t slot;
};
struct closer_first {
    bool operator()(const candidate& a, const candidate& b) const { return a.distance > b.distance; }
};
struct farther_first {
    bool operator()(const candidate& a, const candidate& b) const { return a.distance < b.distance; }
};

// context is the scratch of one operation: visited marks, heaps, batches, converted query.
struct context {
    // Visited slots as a bitset: 1 bit per slot keeps it in L1/L2 for typical indexes, and
    // only the words a search touched are cleared afterwards.
    std::vector<uint64_t> visited_bits;
    std::vector<uint32_t> touched_words;
    std::vector<candidate> candidates;  // min-heap by distance
    std::vector<candidate> results;     // max-heap by distance
    std::vector<candidate> sorted, selected, relink, chosen;
    std::vector<slot_t> batch_slots;
    std::vector<const uint8_t*> batch_vectors;
    std::vector<float> batch_distances;
    std::vector<uint8_t> query;
    std::vector<key_t> judge_keys;
    std::vector<uint8_t> judge_keep;
    std::vector<uint32_t> judge_index;
    std::vector<key_t> scan_keys;  // a copy of one key-table shard during an exact scan
    std::vector<uint32_t> scan_slots;
    // Level-0 entries a list rewrite must keep (their last in-link) and nodes an insertion
    // must re-link elsewhere (index.hpp, commit_list and relink_stranded).
    std::vector<slot_t> pinned, stranded, thinned, prior;
    std::vector<std::vector<candidate>> levels;  // neighbors chosen per level by an insertion
    bool adopted = false;  // a reused slot took its new vector (index.hpp, adopt_reused)
    size_t visits = 0;     // distinct slots visited by the current search
    size_t distances = 0;  // distances computed by the current search
    uint64_t rng = 0;

    void begin_visits(size_t slots) {
        for (uint32_t w : touched_words) visited_bits[w] = 0;
        touched_words.clear();
        size_t words = (slots + 63) / 64;
        if (visited_bits.size() < words) visited_bits.resize(words + words / 4 + 1, 0);
        visits = 0;
    }
    // visit marks a slot and tells whether it was already marked by this search.
    bool visit(slot_t s) {
        size_t w = s >> 6;
        if (w >= visited_bits.size()) visited_bits.resize(w + w / 4 + 1, 0);
        uint64_t bit = uint64_t(1) << (s & 63), word = visited_bits[w];
        if (word & bit) return true;
        if (!word) touched_words.push_back(uint32_t(w));
        visited_bits[w] = word | bit;
        ++visits;
        return false;
    }
    bool visited(slot_t s) const {
        size_t w = s >> 6;
        return w < visited_bits.size() && (visited_bits[w] >> (s & 63) & 1);
    }
    double uniform() {  // splitmix64 -> (0, 1)
        uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return (double(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    }
    size_t memory_usage() const {
        return visited_bits.capacity() * 8 + touched_words.capacity() * 4 + (candidates.capacity() + results.capacity() + sorted.capacity() +
                                         selected.capacity() + relink.capacity() + chosen.capacity()) * sizeof(candidate) +
               (batch_slots.capacity() + pinned.capacity() + stranded.capacity() + thinned.capacity() + prior.capacity()) * 4 + batch_vectors.capacity() * 8 + batch_distances.capacity() * 4 +
               query.capacity();
    }
};

// context_pool lends contexts to concurrent operations. It grows on demand, so concurrency is
// never capped; contexts live as long as the pool and are reused, never shrunk.
//
// Every search borrows and returns a context, so the pool must not be a cache line that
// every search writes: each thread has a home slot (its own cache line) where it returns
// its context and finds it again, and only a thread that finds its neighbourhood empty
// takes the mutex. Threads are numbered in the order they first use any pool, so the
// first slot_count threads of a process never share a home.
class context_pool {
    static constexpr size_t slot_count = 64, probe = 4;
    struct alignas(64) slot {
        std::atomic<context*> ctx{nullptr};
    };
    slot slots_[slot_count];
    std::mutex mutex_;             // guards all_ and spare_
    std::vector<context*> all_;    // every context, for memory_usage and the destructor
    std::vector<context*> spare_;  // returned while the returning thread's slots were full

    static size_t home() {
        static std::atomic<size_t> threads{0};
        thread_local size_t mine = threads.fetch_add(1, std::memory_order_relaxed);
        return mine;
    }
    context* take(size_t i) {
        std::atomic<context*>& s = slots_[i % slot_count].ctx;
        return s.load(std::memory_order_relaxed) ? s.exchange(nullptr, std::memory_order_acquire) : nullptr;
    }

  public:
    context_pool() = default;
    context_pool(const context_pool&) = delete;
    ~context_pool() {
        for (context* c : all_) delete c;
    }

    // acquire returns a free context, or a new one; nullptr when memory runs out.
    context* acquire() {
        size_t h = home();
        for (size_t i = 0; i < probe; ++i)
            if (context* c = take(h + i)) return c;
        std::lock_guard<std::mutex> lock(mutex_);
        if (!spare_.empty()) {
            context* c = spare_.back();
            spare_.pop_back();
            return c;
        }
        // Before growing, reuse a context some other thread left in its slots.
        for (size_t i = probe; i < slot_count; ++i)
            if (context* c = take(h + i)) return c;
        context* c = new (std::nothrow) context();
        if (!c) return nullptr;
        try {
            all_.push_back(c);
            spare_.reserve(all_.size());
        } catch (...) {
            delete c;
            return nullptr;
        }
        c->rng = 0x5DEECE66Dull * (all_.size() + 1);
        return c;
    }
    void release(context* c) {
        size_t h = home();
        for (size_t i = 0; i < probe; ++i) {
            context* empty = nullptr;
            if (slots_[(h + i) % slot_count].ctx.compare_exchange_strong(empty, c, std::memory_order_release,
                                                                         std::memory_order_relaxed))
                return;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        spare_.push_back(c);  // capacity reserved when the context was created
    }
    size_t memory_usage() {
        std::lock_guard<std::mutex> lock(mutex_);
        size_t bytes = 0;
        for (context* c : all_) bytes += sizeof(context) + c->memory_usage();
        return bytes;
    }

    // guard holds one context for the length of a call; get() is nullptr when out of memory.
    class guard {
        context_pool& pool_;
        context* ctx_;

      public:
        explicit guard(context_pool& pool) : pool_(pool), ctx_(pool.acquire()) {}
        guard(const guard&) = delete;
        ~guard() {
            if (ctx_) pool_.release(ctx_);
        }
        context* get() const { return ctx_; }
    };
};

}  // namespace usg
