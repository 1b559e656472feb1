//go:build cgo

package usearch

// The whole-index toolkit: SearchExact, Clear/Reset, Keys/All, Clone, Stats and Compact.

import (
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toolkitData is a clustered data set (so that neighbours are not all equidistant) with
// its vectors by key.
func toolkitData(rng *rand.Rand, n, dims int) [][]float32 {
	centers := make([][]float32, 16)
	for c := range centers {
		centers[c] = make([]float32, dims)
		for j := range centers[c] {
			centers[c][j] = float32(rng.NormFloat64() * 3)
		}
	}
	rows := make([][]float32, n)
	for i := range rows {
		c := centers[rng.Intn(len(centers))]
		rows[i] = make([]float32, dims)
		for j := range rows[i] {
			rows[i][j] = c[j] + float32(rng.NormFloat64())
		}
	}
	return rows
}

func l2sq64(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

func l1(a, b []float32) float32 {
	s := float32(0)
	for i := range a {
		s += float32(math.Abs(float64(a[i] - b[i])))
	}
	return s
}

// checkExact compares one SearchExact answer with brute force over live: the distances
// rank by rank (ties may order keys either way), each key's own distance, no duplicates.
func checkExactAnswer(t *testing.T, live map[Key][]float32, dist func(a, b []float32) float64, query []float32, k int, keys []Key, dists []float32) {
	t.Helper()
	truth := make([]float64, 0, len(live))
	for _, v := range live {
		truth = append(truth, dist(query, v))
	}
	sort.Float64s(truth)
	want := min(k, len(truth))
	require.Len(t, keys, want)
	require.Len(t, dists, want)
	seen := map[Key]bool{}
	for i, key := range keys {
		v, ok := live[key]
		require.True(t, ok, "key %d at rank %d is not live", key, i)
		require.False(t, seen[key], "key %d returned twice", key)
		seen[key] = true
		tol := 1e-4 * (1 + truth[i])
		assert.InDelta(t, truth[i], float64(dists[i]), tol, "rank %d", i)
		assert.InDelta(t, dist(query, v), float64(dists[i]), tol, "key %d", key)
		if i > 0 {
			assert.LessOrEqual(t, dists[i-1], dists[i])
		}
	}
}

func TestSearchExact(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	const n, dims, k = 1500, 24, 10
	rows := toolkitData(rng, n, dims)
	idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq})
	live := map[Key][]float32{}
	for i, r := range rows {
		require.NoError(t, idx.Add(Key(i), r))
		live[Key(i)] = r
	}
	for i := 0; i < n; i += 3 { // removed entries stay in the graph but must never be found
		require.NoError(t, idx.Remove(Key(i)))
		delete(live, Key(i))
	}
	for q := 0; q < 20; q++ {
		query := rows[rng.Intn(n)] // half of these are removed vectors: their twin must not come back
		keys, dists, err := idx.SearchExact(query, k)
		require.NoError(t, err)
		checkExactAnswer(t, live, l2sq64, query, k, keys, dists)
	}

	// A limit beyond the content returns everything live.
	keys, dists, err := idx.SearchExact(rows[1], 5000)
	require.NoError(t, err)
	assert.Len(t, keys, len(live))
	assert.Len(t, dists, len(live))

	// A Go metric is used as is.
	require.NoError(t, idx.ChangeMetric(l1))
	l1f := func(a, b []float32) float64 { return float64(l1(a, b)) }
	for q := 0; q < 5; q++ {
		query := rows[rng.Intn(n)]
		keys, dists, err := idx.SearchExact(query, k)
		require.NoError(t, err)
		checkExactAnswer(t, live, l1f, query, k, keys, dists)
	}
	// A panicking Go metric fails the call with ErrCallback.
	require.NoError(t, idx.ChangeMetric(func(a, b []float32) float32 { panic("boom") }))
	_, _, err = idx.SearchExact(rows[0], k)
	require.ErrorIs(t, err, ErrCallback)
	assert.Contains(t, err.Error(), "boom")

	_, _, err = idx.SearchExact(rows[0][:3], k)
	require.ErrorIs(t, err, ErrDimensionMismatch)
	keys, dists, err = idx.SearchExact(rows[0], 0)
	require.NoError(t, err)
	assert.Empty(t, keys)
	assert.Empty(t, dists)
	require.NoError(t, idx.Close())
	_, _, err = idx.SearchExact(rows[0], k)
	require.ErrorIs(t, err, ErrClosed)
}

func TestSearchExactTyped(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	const n, dims, k = 400, 16, 7
	rows := toolkitData(rng, n, dims)
	idx, err := NewIndexOf[float64](IndexConfig{Dimensions: dims, Metric: L2sq, Quantization: F64, Multi: true})
	require.NoError(t, err)
	defer idx.Close()
	live := map[Key][]float32{}
	for i, r := range rows {
		v := make([]float64, dims)
		for j := range r {
			v[j] = float64(r[j])
		}
		require.NoError(t, idx.Add(Key(i), v))
		live[Key(i)] = r
	}
	empty, err := NewIndexOf[float64](IndexConfig{Dimensions: dims, Metric: L2sq, Quantization: F64})
	require.NoError(t, err)
	defer empty.Close()
	for q := 0; q < 10; q++ {
		r := rows[rng.Intn(n)]
		query := make([]float64, dims)
		for j := range r {
			query[j] = float64(r[j]) + rng.NormFloat64()*0.1
		}
		q32 := make([]float32, dims)
		for j := range query {
			q32[j] = float32(query[j])
		}
		keys, dists, err := idx.SearchExact(query, k)
		require.NoError(t, err)
		checkExactAnswer(t, live, l2sq64, q32, k, keys, dists)
		keys, _, err = empty.SearchExact(query, k)
		require.NoError(t, err)
		assert.Empty(t, keys)
	}
}
