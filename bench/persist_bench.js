#!/usr/bin/env node
// persist_bench.js times save, load and view of upstream USearch (the npm package usearch,
// pinned in bench/package.json) on index files written by Go (bench/internal/mkindex):
//
//   node bench/persist_bench.js DIR [--reps N]
//
// DIR holds meta.json (see bench/internal/mkindex) and the files it lists (go_100k.usearch,
// optionally go_fmnist.usearch, and their .probes.f32). It builds nothing. For each index:
//
//   load   N times: a new Index, then index.load(file)          (timed: the load call)
//   save   N times: index.save(DIR/.npm-save-PID.usearch) on the loaded index
//   view   N times: a new Index, then index.view(file)          (timed: the view call)
//
// and prints the median and minimum milliseconds and the MB/s (10^6 bytes of the file per
// second, as Go's b.SetBytes) of each. After load and after view it searches every probe
// row and checks that its own key comes back among the 10 nearest (proof the index works);
// after save it checks the re-saved file is byte-identical to the Go-written one.
// The table is also written to DIR/persist_npm.tsv for bench/persist_compare.sh.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

const usearch = require("usearch");

function usage(msg) {
  if (msg) console.error("persist_bench: " + msg);
  console.error("usage: node bench/persist_bench.js DIR [--reps N]");
  process.exit(2);
}

function parseArgs(argv) {
  const out = { dir: null, reps: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--reps") {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) usage("bad value for --reps");
      out.reps = v;
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

const now = () => process.hrtime.bigint();
const ms = (t0, t1) => Number(t1 - t0) / 1e6;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// collect drops unreachable indexes (their native memory) between repetitions when node
// runs with --expose-gc; otherwise the garbage collector does it when it sees fit.
function collect() {
  if (typeof global.gc === "function") global.gc();
}

function readProbes(file, rows, dims) {
  if (os.endianness() !== "LE") throw new Error("this script assumes a little-endian host");
  const buf = fs.readFileSync(file);
  if (buf.length !== rows * dims * 4) throw new Error(`${file}: ${buf.length} bytes, want ${rows * dims * 4}`);
  const all = new Float32Array(rows * dims);
  new Uint8Array(all.buffer).set(buf); // an aligned copy: a Buffer may start at any offset
  return Array.from({ length: rows }, (_, i) => all.subarray(i * dims, (i + 1) * dims));
}

// checkSearch searches every probe and returns how many found their own key in the top 10
// and how many as the top hit.
function checkSearch(index, probes, keys) {
  let inTop10 = 0;
  let first = 0;
  probes.forEach((p, i) => {
    const res = index.search(p, 10, 1);
    const got = Array.from(res.keys, BigInt);
    if (got.includes(BigInt(keys[i]))) inTop10++;
    if (got.length && got[0] === BigInt(keys[i])) first++;
  });
  return { inTop10, first, total: probes.length };
}

function newIndex(m) {
  return new usearch.Index({
    dimensions: m.dimensions,
    metric: m.metric,
    quantization: m.quantization,
    connectivity: 0,
    expansion_add: 0,
    expansion_search: 0,
    multi: false,
  });
}

function packageVersion() {
  const root = path.resolve(path.dirname(require.resolve("usearch")), "..", "..", "..");
  return JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const meta = JSON.parse(fs.readFileSync(path.join(args.dir, "meta.json"), "utf8"));
  const version = packageVersion();
  console.log(`persist bench: npm usearch@${version}  node ${process.version} ${process.platform}/${process.arch}  ` +
    `reps=${args.reps}  gc between reps: ${typeof global.gc === "function" ? "yes" : "no (run node --expose-gc)"}`);
  if (version !== "2.26.2") console.log(`warning: expected usearch 2.26.2, found ${version}`);

  const rows = [];
  for (const m of meta.indexes) {
    const file = path.join(args.dir, m.file);
    const bytes = fs.statSync(file).size;
    if (bytes !== m.bytes) throw new Error(`${file}: ${bytes} bytes, meta.json says ${m.bytes}`);
    const probes = readProbes(path.join(args.dir, m.probes), m.probe_keys.length, m.dimensions);
    console.log(`\n${m.name}: ${m.file}  n=${m.n} d=${m.dimensions} ${m.metric}/${m.quantization}  ${(bytes / 1e6).toFixed(1)} MB`);

    // load
    let loaded = null;
    const loadMs = [];
    for (let r = 0; r < args.reps; r++) {
      loaded = null;
      collect();
      const index = newIndex(m);
      const t0 = now();
      index.load(file);
      loadMs.push(ms(t0, now()));
      loaded = index;
    }
    if (loaded.size() !== m.n) throw new Error(`loaded index holds ${loaded.size()} vectors, want ${m.n}`);
    const loadCheck = checkSearch(loaded, probes, m.probe_keys);

    // save, from the loaded index, next to the Go file (same file system)
    const out = path.join(args.dir, `.npm-save-${process.pid}.usearch`);
    const saveMs = [];
    let identical = false;
    try {
      for (let r = 0; r < args.reps; r++) {
        const t0 = now();
        loaded.save(out);
        saveMs.push(ms(t0, now()));
      }
      identical = fs.readFileSync(out).equals(fs.readFileSync(file));
    } finally {
      fs.rmSync(out, { force: true });
    }
    loaded = null;

    // view
    let viewed = null;
    const viewMs = [];
    for (let r = 0; r < args.reps; r++) {
      viewed = null;
      collect();
      const index = newIndex(m);
      const t0 = now();
      index.view(file);
      viewMs.push(ms(t0, now()));
      viewed = index;
    }
    if (viewed.size() !== m.n) throw new Error(`viewed index holds ${viewed.size()} vectors, want ${m.n}`);
    const viewCheck = checkSearch(viewed, probes, m.probe_keys);
    viewed = null;
    collect();

    const fmt = (c) => `${c.inTop10}/${c.total} probes found themselves in the top 10 (${c.first} as top hit)`;
    rows.push({ op: "save", name: m.name, bytes, times: saveMs, note: `re-saved file ${identical ? "byte-identical to" : "DIFFERS from"} Go's` });
    rows.push({ op: "load", name: m.name, bytes, times: loadMs, note: fmt(loadCheck) });
    rows.push({ op: "view", name: m.name, bytes, times: viewMs, note: fmt(viewCheck) });
    if (loadCheck.inTop10 !== loadCheck.total || viewCheck.inTop10 !== viewCheck.total) {
      console.log("warning: a probe did not find itself; see the notes");
    }
  }

  console.log();
  const line = (c) => c[0].padEnd(5) + " " + c[1].padEnd(14) + " " + c[2].padStart(10) + " " + c[3].padStart(10) + " " +
    c[4].padStart(10) + "  " + c[5];
  console.log(line(["op", "index", "median ms", "min ms", "MB/s", "note"]));
  let tsv = "op\tname\tbytes\tmedian_ms\tmin_ms\tmb_per_s\tall_ms\n";
  for (const r of rows) {
    const med = median(r.times);
    const min = Math.min(...r.times);
    const rate = r.bytes / 1e6 / (med / 1e3);
    console.log(line([r.op, r.name, med.toFixed(2), min.toFixed(2), rate.toFixed(1), r.note]));
    tsv += `${r.op}\t${r.name}\t${r.bytes}\t${med.toFixed(4)}\t${min.toFixed(4)}\t${rate.toFixed(2)}\t${r.times.map((t) => t.toFixed(3)).join(",")}\n`;
  }
  fs.writeFileSync(path.join(args.dir, "persist_npm.tsv"), tsv);
}

main();
