// nonfinite.hpp: finding NaN and ±Inf in stored vectors. Inputs are checked before they are
// stored (lib.cpp's check_input, validate.go), but a file made by another tool, or corrupted,
// can hold anything. Load refuses such a file (persistence::adopt, persist.hpp): the scan
// runs on each row just after it is copied, while it is in cache. A view must not read
// every page up front, so instead its metric reports as +Inf every distance that is not
// finite or is to a vector that is not (metric_t::guard, metric.hpp): results stay in
// ascending order and a poisoned vector never ranks ahead of a finite one
// (docs/file-format.md, "Non-finite vectors").
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "config.hpp"
#include "kernels.hpp"
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

// finite_bits tells whether none of the n elements of U at p is NaN or infinite: whether no
// element's magnitude bits (all but the sign) reach Limit, the smallest magnitude whose
// exponent field is all ones. Adding step = 2^(bits-1) - Limit carries such an element, and
// only such an element, into the sign bit, so the test is and, add and or per element, with
// no compare and no early exit: a loop compilers vectorize. memcpy reads the elements
// whatever the alignment of p (a row of a mapped file need not be aligned).
template <typename U, U Limit> inline bool finite_bits(const uint8_t* p, size_t n) {
    constexpr U sign = U(U(1) << (8 * sizeof(U) - 1)), step = U(sign - Limit);
    U carry = 0;
    for (size_t i = 0; i < n; ++i) {
        U x;
        std::memcpy(&x, p + i * sizeof(U), sizeof(U));
        carry |= U(U(x & U(sign - 1)) + step);
    }
    return (carry & sign) == 0;
}
#if USG_X86
// finite_bits_haswell is the same loop compiled for AVX2 (twice the width of the baseline
// SSE2), for CPUs that run it: a view's guard runs it on every vector it scores.
template <typename U, U Limit> __attribute__((target("avx2"))) bool finite_bits_haswell(const uint8_t* p, size_t n) {
    constexpr U sign = U(U(1) << (8 * sizeof(U) - 1)), step = U(sign - Limit);
    U carry = 0;
    for (size_t i = 0; i < n; ++i) {
        U x;
        std::memcpy(&x, p + i * sizeof(U), sizeof(U));
        carry |= U(U(x & U(sign - 1)) + step);
    }
    return (carry & sign) == 0;
}
#endif

// finite_fn tells whether the dims elements of a stored vector are all finite.
using finite_fn = bool (*)(const uint8_t* v, size_t dims);

template <typename U, U Limit> inline finite_fn finite_check_for(int isa) {
#if USG_X86
    if (isa >= kern::isa_haswell) return finite_bits_haswell<U, Limit>;
#endif
    (void)isa;
    return finite_bits<U, Limit>;
}

// finite_check returns the check for a storage kind on instruction set isa, or null for a
// kind without non-finite codes.
inline finite_fn finite_check(scalar_kind k, int isa) {
    switch (k) {
    case scalar_kind::f64: return finite_check_for<uint64_t, 0x7FF0000000000000ull>(isa);
    case scalar_kind::f32: return finite_check_for<uint32_t, 0x7F800000u>(isa);
    case scalar_kind::f16: return finite_check_for<uint16_t, 0x7C00u>(isa);
    case scalar_kind::bf16: return finite_check_for<uint16_t, 0x7F80u>(isa);
    case scalar_kind::e5m2: return finite_check_for<uint8_t, 0x7Cu>(isa);
    case scalar_kind::e4m3: return finite_check_for<uint8_t, 0x7Fu>(isa);  // its only NaN code, no infinity
    default: return nullptr;
    }
}

// vector_finite tells whether every element of a stored vector is finite.
inline bool vector_finite(scalar_kind k, const uint8_t* v, size_t dims) {
    finite_fn f = finite_check(k, cpu_isa());
    return !f || f(v, dims);
}

// first_nonfinite returns the first of `count` rows (`stride` bytes apart) holding a
// non-finite element, or count when there is none; *dim receives that element's index.
inline size_t first_nonfinite(scalar_kind k, const uint8_t* rows, size_t count, size_t stride, size_t dims,
                              size_t* dim) {
    finite_fn finite = finite_check(k, cpu_isa());
    if (!finite) return count;
    for (size_t r = 0; r < count; ++r) {
        const uint8_t* v = rows + r * stride;
        if (finite(v, dims)) continue;
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
    size_t dims = 0;
    finite_fn finite = nullptr;
    // for_vectors is the guard for vectors of kind k that nobody checked (on), or none.
    static nonfinite_guard for_vectors(bool unchecked, scalar_kind k, size_t dims) {
        nonfinite_guard g;
        g.finite = unchecked ? finite_check(k, cpu_isa()) : nullptr;
        g.on = g.finite != nullptr, g.dims = dims;
        return g;
    }
    float apply(float d, const uint8_t* v) const { return std::isfinite(d) && finite(v, dims) ? d : INFINITY; }
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
