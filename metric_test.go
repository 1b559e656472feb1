//go:build cgo

package usearch_test

// ChangeMetric and ChangeMetricKind (metric.go): a Go metric replaces the built-in one for
// adds and searches, a panic in it becomes ErrCallback, and a metric over the wrong element
// type is refused; back on a built-in kind, searches work again.

import (
	"errors"
	"strings"
	"testing"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

func TestGoMetric(t *testing.T) {
	data := dataset.Clustered(3000, 16, 20, 3)
	l2 := func(a, b []float32) float32 {
		var s float32
		for i := range a {
			d := a[i] - b[i]
			s += d * d
		}
		return s
	}
	native, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 16, Metric: usearch.L2sq})
	if err != nil {
		t.Fatal(err)
	}
	defer native.Close()
	custom, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 16, Metric: usearch.L2sq})
	if err != nil {
		t.Fatal(err)
	}
	defer custom.Close()
	if err := custom.ChangeMetric(l2); err != nil {
		t.Fatal(err)
	}
	if hw, _ := custom.HardwareAcceleration(); hw != "serial" {
		t.Fatalf("HardwareAcceleration with a Go metric = %q, want serial", hw)
	}
	for i := 0; i < 3000; i++ {
		v := data[i*16 : (i+1)*16]
		if err := native.Add(usearch.Key(i), v); err != nil {
			t.Fatal(err)
		}
		if err := custom.Add(usearch.Key(i), v); err != nil {
			t.Fatal(err)
		}
	}
	same := 0
	for i := 0; i < 100; i++ {
		q := data[i*16 : (i+1)*16]
		a, da, _ := native.Search(q, 5)
		b, db, err := custom.Search(q, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) == len(b) && a[0] == b[0] && abs(da[0]-db[0]) < 1e-4 {
			same++
		}
	}
	if same < 98 {
		t.Fatalf("a Go L2 metric agreed with the native one on %d of 100 nearest neighbors", same)
	}
	// A panicking metric fails the call and stores nothing; the index stays usable.
	if err := custom.ChangeMetric(func(a, b []float32) float32 { panic("metric boom") }); err != nil {
		t.Fatal(err)
	}
	before, _ := custom.Len()
	if err := custom.Add(99999, data[:16]); !errors.Is(err, usearch.ErrCallback) || !strings.Contains(err.Error(), "metric boom") {
		t.Fatalf("Add with a panicking metric: %v", err)
	}
	if n, _ := custom.Len(); n != before {
		t.Fatalf("Len %d after a failed Add, want %d", n, before)
	}
	if ok, _ := custom.Contains(99999); ok {
		t.Fatal("a failed Add left its key behind")
	}
	if _, _, err := custom.Search(data[:16], 3); !errors.Is(err, usearch.ErrCallback) {
		t.Fatalf("Search with a panicking metric: %v", err)
	}
	if err := custom.ChangeMetricKind(usearch.L2sq); err != nil {
		t.Fatal(err)
	}
	if keys, _, err := custom.Search(data[:16], 1); err != nil || keys[0] != 0 {
		t.Fatalf("search after returning to a native metric: %v %v", keys, err)
	}
	// The metric's element type must match the storage.
	f16, _ := usearch.NewIndexOf[usearch.Float16](usearch.IndexConfig{Dimensions: 4, Metric: usearch.Cosine, Quantization: usearch.F32})
	defer f16.Close()
	if err := f16.ChangeMetric(func(a, b []usearch.Float16) float32 { return 0 }); !errors.Is(err, usearch.ErrUnsupported) {
		t.Fatalf("Float16 metric on F32 storage: %v, want ErrUnsupported", err)
	}
}
