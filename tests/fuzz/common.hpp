// common.hpp: helpers shared by the libFuzzer harnesses of the C API (tests/fuzz/*.cpp).
//
// A harness must only report real defects: every contract the C API states (buffers large
// enough, allow-lists sorted, finite vectors) is kept, and every returned value that the API
// promises something about is checked with require(), which aborts so libFuzzer records the
// input as a crash.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "usearch.h"
#include "usearch_ext.h"

#define require(cond)                                                                    \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            std::fprintf(stderr, "%s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                \
        }                                                                                \
    } while (0)

// Bytes of one vector of `dims` elements in scalar kind `k` (0 for kinds the harness never
// passes as input).
inline size_t vector_bytes(usearch_scalar_kind_t k, size_t dims) {
    switch (k) {
    case usearch_scalar_f64_k: return dims * 8;
    case usearch_scalar_f32_k: return dims * 4;
    case usearch_scalar_f16_k:
    case usearch_scalar_bf16_k: return dims * 2;
    case usearch_scalar_i8_k:
    case usearch_scalar_u8_k:
    case usearch_scalar_e5m2_k:
    case usearch_scalar_e4m3_k:
    case usearch_scalar_e2m3_k:
    case usearch_scalar_e3m2_k: return dims;
    case usearch_scalar_b1_k: return (dims + 7) / 8;
    default: return 0;
    }
}

// fill_vector writes one finite vector of kind k from generator values in [-1, 1], as a
// well-behaved caller would: f32 values converted by the core's own usearchx_cast.
template <typename Next> inline void fill_vector(usearch_scalar_kind_t k, size_t dims, uint8_t* out, Next next) {
    std::vector<float> v(dims);
    for (float& x : v) x = next();
    if (k == usearch_scalar_f32_k) {
        if (dims) std::memcpy(out, v.data(), dims * 4);
        return;
    }
    // Kinds the core cannot convert to (the fp8 ones) get small raw codes: calls taking
    // them must refuse them, whatever the bytes.
    usearch_error_t err = nullptr;
    if (usearchx_cast(v.data(), usearch_scalar_f32_k, out, k, dims, &err) != usearchx_ok_k)
        for (size_t i = 0; i < vector_bytes(k, dims); ++i) out[i] = uint8_t(i * 37);
}

// check_results verifies what every search promises: found <= limit, distances ascending,
// and (single-vector indexes) no key twice. A NaN distance is possible only from stored
// vectors nobody validated (a loaded file's vector bytes, or a metric like divergence on
// negative input); NaN breaks the ordering of the candidate heaps, so results holding one
// are not checked for order (docs/input-and-hazards.md: "Hazards that cannot be removed").
inline void check_results(const usearch_key_t* keys, const usearch_distance_t* dist, size_t found, size_t limit,
                          bool multi) {
    require(found <= limit);
    bool nan = false;
    for (size_t i = 0; i < found; ++i) nan = nan || std::isnan(dist[i]);
    for (size_t i = 0; i < found; ++i) {
        if (i && !nan && !(dist[i - 1] <= dist[i])) {
            for (size_t j = 0; j < found; ++j) std::fprintf(stderr, "  %llu %g\n", (unsigned long long)keys[j], dist[j]);
            require(dist[i - 1] <= dist[i]);
        }
        if (!multi)
            for (size_t j = 0; j < i; ++j) require(keys[i] != keys[j]);
    }
}
