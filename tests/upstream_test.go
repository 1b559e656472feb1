//go:build cgo

package tests

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/usearch-go/usearch"
)

// Compatibility with upstream USearch 2.26.2: the fixtures it wrote (testdata/upstream-2.26.2)
// must load and search as upstream answered, and, with Node and npm usearch installed, files
// written by either side must be read by the other (TestInteropWithUpstream).

// fixtureCase is the part of an upstream fixture's case.json the tests use.
type fixtureCase struct {
	Name   string `json:"name"`
	Config struct {
		Dimensions uint   `json:"dimensions"`
		Metric     string `json:"metric"`
		Scalar     string `json:"scalar_kind"`
		Multi      bool   `json:"multi"`
	} `json:"config"`
	Effective struct {
		Connectivity    uint `json:"connectivity"`
		ExpansionSearch uint `json:"expansion_search"`
	} `json:"effective"`
	Count   int `json:"count"`
	K       uint
	Results []struct {
		HNSW struct {
			Keys      []uint64  `json:"keys"`
			Distances []float64 `json:"distances"`
		} `json:"hnsw"`
	} `json:"results"`
	RemovedKeys []uint64 `json:"removed_keys"`
}

var fixtureMetrics = map[string]usearch.Metric{"cos": usearch.Cosine, "l2sq": usearch.L2sq, "ip": usearch.InnerProduct,
	"pearson": usearch.Pearson, "haversine": usearch.Haversine, "divergence": usearch.Divergence,
	"hamming": usearch.Hamming, "tanimoto": usearch.Tanimoto, "sorensen": usearch.Sorensen}
var fixtureScalars = map[string]usearch.Quantization{"f32": usearch.F32, "f64": usearch.F64, "f16": usearch.F16,
	"bf16": usearch.BF16, "i8": usearch.I8, "b1": usearch.B1, "u8": usearch.U8}

const fixtureRoot = "testdata/upstream-2.26.2"

func loadFixture(t *testing.T, dir string) (fixtureCase, []float32, []byte) {
	t.Helper()
	var c fixtureCase
	raw, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	qraw, err := os.ReadFile(filepath.Join(dir, "queries.bin"))
	if err != nil {
		t.Fatal(err)
	}
	queries := make([]float32, len(qraw)/4)
	for i := range queries {
		queries[i] = math.Float32frombits(binary.LittleEndian.Uint32(qraw[4*i:]))
	}
	file, err := os.ReadFile(filepath.Join(dir, "index.usearch"))
	if err != nil {
		t.Fatal(err)
	}
	return c, queries, file
}

func fixtureDirs(t *testing.T) []string {
	dirs, err := filepath.Glob(filepath.Join(fixtureRoot, "*", "case.json"))
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	if err != nil || len(dirs) < 20 {
		t.Fatalf("expected the 20 upstream fixture cases under %s, found %d (%v)", fixtureRoot, len(dirs), err)
	}
	return dirs
}

// checkUpstreamResults searches every recorded query and compares with upstream's answers:
// the same keys in the same order, except that keys at equal distances may swap.
func checkUpstreamResults(t *testing.T, idx *usearch.Index, c fixtureCase, queries []float32) {
	t.Helper()
	if err := idx.ChangeExpansionSearch(c.Effective.ExpansionSearch); err != nil {
		t.Fatal(err)
	}
	d := int(c.Config.Dimensions)
	mismatches := 0
	for i, r := range c.Results {
		keys, dists, err := idx.Search(queries[i*d:(i+1)*d], c.K)
		if err != nil {
			t.Fatal(err)
		}
		want := r.HNSW.Keys
		if len(keys) != len(want) {
			t.Fatalf("query %d: %d results, upstream returned %d", i, len(keys), len(want))
		}
		for j := range keys {
			tol := 1e-5 + 1e-5*math.Abs(r.HNSW.Distances[j])
			if math.Abs(float64(dists[j])-r.HNSW.Distances[j]) > tol {
				t.Errorf("query %d rank %d: distance %v, upstream %v", i, j, dists[j], r.HNSW.Distances[j])
			}
			// Keys at equal distances may come in another order (or, at the k-th distance,
			// another of the tied keys may be chosen); any other difference is a different walk.
			if keys[j] != want[j] && !(math.Abs(float64(dists[j])-r.HNSW.Distances[j]) <= tol && tied(r.HNSW.Distances, j, tol)) {
				mismatches++
			}
		}
	}
	if mismatches > 0 {
		t.Errorf("%d result keys differ from upstream's", mismatches)
	}
}

func TestUpstreamFixtures(t *testing.T) {
	for _, dir := range fixtureDirs(t) {
		dir := dir
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, queries, file := loadFixture(t, dir)
			path := filepath.Join(dir, "index.usearch")
			conf, err := usearch.Metadata(path)
			if err != nil {
				t.Fatal(err)
			}
			if conf.Dimensions != c.Config.Dimensions || conf.Metric != fixtureMetrics[c.Config.Metric] ||
				conf.Quantization != fixtureScalars[c.Config.Scalar] || conf.Multi != c.Config.Multi {
				t.Fatalf("Metadata = %+v, case says %+v", conf, c.Config)
			}
			if bconf, err := usearch.MetadataBuffer(file, uint(len(file))); err != nil || bconf != conf {
				t.Fatalf("MetadataBuffer = %+v, %v; Metadata gave %+v", bconf, err, conf)
			}
			live := uint(c.Count - len(c.RemovedKeys))
			modes := map[string]func(*usearch.Index) error{
				"Load":       func(i *usearch.Index) error { return i.Load(path) },
				"View":       func(i *usearch.Index) error { return i.View(path) },
				"LoadBuffer": func(i *usearch.Index) error { return i.LoadBuffer(file, uint(len(file))) },
				"ViewBuffer": func(i *usearch.Index) error {
					return i.ViewBuffer(append([]byte(nil), file...), uint(len(file)))
				},
			}
			for mode, open := range modes {
				t.Run(mode, func(t *testing.T) {
					idx, err := usearch.NewIndex(usearch.DefaultConfig(1))
					if err != nil {
						t.Fatal(err)
					}
					defer idx.Close()
					if err := open(idx); err != nil {
						t.Fatal(err)
					}
					if n, _ := idx.Len(); n != live {
						t.Fatalf("Len = %d, want %d", n, live)
					}
					if d, _ := idx.Dimensions(); d != c.Config.Dimensions {
						t.Fatalf("Dimensions = %d, want %d", d, c.Config.Dimensions)
					}
					checkUpstreamResults(t, idx, c, queries)
					// Re-saving reproduces upstream's bytes exactly.
					size, err := idx.SerializedLength()
					if err != nil || size != uint(len(file)) {
						t.Fatalf("SerializedLength = %d, %v; file has %d bytes", size, err, len(file))
					}
					out := make([]byte, size)
					if err := idx.SaveBuffer(out, size); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(out, file) {
						t.Fatalf("re-saved image differs from upstream's file")
					}
				})
			}
		})
	}
}

// The npm package usearch@2.26.2 is installed into bench/node_modules by `.ci/run`
// (`npm ci --prefix bench`); go test runs this package in tests/, one level below. CI sets
// USEARCH_INTEROP=1, which turns a missing Node or package into a failure instead of a skip.
func upstreamNode(t *testing.T) (node, modules string) {
	t.Helper()
	modules, _ = filepath.Abs(filepath.Join("..", "bench", "node_modules"))
	node, err := exec.LookPath("node")
	if err == nil {
		if _, err = os.Stat(filepath.Join(modules, "usearch", "package.json")); err == nil {
			return node, modules
		}
	}
	if os.Getenv("USEARCH_INTEROP") != "" {
		t.Fatalf("USEARCH_INTEROP is set but node or bench/node_modules/usearch is missing: %v", err)
	}
	t.Skip("interop needs node and `npm ci --prefix bench` (set USEARCH_INTEROP=1 to require it)")
	return "", ""
}

type interopCase struct {
	Name            string `json:"name"`
	Metric          string `json:"metric"`
	Quantization    string `json:"quantization"`
	Dimensions      int    `json:"dimensions"`
	Connectivity    int    `json:"connectivity"`
	ExpansionAdd    int    `json:"expansion_add"`
	ExpansionSearch int    `json:"expansion_search"`
	Queries         int    `json:"queries"`
	K               int    `json:"k"`
	Probe           bool   `json:"probe"` // conversion probe: upstream only builds and saves
	rows            int
	metric          usearch.Metric
	quant           usearch.Quantization
	vectors         []float32
}

type nodeMatches []struct {
	Keys      []string
	Distances []float64
}

type nodeResults map[string]struct {
	GoFileSize        int         `json:"go_file_size"`
	GoFileViewSize    int         `json:"go_file_view_size"`
	NodeFileSize      int         `json:"node_file_size"`
	GoFileResults     nodeMatches `json:"go_file_results"`
	GoFileViewResults nodeMatches `json:"go_file_view_results"`
	NodeFileResults   nodeMatches `json:"node_file_results"`
}

// interopKinds names the storage kinds as upstream's JavaScript binding spells them.
var interopKinds = map[usearch.Quantization]string{usearch.F32: "f32", usearch.F64: "f64", usearch.F16: "f16",
	usearch.BF16: "bf16", usearch.I8: "i8", usearch.U8: "u8", usearch.B1: "b1",
	usearch.E5M2: "e5m2", usearch.E4M3: "e4m3", usearch.E3M2: "e3m2", usearch.E2M3: "e2m3"}

// TestInteropWithUpstream: Go writes an index for every metric x storage kind, upstream
// loads, views and searches it; upstream builds the same index and Go loads it. On the same
// file both walk the graph identically, so their search results must agree key for key, and
// both files must hold the same stored rows (upstream converted the same float32 input).
// Conversion probes give upstream every rounding edge of the 16- and 8-bit float kinds
// (ties, overflow, subnormals, infinities, NaN) and compare the bytes it stores with Go's.
func TestInteropWithUpstream(t *testing.T) {
	node, modules := upstreamNode(t)
	dir := t.TempDir()
	const n = 400
	var cases []*interopCase
	add := func(metric usearch.Metric, q usearch.Quantization, dims int) {
		cases = append(cases, &interopCase{Name: fmt.Sprintf("%v_%v", metric, q), Metric: metric.String(),
			Quantization: interopKinds[q], rows: n,
			Dimensions: dims, Connectivity: 8, ExpansionAdd: 64, ExpansionSearch: 32, Queries: 40, K: 5, metric: metric, quant: q})
	}
	for _, q := range []usearch.Quantization{usearch.F32, usearch.F64, usearch.F16, usearch.BF16, usearch.I8, usearch.U8,
		usearch.E5M2, usearch.E4M3, usearch.E3M2, usearch.E2M3} {
		for _, m := range []usearch.Metric{usearch.Cosine, usearch.L2sq, usearch.InnerProduct, usearch.Pearson} {
			add(m, q, 24)
		}
		if q != usearch.I8 && q != usearch.U8 {
			add(usearch.Divergence, q, 24)
		}
	}
	add(usearch.Haversine, usearch.F32, 2)
	add(usearch.Haversine, usearch.F64, 2)
	for _, m := range []usearch.Metric{usearch.Hamming, usearch.Tanimoto, usearch.Sorensen} {
		add(m, usearch.B1, 64)
	}
	probe := probeValues()
	for _, q := range []usearch.Quantization{usearch.E5M2, usearch.E4M3, usearch.E3M2, usearch.E2M3, usearch.F16, usearch.BF16} {
		const dims = 64
		cases = append(cases, &interopCase{Name: "probe_" + interopKinds[q], Metric: "l2sq", Quantization: interopKinds[q],
			Dimensions: dims, Connectivity: 8, ExpansionAdd: 16, ExpansionSearch: 16, Probe: true, rows: len(probe) / dims,
			metric: usearch.L2sq, quant: q, vectors: probe})
	}

	for i, c := range cases {
		if c.Probe {
			writeKeysAndVectors(t, dir, c)
			continue
		}
		r := rand.New(rand.NewSource(int64(i)))
		c.vectors = make([]float32, n*c.Dimensions)
		for j := range c.vectors {
			switch {
			case c.quant == usearch.B1:
				c.vectors[j] = float32(r.Intn(2))
			case c.metric == usearch.Haversine && j%2 == 0:
				c.vectors[j] = float32(r.Float64()*170 - 85)
			case c.metric == usearch.Haversine:
				c.vectors[j] = float32(r.Float64()*360 - 180)
			case c.metric == usearch.Divergence:
				c.vectors[j] = r.Float32()
			default:
				c.vectors[j] = float32(r.NormFloat64())
			}
		}
		idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: uint(c.Dimensions), Metric: c.metric, Quantization: c.quant,
			Connectivity: uint(c.Connectivity), ExpansionAdd: uint(c.ExpansionAdd), ExpansionSearch: uint(c.ExpansionSearch)})
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < n; j++ {
			if err := idx.Add(interopKey(j), c.vectors[j*c.Dimensions:(j+1)*c.Dimensions]); err != nil {
				t.Fatal(err)
			}
		}
		writeKeysAndVectors(t, dir, c)
		must(t, idx.Save(filepath.Join(dir, "go_"+c.Name+".usearch")))
		idx.Close()
	}
	manifest, _ := json.Marshal(map[string]any{"cases": cases})
	must(t, os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644))

	cmd := exec.Command(node, "interop/roundtrip.js", dir)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node interop/roundtrip.js: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	var results nodeResults
	raw, err := os.ReadFile(filepath.Join(dir, "node_results.json"))
	must(t, err)
	must(t, json.Unmarshal(raw, &results))

	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r, ok := results[c.Name]
			if !ok {
				t.Fatal("no result from node")
			}
			if c.Probe {
				checkProbe(t, dir, c, r.NodeFileSize)
				return
			}
			goRows, nodeRows := storedRows(t, filepath.Join(dir, "go_"+c.Name+".usearch")), storedRows(t, filepath.Join(dir, "node_"+c.Name+".usearch"))
			if !bytes.Equal(goRows, nodeRows) {
				t.Errorf("the stored rows differ between Go's file and upstream's (%d and %d bytes)", len(goRows), len(nodeRows))
			}
			if r.GoFileSize != n || r.GoFileViewSize != n || r.NodeFileSize != n {
				t.Fatalf("sizes: upstream loaded %d, viewed %d, built %d; want %d", r.GoFileSize, r.GoFileViewSize, r.NodeFileSize, n)
			}
			for file, upstream := range map[string]nodeMatches{"go_": r.GoFileResults, "node_": r.NodeFileResults} {
				idx, err := usearch.NewIndex(usearch.DefaultConfig(1))
				must(t, err)
				must(t, idx.Load(filepath.Join(dir, file+c.Name+".usearch")))
				must(t, idx.ChangeExpansionSearch(uint(c.ExpansionSearch)))
				if l, _ := idx.Len(); l != n {
					t.Fatalf("%s file: Go loaded %d vectors, want %d", file, l, n)
				}
				differ, self := 0, 0
				for q := 0; q < c.Queries; q++ {
					keys, dists, err := idx.Search(c.vectors[q*c.Dimensions:(q+1)*c.Dimensions], uint(c.K))
					must(t, err)
					if len(keys) > 0 && keys[0] == interopKey(q) {
						self++
					}
					if len(keys) != len(upstream[q].Keys) {
						t.Fatalf("%s file, query %d: Go found %d, upstream %d", file, q, len(keys), len(upstream[q].Keys))
					}
					for j, k := range keys {
						want := upstream[q].Distances[j]
						tol := 1e-4 + 1e-4*math.Abs(want)
						if math.Abs(float64(dists[j])-want) > tol {
							t.Errorf("%s file, query %d rank %d: Go distance %v, upstream %v", file, q, j, dists[j], want)
						}
						// Equal distances (frequent on bits and bytes) may be ordered differently.
						if strconv.FormatUint(k, 10) != upstream[q].Keys[j] && !tied(upstream[q].Distances, j, tol) {
							differ++
						}
					}
				}
				if differ > 0 {
					t.Errorf("%s file: %d of %d result keys differ between Go and upstream", file, differ, c.Queries*c.K)
				}
				// A stored vector is its own nearest neighbor, except under inner product
				// (longer vectors win) and on bits (ties).
				if c.quant != usearch.B1 && c.metric != usearch.InnerProduct && self < c.Queries*8/10 {
					t.Errorf("%s file: only %d of %d stored vectors found themselves first", file, self, c.Queries)
				}
				idx.Close()
			}
		})
	}
}

// interopKey is the key of the j-th vector of a case.
func interopKey(j int) usearch.Key { return usearch.Key(j*7919 + 3) }

// writeKeysAndVectors writes a case's keys and float32 vectors for roundtrip.js.
func writeKeysAndVectors(t *testing.T, dir string, c *interopCase) {
	t.Helper()
	keys := make([]byte, 8*c.rows)
	for j := 0; j < c.rows; j++ {
		binary.LittleEndian.PutUint64(keys[8*j:], interopKey(j))
	}
	vecs := make([]byte, 4*len(c.vectors))
	for j, v := range c.vectors {
		binary.LittleEndian.PutUint32(vecs[4*j:], math.Float32bits(v))
	}
	must(t, os.WriteFile(filepath.Join(dir, c.Name+".vectors.bin"), vecs, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, c.Name+".keys.bin"), keys, 0o644))
}

// storedRows returns the vectors section of an index file: the rows after the two u32
// counts at its start (docs/file-format.md, "Layout").
func storedRows(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	must(t, err)
	if len(raw) < 8 {
		t.Fatalf("%s: %d bytes, no vectors section", path, len(raw))
	}
	size := uint64(binary.LittleEndian.Uint32(raw)) * uint64(binary.LittleEndian.Uint32(raw[4:]))
	if uint64(len(raw)-8) < size {
		t.Fatalf("%s: vectors section of %d bytes does not fit", path, size)
	}
	return raw[8 : 8+size]
}

// probeValues lists float32 inputs at every rounding edge of the mini-float kinds (each
// value, each midpoint between neighbours and the floats just beside it, both signs) and
// of binary16 and bfloat16 (midpoints of a spread of neighbours), plus infinities, NaN,
// zeros, float32 subnormals and the extremes, padded with zeros to whole rows of 64.
func probeValues() []float32 {
	seen := map[uint32]bool{}
	var out []float32
	add := func(xs ...float32) {
		for _, x := range xs {
			for _, v := range []float32{x, -x} {
				if b := math.Float32bits(v); !seen[b] {
					seen[b] = true
					out = append(out, v)
				}
			}
		}
	}
	edges := func(values []float32) {
		for i := 0; i+1 < len(values); i++ {
			a, b := values[i], values[i+1]
			if a >= b || math.IsInf(float64(b), 0) || math.IsNaN(float64(b)) {
				continue
			}
			mid := a + (b-a)/2 // exact: neighbours differ in one low bit
			add(a, mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, b))
		}
	}
	for _, decode := range []func(c int) float32{
		func(c int) float32 { return usearch.Float8E5M2(c).Float32() },
		func(c int) float32 { return usearch.Float8E4M3(c).Float32() },
		func(c int) float32 { return usearch.Float6E3M2(c).Float32() },
		func(c int) float32 { return usearch.Float6E2M3(c).Float32() },
	} {
		values := make([]float32, 0, 128)
		for c := 0; c < 0x80; c++ {
			values = append(values, decode(c))
		}
		edges(values)
	}
	var halves, brains []float32
	for c := 0; c < 0x7C00; c += 7 {
		halves = append(halves, usearch.Float16(c).Float32(), usearch.Float16(c+1).Float32())
	}
	for c := 0; c < 0x7F80; c += 61 {
		brains = append(brains, usearch.BFloat16(c).Float32(), usearch.BFloat16(c+1).Float32())
	}
	for i := 0; i+1 < len(halves); i += 2 {
		edges(halves[i : i+2])
	}
	for i := 0; i+1 < len(brains); i += 2 {
		edges(brains[i : i+2])
	}
	add(0, float32(math.Inf(1)), float32(math.NaN()), math.SmallestNonzeroFloat32, math.MaxFloat32, 1e-30, 1e-8,
		57344, 61439.996, 61440, 61440.004, 65504, 65519.996, 65520, 448, 464, 464.00003, 480, 500, 28, 30, 32, 7.5, 7.75, 8)
	for len(out)%64 != 0 {
		out = append(out, 0)
	}
	return out
}

// checkProbe compares the rows upstream stored for the probe input with Go's conversion
// of the same values, and has Go load upstream's file and read the rows back.
func checkProbe(t *testing.T, dir string, c *interopCase, upstreamSize int) {
	if upstreamSize != c.rows {
		t.Fatalf("upstream built %d vectors, want %d", upstreamSize, c.rows)
	}
	path := filepath.Join(dir, "node_"+c.Name+".usearch")
	rows := storedRows(t, path)
	var want []byte
	nonFinite := false // a value stored as an infinity or NaN
	note := func(f float32) { nonFinite = nonFinite || math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) }
	for _, x := range c.vectors {
		switch c.quant {
		case usearch.E5M2:
			v := usearch.Float8E5M2From(x)
			want = append(want, byte(v))
			note(v.Float32())
		case usearch.E4M3:
			v := usearch.Float8E4M3From(x)
			want = append(want, byte(v))
			note(v.Float32())
		case usearch.E3M2:
			v := usearch.Float6E3M2From(x)
			want = append(want, byte(v))
			note(v.Float32())
		case usearch.E2M3:
			v := usearch.Float6E2M3From(x)
			want = append(want, byte(v))
			note(v.Float32())
		case usearch.F16:
			v := usearch.Float16From(x)
			want = binary.LittleEndian.AppendUint16(want, uint16(v))
			note(v.Float32())
		case usearch.BF16:
			v := usearch.BFloat16From(x)
			want = binary.LittleEndian.AppendUint16(want, uint16(v))
			note(v.Float32())
		}
	}
	if len(rows) != len(want) {
		t.Fatalf("upstream stored %d bytes of rows, Go converts to %d", len(rows), len(want))
	}
	size := len(want) / len(c.vectors)
	differ := 0
	for i, x := range c.vectors {
		got, exp := rows[i*size:(i+1)*size], want[i*size:(i+1)*size]
		if !bytes.Equal(got, exp) {
			if differ++; differ <= 10 {
				t.Errorf("%v(%v = %#08x): upstream stored % x, Go converts to % x", c.quant, x, math.Float32bits(x), got, exp)
			}
		}
	}
	if differ > 0 {
		t.Fatalf("%d of %d conversions differ from upstream", differ, len(c.vectors))
	}
	t.Logf("%d float32 values converted to %v exactly as upstream does", len(c.vectors), c.quant)

	// Go reads upstream's file: its configuration and the stored bytes, unchanged. Load
	// refuses a file holding infinities or NaN (nonfinite_test.go), which the probes of the
	// kinds that have them make; a view serves such a file as it is.
	conf, err := usearch.Metadata(path)
	must(t, err)
	if conf.Quantization != c.quant || conf.Metric != usearch.L2sq || conf.Dimensions != uint(c.Dimensions) {
		t.Fatalf("metadata %+v, want %v l2sq %d dims", conf, c.quant, c.Dimensions)
	}
	idx, err := usearch.NewIndex(usearch.DefaultConfig(1))
	must(t, err)
	defer idx.Close()
	err = idx.Load(path)
	switch {
	case nonFinite && !errors.Is(err, usearch.ErrInvalidFile):
		t.Fatalf("Load of a file holding non-finite values: %v, want %v", err, usearch.ErrInvalidFile)
	case nonFinite:
		must(t, idx.View(path))
	default:
		must(t, err)
	}
	var buf bytes.Buffer
	_, err = idx.WriteTo(&buf)
	must(t, err)
	if !bytes.Equal(buf.Bytes()[8:8+len(rows)], rows) {
		t.Fatal("Go re-saved upstream's rows differently")
	}
}
