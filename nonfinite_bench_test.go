//go:build cgo

package usearch

// The cost of Load's scan for non-finite vectors (csrc/nonfinite.hpp) next to Load itself:
//
//	go test -run '^$' -bench NonFinite -benchtime 5x .
//
// on a synthetic file of $USEARCH_NONFINITE_BENCH_MB megabytes of vectors (default 1024)
// of 256 float32 dimensions, with a valid graph of empty neighbor lists (what is timed here
// is reading vectors, not walking). Each sub-benchmark reports MB/s over the vector bytes:
//
//	Scan        the scan alone, as one pass over the file's vectors in memory; Load runs
//	            it on each row just after copying it, while it is in cache, so this pass
//	            from memory is an upper bound on what it adds to Load
//	LoadBuffer  LoadBuffer of the image (copy, records, key map, scan included)
//	Load        Load of the image from a file (in the page cache after the first run)
//
// Scan's MB/s over LoadBuffer's gives the scan's share of a load: with Scan at S MB/s and
// LoadBuffer at L MB/s, the scan costs at most L/S of the load time (1000/S seconds per GB).

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unsafe"
)

// syntheticImage returns a valid file image (docs/file-format.md, "Layout") of rows f32
// vectors of dims elements under keys 0..rows-1, cosine, every node on level 0 with no
// neighbors.
func syntheticImage(rows, dims int) []byte {
	const m, m0 = 16, 32
	cols := dims * 4
	tape := 14 + 4*m0
	le := binary.LittleEndian
	img := make([]byte, 0, 8+rows*cols+64+40+2*rows+rows*tape)
	img = le.AppendUint32(img, uint32(rows))
	img = le.AppendUint32(img, uint32(cols))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < rows*dims; i++ {
		img = le.AppendUint32(img, math.Float32bits(r.Float32()*2-1))
	}
	header := make([]byte, 64)
	copy(header, "usearch")
	le.PutUint16(header[7:], 2)
	le.PutUint16(header[9:], 26)
	le.PutUint16(header[11:], 2)
	header[13], header[14], header[15], header[16] = 'c', 11, 14, 15 // cos, f32, u64 keys, u32 slots
	le.PutUint64(header[17:], uint64(rows))
	le.PutUint64(header[33:], uint64(dims))
	img = append(img, header...)
	for _, v := range []uint64{uint64(rows), m, m0, 0, 0} { // size, M, M0, max level, entry
		img = le.AppendUint64(img, v)
	}
	img = append(img, make([]byte, 2*rows)...) // every level 0
	record := make([]byte, tape)
	for k := 0; k < rows; k++ {
		le.PutUint64(record, uint64(k))
		img = append(img, record...)
	}
	return img
}

func BenchmarkNonFiniteScan(b *testing.B) {
	megabytes := 1024
	if s := os.Getenv("USEARCH_NONFINITE_BENCH_MB"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("USEARCH_NONFINITE_BENCH_MB=%q: want a positive number of megabytes", s)
		}
		megabytes = v
	}
	const dims = 256
	rows := megabytes << 20 / (dims * 4)
	img := syntheticImage(rows, dims)
	vectorBytes := int64(rows) * dims * 4
	path := filepath.Join(b.TempDir(), "synthetic.usearch")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		b.Fatal(err)
	}

	b.Run("Scan", func(b *testing.B) {
		b.SetBytes(vectorBytes)
		for range b.N {
			if row, _ := coreFirstNonFinite(unsafe.Pointer(&img[8]), uint(rows), dims*4, F32, dims); row != uint(rows) {
				b.Fatalf("row %d reported non-finite in a finite file", row)
			}
		}
	})
	load := func(b *testing.B, do func(idx *Index) error) {
		b.SetBytes(vectorBytes)
		for range b.N {
			b.StopTimer()
			idx, err := NewIndex(IndexConfig{Dimensions: dims, Metric: Cosine, Quantization: F32})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := do(idx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if n, _ := idx.Len(); n != uint(rows) {
				b.Fatalf("loaded %d vectors, want %d", n, rows)
			}
			idx.Close()
			b.StartTimer()
		}
	}
	b.Run("LoadBuffer", func(b *testing.B) {
		load(b, func(idx *Index) error { return idx.LoadBuffer(img, uint(len(img))) })
	})
	b.Run("Load", func(b *testing.B) {
		load(b, func(idx *Index) error { return idx.Load(path) })
	})
}

// BenchmarkNonFiniteGuard compares the check a view's guard adds to each scored vector
// (metric_t::guard: the same scan, on a vector the kernel has just read) with the distance
// kernel itself (the best instruction set this CPU runs), on 64 rows of 96 dimensions (a
// level-0 neighbor list is 32) that stay in the L1 cache, as a scored neighbor's row is when
// the guard reads it; each call crosses cgo once, about 1 ns a row of both:
//
//	go test -run '^$' -bench NonFiniteGuard -count 5 .
//
// Each reports ns/row; scan/kernel bounds the guard's share of a view's distance work (a
// walk also waits for memory at every hop, which the guard does not add to).
func BenchmarkNonFiniteGuard(b *testing.B) {
	const rows, dims = 64, 96
	isa := 0
	for i := range coreISACount() {
		if coreISAUsable(i) {
			isa = i
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, q := range []Quantization{F32, F16, BF16} {
		stride := q.bytesPerVector(dims)
		data := make([]byte, rows*stride)
		values := make([]float32, dims)
		for row := range rows {
			for d := range values {
				values[d] = r.Float32()*2 - 1
			}
			if st := coreCast(unsafe.Pointer(&values[0]), F32, unsafe.Pointer(&data[uint(row)*stride]), q, dims); !st.ok() {
				b.Fatal(statusError("cast", st, ""))
			}
		}
		query := data[:stride]
		out := make([]float32, rows)
		b.Run(q.String()+"/kernel", func(b *testing.B) {
			for range b.N {
				if st := coreDistancesISA(isa, unsafe.Pointer(&query[0]), unsafe.Pointer(&data[0]), rows, stride, q, dims, Cosine, &out[0]); !st.ok() {
					b.Fatal(statusError("distances", st, ""))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
		b.Run(q.String()+"/scan", func(b *testing.B) {
			for range b.N {
				if row, _ := coreFirstNonFinite(unsafe.Pointer(&data[0]), rows, stride, q, dims); row != rows {
					b.Fatalf("row %d reported non-finite", row)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}

// The scan finds what the loaders refuse, at every position of a row and in every kind that
// can hold a non-finite value (the vectorized loop has a tail that a short row exercises).
func TestFirstNonFiniteFindsEveryPosition(t *testing.T) {
	type kind struct {
		q    Quantization
		size int
		bits []uint64 // NaN, +Inf, -Inf codes (e4m3: NaN only)
	}
	kinds := []kind{
		{F64, 8, []uint64{0x7FF8000000000000, 0x7FF0000000000000, 0xFFF0000000000000}},
		{F32, 4, []uint64{0x7FC00000, 0x7F800000, 0xFF800000}},
		{F16, 2, []uint64{0x7E00, 0x7C00, 0xFC00}},
		{BF16, 2, []uint64{0x7FC0, 0x7F80, 0xFF80}},
		{E5M2, 1, []uint64{0x7E, 0x7C, 0xFC}},
		{E4M3, 1, []uint64{0x7F, 0xFF}},
	}
	for _, k := range kinds {
		for _, dims := range []int{1, 7, 33} {
			const rows = 5
			stride := dims*k.size + 3 // rows need not be packed or aligned
			buf := make([]byte, rows*stride+1)
			data := buf[1:] // unaligned
			// Finite values of every exponent short of all ones (largest finite included).
			for r := range rows {
				for d := range dims {
					putElement(data[r*stride+d*k.size:], k.size, largestFinite(k.q))
				}
			}
			if row, _ := coreFirstNonFinite(unsafe.Pointer(&data[0]), rows, uint(stride), k.q, uint(dims)); row != rows {
				t.Fatalf("%v d=%d: finite rows reported non-finite at row %d", k.q, dims, row)
			}
			for _, bits := range k.bits {
				for d := range dims {
					at := 3*stride + d*k.size
					putElement(data[at:], k.size, bits)
					row, dim := coreFirstNonFinite(unsafe.Pointer(&data[0]), rows, uint(stride), k.q, uint(dims))
					if row != 3 || dim != uint(d) {
						t.Fatalf("%v d=%d: %#x at row 3 element %d reported at row %d element %d", k.q, dims, bits, d, row, dim)
					}
					putElement(data[at:], k.size, largestFinite(k.q))
				}
			}
		}
	}
	// Kinds without non-finite codes are never reported, whatever their bytes.
	ones := []byte{0xFF, 0xFF, 0xFF, 0xFF}
	for _, q := range []Quantization{I8, U8, B1, E3M2, E2M3} {
		if row, _ := coreFirstNonFinite(unsafe.Pointer(&ones[0]), 1, 4, q, 4); row != 1 {
			t.Fatalf("%v: all-ones bytes reported non-finite", q)
		}
	}
}

// largestFinite is the bit pattern of the largest finite value of a float kind.
func largestFinite(q Quantization) uint64 {
	switch q {
	case F64:
		return math.Float64bits(math.MaxFloat64)
	case F32:
		return uint64(math.Float32bits(math.MaxFloat32))
	case F16:
		return 0x7BFF
	case BF16:
		return 0x7F7F
	case E5M2:
		return 0x7B
	}
	return 0x7E // e4m3: 448
}

func putElement(p []byte, size int, bits uint64) {
	for i := range size {
		p[i] = byte(bits >> (8 * i))
	}
}
