package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestBinRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.fbin")
	want := []float32{1, 2.5, -3, 4, 5, 6}
	if err := writeBin(path, 2, 3, want); err != nil {
		t.Fatal(err)
	}
	got, rows, dims, err := readBin[float32](path)
	if err != nil || rows != 2 || dims != 3 {
		t.Fatalf("readBin: %v, %d x %d", err, rows, dims)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("value %d: %v, want %v", i, got[i], want[i])
		}
	}
	if err := writeBin(path, 3, 3, want); err == nil {
		t.Fatal("writeBin accepted 6 values for 3 x 3")
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-1], 0o644)
	if _, _, _, err := readBin[float32](path); err == nil {
		t.Fatal("readBin accepted a truncated file")
	}
}

func TestQPSAtRecall(t *testing.T) {
	pts := []*point{{EF: 16, Recall: 0.98, QPS: 1000}, {EF: 32, Recall: 0.99, QPS: 800}, {EF: 64, Recall: 0.995, QPS: 500}}
	cases := []struct {
		r           float64
		qps         float64
		ok, atFirst bool
	}{
		{0.985, 900, true, false},
		{0.99, 800, true, false},
		{0.9925, 650, true, false},
		{0.97, 1000, true, true},
		{0.999, 0, false, false},
	}
	for _, c := range cases {
		q, ok, first := qpsAtRecall(pts, c.r)
		if ok != c.ok || first != c.atFirst || math.Abs(q-c.qps) > 1e-9 {
			t.Errorf("qpsAtRecall(%v) = %v, %v, %v; want %v, %v, %v", c.r, q, ok, first, c.qps, c.ok, c.atFirst)
		}
	}
}

func TestIDRecall(t *testing.T) {
	truth := []uint32{1, 2, 3, 4}
	if r := idRecall([]uint32{2, 1, 9, 4}, truth, 2); r != 0.75 {
		t.Fatalf("idRecall = %v, want 0.75", r)
	}
}

// TestTieAwareRecall: row 1 duplicates row 0, the true nearest; returning it instead is a
// hit, returning a farther row is a miss.
func TestTieAwareRecall(t *testing.T) {
	out := t.TempDir()
	dir := filepath.Join(out, "data", "toy")
	os.MkdirAll(dir, 0o755)
	m := setMeta{Name: "toy", Metric: "l2sq", N: 3, Dims: 2, Queries: 2, K: 1}
	b, _ := json.Marshal(m)
	os.WriteFile(filepath.Join(dir, "meta.json"), b, 0o644)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(writeBin(filepath.Join(dir, "base.fbin"), 3, 2, []float32{0, 0, 0, 0, 5, 5}))
	must(writeBin(filepath.Join(dir, "queries.fbin"), 2, 2, []float32{0.1, 0, 0, 0.1}))
	must(writeBin(filepath.Join(dir, "gt.ibin"), 2, 1, []uint32{0, 0}))
	must(writeBin(filepath.Join(dir, "gt_dist.fbin"), 2, 1, []float32{0.01, 0.01}))
	ids := filepath.Join(out, "ids.ibin")
	must(writeBin(ids, 2, 1, []uint32{1, 2})) // the duplicate, then a far row
	p := &point{Set: "toy", Phase: "search", IDs: ids}
	must(tieAwareRecall(out, []*point{p}))
	if p.Recall != 0.5 {
		t.Fatalf("tie-aware recall = %v, want 0.5", p.Recall)
	}
}
