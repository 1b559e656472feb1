//go:build cgo

package usearch

// Every compiled kernel variant must agree with the "serial" one and with the Go
// reference, for every supported metric × kind, on lengths with every kind of tail.

import (
	"math"
	"math/rand"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kernelLengths are the dimension counts tried: every length up to 70 (all tails of 8-,
// 16-, 32- and 64-wide loops), the edges of wider blocks, and random ones up to 300.
func kernelLengths(rng *rand.Rand) []int {
	var out []int
	for n := 1; n <= 70; n++ {
		out = append(out, n)
	}
	out = append(out, 95, 96, 97, 127, 128, 129, 255, 256, 257, 300, 783, 784, 1536, 1537)
	for i := 0; i < 20; i++ {
		out = append(out, 1+rng.Intn(300))
	}
	return out
}

func kernelDistance(t *testing.T, isa int, c metricCase, a, b []byte, dims int) float64 {
	t.Helper()
	d, st := coreDistanceISA(isa, unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), c.q, uint(dims), c.m)
	require.Truef(t, st.ok(), "%s %v dims %d: %s", coreISAName(isa), c, dims, st.msg)
	return float64(d)
}

func TestKernelVariantsAgree(t *testing.T) {
	n := coreISACount()
	require.GreaterOrEqual(t, n, 1)
	require.Equal(t, "serial", coreISAName(0), "variant 0 is the portable one")
	require.True(t, coreISAUsable(0), "serial always runs")
	assert.Empty(t, coreISAName(n), "no name past the last variant")
	assert.False(t, coreISAUsable(n))
	assert.False(t, coreISAUsable(-1))

	compiled := strings.Split(HardwareAccelerationCompiled(), ", ")
	available := strings.Split(HardwareAccelerationAvailable(), ", ")
	var usable []int
	for isa := 0; isa < n; isa++ {
		name := coreISAName(isa)
		if coreISAUsable(isa) {
			usable = append(usable, isa)
			assert.Containsf(t, available, name, "usable variant %s is listed as available", name)
		} else {
			// An unusable variant must be refused, not run.
			a := []float32{1, 2}
			_, st := coreDistanceISA(isa, unsafe.Pointer(&a[0]), unsafe.Pointer(&a[0]), F32, 2, L2sq)
			assert.Falsef(t, st.ok(), "variant %s is not usable but ran", name)
			assert.NotContains(t, available, name)
		}
		if coreISAUsable(isa) {
			assert.Containsf(t, compiled, name, "variant %s is listed as compiled", name)
		}
	}
	t.Logf("kernel variants: compiled %v, usable here %d of %d", compiled, len(usable), n)

	for ci, c := range metricCases(true) {
		t.Run(c.String(), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(500 + ci)))
			exact := refExact(c.m, c.q)
			for _, dims := range kernelLengths(rng) {
				switch {
				case c.m == Haversine && dims < 2:
					continue
				case c.q == B1:
					dims = dims*8 - rng.Intn(8) // bits: up to 300 bytes, ragged last byte
				}
				// Rows start at odd offsets so that no variant may assume alignment.
				off := rng.Intn(3)
				a := append(make([]byte, off), refRandomRow(rng, c.q, c.m, dims)...)[off:]
				b := append(make([]byte, off+1), refRandomRow(rng, c.q, c.m, dims)...)[off+1:]
				want := refDistance(c.m, c.q, a, b, dims)
				scale := refScale(c.m, c.q, a, b, dims, want)
				serial := kernelDistance(t, 0, c, a, b, dims)
				for _, isa := range usable {
					got := serial
					if isa != 0 {
						got = kernelDistance(t, isa, c, a, b, dims)
					}
					name := coreISAName(isa)
					if exact {
						require.Truef(t, got == want || (math.IsNaN(got) && math.IsNaN(want)),
							"%s %v dims %d: %v, reference %v (exact)", name, c, dims, got, want)
						continue
					}
					require.Truef(t, refClose(got, serial, 1e-5, scale),
						"%s %v dims %d: %v, serial %v", name, c, dims, got, serial)
					require.Truef(t, refClose(got, want, 1e-5, scale),
						"%s %v dims %d: %v, reference %v (scale %v)", name, c, dims, got, want, scale)
				}
			}
		})
	}
}

// TestKernelDispatchIsBestVariant checks that indexes and Distance use the best usable
// variant, which is the last usable one.
func TestKernelDispatchIsBestVariant(t *testing.T) {
	best := ""
	for isa := 0; isa < coreISACount(); isa++ {
		if coreISAUsable(isa) {
			best = coreISAName(isa)
		}
	}
	available := strings.Split(HardwareAccelerationAvailable(), ", ")
	assert.Equal(t, best, available[len(available)-1])
	idx, err := NewIndex(DefaultConfig(8))
	require.NoError(t, err)
	defer idx.Close()
	hw, err := idx.HardwareAcceleration()
	require.NoError(t, err)
	assert.Equal(t, best, hw)
}

// TestBatchKernelsMatchPair checks that the batch form of the dispatched kernel (used by
// index search and exact search) gives the same distances as the pair form (used by
// Distance), on every tail length.
func TestBatchKernelsMatchPair(t *testing.T) {
	for ci, c := range metricCases(true) {
		t.Run(c.String(), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(600 + ci)))
			lengths := []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 100, 300}
			for _, dims := range lengths {
				switch {
				case c.m == Haversine && dims < 2:
					continue
				case c.q == B1:
					dims = dims*8 - rng.Intn(8)
				}
				row := refRowBytes(c.q, dims)
				const n = 6
				dataset := make([][]byte, n)
				for i := range dataset {
					dataset[i] = refRandomRow(rng, c.q, c.m, dims)
				}
				query := refRandomRow(rng, c.q, c.m, dims)
				buf := layoutRows(dataset, row)
				keys, dists, err := ExactSearchUnsafe(unsafe.Pointer(&buf[0]), unsafe.Pointer(&query[0]), n, 1, 0, 0,
					uint(dims), c.m, c.q, n, 1, 0, 0)
				require.NoError(t, err)
				for i, k := range keys {
					pair, err := DistanceUnsafe(unsafe.Pointer(&query[0]), unsafe.Pointer(&dataset[k][0]), uint(dims), c.m, c.q)
					require.NoError(t, err)
					// Bit-identical on x86; compilers may contract multiply-adds differently
					// where the kernel is inlined into the batch loop (seen on arm64 clang),
					// so allow a few units in the last place of the accumulated terms.
					tol := 4 * float64(math.Nextafter32(1, 2)-1) * math.Max(1, math.Abs(float64(pair)))
					require.Truef(t, math.Abs(float64(pair)-float64(dists[i])) <= tol,
						"%v dims %d row %d: batch %v, pair %v", c, dims, k, dists[i], pair)
				}
			}
		})
	}
}
