package main

import (
	"bytes"
	"encoding/json"
	"errors"
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

// options are the bench flags.
type options struct {
	n, dims, queries, k, clusters, threads      int
	metric, quantization                        string
	connectivity, expansionAdd, expansionSearch uint
	seed                                        int64
	minSearch                                   time.Duration
	writeData, dataset, plot                    string
	quiet                                       bool
}

// errNoPlot says how to get a build that draws plots (plot.go, noplot.go).
var errNoPlot = errors.New("this usearch was built without plotting, which needs gonum/plot; " +
	"build it with -tags plot (go run -tags plot ./cmd/usearch bench ... -plot FILE.png)")

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

// config is one index configuration of a benchmark run; -connectivity and -quantization
// take comma lists and every combination is one configuration.
type config struct {
	connectivity uint
	quant        usearch.Quantization
}

func (c config) String() string {
	m := c.connectivity
	if m == 0 {
		m = 16
	}
	return fmt.Sprintf("M=%d %s", m, strings.ToLower(c.quant.String()))
}

// sweepPoint is one expansion of the sweep: recall and throughput of the parallel search.
type sweepPoint struct {
	expansion uint
	recall    float64
	qps       float64
}

func runBench(args []string, stdout, stderr io.Writer) error {
	var o options
	var connectivities, quantizations, sweep string
	fs := newFlags("bench", "[flags]", stderr)
	fs.IntVar(&o.n, "n", 100000, "rows to index")
	fs.IntVar(&o.dims, "d", 96, "dimensions (synthetic data)")
	fs.IntVar(&o.queries, "q", 1000, "queries")
	fs.IntVar(&o.k, "k", 10, "neighbors per query (recall@k)")
	fs.StringVar(&o.dataset, "dataset", "synthetic", "synthetic (seeded Gaussian clusters) or fashion-mnist (Debian's dataset-fashion-mnist, or $USEARCH_FASHION_MNIST = a train-images-idx3-ubyte(.gz) file): the queries are the first -q images of the t10k-images file beside it when there is one, else the last -q training images, which are then not indexed")
	fs.IntVar(&o.clusters, "clusters", 0, "Gaussian clusters in the synthetic data (0 = n/1000, at least 1)")
	fs.StringVar(&o.metric, "metric", "cos", "metric: ip, cos, l2sq, pearson")
	fs.StringVar(&quantizations, "quantization", "f32", "storage: f32, f64, f16, bf16, i8, u8; a comma list benchmarks each")
	fs.StringVar(&connectivities, "connectivity", "0", "graph degree M (0 = default 16); a comma list benchmarks each")
	fs.UintVar(&o.expansionAdd, "expansion-add", 0, "beam width while adding (0 = default 128)")
	fs.UintVar(&o.expansionSearch, "expansion-search", 0, "beam width while searching (0 = default 64)")
	fs.StringVar(&sweep, "sweep", "", "expansion sweep: comma list of search beam widths, e.g. 16,32,64,128,256 (default with -plot)")
	fs.StringVar(&o.plot, "plot", "", "draw recall against QPS of the sweep, one line per configuration, to this .png (or .svg, .pdf); needs a usearch built with -tags plot")
	fs.Int64Var(&o.seed, "seed", 42, "data set seed")
	fs.IntVar(&o.threads, "threads", runtime.NumCPU(), "goroutines for adding and for the parallel search")
	fs.DurationVar(&o.minSearch, "min-search-time", time.Second, "repeat each search phase over the query set until this much time has passed")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on standard error")
	fs.StringVar(&o.writeData, "write-data", "", "also write vectors, queries, keys, ground truth and results to this directory")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if o.n < 1 || o.dims < 1 || o.queries < 1 || o.k < 1 || o.threads < 1 {
		return usageErrorf(fs, "-n, -d, -q, -k and -threads must be positive")
	}
	metric, err := parseMetric(o.metric, true)
	if err != nil {
		return usageErrorf(fs, "%v", err)
	}
	if o.plot != "" && !plotAvailable {
		return fmt.Errorf("-plot %s: %w", o.plot, errNoPlot)
	}
	var configs []config
	for _, c := range strings.Split(connectivities, ",") {
		m, err := strconv.ParseUint(strings.TrimSpace(c), 10, 32)
		if err != nil {
			return usageErrorf(fs, "-connectivity %q: want numbers separated by commas", connectivities)
		}
		for _, qs := range strings.Split(quantizations, ",") {
			q, err := parseQuantization(strings.TrimSpace(qs), false)
			if err != nil {
				return usageErrorf(fs, "%v", err)
			}
			configs = append(configs, config{connectivity: uint(m), quant: q})
		}
	}
	o.connectivity, o.quantization = configs[0].connectivity, strings.ToLower(configs[0].quant.String())
	var expansions []uint
	if sweep == "" && o.plot != "" {
		sweep = "16,32,64,128,256"
	}
	if sweep != "" {
		for _, e := range strings.Split(sweep, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(e), 10, 32)
			if err != nil || v == 0 {
				return usageErrorf(fs, "-sweep %q: want positive numbers separated by commas", sweep)
			}
			expansions = append(expansions, uint(v))
		}
	}

	// Data and ground truth: not timed as part of the index.
	var data, queries []float32
	dataDesc := ""
	switch o.dataset {
	case "synthetic":
		if o.k > o.n {
			return usageErrorf(fs, "-k %d exceeds -n %d", o.k, o.n)
		}
		if o.clusters <= 0 {
			o.clusters = max(1, o.n/1000)
		}
		data = dataset.Clustered(o.n, o.dims, o.clusters, o.seed)
		queries = dataset.Queries(o.queries, o.dims, o.clusters, o.seed)
		dataDesc = fmt.Sprintf("clustered n=%d d=%d clusters=%d seed=%d", o.n, o.dims, o.clusters, o.seed)
	case "fashion-mnist":
		path := dataset.FashionMNISTPath()
		if path == "" {
			return fmt.Errorf("-dataset fashion-mnist: no Fashion-MNIST images found; install Debian's dataset-fashion-mnist or set USEARCH_FASHION_MNIST to train-images-idx3-ubyte(.gz)")
		}
		pixels, count, size, err := readImages(path)
		if err != nil {
			return err
		}
		// Queries: the test images next to the training ones when present (as ann-benchmarks
		// does), else the last -q training images, held out of the index.
		testPixels, testCount := pixels[:0], 0
		if tp := strings.Replace(path, "train-images", "t10k-images", 1); tp != path {
			if _, err := os.Stat(tp); err == nil {
				var testSize int
				if testPixels, testCount, testSize, err = readImages(tp); err != nil {
					return err
				}
				if testSize != size {
					return fmt.Errorf("%s: images of %d pixels, %s has %d", tp, testSize, path, size)
				}
				if o.queries > testCount {
					return fmt.Errorf("%s: -q %d exceeds its %d images", tp, o.queries, testCount)
				}
				queries = testPixels[:o.queries*size]
				dataDesc = fmt.Sprintf("queries: the first %d of %s", o.queries, filepath.Base(tp))
			}
		}
		avail := count
		if queries == nil {
			if o.queries >= count {
				return fmt.Errorf("%s: -q %d leaves no images to index out of %d", path, o.queries, count)
			}
			avail = count - o.queries
			queries = pixels[avail*size:]
			dataDesc = fmt.Sprintf("queries: the last %d images, not indexed", o.queries)
		}
		nSet := false
		fs.Visit(func(f *flag.Flag) { nSet = nSet || f.Name == "n" })
		if nSet && o.n > avail {
			return fmt.Errorf("%s: -n %d exceeds the %d images available to index", path, o.n, avail)
		}
		if !nSet {
			o.n = avail
		}
		if o.k > o.n {
			return usageErrorf(fs, "-k %d exceeds -n %d", o.k, o.n)
		}
		o.dims, o.clusters = size, 0
		data = pixels[:o.n*size]
		dataDesc = fmt.Sprintf("fashion-mnist n=%d d=%d (%s; %s)", o.n, size, path, dataDesc)
	default:
		return usageErrorf(fs, "-dataset %q: want synthetic or fashion-mnist", o.dataset)
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "bench: ground truth for %d queries by brute force over %d vectors...\n", o.queries, o.n)
	}
	start := time.Now()
	truth, err := dataset.GroundTruth(data, queries, o.dims, o.k, metric)
	if err != nil {
		return err
	}
	truthTime := time.Since(start)
	if o.writeData != "" {
		if err := writeData(o, metric, configs[0].quant, data, queries, truth); err != nil {
			return err
		}
	}

	fmt.Fprintf(stdout, "usearch bench: impl=go (github.com/usearch-go/usearch, compatible with upstream %s)  %s %s/%s  isa=%s\n",
		usearch.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH, isaName(metric, configs[0].quant))
	fmt.Fprintf(stdout, "data:    %s queries=%d k=%d  (ground truth: ExactSearch, all cores, %.2fs)\n",
		dataDesc, o.queries, o.k, truthTime.Seconds())
	curves := make([][]sweepPoint, len(configs))
	var firstRows []row
	for ci, c := range configs {
		if ci > 0 {
			fmt.Fprintln(stdout)
		}
		rows, points, err := benchConfig(stdout, stderr, o, metric, c, data, queries, truth, expansions)
		if err != nil {
			return err
		}
		if ci == 0 {
			firstRows = rows
		}
		curves[ci] = points
	}
	if o.plot != "" {
		if err := plotSweep(o.plot, fmt.Sprintf("%s %d×%d, %s, k=%d, %d threads", o.dataset, o.n, o.dims, metric, o.k, o.threads), o.k, configs, curves); err != nil {
			return fmt.Errorf("%s: %w", o.plot, err)
		}
		fmt.Fprintf(stdout, "plot:    %s\n", o.plot)
	}
	if o.writeData != "" {
		return writeBenchTSV(filepath.Join(o.writeData, "go_results.tsv"), firstRows)
	}
	return nil
}

// benchConfig builds one index, runs the search phases and the sweep, and prints its
// header lines and table.
func benchConfig(stdout, stderr io.Writer, o options, metric usearch.Metric, c config, data, queries []float32, truth [][]usearch.Key, expansions []uint) ([]row, []sweepPoint, error) {
	conf := usearch.IndexConfig{
		Quantization: c.quant, Metric: metric, Dimensions: uint(o.dims),
		Connectivity: c.connectivity, ExpansionAdd: o.expansionAdd, ExpansionSearch: o.expansionSearch,
	}
	idx, err := usearch.NewIndex(conf)
	if err != nil {
		return nil, nil, err
	}
	defer idx.Close()

	var rows []row
	// Build: Reserve is part of the timed region, as npm usearch reserves inside add().
	// Progress goes to stderr, so the table on stdout stays as it was; its cost (one atomic
	// add per row) is inside the timed region, as small as upstream's own progress callback.
	p := newProgress(stderr, o.quiet, fmt.Sprintf("bench build (%s)", c), o.n)
	start, cpu0 := time.Now(), cpuSeconds()
	if err := idx.Reserve(uint(o.n)); err != nil {
		p.Finish()
		return nil, nil, err
	}
	if err := parallel(o.n, o.threads, func(i int) error {
		err := idx.Add(usearch.Key(i), data[i*o.dims:(i+1)*o.dims])
		p.Add(1)
		return err
	}); err != nil {
		p.Finish()
		return nil, nil, err
	}
	wall := time.Since(start).Seconds()
	p.Finish()
	rows = append(rows, row{phase: "build", threads: o.threads, ops: o.n, seconds: wall, unit: "vec/s", recall: -1,
		cpu: cpuRatio(cpu0, wall), note: fmt.Sprintf("%d goroutines calling Add", o.threads)})

	if !o.quiet {
		// The search phases print nothing until the table: say how long they will take.
		fmt.Fprintf(stderr, "bench: %d search phases of at least %s each...\n", 2+len(expansions), o.minSearch)
	}
	results := make([][]usearch.Key, o.queries)
	search := func(i int) error {
		keys, _, err := idx.Search(queries[i*o.dims:(i+1)*o.dims], uint(o.k))
		results[i] = keys
		return err
	}
	r, err := timedPasses(o, 1, search)
	if err != nil {
		return nil, nil, err
	}
	r.phase, r.recall, r.note = "search loop", dataset.Recall(results, truth, o.k), "one goroutine, one Search per query"
	rows = append(rows, r)
	clear(results)
	if r, err = timedPasses(o, o.threads, search); err != nil {
		return nil, nil, err
	}
	r.phase, r.recall, r.note = "search batch", dataset.Recall(results, truth, o.k), fmt.Sprintf("%d goroutines share the query set", o.threads)
	rows = append(rows, r)

	// Header: the index's effective parameters (read before the sweep changes expansion).
	m, _ := idx.Connectivity()
	efa, _ := idx.ExpansionAdd()
	efs, _ := idx.ExpansionSearch()
	mem, _ := idx.MemoryUsage()
	var points []sweepPoint
	for _, ef := range expansions {
		if err := idx.ChangeExpansionSearch(ef); err != nil {
			return nil, nil, err
		}
		clear(results)
		r, err := timedPasses(o, o.threads, search)
		if err != nil {
			return nil, nil, err
		}
		r.phase, r.recall, r.note = fmt.Sprintf("sweep ef=%d", ef), dataset.Recall(results, truth, o.k), fmt.Sprintf("%d goroutines, expansion_search=%d", o.threads, ef)
		rows = append(rows, r)
		points = append(points, sweepPoint{expansion: ef, recall: r.recall, qps: r.rate()})
	}
	fmt.Fprintf(stdout, "index:   metric=%s quantization=%s connectivity=%d expansion_add=%d expansion_search=%d  memory=%.1f MiB\n",
		metric, strings.ToLower(c.quant.String()), m, efa, efs, float64(mem)/(1<<20))
	fmt.Fprintf(stdout, "threads: build %d, search loop 1, search batch %d  (NumCPU %d, GOMAXPROCS %d)\n",
		o.threads, o.threads, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	printTable(stdout, rows, o.k)
	return rows, points, nil
}

// isaName asks a small index which kernel variant the configuration runs on.
func isaName(metric usearch.Metric, q usearch.Quantization) string {
	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 8, Metric: metric, Quantization: q})
	if err != nil {
		return "?"
	}
	defer idx.Close()
	isa, _ := idx.HardwareAcceleration()
	return isa
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

// writeBenchTSV writes the table as tab-separated values for bench/compare.sh.
func writeBenchTSV(path string, rows []row) error {
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
	// The same data as .npy, for usearch build and search -gt (the worked example of docs/command.md).
	npyFiles := []struct {
		name string
		fn   func(w io.Writer) error
	}{
		{"vectors.npy", func(w io.Writer) error { return writeNpy(w, data, o.n, o.dims) }},
		{"queries.npy", func(w io.Writer) error { return writeNpy(w, queries, o.queries, o.dims) }},
		{"truth.npy", func(w io.Writer) error { return writeNpy(w, dataset.Flatten(truth), o.queries, o.k) }},
	}
	for _, f := range npyFiles {
		if err := writeAtomic(path(f.name), f.fn); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(mt, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path("meta.json"), append(js, '\n'), 0o644)
}

// parseMetric reads a metric name; only floating-point metrics unless binary is allowed.
func parseMetric(s string, floatOnly bool) (usearch.Metric, error) {
	for m := usearch.InnerProduct; m <= usearch.Jaccard; m++ {
		if strings.EqualFold(s, m.String()) {
			switch m {
			case usearch.Hamming, usearch.Tanimoto, usearch.Sorensen, usearch.Jaccard, usearch.Haversine, usearch.Divergence:
				if floatOnly {
					return 0, fmt.Errorf("-metric %s does not fit the benchmark's float data; want ip, cos, l2sq or pearson", s)
				}
			}
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown -metric %q; want ip, cos, l2sq, pearson, haversine, divergence, hamming, tanimoto, sorensen or jaccard", s)
}

// parseQuantization reads a storage kind; b1 only where bits make sense.
func parseQuantization(s string, allowB1 bool) (usearch.Quantization, error) {
	for q := usearch.F32; q <= usearch.E2M3; q++ {
		if strings.EqualFold(s, q.String()) {
			if q == usearch.B1 && !allowB1 {
				return 0, fmt.Errorf("-quantization b1 does not fit the benchmark's float data")
			}
			return q, nil
		}
	}
	return 0, fmt.Errorf("unknown -quantization %q; want f32, f64, f16, bf16, i8, u8, b1, e5m2, e4m3, e3m2 or e2m3", s)
}

// readImages reads IDX images (gzipped or not) with the reader build and search use
// (readVectors), so every command reads a file the same way, and scales the pixels to
// [0, 1]: count images of size pixels each.
func readImages(path string) (pixels []float32, count, size int, err error) {
	m, err := readVectors(path, 0, kF32)
	if err != nil {
		return nil, 0, 0, err
	}
	if m.kind != kU8 {
		return nil, 0, 0, fmt.Errorf("%s: %v values; images are unsigned bytes", path, m.kind)
	}
	pixels = make([]float32, len(m.data))
	for i, p := range m.data {
		pixels[i] = float32(p) / 255
	}
	return pixels, m.rows, m.dims, nil
}
