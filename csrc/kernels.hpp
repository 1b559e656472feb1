// kernels.hpp: distance functions for every metric x storage kind, one pair form and one
// batch form (a query against many vectors), compiled once per instruction set and chosen
// at start-up. The bodies are written as fixed-width lane loops so that the compiler turns
// them into SIMD code for each target; hand-written intrinsics can replace any entry of the
// dispatch table later without touching callers.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "scalars.hpp"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define USG_INLINE inline __attribute__((always_inline))
#define USG_PREFETCH(p) __builtin_prefetch((const void*)(p), 0, 3)
#else
#define USG_INLINE inline
#define USG_PREFETCH(p) ((void)0)
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define USG_X86 1
#else
#define USG_X86 0
#endif

// arm64: kernels_arm.hpp (NEON and its extensions, chosen from the OS's feature report).
#if defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define USG_ARM64 1
#include "kernels_arm_target.hpp"
#else
#define USG_ARM64 0
#endif

// Clang 18+ and GCC 14+ split 512-bit registers out of avx512f into "evex512"; older
// compilers reject the name.
#if (defined(__clang__) && __clang_major__ >= 18) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 14)
#define USG_EVEX512 ",evex512"
#else
#define USG_EVEX512 ""
#endif
#define USG_HASWELL_FEATURES "avx2,fma,f16c,popcnt"
#define USG_SKYLAKE_FEATURES "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c,popcnt" USG_EVEX512
// Ice Lake and later add byte dot products (VNNI) and 64-bit population counts; Genoa
// (Zen 4) and Sapphire Rapids add bf16 dot products on top.
#define USG_ICE_FEATURES USG_SKYLAKE_FEATURES ",avx512vnni,avx512vpopcntdq"
#define USG_GENOA_FEATURES USG_ICE_FEATURES ",avx512bf16"
// The x86 levels as function attributes: every function with intrinsics names its target,
// so the build needs no -m flags (kernels_x86.hpp, exact_gemm.hpp).
#define USG_TARGET_SKYLAKE __attribute__((target(USG_SKYLAKE_FEATURES)))
#define USG_TARGET_HASWELL __attribute__((target(USG_HASWELL_FEATURES)))
#define USG_TARGET_ICE __attribute__((target(USG_ICE_FEATURES)))
#define USG_TARGET_GENOA __attribute__((target(USG_GENOA_FEATURES)))

// USG_X86_INTRINSICS_BEGIN and _END bracket code written with x86 intrinsics. GCC 12 reports
// its own AVX-512 intrinsics (which start from _mm512_undefined_*) as using uninitialised
// values once they are inlined there; the values are fully written.
#if defined(__GNUC__) && !defined(__clang__)
#define USG_X86_INTRINSICS_BEGIN                                                                  \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"") \
        _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define USG_X86_INTRINSICS_END _Pragma("GCC diagnostic pop")
#else
#define USG_X86_INTRINSICS_BEGIN
#define USG_X86_INTRINSICS_END
#endif

namespace usg {

enum class metric_kind : int {
    unknown = usearch_metric_unknown_k,
    cos = usearch_metric_cos_k,
    ip = usearch_metric_ip_k,
    l2sq = usearch_metric_l2sq_k,
    haversine = usearch_metric_haversine_k,
    divergence = usearch_metric_divergence_k,
    pearson = usearch_metric_pearson_k,
    jaccard = usearch_metric_jaccard_k,
    hamming = usearch_metric_hamming_k,
    tanimoto = usearch_metric_tanimoto_k,
    sorensen = usearch_metric_sorensen_k,
};

inline bool is_bit_metric(metric_kind m) {
    return m == metric_kind::hamming || m == metric_kind::tanimoto || m == metric_kind::sorensen ||
           m == metric_kind::jaccard;
}

// metric_supported tells whether a built-in kernel exists for the pair, following the C API:
// bit metrics run over the raw bytes of any storage kind, the others need a numeric kind.
inline bool metric_supported(metric_kind m, scalar_kind k) {
    if (!is_storage_kind(int(k))) return false;
    switch (m) {
    case metric_kind::cos: case metric_kind::ip: case metric_kind::l2sq: case metric_kind::pearson:
        return k != scalar_kind::b1;
    case metric_kind::divergence: return is_float_family(k);
    case metric_kind::haversine: return k == scalar_kind::f32 || k == scalar_kind::f64;
    case metric_kind::hamming: case metric_kind::tanimoto: case metric_kind::sorensen: case metric_kind::jaccard:
        return true;
    default: return false;
    }
}

// A pair kernel gets two vectors and the element count (for bit metrics: the byte count).
using pair_fn = float (*)(const void* a, const void* b, size_t n);
// A batch kernel scores one query against `count` vectors and writes `count` distances.
using batch_fn = void (*)(const void* query, const uint8_t* const* vectors, size_t count, size_t n, float* out);

struct kernel_t {
    pair_fn pair = nullptr;
    batch_fn batch = nullptr;
    const char* isa = "uninitialized";
};

namespace kern {

// ---- element decoders: byte pointer + index -> arithmetic value ----
struct dec_f32 { using acc = float; static USG_INLINE float get(const uint8_t* p, size_t i) { float x; std::memcpy(&x, p + 4 * i, 4); return x; } };
struct dec_f64 { using acc = double; static USG_INLINE double get(const uint8_t* p, size_t i) { double x; std::memcpy(&x, p + 8 * i, 8); return x; } };
struct dec_f16 { using acc = float; static USG_INLINE float get(const uint8_t* p, size_t i) { uint16_t h; std::memcpy(&h, p + 2 * i, 2); return f16_to_f32(h); } };
struct dec_bf16 { using acc = float; static USG_INLINE float get(const uint8_t* p, size_t i) { uint16_t h; std::memcpy(&h, p + 2 * i, 2); return bf16_to_f32(h); } };
// One-byte integers sum exactly in 64 bits: 32-bit lanes overflow past ~33k dimensions of u8.
struct dec_i8 { using acc = int64_t; static USG_INLINE int32_t get(const uint8_t* p, size_t i) { return int8_t(p[i]); } };
struct dec_u8 { using acc = int64_t; static USG_INLINE int32_t get(const uint8_t* p, size_t i) { return p[i]; } };
// Mini-floats decode through their 256-entry tables and accumulate in f32, like f16.
struct dec_e5m2 { using acc = float; static USG_INLINE float get(const uint8_t* p, size_t i) { return e5m2_table.value[p[i]]; } };
struct dec_e4m3 { using acc = float; static USG_INLINE float get(const uint8_t* p, size_t i) { return e4m3_table.value[p[i]]; } };
struct dec_e3m2 { using acc = float; static USG_INLINE float get(const uint8_t* p, size_t i) { return e3m2_table.value[p[i]]; } };
struct dec_e2m3 { using acc = float; static USG_INLINE float get(const uint8_t* p, size_t i) { return e2m3_table.value[p[i]]; } };

constexpr size_t lanes = 32;

template <typename T> USG_INLINE T tree_sum(T* acc) {
    for (size_t w = lanes / 2; w > 0; w /= 2)
        for (size_t j = 0; j < w; ++j) acc[j] += acc[j + w];
    return acc[0];
}

template <typename D> struct ip_k {
    static USG_INLINE float pair(const void* va, const void* vb, size_t n) {
        using A = typename D::acc;
        const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
        A acc[lanes] = {};
        size_t i = 0;
        for (; i + lanes <= n; i += lanes)
            for (size_t j = 0; j < lanes; ++j) acc[j] += A(D::get(a, i + j)) * A(D::get(b, i + j));
        for (; i < n; ++i) acc[i % lanes] += A(D::get(a, i)) * A(D::get(b, i));
        return float(1.0 - double(tree_sum(acc)));
    }
};

template <typename D> struct l2sq_k {
    static USG_INLINE float pair(const void* va, const void* vb, size_t n) {
        using A = typename D::acc;
        const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
        A acc[lanes] = {};
        size_t i = 0;
        for (; i + lanes <= n; i += lanes)
            for (size_t j = 0; j < lanes; ++j) {
                A d = A(D::get(a, i + j)) - A(D::get(b, i + j));
                acc[j] += d * d;
            }
        for (; i < n; ++i) {
            A d = A(D::get(a, i)) - A(D::get(b, i));
            acc[i % lanes] += d * d;
        }
        return float(tree_sum(acc));
    }
};

USG_INLINE float cos_finish(double ab, double aa, double bb) {
    if (aa == 0 && bb == 0) return 0;
    if (ab == 0) return 1;
    double d = 1.0 - ab / (std::sqrt(aa) * std::sqrt(bb));
    return d > 0 ? float(d) : 0.0f;
}

template <typename D> struct cos_k {
    static USG_INLINE float pair(const void* va, const void* vb, size_t n) {
        using A = typename D::acc;
        const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
        constexpr size_t L = lanes / 2;  // three accumulators: keep register pressure sane
        A ab[L] = {}, aa[L] = {}, bb[L] = {};
        size_t i = 0;
        for (; i + L <= n; i += L)
            for (size_t j = 0; j < L; ++j) {
                A x = A(D::get(a, i + j)), y = A(D::get(b, i + j));
                ab[j] += x * y, aa[j] += x * x, bb[j] += y * y;
            }
        for (; i < n; ++i) {
            A x = A(D::get(a, i)), y = A(D::get(b, i));
            ab[i % L] += x * y, aa[i % L] += x * x, bb[i % L] += y * y;
        }
        double sab = 0, saa = 0, sbb = 0;
        for (size_t j = 0; j < L; ++j) sab += double(ab[j]), saa += double(aa[j]), sbb += double(bb[j]);
        return cos_finish(sab, saa, sbb);
    }
};

// pearson_finish turns the five sums into 1 - r. Each product and difference is its own
// statement, rounded to f32 as the reference computes it (reference_test.go, refPearson):
// written as one expression, the compiler may fuse a multiply into the subtraction (FMA
// contraction, clang's default), and in different ways in the pair and the batch instance
// of one kernel; the cancellation in n*sab - sa*sb magnified that into differences of
// several float32 ulps (arm64, 3 dimensions). Contraction never crosses statements.
inline float pearson_finish(size_t n, float sa, float sb, float sab, float saa, float sbb) {
    float fn = float(n);
    float nab = fn * sab, ab = sa * sb, naa = fn * saa, aa = sa * sa, nbb = fn * sbb, bb = sb * sb;
    float num = nab - ab;
    float va = naa - aa, vb = nbb - bb;
    float den = va * vb;
    if (!(den > 0)) return 0;
    float root = std::sqrt(den);
    float r = num / root;
    return 1.0f - r;
}

// Pearson and divergence accumulate in f32 whatever the storage, like upstream.
template <typename D> struct pearson_k {
    static USG_INLINE float pair(const void* va, const void* vb, size_t n) {
        const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
        if (n <= 1) return 0;
        float sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
        for (size_t i = 0; i < n; ++i) {
            float x = float(D::get(a, i)), y = float(D::get(b, i));
            sa += x, sb += y, sab += x * y, saa += x * x, sbb += y * y;
        }
        return pearson_finish(n, sa, sb, sab, saa, sbb);
    }
};

template <typename D> struct divergence_k {
    static USG_INLINE float pair(const void* va, const void* vb, size_t n) {
        const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
        constexpr float eps = 1.1920928955078125e-7f;  // 2^-23
        float sum = 0;
        for (size_t i = 0; i < n; ++i) {
            float x = float(D::get(a, i)), y = float(D::get(b, i));
            float m = (x + y) * 0.5f + eps;
            sum += x * std::log((x + eps) / m) + y * std::log((y + eps) / m);
        }
        return sum * 0.5f;
    }
};

template <typename D> struct haversine_k {
    static USG_INLINE float pair(const void* va, const void* vb, size_t) {
        using A = typename D::acc;
        const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
        const A deg = A(3.14159265358979323846 / 180.0);
        A lat1 = A(D::get(a, 0)) * deg, lon1 = A(D::get(a, 1)) * deg;
        A lat2 = A(D::get(b, 0)) * deg, lon2 = A(D::get(b, 1)) * deg;
        A s1 = std::sin((lat2 - lat1) / 2), s2 = std::sin((lon2 - lon1) / 2);
        A h = s1 * s1 + std::cos(lat1) * std::cos(lat2) * s2 * s2;
        return float(2 * std::asin(std::sqrt(h)));
    }
};

// ---- bit metrics over raw bytes ----

USG_INLINE uint64_t popcnt64(uint64_t v) { return uint64_t(__builtin_popcountll(v)); }

template <int What> USG_INLINE float bits_pair(const void* va, const void* vb, size_t bytes) {
    const uint8_t *a = static_cast<const uint8_t*>(va), *b = static_cast<const uint8_t*>(vb);
    uint64_t x = 0, n_and = 0, n_or = 0, pa = 0, pb = 0;
    size_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
        uint64_t u, v;
        std::memcpy(&u, a + i, 8), std::memcpy(&v, b + i, 8);
        x += popcnt64(u ^ v), n_and += popcnt64(u & v), n_or += popcnt64(u | v), pa += popcnt64(u), pb += popcnt64(v);
    }
    for (; i < bytes; ++i) {
        uint64_t u = a[i], v = b[i];
        x += popcnt64(u ^ v), n_and += popcnt64(u & v), n_or += popcnt64(u | v), pa += popcnt64(u), pb += popcnt64(v);
    }
    if (What == 0) return float(x);                                        // hamming
    if (What == 1) return n_or ? 1.0f - float(n_and) / float(n_or) : 0.0f;  // tanimoto, jaccard
    return 1.0f - 2.0f * float(n_and) / float(pa + pb);                    // sorensen (0/0 = NaN)
}
template <int What> struct bits_k {
    static USG_INLINE float pair(const void* a, const void* b, size_t bytes) { return bits_pair<What>(a, b, bytes); }
};

// ---- per-ISA entry points ----
// prefetch_vector asks for the first `bytes` (at most 8 cache lines) of a vector.
USG_INLINE void prefetch_vector(const uint8_t* v, size_t bytes) {
    for (size_t line = 0; line < bytes && line < 512; line += 64) USG_PREFETCH(v + line);
}

#define USG_DEFINE_ISA(NAME, ATTR)                                                                   \
    template <typename K> ATTR float pair_##NAME(const void* a, const void* b, size_t n) {          \
        return K::pair(a, b, n);                                                                     \
    }                                                                                                \
    template <typename K>                                                                            \
    ATTR void batch_##NAME(const void* q, const uint8_t* const* v, size_t count, size_t n, float* out) { \
        for (size_t i = 0; i < count; ++i) {                                                         \
            if (i + 1 < count) prefetch_vector(v[i + 1], n * 4);                                     \
            out[i] = K::pair(q, v[i], n);                                                            \
        }                                                                                            \
    }

USG_DEFINE_ISA(serial, )
#if USG_X86
USG_DEFINE_ISA(haswell, USG_TARGET_HASWELL)
USG_DEFINE_ISA(skylake, USG_TARGET_SKYLAKE)
#endif

#if USG_ARM64
// arm64 levels (kernels_arm.hpp): each needs the features of the ones before it; the
// compiler may build fewer (kernels_arm_target.hpp).
enum isa_t { isa_serial = 0, isa_neon = 1, isa_neon_i8 = 2, isa_neon_f16 = 3, isa_neon_bf16 = 4, isa_count = USG_ARM_ISA_COUNT };
inline const char* isa_name(int isa) {
    static const char* names[] = {"serial", "neon", "neon_i8", "neon_f16", "neon_bf16"};
    return names[isa];
}
#else
// The instruction-set levels, each a superset of the one before. A level without its own
// kernel for a pair runs the previous level's code under its own name, so that an index
// reports the level it was dispatched to.
enum isa_t { isa_serial = 0, isa_haswell = 1, isa_skylake = 2, isa_ice = 3, isa_genoa = 4, isa_count = 5 };
inline const char* isa_name(int isa) {
    static const char* names[] = {"serial", "haswell", "skylake", "ice", "genoa"};
    return names[isa];
}
#endif

template <typename K> inline kernel_t make_kernel(int isa) {
#if USG_X86
    if (isa >= isa_skylake) return {pair_skylake<K>, batch_skylake<K>, isa_name(isa)};
    if (isa == isa_haswell) return {pair_haswell<K>, batch_haswell<K>, "haswell"};
#endif
    (void)isa;
    return {pair_serial<K>, batch_serial<K>, "serial"};
}

template <template <typename> class M> inline kernel_t by_kind(scalar_kind k, int isa) {
    switch (k) {
    case scalar_kind::f32: return make_kernel<M<dec_f32>>(isa);
    case scalar_kind::f64: return make_kernel<M<dec_f64>>(isa);
    case scalar_kind::f16: return make_kernel<M<dec_f16>>(isa);
    case scalar_kind::bf16: return make_kernel<M<dec_bf16>>(isa);
    case scalar_kind::i8: return make_kernel<M<dec_i8>>(isa);
    case scalar_kind::u8: return make_kernel<M<dec_u8>>(isa);
    case scalar_kind::e5m2: return make_kernel<M<dec_e5m2>>(isa);
    case scalar_kind::e4m3: return make_kernel<M<dec_e4m3>>(isa);
    case scalar_kind::e3m2: return make_kernel<M<dec_e3m2>>(isa);
    case scalar_kind::e2m3: return make_kernel<M<dec_e2m3>>(isa);
    default: return {};
    }
}

}  // namespace kern

}  // namespace usg

#if USG_X86
#include "kernels_x86.hpp"
#endif
#if USG_ARM64
#include "kernels_arm.hpp"
#endif

namespace usg {

// detected_isa is the best instruction set this CPU runs among those compiled in. It reads
// CPUID and XGETBV itself (the OS must save the wider registers too): __builtin_cpu_supports
// needs __cpu_model from libgcc or compiler-rt, which zig's runtime does not provide.
inline int detected_isa() {
#if USG_X86 && (defined(__GNUC__) || defined(__clang__))
    static const int best = [] {
        unsigned a, b, c, d;
        if (!__get_cpuid(1, &a, &b, &c, &d)) return int(kern::isa_serial);
        bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28), f16c = c & (1u << 29);
        if (!osxsave || !avx) return int(kern::isa_serial);
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        bool ymm_saved = (lo & 0x6u) == 0x6u, zmm_saved = (lo & 0xE6u) == 0xE6u;
        if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return int(kern::isa_serial);
        bool avx2 = b & (1u << 5), avx512f = b & (1u << 16), avx512dq = b & (1u << 17), avx512bw = b & (1u << 30),
             avx512vl = b & (1u << 31), vnni = c & (1u << 11), vpopcntdq = c & (1u << 14);
        bool bf16 = false;
        if (unsigned a1, b1, c1, d1; __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1)) bf16 = a1 & (1u << 5);
        bool skylake = zmm_saved && avx512f && avx512dq && avx512bw && avx512vl && avx2 && fma && f16c;
        if (skylake && vnni && vpopcntdq && bf16) return int(kern::isa_genoa);
        if (skylake && vnni && vpopcntdq) return int(kern::isa_ice);
        if (skylake) return int(kern::isa_skylake);
        if (ymm_saved && avx2 && fma && f16c) return int(kern::isa_haswell);
        return int(kern::isa_serial);
    }();
    return best;
#elif USG_ARM64
    static const int best = kern::arm::best_level(kern::arm::cpu_features());
    return best;
#else
    return kern::isa_serial;
#endif
}

// cpu_isa is the instruction set every kernel is chosen for: detected_isa, or a lower level
// named by the environment variable USEARCH_ISA (a name of kern::isa_name: serial, haswell,
// skylake, ice, genoa on x86-64; serial, neon, neon_i8, neon_f16, neon_bf16 on arm64), read
// once. It lets one machine run and measure the kernels of a smaller CPU (the AVX2 ones on
// an AVX-512 machine, say), or keep a service off a level. A level above the detected one,
// or an unknown name, leaves the detected level: the CPU cannot run more than it has.
inline int cpu_isa() {
    static const int level = [] {
        int best = detected_isa();
        const char* want = std::getenv("USEARCH_ISA");
        if (!want || !*want) return best;
        for (int i = 0; i < kern::isa_count; ++i)
            if (std::strcmp(want, kern::isa_name(i)) == 0) return i < best ? i : best;
        return best;
    }();
    return level;
}

// find_kernel returns the kernel for a metric and storage kind on an instruction set, or a
// kernel with null functions when the pair is unsupported. It is defined in kernels.cpp, a
// translation unit of its own: instantiating every metric x storage kind x instruction set is
// more than half of the core's compile time, and the go command (and make -j) compiles the
// two units in parallel. Nothing is lost at run time: kernels are always called through the
// pointers in kernel_t.
kernel_t find_kernel(metric_kind m, scalar_kind k, int isa);

// kernel_length is the `n` a kernel expects: bytes for bit metrics, elements otherwise.
inline size_t kernel_length(metric_kind m, scalar_kind k, size_t dims) {
    return is_bit_metric(m) ? bytes_per_vector(k, dims) : dims;
}

}  // namespace usg
