// scalars.hpp: the element kinds an index can store, their byte sizes, and the conversions
// between them. The rules follow the upstream file format so that stored bytes match what
// upstream writes for the same input (docs/file-format.md, "Conversions").
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "usearch.h"
#include "usearch_ext.h"

namespace usg {

// Scalar kinds use the C API numbering everywhere inside the core.
enum class scalar_kind : int {
    unknown = usearch_scalar_unknown_k,
    f32 = usearch_scalar_f32_k,
    f64 = usearch_scalar_f64_k,
    f16 = usearch_scalar_f16_k,
    i8 = usearch_scalar_i8_k,
    b1 = usearch_scalar_b1_k,
    bf16 = usearch_scalar_bf16_k,
    u8 = usearch_scalar_u8_k,
};

// is_storage_kind tells whether vectors can be stored and passed in this kind.
inline bool is_storage_kind(int k) {
    switch (k) {
    case usearch_scalar_f32_k: case usearch_scalar_f64_k: case usearch_scalar_f16_k:
    case usearch_scalar_i8_k: case usearch_scalar_b1_k: case usearch_scalar_bf16_k:
    case usearch_scalar_u8_k: return true;
    default: return false;
    }
}

// bytes_per_vector is the row size C = ceil(dims * bits / 8).
inline size_t bytes_per_vector(scalar_kind k, size_t dims) {
    switch (k) {
    case scalar_kind::f64: return dims * 8;
    case scalar_kind::f32: return dims * 4;
    case scalar_kind::f16: case scalar_kind::bf16: return dims * 2;
    case scalar_kind::i8: case scalar_kind::u8: return dims;
    case scalar_kind::b1: return (dims + 7) / 8;
    default: return 0;
    }
}

inline uint32_t f32_bits(float x) { uint32_t b; std::memcpy(&b, &x, 4); return b; }
inline float bits_f32(uint32_t b) { float x; std::memcpy(&x, &b, 4); return x; }

// --- IEEE binary16 ---------------------------------------------------------------------

// f16_to_f32 widens exactly. Branch-free (selects only) so that loops over it vectorise.
inline float f16_to_f32(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t em = h & 0x7FFFu;                      // exponent and mantissa
    uint32_t normal = (em << 13) + 0x38000000u;     // rebias 15 -> 127
    uint32_t special = (em << 13) + 0x70000000u;    // exponent 31 -> 255: inf / NaN
    uint32_t subnormal = f32_bits(float(em) * 5.9604644775390625e-8f);  // m * 2^-24, exact
    uint32_t r = em >= 0x7C00u ? special : normal;
    r = em < 0x0400u ? subnormal : r;
    return bits_f32(r | sign);
}

// f32_to_f16 rounds to nearest even, subnormals included; overflow gives infinity and
// NaN becomes the quiet NaN 0x7E00 with the input's sign.
inline uint16_t f32_to_f16(float x) {
    uint32_t b = f32_bits(x);
    uint16_t sign = uint16_t((b >> 16) & 0x8000u);
    uint32_t abs = b & 0x7FFFFFFFu;
    if (abs > 0x7F800000u) return sign | 0x7E00u;     // NaN
    if (abs >= 0x477FF000u) return sign | 0x7C00u;    // rounds to >= 65520: infinity
    if (abs >= 0x38800000u) {                         // normal in f16 (>= 2^-14)
        uint32_t mant_round = abs + 0x0FFFu + ((abs >> 13) & 1u);
        return sign | uint16_t((mant_round - 0x38000000u) >> 13);
    }
    // Subnormal or zero in f16: value / 2^-24, rounded to nearest even.
    if (abs < 0x33000000u) return sign;  // < 2^-25: rounds to zero (2^-25 is a tie to 0)
    uint32_t e = abs >> 23;
    uint32_t m = (abs & 0x7FFFFFu) | 0x800000u;
    uint32_t shift = 126u - e;  // from 24-bit significand to units of 2^-24, plus 1 for rounding
    // value in units of 2^-24 = m * 2^(e - 127 - 23 + 24) = m >> (126 - e)
    uint32_t q = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return sign | uint16_t(q);
}

// --- bfloat16 ---------------------------------------------------------------------------

inline float bf16_to_f32(uint16_t h) { return bits_f32(uint32_t(h) << 16); }

inline uint16_t f32_to_bf16(float x) {
    uint32_t b = f32_bits(x);
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) return uint16_t(((b >> 16) & 0x8000u) | 0x7FC0u);
    return uint16_t((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

// --- generic element access -------------------------------------------------------------

// load_f64 reads element i of a vector of kind k as a double (b1: 0 or 1).
inline double load_f64(scalar_kind k, const void* v, size_t i) {
    const uint8_t* p = static_cast<const uint8_t*>(v);
    switch (k) {
    case scalar_kind::f64: { double x; std::memcpy(&x, p + 8 * i, 8); return x; }
    case scalar_kind::f32: { float x; std::memcpy(&x, p + 4 * i, 4); return x; }
    case scalar_kind::f16: { uint16_t h; std::memcpy(&h, p + 2 * i, 2); return f16_to_f32(h); }
    case scalar_kind::bf16: { uint16_t h; std::memcpy(&h, p + 2 * i, 2); return bf16_to_f32(h); }
    case scalar_kind::i8: return double(int8_t(p[i]));
    case scalar_kind::u8: return double(p[i]);
    case scalar_kind::b1: return (p[i >> 3] & (0x80u >> (i & 7))) ? 1.0 : 0.0;
    default: return 0;
    }
}

// is_float_family tells whether the kind is one of the IEEE-like float kinds.
inline bool is_float_family(scalar_kind k) {
    return k == scalar_kind::f64 || k == scalar_kind::f32 || k == scalar_kind::f16 || k == scalar_kind::bf16;
}

// store_float writes the value x (already rounded to f32 unless the target is f64) into a
// float-family vector.
inline void store_float(scalar_kind k, void* v, size_t i, double x) {
    uint8_t* p = static_cast<uint8_t*>(v);
    switch (k) {
    case scalar_kind::f64: std::memcpy(p + 8 * i, &x, 8); break;
    case scalar_kind::f32: { float f = float(x); std::memcpy(p + 4 * i, &f, 4); break; }
    case scalar_kind::f16: { uint16_t h = f32_to_f16(float(x)); std::memcpy(p + 2 * i, &h, 2); break; }
    case scalar_kind::bf16: { uint16_t h = f32_to_bf16(float(x)); std::memcpy(p + 2 * i, &h, 2); break; }
    default: break;
    }
}

// cast_vector converts one vector of `dims` elements from kind `from` to kind `to`.
// Returns false for kinds it does not handle.
inline bool cast_vector(const void* src, scalar_kind from, void* dst, scalar_kind to, size_t dims) {
    if (!is_storage_kind(int(from)) || !is_storage_kind(int(to))) return false;
    if (from == to) {
        std::memcpy(dst, src, bytes_per_vector(to, dims));
        return true;
    }
    uint8_t* out = static_cast<uint8_t*>(dst);
    if (to == scalar_kind::b1) {
        std::memset(out, 0, bytes_per_vector(to, dims));  // padding bits stay zero
        for (size_t i = 0; i < dims; ++i)
            if (load_f64(from, src, i) > 0) out[i >> 3] |= uint8_t(0x80u >> (i & 7));
        return true;
    }
    if (from == scalar_kind::b1) {
        for (size_t i = 0; i < dims; ++i) {
            double bit = load_f64(from, src, i);
            if (to == scalar_kind::i8) out[i] = uint8_t(int8_t(bit));
            else if (to == scalar_kind::u8) out[i] = uint8_t(bit);
            else store_float(to, out, i, bit);
        }
        return true;
    }
    if (to == scalar_kind::i8 || to == scalar_kind::u8) {
        if (from == scalar_kind::u8 && to == scalar_kind::i8) {
            // Upstream reads the byte as signed, divides by 255 and truncates: always zero.
            std::memset(out, 0, dims);
            return true;
        }
        double norm2 = 0;
        for (size_t i = 0; i < dims; ++i) {
            double x = load_f64(from, src, i);
            norm2 += x * x;
        }
        double m = std::sqrt(norm2), pre = 1;
        if (std::isinf(m)) {
            // Only huge f64 input gets here (|x| > ~1e154 squares to infinity): dividing by
            // the largest magnitude first keeps the norm finite, so finite input is
            // normalised like any other instead of collapsing to zeros.
            pre = 0;
            for (size_t i = 0; i < dims; ++i) pre = std::fmax(pre, std::fabs(load_f64(from, src, i)));
            double sum = 0;
            for (size_t i = 0; i < dims; ++i) {
                double x = load_f64(from, src, i) / pre;
                sum += x * x;
            }
            m = std::sqrt(sum);
        }
        if (!(m > 0)) {
            std::memset(out, 0, dims);
            return true;
        }
        bool is_i8 = to == scalar_kind::i8;
        double scale = is_i8 ? 127.0 : 255.0, lo = is_i8 ? -127.0 : 0.0;
        for (size_t i = 0; i < dims; ++i) {
            double q = load_f64(from, src, i) / pre * scale / m;
            if (!(q >= lo)) q = lo;  // NaN too: converting it to an integer is undefined
            if (q > scale) q = scale;
            double t = std::trunc(q);
            out[i] = is_i8 ? uint8_t(int8_t(t)) : uint8_t(t);
        }
        return true;
    }
    // Target is a float kind.
    for (size_t i = 0; i < dims; ++i) {
        double x;
        if (from == scalar_kind::i8 || from == scalar_kind::u8) {
            double div = from == scalar_kind::i8 ? 127.0 : 255.0;
            double raw = load_f64(from, src, i);
            x = to == scalar_kind::f64 ? raw / div : double(float(raw) / float(div));
        } else {
            x = load_f64(from, src, i);
            if (to != scalar_kind::f64) x = double(float(x));  // f64 input rounds through f32
        }
        store_float(to, out, i, x);
    }
    return true;
}

}  // namespace usg
