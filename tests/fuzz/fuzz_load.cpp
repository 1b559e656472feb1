// fuzz_load.cpp: libFuzzer harness for the loaders. The input is an index image (seeded with
// the upstream fixtures); its first byte picks load (copy) or view, and the rest of the run
// drives what a caller does next with an index it just opened: read its header and stats,
// search (HNSW, exact, filtered), read vectors back, export, save and reload, then (on the
// image itself, or on a clone when it is a read-only view) add, remove, rename, compact.
//
// A malformed image must be refused with an error; an accepted one must behave like an index.
#include "common.hpp"

#include <algorithm>
#include <memory>

namespace {

struct handle_guard {
    usearch_index_t h = nullptr;
    ~handle_guard() {
        if (h) usearch_free(h, nullptr);
    }
};

// A tiny deterministic generator seeded from the input, for queries and new vectors.
struct rng {
    uint64_t s;
    float next() {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return float(int32_t(s >> 33) % 1000) / 1000.0f;
    }
};

constexpr size_t max_dims = 4096;  // larger images are refused below to keep runs fast
constexpr size_t max_limit = 16;

void search_checks(usearch_index_t h, const usearch_init_options_t& o, size_t live, rng& g) {
    std::vector<uint8_t> q(vector_bytes(o.quantization, o.dimensions) + 1);
    fill_vector(o.quantization, o.dimensions, q.data(), [&] { return g.next(); });
    usearch_key_t keys[max_limit];
    usearch_distance_t dist[max_limit];
    size_t found = 0;
    usearch_error_t err = nullptr;

    if (usearchx_search(h, q.data(), o.quantization, max_limit, keys, dist, &found, &err) == usearchx_ok_k) {
        check_results(keys, dist, found, max_limit, o.multi);
        require(found <= live);
        for (size_t i = 0; i < found; ++i) require(usearch_contains(h, keys[i], nullptr));
    }
    size_t exact = 0;
    usearch_key_t ekeys[max_limit];
    usearch_distance_t edist[max_limit];
    if (usearchx_search_exact(h, q.data(), o.quantization, max_limit, ekeys, edist, &exact, &err) ==
        usearchx_ok_k) {
        check_results(ekeys, edist, exact, max_limit, o.multi);
        require(exact == std::min(live, max_limit) || o.multi);
        for (size_t i = 0; i < exact; ++i) require(usearch_contains(h, ekeys[i], nullptr));
    }
    // A filtered search restricted to the first half of what the exact search found.
    if (exact > 1) {
        std::vector<usearch_key_t> allowed(ekeys, ekeys + exact / 2);
        std::sort(allowed.begin(), allowed.end());
        usearchx_filter_t f{};
        f.has_allowed = true, f.allowed = allowed.data(), f.allowed_count = allowed.size();
        usearchx_search_stats_t st{};
        if (usearchx_filtered_search(h, q.data(), o.quantization, max_limit, &f, keys, dist, &found, &st, &err) ==
            usearchx_ok_k) {
            check_results(keys, dist, found, max_limit, o.multi);
            for (size_t i = 0; i < found; ++i)
                require(std::binary_search(allowed.begin(), allowed.end(), keys[i]));
        }
    }
    // Vectors read back in every input kind.
    if (exact > 0) {
        static const usearch_scalar_kind_t kinds[] = {usearch_scalar_f32_k, usearch_scalar_f64_k,
                                                      usearch_scalar_f16_k, usearch_scalar_i8_k,
                                                      usearch_scalar_b1_k};
        for (usearch_scalar_kind_t k : kinds) {
            std::vector<uint8_t> out(vector_bytes(k, o.dimensions) * 2 + 1);
            size_t got = 0;
            if (usearchx_get(h, ekeys[0], 2, out.data(), k, &got, &err) == usearchx_ok_k) require(got >= 1 && got <= 2);
        }
    }
}

void export_checks(usearch_index_t h, size_t live) {
    size_t count = 0;
    usearch_error_t err = nullptr;
    if (usearchx_export(h, 0, 0, nullptr, nullptr, usearch_scalar_f32_k, 0, &count, &err) != usearchx_ok_k) return;
    // Part 0 of 64 << 0 parts: summed over all parts the counts give `live`; one part is a share.
    require(count <= live);
    std::vector<usearch_key_t> keys(count + 1);
    size_t wrote = 0;
    if (usearchx_export(h, 0, 0, keys.data(), nullptr, usearch_scalar_f32_k, keys.size(), &wrote, &err) ==
        usearchx_ok_k)
        require(wrote == count);
}

// round_trip saves the index into a buffer and loads it into a fresh handle: the copy must
// be accepted and hold as many vectors, unless the source is a view holding a NaN or an
// infinity (a view serves those; Load refuses them, naming the key: csrc/nonfinite.hpp).
void round_trip(usearch_index_t h, size_t live, bool view) {
    usearch_error_t err = nullptr;
    size_t n = usearch_serialized_length(h, &err);
    if (err || n == 0 || n > (64u << 20)) return;
    std::vector<uint8_t> buf(n);
    usearch_save_buffer(h, buf.data(), n, &err);
    if (err) return;
    handle_guard copy;
    copy.h = usearch_init(nullptr, nullptr);
    require(copy.h);
    int st = usearchx_load_buffer(copy.h, buf.data(), n, false, &err);
    if (view && st == usearchx_invalid_file_k && err && std::strstr(err, "is not finite")) return;
    if (st != usearchx_ok_k) {
        std::fprintf(stderr, "re-loading a saved image failed: %s\n", err ? err : "?");
        require(st == usearchx_ok_k);
    }
    require(usearch_size(copy.h, nullptr) == live);
}

void mutate(usearch_index_t h, const usearch_init_options_t& o, rng& g) {
    usearch_error_t err = nullptr;
    std::vector<uint8_t> v(vector_bytes(o.quantization, o.dimensions) + 1);
    for (usearch_key_t k = 1000000; k < 1000008; ++k) {
        fill_vector(o.quantization, o.dimensions, v.data(), [&] { return g.next(); });
        usearchx_add(h, k, v.data(), o.quantization, &err);
    }
    size_t removed = 0, moved = 0;
    usearchx_remove(h, 1000001, &removed, &err);
    usearchx_rename(h, 1000002, 2000002, &moved, &err);
    // Remove a few of the loaded keys too, then search and compact.
    usearch_key_t keys[4];
    size_t got = 0;
    if (usearchx_export(h, 0, 1, keys, nullptr, usearch_scalar_f32_k, 4, &got, &err) == usearchx_ok_k)
        for (size_t i = 0; i < got && i < 4; ++i) usearchx_remove(h, keys[i], &removed, &err);
    usearchx_stats_t stats;
    usearchx_stats(h, &stats);
    usearch_index_t compacted = nullptr;
    uint64_t epoch = 0;
    if (usearchx_compact(h, nullptr, 1, &compacted, &epoch, &err) == usearchx_ok_k) {
        require(compacted);
        require(usearch_size(compacted, nullptr) == usearch_size(h, nullptr));
        usearch_free(compacted, nullptr);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0];
    // The image lives in its own exact-size allocation, so ASan sees any read past its end.
    std::unique_ptr<uint8_t[]> image(new uint8_t[size - 1 ? size - 1 : 1]);
    if (size > 1) std::memcpy(image.get(), data + 1, size - 1);
    bool view = mode & 1;

    usearch_init_options_t header{};
    usearch_error_t err = nullptr;
    usearchx_metadata(nullptr, image.get(), size - 1, &header, &err);

    handle_guard idx;
    idx.h = usearch_init(nullptr, nullptr);
    require(idx.h);
    if (usearchx_load_buffer(idx.h, image.get(), size - 1, view, &err) != usearchx_ok_k) return 0;

    usearch_init_options_t o{};
    size_t live = 0;
    bool read_only = false;
    require(usearchx_describe(idx.h, &o, &live, &read_only) == usearchx_ok_k);
    require(read_only == view);
    require(usearch_size(idx.h, nullptr) == live);
    if (o.dimensions == 0 || o.dimensions > max_dims || vector_bytes(o.quantization, o.dimensions) == 0) return 0;

    rng g{0x9E3779B97F4A7C15ull ^ size ^ (uint64_t(mode) << 32)};
    search_checks(idx.h, o, live, g);
    export_checks(idx.h, live);
    usearchx_stats_t stats;
    require(usearchx_stats(idx.h, &stats) == usearchx_ok_k);
    require(stats.nodes >= live);
    if (mode & 2) round_trip(idx.h, live, view);

    // Writes go to the index itself, or to a clone of a view (which owns its memory).
    handle_guard clone;
    usearch_index_t target = idx.h;
    if (view) {
        if (usearchx_clone(idx.h, &clone.h, &err) != usearchx_ok_k) return 0;
        require(usearch_size(clone.h, nullptr) == live);
        target = clone.h;
    }
    mutate(target, o, g);
    search_checks(target, o, usearch_size(target, nullptr), g);
    if (mode & 4) {
        require(usearchx_clear(target, mode & 8, &err) == usearchx_ok_k);
        require(usearch_size(target, nullptr) == 0);
    }
    return 0;
}
