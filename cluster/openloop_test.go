package cluster

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The open-loop load generator of BenchmarkClusterVsLocal, one harness for every system it
// compares (the local Indexes and the cluster on either wire).
//
// Request j is due at t0 + j/rate whatever happened to earlier requests, and its latency
// is counted from that due time (so a stall of the system delays every request queued
// behind it and shows, rather than pausing the load: no coordinated omission). Because of
// that accounting, a generator that sends late adds its own delay to every latency; on a
// machine whose few Ps are mostly inside cgo calls it can be late often:
//
//   - time.Sleep of less than a millisecond is not kept: the runtime waits for its next
//     timer in epoll_wait, whose timeout is whole milliseconds, when no P is running;
//   - a woken goroutine needs a P, and a P inside a cgo call is only taken back by sysmon
//     (every 20 µs to 10 ms), so the generator waits for a search to end, then bursts.
//
// So the generator here (1) runs on its own locked OS thread (pinPacer), (2) sleeps that
// thread in the kernel, not on a Go timer, until spin before the due time (sleepThread),
// then spins on the clock to the due time, (3) runs with one P more than the benchmark's
// GOMAXPROCS, so a P is free for it while the workers' Ps are in cgo, and (4) only hands
// request indexes to a fixed pool of workers through a channel that holds every request, so
// it never blocks on the system under test. And it records how late each send was against
// its schedule, reported next to the latencies: a reader can tell harness delay (late) from
// queueing in the system (wait) from the call itself (service).

// openLoopConfig says how to drive one open-loop phase.
type openLoopConfig struct {
	Rate    float64       // requests per second
	Total   int           // requests in the phase
	Workers int           // calls in flight at most; requests beyond wait in a queue
	Procs   int           // GOMAXPROCS during the phase (restored after); 0 keeps it
	Spin    time.Duration // the generator spins, not sleeps, this long before each due time
	// GoTimer paces as the benchmark's first harness did, to compare against: an unpinned
	// goroutine in time.Sleep to each due time, no spin.
	GoTimer bool
}

// openLoopConfigFromEnv reads the harness settings a user may override:
// USEARCH_BENCH_WORKERS (default 32, as many as the saturating closed loop's callers),
// USEARCH_BENCH_PROCS (default GOMAXPROCS+1), USEARCH_BENCH_SPIN_US (default 50; 0 sleeps
// to the due time and never spins), USEARCH_BENCH_PACING (thread, the default, or timer for
// GoTimer).
func openLoopConfigFromEnv(rate float64, total int) (openLoopConfig, error) {
	cfg := openLoopConfig{Rate: rate, Total: total, Workers: 32, Procs: runtime.GOMAXPROCS(0) + 1, Spin: 50 * time.Microsecond}
	switch p := os.Getenv("USEARCH_BENCH_PACING"); p {
	case "", "thread":
	case "timer":
		cfg.GoTimer = true
	default:
		return cfg, fmt.Errorf("USEARCH_BENCH_PACING=%q: want thread or timer", p)
	}
	for _, e := range []struct {
		name string
		min  int
		set  func(int)
	}{
		{"USEARCH_BENCH_WORKERS", 1, func(v int) { cfg.Workers = v }},
		{"USEARCH_BENCH_PROCS", 1, func(v int) { cfg.Procs = v }},
		{"USEARCH_BENCH_SPIN_US", 0, func(v int) { cfg.Spin = time.Duration(v) * time.Microsecond }},
	} {
		s := os.Getenv(e.name)
		if s == "" {
			continue
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < e.min {
			return cfg, fmt.Errorf("%s=%q: want an integer ≥ %d", e.name, s, e.min)
		}
		e.set(v)
	}
	return cfg, nil
}

// openLoopResult holds, per request j, durations measured from its due time.
type openLoopResult struct {
	Procs   int             // GOMAXPROCS the phase ran with
	Late    []time.Duration // the generator's send − due: harness delay
	Wait    []time.Duration // a worker's start − due: Late plus queueing for a worker
	Service []time.Duration // the call's end − start
	Latency []time.Duration // end − due = Wait + Service: what the benchmark reports
}

// dueAt is request j's scheduled offset from the phase's start.
func dueAt(j int, rate float64) time.Duration {
	return time.Duration(float64(j) / rate * float64(time.Second))
}

// openLoop sends cfg.Total requests on schedule to call (each request once, index j as
// its argument) and returns their timings and the first error any call returned.
func openLoop(cfg openLoopConfig, call func(j int) error) (openLoopResult, error) {
	if cfg.Rate <= 0 || cfg.Total <= 0 || cfg.Workers <= 0 || cfg.Procs < 0 || cfg.Spin < 0 {
		return openLoopResult{}, fmt.Errorf("open loop: rate %v, total %d, workers %d, procs %d, spin %v: want rate, total, workers > 0 and procs, spin ≥ 0",
			cfg.Rate, cfg.Total, cfg.Workers, cfg.Procs, cfg.Spin)
	}
	if cfg.Procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.Procs))
	}
	r := openLoopResult{
		Procs: runtime.GOMAXPROCS(0),
		Late:  make([]time.Duration, cfg.Total), Wait: make([]time.Duration, cfg.Total),
		Service: make([]time.Duration, cfg.Total), Latency: make([]time.Duration, cfg.Total),
	}
	// Room for every request: the generator never waits for a worker.
	jobs := make(chan int, cfg.Total)
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				due := dueAt(j, cfg.Rate)
				start := time.Since(t0)
				err := call(j)
				end := time.Since(t0)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
				}
				r.Wait[j], r.Service[j], r.Latency[j] = start-due, end-start, end-due
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		// The goroutine ends locked, so its thread (with the timer slack pinPacer set)
		// exits with it instead of going back to the runtime's pool.
		if !cfg.GoTimer {
			pinPacer()
		}
		defer close(jobs)
		for j := 0; j < cfg.Total; j++ {
			due := dueAt(j, cfg.Rate)
			for {
				rem := due - time.Since(t0)
				if rem <= 0 {
					break
				}
				switch {
				case cfg.GoTimer:
					time.Sleep(rem)
				case rem > cfg.Spin:
					sleepThread(rem - cfg.Spin)
				}
			}
			r.Late[j] = time.Since(t0) - due
			jobs <- j
		}
	}()
	wg.Wait()
	return r, firstErr
}

// summary is one line: latency, and what it is made of, as p50/p99 (max for Late).
func (r openLoopResult) summary() string {
	return fmt.Sprintf("latency p50 %v p99 %v | service p50 %v p99 %v | wait p50 %v p99 %v | generator late p50 %v p99 %v max %v (GOMAXPROCS %d)",
		pct(r.Latency, 50), pct(r.Latency, 99), pct(r.Service, 50), pct(r.Service, 99),
		pct(r.Wait, 50), pct(r.Wait, 99), pct(r.Late, 50), pct(r.Late, 99), pct(r.Late, 100), r.Procs)
}

// TestOpenLoopHarness checks the generator's accounting, not its timing: every request is
// called once, no more than Workers at a time, never before it is due, latency is counted
// from the due time (a stall shows in every request queued behind it), GOMAXPROCS comes
// back, and an error reaches the caller.
func TestOpenLoopHarness(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	const total, workers = 300, 4
	cfg := openLoopConfig{Rate: 3000, Total: total, Workers: workers, Procs: procs + 1, Spin: 50 * time.Microsecond}
	calls := make([]atomic.Int32, total)
	var inFlight, peak atomic.Int32
	// The first calls stall until the test lets them go: the requests due meanwhile queue.
	release := make(chan struct{})
	var releasedAt time.Time
	var t0 time.Time
	var once sync.Once
	res, err := openLoop(cfg, func(j int) error {
		once.Do(func() {
			t0 = time.Now()
			go func() {
				time.Sleep(40 * time.Millisecond)
				releasedAt = time.Now()
				close(release)
			}()
		})
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		calls[j].Add(1)
		<-release
		inFlight.Add(-1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS after the phase = %d, want %d back", got, procs)
	}
	if res.Procs != procs+1 {
		t.Errorf("phase ran with GOMAXPROCS %d, want %d", res.Procs, procs+1)
	}
	if p := peak.Load(); p > workers {
		t.Errorf("%d calls in flight at once, want at most %d workers", p, workers)
	}
	// The stall: every call ends at or after the release, so a request due at d (from the
	// first call, which starts no earlier than the phase) has latency ≥ release − t0 − d.
	stall := releasedAt.Sub(t0)
	for j := 0; j < total; j++ {
		if c := calls[j].Load(); c != 1 {
			t.Fatalf("request %d called %d times, want once", j, c)
		}
		if res.Late[j] < 0 || res.Wait[j] < res.Late[j] || res.Service[j] < 0 {
			t.Fatalf("request %d: late %v, wait %v, service %v: want 0 ≤ late ≤ wait and service ≥ 0", j, res.Late[j], res.Wait[j], res.Service[j])
		}
		if res.Latency[j] != res.Wait[j]+res.Service[j] {
			t.Fatalf("request %d: latency %v ≠ wait %v + service %v", j, res.Latency[j], res.Wait[j], res.Service[j])
		}
		if floor := stall - dueAt(j, cfg.Rate); res.Latency[j] < floor {
			t.Fatalf("request %d due at %v: latency %v, but every call waited for the release %v after the start: latency must count from the due time",
				j, dueAt(j, cfg.Rate), res.Latency[j], stall)
		}
	}
	t.Log(res.summary())

	boom := errors.New("boom")
	_, err = openLoop(openLoopConfig{Rate: 5000, Total: 50, Workers: 2}, func(j int) error {
		if j == 17 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("error from a call: got %v, want %v", err, boom)
	}
	if _, err := openLoop(openLoopConfig{Rate: 0, Total: 1, Workers: 1}, func(int) error { return nil }); err == nil {
		t.Error("rate 0: no error")
	}
}
