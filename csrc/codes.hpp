// codes.hpp: compact codes for searching (docs/compact-codes.md). Beside every stored vector
// the index may keep an 8-bit code, one byte per dimension: x[i] ~ lo[i] + step[i] * c[i],
// with per-dimension ranges learned from the vectors present when the codes are trained. A
// search then walks the graph comparing a quantized query with the codes (integer dot
// products) and re-ranks the best candidates with the real vectors, so the distances it
// returns are exact; only how many true neighbors a given beam width finds depends on the
// codes. The codes never reach a file: they are rebuilt when an index is loaded or viewed.
//
// This part holds what does not depend on the index: the code rows, the learned ranges, the
// query quantization and the distance kernels. The walk and the training over an index's
// slots are in codes_search.hpp.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "config.hpp"
#include "kernels.hpp"  // USG_X86, USG_SKYLAKE_FEATURES
#include "scalars.hpp"
#include "storage.hpp"  // os_allocate, huge_page

#if USG_X86
#include <immintrin.h>
#endif

namespace usg {

class dense_index;
struct context;

namespace codes_kern {

// A code distance is an integer dot product of a row of unsigned codes with the signed
// quantized query; 255 * 127 * 65536 still fits in 31 bits, hence the dimension limit.
constexpr size_t max_dimensions = 65536;
using dot_fn = int32_t (*)(const uint8_t* codes, const int8_t* query, size_t n);

inline int32_t dot_serial(const uint8_t* c, const int8_t* u, size_t n) {
    int32_t sum = 0;
    for (size_t i = 0; i < n; ++i) sum += int32_t(c[i]) * int32_t(u[i]);
    return sum;
}

#if USG_X86
// AVX2 has no unsigned-by-signed byte product that cannot saturate (vpmaddubsw adds pairs
// into 16 bits: 2 * 255 * 127 overflows), so bytes are widened to 16 bits and vpmaddwd sums
// pairs into 32 bits.
__attribute__((target("avx2"))) inline int32_t dot_haswell(const uint8_t* c, const int8_t* u, size_t n) {
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i c0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i)));
        __m256i u0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(u + i)));
        __m256i c1 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i + 16)));
        __m256i u1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(u + i + 16)));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(c0, u0));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(c1, u1));
    }
    for (; i + 16 <= n; i += 16) {
        __m256i c0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i)));
        __m256i u0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(u + i)));
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(c0, u0));
    }
    __m256i acc = _mm256_add_epi32(acc0, acc1);
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    int32_t sum = _mm_cvtsi128_si32(s);
    for (; i < n; ++i) sum += int32_t(c[i]) * int32_t(u[i]);
    return sum;
}

// AVX-512 VNNI: vpdpbusd multiplies unsigned by signed bytes and adds groups of four into
// 32-bit lanes without saturation; the tail is a masked load, so rows need no padding.
__attribute__((target(USG_SKYLAKE_FEATURES ",avx512vnni"))) inline int32_t dot_vnni(const uint8_t* c, const int8_t* u,
                                                                              size_t n) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        acc0 = _mm512_dpbusd_epi32(acc0, _mm512_loadu_si512(c + i), _mm512_loadu_si512(u + i));
        acc1 = _mm512_dpbusd_epi32(acc1, _mm512_loadu_si512(c + i + 64), _mm512_loadu_si512(u + i + 64));
    }
    for (; i + 64 <= n; i += 64) acc0 = _mm512_dpbusd_epi32(acc0, _mm512_loadu_si512(c + i), _mm512_loadu_si512(u + i));
    if (i < n) {
        __mmask64 m = (uint64_t(1) << (n - i)) - 1;
        acc1 = _mm512_dpbusd_epi32(acc1, _mm512_maskz_loadu_epi8(m, c + i), _mm512_maskz_loadu_epi8(m, u + i));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1));
}

// vnni_usable reads CPUID leaf 7 (ECX bit 11, AVX512_VNNI) on a CPU that runs the skylake
// kernels (AVX-512 F/BW with the registers saved by the OS).
inline bool vnni_usable() {
    unsigned a, b, c, d;
    if (cpu_isa() < int(kern::isa_skylake)) return false;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return c & (1u << 11);
}
#endif

// dot_by_isa returns the kernel of one instruction set (0 serial, 1 haswell, 2 vnni) if this
// CPU runs it, for tests that compare each with the serial loop.
inline dot_fn dot_by_isa(int isa) {
    if (isa == 0) return dot_serial;
#if USG_X86
    if (isa == 1 && cpu_isa() >= int(kern::isa_haswell)) return dot_haswell;
    if (isa == 2 && vnni_usable()) return dot_vnni;
#endif
    return nullptr;
}

// best_dot is the fastest kernel this CPU runs, with its name for tests and reports.
inline dot_fn best_dot(const char** name = nullptr) {
#if USG_X86
    if (vnni_usable()) return name ? *name = "vnni", dot_vnni : dot_vnni;
    if (cpu_isa() >= int(kern::isa_haswell)) return name ? *name = "haswell", dot_haswell : dot_haswell;
#endif
    if (name) *name = "serial";
    return dot_serial;
}

}  // namespace codes_kern

// code_params are the learned ranges: x[i] ~ lo[i] + step[i] * c[i] for c[i] in 0..255.
// For cosine the coded vector is x / |x|, so that a dot product ranks by angle. Once
// published they never change (a re-fit publishes new ones), so a search reads one
// consistent set.
struct code_params {
    metric_kind metric = metric_kind::unknown;
    size_t dims = 0;
    std::vector<float> lo, step;
    size_t trained_live = 0;  // live entries when trained
};

// code_query is a query prepared for one search: u[i] = round(q[i] * step[i] / alpha), so
// that q . x ~ offset + alpha * (u . c).
struct code_query {
    std::vector<float> f32;
    std::vector<int8_t> u;
    float alpha = 0, offset = 0, norm2 = 0;
};

// code_store keeps one code row per slot in segments that never move (like stable_array,
// with a row size fixed when the codes are switched on). A row is the codes, then for l2sq
// the squared norm of the decoded vector (the correction term of |q - x|^2), then the
// node's record pointer (see configure).
class code_store {
  public:
    // Training waits for this many live entries (ranges from fewer would be too narrow) and
    // re-fits when the live count has grown this many times since the last fit.
    static constexpr size_t train_min = 256, refit_growth = 4;
    // At most this many vectors (evenly spread over the slots) are read to learn ranges.
    static constexpr size_t train_sample = 65536;

  private:
    row_array rows_;
    size_t row_bytes_ = 0, norm_offset_ = 0, tape_offset_ = 0;
    size_t dims_ = 0;
    scalar_kind storage_ = scalar_kind::unknown;
    std::atomic<int> bits_{0};
    std::atomic<const code_params*> params_{nullptr};
    std::vector<std::unique_ptr<code_params>> fitted_;  // every fit so far; searches may hold any
    std::atomic<size_t> next_fit_{train_min};
    std::atomic<size_t> fitted_bytes_{0};  // read by memory_usage while a fit may push
    codes_kern::dot_fn dot_ = codes_kern::dot_serial;

  public:
    std::mutex fit_mutex;  // one fit at a time; adds never wait for it (try_lock)

    code_store() = default;
    code_store(const code_store&) = delete;
    ~code_store() { release(); }

    // supported tells why codes cannot serve an index of this kind, or nullptr when they can.
    static const char* unsupported_reason(metric_kind m, scalar_kind k, size_t dims) {
        if (m != metric_kind::cos && m != metric_kind::l2sq && m != metric_kind::ip)
            return "Compact codes need the cos, l2sq or ip metric";
        if (k != scalar_kind::f32 && k != scalar_kind::f64 && k != scalar_kind::f16 && k != scalar_kind::bf16)
            return "Compact codes need f32, f64, f16 or bf16 storage: narrower vectors are already as small";
        if (dims > codes_kern::max_dimensions) return "Compact codes support at most 65536 dimensions";
        return nullptr;
    }

    int bits() const { return bits_.load(std::memory_order_acquire); }
    size_t dims() const { return dims_; }
    scalar_kind storage() const { return storage_; }
    size_t row_bytes() const { return row_bytes_; }
    codes_kern::dot_fn dot() const { return dot_; }
    const code_params* params() const { return params_.load(std::memory_order_acquire); }
    size_t next_fit() const { return next_fit_.load(std::memory_order_relaxed); }
    size_t allocated() const { return rows_.allocated(); }

    // release frees the rows and fits; only while no add or search runs.
    void release() {
        bits_.store(0);
        params_.store(nullptr);
        rows_.release();
        fitted_.clear();
        fitted_bytes_ = 0;
        next_fit_ = train_min;
    }

    // configure switches codes on (bits 8) for vectors of this kind, dropping earlier codes;
    // only while no add or search runs. Rows are made as slots get codes.
    void configure(int bits, scalar_kind storage, metric_kind metric, size_t dims) {
        release();
        if (!bits) return;
        storage_ = storage, dims_ = dims;
        // codes | padding to 4 | l2sq: decoded squared norm | padding to 8 | the node's
        // record pointer, so that expanding a node scored a moment ago needs no slot-table
        // read. Rows start 8-byte aligned (the stride is a multiple of 8).
        norm_offset_ = (dims + 3) & ~size_t(3);
        tape_offset_ = (norm_offset_ + (metric == metric_kind::l2sq ? sizeof(float) : 0) + 7) & ~size_t(7);
        row_bytes_ = tape_offset_ + sizeof(uint8_t*);
        rows_.configure(row_bytes_);
        dot_ = codes_kern::best_dot();
        bits_.store(bits, std::memory_order_release);
    }

    // forget drops the fit (Clear), keeping the rows' memory and the setting. Rows are
    // zeroed: their record pointers named records the cleared index handed out again.
    void forget() {
        params_.store(nullptr, std::memory_order_release);
        next_fit_ = train_min;
        rows_.zero();
    }

    uint8_t* row(size_t slot) const { return rows_.row(slot); }
    // ensure makes rows [0, n) addressable.
    bool ensure(size_t n) { return rows_.ensure(n); }

    // memory_usage counts the rows of the first `slots` slots: the rest of the last segment
    // is never touched, so the OS has not backed it with memory (beyond one huge page).
    size_t memory_usage(size_t slots) const {
        return rows_.memory_usage(slots) + fitted_bytes_.load(std::memory_order_relaxed);
    }

    // publish makes a fit current; earlier fits stay allocated for searches still using them.
    void publish(std::unique_ptr<code_params> p) {
        next_fit_.store(p->trained_live * refit_growth, std::memory_order_relaxed);
        const code_params* raw = p.get();
        fitted_bytes_.fetch_add(sizeof(code_params) + (p->lo.capacity() + p->step.capacity()) * sizeof(float),
                                std::memory_order_relaxed);
        fitted_.push_back(std::move(p));  // under fit_mutex
        params_.store(raw, std::memory_order_seq_cst);
    }

    // to_f32 converts a stored vector (or a query in the storage kind) and, for cosine,
    // normalizes it. Returns the squared norm before normalizing.
    float to_f32(const uint8_t* v, metric_kind metric, float* out) const {
        if (storage_ == scalar_kind::f32) std::memcpy(out, v, dims_ * sizeof(float));
        else cast_vector(v, storage_, out, scalar_kind::f32, dims_);
        double n2 = 0;
        for (size_t i = 0; i < dims_; ++i) n2 += double(out[i]) * out[i];
        if (metric == metric_kind::cos && n2 > 0) {
            float inv = float(1 / std::sqrt(n2));
            for (size_t i = 0; i < dims_; ++i) out[i] *= inv;
        }
        return float(n2);
    }

    // encode writes the row of `slot` for vector v (in the storage kind) with fit p.
    void encode(const code_params& p, size_t slot, const uint8_t* v, uint8_t* tape, std::vector<float>& scratch) {
        if (!ensure(slot + 1)) return;  // out of memory: the walk scores this slot exactly
        scratch.resize(dims_);
        to_f32(v, p.metric, scratch.data());
        uint8_t* r = row(slot);
        double decoded2 = 0;
        for (size_t i = 0; i < dims_; ++i) {
            float c = std::nearbyint((scratch[i] - p.lo[i]) / p.step[i]);
            // Data outside the learned range is clamped; NaN (a view's non-finite vector,
            // nonfinite.hpp) becomes 0, as converting it to an integer is undefined.
            c = c >= 0 ? (c > 255 ? 255 : c) : 0;
            r[i] = uint8_t(c);
            double x = double(p.lo[i]) + double(p.step[i]) * c;
            decoded2 += x * x;
        }
        if (p.metric == metric_kind::l2sq) {
            float n2 = float(decoded2);
            uint32_t bits;
            std::memcpy(&bits, &n2, 4);
            __atomic_store_n(reinterpret_cast<uint32_t*>(r + norm_offset_), bits, __ATOMIC_RELAXED);
        }
        __atomic_store_n(reinterpret_cast<uint8_t**>(r + tape_offset_), tape, __ATOMIC_RELEASE);
    }

    // tape reads the record pointer kept in a row (null when the row has none yet).
    uint8_t* tape(const uint8_t* r) const {
        return __atomic_load_n(reinterpret_cast<uint8_t* const*>(r + tape_offset_), __ATOMIC_ACQUIRE);
    }

    // encode_current encodes with the current fit, again if a re-fit was published meanwhile
    // (a re-fit re-encodes every slot it sees, this one perhaps before its vector was in).
    void encode_current(size_t slot, const uint8_t* v, uint8_t* tape, std::vector<float>& scratch) {
        const code_params* p = params();
        for (int tries = 0; p && tries < 4; ++tries) {
            encode(*p, slot, v, tape, scratch);
            std::atomic_thread_fence(std::memory_order_seq_cst);
            const code_params* now = params();
            if (now == p) break;
            p = now;
        }
    }

    // norm2 reads the decoded squared norm of a row (l2sq).
    float norm2(const uint8_t* r) const {
        uint32_t bits = __atomic_load_n(reinterpret_cast<const uint32_t*>(r + norm_offset_), __ATOMIC_RELAXED);
        float n2;
        std::memcpy(&n2, &bits, 4);
        return n2;
    }

    // prepare quantizes a query (in the storage kind) for fit p. It returns false when the
    // query does not fit the codes' float scale (an f64 query beyond the float range): the
    // caller then walks on the real vectors.
    bool prepare(const code_params& p, const uint8_t* q, code_query& out) const {
        out.f32.resize(dims_);
        out.u.resize(dims_);
        float n2 = to_f32(q, p.metric, out.f32.data());
        double offset = 0;
        float amax = 0;
        for (size_t i = 0; i < dims_; ++i) {
            offset += double(out.f32[i]) * p.lo[i];
            amax = std::max(amax, std::fabs(out.f32[i] * p.step[i]));
        }
        if (!std::isfinite(amax) || !std::isfinite(float(offset)) || !std::isfinite(n2)) return false;
        out.alpha = amax > 0 ? amax / 127 : 1;
        float inv = 1 / out.alpha;
        for (size_t i = 0; i < dims_; ++i) {
            float w = std::nearbyint(out.f32[i] * p.step[i] * inv);
            out.u[i] = int8_t(w < -127 ? -127 : w > 127 ? 127 : w);
        }
        out.offset = float(offset);
        out.norm2 = n2;
        return true;
    }

    // distance estimates the metric between the prepared query and a row, on the metric's
    // own scale (so a slot without a row can be scored exactly beside the others).
    float distance(const code_params& p, const code_query& q, const uint8_t* r) const {
        float dot = q.offset + q.alpha * float(dot_(r, q.u.data(), dims_));
        if (p.metric == metric_kind::l2sq) return q.norm2 - 2 * dot + norm2(r);
        return 1 - dot;
    }
};

// code_search is the part of the codes that works on an index: fitting over its slots, the
// walk, re-ranking (codes_search.hpp). It is a friend of dense_index (index.hpp) rather than
// a user of a narrower interface because it keeps the index's code store in step with its
// rows and walks the graph as search.hpp does (entry point, node records, lists, rows) with
// its own distance: accessors for those would open the walk's internals to every caller.
struct code_search {
    static status use(dense_index& x, int bits);
    static void fit(dense_index& x, bool force);
    static void after_store(dense_index& x, size_t slot, const uint8_t* v);
    static void after_add(dense_index& x);
    static bool search(const dense_index& x, context& ctx, const uint8_t* q, size_t ef);
};

}  // namespace usg
