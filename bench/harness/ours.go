package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

// runParams are the flags shared by the graph drivers (the C++ and Node drivers take the
// same ones).
type runParams struct {
	dir, set, variant, out, idsDir string
	threads, repeat, k             int
	connectivity, expansionAdd     uint
	efs                            []int
	minSeconds                     float64
}

// engine hides the element type: add row i, search query i into keys, count the distance
// evaluations of query i.
type engine struct {
	add    func(i int) error
	search func(i int, keys []usearch.Key) (int, error)
	visits func(i, k int) (int, error)
	setEF  func(ef uint) error
	memory func() (uint, error)
	close  func() error
}

// newEngine indexes T input in conf's storage kind (IndexOf converts on insert, so float32
// rows serve f32 and f16 alike); with codes, the index walks the graph on 8-bit compact codes
// (UseCompactCodes, switched on before the build so that the build time includes encoding).
func newEngine[T usearch.Scalar](conf usearch.IndexConfig, base, queries []T, d int, codes bool) (*engine, error) {
	idx, err := usearch.NewIndexOf[T](conf)
	if err != nil {
		return nil, err
	}
	if codes {
		if err := idx.UseCompactCodes(8); err != nil {
			idx.Close()
			return nil, err
		}
	}
	return &engine{
		add: func(i int) error { return idx.Add(usearch.Key(i), base[i*d:(i+1)*d:(i+1)*d]) },
		search: func(i int, keys []usearch.Key) (int, error) {
			got, _, err := idx.Search(queries[i*d:(i+1)*d:(i+1)*d], uint(len(keys)))
			return copy(keys, got), err
		},
		visits: func(i, k int) (int, error) {
			// A zero Filter is inactive: this is the unfiltered graph walk, with its stats.
			_, _, st, err := idx.SearchWith(queries[i*d:(i+1)*d:(i+1)*d], uint(k), usearch.Filter{})
			return st.Distances, err
		},
		setEF:  idx.ChangeExpansionSearch,
		memory: idx.MemoryUsage,
		close:  idx.Close,
	}, nil
}

// runOurs builds this library's index with p.threads goroutines and sweeps the expansion,
// searching every query once per pass (one Search call per query, queries taken by
// p.threads goroutines from a shared counter) until p.minSeconds have passed.
func runOurs(p runParams) error {
	m, err := readMeta(p.dir)
	if err != nil {
		return err
	}
	p.k = m.K
	conf := usearch.IndexConfig{Metric: m.metric(), Dimensions: uint(m.Dims),
		Connectivity: p.connectivity, ExpansionAdd: p.expansionAdd}
	gt, _, _, err := readBin[uint32](filepath.Join(p.dir, "gt.ibin"))
	if err != nil {
		return err
	}
	var e *engine
	var n, q int
	switch p.variant {
	case "f32", "f16", "f32c8":
		base, rows, _, err := readBin[float32](filepath.Join(p.dir, "base.fbin"))
		if err != nil {
			return err
		}
		queries, qs, _, err := readBin[float32](filepath.Join(p.dir, "queries.fbin"))
		if err != nil {
			return err
		}
		n, q = rows, qs
		conf.Quantization = usearch.F32
		if p.variant == "f16" {
			conf.Quantization = usearch.F16
		}
		e, err = newEngine(conf, base, queries, m.Dims, p.variant == "f32c8")
		if err != nil {
			return err
		}
	case "u8":
		if !m.HasU8 {
			return fmt.Errorf("data set %s has no u8 files", m.Name)
		}
		base, rows, _, err := readBin[uint8](filepath.Join(p.dir, "base.u8bin"))
		if err != nil {
			return err
		}
		queries, qs, _, err := readBin[uint8](filepath.Join(p.dir, "queries.u8bin"))
		if err != nil {
			return err
		}
		n, q = rows, qs
		conf.Quantization = usearch.U8
		e, err = newEngine(conf, base, queries, m.Dims, false)
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("ours: unknown variant %q (want f32, f16, f32c8 or u8)", p.variant)
	}
	defer e.close()
	rec, err := openRecorder(p.out)
	if err != nil {
		return err
	}
	defer rec.close()
	tag := point{Set: m.Name, Engine: "ours", Variant: p.variant, Threads: p.threads, Repeat: p.repeat}

	runtime.GC()
	debug.FreeOSMemory()
	rss0 := rssMB()
	mt := startMeter()
	if err := dataset.AddParallel(p.threads, n, e.add); err != nil {
		return fmt.Errorf("ours build: %w", err)
	}
	wall, cpu := mt.stop()
	mem, _ := e.memory()
	b := tag
	b.Phase, b.Seconds, b.CPU, b.Dist = "build", wall, cpu, -1
	b.RSSMB, b.IndexMB = rssMB()-rss0, float64(mem)/(1<<20)
	b.Note = fmt.Sprintf("%d Add calls from %d goroutines, GOMAXPROCS=%d, %s", n, p.threads, runtime.GOMAXPROCS(0), usearch.HardwareAccelerationAvailable())
	if err := rec.add(b); err != nil {
		return err
	}
	fmt.Printf("%-8s %-7s %-4s T=%d build %7.2fs cpu/wall %.2f  rss +%.0f MB, index %.0f MB\n",
		m.Name, "ours", p.variant, p.threads, wall, cpu, b.RSSMB, b.IndexMB)

	results := make([]uint32, q*p.k)
	for _, ef := range p.efs {
		if err := e.setEF(uint(ef)); err != nil {
			return err
		}
		var failed atomic.Pointer[error]
		pass := func(keep bool) {
			var next atomic.Int64
			var wg sync.WaitGroup
			for range p.threads {
				wg.Add(1)
				go func() {
					defer wg.Done()
					keys := make([]usearch.Key, p.k)
					for i := int(next.Add(1) - 1); i < q; i = int(next.Add(1) - 1) {
						got, err := e.search(i, keys)
						if err != nil {
							failed.CompareAndSwap(nil, &err)
							return
						}
						if keep {
							row := results[i*p.k : (i+1)*p.k]
							for j := range row {
								row[j] = ^uint32(0)
								if j < got {
									row[j] = uint32(keys[j])
								}
							}
						}
					}
				}()
			}
			wg.Wait()
		}
		mt := startMeter()
		passes := 0
		for {
			pass(passes == 0)
			passes++
			if w, _ := mt.stop(); w >= p.minSeconds {
				break
			}
		}
		wall, cpu := mt.stop()
		if err := failed.Load(); err != nil {
			return fmt.Errorf("ours search: %w", *err)
		}
		visits := 0
		for i := range q {
			v, err := e.visits(i, p.k)
			if err != nil {
				return fmt.Errorf("ours search stats: %w", err)
			}
			visits += v
		}
		s := tag
		s.Phase, s.EF, s.Queries, s.Seconds, s.CPU = "search", ef, passes*q, wall, cpu
		s.QPS = float64(passes*q) / wall
		s.Recall = idRecall(results, gt, p.k)
		s.Dist = float64(visits) / float64(q)
		s.Note = "dist = distances computed per query, all levels (SearchStats.Distances)"
		if p.idsDir != "" {
			s.IDs = filepath.Join(p.idsDir, fmt.Sprintf("%s-ours-%s-t%d-r%d-ef%d.ibin", m.Name, p.variant, p.threads, p.repeat, ef))
			if err := writeBin(s.IDs, q, p.k, results); err != nil {
				return err
			}
		}
		if err := rec.add(s); err != nil {
			return err
		}
		printSearch(s)
	}
	return nil
}

func printSearch(s point) {
	fmt.Printf("%-8s %-7s %-4s T=%d ef=%-4d %9.0f QPS  recall %.4f  dist/q %6.0f  cpu/wall %.2f\n",
		s.Set, s.Engine, s.Variant, s.Threads, s.EF, s.QPS, s.Recall, s.Dist, s.CPU)
}

// idRecall is the mean fraction of each query's k true neighbours among its k results.
func idRecall(got, truth []uint32, k int) float64 {
	if len(truth) == 0 {
		return 0
	}
	hits := 0
	for i := 0; i+k <= len(got) && i+k <= len(truth); i += k {
		for _, w := range truth[i : i+k] {
			for _, h := range got[i : i+k] {
				if h == w {
					hits++
					break
				}
			}
		}
	}
	return float64(hits) / float64(len(truth))
}
