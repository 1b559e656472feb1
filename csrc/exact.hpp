// exact.hpp: brute-force k-nearest search of many queries over many rows without an index
// (usearch_exact_search), and the driver that exact search over an index's own rows
// (toolkit.hpp) shares. Two scans feed one top-k selection (exact_topk.hpp):
//   - the blocked scan (exact_gemm.hpp), for l2sq, ip and cos over the kinds that widen to
//     f32, scores queries x rows as a matrix product. Its candidates are re-scored with the
//     metric's pair kernel before the final ranking, so the distances reported are the pair
//     kernel's exactly (rank_query checks that rounding cannot have left a better row out);
//   - the direct scan (here), for every other metric and kind, scores a block of queries
//     against a block of rows with the batch kernel, so each block of rows is read from
//     memory once per block of queries.
// The driver splits the work over threads by queries or by rows and merges the heaps.
// Results are ranked by distance, ties to the lower row (docs: ExactSearch).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "context.hpp"
#include "exact_gemm.hpp"
#include "exact_topk.hpp"
#include "metric.hpp"

namespace usg {

namespace exact_tuning {
// The direct scan scores query_block queries against each block of rows in turn.
constexpr size_t direct_query_block = 16;
constexpr size_t direct_row_block_bytes = 192 * 1024;
// Below this many queries a blocked tile would be mostly padding: the direct scan is used.
constexpr size_t blocked_min_queries = 8;
}  // namespace exact_tuning

// direct_scan scores queries [q0, q1) against rows [r0, r1) with the batch kernel, a block of
// queries against a block of rows at a time.
inline void direct_scan(const exact_job& job, size_t q0, size_t q1, size_t r0, size_t r1, k_best* heaps) {
    using namespace exact_tuning;
    size_t row_bytes = std::max<size_t>(1, bytes_per_vector(job.kind, job.dims));
    size_t block = std::max<size_t>(1, direct_row_block_bytes / row_bytes);
    std::vector<float> d(std::min(block, r1 - r0));
    for (size_t qb = q0; qb < q1; qb += direct_query_block) {
        size_t qe = std::min(q1, qb + direct_query_block);
        for (size_t rb = r0; rb < r1; rb += block) {
            size_t count = std::min(r1, rb + block) - rb;
            for (size_t q = qb; q < qe; ++q) {
                job.kernel.batch(job.query(q), job.rows + rb, count, job.length, d.data());
                k_best& h = heaps[q - q0];
                float t = h.threshold();
                for (size_t j = 0; j < count; ++j)
                    if (!(d[j] > t)) h.offer(d[j], slot_t(rb + j)), t = h.threshold();
            }
        }
    }
}

// exact_candidates is how many candidates a query keeps for k results: the blocked scan keeps a
// margin, so that rows its dot-product form misorders near the k-th place (against the pair
// kernel) are still among those re-scored.
inline size_t exact_candidates(size_t k, size_t rows, bool blocked) {
    size_t cap = blocked ? k + 8 + k / 8 : k;
    return std::min(cap, rows);
}

// blocked_error bounds how far the blocked scan's distance for a query may be from the pair
// kernel's, for any row: both sum dims products in f32, so each is within about dims units of
// rounding of the magnitude of its terms (|q|^2 + |x|^2 for l2sq, |q||x| for ip, 1 for cos).
inline double blocked_error(const exact_job& job, size_t q, float largest_norm2, std::vector<float>& scratch) {
    scratch.resize(job.dims + 1);
    exact_gemm::decode_row(job.kind, job.query(q), job.dims, scratch.data());
    double qn = 0;
    for (size_t i = 0; i < job.dims; ++i) qn += double(scratch[i]) * scratch[i];
    double scale = job.metric == metric_kind::l2sq ? qn + largest_norm2
                   : job.metric == metric_kind::ip ? std::sqrt(qn * largest_norm2) + 1
                                                   : 2.0;
    return 2.0 * double(job.dims + 4) * std::ldexp(1.0, -24) * scale + 1e-30;
}

// rank_query ranks the candidates c[0, count) of query q best first and returns how many
// there are, every distance re-scored with the pair kernel. Candidates of the blocked scan
// carry its dot-product distances, so before they are trusted it checks that the rows left out (every one at least `outside`, the
// worst kept distance of a full heap) cannot be among the k best within blocked_error. When
// they could (near ties at the k-th place, many duplicates), the query is scanned again
// directly, so the result is always the pair kernel's ranking, ties to the lower row.
inline size_t rank_query(const exact_job& job, size_t q, candidate* c, size_t count, size_t k, bool blocked,
                         float outside, float largest_norm2, std::vector<float>& scratch) {
    if (blocked) {
        std::sort(c, c + count, ranked_before);
        size_t kth = std::min(k, count) - 1;
        bool certain = std::isinf(outside) && outside > 0;  // every row was kept
        if (!certain) {
            double gap = double(outside) - double(c[kth].distance);
            certain = gap > 2 * blocked_error(job, q, largest_norm2, scratch);
        }
        if (!certain) {
            k_best h{c, 0, uint32_t(std::min(k, job.row_count))};
            direct_scan(job, q, q + 1, 0, job.row_count, &h);
            count = h.size;
        }
    }
    // Every reported distance is the pair kernel's: the blocked scan's are dot-product forms,
    // and the direct scan's come from the batch kernel, which a compiler may contract
    // differently from the pair kernel (seen on arm64: one ulp apart).
    for (size_t i = 0; i < count; ++i) c[i].distance = job.kernel.pair(job.query(q), job.rows[c[i].slot], job.length);
    std::sort(c, c + count, ranked_before);
    return count;
}

// norm_order sorts the positions [0, count) of vectors by norm (then position) into order,
// and, when norms is set, writes the sorted norms: the blocked l2sq scan walks rows in this
// order to skip those whose norm alone puts them beyond a query's k-th distance.
template <typename Get>
void norm_order(const exact_job& job, size_t count, Get vector, std::vector<slot_t>& order, std::vector<float>* norms) {
    std::vector<float> norm(count), scratch(job.dims + 1);
    for (size_t i = 0; i < count; ++i) {
        exact_gemm::decode_row(job.kind, vector(i), job.dims, scratch.data());
        norm[i] = std::sqrt(exact_gemm::sum_of_squares(scratch.data(), job.dims));
    }
    order.resize(count);
    for (size_t i = 0; i < count; ++i) order[i] = slot_t(i);
    std::sort(order.begin(), order.end(), [&](slot_t a, slot_t b) {  // NaN last: a strict weak order
        bool an = std::isnan(norm[a]), bn = std::isnan(norm[b]);
        if (an || bn) return an != bn ? bn : a < b;
        return norm[a] < norm[b] || (norm[a] == norm[b] && a < b);
    });
    if (!norms) return;
    norms->resize(count);
    for (size_t i = 0; i < count; ++i) (*norms)[i] = norm[order[i]];
}

// exact_search_rows runs an exact search and calls emit(q, ranked, count) once per query with
// its candidates best first (at least min(k, row_count) of them). threads 0 uses every core.
template <typename Emit>
status exact_search_rows(const exact_job& request, size_t k, size_t threads, Emit emit) {
    exact_job job = request;
    bool blocked = exact_gemm::supported(job.metric, job.kind) && job.query_count >= exact_tuning::blocked_min_queries;
    exact_gemm::plan plan = blocked ? exact_gemm::plan_for(job.metric, cpu_isa()) : exact_gemm::plan{};
    size_t cap = exact_candidates(k, job.row_count, blocked);
    size_t workers = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
    auto run = [&](size_t q0, size_t q1, size_t r0, size_t r1, k_best* heaps, float& largest_norm2) {
        if (r0 >= r1) return;
        if (blocked) plan.run(job, plan.tile, q0, q1, r0, r1, heaps, largest_norm2);
        else direct_scan(job, q0, q1, r0, r1, heaps);
    };
    std::vector<float> scratch;
    // outside is the distance every row a heap left out is at least: its worst when full.
    auto outside = [](const k_best& h) { return h.threshold(); };
    try {
        if (job.row_count == 0 || cap == 0) {
            for (size_t q = 0; q < job.query_count; ++q) emit(q, static_cast<candidate*>(nullptr), size_t(0));
            return {};
        }
        std::vector<slot_t> row_order, query_order;
        std::vector<float> row_norms;
        if (blocked && job.metric == metric_kind::l2sq) {
            norm_order(job, job.row_count, [&](size_t r) { return job.rows[r]; }, row_order, &row_norms);
            norm_order(job, job.query_count, [&](size_t q) { return job.query(q); }, query_order, nullptr);
            job.row_order = row_order.data(), job.row_norms = row_norms.data(), job.query_order = query_order.data();
        }
        // Many queries: each worker takes a range of queries over all rows. Few queries: each
        // takes a range of rows for all queries, and their heaps are merged.
        bool split_rows = workers > 1 && job.query_count < workers * 4 && job.row_count >= workers * 256;
        if (!split_rows) workers = std::max<size_t>(1, std::min(workers, job.query_count));
        if (workers == 1) {
            k_best_set set(job.query_count, cap);
            float largest = 0;
            run(0, job.query_count, 0, job.row_count, set.heaps.data(), largest);
            for (size_t p = 0; p < job.query_count; ++p) {
                k_best& h = set.heaps[p];
                size_t q = job.query_at(p);
                emit(q, h.items, rank_query(job, q, h.items, h.size, k, blocked, outside(h), largest, scratch));
            }
            return {};
        }
        std::vector<std::unique_ptr<k_best_set>> sets(workers);
        std::vector<float> largest(workers, 0.0f);
        std::vector<std::thread> pool;
        bool failed = false;
        std::vector<char> worker_failed(workers, 0);
        size_t total = split_rows ? job.row_count : job.query_count, per = (total + workers - 1) / workers;
        auto body = [&](size_t w) {
            try {
                size_t first = w * per, last = std::min(total, first + per);
                if (split_rows) {
                    sets[w].reset(new k_best_set(job.query_count, cap));
                    run(0, job.query_count, first, last, sets[w]->heaps.data(), largest[w]);
                } else {
                    sets[w].reset(new k_best_set(last > first ? last - first : 0, cap));
                    run(first, last, 0, job.row_count, sets[w]->heaps.data(), largest[w]);
                }
            } catch (...) {
                worker_failed[w] = 1;
            }
        };
        try {
            for (size_t w = 1; w < workers; ++w) pool.emplace_back(body, w);
        } catch (...) {
            failed = true;
        }
        body(0);
        for (auto& t : pool) t.join();
        for (char f : worker_failed) failed = failed || f;
        if (failed) return fail(status_code::out_of_memory, "Out of memory, allocating a temporary buffer for batch results");
        float largest_all = *std::max_element(largest.begin(), largest.end());
        std::vector<candidate> merged;
        for (size_t p = 0; p < job.query_count; ++p) {
            size_t q = job.query_at(p);
            if (split_rows) {
                merged.clear();
                float out = std::numeric_limits<float>::infinity();
                for (auto& s : sets) {
                    const k_best& h = s->heaps[p];
                    merged.insert(merged.end(), h.items, h.items + h.size);
                    out = std::min(out, outside(h));
                }
                emit(q, merged.data(), rank_query(job, q, merged.data(), merged.size(), k, blocked, out, largest_all, scratch));
            } else {
                k_best& h = sets[p / per]->heaps[p % per];
                emit(q, h.items, rank_query(job, q, h.items, h.size, k, blocked, outside(h), largest_all, scratch));
            }
        }
    } catch (...) {
        return fail(status_code::out_of_memory, "Out of memory, allocating a temporary buffer for batch results");
    }
    return {};
}

// exact_search is the brute-force k-nearest search of usearch_exact_search: every query is
// scored against every dataset row; rows are the keys, ties go to the lower row. Slots
// beyond the dataset's rows hold key 0 and a NaN distance.
inline status exact_search(const void* dataset, size_t dataset_size, size_t dataset_stride, const void* queries,
                           size_t queries_size, size_t queries_stride, int kind, size_t dims, int metric,
                           size_t count, size_t threads, usearch_key_t* keys, size_t keys_stride,
                           usearch_distance_t* distances, size_t distances_stride) {
    kernel_t kernel = find_kernel(metric_kind(metric), scalar_kind(kind), cpu_isa());
    if (!kernel.pair)
        return fail(status_code::unsupported, "Unsupported metric for this index's dimensions and scalar kind!");
    if (status st = too_few_dimensions(metric_kind(metric), dims); !st) return st;
    if (queries_size == 0 || count == 0) return {};
    if ((dataset_size && !dataset) || !queries || !keys || !distances)
        return fail(status_code::invalid_argument, "Dataset, query and output pointers must not be NULL");
    if (dataset_size >= max_slots) return fail(status_code::invalid_argument, "Dataset has more than 2^32-2 rows");
    std::vector<const uint8_t*> rows;
    try {
        rows.resize(dataset_size);
    } catch (...) {
        return fail(status_code::out_of_memory, "Out of memory, allocating a temporary buffer for batch results");
    }
    for (size_t r = 0; r < dataset_size; ++r) rows[r] = static_cast<const uint8_t*>(dataset) + r * dataset_stride;
    exact_job job{rows.data(), dataset_size, static_cast<const uint8_t*>(queries), queries_size, queries_stride,
                  metric_kind(metric), scalar_kind(kind), dims, kernel_length(metric_kind(metric), scalar_kind(kind), dims),
                  kernel};
    size_t found = std::min(count, dataset_size);
    return exact_search_rows(job, count, threads, [&](size_t q, const candidate* ranked, size_t) {
        auto* key_row = reinterpret_cast<usearch_key_t*>(reinterpret_cast<uint8_t*>(keys) + q * keys_stride);
        auto* dist_row = reinterpret_cast<usearch_distance_t*>(reinterpret_cast<uint8_t*>(distances) + q * distances_stride);
        for (size_t i = 0; i < found; ++i) key_row[i] = ranked[i].slot, dist_row[i] = ranked[i].distance;
        for (size_t i = found; i < count; ++i)
            key_row[i] = 0, dist_row[i] = std::numeric_limits<float>::signaling_NaN();
    });
}

}  // namespace usg
