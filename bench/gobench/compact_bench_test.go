//go:build unix

package gobench

// BenchmarkCompact measures Compact against its goals on 100k x 96 cosine vectors with half
// of them removed (every odd key), in one run:
//
//	go test -run '^$' -bench Compact -benchtime 1x ./bench/gobench
//
// Reported: the time of Compact and of building the surviving half from scratch (both with
// one thread or goroutine per CPU) and their ratio, in wall time and in CPU time (which a
// loaded machine disturbs less), MemoryUsage before and after and the
// drop, and recall@10 at default settings of the compacted index and of the fresh build,
// against brute force over the survivors.

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

func BenchmarkCompact(b *testing.B) {
	const rows, dims, queries, clusters, seed = 100_000, 96, 1000, 100, 7
	data := dataset.Clustered(rows, dims, clusters, seed)
	qs := dataset.Queries(queries, dims, clusters, seed)
	// The survivors are the even keys; ground truth row r of `kept` is key 2r.
	kept := make([]float32, 0, len(data)/2)
	for r := 0; r < rows; r += 2 {
		kept = append(kept, data[r*dims:(r+1)*dims]...)
	}
	truth, err := dataset.GroundTruth(kept, qs, dims, 10, usearch.Cosine)
	if err != nil {
		b.Fatal(err)
	}
	for _, row := range truth {
		for i := range row {
			row[i] *= 2
		}
	}
	workers := runtime.GOMAXPROCS(0)
	build := func(keys []usearch.Key, vectors []float32) (*usearch.Index, time.Duration, time.Duration) {
		idx, err := usearch.NewIndex(usearch.DefaultConfig(dims))
		if err != nil {
			b.Fatal(err)
		}
		start, cpu := time.Now(), cpuTime()
		if err := dataset.AddParallel(workers, len(keys), func(i int) error {
			return idx.Add(keys[i], vectors[i*dims:(i+1)*dims])
		}); err != nil {
			b.Fatal(err)
		}
		return idx, time.Since(start), cpuTime() - cpu
	}
	recall := func(idx *usearch.Index) float64 {
		got := make([][]usearch.Key, queries)
		for i := range got {
			if got[i], _, err = idx.Search(qs[i*dims:(i+1)*dims], 10); err != nil {
				b.Fatal(err)
			}
		}
		return dataset.Recall(got, truth, 10)
	}
	all := make([]usearch.Key, rows)
	for i := range all {
		all[i] = usearch.Key(i)
	}

	var compactTime, compactCPU time.Duration
	var memBefore, memAfter uint
	var compacted *usearch.Index
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		if compacted != nil {
			compacted.Close()
		}
		compacted, _, _ = build(all, data)
		for k := 1; k < rows; k += 2 {
			if err := compacted.Remove(usearch.Key(k)); err != nil {
				b.Fatal(err)
			}
		}
		memBefore, _ = compacted.MemoryUsage()
		b.StartTimer()
		start, cpu := time.Now(), cpuTime()
		if err := compacted.Compact(context.Background()); err != nil {
			b.Fatal(err)
		}
		compactTime += time.Since(start)
		compactCPU += cpuTime() - cpu
		b.StopTimer()
		memAfter, _ = compacted.MemoryUsage()
	}
	defer compacted.Close()
	survivors := all[:0:0]
	for k := 0; k < rows; k += 2 {
		survivors = append(survivors, usearch.Key(k))
	}
	fresh, rebuild, rebuildCPU := build(survivors, kept)
	defer fresh.Close()

	perCompact := compactTime.Seconds() / float64(b.N)
	b.ReportMetric(perCompact, "compact-s")
	b.ReportMetric(rebuild.Seconds(), "rebuild-s")
	b.ReportMetric(perCompact/rebuild.Seconds(), "compact/rebuild")
	b.ReportMetric(compactCPU.Seconds()/float64(b.N)/rebuildCPU.Seconds(), "compact/rebuild-cpu")
	b.ReportMetric(float64(memBefore)/(1<<20), "mem-before-MiB")
	b.ReportMetric(float64(memAfter)/(1<<20), "mem-after-MiB")
	b.ReportMetric(100*(1-float64(memAfter)/float64(memBefore)), "mem-drop-%")
	b.ReportMetric(recall(compacted), "recall-compacted")
	b.ReportMetric(recall(fresh), "recall-rebuilt")
}
