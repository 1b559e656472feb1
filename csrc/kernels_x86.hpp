// kernels_x86.hpp: hand-written AVX2 and AVX-512 kernels for the hottest pairs: ip, l2sq
// and cos over f32, f16 and bf16 storage. Each loader widens 8 or 16 elements to f32 lanes;
// tails use masked loads (AVX-512) or a scalar loop (AVX2). Included by kernels.hpp on
// x86-64 only; the compiler needs no -m flags because every function names its target.
#pragma once

// GCC 12 reports its own AVX-512 intrinsics (which start from _mm512_undefined_*) as using
// uninitialised values once they are inlined here; the values are fully written.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

namespace usg {
namespace kern {
namespace x86 {

#define USG_TARGET_SKYLAKE __attribute__((target(USG_SKYLAKE_FEATURES)))
#define USG_TARGET_HASWELL __attribute__((target("avx2,fma,f16c,popcnt")))

enum mode_t { mode_ip = 0, mode_l2sq = 1, mode_cos = 2 };

// ---- AVX-512: 16 lanes ----
struct f32x16 {
    static USG_TARGET_SKYLAKE inline __m512 load(const uint8_t* p, size_t i) { return _mm512_loadu_ps(p + 4 * i); }
    static USG_TARGET_SKYLAKE inline __m512 load_tail(const uint8_t* p, size_t i, __mmask16 m) {
        return _mm512_maskz_loadu_ps(m, p + 4 * i);
    }
};
struct f16x16 {
    static USG_TARGET_SKYLAKE inline __m512 load(const uint8_t* p, size_t i) {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * i)));
    }
    static USG_TARGET_SKYLAKE inline __m512 load_tail(const uint8_t* p, size_t i, __mmask16 m) {
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p + 2 * i));
    }
};
struct bf16x16 {
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

template <int Mode, typename L>
USG_TARGET_SKYLAKE inline float skylake_pair(const void* va, const void* vb, size_t n) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 aa0 = _mm512_setzero_ps(), aa1 = _mm512_setzero_ps();
    __m512 bb0 = _mm512_setzero_ps(), bb1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 x0 = L::load(a, i), y0 = L::load(b, i), x1 = L::load(a, i + 16), y1 = L::load(b, i + 16);
        if (Mode == mode_l2sq) {
            __m512 d0 = _mm512_sub_ps(x0, y0), d1 = _mm512_sub_ps(x1, y1);
            s0 = _mm512_fmadd_ps(d0, d0, s0), s1 = _mm512_fmadd_ps(d1, d1, s1);
        } else {
            s0 = _mm512_fmadd_ps(x0, y0, s0), s1 = _mm512_fmadd_ps(x1, y1, s1);
            if (Mode == mode_cos) {
                aa0 = _mm512_fmadd_ps(x0, x0, aa0), aa1 = _mm512_fmadd_ps(x1, x1, aa1);
                bb0 = _mm512_fmadd_ps(y0, y0, bb0), bb1 = _mm512_fmadd_ps(y1, y1, bb1);
            }
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
            if (Mode == mode_cos) aa0 = _mm512_fmadd_ps(x, x, aa0), bb0 = _mm512_fmadd_ps(y, y, bb0);
        }
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    if (Mode == mode_l2sq) return s;
    if (Mode == mode_ip) return 1.0f - s;
    return cos_finish(s, _mm512_reduce_add_ps(_mm512_add_ps(aa0, aa1)), _mm512_reduce_add_ps(_mm512_add_ps(bb0, bb1)));
}

// ---- AVX2: 8 lanes, scalar tail ----
struct f32x8 {
    static USG_TARGET_HASWELL inline __m256 load(const uint8_t* p, size_t i) { return _mm256_loadu_ps(reinterpret_cast<const float*>(p + 4 * i)); }
    static inline float one(const uint8_t* p, size_t i) { return dec_f32::get(p, i); }
};
struct f16x8 {
    static USG_TARGET_HASWELL inline __m256 load(const uint8_t* p, size_t i) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * i)));
    }
    static inline float one(const uint8_t* p, size_t i) { return dec_f16::get(p, i); }
};
struct bf16x8 {
    static USG_TARGET_HASWELL inline __m256 load(const uint8_t* p, size_t i) {
        __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * i));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    static inline float one(const uint8_t* p, size_t i) { return dec_bf16::get(p, i); }
};

template <int K, typename D> struct minix8 {
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

template <int Mode, typename L>
USG_TARGET_HASWELL inline float haswell_pair(const void* va, const void* vb, size_t n) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 aa0 = _mm256_setzero_ps(), aa1 = _mm256_setzero_ps();
    __m256 bb0 = _mm256_setzero_ps(), bb1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 x0 = L::load(a, i), y0 = L::load(b, i), x1 = L::load(a, i + 8), y1 = L::load(b, i + 8);
        if (Mode == mode_l2sq) {
            __m256 d0 = _mm256_sub_ps(x0, y0), d1 = _mm256_sub_ps(x1, y1);
            s0 = _mm256_fmadd_ps(d0, d0, s0), s1 = _mm256_fmadd_ps(d1, d1, s1);
        } else {
            s0 = _mm256_fmadd_ps(x0, y0, s0), s1 = _mm256_fmadd_ps(x1, y1, s1);
            if (Mode == mode_cos) {
                aa0 = _mm256_fmadd_ps(x0, x0, aa0), aa1 = _mm256_fmadd_ps(x1, x1, aa1);
                bb0 = _mm256_fmadd_ps(y0, y0, bb0), bb1 = _mm256_fmadd_ps(y1, y1, bb1);
            }
        }
    }
    for (; i + 8 <= n; i += 8) {
        __m256 x = L::load(a, i), y = L::load(b, i);
        if (Mode == mode_l2sq) {
            __m256 d = _mm256_sub_ps(x, y);
            s0 = _mm256_fmadd_ps(d, d, s0);
        } else {
            s0 = _mm256_fmadd_ps(x, y, s0);
            if (Mode == mode_cos) aa0 = _mm256_fmadd_ps(x, x, aa0), bb0 = _mm256_fmadd_ps(y, y, bb0);
        }
    }
    float s = hsum256(_mm256_add_ps(s0, s1)), sa = 0, sb = 0;
    if (Mode == mode_cos) sa = hsum256(_mm256_add_ps(aa0, aa1)), sb = hsum256(_mm256_add_ps(bb0, bb1));
    for (; i < n; ++i) {
        float x = L::one(a, i), y = L::one(b, i);
        if (Mode == mode_l2sq) s += (x - y) * (x - y);
        else s += x * y, sa += x * x, sb += y * y;
    }
    if (Mode == mode_l2sq) return s;
    if (Mode == mode_ip) return 1.0f - s;
    return cos_finish(s, sa, sb);
}

template <int Mode, typename L> USG_TARGET_SKYLAKE void skylake_batch(const void* q, const uint8_t* const* v, size_t count, size_t n, float* out) {
    for (size_t i = 0; i < count; ++i) {
        if (i + 1 < count) prefetch_vector(v[i + 1], n * 4);
        out[i] = skylake_pair<Mode, L>(q, v[i], n);
    }
}
template <int Mode, typename L> USG_TARGET_HASWELL void haswell_batch(const void* q, const uint8_t* const* v, size_t count, size_t n, float* out) {
    for (size_t i = 0; i < count; ++i) {
        if (i + 1 < count) prefetch_vector(v[i + 1], n * 4);
        out[i] = haswell_pair<Mode, L>(q, v[i], n);
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

template <int Mode> inline kernel_t pick(scalar_kind k, int isa) {
    if (isa == isa_skylake) {
        switch (k) {
        case scalar_kind::f32: return {skylake_entry<Mode, f32x16>, skylake_batch<Mode, f32x16>, "skylake"};
        case scalar_kind::f16: return {skylake_entry<Mode, f16x16>, skylake_batch<Mode, f16x16>, "skylake"};
        case scalar_kind::bf16: return {skylake_entry<Mode, bf16x16>, skylake_batch<Mode, bf16x16>, "skylake"};
        case scalar_kind::e5m2: return skylake_kernel<Mode, minix16<mini_e5m2>>();
        case scalar_kind::e4m3: return skylake_kernel<Mode, minix16<mini_e4m3>>();
        case scalar_kind::e3m2: return skylake_kernel<Mode, minix16<mini_e3m2>>();
        case scalar_kind::e2m3: return skylake_kernel<Mode, minix16<mini_e2m3>>();
        default: return {};
        }
    }
    if (isa == isa_haswell) {
        switch (k) {
        case scalar_kind::f32: return {haswell_entry<Mode, f32x8>, haswell_batch<Mode, f32x8>, "haswell"};
        case scalar_kind::f16: return {haswell_entry<Mode, f16x8>, haswell_batch<Mode, f16x8>, "haswell"};
        case scalar_kind::bf16: return {haswell_entry<Mode, bf16x8>, haswell_batch<Mode, bf16x8>, "haswell"};
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
    default: return {};
    }
}

}  // namespace x86
}  // namespace kern
}  // namespace usg

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
