//go:build cgo

package usearch

// Metric × storage kind tests: an index, the distance functions and exact search must
// agree with the pure-Go reference of reference_test.go over the values actually stored.

import (
	"errors"
	"math"
	"math/rand"
	"sort"
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
	_, err = DistanceUnsafe(unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), 3, L2sq, Quantization(9))
	assert.ErrorIs(t, err, ErrInvalidArgument)
	d, err := Distance(a, []float32{1, 2, 5}, 3, L2sq)
	require.NoError(t, err)
	assert.Equal(t, float32(4), d)
}

// ---- exact search ----

// layoutRows places rows at a byte stride in one buffer; gap bytes are filled with 0xFF
// (NaN in every float kind) so that reading them would show.
func layoutRows(rows [][]byte, stride int) []byte {
	buf := make([]byte, len(rows)*stride+8)
	for i := range buf {
		buf[i] = 0xFF
	}
	for i, r := range rows {
		copy(buf[i*stride:], r)
	}
	return buf
}

// checkExact verifies exact-search output laid out at element strides.
func checkExact(t *testing.T, c metricCase, dims int, dataset, queries [][]byte, maxResults int,
	keys []Key, dists []float32, keysStride, distsStride int) {
	t.Helper()
	require.Len(t, keys, (len(queries)-1)*keysStride+maxResults)
	require.Len(t, dists, (len(queries)-1)*distsStride+maxResults)
	tol := 1e-5
	if refExact(c.m, c.q) {
		tol = 0
	}
	for qi, query := range queries {
		ref := refRank(c.m, c.q, dataset, query, dims)
		seen := map[Key]bool{}
		for i := 0; i < maxResults; i++ {
			k, d := keys[qi*keysStride+i], dists[qi*distsStride+i]
			if i >= len(dataset) {
				assert.Equalf(t, Key(0), k, "%v query %d slot %d: padding key", c, qi, i)
				assert.Truef(t, math.IsNaN(float64(d)), "%v query %d slot %d: padding distance %v, want NaN", c, qi, i, d)
				continue
			}
			require.Lessf(t, k, Key(len(dataset)), "%v query %d slot %d: key is not a row number", c, qi, i)
			require.False(t, seen[k], "row returned twice")
			seen[k] = true
			want := refDistance(c.m, c.q, query, dataset[k], dims)
			scale := refScale(c.m, c.q, query, dataset[k], dims, want)
			assert.Truef(t, refClose(float64(d), want, tol, scale), "%v query %d row %d: %v, reference %v", c, qi, k, d, want)
			assert.Truef(t, refClose(float64(d), ref[i].dist, tol, math.Max(scale, refScale(c.m, c.q, query, dataset[ref[i].row], dims, ref[i].dist))),
				"%v query %d rank %d: %v, reference ranking %v", c, qi, i, d, ref[i].dist)
			if tol == 0 {
				// Exact distances: ties are broken by row number.
				assert.Equalf(t, Key(ref[i].row), k, "%v query %d rank %d", c, qi, i)
			}
		}
		if qi+1 < len(queries) {
			for i := maxResults; i < keysStride; i++ {
				assert.Equal(t, Key(0), keys[qi*keysStride+i], "gap between result rows was written")
			}
			for i := maxResults; i < distsStride; i++ {
				assert.Equal(t, float32(0), dists[qi*distsStride+i], "gap between result rows was written")
			}
		}
	}
}

func TestExactSearchUnsafeMatchesReference(t *testing.T) {
	for ci, c := range metricCases(true) {
		t.Run(c.String(), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(400 + ci)))
			dims := metricDims(c) + 2
			if c.m == Haversine {
				dims = 2
			}
			row := refRowBytes(c.q, dims)
			for _, shape := range []struct{ n, nq, k, threads int }{{23, 5, 4, 0}, {23, 3, 23, 1}, {6, 4, 9, 3}, {0, 2, 3, 2}, {1, 1, 1, 0}} {
				dataset := make([][]byte, shape.n)
				for i := range dataset {
					dataset[i] = refRandomRow(rng, c.q, c.m, dims)
				}
				queries := make([][]byte, shape.nq)
				for i := range queries {
					queries[i] = refRandomRow(rng, c.q, c.m, dims)
				}
				if shape.n > 2 {
					queries[0] = dataset[2]
				}
				dStride, qStride := row+3, row+1
				dBuf, qBuf := layoutRows(dataset, dStride), layoutRows(queries, qStride)
				kStride, dsStride := shape.k+2, shape.k+1
				keys, dists, err := ExactSearchUnsafe(unsafe.Pointer(&dBuf[0]), unsafe.Pointer(&qBuf[0]),
					uint(shape.n), uint(shape.nq), uint(dStride), uint(qStride), uint(dims), c.m, c.q,
					uint(shape.k), uint(shape.threads), uint(kStride*8), uint(dsStride*4))
				require.NoError(t, err)
				checkExact(t, c, dims, dataset, queries, shape.k, keys, dists, kStride, dsStride)

				// Dense layout (strides 0) gives the same answer.
				dense := layoutRows(dataset, row)
				denseQ := layoutRows(queries, row)
				keys2, dists2, err := ExactSearchUnsafe(unsafe.Pointer(&dense[0]), unsafe.Pointer(&denseQ[0]),
					uint(shape.n), uint(shape.nq), 0, 0, uint(dims), c.m, c.q, uint(shape.k), 1, 0, 0)
				require.NoError(t, err)
				checkExact(t, c, dims, dataset, queries, shape.k, keys2, dists2, shape.k, shape.k)
			}
		})
	}
}

func TestExactSearchFloat32AndI8(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	const dims, n, nq, k = 11, 30, 4, 6
	for _, m := range []Metric{L2sq, Cosine, InnerProduct, Pearson} {
		c := metricCase{m, F32}
		dataset := make([][]byte, n)
		flat := make([]float32, 0, n*(dims+3))
		for i := range dataset {
			v := refRandomF32(rng, m, dims)
			dataset[i] = refRow(v)
			flat = append(flat, v...)
			flat = append(flat, float32(math.NaN()), 1e30, -1e30) // stride padding
		}
		queries := make([][]byte, nq)
		qflat := make([]float32, 0, nq*(dims+1))
		for i := range queries {
			v := refRandomF32(rng, m, dims)
			queries[i] = refRow(v)
			qflat = append(qflat, v...)
			qflat = append(qflat, float32(math.Inf(1)))
		}
		for _, threads := range []uint{0, 1, 2, 7} {
			keys, dists, err := ExactSearch(flat, qflat, n, nq, (dims+3)*4, (dims+1)*4, dims, m, k, threads, (k+1)*8, (k+3)*4)
			require.NoError(t, err)
			checkExact(t, c, dims, dataset, queries, k, keys, dists, k+1, k+3)
		}
		// More results than rows: padded with key 0 and NaN.
		keys, dists, err := ExactSearch(flat, qflat, 5, nq, (dims+3)*4, (dims+1)*4, dims, m, 8, 0, 0, 0)
		require.NoError(t, err)
		checkExact(t, c, dims, dataset[:5], queries, 8, keys, dists, 8, 8)
	}

	// i8: exact integer distances, ties broken by row number.
	for _, m := range []Metric{L2sq, InnerProduct, Cosine, Pearson} {
		c := metricCase{m, I8}
		dataset := make([][]byte, n)
		var flat []int8
		for i := range dataset {
			v := make([]int8, dims)
			for j := range v {
				v[j] = int8(rng.Intn(7) - 3) // small range: many ties
			}
			dataset[i] = refRow(v)
			flat = append(flat, v...)
		}
		dataset[9], dataset[17] = dataset[4], dataset[4] // exact duplicates
		copy(flat[9*dims:], refTyped[int8](dataset[4]))
		copy(flat[17*dims:], refTyped[int8](dataset[4]))
		queries := [][]byte{dataset[4], dataset[0], refRow(make([]int8, dims))}
		var qflat []int8
		for _, q := range queries {
			qflat = append(qflat, refTyped[int8](q)...)
		}
		keys, dists, err := ExactSearchI8(flat, qflat, n, uint(len(queries)), 0, 0, dims, m, n+2, 0, 0, 0)
		require.NoError(t, err)
		checkExact(t, c, dims, dataset, queries, n+2, keys, dists, n+2, n+2)
		if m == L2sq {
			assert.Equal(t, []Key{4, 9, 17}, keys[:3], "duplicates at distance 0, in row order")
			assert.Equal(t, []float32{0, 0, 0}, dists[:3])
		}
	}
}

func TestExactSearchArguments(t *testing.T) {
	data := make([]float32, 40)
	for i := range data {
		data[i] = float32(i)
	}
	// Empty outputs.
	keys, dists, err := ExactSearch(data, data, 10, 0, 0, 0, 4, L2sq, 3, 0, 0, 0)
	require.NoError(t, err)
	assert.Empty(t, keys)
	assert.Empty(t, dists)
	keys, dists, err = ExactSearch(data, data, 10, 2, 0, 0, 4, L2sq, 0, 0, 0, 0)
	require.NoError(t, err)
	assert.Empty(t, keys)
	assert.Empty(t, dists)
	// Dataset of size 0: everything is padding.
	keys, dists, err = ExactSearch(nil, data, 0, 2, 0, 0, 4, L2sq, 3, 0, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, []Key{0, 0, 0, 0, 0, 0}, keys)
	for _, d := range dists {
		assert.True(t, math.IsNaN(float64(d)))
	}
	// Strides.
	_, _, err = ExactSearch(data, data, 2, 1, 18, 0, 4, L2sq, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrInvalidArgument, "dataset stride not a multiple of 4")
	_, _, err = ExactSearch(data, data, 2, 1, 12, 0, 4, L2sq, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrInvalidArgument, "dataset stride shorter than a row")
	_, _, err = ExactSearch(data, data, 2, 1, 0, 8, 4, L2sq, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrInvalidArgument, "query stride shorter than a row")
	_, _, err = ExactSearch(data, data, 2, 2, 0, 0, 4, L2sq, 2, 0, 12, 0)
	assert.ErrorIs(t, err, ErrInvalidArgument, "key stride shorter than a result row")
	_, _, err = ExactSearch(data, data, 2, 2, 0, 0, 4, L2sq, 2, 0, 0, 6)
	assert.ErrorIs(t, err, ErrInvalidArgument, "distance stride shorter than a result row")
	// Sizes beyond the slices.
	_, _, err = ExactSearch(data, data, 11, 1, 0, 0, 4, L2sq, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrDimensionMismatch)
	_, _, err = ExactSearch(data, data[:7], 2, 2, 0, 0, 4, L2sq, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrDimensionMismatch)
	keys, _, err = ExactSearch(data, data, 3, 1, 64, 0, 4, L2sq, 1, 0, 0, 0)
	require.NoError(t, err, "3 rows at a stride of 16 floats need 2*16+4 = 36 of the 40 floats")
	assert.Equal(t, []Key{0}, keys, "query [0 1 2 3] is row 0")
	_, _, err = ExactSearch(data, data, 4, 1, 64, 0, 4, L2sq, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrDimensionMismatch, "4 rows at stride 64 need 52 floats")
	_, _, err = ExactSearchI8(make([]int8, 7), make([]int8, 4), 2, 1, 0, 0, 4, L2sq, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrDimensionMismatch)
	_, _, err = ExactSearch(data, data, 2, 1, 0, 0, 0, L2sq, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, _, err = ExactSearch(data, data, 2, 1, 0, 0, 1, Haversine, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	// Nil pointers.
	p := unsafe.Pointer(&data[0])
	_, _, err = ExactSearchUnsafe(nil, p, 2, 1, 0, 0, 4, L2sq, F32, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, _, err = ExactSearchUnsafe(p, nil, 2, 1, 0, 0, 4, L2sq, F32, 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, _, err = ExactSearchUnsafe(p, p, 2, 1, 0, 0, 4, L2sq, Quantization(7), 1, 0, 0, 0)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	keys, _, err = ExactSearchUnsafe(nil, p, 0, 1, 0, 0, 4, L2sq, F32, 2, 0, 0, 0)
	require.NoError(t, err, "a nil dataset of 0 rows is fine")
	assert.Equal(t, []Key{0, 0}, keys)
}

// exactSearchHugeSizes are exact searches whose byte counts overflow uint: each must fail
// with an error. Done wrong, the Go side sizes its slices with a wrapped-around product and
// C then reads or writes far outside them, so each case runs in a child process.
var exactSearchHugeSizes = map[string]func() error{
	"dataset stride 2^62": func() error {
		data := make([]float32, 8)
		_, _, err := ExactSearch(data, data, 5, 1, 1<<62, 0, 4, L2sq, 1, 0, 0, 0)
		return err
	},
	"query count 2^62+1": func() error {
		data := make([]float32, 8)
		_, _, err := ExactSearch(data, data, 2, 1<<62+1, 0, 0, 4, L2sq, 1, 0, 0, 0)
		return err
	},
	"result key stride 2^62": func() error {
		data := make([]float32, 40)
		_, _, err := ExactSearch(data, data, 2, 5, 0, 0, 4, L2sq, 1, 0, 1<<62, 0)
		return err
	},
	"result distance stride 2^62 (i8)": func() error {
		data := make([]int8, 40)
		_, _, err := ExactSearchI8(data, data, 2, 5, 0, 0, 4, L2sq, 1, 0, 0, 1<<62)
		return err
	},
	"result key stride 2^62 (unsafe)": func() error {
		data := make([]float32, 40)
		p := unsafe.Pointer(&data[0])
		_, _, err := ExactSearchUnsafe(p, p, 2, 5, 0, 0, 4, L2sq, F32, 1, 0, 1<<62, 0)
		return err
	},
	"max results 2^62": func() error {
		data := make([]float32, 8)
		_, _, err := ExactSearch(data, data, 2, 1, 0, 0, 4, L2sq, 1<<62, 0, 0, 0)
		return err
	},
}

func TestExactSearchHugeSizes(t *testing.T) {
	// These once overflowed size arithmetic and crashed; they now fail cleanly in-process
	// (which also works under emulators that cannot re-execute the test binary).
	names := make([]string, 0, len(exactSearchHugeSizes))
	for name := range exactSearchHugeSizes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		err := exactSearchHugeSizes[name]()
		clean := errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrDimensionMismatch) || errors.Is(err, ErrOutOfMemory)
		assert.Truef(t, clean, "%s: want ErrInvalidArgument, ErrDimensionMismatch or ErrOutOfMemory; got %v", name, err)
	}
}
