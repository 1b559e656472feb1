// Command usearch is the benchmark tool of the usearch Go library.
//
//	usearch bench [flags]
//
// bench builds an HNSW index over a seeded synthetic clustered data set, searches it and
// prints the build rate, queries per second and recall@k against brute force. With
// -write-data DIR it also writes the vectors, queries, keys and ground truth as raw
// little-endian files plus meta.json, so bench/upstream_bench.js can run npm usearch on
// the very same data (see bench/compare.sh).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	switch os.Args[1] {
	case "bench":
		if err := bench(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "usearch bench:", err)
			os.Exit(1)
		}
	case "help", "-h", "-help", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "usearch: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: usearch <command> [flags]

commands:
  bench   build and search an index over synthetic clustered vectors; run
          "usearch bench -h" for its flags`)
}

// options are the bench flags.
type options struct {
	n, dims, queries, k, clusters, threads      int
	metric, quantization                        string
	connectivity, expansionAdd, expansionSearch uint
	seed                                        int64
	minSearch                                   time.Duration
	writeData                                   string
}

// meta.json, read by bench/upstream_bench.js. Zero graph parameters mean the defaults.
type meta struct {
	N               int    `json:"n"`
	Dimensions      int    `json:"dimensions"`
	Queries         int    `json:"queries"`
	K               int    `json:"k"`
	Clusters        int    `json:"clusters"`
	Seed            int64  `json:"seed"`
	Metric          string `json:"metric"`
	Quantization    string `json:"quantization"`
	Connectivity    uint   `json:"connectivity"`
	ExpansionAdd    uint   `json:"expansion_add"`
	ExpansionSearch uint   `json:"expansion_search"`
	Threads         int    `json:"threads"`
	MinSearchMillis int64  `json:"min_search_ms"`
	Vectors         string `json:"vectors"`      // n*dimensions float32
	QueryFile       string `json:"queries_file"` // queries*dimensions float32
	Keys            string `json:"keys"`         // n uint64, the key of each row
	Truth           string `json:"truth"`        // queries*k uint64, row keys nearest first
}

// row is one line of the result table.
type row struct {
	phase   string
	threads int
	ops     int
	seconds float64
	unit    string // "vec/s" or "QPS"
	recall  float64
	cpu     float64 // process CPU seconds per wall second during the phase; <0 if unknown
	note    string
}

func (r row) rate() float64 { return float64(r.ops) / r.seconds }

func bench(args []string) error {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", 100000, "rows to index")
	fs.IntVar(&o.dims, "d", 96, "dimensions")
	fs.IntVar(&o.queries, "q", 1000, "queries")
	fs.IntVar(&o.k, "k", 10, "neighbors per query (recall@k)")
	fs.IntVar(&o.clusters, "clusters", 0, "Gaussian clusters in the synthetic data (0 = n/1000, at least 1)")
	fs.StringVar(&o.metric, "metric", "cos", "metric: ip, cos, l2sq, pearson")
	fs.StringVar(&o.quantization, "quantization", "f32", "storage: f32, f64, f16, bf16, i8, u8")
	fs.UintVar(&o.connectivity, "connectivity", 0, "graph degree M (0 = default 16)")
	fs.UintVar(&o.expansionAdd, "expansion-add", 0, "beam width while adding (0 = default 128)")
	fs.UintVar(&o.expansionSearch, "expansion-search", 0, "beam width while searching (0 = default 64)")
	fs.Int64Var(&o.seed, "seed", 42, "data set seed")
	fs.IntVar(&o.threads, "threads", runtime.NumCPU(), "goroutines for adding and for the parallel search")
	fs.DurationVar(&o.minSearch, "min-search-time", time.Second, "repeat each search phase over the query set until this much time has passed")
	fs.StringVar(&o.writeData, "write-data", "", "also write vectors, queries, keys, ground truth and results to this directory")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.n < 1 || o.dims < 1 || o.queries < 1 || o.k < 1 || o.threads < 1 {
		return fmt.Errorf("-n, -d, -q, -k and -threads must be positive")
	}
	if o.k > o.n {
		return fmt.Errorf("-k %d exceeds -n %d", o.k, o.n)
	}
	if o.clusters <= 0 {
		o.clusters = max(1, o.n/1000)
	}
	metric, err := parseMetric(o.metric)
	if err != nil {
		return err
	}
	quant, err := parseQuantization(o.quantization)
	if err != nil {
		return err
	}

	// Data and ground truth: not timed as part of the index.
	data := dataset.Clustered(o.n, o.dims, o.clusters, o.seed)
	queries := dataset.Queries(o.queries, o.dims, o.clusters, o.seed)
	start := time.Now()
	truth, err := dataset.GroundTruth(data, queries, o.dims, o.k, metric)
	if err != nil {
		return err
	}
	truthTime := time.Since(start)
	if o.writeData != "" {
		if err := writeData(o, metric, quant, data, queries, truth); err != nil {
			return err
		}
	}

	conf := usearch.IndexConfig{
		Quantization: quant, Metric: metric, Dimensions: uint(o.dims),
		Connectivity: o.connectivity, ExpansionAdd: o.expansionAdd, ExpansionSearch: o.expansionSearch,
	}
	idx, err := usearch.NewIndex(conf)
	if err != nil {
		return err
	}
	defer idx.Close()

	var rows []row
	// Build: Reserve is part of the timed region, as npm usearch reserves inside add().
	start, cpu0 := time.Now(), cpuSeconds()
	if err := idx.Reserve(uint(o.n)); err != nil {
		return err
	}
	if err := parallel(o.n, o.threads, func(i int) error {
		return idx.Add(usearch.Key(i), data[i*o.dims:(i+1)*o.dims])
	}); err != nil {
		return err
	}
	wall := time.Since(start).Seconds()
	rows = append(rows, row{phase: "build", threads: o.threads, ops: o.n, seconds: wall, unit: "vec/s", recall: -1,
		cpu: cpuRatio(cpu0, wall), note: fmt.Sprintf("%d goroutines calling Add", o.threads)})

	results := make([][]usearch.Key, o.queries)
	search := func(i int) error {
		keys, _, err := idx.Search(queries[i*o.dims:(i+1)*o.dims], uint(o.k))
		results[i] = keys
		return err
	}
	r, err := timedPasses(o, 1, search)
	if err != nil {
		return err
	}
	r.phase, r.recall, r.note = "search loop", dataset.Recall(results, truth, o.k), "one goroutine, one Search per query"
	rows = append(rows, r)
	clear(results)
	if r, err = timedPasses(o, o.threads, search); err != nil {
		return err
	}
	r.phase, r.recall, r.note = "search batch", dataset.Recall(results, truth, o.k), fmt.Sprintf("%d goroutines share the query set", o.threads)
	rows = append(rows, r)

	// Header: what ran, where, with which effective parameters.
	isa, _ := idx.HardwareAcceleration()
	m, _ := idx.Connectivity()
	efa, _ := idx.ExpansionAdd()
	efs, _ := idx.ExpansionSearch()
	mem, _ := idx.MemoryUsage()
	fmt.Printf("usearch bench: impl=go (github.com/usearch-go/usearch, compatible with upstream %s)  %s %s/%s  isa=%s\n",
		usearch.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH, isa)
	fmt.Printf("data:    clustered n=%d d=%d clusters=%d seed=%d queries=%d k=%d  (ground truth: ExactSearch, all cores, %.2fs)\n",
		o.n, o.dims, o.clusters, o.seed, o.queries, o.k, truthTime.Seconds())
	fmt.Printf("index:   metric=%s quantization=%s connectivity=%d expansion_add=%d expansion_search=%d  memory=%.1f MiB\n",
		metric, strings.ToLower(quant.String()), m, efa, efs, float64(mem)/(1<<20))
	fmt.Printf("threads: build %d, search loop 1, search batch %d  (NumCPU %d, GOMAXPROCS %d)\n",
		o.threads, o.threads, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	printTable(os.Stdout, rows, o.k)
	if o.writeData != "" {
		return writeResults(filepath.Join(o.writeData, "go_results.tsv"), rows)
	}
	return nil
}

// parallel calls fn(i) for every i in [0, n) from `threads` goroutines and returns the
// first error.
func parallel(n, threads int, fn func(i int) error) error {
	var (
		next   atomic.Int64
		failed atomic.Bool
		once   sync.Once
		first  error
		wg     sync.WaitGroup
	)
	for range min(threads, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// timedPasses runs search over the whole query set with `threads` goroutines, pass after
// pass, until o.minSearch has passed; it returns the row with ops and seconds filled in.
func timedPasses(o options, threads int, search func(i int) error) (row, error) {
	passes := 0
	start, cpu0 := time.Now(), cpuSeconds()
	for passes == 0 || time.Since(start) < o.minSearch {
		if err := parallel(o.queries, threads, search); err != nil {
			return row{}, err
		}
		passes++
	}
	wall := time.Since(start).Seconds()
	return row{threads: threads, ops: passes * o.queries, seconds: wall, unit: "QPS", cpu: cpuRatio(cpu0, wall)}, nil
}

// cpuSeconds returns the user+system CPU time of this process, all threads included, from
// /proc/self/stat, or -1 where that file does not exist.
func cpuSeconds() float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return -1
	}
	// Fields after the parenthesized command name: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return (ut + st) / 100 // USER_HZ, 100 on every Linux configuration in use
}

// cpuRatio is the CPU seconds used since cpu0 per wall second: about the number of busy
// threads. Well below the thread count means the machine was busy with something else.
func cpuRatio(cpu0, wall float64) float64 {
	cpu1 := cpuSeconds()
	if cpu0 < 0 || cpu1 < 0 || wall <= 0 {
		return -1
	}
	return (cpu1 - cpu0) / wall
}

// tableFormat is shared with bench/upstream_bench.js, which prints the same columns.
const tableFormat = "%-13s %7s %8s %8s %10s %-5s %9s %8s  %s\n"

func printTable(w io.Writer, rows []row, k int) {
	fmt.Fprintf(w, tableFormat, "phase", "threads", "ops", "seconds", "rate", "unit", fmt.Sprintf("recall@%d", k), "cpu/wall", "note")
	for _, r := range rows {
		rec := "-"
		if r.recall >= 0 {
			rec = fmt.Sprintf("%.4f", r.recall)
		}
		cpu := "-"
		if r.cpu >= 0 {
			cpu = fmt.Sprintf("%.2f", r.cpu)
		}
		fmt.Fprintf(w, tableFormat, r.phase, fmt.Sprint(r.threads), fmt.Sprint(r.ops), fmt.Sprintf("%.3f", r.seconds),
			fmt.Sprintf("%.0f", r.rate()), r.unit, rec, cpu, r.note)
	}
}

// writeResults writes the table as tab-separated values for bench/compare.sh.
func writeResults(path string, rows []row) error {
	var b strings.Builder
	b.WriteString("phase\tthreads\tops\tseconds\trate\tunit\trecall\tcpu\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s\t%d\t%d\t%.6f\t%.1f\t%s\t%.4f\t%.2f\n", r.phase, r.threads, r.ops, r.seconds, r.rate(), r.unit, r.recall, r.cpu)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func writeData(o options, metric usearch.Metric, quant usearch.Quantization, data, queries []float32, truth [][]usearch.Key) error {
	if err := os.MkdirAll(o.writeData, 0o755); err != nil {
		return err
	}
	mt := meta{
		N: o.n, Dimensions: o.dims, Queries: o.queries, K: o.k, Clusters: o.clusters, Seed: o.seed,
		Metric: metric.String(), Quantization: strings.ToLower(quant.String()), Connectivity: o.connectivity,
		ExpansionAdd: o.expansionAdd, ExpansionSearch: o.expansionSearch, Threads: o.threads,
		MinSearchMillis: o.minSearch.Milliseconds(),
		Vectors:         "vectors.f32", QueryFile: "queries.f32", Keys: "keys.u64", Truth: "truth.u64",
	}
	keys := make([]uint64, o.n)
	for i := range keys {
		keys[i] = uint64(i)
	}
	path := func(name string) string { return filepath.Join(o.writeData, name) }
	if err := dataset.WriteFloat32s(path(mt.Vectors), data); err != nil {
		return err
	}
	if err := dataset.WriteFloat32s(path(mt.QueryFile), queries); err != nil {
		return err
	}
	if err := dataset.WriteUint64s(path(mt.Keys), keys); err != nil {
		return err
	}
	if err := dataset.WriteUint64s(path(mt.Truth), dataset.Flatten(truth)); err != nil {
		return err
	}
	js, err := json.MarshalIndent(mt, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path("meta.json"), append(js, '\n'), 0o644)
}

func parseMetric(s string) (usearch.Metric, error) {
	for m := usearch.InnerProduct; m <= usearch.Jaccard; m++ {
		if strings.EqualFold(s, m.String()) {
			switch m {
			case usearch.Hamming, usearch.Tanimoto, usearch.Sorensen, usearch.Jaccard, usearch.Haversine, usearch.Divergence:
				return 0, fmt.Errorf("-metric %s does not fit the synthetic float data", s)
			}
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown -metric %q; want ip, cos, l2sq or pearson", s)
}

func parseQuantization(s string) (usearch.Quantization, error) {
	for q := usearch.F32; q <= usearch.U8; q++ {
		if strings.EqualFold(s, q.String()) {
			if q == usearch.B1 {
				return 0, fmt.Errorf("-quantization b1 does not fit the synthetic float data")
			}
			return q, nil
		}
	}
	return 0, fmt.Errorf("unknown -quantization %q; want f32, f64, f16, bf16, i8 or u8", s)
}
