//go:build cgo

package gobench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

// BenchmarkSoak runs mixed concurrent traffic on one index for USEARCH_SOAK (a Go duration,
// default 10s; `./build.sh soak` and CI use 60s): a writer adds new keys and removes the
// oldest so that the live count stays at soakLive, while searchers, a filtered searcher, a
// saver and a compactor run alongside. It reports each operation's throughput and samples
// resident memory (RSS) and the index's own MemoryUsage over time. Once removals are
// compacted, memory must stay flat: the median of the last half of the samples may exceed
// the first half's by at most 10% + 16 MiB (tolerance for the Go heap and allocator noise).
//
//	USEARCH_SOAK=10m go test -run '^$' -bench '^BenchmarkSoak$' -benchtime 1x -timeout 0 ./bench/gobench
func BenchmarkSoak(b *testing.B) {
	duration := 10 * time.Second
	if d, err := time.ParseDuration(os.Getenv("USEARCH_SOAK")); err == nil && d > 0 {
		duration = d
	}
	const soakLive, dims, clusters = 10_000, 64, 50
	for range b.N {
		runSoak(b, duration, soakLive, dims, clusters)
	}
}

type soakCounter struct {
	name string
	n    atomic.Int64
	ns   atomic.Int64 // summed latency
}

func (c *soakCounter) time(f func() error) error {
	start := time.Now()
	err := f()
	c.ns.Add(int64(time.Since(start)))
	c.n.Add(1)
	return err
}

type soakSample struct {
	at          time.Duration
	rss, memory uint64
	goSys       uint64 // memory the Go runtime holds from the OS (the rest of RSS is C++ and libc)
	live        uint
}

// rssBytes reads the resident set size of this process from /proc (0 where absent).
func rssBytes() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := bytes.Fields(data)
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(string(fields[1]), 10, 64)
	return pages * uint64(os.Getpagesize())
}

func runSoak(b *testing.B, duration time.Duration, live, dims, clusters int) {
	idx, err := usearch.NewIndex(usearch.IndexConfig{Quantization: usearch.F32, Metric: usearch.L2sq, Dimensions: uint(dims)})
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	// Vectors from a clustered distribution; queries from the same one.
	pool := dataset.Clustered(4*live, dims, clusters, 11)
	vector := func(key uint64) []float32 {
		row := int(key % uint64(4*live))
		return pool[row*dims : (row+1)*dims]
	}
	keys := make([]usearch.Key, live)
	for i := range keys {
		keys[i] = usearch.Key(i)
	}
	ctx := context.Background()
	if err := idx.AddBatch(ctx, keys, pool[:live*dims], nil); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "soak.usearch")

	ops := map[string]*soakCounter{}
	for _, name := range []string{"add", "remove", "search", "filtered", "save", "compact"} {
		ops[name] = &soakCounter{name: name}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	// USEARCH_SOAK_SKIP=save,compact,... leaves those loops out (to find which one a memory
	// trend comes from).
	skip := strings.Split(os.Getenv("USEARCH_SOAK_SKIP"), ",")
	loop := func(name string, pause time.Duration, f func(i uint64) error) {
		if slices.Contains(skip, name) {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := uint64(0); !stop.Load(); i++ {
				if err := ops[name].time(func() error { return f(i) }); err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
					return
				}
				if pause > 0 {
					time.Sleep(pause)
				}
			}
		}()
	}
	// The writer adds a new key, then removes the oldest: the live count stays put while
	// removed nodes pile up until the compactor drops them.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for next := uint64(live); !stop.Load(); next++ {
			err := ops["add"].time(func() error { return idx.Add(usearch.Key(next), vector(next)) })
			if err == nil {
				err = ops["remove"].time(func() error { return idx.Remove(usearch.Key(next - uint64(live))) })
			}
			if err != nil {
				errs <- fmt.Errorf("writer: %w", err)
				return
			}
		}
	}()
	for g := range 2 {
		loop("search", 0, func(i uint64) error {
			_, _, err := idx.Search(vector(i*7+uint64(g)), 10)
			return err
		})
	}
	loop("filtered", 0, func(i uint64) error {
		_, _, err := idx.FilteredSearch(vector(i*13), 10, func(k usearch.Key) bool { return k%3 == 0 })
		return err
	})
	loop("save", 2*time.Second, func(uint64) error { return idx.Save(path) })
	loop("compact", time.Second, func(uint64) error { return idx.Compact(ctx) })

	// Sampling: RSS, the index's memory and live count, about 40 times over the run.
	every := max(duration/40, 250*time.Millisecond)
	var samples []soakSample
	start := time.Now()
	sample := func() {
		mem, _ := idx.MemoryUsage()
		n, _ := idx.Len()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		samples = append(samples, soakSample{time.Since(start), rssBytes(), uint64(mem), ms.Sys - ms.HeapReleased, n})
	}
	sample()
	var failed error
	for time.Since(start) < duration && failed == nil {
		select {
		case failed = <-errs:
		case <-time.After(every):
			sample()
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	if failed == nil {
		failed = <-errs
	}
	elapsed := time.Since(start)
	if failed != nil && !errors.Is(failed, usearch.ErrClosed) {
		b.Fatalf("soak: %v", failed)
	}

	// Throughput per operation, and the memory timeline.
	for _, name := range []string{"add", "remove", "search", "filtered", "save", "compact"} {
		c := ops[name]
		n := c.n.Load()
		b.ReportMetric(float64(n)/elapsed.Seconds(), name+"/s")
		if n > 0 {
			b.Logf("%-8s %9d ops  %10.1f ops/s  mean %v", name, n, float64(n)/elapsed.Seconds(), time.Duration(c.ns.Load()/n))
		}
	}
	b.Logf("%8s %10s %12s %10s %8s", "time", "RSS MiB", "index MiB", "Go MiB", "live")
	for _, s := range samples {
		b.Logf("%8s %10.1f %12.1f %10.1f %8d", s.at.Round(time.Second), float64(s.rss)/(1<<20), float64(s.memory)/(1<<20),
			float64(s.goSys)/(1<<20), s.live)
	}
	checkFlat(b, "RSS", samples, func(s soakSample) uint64 { return s.rss })
	checkFlat(b, "index MemoryUsage", samples, func(s soakSample) uint64 { return s.memory })
	b.ReportMetric(float64(samples[len(samples)-1].rss)/(1<<20), "RSS-MiB")
}

// checkFlat fails when the median of the last half of the samples (the first quarter, the
// warm-up, left out) exceeds the first half's by more than 10% + 16 MiB.
func checkFlat(b *testing.B, what string, samples []soakSample, value func(soakSample) uint64) {
	steady := samples[len(samples)/4:]
	if len(steady) < 4 {
		b.Logf("%s: too few samples (%d) to judge the trend", what, len(steady))
		return
	}
	median := func(s []soakSample) uint64 {
		v := make([]uint64, len(s))
		for i := range s {
			v[i] = value(s[i])
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	first, last := median(steady[:len(steady)/2]), median(steady[len(steady)/2:])
	b.Logf("%s: median %.1f MiB in the first half of the steady state, %.1f MiB in the second",
		what, float64(first)/(1<<20), float64(last)/(1<<20))
	if float64(last) > 1.10*float64(first)+16*(1<<20) {
		b.Fatalf("%s grows: median %.1f MiB, then %.1f MiB (more than 10%% + 16 MiB)", what,
			float64(first)/(1<<20), float64(last)/(1<<20))
	}
}
