//go:build cgo

package usearch_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/usearch-go/usearch"
)

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
