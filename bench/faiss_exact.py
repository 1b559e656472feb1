#!/usr/bin/python3
"""faiss_exact.py: FAISS IndexFlatL2 (Debian python3-faiss) exact search on a harness data set,
the reference for this library's ExactSearch (bench/harness exact). All queries go to one
index.search call, on --threads OpenMP threads, repeated for at least --min-seconds; one JSON
line is appended to --out in the harness's format (bench/README.md).

    python3 bench/faiss_exact.py --dir DATA --out FILE.jsonl [--threads 1] [--repeat R] [--min-seconds S] [--ids DIR]
"""
import argparse
import json
import os
import resource
import sys
import time

# BLAS threads are fixed before numpy and FAISS load it: OpenBLAS's pthread build (which
# run.sh installs, so that FAISS runs on a real BLAS as on a tuned machine) ignores
# faiss.omp_set_num_threads.
for i, arg in enumerate(sys.argv):
    if arg == "--threads" and i + 1 < len(sys.argv):
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = sys.argv[i + 1]

import faiss  # noqa: E402
import numpy as np  # noqa: E402


def read_bin(path, dtype):
    with open(path, "rb") as f:
        rows, cols = np.fromfile(f, dtype="<u4", count=2)
        data = np.fromfile(f, dtype=dtype, count=int(rows) * int(cols))
    if data.size != int(rows) * int(cols):
        raise SystemExit(f"{path}: shorter than its header ({rows} x {cols})")
    return data.reshape(int(rows), int(cols))


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--min-seconds", type=float, default=1.0)
    ap.add_argument("--ids", default="", help="folder for the result keys (.ibin), for the report's tie-aware recall")
    a = ap.parse_args()
    with open(os.path.join(a.dir, "meta.json")) as f:
        meta = json.load(f)
    if meta["metric"] != "l2sq":
        raise SystemExit(f"faiss_exact.py compares IndexFlatL2 only; {meta['name']} uses {meta['metric']}")
    base = np.ascontiguousarray(read_bin(os.path.join(a.dir, "base.fbin"), "<f4"))
    queries = np.ascontiguousarray(read_bin(os.path.join(a.dir, "queries.fbin"), "<f4"))
    gt = read_bin(os.path.join(a.dir, "gt.ibin"), "<u4")
    k = gt.shape[1]
    faiss.omp_set_num_threads(a.threads)
    index = faiss.IndexFlatL2(base.shape[1])
    index.add(base)
    t0, c0, passes = time.perf_counter(), cpu_seconds(), 0
    while True:
        _, ids = index.search(queries, k)
        passes += 1
        if time.perf_counter() - t0 >= a.min_seconds:
            break
    wall = time.perf_counter() - t0
    cpu = (cpu_seconds() - c0) / wall
    hits = sum(len(set(ids[i].tolist()) & set(gt[i].tolist())) for i in range(len(gt)))
    recall = hits / gt.size
    q = queries.shape[0]
    ids_path = ""
    if a.ids:
        ids_path = os.path.join(a.ids, f"{meta['name']}-faiss-f32-exact-t{a.threads}-r{a.repeat}.ibin")
        with open(ids_path + ".tmp", "wb") as f:
            np.array([q, k], dtype="<u4").tofile(f)
            np.where(ids < 0, 0xFFFFFFFF, ids).astype("<u4").tofile(f)
        os.replace(ids_path + ".tmp", ids_path)
    point = {"set": meta["name"], "engine": "faiss", "variant": "f32", "threads": a.threads, "repeat": a.repeat,
             "phase": "exact", "queries": passes * q, "seconds": wall, "cpu": cpu, "qps": passes * q / wall,
             "recall": recall, "dist_per_query": -1, "ids": ids_path,
             "note": f"faiss {faiss.__version__} IndexFlatL2, all queries in one search call, omp threads {a.threads}"}
    with open(a.out, "a") as f:
        f.write(json.dumps(point) + "\n")
    print(f"{meta['name']:<8} faiss   f32  T={a.threads} exact {point['qps']:9.0f} QPS  recall {recall:.4f}  cpu/wall {cpu:.2f}")


if __name__ == "__main__":
    main()
