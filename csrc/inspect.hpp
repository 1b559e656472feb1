// inspect.hpp: reading a whole index out without changing it: toolkit::export_part copies
// the live entries of one part of the key space (a consistent snapshot per part), and
// toolkit::graph_stats counts nodes, edges and nodes per level.
#pragma once

#include <algorithm>

#include "toolkit.hpp"

namespace usg {

// export_part copies the live entries whose key hash starts with `part` (of 64 << part_bits
// parts): keys and, when vectors is set, their vectors converted to kind. The parts split
// the key space, not the slots, so a key always falls in the same part whatever is added,
// removed or compacted meanwhile. Each part is read under its key-table shard's lock, so it
// is a consistent snapshot. When the part holds more than `capacity` entries, nothing is
// copied and `count` tells how many there are.
inline status toolkit::export_part(const dense_index& x, unsigned part_bits, uint64_t part, key_t* keys, void* vectors,
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

// graph_stats counts the nodes (removed ones included), edges and nodes per level.
inline toolkit::stats toolkit::graph_stats(const dense_index& x) {
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

}  // namespace usg
