// roundtrip.js: the upstream side of the Go <-> npm usearch@2.26.2 interoperability test.
//
// Usage (from tests/, as tests/upstream_test.go runs it): node interop/roundtrip.js DIR
// DIR holds manifest.json and, per case, go_<name>.usearch (written by Go), vectors.bin
// (float32 rows) and keys.bin (uint64). For each case this script loads and views Go's
// file, checks its size and searches every stored vector, builds the same index itself and
// saves node_<name>.usearch, then searches that too. Results go to DIR/node_results.json so
// the Go test can compare them with its own walk over the same files. Cases marked `probe`
// are only built and saved: Go compares the rows upstream stored with its own conversions.
'use strict';
const fs = require('fs');
const path = require('path');
const usearch = require('usearch');

const dir = process.argv[2];
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));

function readF32(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}
function readU64(file) {
  const b = fs.readFileSync(file);
  return new BigUint64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function searchAll(index, vectors, dims, count, k) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const m = index.search(vectors.subarray(i * dims, (i + 1) * dims), k, 1);
    out.push({ keys: Array.from(m.keys, String), distances: Array.from(m.distances) });
  }
  return out;
}

const results = {};
for (const c of manifest.cases) {
  const opts = {
    dimensions: c.dimensions, metric: c.metric, quantization: c.quantization,
    connectivity: c.connectivity, expansion_add: c.expansion_add, expansion_search: c.expansion_search, multi: false,
  };
  const vectors = readF32(path.join(dir, c.name + '.vectors.bin'));
  const keys = readU64(path.join(dir, c.name + '.keys.bin'));
  const r = { name: c.name };
  if (c.probe) {
    // Conversion probe: only build from the float32 input and save; Go reads the rows.
    const built = new usearch.Index(opts);
    built.add(keys, vectors, 1);
    built.save(path.join(dir, 'node_' + c.name + '.usearch'));
    r.node_file_size = Number(built.size());
    results[c.name] = r;
    continue;
  }

  const loaded = new usearch.Index(opts);
  loaded.load(path.join(dir, 'go_' + c.name + '.usearch'));
  r.go_file_size = Number(loaded.size());
  r.go_file_results = searchAll(loaded, vectors, c.dimensions, c.queries, c.k);
  const viewed = new usearch.Index(opts);
  viewed.view(path.join(dir, 'go_' + c.name + '.usearch'));
  r.go_file_view_size = Number(viewed.size());
  r.go_file_view_results = searchAll(viewed, vectors, c.dimensions, c.queries, c.k);

  const built = new usearch.Index(opts);
  built.add(keys, vectors, 1);
  built.save(path.join(dir, 'node_' + c.name + '.usearch'));
  r.node_file_size = Number(built.size());
  const reread = new usearch.Index(opts);
  reread.load(path.join(dir, 'node_' + c.name + '.usearch'));
  r.node_file_results = searchAll(reread, vectors, c.dimensions, c.queries, c.k);
  results[c.name] = r;
}
fs.writeFileSync(path.join(dir, 'node_results.json'), JSON.stringify(results));
let pkg = path.dirname(require.resolve('usearch'));
while (!fs.existsSync(path.join(pkg, 'package.json')) || JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).name !== 'usearch') pkg = path.dirname(pkg);
const version = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')).version;
console.log(`roundtrip.js: ${manifest.cases.length} cases checked with usearch ${version}`);
