// kernels_arm.hpp: hand-written arm64 kernels and their run-time choice. Included by
// kernels.hpp on aarch64 only. Four levels, each needing the features of the ones before it
// (so "usable" stays "not above cpu_isa()"):
//   neon       baseline Advanced SIMD, present on every arm64 CPU: every metric x kind
//   neon_i8    + dot product (SDOT/UDOT): i8 and u8 ip, l2sq, cos
//   neon_f16   + FP16 and FHM (FMLAL/FMLAL2): f16 ip and cos
//   neon_bf16  + BF16 (BFMLALB/BFMLALT): bf16 ip and cos
// Every other pair at a level runs the code of the level below (labelled with its level,
// so that an index reports the level it was built for).
//
// The extensions widen into f32 accumulators with products that are exact (f16 x f16 and
// bf16 x bf16 fit an f32 significand) and fused, so they agree with the baseline to the last
// rounding of the sums. Plain FP16 arithmetic (FADD/FMLA on halves) is not used: sums in
// binary16 overflow at 65504 and lose the precision the serial kernels keep. BFDOT is not
// used either: it flushes subnormals and rounds to odd in between, so results would depend on
// the CPU. Functions name their features with target attributes, so the baseline build needs
// no -march flag; kernels_arm_target.hpp spells them per compiler and drops the levels an old
// compiler cannot build (their code is left out below).
#pragma once

#include <arm_neon.h>

#include <algorithm>
#include <limits>

#if defined(__linux__)
#include <sys/auxv.h>
#elif defined(__APPLE__)
#include <sys/sysctl.h>
#endif

namespace usg {
namespace kern {
namespace arm {

// Spelling of the attributes: kernels_arm_target.hpp.
#define USG_ARM_DOT __attribute__((target(USG_ARM_BASE "+dotprod")))
#define USG_ARM_FHM __attribute__((target(USG_ARM_BASE "+fp16+fp16fml")))
#define USG_ARM_BF16 __attribute__((target(USG_ARM_BASE "+bf16")))
// Entry points of a level carry the features of every level up to it, so that kernels of
// lower levels inline into them.
#define USG_ARM_LEVEL_I8 USG_ARM_DOT
#define USG_ARM_LEVEL_F16 __attribute__((target(USG_ARM_BASE "+dotprod+fp16+fp16fml")))
#define USG_ARM_LEVEL_BF16 __attribute__((target(USG_ARM_BASE "+dotprod+fp16+fp16fml+bf16")))

enum mode_t { mode_ip = 0, mode_l2sq = 1, mode_cos = 2, mode_pearson = 3 };

USG_INLINE float32x4_t f32_bytes(const uint8_t* p) { return vreinterpretq_f32_u8(vld1q_u8(p)); }

// ---- loaders: 8 elements of a kind -> two f32x4 (lo, hi); `one` decodes a tail element ----

struct f32_l {
    static USG_INLINE void load(const uint8_t* p, size_t i, float32x4_t& lo, float32x4_t& hi) {
        lo = f32_bytes(p + 4 * i), hi = f32_bytes(p + 4 * i + 16);
    }
    static USG_INLINE float one(const uint8_t* p, size_t i) { return dec_f32::get(p, i); }
};
struct f16_l {
    static USG_INLINE void load(const uint8_t* p, size_t i, float32x4_t& lo, float32x4_t& hi) {
        float16x8_t h = vreinterpretq_f16_u8(vld1q_u8(p + 2 * i));  // FCVTL is baseline, subnormals exact
        lo = vcvt_f32_f16(vget_low_f16(h)), hi = vcvt_high_f32_f16(h);
    }
    static USG_INLINE float one(const uint8_t* p, size_t i) { return dec_f16::get(p, i); }
};
struct bf16_l {
    static USG_INLINE void load(const uint8_t* p, size_t i, float32x4_t& lo, float32x4_t& hi) {
        uint16x8_t h = vreinterpretq_u16_u8(vld1q_u8(p + 2 * i));
        lo = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(h), 16));
        hi = vreinterpretq_f32_u32(vshll_high_n_u16(h, 16));
    }
    static USG_INLINE float one(const uint8_t* p, size_t i) { return dec_bf16::get(p, i); }
};
// Integers widen exactly to f32 (pearson only: ip, l2sq and cos stay in integers).
struct i8_l {
    static USG_INLINE void load(const uint8_t* p, size_t i, float32x4_t& lo, float32x4_t& hi) {
        int16x8_t w = vmovl_s8(vld1_s8(reinterpret_cast<const int8_t*>(p + i)));
        lo = vcvtq_f32_s32(vmovl_s16(vget_low_s16(w))), hi = vcvtq_f32_s32(vmovl_high_s16(w));
    }
    static USG_INLINE float one(const uint8_t* p, size_t i) { return float(dec_i8::get(p, i)); }
};
struct u8_l {
    static USG_INLINE void load(const uint8_t* p, size_t i, float32x4_t& lo, float32x4_t& hi) {
        uint16x8_t w = vmovl_u8(vld1_u8(p + i));
        lo = vcvtq_f32_u32(vmovl_u16(vget_low_u16(w))), hi = vcvtq_f32_u32(vmovl_high_u16(w));
    }
    static USG_INLINE float one(const uint8_t* p, size_t i) { return float(dec_u8::get(p, i)); }
};
// f64 narrows to f32 (pearson only, which accumulates in f32 like the serial kernel).
struct f64_l {
    static USG_INLINE void load(const uint8_t* p, size_t i, float32x4_t& lo, float32x4_t& hi) {
        const uint8_t* q = p + 8 * i;
        auto d = [&](int k) { return vreinterpretq_f64_u8(vld1q_u8(q + 16 * k)); };
        lo = vcvt_high_f32_f64(vcvt_f32_f64(d(0)), d(1)), hi = vcvt_high_f32_f64(vcvt_f32_f64(d(2)), d(3));
    }
    static USG_INLINE float one(const uint8_t* p, size_t i) { return float(dec_f64::get(p, i)); }
};

// Mini-floats widen through binary16, the same field placement as the x86 kernels: a few
// integer operations move each byte's sign, exponent and mantissa to where an f16 keeps them,
// FCVTL converts (subnormals included) and a power of two fixes the exponent bias. e5m2 is the
// upper byte of an f16; e4m3's NaN code x1111111 would read as 480, so those lanes become NaN;
// the FP6 kinds shift their ignored bits 6-7 out first.
enum mini_kind_t { mini_e5m2, mini_e4m3, mini_e3m2, mini_e2m3 };

template <int K> constexpr float mini_scale() {
    return K == mini_e5m2 ? 1.0f : K == mini_e4m3 ? 256.0f : K == mini_e3m2 ? 4096.0f : 16384.0f;
}

template <int K, typename D> struct mini_l {
    static USG_INLINE uint16x8_t f16_fields(uint8x8_t bytes) {
        if (K == mini_e5m2) return vshll_n_u8(bytes, 8);
        if (K == mini_e4m3)  // S EEEE MMM -> S 0 EEEE MMM 0000000
            return vandq_u16(vreinterpretq_u16_s16(vshlq_n_s16(vmovl_s8(vreinterpret_s8_u8(bytes)), 7)),
                             vdupq_n_u16(0xBF80));
        int16x8_t top = vreinterpretq_s16_u16(vshlq_n_u16(vmovl_u8(bytes), 10));
        if (K == mini_e3m2)  // S EEE MM -> S 00 EEE MM 00000000
            return vandq_u16(vreinterpretq_u16_s16(vshrq_n_s16(top, 2)), vdupq_n_u16(0x9F00));
        return vandq_u16(vreinterpretq_u16_s16(vshrq_n_s16(top, 3)), vdupq_n_u16(0x8F80));  // S EE MMM
    }
    static USG_INLINE void load(const uint8_t* p, size_t i, float32x4_t& lo, float32x4_t& hi) {
        uint8x8_t bytes = vld1_u8(p + i);
        float16x8_t h = vreinterpretq_f16_u16(f16_fields(bytes));
        lo = vcvt_f32_f16(vget_low_f16(h)), hi = vcvt_high_f32_f16(h);
        if (K != mini_e5m2) {
            lo = vmulq_n_f32(lo, mini_scale<K>()), hi = vmulq_n_f32(hi, mini_scale<K>());
        }
        if (K == mini_e4m3) {
            uint8x8_t nan8 = vceq_u8(vorr_u8(bytes, vdup_n_u8(0x80)), vdup_n_u8(0xFF));
            int16x8_t nan16 = vmovl_s8(vreinterpret_s8_u8(nan8));
            float32x4_t nan = vdupq_n_f32(std::numeric_limits<float>::quiet_NaN());
            lo = vbslq_f32(vreinterpretq_u32_s32(vmovl_s16(vget_low_s16(nan16))), nan, lo);
            hi = vbslq_f32(vreinterpretq_u32_s32(vmovl_high_s16(nan16)), nan, hi);
        }
    }
    static USG_INLINE float one(const uint8_t* p, size_t i) { return D::get(p, i); }
};

// ---- f32-accumulating kernel over any loader: ip, l2sq, cos, pearson ----

template <int Mode, typename L> USG_INLINE float float_pair(const void* va, const void* vb, size_t n) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    if (Mode == mode_pearson && n <= 1) return 0;
    float32x4_t z = vdupq_n_f32(0);
    float32x4_t s0 = z, s1 = z, s2 = z, s3 = z;      // ip / l2sq / ab
    float32x4_t aa0 = z, aa1 = z, bb0 = z, bb1 = z;  // cos, pearson
    float32x4_t sa0 = z, sa1 = z, sb0 = z, sb1 = z;  // pearson
    size_t i = 0;
    if (Mode == mode_ip || Mode == mode_l2sq) {
        // 16 elements, four independent chains: enough to hide the FMA latency.
        for (; i + 16 <= n; i += 16) {
            float32x4_t x0, x1, x2, x3, y0, y1, y2, y3;
            L::load(a, i, x0, x1), L::load(a, i + 8, x2, x3);
            L::load(b, i, y0, y1), L::load(b, i + 8, y2, y3);
            if (Mode == mode_l2sq) {
                x0 = vsubq_f32(x0, y0), x1 = vsubq_f32(x1, y1), x2 = vsubq_f32(x2, y2), x3 = vsubq_f32(x3, y3);
                y0 = x0, y1 = x1, y2 = x2, y3 = x3;
            }
            s0 = vfmaq_f32(s0, x0, y0), s1 = vfmaq_f32(s1, x1, y1);
            s2 = vfmaq_f32(s2, x2, y2), s3 = vfmaq_f32(s3, x3, y3);
        }
    }
    for (; i + 8 <= n; i += 8) {
        float32x4_t x0, x1, y0, y1;
        L::load(a, i, x0, x1), L::load(b, i, y0, y1);
        if (Mode == mode_l2sq) {
            x0 = vsubq_f32(x0, y0), x1 = vsubq_f32(x1, y1);
            y0 = x0, y1 = x1;
        }
        s0 = vfmaq_f32(s0, x0, y0), s1 = vfmaq_f32(s1, x1, y1);
        if (Mode == mode_cos || Mode == mode_pearson) {
            aa0 = vfmaq_f32(aa0, x0, x0), aa1 = vfmaq_f32(aa1, x1, x1);
            bb0 = vfmaq_f32(bb0, y0, y0), bb1 = vfmaq_f32(bb1, y1, y1);
        }
        if (Mode == mode_pearson) {
            sa0 = vaddq_f32(sa0, x0), sa1 = vaddq_f32(sa1, x1);
            sb0 = vaddq_f32(sb0, y0), sb1 = vaddq_f32(sb1, y1);
        }
    }
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
    float saa = vaddvq_f32(vaddq_f32(aa0, aa1)), sbb = vaddvq_f32(vaddq_f32(bb0, bb1));
    float sa = vaddvq_f32(vaddq_f32(sa0, sa1)), sb = vaddvq_f32(vaddq_f32(sb0, sb1));
    for (; i < n; ++i) {
        float x = L::one(a, i), y = L::one(b, i);
        if (Mode == mode_l2sq) x -= y, y = x;
        s += x * y, saa += x * x, sbb += y * y, sa += x, sb += y;
    }
    if (Mode == mode_l2sq) return s;
    if (Mode == mode_ip) return float(1.0 - double(s));
    if (Mode == mode_cos) return cos_finish(s, saa, sbb);
    // Pearson: the serial kernel's formula over the same five sums.
    return pearson_finish(n, sa, sb, s, saa, sbb);
}

// ---- f64: ip, l2sq, cos accumulate in f64 like the serial kernel ----

template <int Mode> USG_INLINE float f64_pair(const void* va, const void* vb, size_t n) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    auto ld = [](const uint8_t* p, size_t i) { return vreinterpretq_f64_u8(vld1q_u8(p + 8 * i)); };
    float64x2_t z = vdupq_n_f64(0);
    float64x2_t s0 = z, s1 = z, s2 = z, s3 = z, aa0 = z, aa1 = z, bb0 = z, bb1 = z;
    size_t i = 0;
    if (Mode != mode_cos) {
        for (; i + 8 <= n; i += 8) {
            float64x2_t x0 = ld(a, i), x1 = ld(a, i + 2), x2 = ld(a, i + 4), x3 = ld(a, i + 6);
            float64x2_t y0 = ld(b, i), y1 = ld(b, i + 2), y2 = ld(b, i + 4), y3 = ld(b, i + 6);
            if (Mode == mode_l2sq) {
                x0 = vsubq_f64(x0, y0), x1 = vsubq_f64(x1, y1), x2 = vsubq_f64(x2, y2), x3 = vsubq_f64(x3, y3);
                y0 = x0, y1 = x1, y2 = x2, y3 = x3;
            }
            s0 = vfmaq_f64(s0, x0, y0), s1 = vfmaq_f64(s1, x1, y1);
            s2 = vfmaq_f64(s2, x2, y2), s3 = vfmaq_f64(s3, x3, y3);
        }
    }
    for (; i + 4 <= n; i += 4) {
        float64x2_t x0 = ld(a, i), x1 = ld(a, i + 2), y0 = ld(b, i), y1 = ld(b, i + 2);
        if (Mode == mode_l2sq) {
            x0 = vsubq_f64(x0, y0), x1 = vsubq_f64(x1, y1);
            y0 = x0, y1 = x1;
        }
        s0 = vfmaq_f64(s0, x0, y0), s1 = vfmaq_f64(s1, x1, y1);
        if (Mode == mode_cos) {
            aa0 = vfmaq_f64(aa0, x0, x0), aa1 = vfmaq_f64(aa1, x1, x1);
            bb0 = vfmaq_f64(bb0, y0, y0), bb1 = vfmaq_f64(bb1, y1, y1);
        }
    }
    double s = vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
    double saa = vaddvq_f64(vaddq_f64(aa0, aa1)), sbb = vaddvq_f64(vaddq_f64(bb0, bb1));
    for (; i < n; ++i) {
        double x = dec_f64::get(a, i), y = dec_f64::get(b, i);
        if (Mode == mode_l2sq) x -= y, y = x;
        s += x * y, saa += x * x, sbb += y * y;
    }
    if (Mode == mode_l2sq) return float(s);
    if (Mode == mode_ip) return float(1.0 - s);
    return cos_finish(s, saa, sbb);
}

// ---- integers: exact sums, 32-bit lanes flushed into 64-bit totals every block ----

// int_finish turns exact integer sums into the distance the serial kernel computes.
template <int Mode> USG_INLINE float int_finish(int64_t ab, int64_t aa, int64_t bb) {
    if (Mode == mode_l2sq) return float(ab);
    if (Mode == mode_ip) return float(1.0 - double(ab));
    return cos_finish(double(ab), double(aa), double(bb));
}

// Bytes per block: small enough that no 32-bit lane can overflow (a widening step adds at
// most 2 x 255^2 per lane, a dot-product step 4 x 255^2).
constexpr size_t int_block = 16 * 4096;

// int_pair is the baseline: widening multiplies (8 x 8 -> 16 bits, exact) and pairwise
// accumulation into 32-bit lanes. For l2sq the absolute difference fits a byte, so both
// kinds square it as unsigned.
template <int Mode, bool Signed> USG_INLINE float int_pair(const void* va, const void* vb, size_t n) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    int64_t ab = 0, aa = 0, bb = 0;
    size_t i = 0;
    while (i + 16 <= n) {
        size_t end = i + std::min(int_block, (n - i) & ~size_t(15));
        if (Mode == mode_l2sq) {
            uint32x4_t s0 = vdupq_n_u32(0), s1 = s0;
            for (; i < end; i += 16) {
                uint8x16_t d = Signed ? vreinterpretq_u8_s8(vabdq_s8(vreinterpretq_s8_u8(vld1q_u8(a + i)),
                                                                     vreinterpretq_s8_u8(vld1q_u8(b + i))))
                                      : vabdq_u8(vld1q_u8(a + i), vld1q_u8(b + i));
                s0 = vpadalq_u16(s0, vmull_u8(vget_low_u8(d), vget_low_u8(d)));
                s1 = vpadalq_u16(s1, vmull_high_u8(d, d));
            }
            ab += int64_t(vaddlvq_u32(vaddq_u32(s0, s1)));  // each lane < 2^31: no overflow in the add
        } else if (Signed) {
            int32x4_t s0 = vdupq_n_s32(0), s1 = s0, x0 = s0, x1 = s0, y0 = s0, y1 = s0;
            for (; i < end; i += 16) {
                int8x16_t x = vld1q_s8(reinterpret_cast<const int8_t*>(a + i));
                int8x16_t y = vld1q_s8(reinterpret_cast<const int8_t*>(b + i));
                s0 = vpadalq_s16(s0, vmull_s8(vget_low_s8(x), vget_low_s8(y)));
                s1 = vpadalq_s16(s1, vmull_high_s8(x, y));
                if (Mode == mode_cos) {
                    x0 = vpadalq_s16(x0, vmull_s8(vget_low_s8(x), vget_low_s8(x)));
                    x1 = vpadalq_s16(x1, vmull_high_s8(x, x));
                    y0 = vpadalq_s16(y0, vmull_s8(vget_low_s8(y), vget_low_s8(y)));
                    y1 = vpadalq_s16(y1, vmull_high_s8(y, y));
                }
            }
            ab += vaddlvq_s32(s0) + vaddlvq_s32(s1);
            aa += vaddlvq_s32(x0) + vaddlvq_s32(x1), bb += vaddlvq_s32(y0) + vaddlvq_s32(y1);
        } else {
            uint32x4_t s0 = vdupq_n_u32(0), s1 = s0, x0 = s0, x1 = s0, y0 = s0, y1 = s0;
            for (; i < end; i += 16) {
                uint8x16_t x = vld1q_u8(a + i), y = vld1q_u8(b + i);
                s0 = vpadalq_u16(s0, vmull_u8(vget_low_u8(x), vget_low_u8(y)));
                s1 = vpadalq_u16(s1, vmull_high_u8(x, y));
                if (Mode == mode_cos) {
                    x0 = vpadalq_u16(x0, vmull_u8(vget_low_u8(x), vget_low_u8(x)));
                    x1 = vpadalq_u16(x1, vmull_high_u8(x, x));
                    y0 = vpadalq_u16(y0, vmull_u8(vget_low_u8(y), vget_low_u8(y)));
                    y1 = vpadalq_u16(y1, vmull_high_u8(y, y));
                }
            }
            ab += int64_t(vaddlvq_u32(s0) + vaddlvq_u32(s1));
            aa += int64_t(vaddlvq_u32(x0) + vaddlvq_u32(x1)), bb += int64_t(vaddlvq_u32(y0) + vaddlvq_u32(y1));
        }
    }
    for (; i < n; ++i) {
        int64_t x = Signed ? int8_t(a[i]) : a[i], y = Signed ? int8_t(b[i]) : b[i];
        if (Mode == mode_l2sq) x -= y, y = x;
        ab += x * y, aa += x * x, bb += y * y;
    }
    return int_finish<Mode>(ab, aa, bb);
}

#if USG_ARM_ISA_COUNT > 2  // neon_i8 built
// dot_pair uses SDOT/UDOT: four byte products summed into each 32-bit lane per instruction.
template <int Mode, bool Signed> USG_ARM_DOT USG_INLINE float dot_pair(const void* va, const void* vb, size_t n) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    int64_t ab = 0, aa = 0, bb = 0;
    size_t i = 0;
    while (i + 16 <= n) {
        size_t end = i + std::min(int_block, (n - i) & ~size_t(15));
        if (Mode == mode_l2sq) {
            uint32x4_t s0 = vdupq_n_u32(0), s1 = s0;
            for (; i + 32 <= end; i += 32) {
                uint8x16_t d0 = Signed ? vreinterpretq_u8_s8(vabdq_s8(vreinterpretq_s8_u8(vld1q_u8(a + i)),
                                                                      vreinterpretq_s8_u8(vld1q_u8(b + i))))
                                       : vabdq_u8(vld1q_u8(a + i), vld1q_u8(b + i));
                uint8x16_t d1 = Signed ? vreinterpretq_u8_s8(vabdq_s8(vreinterpretq_s8_u8(vld1q_u8(a + i + 16)),
                                                                      vreinterpretq_s8_u8(vld1q_u8(b + i + 16))))
                                       : vabdq_u8(vld1q_u8(a + i + 16), vld1q_u8(b + i + 16));
                s0 = vdotq_u32(s0, d0, d0), s1 = vdotq_u32(s1, d1, d1);
            }
            for (; i < end; i += 16) {
                uint8x16_t d = Signed ? vreinterpretq_u8_s8(vabdq_s8(vreinterpretq_s8_u8(vld1q_u8(a + i)),
                                                                     vreinterpretq_s8_u8(vld1q_u8(b + i))))
                                      : vabdq_u8(vld1q_u8(a + i), vld1q_u8(b + i));
                s0 = vdotq_u32(s0, d, d);
            }
            ab += int64_t(vaddlvq_u32(s0) + vaddlvq_u32(s1));
        } else if (Signed) {
            int32x4_t s = vdupq_n_s32(0), x2 = s, y2 = s;
            for (; i < end; i += 16) {
                int8x16_t x = vld1q_s8(reinterpret_cast<const int8_t*>(a + i));
                int8x16_t y = vld1q_s8(reinterpret_cast<const int8_t*>(b + i));
                s = vdotq_s32(s, x, y);
                if (Mode == mode_cos) x2 = vdotq_s32(x2, x, x), y2 = vdotq_s32(y2, y, y);
            }
            ab += vaddlvq_s32(s), aa += vaddlvq_s32(x2), bb += vaddlvq_s32(y2);
        } else {
            uint32x4_t s = vdupq_n_u32(0), x2 = s, y2 = s;
            for (; i < end; i += 16) {
                uint8x16_t x = vld1q_u8(a + i), y = vld1q_u8(b + i);
                s = vdotq_u32(s, x, y);
                if (Mode == mode_cos) x2 = vdotq_u32(x2, x, x), y2 = vdotq_u32(y2, y, y);
            }
            ab += int64_t(vaddlvq_u32(s)), aa += int64_t(vaddlvq_u32(x2)), bb += int64_t(vaddlvq_u32(y2));
        }
    }
    for (; i < n; ++i) {
        int64_t x = Signed ? int8_t(a[i]) : a[i], y = Signed ? int8_t(b[i]) : b[i];
        if (Mode == mode_l2sq) x -= y, y = x;
        ab += x * y, aa += x * x, bb += y * y;
    }
    return int_finish<Mode>(ab, aa, bb);
}

#endif

// ---- f16 and bf16: the same loop over two instruction pairs that multiply the low and the
// high halves of 16-bit vectors straight into f32 lanes (no widening step) ----
//   f16 with FHM: FMLAL/FMLAL2 (vfmlalq_low_f16, vfmlalq_high_f16)
//   bf16 with BF16: BFMLALB/BFMLALT, the even and the odd halves (vbfmlalbq_f32, vbfmlaltq_f32)
// USG_ARM_HALF_PAIR writes the kernel NAME<Mode> (ip or cos) for one pair: VEC is the 8-lane
// vector type, LOAD reinterprets 16 bytes as one, LO and HI are the multiply-adds, DEC the
// decoder of the scalar tail, ATTR the target attribute (the intrinsics inline only there).

#define USG_ARM_HALF_PAIR(NAME, ATTR, VEC, LOAD, LO, HI, DEC)                                       \
    template <int Mode> ATTR USG_INLINE float NAME(const void* va, const void* vb, size_t n) {      \
        const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);   \
        float32x4_t z = vdupq_n_f32(0);                                                             \
        float32x4_t s0 = z, s1 = z, s2 = z, s3 = z, aa0 = z, aa1 = z, bb0 = z, bb1 = z;             \
        size_t i = 0;                                                                               \
        for (; i + 16 <= n; i += 16) {                                                              \
            VEC x0 = LOAD(vld1q_u8(a + 2 * i)), x1 = LOAD(vld1q_u8(a + 2 * i + 16));                \
            VEC y0 = LOAD(vld1q_u8(b + 2 * i)), y1 = LOAD(vld1q_u8(b + 2 * i + 16));                \
            s0 = LO(s0, x0, y0), s1 = HI(s1, x0, y0);                                               \
            s2 = LO(s2, x1, y1), s3 = HI(s3, x1, y1);                                               \
            if (Mode == mode_cos) {                                                                 \
                aa0 = LO(aa0, x0, x0), aa1 = HI(aa1, x0, x0);                                       \
                aa0 = LO(aa0, x1, x1), aa1 = HI(aa1, x1, x1);                                       \
                bb0 = LO(bb0, y0, y0), bb1 = HI(bb1, y0, y0);                                       \
                bb0 = LO(bb0, y1, y1), bb1 = HI(bb1, y1, y1);                                       \
            }                                                                                       \
        }                                                                                           \
        for (; i + 8 <= n; i += 8) {                                                                \
            VEC x = LOAD(vld1q_u8(a + 2 * i)), y = LOAD(vld1q_u8(b + 2 * i));                       \
            s0 = LO(s0, x, y), s1 = HI(s1, x, y);                                                   \
            if (Mode == mode_cos) {                                                                 \
                aa0 = LO(aa0, x, x), aa1 = HI(aa1, x, x);                                           \
                bb0 = LO(bb0, y, y), bb1 = HI(bb1, y, y);                                           \
            }                                                                                       \
        }                                                                                           \
        float s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));                      \
        float saa = vaddvq_f32(vaddq_f32(aa0, aa1)), sbb = vaddvq_f32(vaddq_f32(bb0, bb1));         \
        for (; i < n; ++i) {                                                                        \
            float x = DEC::get(a, i), y = DEC::get(b, i);                                           \
            s += x * y, saa += x * x, sbb += y * y;                                                 \
        }                                                                                           \
        if (Mode == mode_ip) return float(1.0 - double(s));                                         \
        return cos_finish(s, saa, sbb);                                                             \
    }

#if USG_ARM_ISA_COUNT > 3  // neon_f16 built
USG_ARM_HALF_PAIR(fhm_pair, USG_ARM_FHM, float16x8_t, vreinterpretq_f16_u8, vfmlalq_low_f16, vfmlalq_high_f16, dec_f16)
#endif
#if USG_ARM_ISA_COUNT > 4  // neon_bf16 built
USG_ARM_HALF_PAIR(bf16_pair, USG_ARM_BF16, bfloat16x8_t, vreinterpretq_bf16_u8, vbfmlalbq_f32, vbfmlaltq_f32, dec_bf16)
#endif
#undef USG_ARM_HALF_PAIR

// ---- bit metrics: CNT counts bits per byte, UADALP folds the counts into wider lanes ----

template <int What> USG_INLINE float bits_neon(const void* va, const void* vb, size_t bytes) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    uint64_t c0 = 0, c1 = 0, c2 = 0;  // hamming: xor; tanimoto: and, or; sorensen: and, |a|, |b|
    size_t i = 0;
    while (i + 16 <= bytes) {
        // A 16-bit lane gains at most 16 per step: 2048 steps stay below 2^16.
        size_t end = i + std::min(size_t(16 * 2048), (bytes - i) & ~size_t(15));
        uint16x8_t n0 = vdupq_n_u16(0), n1 = n0, n2 = n0;
        for (; i < end; i += 16) {
            uint8x16_t x = vld1q_u8(a + i), y = vld1q_u8(b + i);
            if (What == 0) {
                n0 = vpadalq_u8(n0, vcntq_u8(veorq_u8(x, y)));
            } else {
                n0 = vpadalq_u8(n0, vcntq_u8(vandq_u8(x, y)));
                if (What == 1) n1 = vpadalq_u8(n1, vcntq_u8(vorrq_u8(x, y)));
                else n1 = vpadalq_u8(n1, vcntq_u8(x)), n2 = vpadalq_u8(n2, vcntq_u8(y));
            }
        }
        c0 += vaddlvq_u16(n0), c1 += vaddlvq_u16(n1), c2 += vaddlvq_u16(n2);
    }
    for (; i < bytes; ++i) {
        unsigned x = a[i], y = b[i];
        if (What == 0) {
            c0 += popcnt64(x ^ y);
        } else {
            c0 += popcnt64(x & y);
            if (What == 1) c1 += popcnt64(x | y);
            else c1 += popcnt64(x), c2 += popcnt64(y);
        }
    }
    if (What == 0) return float(c0);
    if (What == 1) return c1 ? 1.0f - float(c0) / float(c1) : 0.0f;
    return 1.0f - 2.0f * float(c0) / float(c1 + c2);
}

// ---- kernels as types, entry points per level ----

template <int Mode, typename L> struct float_k {
    static USG_INLINE float pair(const void* a, const void* b, size_t n) { return float_pair<Mode, L>(a, b, n); }
};
template <int Mode> struct f64_k {
    static USG_INLINE float pair(const void* a, const void* b, size_t n) { return f64_pair<Mode>(a, b, n); }
};
template <int Mode, bool Signed> struct int_k {
    static USG_INLINE float pair(const void* a, const void* b, size_t n) { return int_pair<Mode, Signed>(a, b, n); }
};
#if USG_ARM_ISA_COUNT > 2  // neon_i8 built
template <int Mode, bool Signed> struct dot_k {
    static USG_ARM_DOT USG_INLINE float pair(const void* a, const void* b, size_t n) {
        return dot_pair<Mode, Signed>(a, b, n);
    }
};
#endif
#if USG_ARM_ISA_COUNT > 3  // neon_f16 built
template <int Mode> struct fhm_k {
    static USG_ARM_FHM USG_INLINE float pair(const void* a, const void* b, size_t n) { return fhm_pair<Mode>(a, b, n); }
};
#endif
#if USG_ARM_ISA_COUNT > 4  // neon_bf16 built
template <int Mode> struct bf16_k {
    static USG_ARM_BF16 USG_INLINE float pair(const void* a, const void* b, size_t n) { return bf16_pair<Mode>(a, b, n); }
};
#endif
template <int What> struct bitsn_k {
    static USG_INLINE float pair(const void* a, const void* b, size_t n) { return bits_neon<What>(a, b, n); }
};

// Entry points per level: USG_DEFINE_ISA (kernels.hpp) writes pair_NAME<K> and batch_NAME<K>.
USG_DEFINE_ISA(neon, )
#if USG_ARM_ISA_COUNT > 2  // neon_i8 built
USG_DEFINE_ISA(neon_i8, USG_ARM_LEVEL_I8)
#endif
#if USG_ARM_ISA_COUNT > 3  // neon_f16 built
USG_DEFINE_ISA(neon_f16, USG_ARM_LEVEL_F16)
#endif
#if USG_ARM_ISA_COUNT > 4  // neon_bf16 built
USG_DEFINE_ISA(neon_bf16, USG_ARM_LEVEL_BF16)
#endif

// at returns kernel K for level isa. Min is the lowest level K's instructions need: entries
// below it are never instantiated (they could not inline K).
template <typename K, int Min = isa_neon> inline kernel_t at(int isa) {
#if USG_ARM_ISA_COUNT > 4  // neon_bf16 built
    if constexpr (Min <= isa_neon_bf16)
        if (isa == isa_neon_bf16) return {pair_neon_bf16<K>, batch_neon_bf16<K>, isa_name(isa_neon_bf16)};
#endif
#if USG_ARM_ISA_COUNT > 3  // neon_f16 built
    if constexpr (Min <= isa_neon_f16)
        if (isa == isa_neon_f16) return {pair_neon_f16<K>, batch_neon_f16<K>, isa_name(isa_neon_f16)};
#endif
#if USG_ARM_ISA_COUNT > 2  // neon_i8 built
    if constexpr (Min <= isa_neon_i8)
        if (isa == isa_neon_i8) return {pair_neon_i8<K>, batch_neon_i8<K>, isa_name(isa_neon_i8)};
#endif
    if constexpr (Min <= isa_neon)
        if (isa == isa_neon) return {pair_neon<K>, batch_neon<K>, isa_name(isa_neon)};
    return {};
}

// numeric picks ip, l2sq, cos or pearson for a numeric kind: the best code the level has.
template <int Mode> inline kernel_t numeric(scalar_kind k, int isa) {
    [[maybe_unused]] constexpr bool products = Mode == mode_ip || Mode == mode_cos;  // FMLAL/BFMLAL alone
    constexpr bool integer = Mode != mode_pearson;                  // pearson's sums go through f32
    switch (k) {
    case scalar_kind::f32: return at<float_k<Mode, f32_l>>(isa);
    case scalar_kind::f64:
        if constexpr (Mode == mode_pearson) return at<float_k<Mode, f64_l>>(isa);
        else return at<f64_k<Mode>>(isa);
    case scalar_kind::f16:
#if USG_ARM_ISA_COUNT > 3  // neon_f16 built
        if constexpr (products)
            if (isa >= isa_neon_f16) return at<fhm_k<Mode>, isa_neon_f16>(isa);
#endif
        return at<float_k<Mode, f16_l>>(isa);
    case scalar_kind::bf16:
#if USG_ARM_ISA_COUNT > 4  // neon_bf16 built
        if constexpr (products)
            if (isa >= isa_neon_bf16) return at<bf16_k<Mode>, isa_neon_bf16>(isa);
#endif
        return at<float_k<Mode, bf16_l>>(isa);
    case scalar_kind::i8:
        if constexpr (integer) {
#if USG_ARM_ISA_COUNT > 2  // neon_i8 built
            if (isa >= isa_neon_i8) return at<dot_k<Mode, true>, isa_neon_i8>(isa);
#endif
            return at<int_k<Mode, true>>(isa);
        }
        return at<float_k<Mode, i8_l>>(isa);
    case scalar_kind::u8:
        if constexpr (integer) {
#if USG_ARM_ISA_COUNT > 2  // neon_i8 built
            if (isa >= isa_neon_i8) return at<dot_k<Mode, false>, isa_neon_i8>(isa);
#endif
            return at<int_k<Mode, false>>(isa);
        }
        return at<float_k<Mode, u8_l>>(isa);
    case scalar_kind::e5m2: return at<float_k<Mode, mini_l<mini_e5m2, dec_e5m2>>>(isa);
    case scalar_kind::e4m3: return at<float_k<Mode, mini_l<mini_e4m3, dec_e4m3>>>(isa);
    case scalar_kind::e3m2: return at<float_k<Mode, mini_l<mini_e3m2, dec_e3m2>>>(isa);
    case scalar_kind::e2m3: return at<float_k<Mode, mini_l<mini_e2m3, dec_e2m3>>>(isa);
    default: return {};
    }
}

// generic labels a portable kernel (from kernels.hpp) with the level: divergence needs a
// logarithm per element and haversine reads two elements, so neither has NEON code of its
// own; the compiler still vectorises what it can, NEON being the arm64 baseline.
template <template <typename> class M> inline kernel_t generic(scalar_kind k, int isa) {
    switch (k) {
    case scalar_kind::f32: return at<M<dec_f32>>(isa);
    case scalar_kind::f64: return at<M<dec_f64>>(isa);
    case scalar_kind::f16: return at<M<dec_f16>>(isa);
    case scalar_kind::bf16: return at<M<dec_bf16>>(isa);
    case scalar_kind::e5m2: return at<M<dec_e5m2>>(isa);
    case scalar_kind::e4m3: return at<M<dec_e4m3>>(isa);
    case scalar_kind::e3m2: return at<M<dec_e3m2>>(isa);
    case scalar_kind::e2m3: return at<M<dec_e2m3>>(isa);
    default: return {};
    }
}

// specialized returns the arm64 kernel of a level for a supported pair (find_kernel checked
// support), or an empty one for the serial level.
inline kernel_t specialized(metric_kind m, scalar_kind k, int isa) {
    if (isa < isa_neon) return {};
    switch (m) {
    case metric_kind::ip: return numeric<mode_ip>(k, isa);
    case metric_kind::l2sq: return numeric<mode_l2sq>(k, isa);
    case metric_kind::cos: return numeric<mode_cos>(k, isa);
    case metric_kind::pearson: return numeric<mode_pearson>(k, isa);
    case metric_kind::divergence: return generic<divergence_k>(k, isa);
    case metric_kind::haversine: return generic<haversine_k>(k, isa);
    case metric_kind::hamming: return at<bitsn_k<0>>(isa);
    case metric_kind::tanimoto: case metric_kind::jaccard: return at<bitsn_k<1>>(isa);
    case metric_kind::sorensen: return at<bitsn_k<2>>(isa);
    default: return {};
    }
}

// ---- run-time detection ----

struct features {
    bool dotprod = false, fp16 = false, fhm = false, bf16 = false;
};

// cpu_features asks the operating system which extensions the CPU has. Linux: the kernel's
// hwcaps (bits as in <asm/hwcap.h>, spelled out because musl and old glibc headers lack
// some). macOS: sysctl hw.optional.arm.FEAT_*; every Apple arm64 CPU (M1 on) has dot product,
// FP16 and FHM, so an old macOS without those keys still gets them; BF16 (M2 on) only when the
// key says so. Elsewhere (Windows, BSDs): baseline only.
inline features cpu_features() {
    features f;
#if defined(__linux__)
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    f.fp16 = (hw & (1ul << 9)) && (hw & (1ul << 10));  // FPHP, ASIMDHP
    f.dotprod = hw & (1ul << 20);                       // ASIMDDP
    f.fhm = hw & (1ul << 23);                           // ASIMDFHM
    f.bf16 = hw2 & (1ul << 14);                         // HWCAP2_BF16
#elif defined(__APPLE__)
    auto has = [](const char* name, bool otherwise) {
        int value = 0;
        size_t size = sizeof value;
        if (sysctlbyname(name, &value, &size, nullptr, 0) != 0) return otherwise;
        return value != 0;
    };
    f.dotprod = has("hw.optional.arm.FEAT_DotProd", true);
    f.fp16 = has("hw.optional.arm.FEAT_FP16", true);
    f.fhm = has("hw.optional.arm.FEAT_FHM", true);
    f.bf16 = has("hw.optional.arm.FEAT_BF16", false);
#endif
    return f;
}

// best_level is the highest level whose features, and those of every level below, are
// present, among the levels this compiler built.
inline int best_level(const features& f) {
    int level = isa_neon_bf16;
    if (!f.dotprod) level = isa_neon;
    else if (!f.fp16 || !f.fhm) level = isa_neon_i8;
    else if (!f.bf16) level = isa_neon_f16;
    return std::min(level, int(isa_count) - 1);
}

}  // namespace arm
}  // namespace kern
}  // namespace usg
