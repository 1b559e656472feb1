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
    friend struct persistence;
    friend struct toolkit;  // whole-index operations, in toolkit.hpp
    friend struct code_search;  // compact codes, in codes_search.hpp

  public:
    // slot_ref is a slot's entry in the slot table: its node record (null until the slot
    // has one) and the lock guarding writes to the record's lists. The slot's vector is
    // its row in vectors_, found by address arithmetic.
    struct slot_ref {
        std::atomic<uint8_t*> tape{nullptr};
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
        if (!tape) return;  // a slot read torn by the walk (search.hpp, gather_neighbors)
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
        const uint8_t* tv = row_of(target);
        ctx.relink.clear();
        ctx.relink.push_back({distance, added});
        for (size_t i = 0; i < n; ++i) ctx.relink.push_back({metric_.pair(tv, row_of(list[i])), list[i]});
        std::stable_sort(ctx.relink.begin(), ctx.relink.end(),
                         [](const candidate& a, const candidate& b) { return a.distance < b.distance; });
        select_neighbors(ctx.relink, capacity, ctx.selected);
        write_list(list, ctx.selected, capacity);
    }

    // link connects a node whose tape and vector are in place (docs/file-format.md, "Graph
    // construction"). A reused slot starts with empty lists (they belonged to the removed
    // vector), except when it is the entry point, whose old lists are where every walk starts.
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
        size_t ef = expansion_or_default(config_.expansion_add, default_expansion_add);
        for (int l = std::min(level, top); l >= 0; --l) {
            beam_search(ctx, v, best, best_distance, l, ef, slot, false, no_filter);
            // A failed metric (a panic or a NaN) makes distances meaningless: link nothing
            // more, so that no other node leads to this one, which the caller withdraws.
            if (metric_failed) return;
            // Results are slots read from lists; one read torn by a racing write (search.hpp,
            // gather_neighbors) may name a slot without a record: never link to it.
            ctx.sorted.clear();
            for (const candidate& c : ctx.results)
                if (tape_of(c.slot)) ctx.sorted.push_back(c);
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
                    if (!known) ctx.relink.push_back({metric_.pair(v, row_of(s)), s});
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
        if (level > top && !metric_failed) entry_.store(pack_entry(level, slot), std::memory_order_release);
    }

    // take_slot finds a slot for a new vector: a removed one first, else a fresh one.
    status take_slot(bool grow, slot_t& slot, bool& reused) {
        // A removed slot waits in free_ only while live < slots: without removals, adds
        // skip the free list's mutex (a cache line every add would write).
        if (live_.load(std::memory_order_relaxed) < size_.load(std::memory_order_relaxed)) {
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
    ~dense_index() = default;  // the pool frees its contexts, mapping_ unmaps a view

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
            level = tape_level(tape_of(slot));
            std::memcpy(vectors_.row(slot), v, vector_bytes_);
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
        code_search::after_store(*this, slot, vector_of(slot));
        // The record takes the key inside the map's insert (under its shard lock): were it
        // written after, a remove that saw the key in between would tombstone the record first
        // and this write would bring the removed key back into searches, on a recycled slot.
        auto publish = [&](slot_t) {
            node_lock lock(ref.lock);
            tape_set_key(tape_of(slot), key);
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
        try {
            link(ctx, slot, level, vector_of(slot), reused);
        } catch (...) {
            // Allocation failed mid-link: the node stays reachable only through links made so far.
        }
        if (metric_failed) {
            // The user metric failed: the links made are valid, but the vector is withdrawn so
            // that a failed Add stores nothing.
            // A concurrent remove may have taken the key (and recycled the slot) already.
            if (keys_.erase_one(key, slot, [&](slot_t) {
                    node_lock lock(ref.lock);
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
            // Tombstones are written under the map's shard lock, ordered with add's key write.
            keys_.erase(key, &freed, [&](slot_t s) {
                node_lock lock(slots_[s].lock);
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
            node_lock lock(slots_[s].lock);
            tape_set_key(tape_of(s), to);
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

    // clear drops every entry and keeps configuration, capacity and allocated memory.
    void clear() {
        mutation_mark mark{mutations_};
        size_t n = size_.load();
        for (size_t i = 0; i < n; ++i) slots_[i].tape.store(nullptr);
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
