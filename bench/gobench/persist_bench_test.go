package gobench

// Benchmarks of Save, Load and View on two prebuilt indexes:
//
//	go test -run '^$' -bench 'Save|Load|View' -benchtime 5x ./bench/gobench
//
//	n=100000,d=96   synthetic clustered float32 vectors (internal/dataset), cosine, F32
//	fashion-mnist   the 60000 training images of Fashion-MNIST as 784 floats in [0, 1],
//	                squared L2, F32; skipped unless Debian's dataset-fashion-mnist package
//	                (or a copy at $USEARCH_FASHION_MNIST) is installed
//
// Each reports MB/s over the file size (b.SetBytes). Save writes next to the index file
// (Save's temp file, fsync and rename included); Load copies the file into a new empty
// index and View maps it, each op on a new index (creating it and closing the previous one
// are not timed, like the npm side of bench/persist_compare.sh).
//
// Building the indexes takes a while (the 100k one about 15 s on 2 cores, Fashion-MNIST
// longer), so each is built once and cached as a file keyed by its parameters: in
// $USEARCH_BENCH_INDEX_DIR when that is set (bench/persist_compare.sh points it at the
// files bench/internal/mkindex writes, so Go and npm usearch time the very same files),
// otherwise in os.TempDir(). A cached file is reused when its header and vector count
// match; delete it to force a rebuild. Nothing here runs without -bench.

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

const (
	pbRows     = 100000
	pbDims     = 96
	pbClusters = pbRows / 1000
	pbSeed     = 42
)

// pbCorpus is one benchmarked index: how to make its vectors and where its file lives.
type pbCorpus struct {
	name     string // sub-benchmark name
	dirFile  string // file name inside $USEARCH_BENCH_INDEX_DIR (what mkindex writes)
	cacheKey string // file name stem inside os.TempDir()
	conf     usearch.IndexConfig
	rows     int
	// vectors returns rows*conf.Dimensions values, or skip != "" when the data is absent.
	vectors func() (data []float32, skip string, err error)

	dataOnce sync.Once
	data     []float32
	skip     string
	dataErr  error

	fileOnce sync.Once
	path     string
	size     int64
	fileErr  error
}

var pbClustered = &pbCorpus{
	name:     fmt.Sprintf("n=%d,d=%d", pbRows, pbDims),
	dirFile:  "go_100k.usearch",
	cacheKey: fmt.Sprintf("clustered-n%d-d%d-c%d-s%d-cos-f32", pbRows, pbDims, pbClusters, pbSeed),
	conf:     usearch.IndexConfig{Dimensions: pbDims, Metric: usearch.Cosine, Quantization: usearch.F32},
	rows:     pbRows,
	vectors: func() ([]float32, string, error) {
		return dataset.Clustered(pbRows, pbDims, pbClusters, pbSeed), "", nil
	},
}

var pbFashion = &pbCorpus{
	name:     "fashion-mnist",
	dirFile:  "go_fmnist.usearch",
	cacheKey: "fashion-mnist-train-n60000-d784-l2sq-f32",
	conf:     usearch.IndexConfig{Dimensions: 784, Metric: usearch.L2sq, Quantization: usearch.F32},
	rows:     60000,
	vectors: func() ([]float32, string, error) {
		path := dataset.FashionMNISTPath()
		if path == "" {
			return nil, "Fashion-MNIST not found: apt-get install dataset-fashion-mnist (or set USEARCH_FASHION_MNIST)", nil
		}
		data, rows, dims, err := dataset.ReadIDXImages(path)
		if err != nil {
			return nil, "", err
		}
		if rows != 60000 || dims != 784 {
			return nil, "", fmt.Errorf("%s: %d images of %d pixels, want 60000 of 784", path, rows, dims)
		}
		return data, "", nil
	},
}

var pbCorpora = []*pbCorpus{pbClustered, pbFashion}

// load returns the corpus's vectors, generating or reading them once; it skips the
// benchmark when the data set is not installed.
func (c *pbCorpus) load(b *testing.B) []float32 {
	c.dataOnce.Do(func() { c.data, c.skip, c.dataErr = c.vectors() })
	if c.dataErr != nil {
		b.Fatal(c.dataErr)
	}
	if c.skip != "" {
		b.Skip(c.skip)
	}
	return c.data
}

// cachePath is where the corpus's index file is kept.
func (c *pbCorpus) cachePath() string {
	if dir := os.Getenv("USEARCH_BENCH_INDEX_DIR"); dir != "" {
		return filepath.Join(dir, c.dirFile)
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("usearch-go-bench-%s-%s.usearch", usearch.Version(), c.cacheKey))
}

// file returns the path and size of the corpus's index file, building and saving the
// index first unless a valid cached file exists.
func (c *pbCorpus) file(b *testing.B) (string, int64) {
	c.fileOnce.Do(func() {
		c.path = c.cachePath()
		if !dataset.IndexFileMatches(c.path, c.conf, c.rows) {
			data := c.load(b) // may skip: then fileOnce is spent, and so is every later call
			b.Logf("building %s (%d x %d, %v) into %s", c.name, c.rows, c.conf.Dimensions, c.conf.Metric, c.path)
			if c.fileErr = dataset.BuildIndexFile(c.path, c.conf, data, c.rows, runtime.NumCPU()); c.fileErr != nil {
				return
			}
		}
		st, err := os.Stat(c.path)
		if err != nil {
			c.fileErr = err
			return
		}
		c.size = st.Size()
	})
	// A skip inside the Once leaves path empty; skip again for later sub-benchmarks.
	if c.fileErr == nil && c.size == 0 {
		c.load(b)
		b.Fatalf("%s: no index file", c.name)
	}
	if c.fileErr != nil {
		b.Fatal(c.fileErr)
	}
	return c.path, c.size
}

// pbOpen returns a fresh index loaded from the corpus's file, closed when b ends.
func pbOpen(b *testing.B, c *pbCorpus, view bool) *usearch.Index {
	path, _ := c.file(b)
	idx, err := usearch.NewIndex(c.conf)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { idx.Close() })
	if view {
		err = idx.View(path)
	} else {
		err = idx.Load(path)
	}
	if err != nil {
		b.Fatal(err)
	}
	return idx
}

// pbCheck makes sure an index that was just loaded or viewed answers searches: row 0's
// own vector must come back among its 10 nearest neighbors.
func pbCheck(b *testing.B, c *pbCorpus, idx *usearch.Index) {
	n, err := idx.Len()
	if err != nil || n != uint(c.rows) {
		b.Fatalf("%s: index holds %d vectors (%v), want %d", c.name, n, err, c.rows)
	}
	probe, err := idx.Get(0, 1)
	if err != nil || len(probe) != int(c.conf.Dimensions) {
		b.Fatalf("%s: Get(0): %d values, %v", c.name, len(probe), err)
	}
	keys, _, err := idx.Search(probe, 10)
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range keys {
		if k == 0 {
			return
		}
	}
	b.Fatalf("%s: searching row 0's vector returned %v, without key 0", c.name, keys)
}

// pbEachCorpus runs fn as one sub-benchmark per corpus.
func pbEachCorpus(b *testing.B, fn func(b *testing.B, c *pbCorpus)) {
	for _, c := range pbCorpora {
		b.Run(c.name, func(b *testing.B) { fn(b, c) })
	}
}

// pbFreshEach calls open(idx) b.N times, each time on a new empty index, and checks the
// last one. Only open is timed: creating the index and closing the previous one (freeing
// or unmapping its content) happen with the timer stopped, as npm usearch's repetitions in
// bench/persist_bench.js each start from a new Index and leave the old one to the GC.
func pbFreshEach(b *testing.B, c *pbCorpus, open func(idx *usearch.Index) error) {
	var idx *usearch.Index
	defer func() {
		if idx != nil {
			idx.Close()
		}
	}()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if idx != nil {
			idx.Close()
		}
		var err error
		if idx, err = usearch.NewIndex(c.conf); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := open(idx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	pbCheck(b, c, idx)
}

func BenchmarkSave(b *testing.B) {
	pbEachCorpus(b, func(b *testing.B, c *pbCorpus) {
		path, size := c.file(b)
		idx := pbOpen(b, c, false)
		// Save next to the index file, so that both sides of a comparison write to the
		// same file system.
		out := filepath.Join(filepath.Dir(path), fmt.Sprintf(".bench-save-%d.usearch", os.Getpid()))
		b.Cleanup(func() { os.Remove(out) })
		b.SetBytes(size)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := idx.Save(out); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if st, err := os.Stat(out); err != nil || st.Size() != size {
			b.Fatalf("saved file: %v, want %d bytes", err, size)
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	pbEachCorpus(b, func(b *testing.B, c *pbCorpus) {
		path, size := c.file(b)
		b.SetBytes(size)
		b.ResetTimer()
		pbFreshEach(b, c, func(idx *usearch.Index) error { return idx.Load(path) })
	})
}

func BenchmarkView(b *testing.B) {
	pbEachCorpus(b, func(b *testing.B, c *pbCorpus) {
		path, size := c.file(b)
		b.SetBytes(size)
		b.ResetTimer()
		pbFreshEach(b, c, func(idx *usearch.Index) error { return idx.View(path) })
	})
}
