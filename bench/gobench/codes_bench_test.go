//go:build cgo

package gobench

// BenchmarkCompactCodes compares searches with and without compact codes on the same index,
// at a few expansions, one query per Search call:
//
//	go test -run '^$' -bench CompactCodes -benchtime 3000x -count 3 ./bench/gobench
//
// Data: synthetic 100k x 96 cosine (internal/dataset, 100 clusters, seed 42, 1,000 queries
// from the same clusters) and Fashion-MNIST 60k x 784 L2 (1,000 test images as queries;
// skipped when not installed). Indexes use the default M=16, ef_construction=128 and are
// built once with two goroutines, then cached under $TMPDIR/usearch-codes-bench; two copies
// are loaded, one with codes. Every query runs on both, alternating which goes first, so the
// QPS ratio (speedup) is taken under the same load. Each sub-benchmark also reports recall@10
// over all queries, the index memory with and without codes and the codes' bytes over the
// f32 vector bytes.

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

type codesCorpus struct {
	name           string
	conf           usearch.IndexConfig
	load           func() (data, queries []float32, skip string, err error)
	once           sync.Once
	plain, coded   *usearch.Index
	queries        []float32
	truth          [][]usearch.Key
	skip           string
	err            error
	vectorBytesF32 float64
}

var codesCorpora = []*codesCorpus{
	{
		name: "synthetic-100k-d96-cos",
		conf: usearch.IndexConfig{Dimensions: 96, Metric: usearch.Cosine, Quantization: usearch.F32},
		load: func() ([]float32, []float32, string, error) {
			return dataset.Clustered(100000, 96, 100, 42), dataset.Queries(1000, 96, 100, 42), "", nil
		},
	},
	{
		name: "fashion-60k-d784-l2",
		conf: usearch.IndexConfig{Dimensions: 784, Metric: usearch.L2sq, Quantization: usearch.F32},
		load: func() ([]float32, []float32, string, error) {
			path := dataset.FashionMNISTPath()
			if path == "" {
				return nil, nil, "Fashion-MNIST not found: apt-get install dataset-fashion-mnist", nil
			}
			data, _, _, err := dataset.ReadIDXImages(path)
			if err != nil {
				return nil, nil, "", err
			}
			test, _, _, err := dataset.ReadIDXImages(strings.Replace(path, "train-images", "t10k-images", 1))
			if err != nil {
				return nil, nil, "", err
			}
			return data, test[:1000*784], "", nil
		},
	},
}

func (c *codesCorpus) prepare(b *testing.B) {
	c.once.Do(func() {
		var data []float32
		data, c.queries, c.skip, c.err = c.load()
		if c.err != nil || c.skip != "" {
			return
		}
		dims := int(c.conf.Dimensions)
		rows := len(data) / dims
		c.vectorBytesF32 = float64(rows * dims * 4)
		if c.truth, c.err = dataset.GroundTruth(data, c.queries, dims, 10, c.conf.Metric); c.err != nil {
			return
		}
		path := filepath.Join(os.TempDir(), "usearch-codes-bench", c.name+".usearch")
		if !dataset.IndexFileMatches(path, c.conf, rows) {
			if c.err = dataset.BuildIndexFile(path, c.conf, data, rows, 2); c.err != nil {
				return
			}
		}
		// Two copies of the same graph, one searched with codes: queries alternate
		// between them, so both see the same machine load.
		for _, idx := range []**usearch.Index{&c.plain, &c.coded} {
			if *idx, c.err = usearch.NewIndex(c.conf); c.err != nil {
				return
			}
			if c.err = (*idx).Load(path); c.err != nil {
				return
			}
		}
		c.err = c.coded.UseCompactCodes(8)
	})
	if c.err != nil {
		b.Fatal(c.err)
	}
	if c.skip != "" {
		b.Skip(c.skip)
	}
}

func BenchmarkCompactCodes(b *testing.B) {
	for _, c := range codesCorpora {
		b.Run(c.name, func(b *testing.B) {
			for _, ef := range []uint{16, 32, 64, 128} {
				for _, threads := range []int{1, 2} {
					b.Run(fmt.Sprintf("ef=%d/threads=%d", ef, threads), func(b *testing.B) { benchCodes(b, c, ef, threads) })
				}
			}
		})
	}
}

// benchCodes searches every query on the plain and on the coded index in turn (alternating
// which goes first), from `threads` goroutines each locked to its thread, and reports each
// index's QPS per thread from its own accumulated time (wall and thread CPU), their ratios,
// recall@10 and memory.
func benchCodes(b *testing.B, c *codesCorpus, ef uint, threads int) {
	c.prepare(b)
	dims := int(c.conf.Dimensions)
	nq := len(c.queries) / dims
	idxs := [2]*usearch.Index{c.plain, c.coded}
	var recall, mem [2]float64
	for j, idx := range idxs {
		if err := idx.ChangeExpansionSearch(ef); err != nil {
			b.Fatal(err)
		}
		got := make([][]usearch.Key, nq)
		for i := range got {
			keys, _, err := idx.Search(c.queries[i*dims:(i+1)*dims], 10)
			if err != nil {
				b.Fatal(err)
			}
			got[i] = keys
		}
		recall[j] = dataset.Recall(got, c.truth, 10)
		m, err := idx.MemoryUsage()
		if err != nil {
			b.Fatal(err)
		}
		mem[j] = float64(m)
	}
	if _, serving, _ := c.coded.CompactCodes(); !serving {
		b.Fatal("codes not serving")
	}
	var spent, cpu [2]time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	b.ResetTimer()
	for g := 0; g < threads; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var mySpent, myCPU [2]time.Duration
			for i := g; i < b.N; i += threads {
				q := c.queries[(i%nq)*dims : (i%nq+1)*dims]
				for turn := 0; turn < 2; turn++ {
					j := (i + turn) % 2
					start, startCPU := time.Now(), threadCPU()
					if _, _, err := idxs[j].Search(q, 10); err != nil {
						b.Error(err)
						return
					}
					myCPU[j] += threadCPU() - startCPU
					mySpent[j] += time.Since(start)
				}
			}
			mu.Lock()
			for j := range spent {
				spent[j] += mySpent[j]
				cpu[j] += myCPU[j]
			}
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	b.StopTimer()
	// With several goroutines, times are summed over them: the QPS below are per thread.
	plainQPS, codesQPS := float64(b.N)/spent[0].Seconds(), float64(b.N)/spent[1].Seconds()
	b.ReportMetric(plainQPS, "plain-qps")
	b.ReportMetric(codesQPS, "codes-qps")
	b.ReportMetric(codesQPS/plainQPS, "speedup")
	// The same from the searching thread's CPU time: preemption by other processes excluded.
	b.ReportMetric(float64(b.N)/cpu[0].Seconds(), "plain-cpu-qps")
	b.ReportMetric(float64(b.N)/cpu[1].Seconds(), "codes-cpu-qps")
	b.ReportMetric(cpu[0].Seconds()/cpu[1].Seconds(), "cpu-speedup")
	b.ReportMetric(recall[0], "plain-recall")
	b.ReportMetric(recall[1], "codes-recall")
	b.ReportMetric(mem[0]/(1<<20), "plain-MiB")
	b.ReportMetric(mem[1]/mem[0], "mem-ratio")
	b.ReportMetric((mem[1]-mem[0])/c.vectorBytesF32, "codes/f32-vectors")
}
