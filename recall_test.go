//go:build cgo

package usearch_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

// TestRecallAtDefaults checks recall@10 against brute force over the original float32
// vectors on seeded clustered data, with default connectivity and expansions.
func TestRecallAtDefaults(t *testing.T) {
	n, queries := 6000, 200
	if testing.Short() { // emulated runs (qemu): same behaviour, smaller data
		n, queries = 2000, 60
	}
	const dims, clusters, k = 48, 40, 10
	data := dataset.Clustered(n, dims, clusters, 7)
	qs := dataset.Queries(queries, dims, clusters, 7)
	unit := func(v []float32) []float32 { // for inner product: the usual normalised embeddings
		out := append([]float32(nil), v...)
		for i := 0; i < len(out); i += dims {
			row, s := out[i:i+dims], 0.0
			for _, x := range row {
				s += float64(x) * float64(x)
			}
			for j := range row {
				row[j] = float32(float64(row[j]) / math.Sqrt(s))
			}
		}
		return out
	}
	cases := []struct {
		metric usearch.Metric
		quant  usearch.Quantization
		floor  float64
	}{
		{usearch.Cosine, usearch.F32, 0.95},
		{usearch.L2sq, usearch.F32, 0.95},
		{usearch.InnerProduct, usearch.F32, 0.95},
		{usearch.Cosine, usearch.F16, 0.90},
		{usearch.Cosine, usearch.BF16, 0.90},
		{usearch.Cosine, usearch.I8, 0.90},
		{usearch.L2sq, usearch.F16, 0.90},
		{usearch.Cosine, usearch.F64, 0.95},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/%v", c.metric, c.quant), func(t *testing.T) {
			d, q := data, qs
			if c.metric == usearch.InnerProduct {
				d, q = unit(data), unit(qs)
			}
			truth, err := dataset.GroundTruth(d, q, dims, k, c.metric)
			if err != nil {
				t.Fatal(err)
			}
			idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: dims, Metric: c.metric, Quantization: c.quant})
			if err != nil {
				t.Fatal(err)
			}
			defer idx.Close()
			for i := 0; i < n; i++ {
				if err := idx.Add(usearch.Key(i), d[i*dims:(i+1)*dims]); err != nil {
					t.Fatal(err)
				}
			}
			got := make([][]usearch.Key, queries)
			for i := range got {
				if got[i], _, err = idx.Search(q[i*dims:(i+1)*dims], k); err != nil {
					t.Fatal(err)
				}
			}
			recall := dataset.Recall(got, truth, k)
			t.Logf("recall@%d = %.4f", k, recall)
			if recall < c.floor {
				t.Fatalf("recall@%d = %.4f, want at least %.2f", k, recall, c.floor)
			}
		})
	}
}
