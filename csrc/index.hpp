// index.hpp: the dense HNSW index: vectors and node records per slot, a key -> slot map,
// tombstone removal with slot reuse, and concurrent insertion and search.
//
// Concurrency model: any number of threads may add, search, get, remove and rename at once.
// Each node has a spin lock guarding writes to its neighbor lists; readers walk lists without
// locks (entries are always valid slot numbers, counts are clamped). The entry point and top
// level change under one mutex, taken only by an insertion that raises the top level. Search
// scratch comes from a pool that grows on demand, so concurrency is never capped.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "kernels.hpp"
#include "storage.hpp"

namespace usg {

enum class status_code {
    ok = 0,
    not_initialized,
    invalid_argument,
    unsupported,
    duplicate_key,
    reserved_key,
    capacity,
    read_only,
    out_of_memory,
    not_found,
    invalid_file,
    io,
    callback,
    cancelled,
};

struct status {
    status_code code = status_code::ok;
    const char* message = nullptr;
    explicit operator bool() const { return code == status_code::ok; }
};
inline status fail(status_code c, const char* m) { return status{c, m}; }

struct index_config {
    scalar_kind storage = scalar_kind::f32;
    metric_kind metric = metric_kind::cos;
    size_t dimensions = 0;
    size_t connectivity = 0;      // M; 0 = 16
    size_t connectivity_base = 0; // M0; 0 = 2M
    size_t expansion_add = 0;     // 0 = 128 at use
    size_t expansion_search = 0;  // 0 = 64 at use
    bool multi = false;
};

constexpr size_t default_connectivity = 16, default_expansion_add = 128, default_expansion_search = 64;

// metric_t is the distance an index uses: a built-in kernel or a user function.
// metric_failed is set when a batch metric asks to abort (a Go metric panicked); every add
// and search runs on one thread, clears it first and reports it at the end.
inline thread_local bool metric_failed = false;

struct metric_t {
    kernel_t kernel;
    size_t length = 0;  // `n` passed to the kernel
    metric_kind label = metric_kind::unknown;
    usearch_metric_t custom = nullptr;
    void* state = nullptr;
    usearchx_metric_batch_t custom_batch = nullptr;  // one crossing per group of vectors

    bool valid() const { return custom || custom_batch || kernel.pair; }
    float pair(const uint8_t* a, const uint8_t* b) const {
        if (custom_batch) {
            float d;
            const void* v = b;
            if (metric_failed || custom_batch(a, &v, 1, &d, state) != 0) return metric_failed = true, INFINITY;
            return d;
        }
        if (!custom) return kernel.pair(a, b, length);
        // The C API calls a metric registered with state through the three-argument type;
        // the detour through void(*)(void) is the sanctioned way to say so.
        using stateful = float (*)(const void*, const void*, void*);
        if (state) return reinterpret_cast<stateful>(reinterpret_cast<void (*)(void)>(custom))(a, b, state);
        return custom(a, b);
    }
    void batch(const uint8_t* q, const uint8_t* const* v, size_t count, float* out) const {
        if (custom_batch) {
            if (metric_failed || custom_batch(q, reinterpret_cast<const void* const*>(v), count, out, state) != 0) {
                metric_failed = true;
                std::fill(out, out + count, INFINITY);
            }
            return;
        }
        if (!custom) return kernel.batch(q, v, count, length, out);
        for (size_t i = 0; i < count; ++i) out[i] = pair(q, v[i]);
    }
    const char* isa() const { return custom || custom_batch ? "serial" : kernel.pair ? kernel.isa : "uninitialized"; }
};

// A filter decides which keys may enter the results. Callback-free parts (a sorted
// allow-list, an inclusive key range) are evaluated here; a per-key C predicate is called
// per key; a batch predicate (the Go closure path) is called once per group of candidates.
// All parts present must agree. The counters report the cost of one search.
struct filter_t {
    usearch_filtered_search_callback_t fn = nullptr;
    void* state = nullptr;
    usearchx_filter_batch_t batch = nullptr;
    void* batch_state = nullptr;
    bool has_allowed = false;
    const key_t* allowed = nullptr;  // sorted ascending
    size_t allowed_count = 0;
    const key_t* allowed_table = nullptr;  // optional hash table of the same keys
    size_t allowed_table_size = 0;         // a power of two; empty cells hold 2^64-1
    bool has_range = false;
    key_t range_min = 0, range_max = 0;

    mutable size_t crossings = 0, judged = 0, accepted = 0;
    mutable bool failed = false;  // the batch predicate asked to abort (a Go panic)

    bool active() const { return fn || batch || has_allowed || has_range; }
    bool only_allow_list() const { return has_allowed && !fn && !batch && !has_range; }
    bool cheap_allows(key_t key) const {
        if (has_range && (key < range_min || key > range_max)) return false;
        if (has_allowed && !(allowed_table ? table_has(key) : std::binary_search(allowed, allowed + allowed_count, key)))
            return false;
        return true;
    }
    bool table_has(key_t key) const {
        size_t mask = allowed_table_size - 1;
        for (size_t i = key_hash(key) & mask, probes = 0; probes < allowed_table_size; i = (i + 1) & mask, ++probes) {
            if (allowed_table[i] == key) return true;
            if (allowed_table[i] == tombstone_key) return false;
        }
        return false;
    }
    // judge sets keep[i] for keys[i]; one batch-predicate crossing for the whole group.
    void judge(const key_t* keys, size_t n, uint8_t* keep) const {
        if (!n) return;
        judged += n;
        for (size_t i = 0; i < n; ++i) keep[i] = cheap_allows(keys[i]) && (!fn || fn(keys[i], state) != 0);
        if (fn) crossings += n;
        if (batch && !failed) {
            ++crossings;
            // The predicate sees the verdicts so far and may only clear them.
            if (batch(keys, n, keep, batch_state) != 0) {
                failed = true;
                std::memset(keep, 0, n);
            }
        }
        for (size_t i = 0; i < n; ++i) accepted += keep[i] != 0;
    }
};

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
    size_t visits = 0;  // distinct slots visited by the current search
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
               batch_slots.capacity() * 4 + batch_vectors.capacity() * 8 + batch_distances.capacity() * 4 +
               query.capacity();
    }
};

struct persistence;
class mapped_file;

class dense_index {
    friend struct persistence;
    friend struct toolkit;  // whole-index operations, in toolkit.hpp

  public:
    struct slot_ref {
        std::atomic<uint8_t*> tape{nullptr};
        std::atomic<uint8_t*> vector{nullptr};
        std::atomic<uint32_t> lock{0};
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
    arena arena_;
    key_map keys_;
    std::atomic<size_t> size_{0};  // slots in use, removed ones included
    std::atomic<size_t> live_{0};
    std::atomic<size_t> capacity_{0};
    // mutations_ counts finished adds, removes, renames and clears, so that a copy built
    // aside (compaction) can tell whether the index changed meanwhile.
    std::atomic<uint64_t> mutations_{0};
    struct mutation_mark {
        std::atomic<uint64_t>& n;
        ~mutation_mark() { n.fetch_add(1, std::memory_order_release); }
    };
    std::mutex free_mutex_;
    std::deque<slot_t> free_;

    // entry_ packs the top level (high 32 bits, signed, -1 when empty) and the entry slot.
    std::atomic<uint64_t> entry_{pack_entry(-1, 0)};
    std::mutex entry_mutex_;

    std::unique_ptr<mapped_file> mapping_;  // the file a view serves from

    std::mutex pool_mutex_;
    std::vector<context*> pool_;
    std::vector<context*> all_contexts_;

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

    class context_guard {
        dense_index& index_;
        context* ctx_;

      public:
        explicit context_guard(dense_index& index) : index_(index), ctx_(index.acquire_context()) {}
        ~context_guard() { if (ctx_) index_.release_context(ctx_); }
        context* get() const { return ctx_; }
    };

    context* acquire_context() {
        std::lock_guard<std::mutex> lock(pool_mutex_);
        if (!pool_.empty()) {
            context* c = pool_.back();
            pool_.pop_back();
            return c;
        }
        context* c = new (std::nothrow) context();
        if (!c) return nullptr;
        try {
            all_contexts_.push_back(c);
            pool_.reserve(all_contexts_.size());
        } catch (...) {
            delete c;
            return nullptr;
        }
        c->rng = 0x5DEECE66Dull * (all_contexts_.size() + 1);
        return c;
    }
    void release_context(context* c) {
        std::lock_guard<std::mutex> lock(pool_mutex_);
        pool_.push_back(c);  // capacity reserved when the context was created
    }

    uint8_t* tape_of(slot_t s) const { return slots_[s].tape.load(std::memory_order_acquire); }
    const uint8_t* vector_of(slot_t s) const { return slots_[s].vector.load(std::memory_order_acquire); }
    neighbor_list list_of(uint8_t* tape, int level) const { return neighbor_list{tape + layout_.list_offset(level)}; }
    bool is_live(const uint8_t* tape) const { return tape_key(tape) != tombstone_key; }

    int random_level(context& ctx) {
        double level = std::floor(-std::log(ctx.uniform()) * level_multiplier_);
        return level > 48 ? 48 : int(level);
    }

    // greedy_descent walks level `level` from `best`, moving to any strictly closer neighbor
    // until no neighbor of the current best is closer.
    void greedy_descent(context& ctx, const uint8_t* q, slot_t& best, float& best_distance, int level) const {
        for (bool changed = true; changed;) {
            changed = false;
            uint8_t* tape = tape_of(best);
            neighbor_list list = list_of(tape, level);
            size_t n = std::min<size_t>(list.size(), layout_.capacity(level));
            size_t addressable = slots_.allocated();
            ctx.batch_slots.clear(), ctx.batch_vectors.clear();
            for (size_t i = 0; i < n; ++i) {
                slot_t s = list[i];
                if (s >= addressable) continue;  // see beam_search
                const uint8_t* v = vector_of(s);
                if (!v) continue;
                ctx.batch_slots.push_back(s), ctx.batch_vectors.push_back(v);
            }
            size_t count = ctx.batch_slots.size();
            ctx.batch_distances.resize(count);
            metric_.batch(q, ctx.batch_vectors.data(), count, ctx.batch_distances.data());
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
    bool beam_search(context& ctx, const uint8_t* q, slot_t start, float start_distance, int level, size_t ef,
                     slot_t exclude, bool live_only, const filter_t& filter, size_t budget = 0) const {
        ctx.begin_visits(size_.load(std::memory_order_acquire));
        ctx.candidates.clear(), ctx.results.clear();
        ctx.visit(start);
        ctx.candidates.push_back({start_distance, start});
        bool filtering = live_only && filter.active();
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
            key = tape_key(tape_of(s));
            return key != tombstone_key;
        };
        if (!live_only) {
            if (start != exclude) ctx.results.push_back({start_distance, start});
        } else if (key_t key; live_key(start, key)) {
            uint8_t keep = 1;
            if (filtering) filter.judge(&key, 1, &keep);
            if (keep) ctx.results.push_back({start_distance, start});
        }
        size_t capacity = layout_.capacity(level);
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
                (ctx.visits > budget || (filter.judged >= 256 && filter.accepted * 32 < filter.judged)))
                return false;

            neighbor_list list = list_of(tape_of(c.slot), level);
            size_t n = std::min<size_t>(list.size(), capacity);
            size_t addressable = slots_.allocated();
            ctx.batch_slots.clear(), ctx.batch_vectors.clear();
            for (size_t i = 0; i < n; ++i) {
                slot_t s = list[i];
                // Lists are read without locks and some entries straddle cache lines, so a
                // read racing a write may be torn; never follow a slot that is not addressable.
                if (s >= addressable) continue;
                if (ctx.visit(s)) continue;
                const uint8_t* v = vector_of(s);
                if (!v) continue;
                USG_PREFETCH(v);
                ctx.batch_slots.push_back(s), ctx.batch_vectors.push_back(v);
            }
            size_t count = ctx.batch_slots.size();
            if (!count) continue;
            ctx.batch_distances.resize(count);
            metric_.batch(q, ctx.batch_vectors.data(), count, ctx.batch_distances.data());
            if (!filtering) {
                // Neighbor by neighbor, as upstream does, so walks over the same graph agree.
                for (size_t i = 0; i < count; ++i) {
                    float d = ctx.batch_distances[i];
                    slot_t s = ctx.batch_slots[i];
                    if (ctx.results.size() >= ef && !(d < ctx.results.front().distance)) continue;
                    ctx.candidates.push_back({d, s});
                    std::push_heap(ctx.candidates.begin(), ctx.candidates.end(), closer_first());
                    key_t key;
                    if (live_only ? live_key(s, key) : s != exclude) push_result(d, s);
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
    // judging keys in groups of 1024 per predicate crossing and scoring only accepted ones.
    void exact_filtered(context& ctx, const uint8_t* q, size_t k, const filter_t& filter, bool after_walk) const {
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
            for (size_t i = 0; i < count; ++i) offer(ctx.batch_distances[i], ctx.batch_slots[i]);
            ctx.batch_slots.clear(), ctx.batch_vectors.clear();
        };
        ctx.batch_slots.clear(), ctx.batch_vectors.clear();
        if (filter.only_allow_list()) {
            for (size_t i = 0; i < filter.allowed_count; ++i) {
                if (i && filter.allowed[i] == filter.allowed[i - 1]) continue;
                keys_.find(filter.allowed[i], ~size_t(0), [&](slot_t s) {
                    if (const uint8_t* v = vector_of(s)) ctx.batch_slots.push_back(s), ctx.batch_vectors.push_back(v);
                });
                if (ctx.batch_slots.size() >= 256) score();
            }
            score();
            return;
        }
        // Every live entry is in the key table: scanning a copy of each shard is sequential and
        // skips tombstones. Keys are judged in groups of at most 1024 per predicate crossing.
        constexpr size_t group = 1024;
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

    // select_neighbors applies the diversity heuristic to `sorted` (ascending) with `limit`.
    void select_neighbors(const std::vector<candidate>& sorted, size_t limit, std::vector<candidate>& out) const {
        out.clear();
        if (sorted.size() < limit) {
            out = sorted;
            return;
        }
        for (const candidate& c : sorted) {
            if (out.size() >= limit) break;
            const uint8_t* cv = vector_of(c.slot);
            bool keep = true;
            for (const candidate& s : out)
                if (metric_.pair(cv, vector_of(s.slot)) < c.distance) {
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

    // add_reverse_link makes `target` point back at the new node on `level`.
    void add_reverse_link(context& ctx, slot_t target, slot_t added, float distance, int level) {
        node_lock lock(slots_[target].lock);
        uint8_t* tape = tape_of(target);
        neighbor_list list = list_of(tape, level);
        size_t capacity = layout_.capacity(level);
        size_t n = std::min<size_t>(list.size(), capacity);
        for (size_t i = 0; i < n; ++i)
            if (list[i] == added) return;
        if (n < capacity) {
            list.set(n, added);
            list.set_size(uint32_t(n + 1));
            return;
        }
        const uint8_t* tv = vector_of(target);
        ctx.relink.clear();
        ctx.relink.push_back({distance, added});
        for (size_t i = 0; i < n; ++i) ctx.relink.push_back({metric_.pair(tv, vector_of(list[i])), list[i]});
        std::stable_sort(ctx.relink.begin(), ctx.relink.end(),
                         [](const candidate& a, const candidate& b) { return a.distance < b.distance; });
        select_neighbors(ctx.relink, capacity, ctx.selected);
        write_list(list, ctx.selected, capacity);
    }

    // link connects a node whose tape and vector are in place (FORMAT.md §6.3 and §6.7).
    // A reused slot starts with empty lists (they belonged to the removed vector), except
    // when it is the entry point, whose old lists are where every walk starts.
    void link(context& ctx, slot_t slot, int level, const uint8_t* v, bool reused) {
        if (reused && entry_slot(entry_.load(std::memory_order_acquire)) != slot) {
            node_lock lock(slots_[slot].lock);
            uint8_t* tape = tape_of(slot);
            for (int l = 0; l <= level; ++l) list_of(tape, l).set_size(0);
        }
        std::unique_lock<std::mutex> top_lock(entry_mutex_, std::defer_lock);
        uint64_t e = entry_.load(std::memory_order_acquire);
        if (level > entry_level(e)) {
            top_lock.lock();
            e = entry_.load(std::memory_order_acquire);
            if (level <= entry_level(e)) top_lock.unlock();
        }
        int top = entry_level(e);
        if (top < 0) {
            entry_.store(pack_entry(level, slot), std::memory_order_release);
            return;
        }
        slot_t best = entry_slot(e);
        float best_distance = metric_.pair(v, vector_of(best));
        for (int l = top; l > level; --l) greedy_descent(ctx, v, best, best_distance, l);

        filter_t no_filter;
        size_t ef = config_.expansion_add ? config_.expansion_add : default_expansion_add;
        for (int l = std::min(level, top); l >= 0; --l) {
            beam_search(ctx, v, best, best_distance, l, ef, slot, false, no_filter);
            ctx.sorted.assign(ctx.results.begin(), ctx.results.end());
            std::sort(ctx.sorted.begin(), ctx.sorted.end(),
                      [](const candidate& a, const candidate& b) { return a.distance < b.distance; });
            select_neighbors(ctx.sorted, layout_.M, ctx.chosen);
            const std::vector<candidate>& chosen = ctx.chosen;  // add_reverse_link reuses ctx.selected
            {
                // Concurrent inserts may already have linked to this node on this level
                // (it is reachable from the levels above): keep those links, pruning with the
                // heuristic if they do not all fit, instead of overwriting them.
                node_lock lock(slots_[slot].lock);
                neighbor_list list = list_of(tape_of(slot), l);
                size_t capacity = layout_.capacity(l);
                size_t present = std::min<size_t>(list.size(), capacity);
                ctx.relink.assign(chosen.begin(), chosen.end());
                for (size_t i = 0; i < present; ++i) {
                    slot_t s = list[i];
                    bool known = s == slot;
                    for (const candidate& c : chosen) known = known || c.slot == s;
                    if (!known) ctx.relink.push_back({metric_.pair(v, vector_of(s)), s});
                }
                if (ctx.relink.size() > capacity) {
                    std::stable_sort(ctx.relink.begin(), ctx.relink.end(),
                                     [](const candidate& a, const candidate& b) { return a.distance < b.distance; });
                    select_neighbors(ctx.relink, capacity, ctx.selected);
                    write_list(list, ctx.selected, capacity);
                } else {
                    write_list(list, ctx.relink, capacity);
                }
            }
            for (const candidate& c : chosen) add_reverse_link(ctx, c.slot, slot, c.distance, l);
            if (!chosen.empty()) best = chosen.front().slot, best_distance = chosen.front().distance;
        }
        if (level > top) entry_.store(pack_entry(level, slot), std::memory_order_release);
    }

    // take_slot finds a slot for a new vector: a removed one first, else a fresh one.
    status take_slot(bool grow, slot_t& slot, bool& reused) {
        {
            std::lock_guard<std::mutex> lock(free_mutex_);
            if (!free_.empty()) {
                slot = free_.front();
                free_.pop_front();
                reused = true;
                return {};
            }
        }
        reused = false;
        for (;;) {
            size_t n = size_.load(std::memory_order_acquire);
            if (n >= capacity_.load(std::memory_order_acquire)) {
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
    ~dense_index();

    // init configures an empty index. The config is validated by the caller.
    // With allow_no_metric, an unknown metric leaves the index without a distance (as after
    // loading a file saved with a custom metric) until a metric is set.
    status init(const index_config& config, usearch_metric_t custom = nullptr, bool allow_no_metric = false) {
        config_ = config;
        if (!config_.connectivity) config_.connectivity = default_connectivity;
        if (!config_.connectivity_base) config_.connectivity_base = 2 * config_.connectivity;
        layout_.M = config_.connectivity, layout_.M0 = config_.connectivity_base;
        vector_bytes_ = bytes_per_vector(config_.storage, config_.dimensions);
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
        }
        initialized_ = true;
        return {};
    }

    bool initialized() const { return initialized_; }
    // keep_mapping hands a view its mapped file, released with the index.
    void keep_mapping(std::unique_ptr<mapped_file> m);
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
        metric_ = metric_t{};
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
        metric_ = metric_t{};
        metric_.custom_batch = fn, metric_.state = state, metric_.label = label;
        return {};
    }
    status change_metric(usearch_metric_t fn, void* state, metric_kind label) {
        if (!fn)
            return fail(status_code::unsupported, "Unsupported metric for this index's dimensions and scalar kind!");
        metric_ = metric_t{};
        metric_.custom = fn, metric_.state = state, metric_.label = label;
        config_.metric = label;
        return {};
    }

    status reserve(size_t capacity) {
        if (capacity > max_slots) return fail(status_code::out_of_memory, "Out of memory!");
        if (capacity <= capacity_.load(std::memory_order_acquire)) return {};
        if (!slots_.ensure(capacity)) return fail(status_code::out_of_memory, "Out of memory!");
        size_t have = capacity_.load();
        while (have < capacity && !capacity_.compare_exchange_weak(have, capacity)) {
        }
        return {};
    }

    size_t memory_usage() {
        size_t bytes = sizeof(*this) + arena_.memory_usage() + slots_.memory_usage() + keys_.memory_usage();
        std::lock_guard<std::mutex> lock(pool_mutex_);
        for (context* c : all_contexts_) bytes += sizeof(context) + c->memory_usage();
        return bytes;
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
        context_guard guard(*this);
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
            level = tape_level(tape_of(slot));
            std::memcpy(const_cast<uint8_t*>(vector_of(slot)), v, vector_bytes_);
        } else {
            level = random_level(ctx);
            size_t vbytes = (vector_bytes_ + 63) & ~size_t(63);
            uint8_t* block = arena_.allocate(vbytes + layout_.bytes(level));
            if (!block) {
                // The slot is counted but has no record; readers skip it (null pointers).
                return fail(status_code::out_of_memory, "Out of memory!");
            }
            std::memcpy(block, v, vector_bytes_);
            uint8_t* tape = block + vbytes;
            tape_set_key(tape, tombstone_key);
            tape_set_level(tape, level);
            ref.vector.store(block, std::memory_order_release);
            ref.tape.store(tape, std::memory_order_release);
        }
        switch (keys_.insert(key, slot, !config_.multi)) {
        case key_map::inserted: break;
        case key_map::duplicate:
            recycle_slot(slot);
            return fail(status_code::duplicate_key, "Duplicate keys not allowed in high-level wrappers");
        case key_map::out_of_memory: recycle_slot(slot); return fail(status_code::out_of_memory, "Out of memory!");
        }
        {
            node_lock lock(ref.lock);
            tape_set_key(tape_of(slot), key);
        }
        metric_failed = false;
        try {
            link(ctx, slot, level, vector_of(slot), reused);
        } catch (...) {
            // Allocation failed mid-link: the node stays reachable only through links made so far.
        }
        if (metric_failed) {
            // The user metric failed: the links made are valid, but the vector is withdrawn so
            // that a failed Add stores nothing.
            keys_.erase_one(key, slot);
            {
                node_lock lock(ref.lock);
                tape_set_key(tape_of(slot), tombstone_key);
            }
            recycle_slot(slot);
            return fail(status_code::callback, "The metric failed (a Go metric panicked); nothing was added");
        }
        live_.fetch_add(1, std::memory_order_relaxed);
        return {};
    }

    bool contains(key_t key) const { return initialized_ && keys_.count(key) > 0; }
    size_t count(key_t key) const { return initialized_ ? keys_.count(key) : 0; }

    // get copies up to `limit` vectors of the key, converted to `kind`; returns how many.
    size_t get(key_t key, size_t limit, void* out, scalar_kind kind) const {
        if (!initialized_) return 0;
        size_t out_bytes = bytes_per_vector(kind, config_.dimensions);
        uint8_t* dst = static_cast<uint8_t*>(out);
        return keys_.find(key, limit, [&](slot_t s) {
            cast_vector(vector_of(s), config_.storage, dst, kind, config_.dimensions);
            dst += out_bytes;
        });
    }

    // remove tombstones every vector of the key; returns how many.
    status remove(key_t key, size_t& removed) {
        mutation_mark mark{mutations_};
        removed = 0;
        if (!initialized_) return fail(status_code::not_initialized, "Index is not initialized");
        if (read_only_) return fail(status_code::read_only, "Can't remove from an immutable index");
        std::vector<slot_t> freed;
        try {
            keys_.erase(key, &freed);
        } catch (...) {
            return fail(status_code::out_of_memory, "Can't allocate memory for a free-list");
        }
        for (slot_t s : freed) {
            {
                node_lock lock(slots_[s].lock);
                tape_set_key(tape_of(s), tombstone_key);
            }
            live_.fetch_sub(1, std::memory_order_relaxed);
            recycle_slot(s);
        }
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
        switch (keys_.rename(from, to, !config_.multi, slots)) {
        case key_map::inserted: break;
        case key_map::duplicate: return fail(status_code::duplicate_key, "Renaming impossible, the key is already in use");
        case key_map::out_of_memory: return fail(status_code::out_of_memory, "Out of memory!");
        }
        for (slot_t s : slots) {
            node_lock lock(slots_[s].lock);
            tape_set_key(tape_of(s), to);
        }
        moved = slots.size();
        return {};
    }

    // search writes up to `k` nearest live entries in ascending distance; returns how many.
    status search(const void* query, scalar_kind kind, size_t k, key_t* keys, float* distances, size_t& found,
                  const filter_t& filter = filter_t(), usearchx_search_stats_t* stats = nullptr) {
        found = 0;
        if (!initialized_) return fail(status_code::not_initialized, "Index is not initialized");
        if (!is_storage_kind(int(kind))) return fail(status_code::unsupported, "Unknown scalar kind!");
        if (!query) return fail(status_code::invalid_argument, "Query pointer is NULL");
        if (!metric_.valid()) return fail(status_code::unsupported, "Index has no metric: set one before searching");
        if (k == 0) return {};
        uint64_t e = entry_.load(std::memory_order_acquire);
        int top = entry_level(e);
        if (top < 0) return {};
        context_guard guard(*this);
        if (!guard.get()) return fail(status_code::out_of_memory, "Out of memory!");
        context& ctx = *guard.get();
        metric_failed = false;
        bool exact = false;
        try {
            const uint8_t* q = convert_query(ctx, query, kind);
            size_t live = size();
            if (filter.active() && (live <= 1024 || (filter.only_allow_list() &&
                                                     filter.allowed_count <= std::max<size_t>(4096, live / 16)))) {
                // Small candidate sets: scoring them all beats walking the graph.
                exact = true;
                ctx.begin_visits(size_.load(std::memory_order_acquire));
                exact_filtered(ctx, q, k, filter, false);
            } else {
                slot_t best = entry_slot(e);
                float best_distance = metric_.pair(q, vector_of(best));
                for (int l = top; l > 0; --l) greedy_descent(ctx, q, best, best_distance, l);
                size_t ef = config_.expansion_search ? config_.expansion_search : default_expansion_search;
                size_t budget = filter.active() ? std::max<size_t>(live / 4, 4096) : 0;
                if (!beam_search(ctx, q, best, best_distance, 0, std::max(ef, k), slot_t(~0u), true, filter, budget)) {
                    exact = true;
                    exact_filtered(ctx, q, k, filter, true);
                }
            }
        } catch (...) {
            return fail(status_code::out_of_memory, "Out of memory!");
        }
        if (stats) *stats = usearchx_search_stats_t{filter.crossings, filter.judged, ctx.visits, exact};
        if (filter.failed) return fail(status_code::callback, "The filter failed (a Go filter panicked)");
        if (metric_failed) return fail(status_code::callback, "The metric failed (a Go metric panicked)");
        std::sort_heap(ctx.results.begin(), ctx.results.end(), farther_first());
        // Keys are read now: an entry removed concurrently since it was admitted reads as the
        // tombstone and is dropped rather than reported as key 2^64-1.
        size_t n = 0;
        for (size_t i = 0; i < ctx.results.size() && n < k; ++i) {
            key_t key = tape_key(tape_of(ctx.results[i].slot));
            if (key == tombstone_key) continue;
            keys[n] = key, distances[n] = ctx.results[i].distance, ++n;
        }
        found = n;
        return {};
    }

    // clear drops every entry and keeps configuration, capacity and allocated memory.
    void clear() {
        mutation_mark mark{mutations_};
        size_t n = size_.load();
        for (size_t i = 0; i < n; ++i) {
            slots_[i].tape.store(nullptr), slots_[i].vector.store(nullptr);
        }
        arena_.rewind();
        keys_.clear(true);
        free_.clear();
        size_ = 0, live_ = 0;
        entry_ = pack_entry(-1, 0);
    }
};

}  // namespace usg
