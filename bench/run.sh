#!/usr/bin/env bash
# run.sh: the benchmark harness. Runs this library, hnswlib 0.6.2 (-O3 -march=native, Debian
# libhnswlib-dev) and npm usearch@2.26.2 on the same data files in the same run, interleaved
# (every engine once, then every engine again, for --repeat rounds), plus FAISS IndexFlatL2
# against our exact search on Fashion-MNIST; then writes the table, a CSV/JSON of every
# point and a recall-vs-QPS PNG per data set. See bench/README.md.
#
#   bash bench/run.sh [--quick] [--sets fashion,syn100k,syn1m] [--threads 1,2] [--repeat N]
#                     [--efs 16,32,...] [--n N] [--q Q] [--engines ours,hnswlib,npm,exact]
#                     [--variants f32,f16,u8,f32c8] [--min-seconds S] [--out DIR]
#
# --quick: 10k base rows and 1,000 queries of fashion and syn100k, ef 16 and 64, one round,
# threads 1 and 2, into bench/out/quick (a smoke test: every driver and the report run).
# --variants: only these storage variants of each engine (default: all of them; a 1M-row
# build takes minutes per variant and thread count).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SETS=fashion,syn100k THREADS=1,2 REPEAT=3 EFS=16,32,48,64,96,128,256 N=0 Q=0
ENGINES=ours,hnswlib,npm,exact VARIANTS=all MIN_SECONDS=1 OUT=bench/out QUICK=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--sets) SETS=$2; shift ;;
	--threads) THREADS=$2; shift ;;
	--repeat) REPEAT=$2; shift ;;
	--efs) EFS=$2; shift ;;
	--n) N=$2; shift ;;
	--q) Q=$2; shift ;;
	--engines) ENGINES=$2; shift ;;
	--variants) VARIANTS=$2; shift ;;
	--min-seconds) MIN_SECONDS=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ $QUICK = 1 ]; then
	# Explicit flags given after --quick still win for what they name.
	[ "$N" = 0 ] && N=10000
	[ "$Q" = 0 ] && Q=1000
	[ "$EFS" = 16,32,48,64,96,128,256 ] && EFS=16,64
	[ "$REPEAT" = 3 ] && REPEAT=1
	[ "$MIN_SECONDS" = 1 ] && MIN_SECONDS=0.2
	[ "$OUT" = bench/out ] && OUT=bench/out/quick
fi
has() { case ",$1," in *",$2,"*) return 0 ;; esac; return 1; }
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }
say() { printf '\n>>> %s  [%ss, load %s]\n' "$*" "$SECONDS" "$(load)"; }

# Debian packages: the hnswlib headers, FAISS and the Fashion-MNIST files.
need=()
for p in libhnswlib-dev python3-faiss libopenblas0-pthread dataset-fashion-mnist; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
	say "apt-get install ${need[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
[ -d bench/node_modules/usearch ] || npm ci --prefix bench --no-audit --no-fund

case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac # --out may be relative (to the root) or absolute
mkdir -p "$OUT/bin" "$OUT/data"
rm -rf "$OUT/results" "$OUT/ids" "$OUT/report"
mkdir -p "$OUT/results" "$OUT/ids"
{
	echo "machine: $(uname -sm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "started: $(date -u +%FT%TZ), load average $(load)"
	echo "args: sets=$SETS threads=$THREADS repeat=$REPEAT efs=$EFS n=$N q=$Q engines=$ENGINES variants=$VARIANTS min-seconds=$MIN_SECONDS"
	echo "go: $(go version | cut -d' ' -f3-), g++: $(g++ -dumpfullversion), node: $(node --version), hnswlib: $(dpkg-query -W -f '${Version}' libhnswlib-dev) -march=${HNSWLIB_MARCH:-native}, USEARCH_ISA=${USEARCH_ISA:-(detected)}"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt"

# Build every driver first, so compiling is never part of a measurement.
say "build the Go harness (bench/harness, its own module) and the hnswlib driver"
(cd bench/harness && GOWORK=off go build -o "$OUT/bin/harness" .)
# HNSWLIB_MARCH (default native) compiles hnswlib for another CPU: with USEARCH_ISA=haswell
# and HNSWLIB_MARCH=haswell an AVX-512 machine compares both engines' AVX2 code.
g++ -O3 -march="${HNSWLIB_MARCH:-native}" -std=c++17 -Wall -Wextra -pthread -o "$OUT/bin/hnswlib-driver" bench/hnswlib/driver.cpp
H=$OUT/bin/harness

for set in ${SETS//,/ }; do
	say "prepare $set"
	"$H" prepare -dir "$OUT/data/$set" -set "$set" -n "$N" -q "$Q"
done

# variants prints the storage kinds an engine runs on a data set (those --variants names).
variants() {
	local v
	for v in $(all_variants "$1" "$2"); do
		[ "$VARIANTS" = all ] || has "$VARIANTS" "$v" && echo "$v"
	done
}
all_variants() {
	case $1/$2 in
	ours/fashion) echo f32 f16 u8 f32c8 ;;
	ours/*) echo f32 f16 f32c8 ;;
	npm/*) echo f32 f16 ;;
	hnswlib/*) echo f32 ;;
	esac
}
common() { echo --threads "$T" --repeat "$r" --efs "$EFS" --min-seconds "$MIN_SECONDS" --ids "$OUT/ids" --out "$OUT/results/$set.jsonl"; }
for set in ${SETS//,/ }; do
	D=$OUT/data/$set
	for T in ${THREADS//,/ }; do
		for r in $(seq 1 "$REPEAT"); do
			say "$set, $T thread(s), round $r/$REPEAT"
			for e in ours hnswlib npm; do
				has "$ENGINES" $e || continue
				for v in $(variants $e "$set"); do
					case $e in
					ours) "$H" ours -dir "$D" -variant "$v" $(common) ;;
					hnswlib) "$OUT/bin/hnswlib-driver" --dir "$D" $(common) ;;
					npm) node bench/upstream_bench.js --sweep "$D" --variant "$v" $(common) ;;
					esac
				done
			done
		done
	done
	if [ "$set" = fashion ] && has "$ENGINES" exact; then
		for r in $(seq 1 "$REPEAT"); do
			say "exact search on $set, 1 thread, round $r/$REPEAT"
			/usr/bin/python3 bench/faiss_exact.py --dir "$D" --threads 1 --repeat "$r" --min-seconds "$MIN_SECONDS" --ids "$OUT/ids" --out "$OUT/results/$set.jsonl"
			for v in f32 u8; do
				"$H" exact -dir "$D" -variant "$v" -threads 1 -repeat "$r" -min-seconds "$MIN_SECONDS" -ids "$OUT/ids" -out "$OUT/results/$set.jsonl"
			done
		done
	fi
done
echo "finished: $(date -u +%FT%TZ), load average $(load), ${SECONDS}s" >>"$OUT/machine.txt"
say "report"
"$H" report -out "$OUT"
