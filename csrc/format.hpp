// format.hpp: the upstream USearch 2.26.2 dense-index file format (docs/file-format.md):
// code tables, a parser that validates every field before anything is used, and the header
// writer.
//
// Layout: u32 rows | u32 cols | rows x cols vector bytes | 64-byte header | 40-byte graph
// header | i16 level per node | one node record ("tape") per node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "config.hpp"
#include "node_record.hpp"

namespace usg {

constexpr size_t file_header_bytes = 64, graph_header_bytes = 40;
constexpr uint8_t key_kind_u64 = 14, slot_kind_u32 = 15;
constexpr int max_file_level = 64;  // real graphs stay below ~30 levels

inline uint8_t metric_file_code(metric_kind m) {
    switch (m) {
    case metric_kind::ip: return 'i';
    case metric_kind::cos: return 'c';
    case metric_kind::l2sq: return 'e';
    case metric_kind::pearson: return 'p';
    case metric_kind::haversine: return 'h';
    case metric_kind::divergence: return 'd';
    case metric_kind::hamming: return 'b';
    case metric_kind::tanimoto: return 't';
    case metric_kind::sorensen: return 's';
    case metric_kind::jaccard: return 'j';
    default: return 0;
    }
}

inline bool metric_from_file(uint8_t code, metric_kind& m) {
    switch (code) {
    case 0: m = metric_kind::unknown; return true;
    case 'i': m = metric_kind::ip; return true;
    case 'c': m = metric_kind::cos; return true;
    case 'e': m = metric_kind::l2sq; return true;
    case 'p': m = metric_kind::pearson; return true;
    case 'h': m = metric_kind::haversine; return true;
    case 'd': m = metric_kind::divergence; return true;
    case 'b': m = metric_kind::hamming; return true;
    case 't': m = metric_kind::tanimoto; return true;
    case 's': m = metric_kind::sorensen; return true;
    case 'j': m = metric_kind::jaccard; return true;
    default: return false;
    }
}

inline uint8_t scalar_file_code(scalar_kind k) {
    switch (k) {
    case scalar_kind::b1: return 1;
    case scalar_kind::bf16: return 4;
    case scalar_kind::e5m2: return 5;
    case scalar_kind::e4m3: return 6;
    case scalar_kind::e2m3: return 7;  // sic: e2m3 before e3m2 (docs/file-format.md, "Kind codes")
    case scalar_kind::e3m2: return 8;
    case scalar_kind::f64: return 10;
    case scalar_kind::f32: return 11;
    case scalar_kind::f16: return 12;
    case scalar_kind::u8: return 17;
    case scalar_kind::i8: return 23;
    default: return 0;
    }
}

// scalar_from_file maps a file code to a storage kind this library handles.
inline bool scalar_from_file(uint8_t code, scalar_kind& k) {
    switch (code) {
    case 1: k = scalar_kind::b1; return true;
    case 4: k = scalar_kind::bf16; return true;
    case 5: k = scalar_kind::e5m2; return true;
    case 6: k = scalar_kind::e4m3; return true;
    case 7: k = scalar_kind::e2m3; return true;
    case 8: k = scalar_kind::e3m2; return true;
    case 10: k = scalar_kind::f64; return true;
    case 11: k = scalar_kind::f32; return true;
    case 12: k = scalar_kind::f16; return true;
    case 17: k = scalar_kind::u8; return true;
    case 23: k = scalar_kind::i8; return true;
    default: return false;
    }
}

// Files stamped 2.0-2.9 number the kinds differently (docs/file-format.md, "Kind codes").
inline uint8_t legacy_kind_code(uint8_t code) {
    static const uint8_t modern[15] = {0, 1, 2, 3, 10, 11, 12, 5, 14, 15, 17, 20, 21, 22, 23};
    return code < 15 ? modern[code] : code;
}

template <typename T> inline T read_le(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

// file_image is a validated description of a serialized index: pointers into the bytes.
struct file_image {
    index_config config;
    size_t rows = 0, cols = 0;
    int max_level = -1;
    slot_t entry = 0;
    const uint8_t* vectors = nullptr;
    const uint8_t* levels = nullptr;  // rows x i16
    const uint8_t* tapes = nullptr;   // first node record
    size_t end = 0;                   // bytes used; anything after is ignored
};

inline status invalid(const char* message) { return fail(status_code::invalid_file, message); }

// parse_dense_header reads and checks the 64-byte header at p.
inline status parse_dense_header(const uint8_t* p, index_config& c) {
    if (std::memcmp(p, "usearch", 7) != 0) return invalid("Magic header mismatch - the file isn't an index");
    uint16_t major = read_le<uint16_t>(p + 7), minor = read_le<uint16_t>(p + 9);
    uint8_t scalar = p[14], key = p[15], slot = p[16];
    if (major == 2 && minor < 10) scalar = legacy_kind_code(scalar), key = legacy_kind_code(key), slot = legacy_kind_code(slot);
    if (major != 2) return invalid("File format may be different, please rebuild (major version is not 2)");
    if (key != key_kind_u64) return invalid("Key type doesn't match, consider rebuilding (key kind is not u64)");
    if (slot != slot_kind_u32) return invalid("Slot type doesn't match, consider rebuilding (slot kind is not u32)");
    if (!metric_from_file(p[13], c.metric)) return invalid("Invalid file: unknown metric code in the header");
    if (!scalar_from_file(scalar, c.storage))
        return invalid("Invalid file: scalar kind in the header is not one this library stores");
    uint64_t dims = read_le<uint64_t>(p + 33);
    if (dims > (uint64_t(1) << 32)) return invalid("Invalid file: dimensions field is implausibly large");
    c.dimensions = size_t(dims);
    c.multi = p[41] != 0;
    if (c.metric != metric_kind::unknown && !metric_supported(c.metric, c.storage))
        return invalid("Invalid file: the metric is not defined for the stored scalar kind");
    if (c.metric == metric_kind::haversine && c.dimensions < 2)
        return invalid("Invalid file: haversine needs at least 2 dimensions");
    return {};
}

// parse_file validates a whole serialized index (docs/file-format.md, "Validation")
// without trusting any field: every size is overflow-checked against `len`, every neighbor
// against the node count.
inline status parse_file(const uint8_t* data, size_t len, file_image& img) {
    img = file_image{};
    if (!data || len < 8) return invalid("File is corrupted and lacks matrix dimensions");
    uint64_t rows = read_le<uint32_t>(data), cols = read_le<uint32_t>(data + 4);
    uint64_t matrix = rows * cols;  // both < 2^32: no overflow in 64 bits
    if (matrix > len - 8) return invalid("File is corrupted: vectors matrix exceeds file size");
    size_t header = 8 + size_t(matrix);
    if (len - header < file_header_bytes) return invalid("File is corrupted and lacks a header");
    status st = parse_dense_header(data + header, img.config);
    if (!st) return st;
    if (cols != bytes_per_vector(img.config.storage, img.config.dimensions))
        return invalid("Invalid file: bytes per vector (cols) don't match dimensions and scalar kind");
    size_t graph = header + file_header_bytes;
    if (len - graph < graph_header_bytes) return invalid("File is corrupted and lacks a graph header");
    const uint8_t* g = data + graph;
    uint64_t size = read_le<uint64_t>(g), M = read_le<uint64_t>(g + 8), M0 = read_le<uint64_t>(g + 16);
    int64_t max_level = read_le<int64_t>(g + 24);
    uint64_t entry = read_le<uint64_t>(g + 32);
    if (size != rows) return invalid("Index size and the number of vectors doesn't match");
    if (size >= max_slots) return invalid("Invalid file: more nodes than 32-bit slots can address");
    img.rows = size_t(rows), img.cols = size_t(cols), img.vectors = data + 8;
    img.end = graph + graph_header_bytes;
    if (size == 0) {  // connectivity of an empty file is ignored, like upstream
        img.config.connectivity = M >= 2 && M <= (1u << 20) ? size_t(M) : 0;
        img.config.connectivity_base = img.config.connectivity ? (M0 >= M && M0 <= (1u << 21) ? size_t(M0) : 2 * size_t(M)) : 0;
        return {};
    }
    if (M0 == 0) M0 = 2 * M;
    if (M < 2) return invalid("Invalid file: connectivity is below 2");
    if (M0 < M) return invalid("Invalid file: base-level connectivity is below connectivity");
    if (M > (1u << 20) || M0 > (1u << 21)) return invalid("Invalid file: connectivity is implausibly large");
    img.config.connectivity = size_t(M), img.config.connectivity_base = size_t(M0);
    tape_layout layout;
    layout.M = size_t(M), layout.M0 = size_t(M0);

    size_t levels_at = graph + graph_header_bytes;
    if ((len - levels_at) / 2 < size) return invalid("File is corrupted and can't fit all the node levels");
    img.levels = data + levels_at;
    size_t offset = levels_at + 2 * size_t(size);
    img.tapes = data + offset;
    int top = -1;
    // First pass: levels and record sizes, so no record is read before all are known to fit.
    for (size_t i = 0; i < size; ++i) {
        int level = read_le<int16_t>(img.levels + 2 * i);
        if (level < 0 || level > max_file_level) return invalid("Invalid file: a node level is negative or too large");
        size_t bytes = layout.bytes(level);
        if (len - offset < bytes) return invalid("File is corrupted and can't fit all the nodes");
        offset += bytes;
        if (level > top) top = level;
    }
    img.end = offset;
    if (entry >= size) return invalid("Invalid file: entry slot is out of range");
    if (max_level != int64_t(top)) return invalid("Invalid file: max level differs from the tallest node");
    if (read_le<int16_t>(img.levels + 2 * entry) != top) return invalid("Invalid file: entry node is not on the top level");
    img.max_level = top, img.entry = slot_t(entry);
    // Second pass: every record's own level, counts and neighbor slots.
    const uint8_t* tape = img.tapes;
    for (size_t i = 0; i < size; ++i) {
        int level = read_le<int16_t>(img.levels + 2 * i);
        if (tape_level(tape) != level) return invalid("Invalid file: a node's level differs from the levels array");
        for (int l = 0; l <= level; ++l) {
            const uint8_t* list = tape + layout.list_offset(l);
            uint32_t n = read_le<uint32_t>(list);
            if (n > layout.capacity(l)) return invalid("Invalid file: a neighbor count exceeds the list capacity");
            for (uint32_t j = 0; j < n; ++j) {
                uint32_t s = read_le<uint32_t>(list + 4 + 4 * size_t(j));
                if (s >= size) return invalid("Invalid file: a neighbor slot is out of range");
                if (read_le<int16_t>(img.levels + 2 * size_t(s)) < l)
                    return invalid("Invalid file: a neighbor is missing from the level that links it");
            }
        }
        tape += layout.bytes(level);
    }
    return {};
}

// parse_metadata finds and reads only the dense header (docs/file-format.md, "Metadata").
inline status parse_metadata(const uint8_t* data, size_t len, index_config& c) {
    if (!data || len <= file_header_bytes) return fail(status_code::invalid_file, "End of file reached!");
    if (std::memcmp(data, "usearch", 7) == 0) return parse_dense_header(data, c);
    uint64_t at = 8 + uint64_t(read_le<uint32_t>(data)) * read_le<uint32_t>(data + 4);
    if (at + file_header_bytes < len && std::memcmp(data + at, "usearch", 7) == 0) return parse_dense_header(data + at, c);
    if (len >= 16) {
        uint64_t rows = read_le<uint64_t>(data), cols = read_le<uint64_t>(data + 8);
        if (rows < (uint64_t(1) << 40) && cols < (uint64_t(1) << 24)) {
            at = 16 + rows * cols;
            if (at + file_header_bytes < len && std::memcmp(data + at, "usearch", 7) == 0)
                return parse_dense_header(data + at, c);
        }
    }
    return fail(status_code::invalid_file, "Not a dense USearch index!");
}

// write_headers fills the 64-byte dense header and the 40-byte graph header.
inline void write_headers(uint8_t* dense, uint8_t* graph, const index_config& c, metric_kind label, size_t slots,
                          size_t live, int max_level, slot_t entry, size_t M, size_t M0) {
    std::memset(dense, 0, file_header_bytes);
    std::memcpy(dense, "usearch", 7);
    uint16_t version[3] = {2, 26, 2};
    std::memcpy(dense + 7, version, 6);
    dense[13] = metric_file_code(label);
    dense[14] = scalar_file_code(c.storage);
    dense[15] = key_kind_u64, dense[16] = slot_kind_u32;
    uint64_t present = live, deleted = slots - live, dims = c.dimensions;
    std::memcpy(dense + 17, &present, 8), std::memcpy(dense + 25, &deleted, 8), std::memcpy(dense + 33, &dims, 8);
    dense[41] = c.multi ? 1 : 0;
    uint64_t g[5] = {slots, M, M0, uint64_t(int64_t(max_level)), slots ? entry : 0};
    std::memcpy(graph, g, graph_header_bytes);
}

}  // namespace usg
