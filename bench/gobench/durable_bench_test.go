//go:build cgo && unix

package gobench

// Benchmarks of durable indexes (issue 21; docs/durability.md). Run on a quiet machine:
//
//	go test -run '^$' -bench 'BenchmarkDurableAdd|BenchmarkDurableFsync' -benchtime 20000x -count 3 ./bench/gobench
//	go test -run '^$' -bench 'BenchmarkDurableReopen|BenchmarkDurableCheckpoint' -benchtime 3x -timeout 1h ./bench/gobench
//
// The add benchmarks report adds/s; compare each durable mode with "plain" (one writer) and
// "plain-8" (eight writers); syncs/add says how many writes share a sync, and
// SyncAlways-8-nowait is SyncAlways-8 without the sync leader's wait for writes in flight.
//
// The reopen and checkpoint benchmarks (BenchmarkDurableReopen, BenchmarkDurableCheckpoint,
// BenchmarkDurableCheckpointWriters) share a durable directory of 1M x 96 f32 cosine
// vectors (internal/dataset, clustered) in its checkpoint and a log of 100k more adds not
// checkpointed; -short makes it 200k + 20k, and USEARCH_DURABLE_BENCH_N and
// USEARCH_DURABLE_BENCH_LOG set either size. The directory is built once (about as long as
// a 1M build on every core: see bench/RESULTS.md, syn1m; the time is logged) and kept in
// $TMPDIR/usearch-durable-bench (or USEARCH_DURABLE_BENCH_DIR) for later runs with the same
// sizes; every benchmark works on a copy. They report s/reopen (and load-s, a plain Load of
// the checkpoint: the rest is the replay), s/checkpoint, and the add latencies of writers
// during checkpoints against outside them (max-ms-*, p99-ms-*).

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
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
		{"SyncAlways-8-nowait", true, usearch.DurableOptions{Sync: usearch.SyncAlways}, 8},
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
			// -nowait: the group commit without the leader's wait for writers in flight
			// (internal/wal, Writer), for comparison in the same run.
			wal.WaitInFlight = !strings.HasSuffix(c.name, "-nowait")
			defer func() { wal.WaitInFlight = true }()
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

// benchDurSizes are the sizes of the reopen and checkpoint benchmarks: the 1M
// vectors in the checkpoint and 100k adds in the log, 200k and 20k with -short, and
// USEARCH_DURABLE_BENCH_N and USEARCH_DURABLE_BENCH_LOG over either.
func benchDurSizes() (n, logged int) {
	n, logged = 1_000_000, 100_000
	if testing.Short() {
		n, logged = 200_000, 20_000
	}
	return benchEnv("USEARCH_DURABLE_BENCH_N", n), benchEnv("USEARCH_DURABLE_BENCH_LOG", logged)
}

// benchDurData is the clustered data of the durable directory (internal/dataset: 1 cluster
// per 1000 rows, as the other benchmarks): rows 0..n-1 go to the checkpoint, the next
// `logged` rows to the log.
func benchDurData(rows int) []float32 {
	return dataset.Clustered(rows, benchDurDims, max(1, rows/1000), 42)
}

var benchDurDirOnce sync.Once
var benchDurDirPath string

// benchDurDir returns a closed durable directory holding n vectors in its checkpoint and a
// log of `logged` more adds after it, not checkpointed (benchDurSizes). It is built once
// and kept, in $USEARCH_DURABLE_BENCH_DIR or else $TMPDIR/usearch-durable-bench, under a
// name holding the sizes: later runs with the same sizes reuse it (remove it to rebuild).
// Benchmarks work on copies of it (benchDurCopy), never on it. Both parts are added with
// AddBatch on every core; the build time is logged and kept in the directory's "ready" file.
func benchDurDir(b *testing.B) string {
	n, logged := benchDurSizes()
	benchDurDirOnce.Do(func() {
		root := os.Getenv("USEARCH_DURABLE_BENCH_DIR")
		if root == "" {
			root = filepath.Join(os.TempDir(), "usearch-durable-bench")
		}
		dir := filepath.Join(root, fmt.Sprintf("n%d-log%d", n, logged))
		if took, err := os.ReadFile(filepath.Join(dir, "ready")); err == nil {
			b.Logf("durable bench directory %s: reused (built earlier in %s)", dir, took)
			benchDurDirPath = dir
			return
		}
		os.RemoveAll(dir)
		start := time.Now()
		data := benchDurData(n + logged)
		// A log size past which no automatic checkpoint runs: the log must stay as written.
		opts := usearch.DurableOptions{Sync: usearch.SyncNever, CheckpointBytes: 1 << 40}
		idx, err := usearch.OpenDurable(dir, benchDurConf, opts)
		if err != nil {
			b.Fatal(err)
		}
		add := func(from, to int) {
			const chunk = 1 << 16
			keys := make([]usearch.Key, 0, chunk)
			for i := from; i < to; i += chunk {
				keys = keys[:0]
				for j := i; j < min(to, i+chunk); j++ {
					keys = append(keys, usearch.Key(j))
				}
				if err := idx.AddBatch(context.Background(), keys, data[i*benchDurDims:(i+len(keys))*benchDurDims], nil); err != nil {
					b.Fatal(err)
				}
			}
		}
		add(0, n)
		if err := idx.Checkpoint(); err != nil {
			b.Fatal(err)
		}
		add(n, n+logged)
		if err := idx.Close(); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start).Round(100 * time.Millisecond)
		os.WriteFile(filepath.Join(dir, "ready"), []byte(took.String()), 0o666)
		b.Logf("durable bench directory %s: %d vectors checkpointed + %d logged adds, built in %v", dir, n, logged, took)
		benchDurDirPath = dir
	})
	if benchDurDirPath == "" {
		b.Fatal("the durable bench directory could not be built")
	}
	return benchDurDirPath
}

// benchDurCopy copies the bench directory (benchDurDir) to a temporary directory of the
// benchmark, which the benchmark may change (a reopen starts a new log segment).
func benchDurCopy(b *testing.B) string {
	src := benchDurDir(b)
	dir := filepath.Join(b.TempDir(), "copy")
	os.MkdirAll(dir, 0o777)
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		if e.Name() == wal.LockName || e.Name() == "ready" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, e.Name()), data, 0o666)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// benchDurOpenCopy opens a copy of the bench directory, replaying its log, with no
// automatic checkpoint.
func benchDurOpenCopy(b *testing.B, opts usearch.DurableOptions) *usearch.Index {
	opts.CheckpointBytes = 1 << 40
	idx, err := usearch.OpenDurable(benchDurCopy(b), benchDurConf, opts)
	if err != nil {
		b.Fatal(err)
	}
	return idx
}

// BenchmarkDurableReopen opens a copy of the directory (load the checkpoint, replay the
// log) and closes it again; the log is left as it is, so every iteration replays the same
// writes.
// Reported: s/reopen, and load-s, a plain Load of the same checkpoint (the rest of a
// reopen is the replay of the log).
func BenchmarkDurableReopen(b *testing.B) {
	dir := benchDurCopy(b)
	_, logged := benchDurSizes()
	start := time.Now()
	plain, err := usearch.NewIndex(benchDurConf)
	if err == nil {
		err = plain.Load(filepath.Join(dir, "index.usearch"))
	}
	if err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	plain.Close()
	opts := usearch.DurableOptions{Sync: usearch.SyncNever, CheckpointBytes: 1 << 40}
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		idx, err := usearch.OpenDurable(dir, benchDurConf, opts)
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		idx.Close()
		b.StartTimer()
	}
	per := total.Seconds() / float64(b.N)
	b.ReportMetric(per, "s/reopen")
	b.ReportMetric(load.Seconds(), "load-s")
	if per > load.Seconds() {
		b.ReportMetric(float64(logged)/(per-load.Seconds()), "replayed-adds/s")
	}
}

// BenchmarkDurableCheckpoint is one Checkpoint of the whole index (on a copy of the
// directory, whose log the first iteration folds into the checkpoint); s/checkpoint.
func BenchmarkDurableCheckpoint(b *testing.B) {
	idx := benchDurOpenCopy(b, usearch.DurableOptions{Sync: usearch.SyncNever})
	defer idx.Close()
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := idx.Checkpoint(); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/checkpoint")
}

// BenchmarkDurableCheckpointWriters measures how long writers wait for a checkpoint: 4
// goroutines (USEARCH_DURABLE_BENCH_WRITERS) add new vectors to a copy of the directory
// without pause while b.N checkpoints run, one per second. An add whose call overlapped a
// checkpoint counts as "during", the others as "outside"; reported are the max and the p99
// latency of each (ms), the number of adds during, and s/checkpoint. The difference between
// the max during and outside is the writers' wait for the log switch and the in-memory copy
// of the index. One sub-benchmark per sync mode: SyncNever leaves the disk out of the add
// latency, SyncAlways is what a SyncAlways service sees. ns/op includes the pauses.
func BenchmarkDurableCheckpointWriters(b *testing.B) {
	for _, mode := range []usearch.SyncMode{usearch.SyncNever, usearch.SyncAlways} {
		b.Run(mode.String(), func(b *testing.B) {
			benchCheckpointWriters(b, mode)
		})
	}
}

func benchCheckpointWriters(b *testing.B, mode usearch.SyncMode) {
	idx := benchDurOpenCopy(b, usearch.DurableOptions{Sync: mode})
	defer idx.Close()
	n, logged := benchDurSizes()
	writers := benchEnv("USEARCH_DURABLE_BENCH_WRITERS", 4)
	fresh := dataset.Queries(1<<16, benchDurDims, max(1, (n+logged)/1000), 42) // near the data, not copies
	type sample struct{ start, end time.Time }
	samples := make([][]sample, writers)
	var stop atomic.Bool
	var next atomic.Int64
	next.Store(int64(n + logged))
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				k := next.Add(1)
				j := int(k) % (len(fresh) / benchDurDims)
				start := time.Now()
				if err := idx.Add(usearch.Key(k), fresh[j*benchDurDims:(j+1)*benchDurDims]); err != nil {
					b.Error(err)
					return
				}
				samples[w] = append(samples[w], sample{start, time.Now()})
			}
		}()
	}
	const pause = time.Second
	type span struct{ start, end time.Time }
	var spans []span
	var total time.Duration
	b.ResetTimer()
	time.Sleep(pause)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := idx.Checkpoint(); err != nil {
			b.Fatal(err)
		}
		end := time.Now()
		total += end.Sub(start)
		spans = append(spans, span{start, end})
		time.Sleep(pause)
	}
	stop.Store(true)
	wg.Wait()
	b.StopTimer()
	var during, outside []time.Duration
	for _, ws := range samples {
		for _, s := range ws {
			overlaps := false
			for _, c := range spans {
				overlaps = overlaps || s.start.Before(c.end) && s.end.After(c.start)
			}
			if overlaps {
				during = append(during, s.end.Sub(s.start))
			} else {
				outside = append(outside, s.end.Sub(s.start))
			}
		}
	}
	report := func(name string, d []time.Duration) {
		if len(d) == 0 {
			return
		}
		slices.Sort(d)
		ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
		b.ReportMetric(ms(d[len(d)-1]), "max-ms-"+name)
		b.ReportMetric(ms(d[(len(d)-1)*99/100]), "p99-ms-"+name)
	}
	report("during", during)
	report("outside", outside)
	b.ReportMetric(float64(len(during)), "adds-during")
	b.ReportMetric(total.Seconds()/float64(b.N), "s/checkpoint")
}
