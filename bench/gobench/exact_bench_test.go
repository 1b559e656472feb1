package gobench

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

// The exact-search benchmark: every Fashion-MNIST test image (10k) against the 60k training
// images, k=10, L2sq over f32 pixels scaled to [0, 1], as FAISS IndexFlatL2 is run by
// bench/faiss_flat.py (bench/exact_compare.sh runs both, alternated). The stable command:
//
//	go test -run '^$' -bench 'ExactSearchFashion' -benchtime 1x -count 3 ./bench/gobench
//
// It reports qps (queries per second of wall time), q/cpu-s (per second of process CPU time,
// steadier on a shared machine) and cpu/wall. USEARCH_EXACT_QUERIES=N searches only the
// first N test images (for quick runs); USEARCH_EXACT_THREADS=N uses N threads (default 1).

var fashionExact struct {
	once           sync.Once
	base, queries  []float32
	rows, nq, dims int
	err            error
}

func loadFashionExact(b *testing.B) {
	b.Helper()
	train := dataset.FashionMNISTPath()
	if train == "" {
		b.Skip("Fashion-MNIST is not installed (Debian dataset-fashion-mnist, or $USEARCH_FASHION_MNIST)")
	}
	test := filepath.Join(filepath.Dir(train), "t10k-images-idx3-ubyte.gz")
	if _, err := os.Stat(test); err != nil {
		test = filepath.Join(filepath.Dir(train), "t10k-images-idx3-ubyte")
	}
	f := &fashionExact
	f.once.Do(func() {
		var dims2 int
		if f.base, f.rows, f.dims, f.err = dataset.ReadIDXImages(train); f.err != nil {
			return
		}
		f.queries, f.nq, dims2, f.err = dataset.ReadIDXImages(test)
		if f.err == nil && dims2 != f.dims {
			f.err = os.ErrInvalid
		}
	})
	if f.err != nil {
		b.Fatalf("loading Fashion-MNIST: %v", f.err)
	}
}

func envCount(name string, fallback, limit int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return min(v, limit)
	}
	return min(fallback, limit)
}

func BenchmarkExactSearchFashion(b *testing.B) {
	loadFashionExact(b)
	f := &fashionExact
	nq := envCount("USEARCH_EXACT_QUERIES", f.nq, f.nq)
	benchExact(b, nq, func(threads uint) ([]usearch.Key, error) {
		keys, _, err := usearch.ExactSearch(f.base, f.queries[:nq*f.dims], uint(f.rows), uint(nq), 0, 0, uint(f.dims),
			usearch.L2sq, exactK, threads, 0, 0)
		return keys, err
	})
}

// BenchmarkExactSearchFashionU8 is BenchmarkExactSearchFashion over the exact pixel bytes.
func BenchmarkExactSearchFashionU8(b *testing.B) {
	loadFashionExact(b)
	f := &fashionExact
	nq := envCount("USEARCH_EXACT_QUERIES", f.nq, f.nq)
	toU8 := func(xs []float32) []uint8 {
		out := make([]uint8, len(xs))
		for i, x := range xs {
			out[i] = uint8(math.Round(float64(x) * 255))
		}
		return out
	}
	base, queries := toU8(f.base), toU8(f.queries[:nq*f.dims])
	benchExact(b, nq, func(threads uint) ([]usearch.Key, error) {
		keys, _, err := usearch.ExactSearchUnsafe(unsafe.Pointer(&base[0]), unsafe.Pointer(&queries[0]), uint(f.rows),
			uint(nq), 0, 0, uint(f.dims), usearch.L2sq, usearch.U8, exactK, threads, 0, 0)
		return keys, err
	})
}

const exactK = 10

func benchExact(b *testing.B, nq int, search func(threads uint) ([]usearch.Key, error)) {
	threads := envCount("USEARCH_EXACT_THREADS", 1, 1<<10)
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for range b.N {
		keys, err := search(uint(threads))
		if err != nil {
			b.Fatal(err)
		}
		if len(keys) != nq*exactK {
			b.Fatalf("got %d keys, want %d", len(keys), nq*exactK)
		}
	}
	wall, used := time.Since(start).Seconds(), (cpuTime() - cpu).Seconds()
	b.ReportMetric(float64(nq*b.N)/wall, "qps")
	if used > 0 {
		// Queries per CPU second: on a shared machine this depends much less on the others.
		b.ReportMetric(float64(nq*b.N)/used, "q/cpu-s")
		b.ReportMetric(used/wall, "cpu/wall")
	}
}
