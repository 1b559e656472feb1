#!/usr/bin/env node
// upstream_bench.js runs upstream USearch (the npm package usearch, pinned in
// bench/package.json) on the data set written by `go run ./cmd/usearch bench -write-data DIR`
// and prints the same table as the Go bench: build rate, QPS and recall@k against the same
// ground truth, with the same graph parameters and thread count.
//
//   node bench/upstream_bench.js DIR [--threads N] [--min-search-ms MS]
//   node bench/upstream_bench.js --sweep DATA --out FILE.jsonl --variant f32|f16 --threads T
//        --efs 16,32,... [--min-seconds S] [--repeat R] [--ids DIR] [--M 16] [--ef-construction 128]
//
// The --sweep mode is the npm driver of the harness (bench/run.sh, bench/README.md): it reads
// the harness's .fbin/.ibin files, builds with one add() call on T native threads, and for
// each ef measures QPS and recall (T=1: one search() call per query; T>1: one search() call
// per pass over all queries on T native threads), appending JSON lines to FILE.jsonl.
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

// readBin reads a harness file: u32 rows, u32 cols, then rows*cols 4-byte values.
function readBin(file, Type) {
  if (os.endianness() !== "LE") throw new Error("this script assumes a little-endian host");
  const buf = fs.readFileSync(file);
  const rows = buf.readUInt32LE(0), cols = buf.readUInt32LE(4);
  if (buf.length !== 8 + rows * cols * 4) throw new Error(`${file}: ${buf.length} bytes, header says ${rows} x ${cols}`);
  const out = new Type(rows * cols);
  new Uint8Array(out.buffer).set(buf.subarray(8));
  return { rows, cols, data: out };
}

function rssMB() {
  return process.memoryUsage().rss / (1 << 20);
}

// sweep is the harness driver. The npm package cannot change expansion_search on a live
// index, so the built index is saved once and, for each ef, loaded into a new Index
// constructed with that expansion_search (save and load are not timed).
function sweep(argv) {
  const o = { data: null, out: null, variant: "f32", threads: 1, repeat: 1, ids: "", M: 16, efc: 128,
    efs: [16, 32, 48, 64, 96, 128, 256], minSeconds: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[++i];
    if (v === undefined) usage(`missing value for ${a}`);
    if (a === "--sweep") o.data = v;
    else if (a === "--out") o.out = v;
    else if (a === "--variant") o.variant = v;
    else if (a === "--ids") o.ids = v;
    else if (a === "--threads") o.threads = Number(v);
    else if (a === "--repeat") o.repeat = Number(v);
    else if (a === "--M") o.M = Number(v);
    else if (a === "--ef-construction") o.efc = Number(v);
    else if (a === "--min-seconds") o.minSeconds = Number(v);
    else if (a === "--efs") o.efs = v.split(",").map(Number);
    else usage(`unexpected argument ${a}`);
  }
  if (!o.data || !o.out || !(o.threads >= 1) || !["f32", "f16"].includes(o.variant)) usage("--sweep needs DATA, --out, --threads >= 1, --variant f32|f16");
  const meta = JSON.parse(fs.readFileSync(path.join(o.data, "meta.json"), "utf8"));
  const base = readBin(path.join(o.data, "base.fbin"), Float32Array);
  const queries = readBin(path.join(o.data, "queries.fbin"), Float32Array);
  const gt = readBin(path.join(o.data, "gt.ibin"), Uint32Array);
  const n = base.rows, d = base.cols, q = queries.rows, k = gt.cols;
  const truth = BigUint64Array.from(gt.data, (x) => BigInt(x));
  const keys = new BigUint64Array(n);
  for (let i = 0; i < n; i++) keys[i] = BigInt(i);
  const pkg = packageInfo();
  const head = { set: meta.name, engine: "npm", variant: o.variant, threads: o.threads, repeat: o.repeat };
  const emit = (p) => fs.appendFileSync(o.out, JSON.stringify({ ...head, ...p }) + "\n");
  const config = (ef) => ({ dimensions: d, metric: meta.metric, quantization: o.variant, connectivity: o.M,
    expansion_add: o.efc, expansion_search: ef, multi: false });

  if (global.gc) global.gc();
  const rss0 = rssMB();
  let t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
  const built = new usearch.Index(config(o.efs[0]));
  built.add(keys, base.data, o.threads);
  let wall = seconds(t0);
  const cpu = cpuRatio(c0, wall);
  if (built.size() !== n) throw new Error(`index holds ${built.size()} vectors, want ${n}`);
  emit({ phase: "build", seconds: wall, cpu, recall: 0, dist_per_query: -1, rss_delta_mb: rssMB() - rss0,
    note: `npm usearch@${pkg.version}, one add() call on ${o.threads} native threads, isa ${pkg.isa}` });
  console.log(`${meta.name.padEnd(8)} npm     ${o.variant.padEnd(4)} T=${o.threads} build ${wall.toFixed(2).padStart(7)}s cpu/wall ${cpu.toFixed(2)}  rss +${(rssMB() - rss0).toFixed(0)} MB`);
  const saved = path.join(os.tmpdir(), `usearch-harness-${process.pid}.usearch`);
  built.save(saved);

  try {
    for (const ef of o.efs) {
      const index = new usearch.Index(config(ef));
      index.load(saved);
      const got = new Uint32Array(q * k).fill(0xffffffff);
      const keep = (i, ks) => { for (let j = 0; j < Math.min(k, ks.length); j++) got[i * k + j] = Number(ks[j]); };
      let passes = 0;
      t0 = process.hrtime.bigint();
      c0 = process.cpuUsage();
      do {
        if (o.threads === 1) {
          for (let i = 0; i < q; i++) {
            const r = index.search(queries.data.subarray(i * d, (i + 1) * d), k, 1);
            if (passes === 0) keep(i, r.keys);
          }
        } else {
          const r = index.search(queries.data, k, o.threads);
          if (passes === 0) for (let i = 0; i < q; i++) keep(i, r.keys.subarray(i * k, i * k + Number(r.counts[i])));
        }
        passes++;
      } while (seconds(t0) < o.minSeconds);
      wall = seconds(t0);
      const scpu = cpuRatio(c0, wall);
      const qps = passes * q / wall;
      const rec = recall(truth, q, k, (i) => Array.from(got.subarray(i * k, (i + 1) * k), (x) => BigInt(x)));
      let ids = "";
      if (o.ids) {
        ids = path.join(o.ids, `${meta.name}-npm-${o.variant}-t${o.threads}-r${o.repeat}-ef${ef}.ibin`);
        const hdr = Buffer.alloc(8);
        hdr.writeUInt32LE(q, 0);
        hdr.writeUInt32LE(k, 4);
        fs.writeFileSync(ids, Buffer.concat([hdr, Buffer.from(got.buffer)]));
      }
      emit({ phase: "search", ef, queries: passes * q, seconds: wall, cpu: scpu, qps, recall: rec, dist_per_query: -1, ids,
        note: o.threads === 1 ? "one search() call per query" : `one search() call per pass on ${o.threads} native threads` });
      console.log(`${meta.name.padEnd(8)} npm     ${o.variant.padEnd(4)} T=${o.threads} ef=${String(ef).padEnd(4)} ${qps.toFixed(0).padStart(9)} QPS  recall ${rec.toFixed(4)}  dist/q      -  cpu/wall ${scpu.toFixed(2)}`);
    }
  } finally {
    fs.rmSync(saved, { force: true });
  }
  if (pkg.version !== "2.26.2") console.log(`warning: expected usearch 2.26.2, found ${pkg.version} at ${pkg.root}`);
}

function main() {
  if (process.argv.includes("--sweep")) return sweep(process.argv.slice(2));
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
