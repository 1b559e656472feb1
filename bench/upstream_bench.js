#!/usr/bin/env node
// upstream_bench.js runs upstream USearch (the npm package usearch, pinned in
// bench/package.json) on the data set written by `go run ./cmd/usearch bench -write-data DIR`
// and prints the same table as the Go bench: build rate, QPS and recall@k against the same
// ground truth, with the same graph parameters and thread count.
//
//   node bench/upstream_bench.js DIR [--threads N] [--min-search-ms MS]
//
// Phases:
//   build         one index.add(keys, vectors, threads) call over every row
//   search loop   one index.search(query, k, 1) call per query, from the JS thread
//   search batch  one index.search(allQueries, k, threads) call per pass
// Each search phase repeats passes over the query set until min_search_ms has passed.
// The table is also written to DIR/npm_results.tsv for bench/compare.sh.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

const usearch = require("usearch");

function usage(msg) {
  if (msg) console.error("upstream_bench: " + msg);
  console.error("usage: node bench/upstream_bench.js DIR [--threads N] [--min-search-ms MS]");
  process.exit(2);
}

function parseArgs(argv) {
  const out = { dir: null, threads: null, minSearchMs: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--threads" || a === "--min-search-ms") {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < (a === "--threads" ? 1 : 0)) usage(`bad value for ${a}`);
      if (a === "--threads") out.threads = v;
      else out.minSearchMs = v;
    } else if (a === "-h" || a === "--help") {
      usage();
    } else if (out.dir === null) {
      out.dir = a;
    } else {
      usage(`unexpected argument ${a}`);
    }
  }
  if (out.dir === null) usage("missing DIR");
  return out;
}

// readTyped reads a raw little-endian file of `Type` elements, checking its length.
function readTyped(file, Type, want) {
  if (os.endianness() !== "LE") throw new Error("this script assumes a little-endian host");
  const buf = fs.readFileSync(file);
  if (buf.length % Type.BYTES_PER_ELEMENT !== 0) {
    throw new Error(`${file}: ${buf.length} bytes is not a multiple of ${Type.BYTES_PER_ELEMENT}`);
  }
  const count = buf.length / Type.BYTES_PER_ELEMENT;
  if (count !== want) throw new Error(`${file}: ${count} elements, meta.json implies ${want}`);
  // Copy into an aligned buffer of its own: a Buffer may start at any byte offset.
  const out = new Type(count);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

// packageInfo returns the installed usearch package's version and its native module,
// whose hardware-acceleration query the JS wrapper does not re-export.
function packageInfo() {
  const root = path.resolve(path.dirname(require.resolve("usearch")), "..", "..", "..");
  const version = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version;
  let isa = "unknown";
  try {
    const native = require("node-gyp-build")(root);
    isa = native.hardwareAccelerationAvailable();
  } catch (e) {
    // Leave "unknown": the benchmark itself does not need it.
  }
  return { root, version, isa };
}

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

// cpuRatio is the process CPU seconds (all threads) since `c0` per wall second: about the
// number of busy threads. Well below the thread count means something else used the CPUs.
function cpuRatio(c0, wall) {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6 / wall;
}

// recall is the mean fraction of each query's k true neighbors among its first k results.
// `keysOf(i)` returns query i's result keys.
function recall(truth, queries, k, keysOf) {
  let hits = 0;
  for (let i = 0; i < queries; i++) {
    const want = new Set();
    for (let j = 0; j < k; j++) want.add(truth[i * k + j]);
    const got = keysOf(i);
    for (let j = 0; j < Math.min(k, got.length); j++) if (want.has(got[j])) hits++;
  }
  return hits / (queries * k);
}

// The Go bench's tableFormat: "%-13s %7s %8s %8s %10s %-5s %9s %8s  %s".
function tableLine(c) {
  return [
    c[0].padEnd(13), c[1].padStart(7), c[2].padStart(8), c[3].padStart(8),
    c[4].padStart(10), c[5].padEnd(5), c[6].padStart(9), c[7].padStart(8),
  ].join(" ") + "  " + c[8];
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const meta = JSON.parse(fs.readFileSync(path.join(args.dir, "meta.json"), "utf8"));
  const { n, dimensions: d, queries: q, k } = meta;
  const threads = args.threads ?? meta.threads;
  const minSearchMs = args.minSearchMs ?? meta.min_search_ms;
  const pkg = packageInfo();

  const vectors = readTyped(path.join(args.dir, meta.vectors), Float32Array, n * d);
  const queries = readTyped(path.join(args.dir, meta.queries_file), Float32Array, q * d);
  const keys = readTyped(path.join(args.dir, meta.keys), BigUint64Array, n);
  const truth = readTyped(path.join(args.dir, meta.truth), BigUint64Array, q * k);

  const index = new usearch.Index({
    dimensions: d,
    metric: meta.metric,
    quantization: meta.quantization,
    connectivity: meta.connectivity,
    expansion_add: meta.expansion_add,
    expansion_search: meta.expansion_search,
    multi: false,
  });

  const rows = [];
  let t0 = process.hrtime.bigint();
  let c0 = process.cpuUsage();
  index.add(keys, vectors, threads);
  let wall = seconds(t0);
  rows.push({ phase: "build", threads, ops: n, seconds: wall, unit: "vec/s", recall: -1, cpu: cpuRatio(c0, wall),
    note: `one add() call, ${threads} native threads` });
  if (index.size() !== n) throw new Error(`index holds ${index.size()} vectors, want ${n}`);

  // Search loop: one query per call on the JS thread, threads=1 inside the call.
  let loopKeys = new Array(q);
  let passes = 0;
  t0 = process.hrtime.bigint();
  c0 = process.cpuUsage();
  do {
    for (let i = 0; i < q; i++) {
      loopKeys[i] = index.search(queries.subarray(i * d, (i + 1) * d), k, 1).keys;
    }
    passes++;
  } while (seconds(t0) * 1000 < minSearchMs);
  wall = seconds(t0);
  rows.push({ phase: "search loop", threads: 1, ops: passes * q, seconds: wall, unit: "QPS", cpu: cpuRatio(c0, wall),
    recall: recall(truth, q, k, (i) => loopKeys[i]), note: "one search() call per query, threads=1" });
  loopKeys = null;

  // Search batch: the whole query set in one call, spread over `threads` native threads.
  let batch = null;
  passes = 0;
  t0 = process.hrtime.bigint();
  c0 = process.cpuUsage();
  do {
    batch = index.search(queries, k, threads);
    passes++;
  } while (seconds(t0) * 1000 < minSearchMs);
  wall = seconds(t0);
  const batchCPU = cpuRatio(c0, wall);
  const batchKeys = (i) => batch.keys.subarray(i * k, i * k + Number(batch.counts[i]));
  rows.push({ phase: "search batch", threads, ops: passes * q, seconds: wall, unit: "QPS", cpu: batchCPU,
    recall: recall(truth, q, k, batchKeys), note: `one search() call per pass, ${threads} native threads` });

  const effective = (v, def) => (v === 0 ? def : v);
  console.log(`usearch bench: impl=npm usearch@${pkg.version} (upstream prebuilt)  node ${process.version} ${process.platform}/${process.arch}  isa available=${pkg.isa}`);
  console.log(`data:    read from ${args.dir}: n=${n} d=${d} clusters=${meta.clusters} seed=${meta.seed} queries=${q} k=${k}  (ground truth: the Go run's)`);
  console.log(`index:   metric=${meta.metric} quantization=${meta.quantization} connectivity=${index.connectivity()} ` +
    `expansion_add=${effective(meta.expansion_add, 128)} expansion_search=${effective(meta.expansion_search, 64)}`);
  console.log(`threads: build ${threads}, search loop 1, search batch ${threads}  (availableParallelism ${os.availableParallelism()})`);
  console.log(tableLine(["phase", "threads", "ops", "seconds", "rate", "unit", `recall@${k}`, "cpu/wall", "note"]));
  let tsv = "phase\tthreads\tops\tseconds\trate\tunit\trecall\tcpu\n";
  for (const r of rows) {
    const rate = r.ops / r.seconds;
    console.log(tableLine([r.phase, String(r.threads), String(r.ops), r.seconds.toFixed(3), rate.toFixed(0),
      r.unit, r.recall >= 0 ? r.recall.toFixed(4) : "-", r.cpu.toFixed(2), r.note]));
    tsv += `${r.phase}\t${r.threads}\t${r.ops}\t${r.seconds.toFixed(6)}\t${rate.toFixed(1)}\t${r.unit}\t${r.recall.toFixed(4)}\t${r.cpu.toFixed(2)}\n`;
  }
  if (pkg.version !== "2.26.2") console.log(`warning: expected usearch 2.26.2, found ${pkg.version} at ${pkg.root}`);
  fs.writeFileSync(path.join(args.dir, "npm_results.tsv"), tsv);
}

main();
