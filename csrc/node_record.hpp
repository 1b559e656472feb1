// node_record.hpp: what names a node and how its record is laid out: the key and slot
// types (key_t, slot_t, the tombstone key that marks a removed node), the node record
// ("tape") in the byte layout of the file format, with its accessors, and neighbor_list,
// one level's list inside a record. Memory for records comes from storage.hpp's arena.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace usg {

using key_t = uint64_t;
using slot_t = uint32_t;
constexpr key_t tombstone_key = ~key_t(0);
constexpr size_t max_slots = 0xFFFFFFFFull - 1;

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

}  // namespace usg
