//go:build cgo

package usearch

// Exact search (csrc/exact.hpp) against the pure-Go brute force of reference_test.go, over the
// shapes where a blocked scan goes wrong: fewer rows than a tile, rows and queries that are
// not whole tiles, k beyond the rows, one query (the direct scan), several queries split over
// threads or rows split over threads, strides wider than a row, duplicate rows and exact ties.

import (
	"math"
	"math/rand"
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
