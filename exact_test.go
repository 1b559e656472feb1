//go:build cgo

package usearch

// Exact search (csrc/exact.hpp) against the pure-Go brute force of reference_test.go, over the
// shapes where a blocked scan goes wrong: fewer rows than a tile, rows and queries that are
// not whole tiles, k beyond the rows, one query (the direct scan), several queries split over
// threads or rows split over threads, strides wider than a row, duplicate rows and exact ties.
// Then ExactSearch over caller arrays (every metric x kind, strides, argument errors) and
// SearchExact over an index's live vectors, both against brute force.

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

// exactShapes are the shapes every metric × kind runs through. The blocked scan takes 8 or
// more queries (its tiles are 12 or 6 queries by 32 or 16 rows); with 2 threads and fewer
// than 8 queries over 512 or more rows, the rows are split between the threads.
var exactShapes = []struct{ n, nq, k, threads, dims int }{
	{5, 9, 3, 1, 0},     // fewer rows than a tile
	{45, 13, 10, 2, 0},  // neither rows nor queries whole tiles; queries split over 2 threads
	{70, 8, 100, 1, 0},  // k beyond the rows: padding
	{33, 25, 1, 2, 0},   // k = 1
	{40, 1, 5, 1, 0},    // one query: direct scan
	{97, 30, 7, 1, 64},  // even dimensions
	{31, 12, 4, 2, 1},   // one dimension
	{600, 3, 10, 2, 0},  // few queries: rows split over 2 threads, heaps merged
	{600, 40, 12, 2, 0}, // many queries over more rows than one block of the direct scan
}

func TestExactSearchShapesMatchReference(t *testing.T) {
	for ci, c := range metricCases(true) {
		t.Run(c.String(), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(900 + ci)))
			for si, shape := range exactShapes {
				if testing.Short() && shape.n*shape.nq > 4000 {
					continue // the largest shape costs most of the reference's time
				}
				dims := metricDims(c) // odd, with a ragged tail
				if shape.dims > 0 && c.m != Haversine {
					dims = shape.dims
					if c.q == B1 {
						dims *= 8
					}
				}
				if c.m == Pearson && dims < 2 {
					dims = 2
				}
				row := refRowBytes(c.q, dims)
				dataset := make([][]byte, shape.n)
				for i := range dataset {
					dataset[i] = refRandomRow(rng, c.q, c.m, dims)
				}
				// Duplicate rows: equal distances to every query, reported in row order.
				if shape.n > 10 {
					dataset[7], dataset[shape.n-1] = dataset[3], dataset[3]
				}
				queries := make([][]byte, shape.nq)
				for i := range queries {
					queries[i] = refRandomRow(rng, c.q, c.m, dims)
				}
				queries[0] = dataset[min(3, shape.n-1)] // a query equal to a (duplicated) row
				dStride, qStride := row+5, row+3
				kStride, dsStride := shape.k+1, shape.k+2
				dBuf, qBuf := layoutRows(dataset, dStride), layoutRows(queries, qStride)
				keys, dists, err := ExactSearchUnsafe(unsafe.Pointer(&dBuf[0]), unsafe.Pointer(&qBuf[0]),
					uint(shape.n), uint(shape.nq), uint(dStride), uint(qStride), uint(dims), c.m, c.q,
					uint(shape.k), uint(shape.threads), uint(kStride*8), uint(dsStride*4))
				require.NoError(t, err, "shape %d", si)
				checkExact(t, c, dims, dataset, queries, shape.k, keys, dists, kStride, dsStride)
				if refExact(c.m, c.q) || refIsBits(c.m) {
					continue
				}
				// Reported distances are the pair kernel's, whichever scan found the rows.
				for qi := range queries {
					for i := 0; i < min(shape.k, shape.n); i++ {
						k := keys[qi*kStride+i]
						want, err := DistanceUnsafe(unsafe.Pointer(&queries[qi][0]), unsafe.Pointer(&dataset[k][0]), uint(dims), c.m, c.q)
						require.NoError(t, err)
						if !(math.IsNaN(float64(want)) && math.IsNaN(float64(dists[qi*dsStride+i]))) {
							require.Equalf(t, want, dists[qi*dsStride+i], "shape %d query %d rank %d row %d: distance is not the pair kernel's", si, qi, i, k)
						}
					}
				}
			}
		})
	}
}

// TestExactSearchBlockedTies uses small integers in f32, where every sum is exact, so the
// blocked scan's dot products tie exactly where the reference ties: the order must be the
// reference's, ties to the lower row, for l2sq and ip, on 1 and 2 threads.
func TestExactSearchBlockedTies(t *testing.T) {
	rng := rand.New(rand.NewSource(77))
	const n, nq, dims = 150, 24, 13
	flat := make([]float32, n*dims)
	for i := range flat {
		flat[i] = float32(rng.Intn(3) - 1)
	}
	copy(flat[40*dims:41*dims], flat[10*dims:11*dims]) // duplicates of row 10
	copy(flat[99*dims:100*dims], flat[10*dims:11*dims])
	queries := make([]float32, nq*dims)
	for i := range queries {
		queries[i] = float32(rng.Intn(3) - 1)
	}
	copy(queries[:dims], flat[10*dims:11*dims])
	for _, m := range []Metric{L2sq, InnerProduct} {
		for _, threads := range []uint{1, 2} {
			for _, k := range []int{1, 9, n + 3} {
				keys, dists, err := ExactSearch(flat, queries, n, nq, 0, 0, dims, m, uint(k), threads, 0, 0)
				require.NoError(t, err)
				for q := 0; q < nq; q++ {
					ref := refRank(m, F32, f32Rows(flat, dims), refRow(queries[q*dims:(q+1)*dims]), dims)
					for i := 0; i < min(k, n); i++ {
						require.Equalf(t, Key(ref[i].row), keys[q*k+i], "%v threads %d k %d query %d rank %d", m, threads, k, q, i)
						require.Equalf(t, float32(ref[i].dist), dists[q*k+i], "%v query %d rank %d", m, q, i)
					}
				}
				if m == L2sq && k > 3 {
					assert.Equal(t, []Key{10, 40, 99}, keys[:3], "duplicates at distance 0, in row order")
				}
			}
		}
	}
}

func f32Rows(flat []float32, dims int) [][]byte {
	rows := make([][]byte, len(flat)/dims)
	for i := range rows {
		rows[i] = refRow(flat[i*dims : (i+1)*dims])
	}
	return rows
}

// TestExactSearchNormSpread covers the l2sq scan's skipping of rows by norm: rows and queries
// whose norms spread over two orders of magnitude, so that most tiles and row blocks are
// skipped, with duplicates among them; i8 must match the reference exactly (ties to the
// lower row), f32 within rounding.
func TestExactSearchNormSpread(t *testing.T) {
	rng := rand.New(rand.NewSource(31))
	const n, nq, dims = 1500, 40, 24
	for _, q := range []Quantization{F32, I8} {
		c := metricCase{L2sq, q}
		row := func() []byte {
			scale := math.Pow(10, rng.Float64()*2-2) // 0.01 .. 1
			xs := refRandomValues(rng, L2sq, dims)
			for i := range xs {
				xs[i] *= scale
				if q == I8 {
					xs[i] = math.Round(xs[i] * 127)
				}
			}
			if q == I8 {
				return refRow(refMapSlice[float64, int8](xs))
			}
			return refRow(refMapSlice[float64, float32](xs))
		}
		data := make([][]byte, n)
		for i := range data {
			data[i] = row()
		}
		data[1200], data[1400] = data[600], data[600]
		queries := make([][]byte, nq)
		for i := range queries {
			queries[i] = row()
		}
		queries[5] = data[600]
		for _, threads := range []int{1, 2} {
			for _, k := range []int{1, 10, 33} {
				dBuf, qBuf := layoutRows(data, refRowBytes(q, dims)), layoutRows(queries, refRowBytes(q, dims))
				keys, dists, err := ExactSearchUnsafe(unsafe.Pointer(&dBuf[0]), unsafe.Pointer(&qBuf[0]), n, nq, 0, 0, dims,
					L2sq, q, uint(k), uint(threads), 0, 0)
				require.NoError(t, err)
				checkExact(t, c, dims, data, queries, k, keys, dists, k, k)
				if k > 3 {
					assert.Equal(t, []Key{600, 1200, 1400}, keys[5*k:5*k+3], "%v: duplicates in row order", q)
				}
			}
		}
	}
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
	_, _, err = ExactSearchUnsafe(p, p, 2, 1, 0, 0, 4, L2sq, Quantization(len(quantizationNames)), 1, 0, 0, 0)
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

// filled returns an index of rows under keys 0..n-1 with every third key removed, and the
