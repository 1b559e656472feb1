//go:build linux

// Command cgoprobe measures what a loop of single-query Search calls costs the process beyond
// the searching threads themselves: per-thread CPU time from /proc/self/task/*/stat while T
// goroutines call Index.Search in a loop, so the Go runtime's threads (sysmon, spinning Ms
// picking up a processor handed off during a long cgo call) show up on their own lines.
//
//	go run ./bench/internal/cgoprobe [-n 100000] [-threads 1] [-seconds 3] [-ef 64]
//
// Linux only (it reads /proc).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

func main() {
	n := flag.Int("n", 100000, "indexed vectors")
	dims := flag.Int("d", 96, "dimensions")
	threads := flag.Int("threads", 1, "searching goroutines")
	seconds := flag.Float64("seconds", 3, "length of the search loop")
	ef := flag.Uint("ef", 64, "expansion while searching")
	lock := flag.Bool("lock", true, "lock each searching goroutine to its thread")
	file := flag.String("index", "", "load the index from this file if it exists, else build it and save it there")
	flag.Parse()

	data := dataset.Clustered(*n, *dims, 100, 42)
	queries := dataset.Queries(1000, *dims, 100, 42)
	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: uint(*dims), Metric: usearch.Cosine, Quantization: usearch.F32, ExpansionSearch: *ef})
	check(err)
	defer idx.Close()
	var wg sync.WaitGroup
	if *file != "" {
		if _, err := os.Stat(*file); err == nil {
			check(idx.Load(*file))
			goto search
		}
	}
	check(idx.Reserve(uint(*n)))
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < *n; i += runtime.GOMAXPROCS(0) {
				check(idx.Add(usearch.Key(i), data[i*(*dims):(i+1)*(*dims)]))
			}
		}(w)
	}
	wg.Wait()
	if *file != "" {
		check(idx.Save(*file))
	}

search:
	check(idx.ChangeExpansionSearch(*ef))
	var calls atomic.Int64
	var stop atomic.Bool
	tids := make(chan int, *threads)
	before := threadTimes()
	start := time.Now()
	for t := 0; t < *threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			if *lock {
				runtime.LockOSThread()
			}
			tids <- gettid()
			q := len(queries) / *dims
			for i := t; !stop.Load(); i++ {
				j := i % q
				_, _, err := idx.Search(queries[j*(*dims):(j+1)*(*dims)], 10)
				check(err)
				calls.Add(1)
			}
		}(t)
	}
	time.Sleep(time.Duration(*seconds * float64(time.Second)))
	after := threadTimes()
	wall := time.Since(start).Seconds()
	stop.Store(true)
	wg.Wait()
	close(tids)
	searching := map[int]bool{}
	for id := range tids {
		searching[id] = true
	}

	fmt.Printf("GOMAXPROCS=%d threads=%d n=%d d=%d ef=%d: %.0f searches/s, %.1f us per search\n",
		runtime.GOMAXPROCS(0), *threads, *n, *dims, *ef, float64(calls.Load())/wall, wall*1e6/float64(calls.Load())*float64(*threads))
	type row struct {
		tid       int
		user, sys float64
	}
	var rows []row
	var total, others float64
	for tid, a := range after {
		b := before[tid]
		r := row{tid, (a[0] - b[0]) / wall, (a[1] - b[1]) / wall}
		if r.user+r.sys < 0.005 {
			continue
		}
		rows = append(rows, r)
		total += r.user + r.sys
		if !searching[tid] {
			others += r.user + r.sys
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].user+rows[i].sys > rows[j].user+rows[j].sys })
	for _, r := range rows {
		role := "runtime/other"
		if searching[r.tid] {
			role = "searching"
		}
		fmt.Printf("  tid %-8d %-14s user %.3f  sys %.3f  cores\n", r.tid, role, r.user, r.sys)
	}
	fmt.Printf("process: %.3f cores; threads other than the searching ones: %.3f cores; %.1f us CPU per search\n",
		total, others, total*wall*1e6/float64(calls.Load()))
}

// threadTimes returns user and system seconds of each thread of this process.
func threadTimes() map[int][2]float64 {
	out := map[int][2]float64{}
	dirs, _ := filepath.Glob("/proc/self/task/*")
	for _, d := range dirs {
		tid, _ := strconv.Atoi(filepath.Base(d))
		b, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		u, _ := strconv.ParseFloat(f[11], 64)
		k, _ := strconv.ParseFloat(f[12], 64)
		out[tid] = [2]float64{u / 100, k / 100} // clock ticks (USER_HZ = 100)
	}
	return out
}

func gettid() int { return syscallGettid() }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
