//go:build cgo

package usearch

// Every usable kernel variant, forced one at a time, in both its pair and its batch form:
// long vectors (784, 1536 and ragged lengths past them) and extreme values against the
// serial variant. TestKernelVariantsAgree covers the short lengths and the Go reference.
// On arm64 CI runs these under qemu with CPU models that lack the extensions, so that each
// level is also the one dispatched somewhere (build.sh cmd_cross).

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// isaUsable lists the variants this CPU runs, serial (0) first.
func isaUsable() []int {
	var out []int
	for isa := 0; isa < coreISACount(); isa++ {
		if coreISAUsable(isa) {
			out = append(out, isa)
		}
	}
	return out
}

// extremeRow fills a row with values at the edges of the kind: the largest finite values,
// subnormals, zeros and ordinary values mixed, so that every lane and tail sees them. Float
// kinds stay small enough that f32 sums cannot overflow (else the order of additions would
// decide between a number and infinity); bf16 rows are scaled down for that reason.
func extremeRow(rng *rand.Rand, q Quantization, dims int) []byte {
	row := make([]byte, refRowBytes(q, dims))
	switch q {
	case I8:
		edges := []byte{0x80, 0x81, 0x7F, 0xFF, 0x00, 0x01}
		for i := range row {
			row[i] = edges[rng.Intn(len(edges))]
		}
		return row
	case U8:
		edges := []byte{0xFF, 0xFE, 0x00, 0x01, 0x80, 0x7F}
		for i := range row {
			row[i] = edges[rng.Intn(len(edges))]
		}
		return row
	case B1:
		for i := range row {
			row[i] = []byte{0x00, 0xFF, byte(rng.Intn(256))}[rng.Intn(3)]
		}
		row[0] |= 0x80 // Sorensen of two empty rows is 0/0
		return row
	case E5M2, E4M3, E3M2, E2M3:
		// Every code, with the non-finite ones (e5m2 inf/NaN, e4m3 NaN) moved to the
		// largest finite one; FP6 keeps random bits 6-7, which readers must ignore.
		rng.Read(row)
		for i, c := range row {
			switch {
			case q == E5M2 && c&0x7F >= 0x7C:
				row[i] = c&0x80 | 0x7B
			case q == E4M3 && c&0x7F == 0x7F:
				row[i] = c&0x80 | 0x7E
			}
		}
		return row
	}
	var big, tiny float64
	switch q {
	case F64:
		big, tiny = 1e150, 4.9e-324
	case F32:
		big, tiny = 1e17, 1.4e-45
	case F16:
		big, tiny = 65504, 5.960464477539063e-08
	case BF16:
		big, tiny = 1e17, 9.2e-41
	}
	for i := 0; i < dims; i++ {
		var x float64
		switch rng.Intn(5) {
		case 0:
			x = big
		case 1:
			x = tiny * float64(1+rng.Intn(3))
		case 2:
			x = 0
		default:
			x = rng.NormFloat64() * big / 1e3
		}
		if rng.Intn(2) == 0 {
			x = -x
		}
		if q != F64 {
			x = float64(float32(x))
		}
		refStoreFloat(q, row, i, x)
	}
	return row
}

// checkVariants compares every variant's pair and batch results for query against rows
// with the serial pair results: bit-exact where the kernels are exact (integers, bits),
// within the rounding of f32 sums otherwise, and non-finite results alike.
func checkVariants(t *testing.T, isas []int, c metricCase, query []byte, rows [][]byte, dims int) {
	t.Helper()
	exact := refExact(c.m, c.q)
	serial, scale := make([]float64, len(rows)), make([]float64, len(rows))
	for r, row := range rows {
		serial[r] = kernelDistance(t, 0, c, query, row, dims)
		if !exact {
			want := refDistance(c.m, c.q, query, row, dims)
			scale[r] = refScale(c.m, c.q, query, row, dims, want)
			if math.IsNaN(scale[r]) || math.IsInf(scale[r], 0) {
				scale[r] = math.Max(1, math.Abs(serial[r])) // NaN or infinite inputs: no reference scale
			}
		}
	}
	stride := refRowBytes(c.q, dims) + 3 // rows at odd offsets: no variant may assume alignment
	buf := layoutRows(rows, stride)
	for _, isa := range isas {
		batch := make([]float32, len(rows)+1) // never empty, so &batch[0] is valid
		st := coreDistancesISA(isa, unsafe.Pointer(&query[0]), unsafe.Pointer(&buf[0]), uint(len(rows)),
			uint(stride), c.q, uint(dims), c.m, &batch[0])
		require.Truef(t, st.ok(), "%s %v dims %d batch: %s", coreISAName(isa), c, dims, st.msg)
		for r, row := range rows {
			pair := kernelDistance(t, isa, c, query, row, dims)
			got, s := float64(batch[r]), serial[r]
			ctx := fmt.Sprintf("%s %v dims %d row %d", coreISAName(isa), c, dims, r)
			// Pair and batch run the same code; compilers may still contract multiply-adds
			// differently where the kernel is inlined into the batch loop.
			tol := 4 * float64(math.Nextafter32(1, 2)-1) * math.Max(1, math.Abs(pair))
			require.Truef(t, got == pair || (math.IsNaN(got) && math.IsNaN(pair)) || math.Abs(got-pair) <= tol,
				"%s: batch %v, pair %v", ctx, got, pair)
			switch {
			case math.IsNaN(s) || math.IsInf(s, 0):
				require.Truef(t, pair == s || (math.IsNaN(pair) && math.IsNaN(s)), "%s: %v, serial %v", ctx, pair, s)
			case exact:
				require.Equalf(t, s, pair, "%s (exact)", ctx)
			default:
				require.Truef(t, refClose(pair, s, 1e-5, scale[r]), "%s: %v, serial %v (scale %v)", ctx, pair, s, scale[r])
			}
		}
	}
}

// TestKernelVariantsLongAndBatch forces every usable variant on long rows, pair and batch.
func TestKernelVariantsLongAndBatch(t *testing.T) {
	lengths, nrows := []int{1, 7, 9, 15, 17, 31, 33, 63, 65, 129, 255, 784, 1536, 1537, 1543}, 5
	if testing.Short() { // short tails are TestKernelVariantsAgree's; keep the long ones
		lengths, nrows = []int{9, 784, 1543}, 3
	}
	usable := isaUsable()
	t.Logf("variants: %v", isaNames(usable))
	for ci, c := range metricCases(true) {
		rng := rand.New(rand.NewSource(int64(700 + ci)))
		for _, dims := range lengths {
			switch {
			case c.m == Haversine && dims < 2:
				continue
			case c.q == B1:
				dims = dims*8 - rng.Intn(8)
			}
			query := refRandomRow(rng, c.q, c.m, dims)
			rows := make([][]byte, nrows)
			for i := range rows {
				rows[i] = refRandomRow(rng, c.q, c.m, dims)
			}
			rows[nrows-1] = append([]byte(nil), query...) // equal to the query: distance 0 or its edge
			checkVariants(t, usable, c, query, rows, dims)
		}
	}
}

// TestKernelVariantsExtremeValues forces every usable variant on rows at the edges of each
// kind for ip, l2sq, cos and the bit metrics (pearson and divergence, whose inputs are bounded
// by their definitions, are covered by the tests above).
func TestKernelVariantsExtremeValues(t *testing.T) {
	usable := isaUsable()
	for ci, c := range metricCases(true) {
		switch c.m {
		case InnerProduct, L2sq, Cosine, Hamming, Tanimoto, Sorensen, Jaccard:
		default:
			continue
		}
		rng := rand.New(rand.NewSource(int64(800 + ci)))
		lengths := []int{1, 5, 8, 16, 17, 40, 100, 784, 1539}
		if testing.Short() {
			lengths = []int{5, 17, 100, 1539}
		}
		for _, dims := range lengths {
			if c.q == B1 {
				dims = dims*8 - rng.Intn(8)
			}
			query := extremeRow(rng, c.q, dims)
			rows := make([][]byte, 4)
			for i := range rows {
				rows[i] = extremeRow(rng, c.q, dims)
			}
			rows[3] = append([]byte(nil), query...)
			checkVariants(t, usable, c, query, rows, dims)
		}
	}
}

// TestKernelVariantsNaNCodes checks that every variant reads the mini-float NaN codes (and
// e5m2's infinities) as the tables do: the distance is NaN or infinite exactly when serial's is.
func TestKernelVariantsNaNCodes(t *testing.T) {
	usable := isaUsable()
	for _, q := range []Quantization{E5M2, E4M3} {
		for _, m := range []Metric{InnerProduct, L2sq, Cosine} {
			c := metricCase{m, q}
			for _, dims := range []int{1, 8, 9, 16, 17, 33} {
				for pos := 0; pos < dims; pos += 1 + dims/5 {
					for _, code := range []byte{0x7F, 0xFF, 0x7C, 0xFC, 0x7D} {
						a, b := make([]byte, dims), make([]byte, dims)
						for i := range a {
							a[i], b[i] = 0x38, 0x30 // ordinary finite values in both kinds
						}
						a[pos] = code
						checkVariants(t, usable, c, a, [][]byte{b}, dims)
					}
				}
			}
		}
	}
}

// isaNames names variants for logs.
func isaNames(isas []int) []string {
	out := make([]string, len(isas))
	for i, isa := range isas {
		out[i] = coreISAName(isa)
	}
	return out
}

// TestExactScanUsesSIMD checks that the blocked exact scan runs a SIMD micro-kernel on every
// x86 level that has one, newer levels included: ice and genoa once fell through to the
// serial tiles and made ExactSearch ten times slower on the CPUs that have them.
func TestExactScanUsesSIMD(t *testing.T) {
	for isa := 0; isa < coreISACount(); isa++ {
		name, level := coreISAName(isa), coreExactLevel(isa)
		switch {
		case name == "haswell":
			require.Equal(t, "haswell", level, "exact scan on %s", name)
		case name == "skylake" || name == "ice" || name == "genoa":
			require.Equal(t, "skylake", level, "exact scan on %s", name)
		default: // serial, and arm64 (no blocked NEON kernel yet)
			require.Equal(t, "serial", level, "exact scan on %s", name)
		}
	}
}
