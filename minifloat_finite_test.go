//go:build cgo

package usearch_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/usearch-go/usearch"
)

// TestMiniFloatFiniteRules: e5m2 storage overflows to infinity, so values that would round
// there are refused like any overflow; e4m3, e3m2 and e2m3 saturate as upstream stores them,
// so finite values of any size are accepted. NaN and infinity codes in the mini-float input
// types are refused whatever the storage.
func TestMiniFloatFiniteRules(t *testing.T) {
	newF32 := func(q usearch.Quantization) *usearch.Index {
		idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 4, Metric: usearch.L2sq, Quantization: q})
		require.NoError(t, err)
		t.Cleanup(func() { idx.Close() })
		return idx
	}
	e5 := newF32(usearch.E5M2)
	require.NoError(t, e5.Add(1, []float32{57344, 1, 2, 3}), "the largest e5m2 value fits")
	require.NoError(t, e5.Add(2, []float32{61439, 1, 2, 3}), "rounds down to 57344")
	err := e5.Add(3, []float32{1, 61440, 2, 3})
	require.ErrorIs(t, err, usearch.ErrInvalidArgument)
	require.Contains(t, err.Error(), "element 1")
	require.Contains(t, err.Error(), "57344")
	require.ErrorIs(t, e5.Add(4, []float32{1, 2, float32(math.NaN()), 3}), usearch.ErrInvalidArgument)
	n, _ := e5.Len()
	require.Equal(t, uint(2), n, "refused vectors are not stored")

	for _, q := range []usearch.Quantization{usearch.E4M3, usearch.E3M2, usearch.E2M3} {
		idx := newF32(q)
		require.NoError(t, idx.Add(1, []float32{1e6, -1e6, 2, 3}), "%v saturates", q)
		got, err := idx.Get(1, 1)
		require.NoError(t, err)
		require.False(t, math.IsInf(float64(got[0]), 0) || math.IsNaN(float64(got[0])), "%v stored %v", q, got[0])
		require.ErrorIs(t, idx.Add(2, []float32{float32(math.Inf(1)), 0, 0, 0}), usearch.ErrInvalidArgument, "%v", q)
		require.ErrorIs(t, idx.Add(3, []float32{0, float32(math.NaN()), 0, 0}), usearch.ErrInvalidArgument, "%v", q)
		_, _, err = idx.Search([]float32{0, 0, float32(math.Inf(-1)), 0}, 1)
		require.ErrorIs(t, err, usearch.ErrInvalidArgument, "%v", q)
	}

	typed5, err := usearch.NewIndexOf[usearch.Float8E5M2](usearch.IndexConfig{Dimensions: 3, Metric: usearch.L2sq, Quantization: usearch.E5M2})
	require.NoError(t, err)
	defer typed5.Close()
	one := usearch.Float8E5M2From(1)
	require.NoError(t, typed5.Add(1, []usearch.Float8E5M2{one, one, one}))
	for _, bad := range []usearch.Float8E5M2{0x7C, 0xFC, 0x7D, 0xFF} { // ±Inf and NaNs
		err := typed5.Add(2, []usearch.Float8E5M2{one, bad, one})
		require.ErrorIs(t, err, usearch.ErrInvalidArgument, "code %#x", uint8(bad))
		require.Contains(t, err.Error(), "element 1")
		_, _, err = typed5.Search([]usearch.Float8E5M2{bad, one, one}, 1)
		require.ErrorIs(t, err, usearch.ErrInvalidArgument, "code %#x", uint8(bad))
	}
	typed4, err := usearch.NewIndexOf[usearch.Float8E4M3](usearch.IndexConfig{Dimensions: 3, Metric: usearch.L2sq, Quantization: usearch.E4M3})
	require.NoError(t, err)
	defer typed4.Close()
	max4 := usearch.Float8E4M3(0x7E) // 448, the largest value, is not NaN
	require.NoError(t, typed4.Add(1, []usearch.Float8E4M3{max4, max4, max4}))
	for _, bad := range []usearch.Float8E4M3{0x7F, 0xFF} {
		require.ErrorIs(t, typed4.Add(2, []usearch.Float8E4M3{max4, max4, bad}), usearch.ErrInvalidArgument, "code %#x", uint8(bad))
	}
}

// TestSearchExactRefusesNonFiniteQuery: the exact search over the index checks its query like
// every other search path.
func TestSearchExactRefusesNonFiniteQuery(t *testing.T) {
	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: 3, Metric: usearch.L2sq})
	require.NoError(t, err)
	defer idx.Close()
	require.NoError(t, idx.Add(1, []float32{1, 2, 3}))
	_, _, err = idx.SearchExact([]float32{1, float32(math.NaN()), 3}, 1)
	require.ErrorIs(t, err, usearch.ErrInvalidArgument)
	require.Contains(t, err.Error(), "element 1")
}
