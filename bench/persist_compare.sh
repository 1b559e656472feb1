#!/usr/bin/env bash
# persist_compare.sh times Save / Load / View of this library against npm usearch@2.26.2
# (upstream) on the very same index files, one after the other on this machine, and prints
# a side-by-side table.
#
#   bash bench/persist_compare.sh [mkindex flags...]     e.g.  bash bench/persist_compare.sh -rebuild
#
# 1. bench/internal/mkindex writes go_100k.usearch (100k x 96 cos f32) and, when Debian's
#    dataset-fashion-mnist is installed, go_fmnist.usearch (60k x 784 l2sq f32), plus probe
#    rows and meta.json, into $OUT (default bench/out/persist, gitignored). Valid files from
#    an earlier run are kept; -rebuild forces new ones.
# 2. go test -bench 'Save|Load|View' -benchtime 5x times them (bench/gobench/persist_bench_test.go reads
#    the files from $USEARCH_BENCH_INDEX_DIR=$OUT instead of its own cache).
# 3. node bench/persist_bench.js $OUT times index.save / load / view, 5 times each.
#
# Go reports the mean of its 5 runs (ns/op), Node the median of 5. Go's Save writes a temp
# file, fsyncs it and renames it; npm's save writes the file in place without fsync.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out/persist}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT/persist_go.txt" "$OUT/persist_npm.tsv"

if [ ! -d bench/node_modules/usearch ]; then
	npm ci --prefix bench --no-audit --no-fund
fi

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }
echo "machine: $(uname -sm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
echo "Both sides run one after the other on this machine; other busy processes skew the numbers."
echo
echo "== index files (load average before: $(load)) =="
go run ./bench/internal/mkindex -out "$OUT" "$@"
echo
echo "== Go: go test -bench 'Save|Load|View' -benchtime 5x  (load average before: $(load)) =="
USEARCH_BENCH_INDEX_DIR="$OUT" go test -run '^$' -bench 'Save|Load|View' -benchtime 5x ./bench/gobench | tee "$OUT/persist_go.txt"
echo
echo "== Node: npm usearch (upstream) on the same files  (load average before: $(load)) =="
node --expose-gc bench/persist_bench.js "$OUT"
echo
echo "== side by side (load average after: $(load)) =="
echo "ms: Go mean of 5 / npm median of 5; MB/s over the file size (10^6 B/s); ratio = go MB/s / npm MB/s (>1: Go faster)"
procs=${GOMAXPROCS:-$(nproc)}
awk -v procs="$procs" '
	FNR == 1 { file++ }
	# go test lines: BenchmarkSave/n=100000,d=96-2   5   123456 ns/op   456.7 MB/s
	file == 1 && /^Benchmark(Save|Load|View)\// {
		split($1, parts, "/")
		op = tolower(substr(parts[1], 10))
		name = substr($1, length(parts[1]) + 2)
		if (procs > 1) sub("-" procs "$", "", name)
		for (i = 2; i < NF; i++) {
			if ($(i + 1) == "ns/op") gms[op, name] = $i / 1e6
			if ($(i + 1) == "MB/s") gmb[op, name] = $i
		}
		if (!((op, name) in seen)) { seen[op, name] = 1; order[++n] = op SUBSEP name }
		next
	}
	file == 2 && FNR > 1 {
		split($0, f, "\t")
		nms[f[1], f[2]] = f[4]; nmb[f[1], f[2]] = f[6]; size[f[1], f[2]] = f[3]
		if (!((f[1], f[2]) in seen)) { seen[f[1], f[2]] = 1; order[++n] = f[1] SUBSEP f[2] }
	}
	function num(v, p) { return v == "" ? "-" : sprintf(p, v) }
	END {
		fmt = "%-5s %-14s %9s %11s %11s %11s %11s %9s\n"
		printf fmt, "op", "index", "MB", "go ms", "npm ms", "go MB/s", "npm MB/s", "go/npm"
		for (i = 1; i <= n; i++) {
			split(order[i], k, SUBSEP)
			key = k[1] SUBSEP k[2]
			g = (key in gmb) ? gmb[key] : ""; m = (key in nmb) ? nmb[key] : ""
			printf fmt, k[1], k[2], num((key in size) ? size[key] / 1e6 : "", "%.1f"),
				num((key in gms) ? gms[key] : "", "%.2f"), num((key in nms) ? nms[key] : "", "%.2f"),
				num(g, "%.1f"), num(m, "%.1f"), (g != "" && m != "" && m > 0) ? sprintf("%.2f", g / m) : "-"
		}
	}' "$OUT/persist_go.txt" "$OUT/persist_npm.tsv"
