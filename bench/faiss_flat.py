#!/usr/bin/python3
"""faiss_flat.py: the FAISS IndexFlatL2 reference for the exact-search benchmark.

Searches the Fashion-MNIST test images (or the first N of them) against the 60k training
images, k=10, on one thread (OpenMP), pixels scaled to [0, 1] as float32 like the Go benchmark
(BenchmarkExactSearchFashion in bench/gobench/exact_bench_test.go), and prints one line:

    faiss IndexFlatL2 queries=10000 rows=60000 dims=784 k=10 threads=1 seconds=5.123 cpu/wall=0.99 qps=1952.1 q/cpu-s=1971.8

Usage: /usr/bin/python3 bench/faiss_flat.py [queries] [threads]
Needs Debian python3-faiss (and python3-numpy); which BLAS FAISS runs on is Debian's
libblas.so.3 alternative (reference BLAS unless OpenBLAS is installed), printed on stderr.
"""
import gzip
import os
import sys
import time

# BLAS threads are fixed before numpy and FAISS load it: OpenBLAS's pthread build ignores
# faiss.omp_set_num_threads.
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 1
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)

import faiss  # noqa: E402
import numpy as np  # noqa: E402

DIR = os.environ.get("USEARCH_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def read_idx_images(name):
    for path in (os.path.join(DIR, name + ".gz"), os.path.join(DIR, name)):
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                raw = f.read()
            magic, count, rows, cols = np.frombuffer(raw[:16], dtype=">u4")
            if magic != 0x803:
                raise SystemExit(f"{path}: IDX magic {magic:#x}, want 0x803")
            pixels = np.frombuffer(raw[16:], dtype=np.uint8).reshape(count, rows * cols)
            return (pixels.astype(np.float32) / np.float32(255)).copy()
    raise SystemExit(f"{name} not found in {DIR} (Debian dataset-fashion-mnist)")


def blas_in_use():
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower()}
        return ", ".join(sorted(libs)) or "unknown"
    except OSError:
        return "unknown"


def main():
    base = read_idx_images("train-images-idx3-ubyte")
    queries = read_idx_images("t10k-images-idx3-ubyte")
    nq = int(sys.argv[1]) if len(sys.argv) > 1 and int(sys.argv[1]) > 0 else len(queries)
    threads = THREADS
    queries = np.ascontiguousarray(queries[:nq])
    faiss.omp_set_num_threads(threads)
    index = faiss.IndexFlatL2(base.shape[1])
    index.add(base)
    k = 10
    start, cpu = time.perf_counter(), time.process_time()
    index.search(queries, k)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"faiss blas: {blas_in_use()}", file=sys.stderr)
    print(f"faiss IndexFlatL2 queries={nq} rows={len(base)} dims={base.shape[1]} k={k} threads={threads} "
          f"seconds={seconds:.3f} cpu/wall={cpu / seconds:.2f} qps={nq / seconds:.1f} "
          f"q/cpu-s={nq / cpu:.1f}")


if __name__ == "__main__":
    main()
