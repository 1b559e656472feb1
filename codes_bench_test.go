//go:build cgo

package usearch_test

// BenchmarkCompactCodes compares searches with and without compact codes on the same index,
// at a few expansions, one query per Search call:
//
//	go test -run '^$' -bench CompactCodes -benchtime 3000x -count 3 .
//
// Data: synthetic 100k x 96 cosine (internal/dataset, 100 clusters, seed 42, 1,000 queries
// from the same clusters) and Fashion-MNIST 60k x 784 L2 (1,000 test images as queries;
// skipped when not installed). Indexes use the default M=16, ef_construction=128 and are
// built once with two goroutines, then cached under $TMPDIR/usearch-codes-bench. Each
// sub-benchmark reports QPS, recall@10 over all queries, and the index memory (MiB) with the
// codes' share of the f32 vector bytes. plain and codes alternate at each expansion, so
// their ratio is taken under the same load.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

type codesCorpus struct {
	name           string
	conf           usearch.IndexConfig
	load           func() (data, queries []float32, skip string, err error)
	once           sync.Once
	idx            *usearch.Index
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
		if c.idx, c.err = usearch.NewIndex(c.conf); c.err != nil {
			return
		}
		c.err = c.idx.Load(path)
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
				for _, bits := range []uint{0, 8} {
					name := "plain"
					if bits != 0 {
						name = "codes"
					}
					b.Run(fmt.Sprintf("ef=%d/%s", ef, name), func(b *testing.B) { benchCodes(b, c, ef, bits) })
				}
			}
		})
	}
}

func benchCodes(b *testing.B, c *codesCorpus, ef, bits uint) {
	c.prepare(b)
	idx, dims := c.idx, int(c.conf.Dimensions)
	if err := idx.ChangeExpansionSearch(ef); err != nil {
		b.Fatal(err)
	}
	if err := idx.UseCompactCodes(bits); err != nil {
		b.Fatal(err)
	}
	if _, serving, _ := idx.CompactCodes(); serving != (bits != 0) {
		b.Fatalf("codes serving %v with bits %d", serving, bits)
	}
	nq := len(c.queries) / dims
	got := make([][]usearch.Key, nq)
	for i := range got {
		keys, _, err := idx.Search(c.queries[i*dims:(i+1)*dims], 10)
		if err != nil {
			b.Fatal(err)
		}
		got[i] = keys
	}
	mem, err := idx.MemoryUsage()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := i % nq
		if _, _, err := idx.Search(c.queries[q*dims:(q+1)*dims], 10); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "qps")
	b.ReportMetric(dataset.Recall(got, c.truth, 10), "recall@10")
	b.ReportMetric(float64(mem)/(1<<20), "mem-MiB")
	b.ReportMetric(float64(mem)/c.vectorBytesF32, "mem/f32-vectors")
}
