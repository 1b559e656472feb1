//go:build cgo

package usearch

// The Index API (docs/api-guide.md; persistence excluded) and the extensions that exist:
// CRUD semantics, errors, lifecycle, settings, and the enum names.

import (
	"errors"
	"io"
	"math"
	"math/rand"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ io.Closer = (*Index)(nil)
var _ io.Closer = (*IndexOf[Float16])(nil)

func newTestIndex(t *testing.T, conf IndexConfig) *Index {
	t.Helper()
	idx, err := NewIndex(conf)
	require.NoError(t, err)
	t.Cleanup(func() { _ = idx.Close() })
	return idx
}

func mustLen(t *testing.T, idx interface{ Len() (uint, error) }) uint {
	t.Helper()
	n, err := idx.Len()
	require.NoError(t, err)
	return n
}

func TestMetricAndQuantizationNames(t *testing.T) {
	// The numbering and names of upstream's Go binding, with Jaccard and U8 appended.
	metrics := map[Metric]string{0: "ip", 1: "cos", 2: "l2sq", 3: "haversine", 4: "divergence", 5: "pearson",
		6: "hamming", 7: "tanimoto", 8: "sorensen", 9: "jaccard"}
	constants := []Metric{InnerProduct, Cosine, L2sq, Haversine, Divergence, Pearson, Hamming, Tanimoto, Sorensen, Jaccard}
	for i, m := range constants {
		assert.Equal(t, Metric(i), m)
		assert.Equal(t, metrics[m], m.String())
	}
	// The mini-floats are appended after U8 in this order.
	kinds := []Quantization{F32, BF16, F16, F64, I8, B1, U8, E5M2, E4M3, E3M2, E2M3}
	names := []string{"F32", "BF16", "F16", "F64", "I8", "B1", "U8", "E5M2", "E4M3", "E3M2", "E2M3"}
	for i, q := range kinds {
		assert.Equal(t, Quantization(i), q)
		assert.Equal(t, names[i], q.String())
	}
	// Out-of-range values must not panic (upstream's do).
	assert.NotPanics(t, func() {
		for v := 10; v < 256; v++ {
			s := Metric(v).String()
			assert.NotEmpty(t, s)
			assert.NotContains(t, metrics, s)
		}
		for v := len(kinds); v < 256; v++ {
			assert.NotEmpty(t, Quantization(v).String())
		}
	})
	assert.Equal(t, "Metric(10)", Metric(10).String())
	assert.Equal(t, "Quantization(255)", Quantization(255).String())
}

func TestLibraryInformation(t *testing.T) {
	assert.Equal(t, "2.26.2", Version(), "the upstream release whose format and C API we follow")
	assert.Regexp(t, regexp.MustCompile(`^\d+\.\d+\.\d+$`), Version())
	compiled := strings.Split(HardwareAccelerationCompiled(), ", ")
	available := strings.Split(HardwareAccelerationAvailable(), ", ")
	assert.Contains(t, compiled, "serial")
	assert.Contains(t, available, "serial")
	for _, a := range available {
		assert.Contains(t, compiled, a, "available variants are compiled ones")
	}
}

func TestDefaultConfigAndDefaults(t *testing.T) {
	conf := DefaultConfig(7)
	assert.Equal(t, IndexConfig{Dimensions: 7, Metric: Cosine, Quantization: F32}, conf)
	idx := newTestIndex(t, conf)
	get := func(f func() (uint, error)) uint {
		v, err := f()
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, uint(7), get(idx.Dimensions))
	assert.Equal(t, uint(16), get(idx.Connectivity))
	assert.Equal(t, uint(128), get(idx.ExpansionAdd))
	assert.Equal(t, uint(64), get(idx.ExpansionSearch))
	assert.Equal(t, uint(0), get(idx.Len))
	assert.Positive(t, get(idx.MemoryUsage))
	hw, err := idx.HardwareAcceleration()
	require.NoError(t, err)
	assert.Contains(t, strings.Split(HardwareAccelerationAvailable(), ", "), hw)

	custom := newTestIndex(t, IndexConfig{Dimensions: 3, Metric: L2sq, Quantization: F16, Connectivity: 5, ExpansionAdd: 17, ExpansionSearch: 9})
	assert.Equal(t, uint(5), get(custom.Connectivity))
	assert.Equal(t, uint(17), get(custom.ExpansionAdd))
	assert.Equal(t, uint(9), get(custom.ExpansionSearch))
	assert.Equal(t, uint(3), get(custom.Dimensions))
}

func TestChangeExpansion(t *testing.T) {
	idx := newTestIndex(t, DefaultConfig(4))
	require.NoError(t, idx.ChangeExpansionAdd(40))
	require.NoError(t, idx.ChangeExpansionSearch(3))
	v, err := idx.ExpansionAdd()
	require.NoError(t, err)
	assert.Equal(t, uint(40), v)
	v, err = idx.ExpansionSearch()
	require.NoError(t, err)
	assert.Equal(t, uint(3), v)
	// A search returns as many results as asked even with a beam narrower than the count.
	for i := 0; i < 20; i++ {
		require.NoError(t, idx.Add(Key(i), []float32{float32(i), 1, float32(i % 3), 2}))
	}
	keys, _, err := idx.Search([]float32{1, 1, 1, 1}, 10)
	require.NoError(t, err)
	assert.Len(t, keys, 10)

	// 0 means the defaults: the getters report the beam widths in use, as after NewIndex.
	require.NoError(t, idx.ChangeExpansionAdd(0))
	require.NoError(t, idx.ChangeExpansionSearch(0))
	v, err = idx.ExpansionAdd()
	require.NoError(t, err)
	assert.Equal(t, uint(128), v, "ChangeExpansionAdd(0) means the default 128")
	v, err = idx.ExpansionSearch()
	require.NoError(t, err)
	assert.Equal(t, uint(64), v, "ChangeExpansionSearch(0) means the default 64")

	require.NoError(t, idx.ChangeThreadsAdd(0))
	require.NoError(t, idx.ChangeThreadsSearch(1000))
}

func TestInvalidConfigs(t *testing.T) {
	bad := map[string]IndexConfig{
		"zero dimensions":       {Dimensions: 0, Metric: L2sq},
		"unknown metric":        {Dimensions: 4, Metric: Metric(10)},
		"unknown metric 255":    {Dimensions: 4, Metric: Metric(255)},
		"unknown quantization":  {Dimensions: 4, Quantization: Quantization(len(quantizationNames))},
		"connectivity 1":        {Dimensions: 4, Connectivity: 1},
		"huge connectivity":     {Dimensions: 4, Connectivity: 1<<20 + 1},
		"haversine 1 dimension": {Dimensions: 1, Metric: Haversine},
	}
	for name, conf := range bad {
		idx, err := NewIndex(conf)
		assert.Truef(t, errors.Is(err, ErrInvalidConfig), "%s: %v", name, err)
		assert.Nil(t, idx, name)
		_, err = NewIndexOf[int8](conf)
		assert.Truef(t, errors.Is(err, ErrInvalidConfig), "%s (IndexOf): %v", name, err)
		if err != nil {
			assert.True(t, strings.HasPrefix(err.Error(), "usearch: NewIndex: "), err.Error())
		}
	}
	_, err := NewIndex(IndexConfig{Dimensions: 4, Metric: Hamming, Quantization: F32})
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.False(t, errors.Is(err, ErrInvalidConfig))
	for _, ok := range []IndexConfig{{Dimensions: 1}, {Dimensions: 4, Connectivity: 2}, {Dimensions: 2, Metric: Haversine}} {
		idx, err := NewIndex(ok)
		require.NoError(t, err)
		require.NoError(t, idx.Close())
	}
}

func TestAddGetContainsCount(t *testing.T) {
	idx := newTestIndex(t, IndexConfig{Dimensions: 3, Metric: L2sq})
	require.NoError(t, idx.Add(1, []float32{1, 2, 3}))
	require.NoError(t, idx.Add(0, []float32{0, 0, 0}), "key 0 is an ordinary key")
	require.NoError(t, idx.Add(math.MaxUint64-1, []float32{9, 9, 9}))
	assert.Equal(t, uint(3), mustLen(t, idx))

	for key, want := range map[Key][]float32{1: {1, 2, 3}, 0: {0, 0, 0}, math.MaxUint64 - 1: {9, 9, 9}} {
		got, err := idx.Get(key, 1)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		ok, err := idx.Contains(key)
		require.NoError(t, err)
		assert.True(t, ok)
		n, err := idx.Count(key)
		require.NoError(t, err)
		assert.Equal(t, uint(1), n)
	}
	got, err := idx.Get(1, 5)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2, 3}, got, "a single-vector index returns one vector whatever maxCount")
	got, err = idx.Get(1, 0)
	require.NoError(t, err)
	assert.Nil(t, got, "maxCount 0")
	got, err = idx.Get(77, 1)
	require.NoError(t, err)
	assert.Nil(t, got, "absent key")
	ok, err := idx.Contains(77)
	require.NoError(t, err)
	assert.False(t, ok)
	n, err := idx.Count(77)
	require.NoError(t, err)
	assert.Zero(t, n)

	// Duplicate key on a single-vector index: error, nothing changes.
	err = idx.Add(1, []float32{5, 5, 5})
	assert.ErrorIs(t, err, ErrDuplicateKey)
	assert.Equal(t, uint(3), mustLen(t, idx))
	got, err = idx.Get(1, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 2, 3}, got)
	keys, dists, err := idx.Search([]float32{5, 5, 5}, 10)
	require.NoError(t, err)
	assert.ElementsMatch(t, []Key{0, 1, math.MaxUint64 - 1}, keys)
	assert.Len(t, dists, 3)

	// The reserved key.
	err = idx.Add(math.MaxUint64, []float32{1, 1, 1})
	assert.ErrorIs(t, err, ErrReservedKey)
	assert.Equal(t, uint(3), mustLen(t, idx))
	ok, err = idx.Contains(math.MaxUint64)
	require.NoError(t, err)
	assert.False(t, ok)

	// AddI8 and AddUnsafe on an f32 index.
	require.NoError(t, idx.AddI8(10, []int8{127, -127, 0}))
	got, err = idx.Get(10, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, -1, 0}, got)
	raw := []float32{4, 5, 6}
	require.NoError(t, idx.AddUnsafe(11, unsafe.Pointer(&raw[0])))
	got, err = idx.Get(11, 1)
	require.NoError(t, err)
	assert.Equal(t, raw, got)
	keys, _, err = idx.SearchUnsafe(unsafe.Pointer(&raw[0]), 1)
	require.NoError(t, err)
	assert.Equal(t, []Key{11}, keys)
	keys, _, err = idx.SearchI8([]int8{127, -127, 0}, 1)
	require.NoError(t, err)
	assert.Equal(t, []Key{10}, keys)
}

func TestBadArguments(t *testing.T) {
	idx := newTestIndex(t, IndexConfig{Dimensions: 4, Metric: L2sq})
	err := idx.Add(1, []float32{1, 2, 3})
	require.ErrorIs(t, err, ErrDimensionMismatch)
	assert.Contains(t, err.Error(), "got 3")
	assert.Contains(t, err.Error(), "want 4")
	assert.ErrorIs(t, idx.Add(1, nil), ErrDimensionMismatch)
	assert.ErrorIs(t, idx.Add(1, make([]float32, 5)), ErrDimensionMismatch)
	assert.ErrorIs(t, idx.AddI8(1, make([]int8, 2)), ErrDimensionMismatch)
	_, _, err = idx.Search([]float32{1}, 1)
	require.ErrorIs(t, err, ErrDimensionMismatch)
	assert.Contains(t, err.Error(), "got 1")
	assert.Contains(t, err.Error(), "want 4")
	_, _, err = idx.SearchI8(make([]int8, 9), 1)
	assert.ErrorIs(t, err, ErrDimensionMismatch)
	assert.Equal(t, uint(0), mustLen(t, idx), "failed adds store nothing")

	assert.ErrorIs(t, idx.AddUnsafe(1, nil), ErrInvalidArgument)
	_, _, err = idx.SearchUnsafe(nil, 1)
	assert.ErrorIs(t, err, ErrInvalidArgument)

	// B1 vectors are Dimensions/8 bytes, rounded up.
	bits, err := NewIndexOf[B1x8](IndexConfig{Dimensions: 9, Metric: Hamming, Quantization: B1})
	require.NoError(t, err)
	defer bits.Close()
	err = bits.Add(1, []B1x8{0xFF})
	require.ErrorIs(t, err, ErrDimensionMismatch)
	assert.Contains(t, err.Error(), "want 2")
	require.NoError(t, bits.Add(1, []B1x8{0xFF, 0x80}))
	// The same index takes float32 input of Dimensions elements through *Index.
	fb := newTestIndex(t, IndexConfig{Dimensions: 9, Metric: Hamming, Quantization: B1})
	assert.ErrorIs(t, fb.Add(1, make([]float32, 2)), ErrDimensionMismatch)
	require.NoError(t, fb.Add(1, make([]float32, 9)))
}

func TestMultiIndex(t *testing.T) {
	idx := newTestIndex(t, IndexConfig{Dimensions: 2, Metric: L2sq, Multi: true})
	vecs := [][]float32{{1, 0}, {2, 0}, {3, 0}}
	for _, v := range vecs {
		require.NoError(t, idx.Add(5, v))
	}
	require.NoError(t, idx.Add(6, []float32{10, 10}))
	assert.Equal(t, uint(4), mustLen(t, idx))
	n, err := idx.Count(5)
	require.NoError(t, err)
	assert.Equal(t, uint(3), n)

	pairs := func(flat []float32) [][2]float32 {
		out := make([][2]float32, 0, len(flat)/2)
		for i := 0; i+1 < len(flat); i += 2 {
			out = append(out, [2]float32{flat[i], flat[i+1]})
		}
		sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
		return out
	}
	got, err := idx.Get(5, 10)
	require.NoError(t, err)
	require.Len(t, got, 6, "every vector of the key, flattened")
	assert.Equal(t, [][2]float32{{1, 0}, {2, 0}, {3, 0}}, pairs(got))
	got, err = idx.Get(5, 2)
	require.NoError(t, err)
	assert.Len(t, got, 4, "maxCount limits the vectors returned")

	// Search may return the same key for several of its vectors.
	keys, dists, err := idx.Search([]float32{0, 0}, 4)
	require.NoError(t, err)
	assert.Equal(t, []Key{5, 5, 5, 6}, keys)
	assert.Equal(t, []float32{1, 4, 9, 200}, dists)

	// Rename onto an existing key merges.
	require.NoError(t, idx.Rename(6, 5))
	n, err = idx.Count(5)
	require.NoError(t, err)
	assert.Equal(t, uint(4), n)
	ok, err := idx.Contains(6)
	require.NoError(t, err)
	assert.False(t, ok)

	// Remove drops every vector of the key.
	require.NoError(t, idx.Remove(5))
	assert.Equal(t, uint(0), mustLen(t, idx))
	n, err = idx.Count(5)
	require.NoError(t, err)
	assert.Zero(t, n)
	keys, _, err = idx.Search([]float32{0, 0}, 4)
	require.NoError(t, err)
	assert.Empty(t, keys)
	got, err = idx.Get(5, 10)
	require.NoError(t, err)
	assert.Nil(t, got)
}

func TestRemoveAndReAdd(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	const dims, n = 8, 200
	idx := newTestIndex(t, IndexConfig{Dimensions: dims, Metric: L2sq, Connectivity: 4, ExpansionAdd: 16})
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = refRandomF32(rng, L2sq, dims)
		require.NoError(t, idx.Add(Key(i), vecs[i]))
	}
	removed := map[Key]bool{}
	for i := 0; i < n; i += 3 {
		require.NoError(t, idx.Remove(Key(i)))
		removed[Key(i)] = true
	}
	require.NoError(t, idx.Remove(12345), "removing an absent key is not an error")
	require.NoError(t, idx.Remove(0), "removing twice is not an error")
	assert.Equal(t, uint(n-len(removed)), mustLen(t, idx))
	for i := range vecs {
		ok, err := idx.Contains(Key(i))
		require.NoError(t, err)
		assert.Equal(t, !removed[Key(i)], ok)
	}
	// Searches never return removed keys, even for a removed vector's exact position.
	for i := 0; i < n; i += 3 {
		keys, _, err := idx.Search(vecs[i], n)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(keys), n-len(removed))
		assert.NotEmpty(t, keys)
		for _, k := range keys {
			assert.Falsef(t, removed[k], "search for %d returned removed key %d", i, k)
		}
	}
	// Re-adding removed keys (with new vectors) works and the new vectors are found.
	for k := range removed {
		v := refRandomF32(rng, L2sq, dims)
		vecs[k] = v
		require.NoError(t, idx.Add(k, v))
	}
	assert.Equal(t, uint(n), mustLen(t, idx))
	found := 0
	for k := range removed {
		got, err := idx.Get(k, 1)
		require.NoError(t, err)
		assert.Equal(t, vecs[k], got)
		keys, dists, err := idx.Search(vecs[k], 1)
		require.NoError(t, err)
		if len(keys) == 1 && keys[0] == k && dists[0] == 0 {
			found++
		}
	}
	assert.GreaterOrEqual(t, found, len(removed)*9/10, "re-added vectors are findable")
}

func TestRename(t *testing.T) {
	idx := newTestIndex(t, IndexConfig{Dimensions: 2, Metric: L2sq})
	require.NoError(t, idx.Add(1, []float32{1, 1}))
	require.NoError(t, idx.Add(2, []float32{2, 2}))

	require.NoError(t, idx.Rename(1, 10))
	ok, err := idx.Contains(1)
	require.NoError(t, err)
	assert.False(t, ok)
	got, err := idx.Get(10, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 1}, got)
	keys, _, err := idx.Search([]float32{1, 1}, 1)
	require.NoError(t, err)
	assert.Equal(t, []Key{10}, keys, "search reports the new key")

	// Onto an existing key without Multi: error, nothing changes.
	err = idx.Rename(10, 2)
	assert.ErrorIs(t, err, ErrDuplicateKey)
	got, err = idx.Get(10, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 1}, got)
	got, err = idx.Get(2, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{2, 2}, got)
	assert.Equal(t, uint(2), mustLen(t, idx))

	// Onto itself: nothing happens.
	require.NoError(t, idx.Rename(2, 2))
	got, err = idx.Get(2, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{2, 2}, got)

	// Onto the reserved key: refused.
	assert.ErrorIs(t, idx.Rename(2, math.MaxUint64), ErrReservedKey)
	ok, err = idx.Contains(2)
	require.NoError(t, err)
	assert.True(t, ok)

	// An absent key renames to nothing.
	require.NoError(t, idx.Rename(99, 100))
	ok, err = idx.Contains(100)
	require.NoError(t, err)
	assert.False(t, ok)

	// The old key can be reused after a rename.
	require.NoError(t, idx.Add(1, []float32{3, 3}))
	assert.Equal(t, uint(3), mustLen(t, idx))
}

func TestSearchLimits(t *testing.T) {
	idx := newTestIndex(t, IndexConfig{Dimensions: 2, Metric: L2sq})
	keys, dists, err := idx.Search([]float32{0, 0}, 10)
	require.NoError(t, err)
	assert.NotNil(t, keys)
	assert.NotNil(t, dists)
	assert.Empty(t, keys, "empty index")
	assert.Empty(t, dists)

	for i := 0; i < 5; i++ {
		require.NoError(t, idx.Add(Key(i), []float32{float32(i), 0}))
	}
	keys, dists, err = idx.Search([]float32{0, 0}, 0)
	require.NoError(t, err)
	assert.Empty(t, keys, "limit 0")
	assert.Empty(t, dists)
	keys, dists, err = idx.Search([]float32{0.1, 0}, 100)
	require.NoError(t, err)
	assert.Equal(t, []Key{0, 1, 2, 3, 4}, keys, "limit larger than the index")
	assert.Len(t, dists, 5)
	keys, _, err = idx.Search([]float32{3.9, 0}, 2)
	require.NoError(t, err)
	assert.Equal(t, []Key{4, 3}, keys)
}

func TestCapacityGrows(t *testing.T) {
	idx := newTestIndex(t, IndexConfig{Dimensions: 4, Metric: L2sq, Connectivity: 8, ExpansionAdd: 16})
	c, err := idx.Capacity()
	require.NoError(t, err)
	assert.Zero(t, c, "a new index has no capacity yet")
	memBefore, err := idx.MemoryUsage()
	require.NoError(t, err)
	require.NoError(t, idx.Reserve(10))
	c, err = idx.Capacity()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, c, uint(10))
	require.NoError(t, idx.Reserve(3), "reserving less than the capacity is fine")
	for i := 0; i < 3000; i++ {
		require.NoError(t, idx.Add(Key(i), []float32{float32(i), 1, 2, 3}))
	}
	c, err = idx.Capacity()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, c, uint(3000))
	assert.Equal(t, uint(3000), mustLen(t, idx))
	memAfter, err := idx.MemoryUsage()
	require.NoError(t, err)
	assert.Greater(t, memAfter, memBefore+3000*16, "memory usage covers at least the vectors")
	keys, _, err := idx.Search([]float32{1234, 1, 2, 3}, 1)
	require.NoError(t, err)
	assert.Equal(t, []Key{1234}, keys)
}

// closedCalls lists every method of *Index with arguments that would otherwise succeed.
func closedCalls(idx *Index) map[string]func() error {
	v := []float32{1, 2}
	v8 := []int8{1, 2}
	p := unsafe.Pointer(&v[0])
	e := func(_ any, err error) error { return err }
	e3 := func(_, _ any, err error) error { return err }
	return map[string]func() error{
		"Len":                   func() error { return e(idx.Len()) },
		"Capacity":              func() error { return e(idx.Capacity()) },
		"Dimensions":            func() error { return e(idx.Dimensions()) },
		"Connectivity":          func() error { return e(idx.Connectivity()) },
		"ExpansionAdd":          func() error { return e(idx.ExpansionAdd()) },
		"ExpansionSearch":       func() error { return e(idx.ExpansionSearch()) },
		"MemoryUsage":           func() error { return e(idx.MemoryUsage()) },
		"HardwareAcceleration":  func() error { return e(idx.HardwareAcceleration()) },
		"ChangeExpansionAdd":    func() error { return idx.ChangeExpansionAdd(10) },
		"ChangeExpansionSearch": func() error { return idx.ChangeExpansionSearch(10) },
		"ChangeThreadsAdd":      func() error { return idx.ChangeThreadsAdd(2) },
		"ChangeThreadsSearch":   func() error { return idx.ChangeThreadsSearch(2) },
		"Reserve":               func() error { return idx.Reserve(100) },
		"Add":                   func() error { return idx.Add(9, v) },
		"AddI8":                 func() error { return idx.AddI8(10, v8) },
		"AddUnsafe":             func() error { return idx.AddUnsafe(11, p) },
		"Remove":                func() error { return idx.Remove(1) },
		"Contains":              func() error { return e(idx.Contains(1)) },
		"Count":                 func() error { return e(idx.Count(1)) },
		"Get":                   func() error { return e(idx.Get(1, 1)) },
		"Rename":                func() error { return idx.Rename(12, 13) },
		"Search":                func() error { return e3(idx.Search(v, 1)) },
		"SearchI8":              func() error { return e3(idx.SearchI8(v8, 1)) },
		"SearchUnsafe":          func() error { return e3(idx.SearchUnsafe(p, 1)) },
	}
}

func TestClosedIndex(t *testing.T) {
	idx, err := NewIndex(IndexConfig{Dimensions: 2, Metric: L2sq})
	require.NoError(t, err)
	require.NoError(t, idx.Add(1, []float32{1, 1}))
	calls := closedCalls(idx)
	for name, call := range calls {
		require.NoErrorf(t, call(), "%s on an open index", name)
	}
	require.NoError(t, idx.Close())
	require.NoError(t, idx.Close(), "Close is idempotent")
	require.NoError(t, idx.Destroy(), "Destroy after Close is fine")
	for name, call := range calls {
		err := call()
		assert.Truef(t, errors.Is(err, ErrClosed), "%s after Close: %v", name, err)
		if err != nil {
			assert.Containsf(t, err.Error(), name, "%s: the error names the operation", name)
		}
	}

	// Destroy alone closes too, and IndexOf behaves the same.
	idx2, err := NewIndex(DefaultConfig(2))
	require.NoError(t, err)
	require.NoError(t, idx2.Destroy())
	_, err = idx2.Len()
	assert.ErrorIs(t, err, ErrClosed)

	typed, err := NewIndexOf[Float16](IndexConfig{Dimensions: 2, Metric: L2sq, Quantization: F16})
	require.NoError(t, err)
	require.NoError(t, typed.Close())
	assert.ErrorIs(t, typed.Add(1, []Float16{1, 2}), ErrClosed)
	_, _, err = typed.Search([]Float16{1, 2}, 1)
	assert.ErrorIs(t, err, ErrClosed)
	_, err = typed.Get(1, 1)
	assert.ErrorIs(t, err, ErrClosed)
	_, err = typed.Count(1)
	assert.ErrorIs(t, err, ErrClosed)
	require.NoError(t, typed.Close())
}

// TestIndexOfAllTypes runs the CRUD cycle through IndexOf for every Scalar type, on its
// natural storage kind.
func TestIndexOfAllTypes(t *testing.T) {
	rng := rand.New(rand.NewSource(22))
	t.Run("float64", func(t *testing.T) { crudCycle[float64](t, rng, F64, L2sq) })
	t.Run("float32", func(t *testing.T) { crudCycle[float32](t, rng, F32, L2sq) })
	t.Run("Float16", func(t *testing.T) { crudCycle[Float16](t, rng, F16, L2sq) })
	t.Run("BFloat16", func(t *testing.T) { crudCycle[BFloat16](t, rng, BF16, L2sq) })
	t.Run("int8", func(t *testing.T) { crudCycle[int8](t, rng, I8, L2sq) })
	t.Run("uint8", func(t *testing.T) { crudCycle[uint8](t, rng, U8, L2sq) })
	t.Run("B1x8", func(t *testing.T) { crudCycle[B1x8](t, rng, B1, Hamming) })
}

func crudCycle[T Scalar](t *testing.T, rng *rand.Rand, q Quantization, m Metric) {
	const dims = 16
	idx, err := NewIndexOf[T](IndexConfig{Dimensions: dims, Metric: m, Quantization: q, Multi: true})
	require.NoError(t, err)
	defer idx.Close()
	vecs := map[Key][]T{}
	for k := Key(1); k <= 30; k++ {
		row := refRandomRow(rng, q, m, dims)
		if q == B1 || q == I8 || q == U8 {
			row[0] = byte(k) // distinct vectors
		}
		vecs[k] = refTyped[T](row)
		require.NoError(t, idx.Add(k, vecs[k]))
	}
	assert.ErrorIs(t, idx.Add(1, vecs[1][:len(vecs[1])-1]), ErrDimensionMismatch)
	assert.ErrorIs(t, idx.Add(math.MaxUint64, vecs[1]), ErrReservedKey)
	require.NoError(t, idx.Add(1, vecs[2]), "Multi: a second vector under key 1")
	n, err := idx.Count(1)
	require.NoError(t, err)
	assert.Equal(t, uint(2), n)
	assert.Equal(t, uint(31), mustLen(t, idx))

	for k := Key(3); k <= 30; k++ {
		got, err := idx.Get(k, 1)
		require.NoError(t, err)
		assert.Equal(t, vecs[k], got)
		keys, dists, err := idx.Search(vecs[k], 1)
		require.NoError(t, err)
		require.Len(t, keys, 1)
		assert.Equal(t, float32(0), dists[0])
		if keys[0] != k { // another key may hold an identical vector only if it was added twice
			assert.Equal(t, vecs[k], vecs[keys[0]])
		}
	}
	require.NoError(t, idx.Remove(1))
	require.NoError(t, idx.Rename(3, 300))
	ok, err := idx.Contains(300)
	require.NoError(t, err)
	assert.True(t, ok)
	keys, _, err := idx.Search(vecs[2], 40)
	require.NoError(t, err)
	assert.Len(t, keys, 29)
	assert.NotContains(t, keys, Key(1))
	assert.NotContains(t, keys, Key(3))
	assert.Contains(t, keys, Key(300))
}

// TestConcurrentUse is a short smoke test for -race: adds, searches and reads at once.
func TestConcurrentUse(t *testing.T) {
	idx := newTestIndex(t, IndexConfig{Dimensions: 8, Metric: Cosine, Quantization: F16})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(g)))
			for i := 0; i < 100; i++ {
				v := refRandomF32(rng, Cosine, 8)
				if err := idx.Add(Key(g*1000+i), v); err != nil {
					errs <- err
					return
				}
				if _, _, err := idx.Search(v, 5); err != nil {
					errs <- err
					return
				}
				if _, err := idx.Get(Key(g*1000+i/2), 1); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, uint(400), mustLen(t, idx))
}

// What the Go side and the C core each define for themselves must agree: the version and the
// hash of the allow-list table (filter.go builds it, the core probes it).

// TestVersionMatchesCore keeps the Go constant and the C core's usearch_version() equal,
// so the version lives in one place per language and cannot drift.
func TestVersionMatchesCore(t *testing.T) {
	if got := coreVersion(); got != Version() {
		t.Errorf("C core reports %q, Version() %q", got, Version())
	}
}

// The Go-built allow table is probed by C: both must hash keys the same way, and every
// allowed key must be found where C looks for it.
func TestAllowTableHash(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	keys := []Key{0, 1, 2, 1 << 63, emptyCell - 1}
	for i := 0; i < 1000; i++ {
		keys = append(keys, r.Uint64())
	}
	for _, k := range keys {
		if keyHash(k) != coreKeyHash(k) {
			t.Fatalf("keyHash(%d) = %x, the core computes %x", k, keyHash(k), coreKeyHash(k))
		}
	}
	f := AllowKeys(keys)
	if len(f.spec.table) < 2*len(keys) || len(f.spec.table)&(len(f.spec.table)-1) != 0 {
		t.Fatalf("table of %d cells for %d keys: want a power of two at least twice as large", len(f.spec.table), len(keys))
	}
}
