//go:build cgo && unix

package gobench

// Benchmarks of durable indexes (issue 21; docs/durability.md). Run on a quiet machine:
//
//	go test -run '^$' -bench 'BenchmarkDurableAdd|BenchmarkDurableFsync' -benchtime 20000x -count 3 ./bench/gobench
//	USEARCH_DURABLE_BENCH_N=1000000 USEARCH_DURABLE_BENCH_LOG=100000 \
//	  go test -run '^$' -bench 'BenchmarkDurableReopen|BenchmarkDurableCheckpoint' -benchtime 3x -timeout 2h ./bench/gobench
//
// The add benchmarks report adds/s; compare each durable mode with "plain" (one writer) and
// "plain-8" (eight writers). The reopen and checkpoint benchmarks build their directory once
// per process, in USEARCH_DURABLE_BENCH_DIR when set (kept, and reused by later runs with the
// same sizes) or in a temporary directory.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/wal"
)

const benchDurDims = 96

var benchDurConf = usearch.IndexConfig{Dimensions: benchDurDims, Metric: usearch.Cosine}

// benchPool is a fixed set of random vectors the benchmarks cycle through.
var benchPool = sync.OnceValue(func() []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, 1<<16*benchDurDims)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
})

func poolVector(i int) []float32 {
	p := benchPool()
	j := i % (len(p) / benchDurDims)
	return p[j*benchDurDims : (j+1)*benchDurDims]
}

// addAll adds b.N vectors from writers goroutines and reports the rate, the process's CPU
// time per add (user + system, every thread: where a durable mode's extra wall time goes,
// CPU or waiting on the disk) and log syncs per add (how many writes share a sync).
func addAll(b *testing.B, idx *usearch.Index, writers int) {
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	s0 := wal.Syncs()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += writers {
				if err := idx.Add(usearch.Key(i), poolVector(i)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "adds/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/add")
	b.ReportMetric(float64(wal.Syncs()-s0)/float64(b.N), "syncs/add")
}

func BenchmarkDurableAdd(b *testing.B) {
	benchPool()
	cases := []struct {
		name    string
		durable bool
		opts    usearch.DurableOptions
		writers int
	}{
		{"plain", false, usearch.DurableOptions{}, 1},
		{"plain-8", false, usearch.DurableOptions{}, 8},
		{"SyncNever", true, usearch.DurableOptions{Sync: usearch.SyncNever}, 1},
		{"SyncInterval", true, usearch.DurableOptions{Sync: usearch.SyncInterval, SyncInterval: 100 * time.Millisecond}, 1},
		{"SyncAlways", true, usearch.DurableOptions{Sync: usearch.SyncAlways}, 1},
		{"SyncAlways-8", true, usearch.DurableOptions{Sync: usearch.SyncAlways}, 8},
		{"SyncNever-8", true, usearch.DurableOptions{Sync: usearch.SyncNever}, 8},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var idx *usearch.Index
			var err error
			if c.durable {
				c.opts.CheckpointBytes = 1 << 40 // rates of appending, not of checkpoints
				idx, err = usearch.OpenDurable(b.TempDir(), benchDurConf, c.opts)
			} else {
				idx, err = usearch.NewIndex(benchDurConf)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer idx.Close()
			addAll(b, idx, c.writers)
		})
	}
}

// BenchmarkDurableFsync is the cost of one log record written and synced by one writer:
// the floor of a SyncAlways add.
func BenchmarkDurableFsync(b *testing.B) {
	w, err := wal.Create(b.TempDir(), 1, 1, true, wal.Config{Dimensions: benchDurDims})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	rec := make([]byte, 9+4*benchDurDims)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seq, err := w.Append(wal.RecAdd, rec)
		if err == nil {
			err = w.WaitSynced(seq)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var benchDurDirOnce sync.Once
var benchDurDirPath string

// benchDurDir returns a closed durable directory holding N vectors in its checkpoint and a
// log of LOG more adds after it (USEARCH_DURABLE_BENCH_N, USEARCH_DURABLE_BENCH_LOG).
func benchDurDir(b *testing.B) string {
	n := benchEnv("USEARCH_DURABLE_BENCH_N", 100_000)
	logged := benchEnv("USEARCH_DURABLE_BENCH_LOG", 10_000)
	benchDurDirOnce.Do(func() {
		root := os.Getenv("USEARCH_DURABLE_BENCH_DIR")
		if root == "" {
			var err error
			if root, err = os.MkdirTemp("", "usearch-durable-bench"); err != nil {
				b.Fatal(err)
			}
		}
		dir := filepath.Join(root, fmt.Sprintf("n%d-log%d", n, logged))
		benchDurDirPath = dir
		if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
			return
		}
		os.RemoveAll(dir)
		opts := usearch.DurableOptions{Sync: usearch.SyncNever, CheckpointBytes: 1 << 40}
		idx, err := usearch.OpenDurable(dir, benchDurConf, opts)
		if err != nil {
			b.Fatal(err)
		}
		const chunk = 1 << 14
		keys := make([]usearch.Key, 0, chunk)
		vecs := make([]float32, 0, chunk*benchDurDims)
		for i := 0; i < n; i += chunk {
			keys, vecs = keys[:0], vecs[:0]
			for j := i; j < min(n, i+chunk); j++ {
				keys = append(keys, usearch.Key(j))
				vecs = append(vecs, poolVector(j)...)
			}
			if err := idx.AddBatch(context.Background(), keys, vecs, nil); err != nil {
				b.Fatal(err)
			}
		}
		if err := idx.Checkpoint(); err != nil {
			b.Fatal(err)
		}
		for i := n; i < n+logged; i++ {
			if err := idx.Add(usearch.Key(i), poolVector(i)); err != nil {
				b.Fatal(err)
			}
		}
		if err := idx.Close(); err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "ready"), nil, 0o666)
	})
	return benchDurDirPath
}

// BenchmarkDurableReopen opens the directory (load the checkpoint, replay the log) and
// closes it again; the log is left as it is, so every iteration replays the same writes.
func BenchmarkDurableReopen(b *testing.B) {
	dir := benchDurDir(b)
	opts := usearch.DurableOptions{Sync: usearch.SyncNever, CheckpointBytes: 1 << 40}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		idx, err := usearch.OpenDurable(dir, benchDurConf, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		idx.Close()
		b.StartTimer()
	}
}

// BenchmarkDurableCheckpoint is one Checkpoint of the whole index (on a copy of the
// directory, whose log it folds into the checkpoint).
func BenchmarkDurableCheckpoint(b *testing.B) {
	src := benchDurDir(b)
	dir := filepath.Join(b.TempDir(), "copy")
	os.MkdirAll(dir, 0o777)
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o666)
	}
	idx, err := usearch.OpenDurable(dir, benchDurConf, usearch.DurableOptions{Sync: usearch.SyncNever, CheckpointBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := idx.Checkpoint(); err != nil {
			b.Fatal(err)
		}
	}
}
