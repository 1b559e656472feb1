// nonfinite.hpp: finding NaN and ±Inf in stored vectors. Inputs are checked before they are
// stored (lib.cpp's check_input, finite.go), but a file made by another tool, or corrupted,
// can hold anything. Load refuses such a file (persistence::adopt, persist.hpp): the scan
// runs on each row just after it is copied, while it is in cache. A view must not read
// every page up front, so instead its metric reports as +Inf every distance that is not
// finite or is to a vector that is not (metric_t::guard, metric.hpp): results stay in
// ascending order and a poisoned vector never ranks ahead of a finite one (docs/file-format.md, "Non-finite vectors").
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "config.hpp"
#include "scalars.hpp"

namespace usg {

// holds_nonfinite tells whether a storage kind has codes for NaN or an infinity. i8, u8
// and b1 have none, nor do e3m2 and e2m3; e4m3 has NaN only.
inline bool holds_nonfinite(scalar_kind k) {
    switch (k) {
    case scalar_kind::f64: case scalar_kind::f32: case scalar_kind::f16: case scalar_kind::bf16:
    case scalar_kind::e5m2: case scalar_kind::e4m3: return true;
    default: return false;
    }
}

// any_exponent_all_ones tells whether any of the n elements of U at p has all the bits of
// `mask` set: the exponent field of an IEEE-style float, all ones for NaN and ±Inf. A plain
// loop of and, compare and or without an early exit, which compilers vectorize; memcpy
// reads the elements whatever the alignment of p (a row of a mapped file need not be).
template <typename U> inline bool any_exponent_all_ones(const uint8_t* p, size_t n, U mask) {
    U bad = 0;
    for (size_t i = 0; i < n; ++i) {
        U x;
        std::memcpy(&x, p + i * sizeof(U), sizeof(U));
        bad |= U((x & mask) == mask);
    }
    return bad != 0;
}

// vector_finite tells whether every element of a stored vector is finite.
inline bool vector_finite(scalar_kind k, const uint8_t* v, size_t dims) {
    switch (k) {
    case scalar_kind::f64: return !any_exponent_all_ones<uint64_t>(v, dims, 0x7FF0000000000000ull);
    case scalar_kind::f32: return !any_exponent_all_ones<uint32_t>(v, dims, 0x7F800000u);
    case scalar_kind::f16: return !any_exponent_all_ones<uint16_t>(v, dims, 0x7C00u);
    case scalar_kind::bf16: return !any_exponent_all_ones<uint16_t>(v, dims, 0x7F80u);
    case scalar_kind::e5m2: return !any_exponent_all_ones<uint8_t>(v, dims, 0x7Cu);
    case scalar_kind::e4m3: return !any_exponent_all_ones<uint8_t>(v, dims, 0x7Fu);  // its only NaN code
    default: return true;
    }
}

// first_nonfinite returns the first of `count` rows (`stride` bytes apart) holding a
// non-finite element, or count when there is none; *dim receives that element's index.
inline size_t first_nonfinite(scalar_kind k, const uint8_t* rows, size_t count, size_t stride, size_t dims,
                              size_t* dim) {
    if (!holds_nonfinite(k)) return count;
    for (size_t r = 0; r < count; ++r) {
        const uint8_t* v = rows + r * stride;
        if (vector_finite(k, v, dims)) continue;
        for (size_t i = 0; i < dims; ++i)
            if (!std::isfinite(load_f64(k, v, i))) {
                if (dim) *dim = i;
                return r;
            }
    }
    return count;
}

// nonfinite_guard is how a view reports distances (metric_t::guard, metric.hpp): a distance
// that is not finite, or to a stored vector that is not, becomes +Inf. Both are needed: NaN
// from a NaN element or Inf - Inf, -Inf from an inner product with +Inf, and the kernels
// that clamp (cosine and pearson turn a NaN into 0, a perfect match) would otherwise rank a
// poisoned vector first. The vector was just read by the kernel, so the scan runs in cache.
struct nonfinite_guard {
    bool on = false;
    scalar_kind kind = scalar_kind::f32;
    size_t dims = 0;
    float apply(float d, const uint8_t* v) const {
        return std::isfinite(d) && vector_finite(kind, v, dims) ? d : INFINITY;
    }
};

// nonfinite_file_error is Load's refusal of a live vector holding a non-finite element: it
// names the key, the row (slot) and the element. The message lives in a per-thread buffer
// until the thread's next such failure.
inline status nonfinite_file_error(uint64_t key, size_t row, size_t dim, double value) {
    static thread_local char message[224];
    const char* what = std::isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
    std::snprintf(message, sizeof message,
                  "Invalid file: the vector of key %llu (row %zu) is not finite: element %zu is %s; Load refuses "
                  "non-finite vectors (View serves them at distance +Inf)",
                  (unsigned long long)key, row, dim, what);
    return fail(status_code::invalid_file, message);
}

}  // namespace usg
