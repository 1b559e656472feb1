//go:build cgo

package usearch

// Non-finite input, values that overflow the storage kind, Go metrics returning NaN, the
// cosine of zero vectors and configuration limits: none may reach (or poison) the graph.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand"
	randv2 "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// finiteFrom converts x to T as a user would (rounding to nearest).
func finiteFrom[T Scalar](x float64) T {
	var out T
	switch p := any(&out).(type) {
	case *float64:
		*p = x
	case *float32:
		*p = float32(x)
	case *Float16:
		*p = Float16From(float32(x))
	case *BFloat16:
		*p = BFloat16From(float32(x))
	}
	return out
}

// finiteStorages lists, per metric, the storage kinds an index of floats can use.
func finiteStorages(m Metric) []Quantization {
	var out []Quantization
	for _, q := range []Quantization{F64, F32, F16, BF16, I8, U8} {
		if q.supports(m) {
			out = append(out, q)
		}
	}
	return out
}

var finiteMetrics = []Metric{Cosine, InnerProduct, L2sq, Pearson, Divergence, Haversine}

var nonFinite = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}

// finiteData draws n vectors of dims values valid for the metric (non-negative, and
// latitude/longitude ranges for haversine).
func finiteData(rng *rand.Rand, m Metric, n, dims int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		v := make([]float64, dims)
		for j := range v {
			v[j] = rng.Float64()*2 - 1
			if m == Divergence {
				v[j] = rng.Float64()
			}
			if m == Haversine {
				v[j] = rng.Float64()*160 - 80
			}
		}
		out[i] = v
	}
	return out
}

// requireRefused asserts an ErrInvalidArgument that names the element and its value.
func requireRefused(t *testing.T, err error, element int, value string, context string) {
	t.Helper()
	require.Errorf(t, err, "%s: accepted", context)
	require.Truef(t, errors.Is(err, ErrInvalidArgument), "%s: %v is not ErrInvalidArgument", context, err)
	assert.Containsf(t, err.Error(), fmt.Sprintf("element %d ", element), context)
	assert.Containsf(t, err.Error(), value, context)
}

func testNonFiniteEveryPath[T Scalar](t *testing.T) {
	const dims, n = 6, 40
	rng := rand.New(rand.NewSource(int64(quantizationOf[T]()) + 1))
	for _, m := range finiteMetrics {
		for _, q := range finiteStorages(m) {
			t.Run(fmt.Sprintf("%v/%v", m, q), func(t *testing.T) {
				idx, err := NewIndexOf[T](IndexConfig{Dimensions: dims, Metric: m, Quantization: q, Connectivity: 4})
				require.NoError(t, err)
				defer idx.Close()
				data := finiteData(rng, m, n, dims)
				rows := make([][]T, n)
				for i, v := range data {
					rows[i] = make([]T, dims)
					for j, x := range v {
						rows[i][j] = finiteFrom[T](x)
					}
					require.NoError(t, idx.Add(Key(i), rows[i]))
				}
				for _, bad := range nonFinite {
					pos := rng.Intn(dims)
					vec := append([]T(nil), rows[rng.Intn(n)]...)
					vec[pos] = finiteFrom[T](bad)
					name := fmt.Sprint(bad)
					ctx := fmt.Sprintf("%v at %d", bad, pos)
					requireRefused(t, idx.Add(1000, vec), pos, name, "Add "+ctx)
					_, _, err := idx.Search(vec, 5)
					requireRefused(t, err, pos, name, "Search "+ctx)
					keys, dists := make([]Key, 5), make([]float32, 5)
					_, err = idx.SearchInto(vec, keys, dists)
					requireRefused(t, err, pos, name, "SearchInto "+ctx)
					_, _, err = idx.FilteredSearch(vec, 5, func(Key) bool { return true })
					requireRefused(t, err, pos, name, "FilteredSearch "+ctx)
					_, _, _, err = idx.SearchWith(vec, 5, KeyRange(0, 10))
					requireRefused(t, err, pos, name, "SearchWith "+ctx)
					if q == quantizationOf[T]() {
						_, err = DistanceOf(rows[0], vec, m)
						requireRefused(t, err, pos, name, "DistanceOf "+ctx)
						_, err = DistanceOf(vec, rows[0], m)
						requireRefused(t, err, pos, name, "DistanceOf (first) "+ctx)
						_, err = DistanceUnsafe(unsafe.Pointer(&rows[0][0]), unsafe.Pointer(&vec[0]), dims, m, q)
						requireRefused(t, err, pos, name, "DistanceUnsafe "+ctx)
						flat := append(append([]T(nil), rows[0]...), vec...)
						_, _, err = exactSearchOf("ExactSearchOf", flat, rows[1], 2, 1, 0, 0, dims, m, 1, 1, 0, 0)
						requireRefused(t, err, pos, name, "exact search dataset "+ctx)
						assert.Contains(t, err.Error(), "dataset row 1")
						_, _, err = exactSearchOf("ExactSearchOf", rows[0], vec, 1, 1, 0, 0, dims, m, 1, 1, 0, 0)
						requireRefused(t, err, pos, name, "exact search query "+ctx)
						_, _, err = ExactSearchUnsafe(unsafe.Pointer(&rows[0][0]), unsafe.Pointer(&vec[0]), 1, 1, 0, 0, dims, m, q, 1, 1, 0, 0)
						requireRefused(t, err, pos, name, "ExactSearchUnsafe "+ctx)
					}
				}
				size, err := idx.Len()
				require.NoError(t, err)
				require.Equal(t, uint(n), size, "nothing stored on failure")
				found, err := idx.Contains(1000)
				require.NoError(t, err)
				require.False(t, found)
				// The graph is intact: every stored vector finds itself (or an exact
				// duplicate after quantization) at the smallest distance.
				for i := 0; i < n; i += 7 {
					keys, dists, err := idx.Search(rows[i], 3)
					require.NoError(t, err)
					require.NotEmpty(t, keys)
					for _, d := range dists {
						require.False(t, math.IsNaN(float64(d)) || math.IsInf(float64(d), 0), "distance %v", d)
					}
					if q == quantizationOf[T]() && m != InnerProduct { // ip: self is not the minimum
						self, err := DistanceOf(rows[i], rows[i], m)
						require.NoError(t, err)
						assert.LessOrEqualf(t, dists[0], self+1e-3, "query %d", i)
					}
				}
			})
		}
	}
}

func TestNonFiniteRefusedFloat64(t *testing.T)  { testNonFiniteEveryPath[float64](t) }
func TestNonFiniteRefusedFloat32(t *testing.T)  { testNonFiniteEveryPath[float32](t) }
func TestNonFiniteRefusedFloat16(t *testing.T)  { testNonFiniteEveryPath[Float16](t) }
func TestNonFiniteRefusedBFloat16(t *testing.T) { testNonFiniteEveryPath[BFloat16](t) }

// TestNonFiniteRefusedIndex covers the float32 Index type and its Unsafe variants, which
// take vectors in the storage kind itself.
func TestNonFiniteRefusedIndex(t *testing.T) {
	const dims = 4
	for _, m := range []Metric{Cosine, InnerProduct, L2sq} {
		for _, q := range []Quantization{F64, F32, F16, BF16} {
			idx, err := NewIndex(IndexConfig{Dimensions: dims, Metric: m, Quantization: q})
			require.NoError(t, err)
			require.NoError(t, idx.Add(1, []float32{1, 2, 3, 4}))
			for _, bad := range nonFinite {
				ctx := fmt.Sprintf("%v/%v %v", m, q, bad)
				vec := []float32{5, 1, float32(bad), 3}
				requireRefused(t, idx.Add(2, vec), 2, fmt.Sprint(bad), "Add "+ctx)
				_, _, err := idx.Search(vec, 1)
				requireRefused(t, err, 2, fmt.Sprint(bad), "Search "+ctx)
				_, _, err = idx.FilteredSearch(vec, 1, func(Key) bool { return true })
				requireRefused(t, err, 2, fmt.Sprint(bad), "FilteredSearch "+ctx)
				_, err = idx.SearchInto(vec, make([]Key, 1), make([]float32, 1))
				requireRefused(t, err, 2, fmt.Sprint(bad), "SearchInto "+ctx)
				_, err = Distance([]float32{1, 2, 3, 4}, vec, dims, m)
				requireRefused(t, err, 2, fmt.Sprint(bad), "Distance "+ctx)
				_, _, err = ExactSearch([]float32{1, 2, 3, 4}, vec, 1, 1, 0, 0, dims, m, 1, 1, 0, 0)
				requireRefused(t, err, 2, fmt.Sprint(bad), "ExactSearch "+ctx)

				// The same vector in the storage kind, through the Unsafe variants.
				raw := make([]byte, q.bytesPerVector(dims))
				st := coreCast(unsafe.Pointer(&vec[0]), F32, unsafe.Pointer(&raw[0]), q, dims)
				require.True(t, st.ok(), st.msg)
				requireRefused(t, idx.AddUnsafe(3, unsafe.Pointer(&raw[0])), 2, fmt.Sprint(bad), "AddUnsafe "+ctx)
				_, _, err = idx.SearchUnsafe(unsafe.Pointer(&raw[0]), 1)
				requireRefused(t, err, 2, fmt.Sprint(bad), "SearchUnsafe "+ctx)
			}
			n, err := idx.Len()
			require.NoError(t, err)
			assert.Equal(t, uint(1), n)
			keys, dists, err := idx.Search([]float32{1, 2, 3, 4}, 1)
			require.NoError(t, err)
			assert.Equal(t, []Key{1}, keys)
			assert.False(t, math.IsNaN(float64(dists[0])))
			require.NoError(t, idx.Close())
		}
	}
}

// TestIntegerAndBitInputNeedNoCheck: int8, uint8 and B1x8 input cannot be non-finite and
// is accepted by every float storage kind unchanged.
func TestIntegerAndBitInputNeedNoCheck(t *testing.T) {
	for _, q := range []Quantization{F64, F32, F16, BF16} {
		idx, err := NewIndexOf[int8](IndexConfig{Dimensions: 3, Metric: L2sq, Quantization: q})
		require.NoError(t, err)
		require.NoError(t, idx.Add(1, []int8{-128, 127, 0}))
		_, _, err = idx.Search([]int8{-128, 127, 0}, 1)
		require.NoError(t, err)
		idx.Close()
	}
}

// overflowCase is one finite value given as In to an index stored as Storage.
type overflowCase struct {
	value   float64
	storage Quantization
	refused bool
}

func checkOverflow[T Scalar](t *testing.T, cases []overflowCase) {
	for _, c := range cases {
		for _, sign := range []float64{1, -1} {
			x := sign * c.value
			in := finiteFrom[T](x)
			ctx := fmt.Sprintf("%v (as %T) into %v", x, in, c.storage)
			idx, err := NewIndexOf[T](IndexConfig{Dimensions: 3, Metric: L2sq, Quantization: c.storage})
			require.NoError(t, err)
			vec := []T{finiteFrom[T](1), in, finiteFrom[T](0.5)}
			err = idx.Add(7, vec)
			_, _, serr := idx.Search(vec, 1)
			if c.refused {
				requireRefused(t, err, 1, "overflows", ctx)
				assert.Contains(t, err.Error(), kindRange(c.storage), ctx)
				requireRefused(t, serr, 1, "overflows", ctx)
				n, _ := idx.Len()
				assert.Zero(t, n, ctx)
			} else {
				require.NoError(t, err, ctx)
				require.NoError(t, serr, ctx)
				// Read back as float64, which holds every stored value exactly.
				got, err := getVectors[float64](&idx.base, "Get", 7, 1)
				require.NoError(t, err)
				for _, f := range got {
					assert.Falsef(t, math.IsInf(f, 0) || math.IsNaN(f), "%s: stored %v", ctx, f)
				}
			}
			idx.Close()
		}
	}
}

func toFloat64[T Scalar](v T) float64 {
	switch x := any(v).(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case Float16:
		return float64(x.Float32())
	case BFloat16:
		return float64(x.Float32())
	case int8:
		return float64(x)
	case uint8:
		return float64(x)
	}
	return 0
}

func TestOverflowOfStorageKindRefused(t *testing.T) {
	halfAboveF32 := math.Ldexp(1, 128) - math.Ldexp(1, 103) // rounds to +Inf in float32
	t.Run("float64", func(t *testing.T) {
		checkOverflow[float64](t, []overflowCase{
			{1e300, F32, true}, {1e300, F16, true}, {1e300, BF16, true},
			{1e300, F64, false}, {1e300, I8, false}, {1e300, U8, false},
			{halfAboveF32, F32, true}, {math.Nextafter(halfAboveF32, 0), F32, false},
			{math.MaxFloat32, F32, false}, {math.MaxFloat32, BF16, true},
			{1e5, F16, true}, {65520, F16, true}, {65504, F16, false}, {65519.99, F16, false},
			{3e38, BF16, false}, {1e5, BF16, false},
		})
	})
	t.Run("float32", func(t *testing.T) {
		checkOverflow[float32](t, []overflowCase{
			{1e5, F16, true}, {65520, F16, true}, {65504, F16, false}, {65519.99, F16, false},
			{math.MaxFloat32, BF16, true}, {3e38, BF16, false},
			{math.MaxFloat32, F32, false}, {math.MaxFloat32, F64, false}, {math.MaxFloat32, I8, false},
		})
	})
	t.Run("bfloat16", func(t *testing.T) {
		checkOverflow[BFloat16](t, []overflowCase{
			{1e38, F16, true}, {1e5, F16, true}, {65280, F16, false},
			{1e38, F32, false}, {1e38, F64, false}, {1e38, U8, false},
		})
	})
	t.Run("float16", func(t *testing.T) {
		checkOverflow[Float16](t, []overflowCase{
			{65504, F16, false}, {65504, BF16, false}, {65504, F32, false}, {65504, I8, false},
		})
	})
}

// TestHugeF64QuantizesToNonZero: I8 and U8 normalise a vector by its norm, which for
// huge f64 elements overflows; the core rescales so the stored vector keeps its direction.
func TestHugeF64QuantizesToNonZero(t *testing.T) {
	for _, q := range []Quantization{I8, U8} {
		idx, err := NewIndexOf[float64](IndexConfig{Dimensions: 4, Metric: Cosine, Quantization: q})
		require.NoError(t, err)
		require.NoError(t, idx.Add(1, []float64{1e300, 2e300, 0, 2e300}))
		require.NoError(t, idx.Add(2, []float64{1, 2, 0, 2}))
		a, err := idx.Get(1, 1)
		require.NoError(t, err)
		b, err := idx.Get(2, 1)
		require.NoError(t, err)
		assert.Equal(t, b, a, "%v: same direction, same quantized vector", q)
		assert.NotEqual(t, []float64{0, 0, 0, 0}, a)
		idx.Close()
	}
}

// TestCosineOfZeroVectors pins upstream's definition (docs/file-format.md, "Distance
// functions"): both zero → 0, exactly one zero → 1, in
// every kernel variant, storage kind and length (SIMD bodies and tails).
func TestCosineOfZeroVectors(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for isa := 0; isa < coreISACount(); isa++ {
		if !coreISAUsable(isa) {
			continue
		}
		for _, q := range []Quantization{F64, F32, F16, BF16, I8, U8} {
			for _, dims := range []int{1, 3, 8, 15, 16, 17, 31, 32, 33, 64, 100, 257} {
				zero := make([]byte, q.bytesPerVector(uint(dims)))
				x := make([]float32, dims)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				x[0] = 1 // never all zero after quantization
				v := make([]byte, len(zero))
				require.True(t, coreCast(unsafe.Pointer(&x[0]), F32, unsafe.Pointer(&v[0]), q, uint(dims)).ok())
				dist := func(a, b []byte) float32 {
					d, st := coreDistanceISA(isa, unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), q, uint(dims), Cosine)
					require.True(t, st.ok(), st.msg)
					return d
				}
				ctx := fmt.Sprintf("%s %v dims %d", coreISAName(isa), q, dims)
				assert.Equal(t, float32(0), dist(zero, zero), ctx)
				assert.Equal(t, float32(1), dist(zero, v), ctx)
				assert.Equal(t, float32(1), dist(v, zero), ctx)
				assert.InDelta(t, 0, dist(v, v), 1e-2, ctx)
				assert.Equal(t, 0.0, refDistance(Cosine, q, zero, zero, dims), ctx)
				assert.Equal(t, 1.0, refDistance(Cosine, q, zero, v, dims), ctx)
			}
		}
	}
	// Through an index: a zero vector is stored and found at distance 0 by a zero query
	// and at distance 1 by any other.
	idx, err := NewIndex(DefaultConfig(4))
	require.NoError(t, err)
	defer idx.Close()
	require.NoError(t, idx.Add(1, []float32{0, 0, 0, 0}))
	require.NoError(t, idx.Add(2, []float32{1, 2, 3, 4}))
	keys, dists, err := idx.Search([]float32{0, 0, 0, 0}, 2)
	require.NoError(t, err)
	assert.Equal(t, []Key{1, 2}, keys)
	assert.Equal(t, []float32{0, 1}, dists)
	keys, dists, err = idx.Search([]float32{1, 2, 3, 4}, 2)
	require.NoError(t, err)
	assert.Equal(t, []Key{2, 1}, keys)
	assert.Equal(t, float32(1), dists[1])
}

// TestGoMetricReturningNaNFails: a NaN from a Go metric aborts the Add (nothing stored) or
// the Search with ErrCallback, and the index keeps working afterwards.
func TestGoMetricReturningNaNFails(t *testing.T) {
	t.Run("F32", func(t *testing.T) { testGoMetricNaN[float32](t) })
	t.Run("F64", func(t *testing.T) { testGoMetricNaN[float64](t) })
	t.Run("F16", func(t *testing.T) { testGoMetricNaN[Float16](t) })
}

func testGoMetricNaN[T Scalar](t *testing.T) {
	idx, err := NewIndexOf[T](IndexConfig{Dimensions: 4, Metric: L2sq, Quantization: quantizationOf[T](), Connectivity: 4})
	require.NoError(t, err)
	defer idx.Close()
	l2 := func(a, b []T) float32 {
		if toFloat64(a[0]) == 13 || toFloat64(b[0]) == 13 {
			return float32(math.NaN())
		}
		var s float64
		for i := range a {
			d := toFloat64(a[i]) - toFloat64(b[i])
			s += d * d
		}
		return float32(s)
	}
	require.NoError(t, idx.ChangeMetric(l2))
	rng := rand.New(rand.NewSource(3))
	rows := make([][]T, 60)
	for i := range rows {
		rows[i] = []T{finiteFrom[T](float64(rng.Intn(10))), finiteFrom[T](float64(rng.Intn(10))), finiteFrom[T](float64(rng.Intn(10))), finiteFrom[T](float64(i))}
		require.NoError(t, idx.Add(Key(i), rows[i]))
	}
	poison := []T{finiteFrom[T](13), finiteFrom[T](1), finiteFrom[T](2), finiteFrom[T](3)}
	err = idx.Add(100, poison)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrCallback), "%v", err)
	assert.Contains(t, err.Error(), "NaN")
	n, _ := idx.Len()
	assert.Equal(t, uint(len(rows)), n, "nothing added")
	has, _ := idx.Contains(100)
	assert.False(t, has)
	_, _, err = idx.Search(poison, 3)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrCallback), "%v", err)
	assert.Contains(t, err.Error(), "NaN")
	_, _, err = idx.FilteredSearch(poison, 3, func(Key) bool { return true })
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrCallback), "%v", err)
	for i, r := range rows {
		keys, dists, err := idx.Search(r, 1)
		require.NoError(t, err)
		assert.Equal(t, float32(0), dists[0], "row %d", i)
		assert.Equal(t, Key(i), keys[0], "row %d", i)
	}
	require.NoError(t, idx.Add(200, rows[0]))
}

func TestNewIndexRefusesWhatTheFormatCannotHold(t *testing.T) {
	for _, q := range []Quantization{F64, F32, F16, BF16, I8, U8, B1} {
		m := L2sq
		if q == B1 {
			m = Hamming
		}
		for _, dims := range []uint64{1 << 40, maxDimensions(q) + 1} {
			if uint64(uint(dims)) != dims {
				continue // 32-bit platforms cannot even express it
			}
			_, err := NewIndex(IndexConfig{Dimensions: uint(dims), Metric: m, Quantization: q})
			require.Error(t, err, "%v dims %d", q, dims)
			assert.True(t, errors.Is(err, ErrInvalidConfig), "%v", err)
			assert.Contains(t, err.Error(), fmt.Sprint(maxDimensions(q)), "the limit is named")
		}
	}
	for _, conf := range []IndexConfig{
		{Dimensions: 4, ExpansionAdd: 1 << 33},
		{Dimensions: 4, ExpansionSearch: 1 << 33},
		{Dimensions: 4, Connectivity: 1<<20 + 1},
	} {
		_, err := NewIndex(conf)
		require.Error(t, err, "%+v", conf)
		assert.True(t, errors.Is(err, ErrInvalidConfig), "%v", err)
		assert.True(t, strings.Contains(err.Error(), "at most"), "%v", err)
	}
	idx, err := NewIndex(IndexConfig{Dimensions: 4, ExpansionAdd: maxExpansion, ExpansionSearch: maxExpansion})
	require.NoError(t, err)
	defer idx.Close()
	require.NoError(t, idx.Add(1, []float32{1, 2, 3, 4}))
	err = idx.ChangeExpansionSearch(1 << 33)
	assert.True(t, errors.Is(err, ErrInvalidConfig), "%v", err)
	err = idx.ChangeExpansionAdd(1 << 33)
	assert.True(t, errors.Is(err, ErrInvalidConfig), "%v", err)
	ef, _ := idx.ExpansionSearch()
	assert.Equal(t, uint(maxExpansion), ef, "a refused change leaves the setting")
	keys, _, err := idx.Search([]float32{1, 2, 3, 4}, 1)
	require.NoError(t, err)
	assert.Equal(t, []Key{1}, keys)
}

// BenchmarkFiniteCheck measures the per-call cost of the input check on the dimensions of
// BenchmarkAdd and BenchmarkSearch, to compare with their ns/op: on a loaded machine the
// end-to-end benchmarks vary far more than the check costs.
func BenchmarkFiniteCheck(b *testing.B) {
	for _, dims := range []int{96, 768} {
		for _, q := range []Quantization{F32, F16} {
			v := make([]float32, dims)
			for i := range v {
				v[i] = float32(i%13) - 6
			}
			b.Run(fmt.Sprintf("d=%d/%v", dims, q), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if err := checkVector("Add", v, q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestMiniFloatFiniteRules: e5m2 storage overflows to infinity, so values that would round
// there are refused like any overflow; e4m3, e3m2 and e2m3 saturate as upstream stores them,
// so finite values of any size are accepted. NaN and infinity codes in the mini-float input
// types are refused whatever the storage.
func TestMiniFloatFiniteRules(t *testing.T) {
	newF32 := func(q Quantization) *Index {
		idx, err := NewIndex(IndexConfig{Dimensions: 4, Metric: L2sq, Quantization: q})
		require.NoError(t, err)
		t.Cleanup(func() { idx.Close() })
		return idx
	}
	e5 := newF32(E5M2)
	require.NoError(t, e5.Add(1, []float32{57344, 1, 2, 3}), "the largest e5m2 value fits")
	require.NoError(t, e5.Add(2, []float32{61439, 1, 2, 3}), "rounds down to 57344")
	err := e5.Add(3, []float32{1, 61440, 2, 3})
	require.ErrorIs(t, err, ErrInvalidArgument)
	require.Contains(t, err.Error(), "element 1")
	require.Contains(t, err.Error(), "57344")
	require.ErrorIs(t, e5.Add(4, []float32{1, 2, float32(math.NaN()), 3}), ErrInvalidArgument)
	n, _ := e5.Len()
	require.Equal(t, uint(2), n, "refused vectors are not stored")

	for _, q := range []Quantization{E4M3, E3M2, E2M3} {
		idx := newF32(q)
		require.NoError(t, idx.Add(1, []float32{1e6, -1e6, 2, 3}), "%v saturates", q)
		got, err := idx.Get(1, 1)
		require.NoError(t, err)
		require.False(t, math.IsInf(float64(got[0]), 0) || math.IsNaN(float64(got[0])), "%v stored %v", q, got[0])
		require.ErrorIs(t, idx.Add(2, []float32{float32(math.Inf(1)), 0, 0, 0}), ErrInvalidArgument, "%v", q)
		require.ErrorIs(t, idx.Add(3, []float32{0, float32(math.NaN()), 0, 0}), ErrInvalidArgument, "%v", q)
		_, _, err = idx.Search([]float32{0, 0, float32(math.Inf(-1)), 0}, 1)
		require.ErrorIs(t, err, ErrInvalidArgument, "%v", q)
	}

	typed5, err := NewIndexOf[Float8E5M2](IndexConfig{Dimensions: 3, Metric: L2sq, Quantization: E5M2})
	require.NoError(t, err)
	defer typed5.Close()
	one := Float8E5M2From(1)
	require.NoError(t, typed5.Add(1, []Float8E5M2{one, one, one}))
	for _, bad := range []Float8E5M2{0x7C, 0xFC, 0x7D, 0xFF} { // ±Inf and NaNs
		err := typed5.Add(2, []Float8E5M2{one, bad, one})
		require.ErrorIs(t, err, ErrInvalidArgument, "code %#x", uint8(bad))
		require.Contains(t, err.Error(), "element 1")
		_, _, err = typed5.Search([]Float8E5M2{bad, one, one}, 1)
		require.ErrorIs(t, err, ErrInvalidArgument, "code %#x", uint8(bad))
	}
	typed4, err := NewIndexOf[Float8E4M3](IndexConfig{Dimensions: 3, Metric: L2sq, Quantization: E4M3})
	require.NoError(t, err)
	defer typed4.Close()
	max4 := Float8E4M3(0x7E) // 448, the largest value, is not NaN
	require.NoError(t, typed4.Add(1, []Float8E4M3{max4, max4, max4}))
	for _, bad := range []Float8E4M3{0x7F, 0xFF} {
		require.ErrorIs(t, typed4.Add(2, []Float8E4M3{max4, max4, bad}), ErrInvalidArgument, "code %#x", uint8(bad))
	}
}

// TestSearchExactRefusesNonFiniteQuery: the exact search over the index checks its query like
// every other search path.
func TestSearchExactRefusesNonFiniteQuery(t *testing.T) {
	idx, err := NewIndex(IndexConfig{Dimensions: 3, Metric: L2sq})
	require.NoError(t, err)
	defer idx.Close()
	require.NoError(t, idx.Add(1, []float32{1, 2, 3}))
	_, _, err = idx.SearchExact([]float32{1, float32(math.NaN()), 3}, 1)
	require.ErrorIs(t, err, ErrInvalidArgument)
	require.Contains(t, err.Error(), "element 1")
}

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
	r := randv2.New(randv2.NewPCG(1, 2))
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
	r := randv2.New(randv2.NewPCG(3, 4))
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
