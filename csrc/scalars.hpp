// scalars.hpp: the element kinds an index can store, their byte sizes, and the conversions
// between them. The rules follow the upstream file format so that stored bytes match what
// upstream writes for the same input (docs/file-format.md, "Conversions").
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

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
    e5m2 = usearch_scalar_e5m2_k,
    e4m3 = usearch_scalar_e4m3_k,
    e3m2 = usearch_scalar_e3m2_k,
    e2m3 = usearch_scalar_e2m3_k,
};

// is_storage_kind tells whether vectors can be stored and passed in this kind.
inline bool is_storage_kind(int k) {
    switch (k) {
    case usearch_scalar_f32_k: case usearch_scalar_f64_k: case usearch_scalar_f16_k:
    case usearch_scalar_i8_k: case usearch_scalar_b1_k: case usearch_scalar_bf16_k:
    case usearch_scalar_u8_k: case usearch_scalar_e5m2_k: case usearch_scalar_e4m3_k:
    case usearch_scalar_e3m2_k: case usearch_scalar_e2m3_k: return true;
    default: return false;
    }
}

// is_mini_float tells whether the kind is one of the one-byte FP8/FP6 kinds.
inline bool is_mini_float(scalar_kind k) {
    return k == scalar_kind::e5m2 || k == scalar_kind::e4m3 || k == scalar_kind::e3m2 || k == scalar_kind::e2m3;
}

// is_caller_kind tells whether upstream's C API accepts the kind for the vectors a caller
// passes to add/search/get: every storage kind except the mini-floats, which upstream
// stores and compares but refuses to convert from or to ("Unknown scalar kind!").
inline bool is_caller_kind(int k) { return is_storage_kind(k) && !is_mini_float(scalar_kind(k)); }

// bytes_per_vector is the row size C = ceil(dims * bits / 8).
inline size_t bytes_per_vector(scalar_kind k, size_t dims) {
    switch (k) {
    case scalar_kind::f64: return dims * 8;
    case scalar_kind::f32: return dims * 4;
    case scalar_kind::f16: case scalar_kind::bf16: return dims * 2;
    case scalar_kind::i8: case scalar_kind::u8: return dims;
    case scalar_kind::e5m2: case scalar_kind::e4m3: case scalar_kind::e3m2: case scalar_kind::e2m3: return dims;
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

// --- FP8 and FP6 ("mini-floats") ---------------------------------------------------------
//
// Four one-byte kinds of upstream 2.26 (docs/file-format.md, "Kind codes", "Conversions"). Each has a sign bit, E
// exponent bits with a bias, MB mantissa bits and subnormals at exponent field 0:
//   e5m2  S EEEEE MM     bias 15  exponent 31 holds inf (M = 0) and NaN (M != 0)
//   e4m3  S EEEE MMM     bias 7   no infinity; only x1111111 is NaN (max 448)
//   e3m2  0 0 S EEE MM   bias 3   no inf/NaN (max 28); bits 6-7 ignored on read
//   e2m3  0 0 S EE MMM   bias 1   no inf/NaN (max 7.5); bits 6-7 ignored on read
// Encoding from f32 rounds to nearest even on the kind's grid. What happens beyond the
// largest finite value, to infinities and to NaN differs per kind and is part of the format:
// e5m2 overflows to inf; the others saturate at their maximum; FP6 turns NaN into ±max.

struct mini_format {
    int mantissa_bits, bias;
    uint8_t sign;       // the sign bit
    uint8_t max_code;   // largest finite magnitude
    uint8_t over_code;  // magnitude written for overflow and for infinities
    uint8_t nan_code;   // magnitude written for NaN (signed like the input)
    bool has_inf;       // exponent field all ones (with M = 0) decodes as infinity
    uint8_t nan_min;    // magnitudes from here up decode as NaN (0xFF: none)
};

constexpr mini_format e5m2_format{2, 15, 0x80, 0x7B, 0x7C, 0x7D, true, 0x7D};
constexpr mini_format e4m3_format{3, 7, 0x80, 0x7E, 0x7E, 0x7F, false, 0x7F};
constexpr mini_format e3m2_format{2, 3, 0x20, 0x1F, 0x1F, 0x1F, false, 0xFF};
constexpr mini_format e2m3_format{3, 1, 0x20, 0x1F, 0x1F, 0x1F, false, 0xFF};

// f32_to_mini rounds x to the nearest value of the format, ties to even, working on the
// integer significand so that no floating-point mode can change the result.
inline uint8_t f32_to_mini(float x, const mini_format& f) {
    uint32_t b = f32_bits(x);
    uint8_t sign = (b >> 31) ? f.sign : uint8_t(0);
    uint32_t abs = b & 0x7FFFFFFFu;
    if (abs > 0x7F800000u) return uint8_t(sign | f.nan_code);
    if (abs == 0x7F800000u) return uint8_t(sign | f.over_code);
    int biased = int(abs >> 23);
    if (biased == 0) return sign;  // f32 zero or subnormal: far below half the smallest step
    int e = biased - 127;                           // |x| = m * 2^(e - 23), m in [2^23, 2^24)
    uint32_t m = (abs & 0x7FFFFFu) | 0x800000u;
    int min_e = 1 - f.bias;                         // exponent of the smallest normal
    int step = (e > min_e ? e : min_e) - f.mantissa_bits;  // grid spacing is 2^step
    int shift = step - (e - 23);                    // |x| / 2^step = m / 2^shift, shift >= 20
    if (shift > 24) return sign;                    // below half the smallest step: rounds to 0
    uint32_t r = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1u))) ++r;
    if (r == 0) return sign;
    if (r >= (2u << f.mantissa_bits)) r >>= 1, ++step;  // rounding carried into the next binade
    int exponent_field = r < (1u << f.mantissa_bits) ? 0 : step + f.mantissa_bits + f.bias;
    int code = (exponent_field << f.mantissa_bits) | int(r & ((1u << f.mantissa_bits) - 1u));
    if (code > f.max_code) return uint8_t(sign | f.over_code);
    return uint8_t(sign | code);
}

// mini_value decodes one byte by the format's formula; it builds the tables below.
constexpr float mini_value(unsigned code, const mini_format& f) {
    unsigned mag = code & (f.sign - 1u);
    bool negative = (code & f.sign) != 0;
    unsigned mantissa = mag & ((1u << f.mantissa_bits) - 1u);
    int exponent_field = int(mag >> f.mantissa_bits);
    float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    if (mag >= f.nan_min) return negative ? -nan : nan;
    if (f.has_inf && mag == unsigned(f.over_code)) return negative ? -inf : inf;
    // value = significand * 2^(exponent - mantissa_bits), significand with the implicit 1.
    float significand = float(exponent_field ? (1u << f.mantissa_bits) | mantissa : mantissa);
    int exponent = (exponent_field ? exponent_field : 1) - f.bias - f.mantissa_bits;
    float scale = 1;
    for (int i = 0; i < exponent; ++i) scale *= 2;
    for (int i = 0; i > exponent; --i) scale /= 2;
    float v = significand * scale;
    return negative ? -v : v;
}

struct mini_table {
    float value[256];
};

constexpr mini_table make_mini_table(const mini_format& f) {
    mini_table t{};
    for (unsigned c = 0; c < 256; ++c) t.value[c] = mini_value(c, f);
    return t;
}

// Decoding is a table lookup: 256 floats per kind, computed at compile time.
constexpr mini_table e5m2_table = make_mini_table(e5m2_format);
constexpr mini_table e4m3_table = make_mini_table(e4m3_format);
constexpr mini_table e3m2_table = make_mini_table(e3m2_format);
constexpr mini_table e2m3_table = make_mini_table(e2m3_format);

inline const mini_format& mini_format_of(scalar_kind k) {
    switch (k) {
    case scalar_kind::e5m2: return e5m2_format;
    case scalar_kind::e4m3: return e4m3_format;
    case scalar_kind::e3m2: return e3m2_format;
    default: return e2m3_format;
    }
}

inline const float* mini_table_of(scalar_kind k) {
    switch (k) {
    case scalar_kind::e5m2: return e5m2_table.value;
    case scalar_kind::e4m3: return e4m3_table.value;
    case scalar_kind::e3m2: return e3m2_table.value;
    default: return e2m3_table.value;
    }
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
    case scalar_kind::e5m2: case scalar_kind::e4m3: case scalar_kind::e3m2: case scalar_kind::e2m3:
        return mini_table_of(k)[p[i]];
    default: return 0;
    }
}

// is_float_family tells whether the kind is one of the IEEE-like float kinds, mini-floats
// included.
inline bool is_float_family(scalar_kind k) {
    return k == scalar_kind::f64 || k == scalar_kind::f32 || k == scalar_kind::f16 || k == scalar_kind::bf16 ||
           is_mini_float(k);
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
    case scalar_kind::e5m2: case scalar_kind::e4m3: case scalar_kind::e3m2: case scalar_kind::e2m3:
        p[i] = f32_to_mini(float(x), mini_format_of(k));
        break;
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
