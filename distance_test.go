//go:build cgo

package usearch

// Metric × storage kind tests: an index and the distance functions must agree with the
// pure-Go reference of reference_test.go over the values actually stored (exact search:
// exact_test.go). Then the SIMD kernels behind them: every compiled variant, per instruction
// set, against the serial one and the reference (float, one-byte integer and compact-code
// kernels).

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type metricCase struct {
	m Metric
	q Quantization
}

func (c metricCase) String() string { return c.m.String() + "/" + c.q.String() }

// metricCases lists the supported (or unsupported) pairs of the reference table.
func metricCases(supported bool) []metricCase {
	var out []metricCase
	for _, q := range refAllKinds {
		for _, m := range refAllMetrics {
			if refSupported(m, q) == supported {
				out = append(out, metricCase{m, q})
			}
		}
	}
	return out
}

// metricDims picks a dimension count with a ragged tail for each case.
func metricDims(c metricCase) int {
	switch {
	case c.m == Haversine:
		return 2
	case c.q == B1:
		return 37
	}
	return 19
}

// tstIndex is what both *Index (T = float32) and *IndexOf[T] offer.
type tstIndex[T Scalar] interface {
	Add(key Key, vec []T) error
	Search(query []T, limit uint) ([]Key, []float32, error)
	Get(key Key, maxCount uint) ([]T, error)
	Len() (uint, error)
	Close() error
}

var (
	_ tstIndex[float32] = (*Index)(nil)
	_ tstIndex[int8]    = (*IndexOf[int8])(nil)
)

// metricTolerance is the relative tolerance of a distance reported by the index.
func metricTolerance(c metricCase) float64 {
	if refExact(c.m, c.q) {
		return 0
	}
	return 1e-4
}

// checkRanking verifies that a search returned every stored row, each with its reference
// distance, in non-decreasing order, and that the i-th distance matches the i-th distance
// of the reference ranking (so ties may come in any order).
func checkRanking(t *testing.T, c metricCase, dims int, stored [][]byte, rowOf map[Key]int, query []byte,
	keys []Key, dists []float32, tol float64) {
	t.Helper()
	ref := refRank(c.m, c.q, stored, query, dims)
	require.Len(t, keys, len(stored), "search must return every stored vector")
	require.Len(t, dists, len(stored))
	seen := map[Key]bool{}
	for i, k := range keys {
		row, ok := rowOf[k]
		require.Truef(t, ok, "result %d: unknown key %d", i, k)
		require.Falsef(t, seen[k], "result %d: key %d returned twice", i, k)
		seen[k] = true
		got := float64(dists[i])
		want := refDistance(c.m, c.q, query, stored[row], dims)
		scale := refScale(c.m, c.q, query, stored[row], dims, want)
		assert.Truef(t, refClose(got, want, tol, scale), "%v key %d: distance %v, reference %v", c, k, got, want)
		rankScale := refScale(c.m, c.q, query, stored[ref[i].row], dims, ref[i].dist)
		assert.Truef(t, refClose(got, ref[i].dist, tol, math.Max(scale, rankScale)),
			"%v rank %d: distance %v, reference ranking has %v", c, i, got, ref[i].dist)
		if i > 0 {
			assert.LessOrEqualf(t, dists[i-1], dists[i], "%v: distances not ascending at %d", c, i)
		}
	}
}

// checkIndexAgainstReference adds inputs (of Go kind inKind) to idx, whose storage is c.q,
// and checks Get and Search against the reference over the stored rows.
func checkIndexAgainstReference[T Scalar](t *testing.T, idx tstIndex[T], c metricCase, dims int, inputs, queries [][]T) {
	t.Helper()
	inKind := quantizationOf[T]()
	stored := make([][]byte, len(inputs))
	rowOf := map[Key]int{}
	for i, v := range inputs {
		key := Key(1000 + 7*i)
		require.NoError(t, idx.Add(key, v))
		stored[i] = refCast(refRow(v), inKind, c.q, dims)
		rowOf[key] = i
	}
	n, err := idx.Len()
	require.NoError(t, err)
	require.Equal(t, uint(len(inputs)), n)

	// Get converts the stored row back to T.
	for key, row := range rowOf {
		got, err := idx.Get(key, 1)
		require.NoError(t, err)
		want := refCast(stored[row], c.q, inKind, dims)
		require.Equalf(t, want, refRow(got), "%v: Get(%d) as %v", c, key, inKind)
	}

	tol := metricTolerance(c)
	for qi, qv := range queries {
		query := refCast(refRow(qv), inKind, c.q, dims)
		for _, limit := range []uint{uint(len(inputs)), uint(len(inputs)) + 7} {
			keys, dists, err := idx.Search(qv, limit)
			require.NoError(t, err)
			checkRanking(t, c, dims, stored, rowOf, query, keys, dists, tol)
			if t.Failed() {
				t.Fatalf("%v: query %d (limit %d) failed", c, qi, limit)
			}
		}
	}
}

// naturalRows draws n random rows of the storage kind, typed as its natural Go type.
func naturalRows[T Scalar](rng *rand.Rand, c metricCase, dims, n int) [][]T {
	out := make([][]T, n)
	for i := range out {
		out[i] = refTyped[T](refRandomRow(rng, c.q, c.m, dims))
	}
	return out
}

func runNaturalIndex[T Scalar](t *testing.T, rng *rand.Rand, c metricCase, dims int) {
	idx, err := NewIndexOf[T](IndexConfig{Quantization: c.q, Metric: c.m, Dimensions: uint(dims)})
	require.NoError(t, err)
	defer idx.Close()
	inputs := naturalRows[T](rng, c, dims, 40)
	queries := append(naturalRows[T](rng, c, dims, 4), inputs[3])
	checkIndexAgainstReference[T](t, idx, c, dims, inputs, queries)
}

func TestIndexSearchMatchesReference(t *testing.T) {
	for ci, c := range metricCases(true) {
		t.Run(c.String(), func(t *testing.T) {
			dims := metricDims(c)
			t.Run("natural", func(t *testing.T) {
				rng := rand.New(rand.NewSource(int64(100 + ci)))
				switch c.q {
				case F64:
					runNaturalIndex[float64](t, rng, c, dims)
				case F32:
					runNaturalIndex[float32](t, rng, c, dims)
				case F16:
					runNaturalIndex[Float16](t, rng, c, dims)
				case BF16:
					runNaturalIndex[BFloat16](t, rng, c, dims)
				case I8:
					runNaturalIndex[int8](t, rng, c, dims)
				case U8:
					runNaturalIndex[uint8](t, rng, c, dims)
				case B1:
					runNaturalIndex[B1x8](t, rng, c, dims)
				case E5M2:
					runNaturalIndex[Float8E5M2](t, rng, c, dims)
				case E4M3:
					runNaturalIndex[Float8E4M3](t, rng, c, dims)
				case E3M2:
					runNaturalIndex[Float6E3M2](t, rng, c, dims)
				case E2M3:
					runNaturalIndex[Float6E2M3](t, rng, c, dims)
				default:
					t.Fatalf("no natural Go type for %v", c.q)
				}
			})
			t.Run("float32", func(t *testing.T) {
				rng := rand.New(rand.NewSource(int64(200 + ci)))
				if c.m == Haversine {
					dims = 3 // components past [lat, lon] are stored but ignored
				}
				idx, err := NewIndex(IndexConfig{Quantization: c.q, Metric: c.m, Dimensions: uint(dims)})
				require.NoError(t, err)
				defer idx.Close()
				inputs := make([][]float32, 40)
				for i := range inputs {
					inputs[i] = refRandomF32(rng, c.m, dims)
					if c.q == B1 && c.m == Sorensen {
						inputs[i][0] = 1 // never an empty bit set (0/0 is NaN)
					}
				}
				queries := [][]float32{refRandomF32(rng, c.m, dims), refRandomF32(rng, c.m, dims), inputs[5]}
				queries[0][0], queries[1][0] = 1, 1
				checkIndexAgainstReference[float32](t, idx, c, dims, inputs, queries)
			})
		})
	}
}

// distanceOfRows calls DistanceOf with rows reinterpreted as the kind's Go type.
func distanceOfRows(q Quantization, a, b []byte, m Metric) (float32, error) {
	switch q {
	case F64:
		return DistanceOf(refTyped[float64](a), refTyped[float64](b), m)
	case F32:
		return DistanceOf(refTyped[float32](a), refTyped[float32](b), m)
	case F16:
		return DistanceOf(refTyped[Float16](a), refTyped[Float16](b), m)
	case BF16:
		return DistanceOf(refTyped[BFloat16](a), refTyped[BFloat16](b), m)
	case I8:
		return DistanceOf(refTyped[int8](a), refTyped[int8](b), m)
	case U8:
		return DistanceOf(refTyped[uint8](a), refTyped[uint8](b), m)
	case E5M2:
		return DistanceOf(refTyped[Float8E5M2](a), refTyped[Float8E5M2](b), m)
	case E4M3:
		return DistanceOf(refTyped[Float8E4M3](a), refTyped[Float8E4M3](b), m)
	case E3M2:
		return DistanceOf(refTyped[Float6E3M2](a), refTyped[Float6E3M2](b), m)
	case E2M3:
		return DistanceOf(refTyped[Float6E2M3](a), refTyped[Float6E2M3](b), m)
	}
	return DistanceOf(refTyped[B1x8](a), refTyped[B1x8](b), m)
}

// distanceAll computes the distance with every entry point that accepts the kind and
// checks that they agree with each other; it returns DistanceUnsafe's answer.
func distanceAll(t *testing.T, c metricCase, a, b []byte, dims int) float32 {
	t.Helper()
	a, b = a[:refRowBytes(c.q, dims)], b[:refRowBytes(c.q, dims)]
	d, err := DistanceUnsafe(unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), uint(dims), c.m, c.q)
	require.NoError(t, err)
	same := func(name string, got float32, err error) {
		require.NoError(t, err, name)
		assert.Truef(t, math.Float32bits(d) == math.Float32bits(got) || (d != d && got != got), "%v %s: %v, DistanceUnsafe %v", c, name, got, d)
	}
	if c.q != B1 || dims%8 == 0 {
		got, err := distanceOfRows(c.q, a, b, c.m)
		same("DistanceOf", got, err)
	}
	switch c.q {
	case F32:
		got, err := Distance(refTyped[float32](a), refTyped[float32](b), uint(dims), c.m)
		same("Distance", got, err)
	case I8:
		got, err := DistanceI8(refTyped[int8](a), refTyped[int8](b), uint(dims), c.m)
		same("DistanceI8", got, err)
	}
	return d
}

func TestDistanceFunctionsMatchReference(t *testing.T) {
	for ci, c := range metricCases(true) {
		t.Run(c.String(), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(300 + ci)))
			for trial := 0; trial < 40; trial++ {
				dims := 1 + rng.Intn(70)
				switch {
				case c.m == Haversine:
					dims = 2 + rng.Intn(3)
				case c.q == B1:
					dims = 1 + rng.Intn(300)
				}
				a := refRandomRow(rng, c.q, c.m, dims)
				b := refRandomRow(rng, c.q, c.m, dims)
				if trial == 0 {
					b = a // identical vectors
				}
				got := float64(distanceAll(t, c, a, b, dims))
				want := refDistance(c.m, c.q, a, b, dims)
				tol := 1e-5
				if refExact(c.m, c.q) {
					tol = 0
				}
				scale := refScale(c.m, c.q, a, b, dims, want)
				assert.Truef(t, refClose(got, want, tol, scale), "%v dims %d: %v, reference %v", c, dims, got, want)
			}
		})
	}
}

func TestDistanceFormatTable(t *testing.T) {
	dims := len(refFormatA)
	for _, e := range refFormatTable {
		c := metricCase{e.m, e.q}
		t.Run(c.String(), func(t *testing.T) {
			a := refCast(refRow(refFormatA), F32, c.q, dims)
			b := refCast(refRow(refFormatB), F32, c.q, dims)
			got := distanceAll(t, c, a, b, dims)
			assert.Truef(t, refTableClose(float64(got), e.want, e.digits), "%v: DistanceUnsafe %v, docs/file-format.md %v", c, got, e.want)

			// Through an index: the f32 inputs are converted on add and on search.
			idx, err := NewIndex(IndexConfig{Quantization: c.q, Metric: c.m, Dimensions: uint(dims)})
			require.NoError(t, err)
			defer idx.Close()
			require.NoError(t, idx.Add(7, refFormatB))
			keys, dists, err := idx.Search(refFormatA, 1)
			require.NoError(t, err)
			require.Equal(t, []Key{7}, keys)
			assert.Truef(t, refTableClose(float64(dists[0]), e.want, e.digits), "%v: index %v, docs/file-format.md %v", c, dists[0], e.want)
		})
	}
}

func TestDistanceEdgeCases(t *testing.T) {
	// Zero bytes are the zero vector in every numeric kind.
	for _, q := range []Quantization{F64, F32, F16, BF16, I8, U8} {
		zero := make([]byte, refRowBytes(q, 4))
		ones := refCast(refRow([]float32{1, 2, 3, 4}), F32, q, 4)
		opposite := refCast(refRow([]float32{-1, -2, -3, -4}), F32, q, 4)
		e1 := refCast(refRow([]float32{0, 3, 0, 0}), F32, q, 4)
		e2 := refCast(refRow([]float32{0, 0, 0.5, 0}), F32, q, 4)
		c := metricCase{Cosine, q}
		assert.Equalf(t, float32(0), distanceAll(t, c, zero, zero, 4), "cos(0, 0) on %v", q)
		assert.Equalf(t, float32(1), distanceAll(t, c, zero, ones, 4), "cos(0, x) on %v", q)
		assert.Equalf(t, float32(1), distanceAll(t, c, ones, zero, 4), "cos(x, 0) on %v", q)
		assert.Equalf(t, float32(0), distanceAll(t, c, ones, ones, 4), "cos(x, x) on %v", q)
		assert.Equalf(t, float32(1), distanceAll(t, c, e1, e2, 4), "cos of orthogonal vectors on %v", q)
		if q != U8 { // u8 cannot hold negative components
			assert.InDeltaf(t, 2, distanceAll(t, c, ones, opposite, 4), 1e-6, "cos of opposite vectors on %v", q)
		}
		assert.Equalf(t, float32(1), distanceAll(t, metricCase{InnerProduct, q}, zero, ones, 4), "ip with 0 on %v", q)

		p := metricCase{Pearson, q}
		constant := refCast(refRow([]float32{2, 2, 2, 2}), F32, q, 4)
		assert.Equalf(t, float32(0), distanceAll(t, p, constant, ones, 4), "pearson of a constant vector on %v", q)
		assert.Equalf(t, float32(0), distanceAll(t, p, zero, ones, 4), "pearson of a zero vector on %v", q)
		assert.Equalf(t, float32(0), distanceAll(t, p, ones[:refRowBytes(q, 1)], ones[:refRowBytes(q, 1)], 1), "pearson with 1 dimension on %v", q)
		if q != U8 && q != I8 { // quantisation makes the integer vectors not exactly anti-correlated
			reversed := refCast(refRow([]float32{4, 3, 2, 1}), F32, q, 4)
			assert.InDeltaf(t, 2, distanceAll(t, p, ones, reversed, 4), 1e-6, "pearson of anti-correlated vectors on %v", q)
		}
		if q != I8 && q != U8 {
			assert.Equalf(t, float32(0), distanceAll(t, metricCase{Divergence, q}, zero, zero, 4), "divergence(0, 0) on %v", q)
			assert.InDeltaf(t, 0, distanceAll(t, metricCase{Divergence, q}, ones, ones, 4), 1e-5, "divergence(x, x) on %v", q)
		}
	}

	// Divergence: ε = 2^-23 matters for components of the order of ε. For a = [2^-20, 0],
	// b = [0, 2^-20]: ½·2·2^-20·ln((2^-20+ε)/(2^-21+ε)) = 2^-20·ln(9/5).
	for _, q := range []Quantization{F64, F32, F16, BF16} {
		a := refCast(refRow([]float64{math.Ldexp(1, -20), 0}), F64, q, 2)
		b := refCast(refRow([]float64{0, math.Ldexp(1, -20)}), F64, q, 2)
		assert.InEpsilonf(t, math.Ldexp(math.Log(1.8), -20), distanceAll(t, metricCase{Divergence, q}, a, b, 2), 1e-5,
			"divergence with components near ε on %v", q)
	}

	// Haversine: [60, 0] → [60, 90] is 0.72273 rad; components past [lat, lon] are ignored.
	for _, q := range []Quantization{F32, F64} {
		c := metricCase{Haversine, q}
		a := refCast(refRow([]float32{60, 0, 5}), F32, q, 3)
		b := refCast(refRow([]float32{60, 90, -7}), F32, q, 3)
		assert.InDeltaf(t, 0.72273, distanceAll(t, c, a, b, 2), 5e-6, "haversine on %v", q)
		assert.InDeltaf(t, 0.72273, distanceAll(t, c, a, b, 3), 5e-6, "haversine with 3 dims on %v", q)
		pole := refCast(refRow([]float32{90, 0}), F32, q, 2)
		south := refCast(refRow([]float32{-90, 0}), F32, q, 2)
		assert.InDeltaf(t, math.Pi, distanceAll(t, c, pole, south, 2), 1e-3, "pole to pole on %v", q)
	}

	// Bit metrics: empty sets, and padding bits count (docs/file-format.md, "Distance functions").
	empty := []byte{0, 0}
	sor, tan := metricCase{Sorensen, B1}, metricCase{Tanimoto, B1}
	assert.True(t, math.IsNaN(float64(distanceAll(t, sor, empty, empty, 16))), "sorensen of two empty sets is NaN")
	assert.Equal(t, float32(0), distanceAll(t, tan, empty, empty, 16), "tanimoto of two empty sets is 0")
	assert.Equal(t, float32(0), distanceAll(t, metricCase{Jaccard, B1}, empty, empty, 16))
	assert.Equal(t, float32(1), distanceAll(t, tan, empty, []byte{0x01, 0}, 16))
	assert.Equal(t, float32(1), distanceAll(t, sor, empty, []byte{0x01, 0}, 16))
	assert.Equal(t, float32(4), distanceAll(t, metricCase{Hamming, B1}, []byte{0xE1}, []byte{0x00}, 3),
		"hamming counts the padding bits of the last byte")
	assert.Equal(t, float32(16), distanceAll(t, metricCase{Hamming, B1}, []byte{0xFF, 0x00}, []byte{0x00, 0xFF}, 16))
}

func TestUnsupportedCombinations(t *testing.T) {
	a32, b32 := []float32{1, 2, 3, 4}, []float32{4, 3, 2, 1}
	a8, b8 := []int8{1, 2, 3, 4}, []int8{4, 3, 2, 1}
	buf := make([]byte, 64)
	p := unsafe.Pointer(&buf[0])
	for _, c := range metricCases(false) {
		isUnsupported := func(what string, err error) {
			t.Helper()
			assert.Truef(t, errors.Is(err, ErrUnsupported), "%v %s: got %v, want ErrUnsupported", c, what, err)
		}
		conf := IndexConfig{Quantization: c.q, Metric: c.m, Dimensions: 4}
		idx, err := NewIndex(conf)
		isUnsupported("NewIndex", err)
		assert.Nil(t, idx)
		_, err = NewIndexOf[float64](conf)
		isUnsupported("NewIndexOf", err)
		_, err = DistanceUnsafe(p, p, 4, c.m, c.q)
		isUnsupported("DistanceUnsafe", err)
		_, _, err = ExactSearchUnsafe(p, p, 2, 1, 0, 0, 4, c.m, c.q, 1, 1, 0, 0)
		isUnsupported("ExactSearchUnsafe", err)
		_, err = distanceOfRows(c.q, buf[:refRowBytes(c.q, 8)], buf[:refRowBytes(c.q, 8)], c.m)
		isUnsupported("DistanceOf", err)
		switch c.q {
		case F32:
			_, err = Distance(a32, b32, 4, c.m)
			isUnsupported("Distance", err)
			_, _, err = ExactSearch(a32, b32, 1, 1, 0, 0, 4, c.m, 1, 1, 0, 0)
			isUnsupported("ExactSearch", err)
		case I8:
			_, err = DistanceI8(a8, b8, 4, c.m)
			isUnsupported("DistanceI8", err)
			_, _, err = ExactSearchI8(a8, b8, 1, 1, 0, 0, 4, c.m, 1, 1, 0, 0)
			isUnsupported("ExactSearchI8", err)
		}
	}
	// Our own table agrees with the package's.
	for _, q := range refAllKinds {
		for _, m := range refAllMetrics {
			assert.Equalf(t, refSupported(m, q), q.supports(m), "supports(%v, %v)", m, q)
		}
		assert.False(t, q.supports(Metric(10)))
		assert.False(t, q.supports(Metric(255)))
	}
}

func TestDistanceArgumentErrors(t *testing.T) {
	a, b := []float32{1, 2, 3}, []float32{1, 2, 3}
	_, err := Distance(a, b, 4, L2sq)
	assert.ErrorIs(t, err, ErrDimensionMismatch)
	_, err = Distance(a, b[:2], 3, L2sq)
	assert.ErrorIs(t, err, ErrDimensionMismatch)
	_, err = Distance(a, b, 0, L2sq)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = Distance(a, b, 3, Metric(42))
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = Distance(a[:1], b[:1], 1, Haversine)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = DistanceI8([]int8{1}, []int8{1, 2}, 1, L2sq)
	assert.ErrorIs(t, err, ErrDimensionMismatch)
	_, err = DistanceOf([]Float16{1, 2}, []Float16{1}, L2sq)
	assert.ErrorIs(t, err, ErrDimensionMismatch)
	_, err = DistanceOf([]float64{}, []float64{}, L2sq)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = DistanceUnsafe(nil, unsafe.Pointer(&a[0]), 3, L2sq, F32)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = DistanceUnsafe(unsafe.Pointer(&a[0]), nil, 3, L2sq, F32)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = DistanceUnsafe(unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), 3, L2sq, Quantization(len(quantizationNames)))
	assert.ErrorIs(t, err, ErrInvalidArgument)
	d, err := Distance(a, []float32{1, 2, 5}, 3, L2sq)
	require.NoError(t, err)
	assert.Equal(t, float32(4), d)
}

// Every compiled kernel variant must agree with the "serial" one and with the Go
// reference, for every supported metric × kind, on lengths with every kind of tail.

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

// The one-byte integer kernels sum exactly, so every variant must reproduce the reference
// bit for bit, also where the sums leave 32 bits and where a kernel's blocks end; and the
// batch form of every variant (the one a graph walk calls) must agree with its pair form.

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

// Every usable kernel variant, forced one at a time, in both its pair and its batch form:
// long vectors (784, 1536 and ragged lengths past them) and extreme values against the
// serial variant. TestKernelVariantsAgree covers the short lengths and the Go reference.
// On arm64 CI runs these under qemu with CPU models that lack the extensions, so that each
// level is also the one dispatched somewhere (build.sh cmd_cross).

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

// TestCodesDotKernels compares every compiled code-distance kernel this CPU runs with the
// serial loop, at lengths around the vector widths (tails included) and at the extremes of
// both operands (255 x -127, where a 16-bit pairwise sum would saturate).
func TestCodesDotKernels(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	lengths := []int{0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 96, 127, 128, 129, 200, 784, 1536}
	for isa, name := range []string{"serial", "haswell", "vnni"} {
		if _, ok := coreCodesDot(isa, []uint8{1}, []int8{1}); !ok {
			t.Logf("%s: not run by this CPU", name)
			continue
		}
		for _, n := range lengths {
			for _, fill := range []string{"random", "extreme"} {
				codes, query := make([]uint8, n), make([]int8, n)
				want := int32(0)
				for i := range codes {
					if fill == "random" {
						codes[i], query[i] = uint8(rng.Intn(256)), int8(rng.Intn(255)-127)
					} else {
						codes[i], query[i] = 255, -127
					}
					want += int32(codes[i]) * int32(query[i])
				}
				got, _ := coreCodesDot(isa, codes, query)
				if got != want {
					t.Errorf("%s n=%d %s: %d, want %d", name, n, fill, got, want)
				}
			}
		}
	}
}

const isaChildEnv = "USEARCH_TEST_ISA_CHILD"

// TestISAFromEnvironment: USEARCH_ISA names a kernel level to stay at or below (csrc/kernels.hpp,
// cpu_isa), so that one machine can run and measure a smaller CPU's kernels. "serial" makes
// every index use the portable kernels; an unknown name changes nothing. The level is read
// once per process, so each setting runs in a child process of this test binary.
func TestISAFromEnvironment(t *testing.T) {
	if os.Getenv(isaChildEnv) != "" {
		idx, err := NewIndex(DefaultConfig(8))
		require.NoError(t, err)
		defer idx.Close()
		hw, err := idx.HardwareAcceleration()
		require.NoError(t, err)
		fmt.Printf("index=%s available=%s\n", hw, HardwareAccelerationAvailable())
		return
	}
	child := func(isa string) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestISAFromEnvironment$", "-test.v")
		cmd.Env = append(os.Environ(), isaChildEnv+"=1", "USEARCH_ISA="+isa)
		out, err := cmd.CombinedOutput()
		if errors.Is(err, syscall.ENOEXEC) {
			t.Skipf("cannot start a child process of this binary here (%v): emulated run", err)
		}
		require.NoError(t, err, "%s", out)
		line := regexp.MustCompile(`index=\S+ available=[^\n]*`).Find(out)
		require.NotNil(t, line, "the child printed no result: %s", out)
		return string(line)
	}
	idx, err := NewIndex(DefaultConfig(8))
	require.NoError(t, err)
	defer idx.Close()
	hw, err := idx.HardwareAcceleration()
	require.NoError(t, err)
	own := fmt.Sprintf("index=%s available=%s", hw, HardwareAccelerationAvailable())
	assert.Equal(t, "index=serial available=serial", child("serial"))
	assert.Equal(t, own, child("no-such-level"), "an unknown name leaves the detected level")
	assert.Equal(t, own, child(""), "an empty variable leaves the detected level")
}
