//go:build cgo

package usearch

import (
	"math"
	"math/rand"
	"sync/atomic"
	"testing"
)

// BenchmarkReachBuildDistances builds an index of tightly clustered vectors on one goroutine
// with a Go cosine metric that counts its calls, and reports the distances computed per
// insertion (search, neighbor selection, pruning and the repairs that keep every vector
// findable, csrc/index.hpp). The count does not depend on the machine's load, so it compares
// two versions of the core where timings cannot; run with -benchtime=1x. The time per
// insertion it reports is that of a Go metric: measure build time with BenchmarkAdd.
func BenchmarkReachBuildDistances(b *testing.B) {
	const n = 20000
	for i := 0; i < b.N; i++ {
		r := rand.New(rand.NewSource(int64(i) + 1))
		data := newClusters(r, 0.05)
		idx, err := NewIndex(IndexConfig{Dimensions: reachDims, Metric: Cosine, Quantization: F32})
		if err != nil {
			b.Fatal(err)
		}
		var calls atomic.Int64
		err = idx.ChangeMetric(func(x, y []float32) float32 {
			calls.Add(1)
			var dot, nx, ny float64
			for j := range x {
				dot += float64(x[j]) * float64(y[j])
				nx += float64(x[j]) * float64(x[j])
				ny += float64(y[j]) * float64(y[j])
			}
			if nx == 0 || ny == 0 {
				return 1
			}
			return float32(1 - dot/math.Sqrt(nx*ny))
		})
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; k < n; k++ {
			if err := idx.Add(Key(k), data.draw(r)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(calls.Load())/n, "distances/insert")
		idx.Close()
	}
}
