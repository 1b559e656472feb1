// kernels_x86.hpp: hand-written AVX2 and AVX-512 kernels for the hottest pairs: ip, l2sq
// and cos over f32, f16 and bf16 storage. Each loader widens 8 or 16 elements to f32 lanes;
// tails use masked loads (AVX-512) or a scalar loop (AVX2). Included by kernels.hpp on
// x86-64 only; the compiler needs no -m flags because every function names its target.
#pragma once

// The attributes (USG_TARGET_*) and the warning bracket are kernels.hpp's.
USG_X86_INTRINSICS_BEGIN

#include <immintrin.h>

namespace usg {
namespace kern {
namespace x86 {

enum mode_t { mode_ip = 0, mode_l2sq = 1, mode_cos = 2 };

// ---- AVX-512: 16 lanes ----
struct f32x16 {
    static constexpr size_t bytes = 4;
    static USG_TARGET_SKYLAKE inline __m512 load(const uint8_t* p, size_t i) { return _mm512_loadu_ps(p + 4 * i); }
    static USG_TARGET_SKYLAKE inline __m512 load_tail(const uint8_t* p, size_t i, __mmask16 m) {
        return _mm512_maskz_loadu_ps(m, p + 4 * i);
    }
};
struct f16x16 {
    static constexpr size_t bytes = 2;
    static USG_TARGET_SKYLAKE inline __m512 load(const uint8_t* p, size_t i) {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * i)));
    }
    static USG_TARGET_SKYLAKE inline __m512 load_tail(const uint8_t* p, size_t i, __mmask16 m) {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p + 2 * i));
    }
};
struct bf16x16 {
    static constexpr size_t bytes = 2;
    static USG_TARGET_SKYLAKE inline __m512 widen(__m256i h) {
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_maskz_cvtepu16_epi32(__mmask16(0xFFFF), h), 16));
    }
    static USG_TARGET_SKYLAKE inline __m512 load(const uint8_t* p, size_t i) {
        return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * i)));
    }
    static USG_TARGET_SKYLAKE inline __m512 load_tail(const uint8_t* p, size_t i, __mmask16 m) {
        return widen(_mm256_maskz_loadu_epi16(m, p + 2 * i));
    }
};

// Mini-floats widen through binary16: a few integer operations move each byte's fields to
// where an f16 keeps them, the hardware converts f16 to f32 (subnormals included), and a
// power of two fixes the exponent bias. e5m2 is exactly the upper byte of an f16 (bias 15,
// inf and NaN at exponent 31), so it needs no scaling. For e4m3 the placement would turn
// the NaN code x1111111 into 480, so those lanes are replaced by NaN to match the tables.
// The FP6 kinds start with a left shift that drops the ignored bits 6-7.
enum mini_kind_t { mini_e5m2, mini_e4m3, mini_e3m2, mini_e2m3 };

// mini_scale is 2^(15 - bias): the factor between the f16 reading and the true value.
template <int K> constexpr float mini_scale() {
    return K == mini_e5m2 ? 1.0f : K == mini_e4m3 ? 256.0f : K == mini_e3m2 ? 4096.0f : 16384.0f;
}

// f16_fields_x16 turns 16 mini-float bytes into 16 binary16 bit patterns:
//   e5m2  byte << 8
//   e4m3  sign-extend, << 7, keep bits 15 and 13..7    (S EEEE MMM -> S 0 EEEE MMM 0000000)
//   e3m2  << 10, arithmetic >> 2, keep 15 and 12..8     (S EEE MM   -> S 00 EEE MM 00000000)
//   e2m3  << 10, arithmetic >> 3, keep 15 and 11..7     (S EE MMM   -> S 000 EE MMM 0000000)
template <int K> USG_TARGET_SKYLAKE inline __m256i f16_fields_x16(__m128i bytes) {
    if (K == mini_e5m2) return _mm256_slli_epi16(_mm256_cvtepu8_epi16(bytes), 8);
    if (K == mini_e4m3)
        return _mm256_and_si256(_mm256_slli_epi16(_mm256_cvtepi8_epi16(bytes), 7), _mm256_set1_epi16(short(0xBF80)));
    __m256i top = _mm256_slli_epi16(_mm256_cvtepu8_epi16(bytes), 10);
    if (K == mini_e3m2) return _mm256_and_si256(_mm256_srai_epi16(top, 2), _mm256_set1_epi16(short(0x9F00)));
    return _mm256_and_si256(_mm256_srai_epi16(top, 3), _mm256_set1_epi16(short(0x8F80)));
}
template <int K> USG_TARGET_HASWELL inline __m128i f16_fields_x8(__m128i bytes) {
    if (K == mini_e5m2) return _mm_slli_epi16(_mm_cvtepu8_epi16(bytes), 8);
    if (K == mini_e4m3) return _mm_and_si128(_mm_slli_epi16(_mm_cvtepi8_epi16(bytes), 7), _mm_set1_epi16(short(0xBF80)));
    __m128i top = _mm_slli_epi16(_mm_cvtepu8_epi16(bytes), 10);
    if (K == mini_e3m2) return _mm_and_si128(_mm_srai_epi16(top, 2), _mm_set1_epi16(short(0x9F00)));
    return _mm_and_si128(_mm_srai_epi16(top, 3), _mm_set1_epi16(short(0x8F80)));
}

template <int K> struct minix16 {
    static constexpr size_t bytes = 1;
    static USG_TARGET_SKYLAKE inline __m512 widen(__m128i bytes) {
        __m512 f = _mm512_cvtph_ps(f16_fields_x16<K>(bytes));
        if (K == mini_e5m2) return f;
        __m512 scale = _mm512_set1_ps(mini_scale<K>());
        if (K != mini_e4m3) return _mm512_mul_ps(f, scale);
        // One masked multiply scales the numbers and leaves NaN in the x1111111 lanes.
        __mmask16 number = _mm_cmpneq_epi8_mask(_mm_or_si128(bytes, _mm_set1_epi8(char(0x80))), _mm_set1_epi8(char(0xFF)));
        return _mm512_mask_mul_ps(_mm512_set1_ps(std::numeric_limits<float>::quiet_NaN()), number, f, scale);
    }
    static USG_TARGET_SKYLAKE inline __m512 load(const uint8_t* p, size_t i) {
        return widen(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
    }
    static USG_TARGET_SKYLAKE inline __m512 load_tail(const uint8_t* p, size_t i, __mmask16 m) {
        return widen(_mm_maskz_loadu_epi8(m, p + i));
    }
};

// skylake_sums accumulates what Mode needs of a pair: the dot product or squared
// difference in s, and for cos the squared norms in aa (unless KnownA: the batch form has it
// already) and bb. The order of operations is the same whichever sums are taken, so a norm
// computed once per batch equals the one the pair form computes every time.
struct sums_f32 {
    float s, aa, bb;
};
template <int Mode, typename L, bool KnownA>
USG_TARGET_SKYLAKE inline sums_f32 skylake_sums(const uint8_t* a, const uint8_t* b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 aa0 = _mm512_setzero_ps(), aa1 = _mm512_setzero_ps();
    __m512 bb0 = _mm512_setzero_ps(), bb1 = _mm512_setzero_ps();
    constexpr bool cos = Mode == mode_cos, take_a = cos && !KnownA;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 x0 = L::load(a, i), y0 = L::load(b, i), x1 = L::load(a, i + 16), y1 = L::load(b, i + 16);
        if (Mode == mode_l2sq) {
            __m512 d0 = _mm512_sub_ps(x0, y0), d1 = _mm512_sub_ps(x1, y1);
            s0 = _mm512_fmadd_ps(d0, d0, s0), s1 = _mm512_fmadd_ps(d1, d1, s1);
        } else {
            s0 = _mm512_fmadd_ps(x0, y0, s0), s1 = _mm512_fmadd_ps(x1, y1, s1);
            if (take_a) aa0 = _mm512_fmadd_ps(x0, x0, aa0), aa1 = _mm512_fmadd_ps(x1, x1, aa1);
            if (cos) bb0 = _mm512_fmadd_ps(y0, y0, bb0), bb1 = _mm512_fmadd_ps(y1, y1, bb1);
        }
    }
    for (; i < n; i += 16) {
        size_t left = n - i;
        __mmask16 m = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
        __m512 x = L::load_tail(a, i, m), y = L::load_tail(b, i, m);
        if (Mode == mode_l2sq) {
            __m512 d = _mm512_sub_ps(x, y);
            s0 = _mm512_fmadd_ps(d, d, s0);
        } else {
            s0 = _mm512_fmadd_ps(x, y, s0);
            if (take_a) aa0 = _mm512_fmadd_ps(x, x, aa0);
            if (cos) bb0 = _mm512_fmadd_ps(y, y, bb0);
        }
    }
    sums_f32 out{_mm512_reduce_add_ps(_mm512_add_ps(s0, s1)), 0, 0};
    if (take_a) out.aa = _mm512_reduce_add_ps(_mm512_add_ps(aa0, aa1));
    if (cos) out.bb = _mm512_reduce_add_ps(_mm512_add_ps(bb0, bb1));
    return out;
}

template <int Mode> USG_INLINE float finish_f32(const sums_f32& t) {
    if (Mode == mode_l2sq) return t.s;
    if (Mode == mode_ip) return 1.0f - t.s;
    return cos_finish(t.s, t.aa, t.bb);
}

template <int Mode, typename L>
USG_TARGET_SKYLAKE inline float skylake_pair(const void* va, const void* vb, size_t n) {
    return finish_f32<Mode>(skylake_sums<Mode, L, false>(static_cast<const uint8_t*>(va), static_cast<const uint8_t*>(vb), n));
}

// ---- AVX2: 8 lanes, scalar tail ----
struct f32x8 {
    static constexpr size_t bytes = 4;
    static USG_TARGET_HASWELL inline __m256 load(const uint8_t* p, size_t i) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p + 4 * i)); }
    static inline float one(const uint8_t* p, size_t i) { return dec_f32::get(p, i); }
};
struct f16x8 {
    static constexpr size_t bytes = 2;
    static USG_TARGET_HASWELL inline __m256 load(const uint8_t* p, size_t i) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * i)));
    }
    static inline float one(const uint8_t* p, size_t i) { return dec_f16::get(p, i); }
};
struct bf16x8 {
    static constexpr size_t bytes = 2;
    static USG_TARGET_HASWELL inline __m256 load(const uint8_t* p, size_t i) {
        __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * i));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    static inline float one(const uint8_t* p, size_t i) { return dec_bf16::get(p, i); }
};

template <int K, typename D> struct minix8 {
    static constexpr size_t bytes = 1;
    static USG_TARGET_HASWELL inline __m256 load(const uint8_t* p, size_t i) {
        __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + i));
        __m256 f = _mm256_cvtph_ps(f16_fields_x8<K>(bytes));
        if (K != mini_e5m2) f = _mm256_mul_ps(f, _mm256_set1_ps(mini_scale<K>()));
        if (K == mini_e4m3) {
            __m128i nan8 = _mm_cmpeq_epi8(_mm_or_si128(bytes, _mm_set1_epi8(char(0x80))), _mm_set1_epi8(char(0xFF)));
            __m256 nan = _mm256_castsi256_ps(_mm256_cvtepi8_epi32(nan8));
            f = _mm256_blendv_ps(f, _mm256_set1_ps(std::numeric_limits<float>::quiet_NaN()), nan);
        }
        return f;
    }
    static inline float one(const uint8_t* p, size_t i) { return D::get(p, i); }
};

USG_TARGET_HASWELL inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// haswell_sums is skylake_sums on 8 lanes with a scalar tail (the same contract: with
// KnownA the batch form took the query's norm once, in the same order of operations).
template <int Mode, typename L, bool KnownA>
USG_TARGET_HASWELL inline sums_f32 haswell_sums(const uint8_t* a, const uint8_t* b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 aa0 = _mm256_setzero_ps(), aa1 = _mm256_setzero_ps();
    __m256 bb0 = _mm256_setzero_ps(), bb1 = _mm256_setzero_ps();
    constexpr bool cos = Mode == mode_cos, take_a = cos && !KnownA;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 x0 = L::load(a, i), y0 = L::load(b, i), x1 = L::load(a, i + 8), y1 = L::load(b, i + 8);
        if (Mode == mode_l2sq) {
            __m256 d0 = _mm256_sub_ps(x0, y0), d1 = _mm256_sub_ps(x1, y1);
            s0 = _mm256_fmadd_ps(d0, d0, s0), s1 = _mm256_fmadd_ps(d1, d1, s1);
        } else {
            s0 = _mm256_fmadd_ps(x0, y0, s0), s1 = _mm256_fmadd_ps(x1, y1, s1);
            if (take_a) aa0 = _mm256_fmadd_ps(x0, x0, aa0), aa1 = _mm256_fmadd_ps(x1, x1, aa1);
            if (cos) bb0 = _mm256_fmadd_ps(y0, y0, bb0), bb1 = _mm256_fmadd_ps(y1, y1, bb1);
        }
    }
    for (; i + 8 <= n; i += 8) {
        __m256 x = L::load(a, i), y = L::load(b, i);
        if (Mode == mode_l2sq) {
            __m256 d = _mm256_sub_ps(x, y);
            s0 = _mm256_fmadd_ps(d, d, s0);
        } else {
            s0 = _mm256_fmadd_ps(x, y, s0);
            if (take_a) aa0 = _mm256_fmadd_ps(x, x, aa0);
            if (cos) bb0 = _mm256_fmadd_ps(y, y, bb0);
        }
    }
    sums_f32 out{hsum256(_mm256_add_ps(s0, s1)), 0, 0};
    if (take_a) out.aa = hsum256(_mm256_add_ps(aa0, aa1));
    if (cos) out.bb = hsum256(_mm256_add_ps(bb0, bb1));
    for (; i < n; ++i) {
        float x = L::one(a, i), y = L::one(b, i);
        if (Mode == mode_l2sq) out.s += (x - y) * (x - y);
        else out.s += x * y;
        if (take_a) out.aa += x * x;
        if (cos) out.bb += y * y;
    }
    return out;
}

template <int Mode, typename L>
USG_TARGET_HASWELL inline float haswell_pair(const void* va, const void* vb, size_t n) {
    return finish_f32<Mode>(haswell_sums<Mode, L, false>(static_cast<const uint8_t*>(va), static_cast<const uint8_t*>(vb), n));
}

// The batch forms prefetch the next vector (its first 8 lines, counted in the kind's own
// bytes) while scoring the current one: a graph walk's neighbours are scattered, so the
// hardware cannot guess them. 16 lines measured no better on Fashion-MNIST (784 dims).
USG_INLINE void prefetch_next(const uint8_t* v, size_t bytes) {
    if (bytes > 512) bytes = 512;
    for (size_t line = 0; line < bytes; line += 64) USG_PREFETCH(v + line);
}

// For cos the query's squared norm is taken once per batch (as skylake_sums and haswell_sums
// would take it for every pair: the distances are the pair form's to the bit).
template <int Mode, typename L> USG_TARGET_SKYLAKE void skylake_batch(const void* q, const uint8_t* const* v, size_t count, size_t n, float* out) {
    const uint8_t* a = static_cast<const uint8_t*>(q);
    float aa = Mode == mode_cos && count ? skylake_sums<mode_cos, L, false>(a, a, n).aa : 0;
    for (size_t i = 0; i < count; ++i) {
        if (i + 1 < count) prefetch_next(v[i + 1], n * L::bytes);
        sums_f32 t = skylake_sums<Mode, L, true>(a, v[i], n);
        t.aa = aa;
        out[i] = finish_f32<Mode>(t);
    }
}
template <int Mode, typename L> USG_TARGET_HASWELL void haswell_batch(const void* q, const uint8_t* const* v, size_t count, size_t n, float* out) {
    const uint8_t* a = static_cast<const uint8_t*>(q);
    float aa = Mode == mode_cos && count ? haswell_sums<mode_cos, L, false>(a, a, n).aa : 0;
    for (size_t i = 0; i < count; ++i) {
        if (i + 1 < count) prefetch_next(v[i + 1], n * L::bytes);
        sums_f32 t = haswell_sums<Mode, L, true>(a, v[i], n);
        t.aa = aa;
        out[i] = finish_f32<Mode>(t);
    }
}
template <int Mode, typename L> USG_TARGET_SKYLAKE float skylake_entry(const void* a, const void* b, size_t n) { return skylake_pair<Mode, L>(a, b, n); }
template <int Mode, typename L> USG_TARGET_HASWELL float haswell_entry(const void* a, const void* b, size_t n) { return haswell_pair<Mode, L>(a, b, n); }

template <int Mode, typename L> inline kernel_t skylake_kernel() {
    return {skylake_entry<Mode, L>, skylake_batch<Mode, L>, "skylake"};
}
template <int Mode, typename L> inline kernel_t haswell_kernel() {
    return {haswell_entry<Mode, L>, haswell_batch<Mode, L>, "haswell"};
}

// ---- one-byte integers (i8, u8): exact integer sums ----
// The serial kernels sum products exactly, and so do these: products are summed in 32-bit
// lanes over blocks of at most int_block elements (small enough that no lane can overflow:
// 2^16 elements put at most 2^16 / 16 * 2 * 255^2 < 2^28 in a lane) and the blocks in 64 bits.
constexpr size_t int_block = size_t(1) << 16;

// int_sums are the sums an integer distance needs: ab holds the dot product (ip, cos) or
// the sum of squared differences (l2sq); aa and bb the squared norms (cos).
struct int_sums {
    int64_t ab = 0, aa = 0, bb = 0;
};

template <int Mode> inline float int_finish(const int_sums& s) {
    if (Mode == mode_l2sq) return float(s.ab);
    if (Mode == mode_ip) return float(1.0 - double(s.ab));
    return cos_finish(double(s.ab), double(s.aa), double(s.bb));
}

// int_pair cuts a vector pair into blocks for Block (one ISA's block kernel).
template <int Mode, typename Block> USG_INLINE float int_pair(const void* va, const void* vb, size_t n) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    int_sums s;
    for (size_t i = 0; i < n; i += int_block) Block::run(a + i, b + i, n - i < int_block ? n - i : int_block, s);
    return int_finish<Mode>(s);
}

USG_TARGET_SKYLAKE inline int64_t reduce_i32x16(__m512i v) {
    __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(v));
    __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1));
    return _mm512_reduce_add_epi64(_mm512_add_epi64(lo, hi));
}

USG_TARGET_SKYLAKE inline __mmask64 byte_mask(size_t left) {
    return left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
}

// AVX-512BW: widen 32 bytes to 16-bit lanes and multiply-add pairs into 32-bit lanes.
template <int Mode, bool Signed> struct skylake_int {
    static USG_TARGET_SKYLAKE inline __m512i widen(__m256i v) {
        return Signed ? _mm512_cvtepi8_epi16(v) : _mm512_cvtepu8_epi16(v);
    }
    static USG_TARGET_SKYLAKE inline void step(__m512i x, __m512i y, __m512i& s, __m512i& aa, __m512i& bb) {
        if (Mode == mode_l2sq) {
            __m512i d = _mm512_sub_epi16(x, y);
            s = _mm512_add_epi32(s, _mm512_madd_epi16(d, d));
        } else {
            s = _mm512_add_epi32(s, _mm512_madd_epi16(x, y));
            if (Mode == mode_cos)
                aa = _mm512_add_epi32(aa, _mm512_madd_epi16(x, x)), bb = _mm512_add_epi32(bb, _mm512_madd_epi16(y, y));
        }
    }
    static USG_TARGET_SKYLAKE inline void run(const uint8_t* a, const uint8_t* b, size_t n, int_sums& out) {
        __m512i s0 = _mm512_setzero_si512(), s1 = s0, aa = s0, bb = s0;
        size_t i = 0;
        for (; i + 64 <= n; i += 64) {
            __m512i x0 = widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)));
            __m512i y0 = widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i)));
            __m512i x1 = widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i + 32)));
            __m512i y1 = widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i + 32)));
            step(x0, y0, s0, aa, bb), step(x1, y1, s1, aa, bb);
        }
        for (; i < n; i += 32) {
            size_t left = n - i;
            __mmask32 m = left >= 32 ? ~__mmask32(0) : __mmask32((1u << left) - 1);
            step(widen(_mm256_maskz_loadu_epi8(m, a + i)), widen(_mm256_maskz_loadu_epi8(m, b + i)), s0, aa, bb);
        }
        out.ab += reduce_i32x16(_mm512_add_epi32(s0, s1));
        if (Mode == mode_cos) out.aa += reduce_i32x16(aa), out.bb += reduce_i32x16(bb);
    }
};

// AVX-512 VNNI. vpdpbusd multiplies unsigned bytes by signed bytes, four at a time, into
// 32-bit lanes; flipping the top bit of a byte (x ^ 0x80) moves it between the two
// readings at a cost of 128 times a plain sum, which the kernel adds back:
//   u8:  x * (y ^ 0x80) = x * (y - 128),   so  sum xy = dpbusd(x, y ^ 0x80) + 128 sum x
//   i8:  (x ^ 0x80) * y = (x + 128) * y,   so  sum xy = dpbusd(x ^ 0x80, y) - 128 sum y
// Zero bytes (the masked tail) contribute nothing to either form. Sums of u8 come from
// vpsadbw, sums of i8 from vpdpbusd against ones. l2sq squares |x - y|, which fits an
// unsigned byte, the same way (i8 first moves to u8 order by flipping the top bit).
template <int Mode, bool Signed> struct ice_int {
    struct acc {
        __m512i ab, aa, bb, sa, sb;  // sa, sb: 64-bit lanes (u8, vpsadbw) or 32-bit (i8)
    };
    static USG_TARGET_ICE inline void step(__m512i x, __m512i y, acc& c) {
        const __m512i flip = _mm512_set1_epi8(char(0x80)), zero = _mm512_setzero_si512();
        if (Mode == mode_l2sq) {
            if (Signed) x = _mm512_xor_si512(x, flip), y = _mm512_xor_si512(y, flip);
            __m512i d = _mm512_or_si512(_mm512_subs_epu8(x, y), _mm512_subs_epu8(y, x));
            c.ab = _mm512_dpbusd_epi32(c.ab, d, _mm512_xor_si512(d, flip));
            c.sa = _mm512_add_epi64(c.sa, _mm512_sad_epu8(d, zero));
        } else if (!Signed) {
            c.ab = _mm512_dpbusd_epi32(c.ab, x, _mm512_xor_si512(y, flip));
            c.sa = _mm512_add_epi64(c.sa, _mm512_sad_epu8(x, zero));
            if (Mode == mode_cos) {
                c.aa = _mm512_dpbusd_epi32(c.aa, x, _mm512_xor_si512(x, flip));
                c.bb = _mm512_dpbusd_epi32(c.bb, y, _mm512_xor_si512(y, flip));
                c.sb = _mm512_add_epi64(c.sb, _mm512_sad_epu8(y, zero));
            }
        } else {
            const __m512i ones = _mm512_set1_epi8(1);
            __m512i xf = _mm512_xor_si512(x, flip);
            c.ab = _mm512_dpbusd_epi32(c.ab, xf, y);
            c.sb = _mm512_dpbusd_epi32(c.sb, ones, y);
            if (Mode == mode_cos) {
                c.aa = _mm512_dpbusd_epi32(c.aa, xf, x);
                c.bb = _mm512_dpbusd_epi32(c.bb, _mm512_xor_si512(y, flip), y);
                c.sa = _mm512_dpbusd_epi32(c.sa, ones, x);
            }
        }
    }
    static USG_TARGET_ICE inline int64_t sum64(__m512i v) { return _mm512_reduce_add_epi64(v); }
    // total adds two accumulators of byte sums: 64-bit lanes for u8 (vpsadbw), 32-bit
    // lanes for i8 (vpdpbusd).
    static USG_TARGET_ICE inline int64_t total(__m512i u, __m512i v) {
        return Signed ? reduce_i32x16(_mm512_add_epi32(u, v)) : sum64(_mm512_add_epi64(u, v));
    }
    static USG_TARGET_ICE inline void run(const uint8_t* a, const uint8_t* b, size_t n, int_sums& out) {
        const __m512i zero = _mm512_setzero_si512();
        acc c0{zero, zero, zero, zero, zero}, c1 = c0;
        size_t i = 0;
        for (; i + 128 <= n; i += 128) {
            step(_mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i), c0);
            step(_mm512_loadu_si512(a + i + 64), _mm512_loadu_si512(b + i + 64), c1);
        }
        for (; i < n; i += 64) {
            __mmask64 m = byte_mask(n - i);
            step(_mm512_maskz_loadu_epi8(m, a + i), _mm512_maskz_loadu_epi8(m, b + i), c0);
        }
        int64_t ab = reduce_i32x16(_mm512_add_epi32(c0.ab, c1.ab));
        if (Mode == mode_l2sq) {
            out.ab += ab + 128 * sum64(_mm512_add_epi64(c0.sa, c1.sa));
            return;
        }
        if (!Signed) {
            int64_t sa = total(c0.sa, c1.sa);
            out.ab += ab + 128 * sa;
            if (Mode == mode_cos) {
                out.aa += reduce_i32x16(_mm512_add_epi32(c0.aa, c1.aa)) + 128 * sa;
                out.bb += reduce_i32x16(_mm512_add_epi32(c0.bb, c1.bb)) + 128 * total(c0.sb, c1.sb);
            }
        } else {
            int64_t sb = total(c0.sb, c1.sb);
            out.ab += ab - 128 * sb;
            if (Mode == mode_cos) {
                out.aa += reduce_i32x16(_mm512_add_epi32(c0.aa, c1.aa)) - 128 * total(c0.sa, c1.sa);
                out.bb += reduce_i32x16(_mm512_add_epi32(c0.bb, c1.bb)) - 128 * sb;
            }
        }
    }
};

// AVX2: widen 16 bytes to 16-bit lanes and multiply-add pairs; the tail is serial.
template <int Mode, bool Signed> struct haswell_int {
    static USG_TARGET_HASWELL inline __m256i widen(const uint8_t* p) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        return Signed ? _mm256_cvtepi8_epi16(v) : _mm256_cvtepu8_epi16(v);
    }
    static USG_TARGET_HASWELL inline void step(__m256i x, __m256i y, __m256i& s, __m256i& aa, __m256i& bb) {
        if (Mode == mode_l2sq) {
            __m256i d = _mm256_sub_epi16(x, y);
            s = _mm256_add_epi32(s, _mm256_madd_epi16(d, d));
        } else {
            s = _mm256_add_epi32(s, _mm256_madd_epi16(x, y));
            if (Mode == mode_cos)
                aa = _mm256_add_epi32(aa, _mm256_madd_epi16(x, x)), bb = _mm256_add_epi32(bb, _mm256_madd_epi16(y, y));
        }
    }
    static USG_TARGET_HASWELL inline int64_t reduce(__m256i v) {
        __m256i w = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)),
                                     _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1)));
        __m128i h = _mm_add_epi64(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
        return _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
    }
    static USG_TARGET_HASWELL inline void run(const uint8_t* a, const uint8_t* b, size_t n, int_sums& out) {
        __m256i s0 = _mm256_setzero_si256(), s1 = s0, aa = s0, bb = s0;
        size_t i = 0;
        for (; i + 32 <= n; i += 32) {
            step(widen(a + i), widen(b + i), s0, aa, bb);
            step(widen(a + i + 16), widen(b + i + 16), s1, aa, bb);
        }
        for (; i + 16 <= n; i += 16) step(widen(a + i), widen(b + i), s0, aa, bb);
        int64_t ab = reduce(_mm256_add_epi32(s0, s1)), xx = 0, yy = 0;
        if (Mode == mode_cos) xx = reduce(aa), yy = reduce(bb);
        for (; i < n; ++i) {
            int32_t x = Signed ? int32_t(int8_t(a[i])) : int32_t(a[i]), y = Signed ? int32_t(int8_t(b[i])) : int32_t(b[i]);
            if (Mode == mode_l2sq) ab += (x - y) * (x - y);
            else ab += x * y, xx += x * x, yy += y * y;
        }
        out.ab += ab;
        if (Mode == mode_cos) out.aa += xx, out.bb += yy;
    }
};

// ---- bf16 dot products (AVX512_BF16) ----
// vdpbf16ps multiplies pairs of bf16 exactly and adds both products to an f32 lane, so ip
// and cos need no widening. l2sq keeps the widening kernel: a difference of two bf16 is not
// a bf16, and a*a + b*b - 2ab loses the small distances that matter most to rounding.
template <int Mode> USG_TARGET_GENOA inline float genoa_bf16_pair(const void* va, const void* vb, size_t n) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, aa0 = s0, aa1 = s0, bb0 = s0, bb1 = s0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512bh x0 = (__m512bh)_mm512_loadu_si512(a + 2 * i), y0 = (__m512bh)_mm512_loadu_si512(b + 2 * i);
        __m512bh x1 = (__m512bh)_mm512_loadu_si512(a + 2 * i + 64), y1 = (__m512bh)_mm512_loadu_si512(b + 2 * i + 64);
        s0 = _mm512_dpbf16_ps(s0, x0, y0), s1 = _mm512_dpbf16_ps(s1, x1, y1);
        if (Mode == mode_cos) {
            aa0 = _mm512_dpbf16_ps(aa0, x0, x0), aa1 = _mm512_dpbf16_ps(aa1, x1, x1);
            bb0 = _mm512_dpbf16_ps(bb0, y0, y0), bb1 = _mm512_dpbf16_ps(bb1, y1, y1);
        }
    }
    for (; i < n; i += 32) {
        size_t left = n - i;
        __mmask32 m = left >= 32 ? ~__mmask32(0) : __mmask32((1u << left) - 1);
        __m512bh x = (__m512bh)_mm512_maskz_loadu_epi16(m, a + 2 * i), y = (__m512bh)_mm512_maskz_loadu_epi16(m, b + 2 * i);
        s0 = _mm512_dpbf16_ps(s0, x, y);
        if (Mode == mode_cos) aa0 = _mm512_dpbf16_ps(aa0, x, x), bb0 = _mm512_dpbf16_ps(bb0, y, y);
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    if (Mode == mode_ip) return 1.0f - s;
    return cos_finish(s, _mm512_reduce_add_ps(_mm512_add_ps(aa0, aa1)), _mm512_reduce_add_ps(_mm512_add_ps(bb0, bb1)));
}

// ---- bit metrics with 64-bit population counts (AVX512_VPOPCNTDQ) ----
template <int What> struct ice_bits {
    __m512i x, n_and, n_or, n_ab;  // n_ab: popcount(a) + popcount(b)
    USG_TARGET_ICE inline void step(__m512i u, __m512i v) {
        if (What == 0) x = _mm512_add_epi64(x, _mm512_popcnt_epi64(_mm512_xor_si512(u, v)));
        if (What >= 1) n_and = _mm512_add_epi64(n_and, _mm512_popcnt_epi64(_mm512_and_si512(u, v)));
        if (What == 1) n_or = _mm512_add_epi64(n_or, _mm512_popcnt_epi64(_mm512_or_si512(u, v)));
        if (What == 2) n_ab = _mm512_add_epi64(n_ab, _mm512_add_epi64(_mm512_popcnt_epi64(u), _mm512_popcnt_epi64(v)));
    }
};

// ice_bits_pair follows bits_pair (kernels.hpp) with 64-byte steps; the counts are exact.
template <int What> USG_TARGET_ICE inline float ice_bits_pair(const void* va, const void* vb, size_t bytes) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    const __m512i zero = _mm512_setzero_si512();
    ice_bits<What> c{zero, zero, zero, zero};
    size_t i = 0;
    for (; i + 64 <= bytes; i += 64) c.step(_mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
    if (i < bytes) {
        __mmask64 m = byte_mask(bytes - i);
        c.step(_mm512_maskz_loadu_epi8(m, a + i), _mm512_maskz_loadu_epi8(m, b + i));
    }
    if (What == 0) return float(uint64_t(_mm512_reduce_add_epi64(c.x)));
    uint64_t both = uint64_t(_mm512_reduce_add_epi64(c.n_and));
    if (What == 1) {
        uint64_t any = uint64_t(_mm512_reduce_add_epi64(c.n_or));
        return any ? 1.0f - float(both) / float(any) : 0.0f;
    }
    return 1.0f - 2.0f * float(both) / float(uint64_t(_mm512_reduce_add_epi64(c.n_ab)));
}

// ---- entry points for the kernels above ----

#define USG_X86_ENTRIES(NAME, ATTR)                                                                          \
    template <float (*Pair)(const void*, const void*, size_t), size_t Bytes>                                \
    ATTR float NAME##_entry_of(const void* a, const void* b, size_t n) {                                     \
        return Pair(a, b, n);                                                                                \
    }                                                                                                        \
    template <float (*Pair)(const void*, const void*, size_t), size_t Bytes>                                \
    ATTR void NAME##_batch_of(const void* q, const uint8_t* const* v, size_t count, size_t n, float* out) { \
        for (size_t i = 0; i < count; ++i) {                                                                 \
            if (i + 1 < count) prefetch_next(v[i + 1], n * Bytes);                                           \
            out[i] = Pair(q, v[i], n);                                                                       \
        }                                                                                                    \
    }
USG_X86_ENTRIES(haswell2, USG_TARGET_HASWELL)
USG_X86_ENTRIES(skylake2, USG_TARGET_SKYLAKE)
USG_X86_ENTRIES(ice, USG_TARGET_ICE)
USG_X86_ENTRIES(genoa, USG_TARGET_GENOA)
#undef USG_X86_ENTRIES

template <int Mode, bool Signed> USG_TARGET_HASWELL float haswell_int_pair(const void* a, const void* b, size_t n) {
    return int_pair<Mode, haswell_int<Mode, Signed>>(a, b, n);
}
template <int Mode, bool Signed> USG_TARGET_SKYLAKE float skylake_int_pair(const void* a, const void* b, size_t n) {
    return int_pair<Mode, skylake_int<Mode, Signed>>(a, b, n);
}
// ice_int_pair keeps the widening kernel for short vectors, where the VNNI form's extra
// byte-sum accumulators cost more in reductions than its wider steps save (measured on
// Zen 4: the VNNI form wins from ~256 elements for ip/cos and ~512 for l2sq).
template <int Mode, bool Signed> USG_TARGET_ICE float ice_int_pair(const void* a, const void* b, size_t n) {
    if (n < (Mode == mode_l2sq ? 512u : 256u)) return int_pair<Mode, skylake_int<Mode, Signed>>(a, b, n);
    return int_pair<Mode, ice_int<Mode, Signed>>(a, b, n);
}

// int_kernel picks the i8 or u8 kernel of a level.
template <int Mode> inline kernel_t int_kernel(scalar_kind k, int isa) {
    if (k != scalar_kind::i8 && k != scalar_kind::u8) return {};
    const char* name = isa_name(isa);
    if (k == scalar_kind::i8) {
        if (isa >= isa_ice) return {ice_entry_of<ice_int_pair<Mode, true>, 1>, ice_batch_of<ice_int_pair<Mode, true>, 1>, name};
        if (isa == isa_skylake)
            return {skylake2_entry_of<skylake_int_pair<Mode, true>, 1>, skylake2_batch_of<skylake_int_pair<Mode, true>, 1>, name};
        if (isa == isa_haswell)
            return {haswell2_entry_of<haswell_int_pair<Mode, true>, 1>, haswell2_batch_of<haswell_int_pair<Mode, true>, 1>, name};
        return {};
    }
    if (isa >= isa_ice) return {ice_entry_of<ice_int_pair<Mode, false>, 1>, ice_batch_of<ice_int_pair<Mode, false>, 1>, name};
    if (isa == isa_skylake)
        return {skylake2_entry_of<skylake_int_pair<Mode, false>, 1>, skylake2_batch_of<skylake_int_pair<Mode, false>, 1>, name};
    if (isa == isa_haswell)
        return {haswell2_entry_of<haswell_int_pair<Mode, false>, 1>, haswell2_batch_of<haswell_int_pair<Mode, false>, 1>, name};
    return {};
}

template <int Mode> inline kernel_t pick(scalar_kind k, int isa) {
    if (kernel_t ints = int_kernel<Mode>(k, isa); ints.pair) return ints;
    if (isa >= isa_genoa && k == scalar_kind::bf16 && Mode != mode_l2sq)
        return {genoa_entry_of<genoa_bf16_pair<Mode>, 2>, genoa_batch_of<genoa_bf16_pair<Mode>, 2>, isa_name(isa)};
    if (isa >= isa_skylake) {
        kernel_t fast;
        switch (k) {
        case scalar_kind::f32: fast = skylake_kernel<Mode, f32x16>(); break;
        case scalar_kind::f16: fast = skylake_kernel<Mode, f16x16>(); break;
        case scalar_kind::bf16: fast = skylake_kernel<Mode, bf16x16>(); break;
        case scalar_kind::e5m2: fast = skylake_kernel<Mode, minix16<mini_e5m2>>(); break;
        case scalar_kind::e4m3: fast = skylake_kernel<Mode, minix16<mini_e4m3>>(); break;
        case scalar_kind::e3m2: fast = skylake_kernel<Mode, minix16<mini_e3m2>>(); break;
        case scalar_kind::e2m3: fast = skylake_kernel<Mode, minix16<mini_e2m3>>(); break;
        default: return {};
        }
        fast.isa = isa_name(isa);
        return fast;
    }
    if (isa == isa_haswell) {
        switch (k) {
        case scalar_kind::f32: return haswell_kernel<Mode, f32x8>();
        case scalar_kind::f16: return haswell_kernel<Mode, f16x8>();
        case scalar_kind::bf16: return haswell_kernel<Mode, bf16x8>();
        case scalar_kind::e5m2: return haswell_kernel<Mode, minix8<mini_e5m2, dec_e5m2>>();
        case scalar_kind::e4m3: return haswell_kernel<Mode, minix8<mini_e4m3, dec_e4m3>>();
        case scalar_kind::e3m2: return haswell_kernel<Mode, minix8<mini_e3m2, dec_e3m2>>();
        case scalar_kind::e2m3: return haswell_kernel<Mode, minix8<mini_e2m3, dec_e2m3>>();
        default: return {};
        }
    }
    return {};
}

// specialized returns a hand-written kernel for the pair, or an empty one.
inline kernel_t specialized(metric_kind m, scalar_kind k, int isa) {
    switch (m) {
    case metric_kind::ip: return pick<mode_ip>(k, isa);
    case metric_kind::l2sq: return pick<mode_l2sq>(k, isa);
    case metric_kind::cos: return pick<mode_cos>(k, isa);
    case metric_kind::hamming:
        if (isa >= isa_ice) return {ice_entry_of<ice_bits_pair<0>, 1>, ice_batch_of<ice_bits_pair<0>, 1>, isa_name(isa)};
        return {};
    case metric_kind::tanimoto: case metric_kind::jaccard:
        if (isa >= isa_ice) return {ice_entry_of<ice_bits_pair<1>, 1>, ice_batch_of<ice_bits_pair<1>, 1>, isa_name(isa)};
        return {};
    case metric_kind::sorensen:
        if (isa >= isa_ice) return {ice_entry_of<ice_bits_pair<2>, 1>, ice_batch_of<ice_bits_pair<2>, 1>, isa_name(isa)};
        return {};
    default: return {};
    }
}

}  // namespace x86
}  // namespace kern
}  // namespace usg

USG_X86_INTRINSICS_END
