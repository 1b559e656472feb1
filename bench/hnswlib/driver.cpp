// driver.cpp: hnswlib (Debian libhnswlib-dev 0.6.2, header-only) on the harness's data
// files, built with -O3 -march=native by bench/run.sh. It mirrors the Go driver
// (bench/harness ours.go): build with T threads taking rows from a shared counter, then
// for each ef one searchKnn call per query from T threads, passes repeated for at least
// --min-seconds, and one JSON line per phase appended to --out.
//
//   driver --dir DATA --out FILE.jsonl --threads T --efs 16,32,... [--M 16] [--ef-construction 128]
//          [--min-seconds 1] [--repeat R] [--ids DIR]
//
// Distances: l2sq -> L2Space; cos -> InnerProductSpace over unit vectors (hnswlib's own
// recipe for cosine; the normalisation is timed as part of the build and of each query).
#include <hnswlib/hnswlib.h>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

struct matrix {
    uint32_t rows = 0, cols = 0;
    std::vector<float> f;     // float files
    std::vector<uint32_t> u;  // id files
};

// read_bin reads "u32 rows, u32 cols, rows*cols 4-byte values" (little-endian host).
matrix read_bin(const std::string& path, bool ids) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    matrix m;
    in.read(reinterpret_cast<char*>(&m.rows), 4);
    in.read(reinterpret_cast<char*>(&m.cols), 4);
    size_t count = size_t(m.rows) * m.cols;
    char* dst;
    if (ids) {
        m.u.resize(count);
        dst = reinterpret_cast<char*>(m.u.data());
    } else {
        m.f.resize(count);
        dst = reinterpret_cast<char*>(m.f.data());
    }
    in.read(dst, std::streamsize(count * 4));
    if (!in) throw std::runtime_error(path + ": shorter than its header says");
    return m;
}

void write_ids(const std::string& path, uint32_t rows, uint32_t cols, const std::vector<uint32_t>& v) {
    std::string tmp = path + ".tmp";
    std::ofstream out(tmp, std::ios::binary);
    out.write(reinterpret_cast<const char*>(&rows), 4);
    out.write(reinterpret_cast<const char*>(&cols), 4);
    out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * 4));
    out.close();
    if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot write " + path);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// json_field pulls a scalar out of the flat meta.json the Go side writes.
std::string json_field(const std::string& json, const std::string& name) {
    std::string key = "\"" + name + "\":";
    size_t at = json.find(key);
    if (at == std::string::npos) throw std::runtime_error("meta.json has no " + name);
    at += key.size();
    while (at < json.size() && (json[at] == ' ' || json[at] == '"')) ++at;
    size_t end = at;
    while (end < json.size() && json[end] != '"' && json[end] != ',' && json[end] != '\n' && json[end] != '}') ++end;
    return json.substr(at, end - at);
}

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double rss_mb() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
    return 0;
}

// parallel_for runs fn(i) for i in [0, n) on `threads` threads taking the next i from a
// shared counter (what hnswlib's Python binding does for add_items and knn_query).
template <typename F>
void parallel_for(size_t n, int threads, F fn) {
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t i = next++; i < n; i = next++) fn(i);
    };
    if (threads <= 1) return work();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work);
    for (auto& t : pool) t.join();
}

void normalize(float* v, size_t d) {
    float s = 0;
    for (size_t i = 0; i < d; ++i) s += v[i] * v[i];
    if (s > 0) {
        float inv = 1.0f / std::sqrt(s);
        for (size_t i = 0; i < d; ++i) v[i] *= inv;
    }
}

// Counting distance: swapped into the index for one untimed pass per ef to count the
// distance evaluations a query really makes (all levels). The counter is per thread.
hnswlib::DISTFUNC<float> real_distance;
thread_local long counted = 0;
float counting_distance(const void* a, const void* b, const void* param) {
    ++counted;
    return real_distance(a, b, param);
}

double recall_of(const std::vector<uint32_t>& got, const matrix& gt) {
    size_t hits = 0, k = gt.cols;
    for (size_t i = 0; i < gt.rows; ++i) {
        const uint32_t* want = &gt.u[i * k];
        for (size_t j = 0; j < k; ++j)
            for (size_t h = 0; h < k; ++h)
                if (got[i * k + h] == want[j]) {
                    ++hits;
                    break;
                }
    }
    return double(hits) / double(gt.rows * k);
}

struct options {
    std::string dir, out, ids;
    int threads = 1, repeat = 1;
    size_t M = 16, ef_construction = 128;
    std::vector<int> efs{16, 32, 48, 64, 96, 128, 256};
    double min_seconds = 1;
};

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error("missing value for " + a);
            return argv[++i];
        };
        if (a == "--dir") o.dir = value();
        else if (a == "--out") o.out = value();
        else if (a == "--ids") o.ids = value();
        else if (a == "--threads") o.threads = std::stoi(value());
        else if (a == "--repeat") o.repeat = std::stoi(value());
        else if (a == "--M") o.M = std::stoul(value());
        else if (a == "--ef-construction") o.ef_construction = std::stoul(value());
        else if (a == "--min-seconds") o.min_seconds = std::stod(value());
        else if (a == "--efs") {
            o.efs.clear();
            std::stringstream ss(value());
            std::string item;
            while (std::getline(ss, item, ',')) o.efs.push_back(std::stoi(item));
        } else throw std::runtime_error("unknown argument " + a);
    }
    if (o.dir.empty() || o.out.empty() || o.threads < 1) throw std::runtime_error("need --dir, --out and --threads >= 1");
    return o;
}

int run(const options& o) {
    std::string meta = read_text(o.dir + "/meta.json");
    std::string set = json_field(meta, "name"), metric = json_field(meta, "metric");
    bool cosine = metric == "cos";
    matrix base = read_bin(o.dir + "/base.fbin", false);
    matrix queries = read_bin(o.dir + "/queries.fbin", false);
    matrix gt = read_bin(o.dir + "/gt.ibin", true);
    size_t n = base.rows, d = base.cols, q = queries.rows, k = gt.cols;
    FILE* out = std::fopen(o.out.c_str(), "a");
    if (!out) throw std::runtime_error("cannot open " + o.out);
    char head[256];
    std::snprintf(head, sizeof head, "{\"set\":\"%s\",\"engine\":\"hnswlib\",\"variant\":\"f32\",\"threads\":%d,\"repeat\":%d",
                  set.c_str(), o.threads, o.repeat);

    std::unique_ptr<hnswlib::SpaceInterface<float>> space;
    if (cosine) space.reset(new hnswlib::InnerProductSpace(d));
    else space.reset(new hnswlib::L2Space(d));

    double rss0 = rss_mb();
    double t0 = now_seconds(), c0 = cpu_seconds();
    auto index = std::make_unique<hnswlib::HierarchicalNSW<float>>(space.get(), n, o.M, o.ef_construction);
    parallel_for(n, o.threads, [&](size_t i) {
        if (cosine) {
            std::vector<float> v(&base.f[i * d], &base.f[(i + 1) * d]);
            normalize(v.data(), d);
            index->addPoint(v.data(), i);
        } else {
            index->addPoint(&base.f[i * d], i);
        }
    });
    double wall = now_seconds() - t0, cpu = (cpu_seconds() - c0) / wall;
    double rss = rss_mb() - rss0;
    std::fprintf(out, "%s,\"phase\":\"build\",\"seconds\":%.6f,\"cpu\":%.4f,\"recall\":0,\"dist_per_query\":-1,"
                      "\"rss_delta_mb\":%.1f,\"note\":\"addPoint from %d threads, hnswlib 0.6.2 -O3 -march=native\"}\n",
                 head, wall, cpu, rss, o.threads);
    std::fflush(out);
    std::printf("%-8s %-7s %-4s T=%d build %7.2fs cpu/wall %.2f  rss +%.0f MB\n", set.c_str(), "hnswlib", "f32", o.threads, wall, cpu, rss);

    std::vector<uint32_t> results(q * k);
    for (int ef : o.efs) {
        index->setEf(size_t(ef));
        auto pass = [&](bool keep) {
            std::atomic<size_t> next{0};
            auto work = [&] {
                std::vector<float> scratch(cosine ? d : 0);
                for (size_t i = next++; i < q; i = next++) {
                    const float* qv = &queries.f[i * d];
                    if (cosine) {
                        std::memcpy(scratch.data(), qv, d * sizeof(float));
                        normalize(scratch.data(), d);
                        qv = scratch.data();
                    }
                    auto top = index->searchKnn(qv, k);
                    if (keep) {
                        uint32_t* row = &results[i * k];
                        for (size_t j = 0; j < k; ++j) row[j] = ~0u;
                        for (size_t j = top.size(); j > 0 && !top.empty(); --j) {
                            if (j <= k) row[j - 1] = uint32_t(top.top().second);
                            top.pop();
                        }
                    }
                }
            };
            if (o.threads <= 1) return work();
            std::vector<std::thread> pool;
            for (int t = 0; t < o.threads; ++t) pool.emplace_back(work);
            for (auto& t : pool) t.join();
        };
        double s0 = now_seconds(), sc0 = cpu_seconds();
        size_t passes = 0;
        do {
            pass(passes == 0);
            ++passes;
        } while (now_seconds() - s0 < o.min_seconds);
        double swall = now_seconds() - s0, scpu = (cpu_seconds() - sc0) / swall;
        double qps = double(passes * q) / swall;
        double recall = recall_of(results, gt);

        // Untimed counting pass on one thread: exact distance evaluations per query, and
        // hnswlib's own counter (neighbour-list entries scanned, visited or not).
        long listed0 = index->metric_distance_computations.load();
        real_distance = index->fstdistfunc_;
        index->fstdistfunc_ = counting_distance;
        counted = 0;
        std::vector<float> scratch(d);
        for (size_t i = 0; i < q; ++i) {
            const float* qv = &queries.f[i * d];
            if (cosine) {
                std::memcpy(scratch.data(), qv, d * sizeof(float));
                normalize(scratch.data(), d);
                qv = scratch.data();
            }
            index->searchKnn(qv, k);
        }
        index->fstdistfunc_ = real_distance;
        double dist = double(counted) / double(q);
        double listed = double(index->metric_distance_computations.load() - listed0) / double(q);

        std::string ids;
        if (!o.ids.empty()) {
            char name[512];
            std::snprintf(name, sizeof name, "%s/%s-hnswlib-f32-t%d-r%d-ef%d.ibin", o.ids.c_str(), set.c_str(), o.threads, o.repeat, ef);
            ids = name;
            write_ids(ids, uint32_t(q), uint32_t(k), results);
        }
        std::fprintf(out, "%s,\"phase\":\"search\",\"ef\":%d,\"queries\":%zu,\"seconds\":%.6f,\"cpu\":%.4f,\"qps\":%.2f,"
                          "\"recall\":%.6f,\"dist_per_query\":%.2f,\"ids\":\"%s\",\"note\":\"dist = distance calls (counted in an untimed pass); "
                          "metric_distance_computations/query = %.1f\"}\n",
                     head, ef, passes * q, swall, scpu, qps, recall, dist, ids.c_str(), listed);
        std::fflush(out);
        std::printf("%-8s %-7s %-4s T=%d ef=%-4d %9.0f QPS  recall %.4f  dist/q %6.0f  cpu/wall %.2f\n", set.c_str(), "hnswlib",
                    "f32", o.threads, ef, qps, recall, dist, scpu);
    }
    std::fclose(out);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hnswlib driver: %s\n", e.what());
        return 1;
    }
}
