#!/usr/bin/env bash
# compare.sh runs this library's Go bench and upstream USearch (npm usearch@2.26.2) on the
# same synthetic data, on the same machine, one after the other, with the same graph
# parameters and thread count, and prints both tables and a side-by-side summary.
#
#   bash bench/compare.sh [go bench flags...]      e.g.  bash bench/compare.sh -n 20000 -d 768
#   REPEAT=3 bash bench/compare.sh                  alternate 3 runs per side, summarize the best
#
# The Go bench writes the vectors, queries, keys and brute-force ground truth to $OUT
# (default bench/out, gitignored) with -write-data; bench/upstream_bench.js reads them.
# Needs Go with cgo and a C++ compiler, Node and npm (bench/node_modules is installed with
# `npm ci --prefix bench` when missing).
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

if [ ! -d bench/node_modules/usearch ]; then
	npm ci --prefix bench --no-audit --no-fund
fi

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }
REPEAT=${REPEAT:-1}
echo "machine: $(uname -sm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
echo "Both sides run one after the other on this machine, $REPEAT time(s), alternating; other busy"
echo "processes skew the numbers (watch the cpu/wall column)."
echo
# Build first so that compiling the C++ core is not part of the run.
go build -o "$OUT/usearch-bench" ./cmd/usearch
rm -f "$OUT"/go_results.*.tsv "$OUT"/npm_results.*.tsv
for run in $(seq 1 "$REPEAT"); do
	echo "== run $run/$REPEAT, Go: github.com/usearch-go/usearch  (load average before: $(load)) =="
	"$OUT/usearch-bench" bench -write-data "$OUT" "$@"
	mv "$OUT/go_results.tsv" "$OUT/go_results.$run.tsv"
	echo
	echo "== run $run/$REPEAT, Node: npm usearch (upstream) on the same files  (load average before: $(load)) =="
	node bench/upstream_bench.js "$OUT"
	mv "$OUT/npm_results.tsv" "$OUT/npm_results.$run.tsv"
	echo
done

echo "== side by side, best of $REPEAT run(s) (rate: vec/s for build, QPS for search; ratio = go / npm) =="
echo "per cpu-s = rate / (process CPU seconds per wall second): ops per CPU-second actually used, which"
echo "busy neighbours on the machine distort less than wall-clock rates. cpu = that CPU use in the best run;"
echo "well under the thread count means the machine was busy with something else."
awk -F'\t' '
	FNR == 1 { side = (FILENAME ~ /go_results/) ? "go" : "npm"; next }
	side == "go" && !($1 in gt) { order[++n] = $1 }
	side == "go" { gt[$1] = $2; gu[$1] = $6; grec[$1] = $7
		if ($5 > gr[$1]) { gr[$1] = $5; gc[$1] = $8 }
		if ($8 > 0 && $5 / $8 > ge[$1]) ge[$1] = $5 / $8 }
	side == "npm" { nt[$1] = $2; nrec[$1] = $7
		if ($5 > nr[$1]) { nr[$1] = $5; nc[$1] = $8 }
		if ($8 > 0 && $5 / $8 > ne[$1]) ne[$1] = $5 / $8 }
	function rec(v) { return v < 0 ? "-" : sprintf("%.4f", v) }
	function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
	END {
		fmt = "%-13s %7s %-5s %9s %9s %6s %5s %5s %10s %10s %6s %9s %9s\n"
		printf fmt, "phase", "threads", "unit", "go", "npm", "go/npm", "cpu", "cpu", "go", "npm", "go/npm", "recall@k", "recall@k"
		printf fmt, "", "go/npm", "", "rate", "rate", "", "go", "npm", "per cpu-s", "per cpu-s", "", "go", "npm"
		for (i = 1; i <= n; i++) {
			p = order[i]
			printf fmt, p, gt[p] "/" nt[p], gu[p], sprintf("%.0f", gr[p]), sprintf("%.0f", nr[p]), ratio(gr[p], nr[p]),
				gc[p], nc[p], sprintf("%.0f", ge[p]), sprintf("%.0f", ne[p]), ratio(ge[p], ne[p]), rec(grec[p]), rec(nrec[p])
		}
	}' "$OUT"/go_results.*.tsv "$OUT"/npm_results.*.tsv
