//go:build cgo

package usearch

// The one-byte integer kernels sum exactly, so every variant must reproduce the reference
// bit for bit, also where the sums leave 32 bits and where a kernel's blocks end; and the
// batch form of every variant (the one a graph walk calls) must agree with its pair form.

import (
	"math"
	"math/rand"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// usableISAs lists the kernel variants this CPU runs.
func usableISAs() []int {
	var out []int
	for isa := 0; isa < coreISACount(); isa++ {
		if coreISAUsable(isa) {
			out = append(out, isa)
		}
	}
	return out
}

// byteExtremesRow fills a one-byte row with a pattern of the kind's extreme values.
func byteExtremesRow(rng *rand.Rand, q Quantization, pattern, dims int) []byte {
	lo, hi := byte(0), byte(255)
	if q == I8 {
		lo, hi = 0x80, 0x7F // -128, 127
	}
	row := make([]byte, dims)
	for i := range row {
		switch pattern {
		case 0:
			row[i] = hi
		case 1:
			row[i] = lo
		case 2:
			row[i] = []byte{lo, hi}[i&1]
		default: // extremes, their neighbours and zero at random
			row[i] = []byte{lo, lo + 1, hi - 1, hi, 0, 1}[rng.Intn(6)]
		}
	}
	return row
}

func TestKernelIntegerExtremes(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	dimsList := []int{1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 255, 256, 257, 783, 784, 785, 1535, 1536, 1537}
	if !testing.Short() {
		// Past 2^31 / 255^2 ≈ 33k elements 32-bit sums overflow; 65536 is a block edge of the
		// integer kernels.
		dimsList = append(dimsList, 33100, 65535, 65536, 65537, 140001)
	}
	for _, q := range []Quantization{I8, U8} {
		for _, m := range []Metric{InnerProduct, L2sq, Cosine} {
			c := metricCase{m, q}
			for _, dims := range dimsList {
				for pa := 0; pa < 4; pa++ {
					for pb := 0; pb < 4; pb++ {
						a, b := byteExtremesRow(rng, q, pa, dims), byteExtremesRow(rng, q, pb, dims)
						want := refDistance(m, q, a, b, dims)
						for _, isa := range usableISAs() {
							got := kernelDistance(t, isa, c, a, b, dims)
							require.Truef(t, got == want || (math.IsNaN(got) && math.IsNaN(want)),
								"%s %v dims %d patterns %d/%d: %v, reference %v", coreISAName(isa), c, dims, pa, pb, got, want)
						}
					}
				}
			}
		}
	}
}

// TestBatchKernelsPerISA runs every variant's batch kernel against its own pair kernel on
// rows at unaligned strides, over group sizes that cross the C side's 64-row groups.
func TestBatchKernelsPerISA(t *testing.T) {
	for ci, c := range metricCases(true) {
		t.Run(c.String(), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(700 + ci)))
			for _, dims := range []int{1, 3, 17, 33, 64, 65, 96, 129, 784, 1537} {
				switch {
				case c.m == Haversine && dims < 2:
					continue
				case c.q == B1:
					dims = dims*8 - rng.Intn(8)
				}
				count := 1 + rng.Intn(70)
				stride := refRowBytes(c.q, dims) + rng.Intn(3)
				rows := make([][]byte, count)
				for i := range rows {
					rows[i] = refRandomRow(rng, c.q, c.m, dims)
				}
				buf := layoutRows(rows, stride)
				query := refRandomRow(rng, c.q, c.m, dims)
				out := make([]float32, count)
				for _, isa := range usableISAs() {
					st := coreDistancesISA(isa, unsafe.Pointer(&query[0]), unsafe.Pointer(&buf[0]), uint(count), uint(stride), c.q, uint(dims), c.m, &out[0])
					require.Truef(t, st.ok(), "%s %v: %s", coreISAName(isa), c, st.msg)
					for i, r := range rows {
						pair, st := coreDistanceISA(isa, unsafe.Pointer(&query[0]), unsafe.Pointer(&r[0]), c.q, uint(dims), c.m)
						require.True(t, st.ok(), st.msg)
						// As in TestBatchKernelsMatchPair: a few units in the last place.
						tol := 4 * float64(math.Nextafter32(1, 2)-1) * math.Max(1, math.Abs(float64(pair)))
						require.Truef(t, math.Abs(float64(pair)-float64(out[i])) <= tol || (math.IsNaN(float64(pair)) && math.IsNaN(float64(out[i]))),
							"%s %v dims %d row %d of %d: batch %v, pair %v", coreISAName(isa), c, dims, i, count, out[i], pair)
					}
				}
			}
		})
	}
}

func TestDistancesISARefusals(t *testing.T) {
	q := []float32{1, 2, 3}
	out := make([]float32, 1)
	st := coreDistancesISA(coreISACount(), unsafe.Pointer(&q[0]), unsafe.Pointer(&q[0]), 1, 12, F32, 3, L2sq, &out[0])
	require.False(t, st.ok(), "a variant past the last one is refused")
	st = coreDistancesISA(0, unsafe.Pointer(&q[0]), unsafe.Pointer(&q[0]), 1, 3, U8, 3, Haversine, &out[0])
	require.False(t, st.ok(), "an unsupported metric and kind are refused")
	st = coreDistancesISA(0, unsafe.Pointer(&q[0]), nil, 1, 12, F32, 3, L2sq, &out[0])
	require.False(t, st.ok(), "NULL rows are refused")
	require.Contains(t, st.msg, "NULL")
}
