//go:build cgo

package usearch_test

import (
	"encoding/binary"
	"encoding/json"
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

// The npm package usearch@2.26.2 is installed into bench/node_modules by `.ci/run`
// (`npm ci --prefix bench`). CI sets USEARCH_INTEROP=1, which turns a missing Node or
// package into a failure instead of a skip.
func upstreamNode(t *testing.T) (node, modules string) {
	t.Helper()
	modules, _ = filepath.Abs("bench/node_modules")
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

// TestInteropWithUpstream: Go writes an index for every metric x storage kind, upstream
// loads, views and searches it; upstream builds the same index and Go loads it. On the same
// file both walk the graph identically, so their search results must agree key for key.
func TestInteropWithUpstream(t *testing.T) {
	node, modules := upstreamNode(t)
	dir := t.TempDir()
	const n = 400
	var cases []*interopCase
	add := func(metric usearch.Metric, q usearch.Quantization, dims int) {
		cases = append(cases, &interopCase{Name: fmt.Sprintf("%v_%v", metric, q), Metric: metric.String(),
			Quantization: map[usearch.Quantization]string{usearch.F32: "f32", usearch.F64: "f64", usearch.F16: "f16",
				usearch.BF16: "bf16", usearch.I8: "i8", usearch.U8: "u8", usearch.B1: "b1"}[q],
			Dimensions: dims, Connectivity: 8, ExpansionAdd: 64, ExpansionSearch: 32, Queries: 40, K: 5, metric: metric, quant: q})
	}
	for _, q := range []usearch.Quantization{usearch.F32, usearch.F64, usearch.F16, usearch.BF16, usearch.I8, usearch.U8} {
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

	for i, c := range cases {
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
		keys := make([]byte, 8*n)
		vecs := make([]byte, 4*len(c.vectors))
		for j := 0; j < n; j++ {
			key := usearch.Key(j*7919 + 3)
			binary.LittleEndian.PutUint64(keys[8*j:], key)
			if err := idx.Add(key, c.vectors[j*c.Dimensions:(j+1)*c.Dimensions]); err != nil {
				t.Fatal(err)
			}
		}
		for j, v := range c.vectors {
			binary.LittleEndian.PutUint32(vecs[4*j:], math.Float32bits(v))
		}
		must(t, os.WriteFile(filepath.Join(dir, c.Name+".vectors.bin"), vecs, 0o644))
		must(t, os.WriteFile(filepath.Join(dir, c.Name+".keys.bin"), keys, 0o644))
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
					if len(keys) > 0 && keys[0] == usearch.Key(q*7919+3) {
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
