// fuzz_api.cpp: libFuzzer harness for the C API's argument handling. The input decodes into
// index options (any metric, scalar kind, dimensions, connectivity, expansions, multi) and
// then a sequence of calls with arguments taken from the input: adds and searches in every
// input kind, limits from 0 up, removes and renames of present and absent keys, reserve,
// expansion changes, filtered searches (allow-lists, ranges), exact searches, exports with any
// part_bits and part, clear, clone, compact+swap, streamed saves with any chunk size, reloads,
// distances and casts between kinds. Every call must return a status (never crash), and the
// results must keep the API's promises (checked with require()).
#include "common.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <set>

namespace {

enum op_t : uint8_t {
    op_add,
    op_search,
    op_get,
    op_remove,
    op_rename,
    op_reserve,
    op_expansion,
    op_filtered,
    op_exact,
    op_export,
    op_clear,
    op_clone,
    op_compact,
    op_save_load,
    op_distance,
    op_upstream,
    op_count_,
};

usearch_scalar_kind_t any_kind(FuzzedDataProvider& in) {
    return usearch_scalar_kind_t(in.ConsumeIntegralInRange<int>(0, 12));
}

// An input kind the harness can fill with well-formed values, or occasionally any kind.
usearch_scalar_kind_t input_kind(FuzzedDataProvider& in) {
    static const usearch_scalar_kind_t kinds[] = {usearch_scalar_f32_k, usearch_scalar_f64_k, usearch_scalar_f16_k,
                                                  usearch_scalar_bf16_k, usearch_scalar_i8_k, usearch_scalar_b1_k,
                                                  usearch_scalar_u8_k};
    if (in.ConsumeIntegralInRange<int>(0, 15) == 0) return any_kind(in);
    return kinds[in.ConsumeIntegralInRange<size_t>(0, sizeof kinds / sizeof kinds[0] - 1)];
}

struct harness {
    FuzzedDataProvider& in;
    usearch_init_options_t o{};
    usearch_index_t h = nullptr;
    usearch_error_t err = nullptr;

    ~harness() {
        if (h) usearch_free(h, nullptr);
    }

    usearch_key_t key() {
        // Mostly a small key space (collisions, re-adds), sometimes anything (the reserved key too).
        return in.ConsumeBool() ? in.ConsumeIntegralInRange<usearch_key_t>(0, 40) : in.ConsumeIntegral<usearch_key_t>();
    }

    // vector returns a buffer of kind k with dimensions d, well-formed values; its size is
    // exactly what the kind needs (plus one byte so 0-dimension calls get a valid pointer).
    std::vector<uint8_t> vector(usearch_scalar_kind_t k, size_t d) {
        std::vector<uint8_t> v(vector_bytes(k, d) + 1);
        if (vector_bytes(k, d) == 0 && d) v.resize(d * 8 + 1);  // unknown kind: the core must refuse it
        fill_vector_safe(k, d, v.data());
        return v;
    }

    void fill_vector_safe(usearch_scalar_kind_t k, size_t d, uint8_t* out) {
        if (vector_bytes(k, d) == 0) return;
        fill_vector(k, d, out, [&] { return float(in.ConsumeIntegralInRange<int>(-100, 100)) / 100.0f; });
    }

    bool multi() const { return o.multi; }

    void add() {
        usearch_scalar_kind_t k = input_kind(in);
        auto v = vector(k, o.dimensions);
        usearch_key_t key_ = key();
        size_t before = usearch_size(h, nullptr);
        bool had = usearch_contains(h, key_, nullptr);
        int st = usearchx_add(h, key_, v.data(), k, &err);
        size_t after = usearch_size(h, nullptr);
        if (st == usearchx_ok_k) {
            require(after == before + 1);
            require(usearch_contains(h, key_, nullptr));
            require(!had || multi());
        } else {
            require(after == before);  // a refused add adds nothing
        }
    }

    void search() {
        usearch_scalar_kind_t k = input_kind(in);
        auto q = vector(k, o.dimensions);
        size_t limit = in.ConsumeIntegralInRange<size_t>(0, 70);
        std::vector<usearch_key_t> keys(limit + 1);
        std::vector<usearch_distance_t> dist(limit + 1);
        size_t found = 0;
        if (usearchx_search(h, q.data(), k, limit, keys.data(), dist.data(), &found, &err) == usearchx_ok_k) {
            check_results(keys.data(), dist.data(), found, limit, multi());
            for (size_t i = 0; i < found; ++i) require(usearch_contains(h, keys[i], nullptr));
        }
    }

    void get() {
        usearch_scalar_kind_t k = input_kind(in);
        size_t count = in.ConsumeIntegralInRange<size_t>(0, 4);
        std::vector<uint8_t> out(std::max<size_t>(vector_bytes(k, o.dimensions), 8) * (count + 1) + 8);
        size_t found = 0;
        usearch_key_t key_ = key();
        if (usearchx_get(h, key_, count, out.data(), k, &found, &err) == usearchx_ok_k) {
            require(found <= count);
            require(found <= usearch_count(h, key_, nullptr));
        }
    }

    void remove() {
        usearch_key_t key_ = key();
        size_t had = usearch_count(h, key_, nullptr), removed = 0;
        if (usearchx_remove(h, key_, &removed, &err) == usearchx_ok_k) {
            require(removed == had);
            require(!usearch_contains(h, key_, nullptr));
        }
    }

    void rename() {
        usearch_key_t from = key(), to = key();
        size_t had = usearch_count(h, from, nullptr), moved = 0;
        size_t before = usearch_size(h, nullptr);
        if (usearchx_rename(h, from, to, &moved, &err) == usearchx_ok_k) {
            require(moved == had);
            require(usearch_size(h, nullptr) == before);
            if (moved && from != to) require(!usearch_contains(h, from, nullptr));
        }
    }

    void reserve() { usearchx_reserve(h, in.ConsumeIntegralInRange<size_t>(0, 3000), &err); }

    void expansion() {
        size_t e = in.ConsumeIntegralInRange<size_t>(0, 5000);
        if (in.ConsumeBool())
            usearch_change_expansion_add(h, e, &err);
        else
            usearch_change_expansion_search(h, e, &err);
        err = nullptr;
    }

    void filtered() {
        usearch_scalar_kind_t k = input_kind(in);
        auto q = vector(k, o.dimensions);
        size_t limit = in.ConsumeIntegralInRange<size_t>(0, 40);
        std::vector<usearch_key_t> allowed;
        size_t n = in.ConsumeIntegralInRange<size_t>(0, 12);
        for (size_t i = 0; i < n; ++i) allowed.push_back(key());
        std::sort(allowed.begin(), allowed.end());
        usearchx_filter_t f{};
        f.has_allowed = in.ConsumeBool(), f.allowed = allowed.data(), f.allowed_count = allowed.size();
        f.has_range = in.ConsumeBool();
        f.range_min = key(), f.range_max = key();
        std::vector<usearch_key_t> keys(limit + 1);
        std::vector<usearch_distance_t> dist(limit + 1);
        size_t found = 0;
        usearchx_search_stats_t stats{};
        if (usearchx_filtered_search(h, q.data(), k, limit, &f, keys.data(), dist.data(), &found, &stats, &err) ==
            usearchx_ok_k) {
            check_results(keys.data(), dist.data(), found, limit, multi());
            for (size_t i = 0; i < found; ++i) {
                if (f.has_allowed) require(std::binary_search(allowed.begin(), allowed.end(), keys[i]));
                if (f.has_range) require(keys[i] >= f.range_min && keys[i] <= f.range_max);
            }
        }
    }

    void exact() {
        usearch_scalar_kind_t k = input_kind(in);
        auto q = vector(k, o.dimensions);
        size_t limit = in.ConsumeIntegralInRange<size_t>(0, 70);
        std::vector<usearch_key_t> keys(limit + 1);
        std::vector<usearch_distance_t> dist(limit + 1);
        size_t found = 0;
        if (usearchx_search_exact(h, q.data(), k, limit, keys.data(), dist.data(), &found, &err) == usearchx_ok_k) {
            check_results(keys.data(), dist.data(), found, limit, multi());
            require(found == std::min(limit, usearch_size(h, nullptr)) || multi());
        }
    }

    void export_() {
        unsigned bits = in.ConsumeIntegralInRange<unsigned>(0, 70);
        uint64_t part = in.ConsumeIntegral<uint64_t>() % (bits < 8 ? (64ull << bits) + 2 : ~0ull);
        size_t capacity = in.ConsumeIntegralInRange<size_t>(0, 64);
        usearch_scalar_kind_t k = input_kind(in);
        bool with_vectors = in.ConsumeBool();
        std::vector<usearch_key_t> keys(capacity + 1);
        std::vector<uint8_t> vecs(with_vectors ? (vector_bytes(k, o.dimensions) + 8) * (capacity + 1) : 1);
        size_t count = 0;
        if (usearchx_export(h, bits, part, keys.data(), with_vectors ? vecs.data() : nullptr, k, capacity, &count,
                            &err) == usearchx_ok_k) {
            require(count <= usearch_size(h, nullptr));
            if (count <= capacity)
                for (size_t i = 0; i < count; ++i) require(usearch_contains(h, keys[i], nullptr));
        }
    }

    void clear() {
        if (usearchx_clear(h, in.ConsumeBool(), &err) == usearchx_ok_k) require(usearch_size(h, nullptr) == 0);
    }

    void clone() {
        usearch_index_t c = nullptr;
        if (usearchx_clone(h, &c, &err) != usearchx_ok_k) return;
        require(usearch_size(c, nullptr) == usearch_size(h, nullptr));
        if (in.ConsumeBool()) std::swap(c, h);  // go on with the clone
        usearch_free(c, nullptr);
    }

    void compact() {
        usearch_index_t c = nullptr;
        uint64_t epoch = 0;
        size_t threads = in.ConsumeIntegralInRange<size_t>(0, 3);
        if (usearchx_compact(h, nullptr, threads, &c, &epoch, &err) != usearchx_ok_k) return;
        require(usearch_size(c, nullptr) == usearch_size(h, nullptr));
        require(epoch == usearchx_mutations(h));
        require(usearchx_swap(h, c) == usearchx_ok_k);
        usearch_free(c, nullptr);
    }

    void save_load() {
        size_t chunk = in.ConsumeIntegralInRange<size_t>(0, 5000);
        std::vector<uint8_t> image, buf(chunk + 1);
        usearchx_save_cursor_t cur{};
        for (int rounds = 0; rounds < 100000; ++rounds) {
            size_t wrote = 0;
            if (usearchx_save_chunk(h, &cur, buf.data(), chunk, &wrote, &err) != usearchx_ok_k) return;
            if (wrote == 0) break;
            require(wrote <= chunk);
            image.insert(image.end(), buf.data(), buf.data() + wrote);
        }
        size_t n = usearch_serialized_length(h, nullptr);
        if (chunk == 0 || image.size() != n) return;  // a zero-size chunk writes nothing
        bool view = in.ConsumeBool();
        size_t live = usearch_size(h, nullptr);
        usearch_index_t fresh = usearch_init(nullptr, nullptr);
        require(fresh);
        int st = usearchx_load_buffer(fresh, image.data(), image.size(), view, &err);
        if (st != usearchx_ok_k) std::fprintf(stderr, "reload of a saved image: %s\n", err ? err : "?");
        require(st == usearchx_ok_k);
        require(usearch_size(fresh, nullptr) == live);
        // Keep working with the copy (loaded); a view would dangle once `image` goes away.
        if (!view) std::swap(fresh, h);
        usearch_free(fresh, nullptr);
    }

    void distance() {
        usearch_scalar_kind_t k = input_kind(in);
        size_t d = in.ConsumeIntegralInRange<size_t>(0, 300);
        auto a = vector(k, d), b = vector(k, d);
        usearch_distance_t r = 0;
        auto m = usearch_metric_kind_t(in.ConsumeIntegralInRange<int>(0, 11));
        usearchx_distance(a.data(), b.data(), k, d, m, &r, &err);
        // A cast between any two kinds (the destination sized for the widest kind).
        usearch_scalar_kind_t to = any_kind(in);
        std::vector<uint8_t> out(d * 8 + 8);
        if (vector_bytes(k, d) || d == 0) usearchx_cast(a.data(), k, out.data(), to, d, &err);
        // Exact search over a small dataset with strides at least a row.
        size_t rows = in.ConsumeIntegralInRange<size_t>(0, 20), queries = in.ConsumeIntegralInRange<size_t>(0, 3);
        size_t row = std::max<size_t>(vector_bytes(k, d), 1);
        size_t stride = row + in.ConsumeIntegralInRange<size_t>(0, 8);
        std::vector<uint8_t> data(stride * rows + 1), qs(stride * queries + 1);
        for (size_t i = 0; i < rows; ++i) fill_vector_safe(k, d, data.data() + i * stride);
        for (size_t i = 0; i < queries; ++i) fill_vector_safe(k, d, qs.data() + i * stride);
        size_t count = in.ConsumeIntegralInRange<size_t>(0, 25);
        std::vector<usearch_key_t> keys(count * queries + 1);
        std::vector<usearch_distance_t> dist(count * queries + 1);
        usearchx_exact_search(data.data(), rows, stride, qs.data(), queries, stride, k, d, m, count, 1, keys.data(),
                              count * sizeof(usearch_key_t), dist.data(), count * sizeof(usearch_distance_t), &err);
    }

    // The upstream-style entry points on the same index (errors through the pointer only).
    void upstream() {
        err = nullptr;
        usearch_scalar_kind_t k = input_kind(in);
        auto v = vector(k, o.dimensions);
        usearch_key_t key_ = key();
        switch (in.ConsumeIntegralInRange<int>(0, 4)) {
        case 0: usearch_add(h, key_, v.data(), k, &err); break;
        case 1: {
            usearch_key_t keys[8];
            usearch_distance_t dist[8];
            size_t found = usearch_search(h, v.data(), k, 8, keys, dist, &err);
            if (!err) check_results(keys, dist, found, 8, multi());
            break;
        }
        case 2: usearch_remove(h, key_, &err); break;
        case 3: usearch_clear(h, &err); break;
        default: usearch_reserve(h, in.ConsumeIntegralInRange<size_t>(0, 2000), &err); break;
        }
        err = nullptr;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    harness x{in};
    x.o.metric_kind = usearch_metric_kind_t(in.ConsumeIntegralInRange<int>(0, 11));
    x.o.quantization = any_kind(in);
    x.o.dimensions = in.ConsumeIntegralInRange<size_t>(0, 260);
    x.o.connectivity = in.ConsumeIntegralInRange<size_t>(0, 70);
    x.o.expansion_add = in.ConsumeIntegralInRange<size_t>(0, 300);
    x.o.expansion_search = in.ConsumeIntegralInRange<size_t>(0, 300);
    x.o.multi = in.ConsumeBool();
    if (usearchx_init(&x.o, &x.h, &x.err) != usearchx_ok_k) {
        require(x.h == nullptr);
        // The upstream constructor must refuse the same options.
        usearch_error_t e = nullptr;
        usearch_index_t u = usearch_init(&x.o, &e);
        require(u == nullptr && e != nullptr);
        return 0;
    }
    // Read back what the index uses (zeros become defaults).
    size_t live = 0;
    bool ro = false;
    require(usearchx_describe(x.h, &x.o, &live, &ro) == usearchx_ok_k);
    require(live == 0 && !ro);

    for (int steps = 0; steps < 200 && in.remaining_bytes() > 0; ++steps) {
        switch (op_t(in.ConsumeIntegralInRange<int>(0, op_count_ - 1))) {
        case op_add: x.add(); break;
        case op_search: x.search(); break;
        case op_get: x.get(); break;
        case op_remove: x.remove(); break;
        case op_rename: x.rename(); break;
        case op_reserve: x.reserve(); break;
        case op_expansion: x.expansion(); break;
        case op_filtered: x.filtered(); break;
        case op_exact: x.exact(); break;
        case op_export: x.export_(); break;
        case op_clear: x.clear(); break;
        case op_clone: x.clone(); break;
        case op_compact: x.compact(); break;
        case op_save_load: x.save_load(); break;
        case op_distance: x.distance(); break;
        default: x.upstream(); break;
        }
        usearchx_stats_t st;
        require(usearchx_stats(x.h, &st) == usearchx_ok_k);
    }
    return 0;
}
