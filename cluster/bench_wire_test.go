package cluster

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkClusterVsLocal compares, in one run, a 2-shard × 1-replica collection on
// loopback (embedded NATS, replicas in this process) with the library's Indexes over the
// very same two shard indexes, on the binary wire and on JSON:
//
//   - batch QPS: one caller after another sends SearchBatch of 256 queries (the replicas and
//     Indexes.SearchBatch both use every core); goal: cluster ≥ 0.5× local;
//   - single-query QPS at saturation (32 concurrent callers of Search), then p50/p99 latency
//     of an open-loop load at half that rate (latency counted from the scheduled start, so a
//     stall is not hidden); goal: p99 ≤ 5 ms. The load comes from openLoop (openloop_test.go),
//     which also reports how late its own sends were (gen_late), the wait for a worker and
//     the call's own time (service), so harness delay is told apart from the system's.
//
// Sizes: USEARCH_BENCH_N vectors (default 100000) of USEARCH_BENCH_DIMS (96), phases of
// USEARCH_BENCH_SECONDS (5); the open loop's workers, GOMAXPROCS and spin by
// USEARCH_BENCH_WORKERS / _PROCS / _SPIN_US / _PACING (see openLoopConfigFromEnv). It prints a table
// and reports the numbers as metrics. Run once, on a quiet machine:
//
//	cd cluster && GOWORK=off go test -run '^$' -bench BenchmarkClusterVsLocal -benchtime 1x -timeout 30m -v .
func BenchmarkClusterVsLocal(b *testing.B) {
	n, dims := envInt("USEARCH_BENCH_N", 100000), envInt("USEARCH_BENCH_DIMS", 96)
	phase := time.Duration(envInt("USEARCH_BENCH_SECONDS", 5)) * time.Second
	const k, batch = 10, 256
	_, url := startServer(b)
	nc := connect(b, url)
	ctx := ctxFor(b, 30*time.Minute)
	conf := usearch.DefaultConfig(uint(dims))
	if err := Create(ctx, jsOf(b, nc), "", Spec{Name: "bench", Shards: 2, Index: conf}); err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	reps := []*Replica{
		startReplica(b, connect(b, url), ReplicaConfig{Collection: "bench", Shard: 0, SnapshotEvery: -1, SnapshotInterval: -1, Logger: quiet}),
		startReplica(b, connect(b, url), ReplicaConfig{Collection: "bench", Shard: 1, SnapshotEvery: -1, SnapshotInterval: -1, Logger: quiet}),
	}
	cb, err := NewClient(ctx, nc, ClientOptions{Collection: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	cj, err := NewClient(ctx, connect(b, url), ClientOptions{Collection: "bench", JSONWire: true})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 22))
	data := clustered(rng, n+4096, dims)
	queries := data[n*dims:] // from the same distribution, not in the index
	keys := make([]usearch.Key, n)
	for i := range keys {
		keys[i] = usearch.Key(i)
	}
	start := time.Now()
	acks, err := cb.AddBatch(ctx, keys, data[:n*dims], nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := cb.WaitApplied(ctx, acks); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d × %d vectors loaded and applied in %v", n, dims, time.Since(start).Round(time.Millisecond))
	local, err := usearch.NewIndexes(reps[0].Index(), reps[1].Index())
	if err != nil {
		b.Fatal(err)
	}
	row := func(i int) []float32 { i %= 4096; return queries[i*dims : (i+1)*dims] }
	rows := func(i int) []float32 { i = (i * batch) % (4096 - batch); return queries[i*dims : (i+batch)*dims] }

	type system struct {
		name   string
		batch  func(i int) error
		single func(i int) error
	}
	systems := []system{
		{"local Indexes",
			func(i int) error { _, err := local.SearchBatch(ctx, rows(i), k, nil); return err },
			func(i int) error { _, _, err := local.Search(row(i), k); return err }},
		{"cluster binary",
			func(i int) error { _, err := cb.SearchBatch(ctx, rows(i), k, nil); return err },
			func(i int) error { _, _, err := cb.Search(ctx, row(i), k, nil); return err }},
		{"cluster JSON",
			func(i int) error { _, err := cj.SearchBatch(ctx, rows(i), k, nil); return err },
			func(i int) error { _, _, err := cj.Search(ctx, row(i), k, nil); return err }},
	}
	batchQPS := make([]float64, len(systems))
	b.ResetTimer()
	for si, s := range systems {
		// Batch QPS: batches back to back for one phase.
		t0 := time.Now()
		done := 0
		for i := 0; time.Since(t0) < phase; i++ {
			if err := s.batch(i); err != nil {
				b.Fatalf("%s batch: %v", s.name, err)
			}
			done += batch
		}
		batchQPS[si] = float64(done) / time.Since(t0).Seconds()

		// Saturating single-query QPS: 32 callers in a closed loop.
		var count atomic.Int64
		var firstErr atomic.Value
		var wg sync.WaitGroup
		t0 = time.Now()
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; time.Since(t0) < phase; i += 32 {
					if err := s.single(i); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					count.Add(1)
				}
			}(w)
		}
		wg.Wait()
		if err := firstErr.Load(); err != nil {
			b.Fatalf("%s single: %v", s.name, err)
		}
		sat := float64(count.Load()) / time.Since(t0).Seconds()

		// Open loop at half of it, on the harness of openloop_test.go (the same for every
		// system): request j is due at t0 + j/rate and its latency counts from then.
		rate := sat / 2
		cfg, err := openLoopConfigFromEnv(rate, int(rate*phase.Seconds()))
		if err != nil {
			b.Fatal(err)
		}
		ol, err := openLoop(cfg, s.single)
		if err != nil {
			b.Fatalf("%s open loop: %v", s.name, err)
		}
		p50, p99 := pct(ol.Latency, 50), pct(ol.Latency, 99)
		b.Logf("%-15s batch %8.0f q/s (%.2f× local) | single saturating %7.0f q/s, at %6.0f q/s: p50 %8v p99 %8v",
			s.name, batchQPS[si], batchQPS[si]/batchQPS[0], sat, rate, p50, p99)
		pacing := fmt.Sprintf("locked thread, spin %v", cfg.Spin)
		if cfg.GoTimer {
			pacing = "time.Sleep"
		}
		b.Logf("%-15s open loop, %d workers, %s: %s", "", cfg.Workers, pacing, ol.summary())
		tag := []string{"local", "binary", "json"}[si]
		b.ReportMetric(batchQPS[si], tag+"_batch_q/s")
		b.ReportMetric(sat, tag+"_single_sat_q/s")
		b.ReportMetric(float64(p50.Microseconds()), tag+"_p50_us")
		b.ReportMetric(float64(p99.Microseconds()), tag+"_p99_us")
		b.ReportMetric(float64(pct(ol.Service, 99).Microseconds()), tag+"_service_p99_us")
		b.ReportMetric(float64(pct(ol.Wait, 99).Microseconds()), tag+"_wait_p99_us")
		b.ReportMetric(float64(pct(ol.Late, 99).Microseconds()), tag+"_gen_late_p99_us")
		if si > 0 {
			b.ReportMetric(batchQPS[si]/batchQPS[0], tag+"_batch_ratio")
		}
	}
}
