// exact_gemm.hpp: the blocked scan of exact search (exact.hpp drives it), for l2sq, ip and
// cos over f32, f16, bf16, i8, u8 and the mini-floats. It computes every query-row dot
// product as a matrix product: rows and queries are widened to f32 and packed into panels, a
// register-blocked micro-kernel (AVX-512, AVX2 or portable, all here) scores a tile of
// queries x rows at a time, and the distance follows from precomputed norms (l2sq = |q|^2 +
// |x|^2 - 2 q.x). For l2sq, rows and queries are visited in order of norm and a tile is
// skipped when |q - x| >= | |q| - |x| | puts all its rows beyond every query's current k-th
// distance. Also here: exact_job, the description of one exact search that both scans read.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "context.hpp"
#include "exact_topk.hpp"
#include "metric.hpp"

namespace usg {

namespace exact_tuning {
// Bytes of packed rows scanned per block: the block stays in the per-core L2 cache while
// every query panel of a chunk passes over it.
constexpr size_t row_block_bytes = 384 * 1024;
// Bytes of packed queries per chunk: the chunk stays in the shared L3 cache while the rows
// stream past it once; rows are re-packed once per chunk.
constexpr size_t query_chunk_bytes = 8 * 1024 * 1024;
}  // namespace exact_tuning

// exact_job is one exact search: rows (as pointers, so that rows need not be evenly spaced),
// queries at a stride, both in storage kind `kind`.
struct exact_job {
    const uint8_t* const* rows;
    size_t row_count;
    const uint8_t* queries;
    size_t query_count, query_stride;
    metric_kind metric;
    scalar_kind kind;
    size_t dims, length;  // length: the kernel's n
    kernel_t kernel;
    // The blocked l2sq scan visits rows and queries in order of norm (see norm_order): the
    // row and query at position p are row_order[p] and query_order[p] (p when null), and
    // row_norms[p] is the norm of the row at position p.
    const slot_t* row_order = nullptr;
    const float* row_norms = nullptr;
    const slot_t* query_order = nullptr;
    const uint8_t* query(size_t q) const { return queries + q * query_stride; }
    size_t row_at(size_t p) const { return row_order ? row_order[p] : p; }
    size_t query_at(size_t p) const { return query_order ? query_order[p] : p; }
};

namespace exact_gemm {

enum mode_t { mode_ip = 0, mode_l2sq = 1, mode_cos = 2 };

// decode_row widens one vector of any numeric storage kind to f32.
template <typename D> void decode_as(const uint8_t* v, size_t dims, float* out) {
    for (size_t i = 0; i < dims; ++i) out[i] = float(D::get(v, i));
}
inline void decode_row(scalar_kind kind, const uint8_t* v, size_t dims, float* out) {
    switch (kind) {
    case scalar_kind::f32: std::memcpy(out, v, dims * 4); return;
    case scalar_kind::f16: return decode_as<kern::dec_f16>(v, dims, out);
    case scalar_kind::bf16: return decode_as<kern::dec_bf16>(v, dims, out);
    case scalar_kind::i8: return decode_as<kern::dec_i8>(v, dims, out);
    case scalar_kind::u8: return decode_as<kern::dec_u8>(v, dims, out);
    case scalar_kind::e5m2: return decode_as<kern::dec_e5m2>(v, dims, out);
    case scalar_kind::e4m3: return decode_as<kern::dec_e4m3>(v, dims, out);
    case scalar_kind::e3m2: return decode_as<kern::dec_e3m2>(v, dims, out);
    case scalar_kind::e2m3: return decode_as<kern::dec_e2m3>(v, dims, out);
    default: std::fill(out, out + dims, 0.0f); return;
    }
}

// supported tells whether the blocked scan handles the metric and kind: the metrics that are
// a function of the dot product and the norms, over kinds that widen to f32 without loss.
inline bool supported(metric_kind m, scalar_kind k) {
    if (m != metric_kind::l2sq && m != metric_kind::ip && m != metric_kind::cos) return false;
    return k != scalar_kind::f64 && k != scalar_kind::b1 && metric_supported(m, k);
}

// finish_tile turns an MR x NR tile of dot products into distances: qa and ra hold the
// squared norms (l2sq) or the inverse norms, 0 for a zero vector (cos) of the tile's
// queries and rows.
template <int Mode, int MR, int NR>
USG_INLINE void finish_tile(float* tile, const float* qa, const float* ra) {
    for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) {
            float dot = tile[i * NR + j];
            if (Mode == mode_l2sq) tile[i * NR + j] = qa[i] + ra[j] - 2.0f * dot;
            else if (Mode == mode_ip) tile[i * NR + j] = 1.0f - dot;
            else tile[i * NR + j] = 1.0f - dot * qa[i] * ra[j];
        }
}

// A tile function scores the packed panels a (dims x MR queries) and b (dims x NR rows),
// writes MR x NR distances and, per query i, the mask of rows whose distance is not above
// thr[i] (NaN included): the only ones worth offering to its heap.
using tile_fn = void (*)(const float* a, const float* b, size_t dims, const float* qa, const float* ra, const float* thr,
                         float* out, uint32_t* masks);

// not_above_masks is the portable mask computation of a tile.
template <int MR, int NR> USG_INLINE void not_above_masks(const float* tile, const float* thr, uint32_t* masks) {
    for (int i = 0; i < MR; ++i) {
        uint32_t m = 0;
        for (int j = 0; j < NR; ++j) m |= uint32_t(!(tile[i * NR + j] > thr[i])) << j;
        masks[i] = m;
    }
}

// Portable micro-kernel: 4 queries x 16 rows, written so that compilers vectorise the rows.
constexpr int serial_mr = 4, serial_nr = 16;
template <int Mode>
void tile_serial(const float* a, const float* b, size_t dims, const float* qa, const float* ra, const float* thr, float* out,
                 uint32_t* masks) {
    constexpr int MR = serial_mr, NR = serial_nr;
    float acc[MR * NR] = {};
    for (size_t k = 0; k < dims; ++k) {
        const float* bk = b + k * NR;
        const float* ak = a + k * MR;
        for (int i = 0; i < MR; ++i)
            for (int j = 0; j < NR; ++j) acc[i * NR + j] += ak[i] * bk[j];
    }
    finish_tile<Mode, MR, NR>(acc, qa, ra);
    std::memcpy(out, acc, sizeof(acc));
    not_above_masks<MR, NR>(out, thr, masks);
}

}  // namespace exact_gemm
}  // namespace usg

#if USG_X86
USG_X86_INTRINSICS_BEGIN
#include <immintrin.h>
namespace usg {
namespace exact_gemm {

// AVX-512 micro-kernel: 12 queries x 32 rows in 24 accumulators; each step loads two row
// vectors and broadcasts twelve query elements.
constexpr int skylake_mr = 12, skylake_nr = 32;
template <int Mode>
USG_TARGET_SKYLAKE void tile_skylake(const float* a, const float* b, size_t dims, const float* qa, const float* ra,
                                     const float* thr, float* out, uint32_t* masks) {
    constexpr int MR = skylake_mr, NR = skylake_nr;
    __m512 acc0[MR], acc1[MR];
    for (int i = 0; i < MR; ++i) acc0[i] = _mm512_setzero_ps(), acc1[i] = _mm512_setzero_ps();
    for (size_t k = 0; k < dims; ++k) {
        __m512 b0 = _mm512_loadu_ps(b + k * NR), b1 = _mm512_loadu_ps(b + k * NR + 16);
        const float* ak = a + k * MR;
        for (int i = 0; i < MR; ++i) {
            __m512 x = _mm512_set1_ps(ak[i]);
            acc0[i] = _mm512_fmadd_ps(x, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(x, b1, acc1[i]);
        }
    }
    for (int i = 0; i < MR; ++i) _mm512_storeu_ps(out + i * NR, acc0[i]), _mm512_storeu_ps(out + i * NR + 16, acc1[i]);
    finish_tile<Mode, MR, NR>(out, qa, ra);
    for (int i = 0; i < MR; ++i) {
        __m512 t = _mm512_set1_ps(thr[i]);
        uint32_t lo = _mm512_cmp_ps_mask(_mm512_loadu_ps(out + i * NR), t, _CMP_NGT_UQ);
        uint32_t hi = _mm512_cmp_ps_mask(_mm512_loadu_ps(out + i * NR + 16), t, _CMP_NGT_UQ);
        masks[i] = lo | (hi << 16);
    }
}

// AVX2 micro-kernel: 6 queries x 16 rows in 12 accumulators.
constexpr int haswell_mr = 6, haswell_nr = 16;
template <int Mode>
USG_TARGET_HASWELL void tile_haswell(const float* a, const float* b, size_t dims, const float* qa, const float* ra,
                                     const float* thr, float* out, uint32_t* masks) {
    constexpr int MR = haswell_mr, NR = haswell_nr;
    __m256 acc0[MR], acc1[MR];
    for (int i = 0; i < MR; ++i) acc0[i] = _mm256_setzero_ps(), acc1[i] = _mm256_setzero_ps();
    for (size_t k = 0; k < dims; ++k) {
        __m256 b0 = _mm256_loadu_ps(b + k * NR), b1 = _mm256_loadu_ps(b + k * NR + 8);
        const float* ak = a + k * MR;
        for (int i = 0; i < MR; ++i) {
            __m256 x = _mm256_broadcast_ss(ak + i);
            acc0[i] = _mm256_fmadd_ps(x, b0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(x, b1, acc1[i]);
        }
    }
    for (int i = 0; i < MR; ++i) _mm256_storeu_ps(out + i * NR, acc0[i]), _mm256_storeu_ps(out + i * NR + 8, acc1[i]);
    finish_tile<Mode, MR, NR>(out, qa, ra);
    for (int i = 0; i < MR; ++i) {
        __m256 t = _mm256_set1_ps(thr[i]);
        uint32_t lo = uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(out + i * NR), t, _CMP_NGT_UQ)));
        uint32_t hi = uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(out + i * NR + 8), t, _CMP_NGT_UQ)));
        masks[i] = lo | (hi << 8);
    }
}

}  // namespace exact_gemm
}  // namespace usg
USG_X86_INTRINSICS_END
#endif

namespace usg {
namespace exact_gemm {

// sum_of_squares sums in 16 lanes, so that compilers vectorise it.
inline float sum_of_squares(const float* x, size_t n) {
    float lanes[16] = {};
    size_t k = 0;
    for (; k + 16 <= n; k += 16)
        for (size_t j = 0; j < 16; ++j) lanes[j] += x[k + j] * x[k + j];
    for (; k < n; ++k) lanes[k % 16] += x[k] * x[k];
    for (size_t w = 8; w > 0; w /= 2)
        for (size_t j = 0; j < w; ++j) lanes[j] += lanes[j + w];
    return lanes[0];
}

// aligned_floats is a 64-byte aligned scratch array of floats.
struct aligned_floats {
    std::vector<float> raw;
    float* data = nullptr;
    void resize(size_t n) {
        if (raw.size() < n + 16) raw.assign(n + 16, 0.0f);
        auto p = reinterpret_cast<uintptr_t>(raw.data());
        data = raw.data() + ((64 - p % 64) % 64) / sizeof(float);
    }
};

// pack_panel interleaves `count` (at most W) vectors into a dims x W panel, zero-padding the
// missing ones, and writes each vector's norm term into aux (squared norm for l2sq, inverse
// norm or 0 for cos). `vector(i)` returns the i-th vector. Returns the largest squared norm.
template <int W, typename Get>
float pack_panel(const exact_job& job, size_t count, Get vector, float* panel, float* aux, float* scratch) {
    size_t dims = job.dims;
    float largest = 0;
    for (size_t i = 0; i < size_t(W); ++i) {
        if (i < count) decode_row(job.kind, vector(i), dims, scratch);
        else std::fill(scratch, scratch + dims, 0.0f);
        for (size_t k = 0; k < dims; ++k) panel[k * W + i] = scratch[k];
        float norm = sum_of_squares(scratch, dims);
        if (job.metric == metric_kind::cos) aux[i] = norm > 0 ? 1.0f / std::sqrt(norm) : 0.0f;
        else aux[i] = norm;
        largest = std::max(largest, norm);
    }
    return largest;
}

// norm_gap_bound is a lower bound of |q - x|^2 for every row x of a panel whose norms lie in
// [lo, hi], from |q - x| >= | |q| - |x| |; the norms carry the rounding of an f32 sum of
// dims squares, so the gap is shrunk by that much before it is squared.
inline float norm_gap_bound(float qnorm, float lo, float hi, size_t dims) {
    float gap = qnorm < lo ? lo - qnorm : qnorm > hi ? qnorm - hi : 0.0f;
    if (gap <= 0) return 0;
    float slack = (qnorm + hi) * float(dims + 4) * 1.2e-7f;
    gap -= slack;
    return gap > 0 ? gap * gap : 0.0f;
}

// scan scores the queries at positions [q0, q1) against the rows at positions [r0, r1)
// with the tile function of an MR x NR micro-kernel and offers every row to the queries'
// heaps (heaps[p - q0] for position p). With row norms (l2sq), a tile is skipped when every
// one of its queries has a full heap whose worst distance is below the norm bound of the
// tile's rows, and the row blocks are visited from the chunk's median query norm outwards,
// so that the heaps fill with near rows first. It raises largest_norm2 to the largest
// squared norm of the rows it packed.
template <int MR, int NR>
void scan(const exact_job& job, tile_fn tile, size_t q0, size_t q1, size_t r0, size_t r1, k_best* heaps,
          float& largest_norm2) {
    static_assert(NR <= 32, "a tile reports its rows in 32-bit masks");
    using namespace exact_tuning;
    size_t dims = job.dims, row_bytes = std::max<size_t>(dims, 1) * sizeof(float);
    size_t chunk = std::max<size_t>(1, query_chunk_bytes / (row_bytes * MR)) * MR;
    size_t block = std::max<size_t>(1, row_block_bytes / (row_bytes * NR)) * NR;
    aligned_floats apack, bpack;
    std::vector<float> qaux, qnorm, raux, scratch(dims + 1);
    std::vector<size_t> blocks;
    float out[MR * NR], thr[MR];
    uint32_t masks[MR];
    bool cos = job.metric == metric_kind::cos, prune = job.row_norms != nullptr;
    const float* rnorm = job.row_norms;
    for (size_t qc = q0; qc < q1; qc += chunk) {
        size_t qe = std::min(q1, qc + chunk), qpanels = (qe - qc + MR - 1) / MR;
        apack.resize(qpanels * MR * dims), qaux.resize(qpanels * MR), qnorm.resize(qpanels * MR);
        for (size_t p = 0; p < qpanels; ++p) {
            size_t first = qc + p * MR;
            pack_panel<MR>(job, std::min<size_t>(MR, qe - first), [&](size_t i) { return job.query(job.query_at(first + i)); },
                           apack.data + p * MR * dims, qaux.data() + p * MR, scratch.data());
        }
        for (size_t i = 0; i < qnorm.size(); ++i) qnorm[i] = std::sqrt(qaux[i]);
        // The order of the row blocks: outwards from the one at the median query norm.
        size_t nblocks = (r1 - r0 + block - 1) / block, start = 0;
        if (prune) {
            float median = qnorm[(qe - qc) / 2];
            start = size_t(std::lower_bound(rnorm + r0, rnorm + r1, median) - (rnorm + r0)) / block;
            start = std::min(start, nblocks - 1);
        }
        blocks.clear();
        for (size_t step = 0; blocks.size() < nblocks; ++step) {
            if (start + step < nblocks) blocks.push_back(start + step);
            if (step && step <= start) blocks.push_back(start - step);
        }
        for (size_t b : blocks) {
            size_t rb = r0 + b * block, re = std::min(r1, rb + block), rpanels = (re - rb + NR - 1) / NR;
            if (prune) {  // skip the whole block when no query of the chunk can reach it
                bool needed = false;
                for (size_t p = qc; p < qe && !needed; ++p)
                    needed = !(norm_gap_bound(qnorm[p - qc], rnorm[rb], rnorm[re - 1], dims) > heaps[p - q0].threshold());
                if (!needed) continue;
            }
            bpack.resize(rpanels * NR * dims), raux.resize(rpanels * NR);
            for (size_t p = 0; p < rpanels; ++p) {
                size_t first = rb + p * NR;
                float largest = pack_panel<NR>(job, std::min<size_t>(NR, re - first),
                                               [&](size_t i) { return job.rows[job.row_at(first + i)]; },
                                               bpack.data + p * NR * dims, raux.data() + p * NR, scratch.data());
                largest_norm2 = std::max(largest_norm2, largest);
            }
            for (size_t qp = 0; qp < qpanels; ++qp) {
                size_t qfirst = qc + qp * MR, qn = std::min<size_t>(MR, qe - qfirst);
                for (size_t rp = 0; rp < rpanels; ++rp) {
                    size_t rfirst = rb + rp * NR, rn = std::min<size_t>(NR, re - rfirst);
                    const float* ra = raux.data() + rp * NR;
                    bool skip = prune;
                    for (size_t i = 0; i < size_t(MR); ++i) {
                        thr[i] = i < qn ? heaps[qfirst + i - q0].threshold() : -std::numeric_limits<float>::infinity();
                        if (skip && i < qn)
                            skip = norm_gap_bound(qnorm[qfirst + i - qc], rnorm[rfirst], rnorm[rfirst + rn - 1], dims) > thr[i];
                    }
                    if (skip) continue;
                    tile(apack.data + qp * MR * dims, bpack.data + rp * NR * dims, dims, qaux.data() + qp * MR, ra, thr,
                         out, masks);
                    uint32_t valid = rn == 32 ? ~uint32_t(0) : (uint32_t(1) << rn) - 1;
                    for (size_t i = 0; i < qn; ++i) {
                        float* d = out + i * NR;
                        uint32_t m = masks[i] & valid;
                        // cos of two zero vectors is 0, which the inverse norms cannot express.
                        if (cos && qaux[qp * MR + i] == 0) {
                            for (size_t j = 0; j < rn; ++j) d[j] = ra[j] == 0 ? 0.0f : 1.0f;
                            m = valid;
                        }
                        if (!m) continue;
                        k_best& h = heaps[qfirst + i - q0];
                        for (float t = h.threshold(); m; m &= m - 1) {
                            size_t j = size_t(__builtin_ctz(m));
                            if (!(d[j] > t)) h.offer(d[j], slot_t(job.row_at(rfirst + j))), t = h.threshold();
                        }
                    }
                }
            }
        }
    }
}

// plan_for returns the scan of the best micro-kernel this CPU runs for the metric.
using scan_fn = void (*)(const exact_job&, tile_fn, size_t, size_t, size_t, size_t, k_best*, float&);
struct plan {
    scan_fn run = nullptr;
    tile_fn tile = nullptr;
    const char* level = nullptr;  // the level whose micro-kernel it runs (usearchx_exact_level)
};
// Levels above skylake (ice, genoa) add instructions the f32 micro-kernels do not use, so
// they run skylake's: the test is "at least", or a newer CPU would fall back to serial.
template <int Mode> inline plan plan_for_mode(int isa) {
#if USG_X86
    if (isa >= kern::isa_skylake) return {scan<skylake_mr, skylake_nr>, tile_skylake<Mode>, "skylake"};
    if (isa == kern::isa_haswell) return {scan<haswell_mr, haswell_nr>, tile_haswell<Mode>, "haswell"};
#endif
    (void)isa;
    return {scan<serial_mr, serial_nr>, tile_serial<Mode>, "serial"};
}
inline plan plan_for(metric_kind m, int isa) {
    if (m == metric_kind::l2sq) return plan_for_mode<mode_l2sq>(isa);
    if (m == metric_kind::ip) return plan_for_mode<mode_ip>(isa);
    return plan_for_mode<mode_cos>(isa);
}

}  // namespace exact_gemm

}  // namespace usg
