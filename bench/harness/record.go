package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// point is one line of a results file (JSON lines, the same fields from every driver:
// ours here, bench/hnswlib/driver.cpp, bench/upstream_bench.js --sweep, bench/faiss_exact.py).
type point struct {
	Set     string  `json:"set"`
	Engine  string  `json:"engine"`  // ours, hnswlib, npm, faiss
	Variant string  `json:"variant"` // f32, f16, u8
	Threads int     `json:"threads"`
	Repeat  int     `json:"repeat"`
	Phase   string  `json:"phase"` // build, search, exact
	EF      int     `json:"ef,omitempty"`
	Queries int     `json:"queries,omitempty"` // queries answered in the timed passes
	Seconds float64 `json:"seconds"`           // wall seconds of the phase (build or timed passes)
	CPU     float64 `json:"cpu"`               // process CPU seconds / wall seconds in the phase
	QPS     float64 `json:"qps,omitempty"`
	Recall  float64 `json:"recall"`                 // recall@k by key identity, the driver's own
	Dist    float64 `json:"dist_per_query"`         // distance evaluations per query, -1 if unknown
	RSSMB   float64 `json:"rss_delta_mb,omitempty"` // resident set growth over the build
	IndexMB float64 `json:"index_mb,omitempty"`     // the engine's own memory figure, if any
	IDs     string  `json:"ids,omitempty"`          // .ibin with the first pass's results
	Note    string  `json:"note,omitempty"`
}

type recorder struct {
	f *os.File
	w *bufio.Writer
}

func openRecorder(path string) (*recorder, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &recorder{f: f, w: bufio.NewWriter(f)}, nil
}

func (r *recorder) add(p point) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	r.w.Write(append(b, '\n'))
	return r.w.Flush()
}

func (r *recorder) close() error { return r.f.Close() }

// cpuSeconds is the process's user+system CPU time so far (all threads).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// rssMB is the process's resident set size now, from /proc/self/status (0 elsewhere).
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// meter measures wall and CPU time of one phase.
type meter struct {
	t0   time.Time
	cpu0 float64
}

func startMeter() meter { return meter{time.Now(), cpuSeconds()} }

// stop returns wall seconds and CPU seconds per wall second since start.
func (m meter) stop() (wall, cpu float64) {
	wall = time.Since(m.t0).Seconds()
	return wall, (cpuSeconds() - m.cpu0) / wall
}
