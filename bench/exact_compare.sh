#!/usr/bin/env bash
# exact_compare.sh runs the exact-search benchmark of this library (BenchmarkExactSearchFashion:
# every Fashion-MNIST test image against the 60k training images, k=10, L2sq, f32) and FAISS
# IndexFlatL2 (bench/faiss_flat.py, Debian python3-faiss) on the same data and thread count,
# alternated REPEAT times, and prints the best of each side and their ratio.
#
#   bash bench/exact_compare.sh                 10k queries, 1 thread, 3 alternations
#   QUERIES=1000 THREADS=2 REPEAT=5 bash bench/exact_compare.sh
#
# Wall-clock QPS and queries per CPU second are both reported: on a shared machine the
# second depends much less on what else runs. FAISS runs on Debian's libblas.so.3 (install
# libopenblas0-pthread for OpenBLAS; reference BLAS is far slower); the BLAS in use is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
QUERIES=${QUERIES:-10000}
THREADS=${THREADS:-1}
REPEAT=${REPEAT:-3}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }

go test -c -o "$OUT/usearch.test" ./bench/gobench # build first: compiling the C++ core is not part of a run
best() { sort -g | tail -1; }
field() { tr ' \t' '\n\n' | sed -n "s|^$1=||p"; }
ours_qps=() ours_cpu=() faiss_qps=() faiss_cpu=()
echo "machine: $(uname -sm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
echo "exact search, Fashion-MNIST: $QUERIES queries x 60000 rows x 784, k=10, L2sq f32, $THREADS thread(s), $REPEAT alternations"
for run in $(seq 1 "$REPEAT"); do
	echo "== run $run/$REPEAT  load average $(load)"
	line=$(USEARCH_EXACT_QUERIES=$QUERIES USEARCH_EXACT_THREADS=$THREADS "$OUT/usearch.test" \
		-test.run '^$' -test.bench '^BenchmarkExactSearchFashion$' -test.benchtime 1x | grep '^BenchmarkExactSearchFashion')
	# "BenchmarkExactSearchFashion-2  1  N ns/op  X cpu/wall  Y q/cpu-s  Z qps"
	q=$(awk '{for (i = 1; i < NF; i++) if ($(i+1) == "qps") print $i}' <<<"$line")
	c=$(awk '{for (i = 1; i < NF; i++) if ($(i+1) == "q/cpu-s") print $i}' <<<"$line")
	w=$(awk '{for (i = 1; i < NF; i++) if ($(i+1) == "cpu/wall") print $i}' <<<"$line")
	echo "ours : qps=$q q/cpu-s=$c cpu/wall=$w"
	ours_qps+=("$q") ours_cpu+=("$c")
	echo "     load average $(load)"
	line=$(/usr/bin/python3 bench/faiss_flat.py "$QUERIES" "$THREADS")
	echo "$line"
	faiss_qps+=("$(field qps <<<"$line")") faiss_cpu+=("$(field q/cpu-s <<<"$line")")
done
oq=$(printf '%s\n' "${ours_qps[@]}" | best) oc=$(printf '%s\n' "${ours_cpu[@]}" | best)
fq=$(printf '%s\n' "${faiss_qps[@]}" | best) fc=$(printf '%s\n' "${faiss_cpu[@]}" | best)
echo
echo "best of $REPEAT   ours qps=$oq q/cpu-s=$oc   faiss qps=$fq q/cpu-s=$fc"
echo "ratio ours/faiss   qps $(awk -v a="$oq" -v b="$fq" 'BEGIN{printf "%.2f", a/b}')   q/cpu-s $(awk -v a="$oc" -v b="$fc" 'BEGIN{printf "%.2f", a/b}')   (load average at the end: $(load))"
