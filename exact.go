package usearch

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// Exact (brute-force) search: SearchExact over the live vectors of an index, the blocked scan
// behind an exact SearchBatch (BatchOptions.Exact), and ExactSearch over caller-owned arrays
// without an index. The core side is csrc/exact.hpp.

// searchExactVector scores every live vector of the index against query with the index's
// metric (a Go metric included) and returns the limit nearest, closest first. Batches call
// it once per query.
func searchExactVector[T Scalar](b *base, op string, query []T, limit uint) ([]Key, []float32, error) {
	h, rt, err := b.read(op)
	if err != nil {
		return nil, nil, err
	}
	defer b.mu.runlock(rt)
	q := quantizationOf[T]()
	if err := checkQuery(b, op, query); err != nil {
		return nil, nil, err
	}
	if n := b.live.Load(); n >= 0 && uint64(limit) > uint64(n) {
		limit = uint(n)
	}
	if limit == 0 {
		return []Key{}, []float32{}, nil
	}
	keys := make([]Key, limit)
	dists := make([]float32, limit)
	n, st := coreSearchExact(h, unsafe.Pointer(unsafe.SliceData(query)), q, limit, &keys[0], &dists[0])
	if !st.ok() {
		return nil, nil, b.callError(op, st, "")
	}
	return keys[:n], dists[:n], nil
}

// SearchExact returns the limit keys nearest to query by brute force over every vector in
// the index, with their distances, closest first: the ground truth Search approximates.
// It uses the index's metric, a Go metric included; removed vectors are never returned.
func (b *Index) SearchExact(query []float32, limit uint) ([]Key, []float32, error) {
	return searchExactVector(&b.base, "SearchExact", query, limit)
}

// SearchExact returns the limit keys nearest to query by brute force over every vector in
// the index; see Index.SearchExact.
func (b *IndexOf[T]) SearchExact(query []T, limit uint) ([]Key, []float32, error) {
	return searchExactVector(&b.base, "SearchExact", query, limit)
}

// exactBlock is how many queries one brute-force scan of the index takes in an exact
// SearchBatch: enough that every block of rows read from memory serves many queries (the
// scan is a blocked matrix product), few enough that cancellation and Progress stay prompt.
const exactBlock = 256

// runBlocks runs do over the rows [0, rows) in blocks of exactBlock rows (the last one
// shorter), the blocks spread over threads goroutines like runRows' rows, and reports
// Progress per block at least. done counts the rows of the blocks that finished; a failure
// names the first row of its block.
func runBlocks(ctx context.Context, threads, rows int, progress func(int, int), do func(first, last int) error) (done int, failure *rowFailure) {
	// Smaller blocks would keep Progress at 1% steps for small batches, but each block
	// re-reads (and, blocked, re-packs) every row of the index: 10-query blocks ran a
	// 60k x 784 index at a twelfth of the speed of 256-query ones.
	block := exactBlock
	blocks := (rows + block - 1) / block
	var rowsDone atomic.Int64
	var report func(int, int)
	if progress != nil {
		// runRows counts blocks, the caller rows: every block but the last has block rows.
		report = func(doneBlocks, _ int) { progress(min(doneBlocks*block, rows), rows) }
	}
	_, failure = runRows(ctx, threads, blocks, report, func(blk int) error {
		first, last := blk*block, min(rows, (blk+1)*block)
		if err := do(first, last); err != nil {
			return err
		}
		rowsDone.Add(int64(last - first))
		return nil
	})
	if failure != nil {
		failure.row *= block
	}
	return int(rowsDone.Load()), failure
}

// searchExactBlock scans the index once for every row of queries (per elements each), lim
// results a row into keys and dists (lim apart) and their numbers into counts. It returns
// handled false, having written nothing, for a Go metric, which is scanned query by query.
// The caller has checked the queries.
func searchExactBlock[T Scalar](b *base, op string, queries []T, per, lim int, keys []Key, dists []float32, counts []int) (bool, error) {
	h, rt, err := b.read(op)
	if err != nil {
		return true, err
	}
	defer b.mu.runlock(rt)
	rows := len(queries) / per
	found := make([]uint, rows)
	handled, st := coreSearchExactBatch(h, unsafe.Pointer(unsafe.SliceData(queries)), quantizationOf[T](), uint(rows),
		uint(per)*uint(unsafe.Sizeof(queries[0])), uint(lim), &keys[0], &dists[0], &found[0])
	if !st.ok() {
		return true, b.callError(op, st, "")
	}
	if handled {
		for i, n := range found {
			counts[i] = int(n)
		}
	}
	return handled, nil
}

// checkQueries checks every row of a batch against the index before an exact scan, which
// answers a block of rows at once: a bad row fails the batch before any is searched.
func checkQueries[T Scalar](b *base, op string, queries []T, per int) *rowFailure {
	_, rt, err := b.read(op)
	if err != nil {
		return &rowFailure{row: 0, err: err}
	}
	defer b.mu.runlock(rt)
	for i := range len(queries) / per {
		if err := checkQuery(b, op, queries[i*per:(i+1)*per:(i+1)*per]); err != nil {
			return &rowFailure{row: i, err: err}
		}
	}
	return nil
}

// searchExactBlocks answers an exact SearchBatch of an index block by block (runBlocks,
// searchExactBlock). It returns handled false, having written nothing, for a Go metric.
func searchExactBlocks[T Scalar](ctx context.Context, b *base, op string, queries []T, per, rows, lim, threads int,
	progress func(int, int), m *Matches) (handled bool, done int, failure *rowFailure) {
	if f := checkQueries(b, op, queries, per); f != nil {
		return true, 0, f
	}
	var unhandled atomic.Bool
	done, failure = runBlocks(ctx, threads, rows, progress, func(first, last int) error {
		ok, err := searchExactBlock(b, op, queries[first*per:last*per], per, lim, m.Keys[first*lim:last*lim],
			m.Distances[first*lim:last*lim], m.Counts[first:last])
		if err == nil && !ok {
			unhandled.Store(true)
			err = errExactUnhandled
		}
		return err
	})
	if unhandled.Load() {
		return false, 0, nil
	}
	return true, done, failure
}

// errExactUnhandled stops searchExactBlocks when the core leaves a Go metric to the
// query-by-query scan; it never reaches the caller.
var errExactUnhandled = errors.New("exact batch scan: not for a Go metric")

// strideOf resolves a byte stride: 0 means dense rows of `row` bytes.
func strideOf(op, name string, stride, row, align uint) (uint, error) {
	if stride == 0 {
		return row, nil
	}
	if stride < row || stride%align != 0 {
		return 0, &opError{op: op, detail: fmt.Sprintf("%s %d must be 0 or a multiple of %d of at least %d bytes", name, stride, align, row), kind: ErrInvalidArgument}
	}
	return stride, nil
}

func exactSearchOf[T Scalar](op string, dataset, queries []T, datasetSize, queryCount, datasetStride, queryStride, dims uint,
	metric Metric, maxResults, numThreads, keysStride, distsStride uint) ([]Key, []float32, error) {
	q := quantizationOf[T]()
	if err := checkMetric(op, metric, q, dims); err != nil {
		return nil, nil, err
	}
	var zero T
	size := uint(unsafe.Sizeof(zero))
	row := q.bytesPerVector(dims)
	var err error
	if datasetStride, err = strideOf(op, "datasetStride", datasetStride, row, size); err != nil {
		return nil, nil, err
	}
	if queryStride, err = strideOf(op, "queryStride", queryStride, row, size); err != nil {
		return nil, nil, err
	}
	if queryCount == 0 || maxResults == 0 {
		return []Key{}, []float32{}, nil
	}
	keysStride, distsStride, nKeys, nDists, err := resultLayout(op, queryCount, maxResults, keysStride, distsStride)
	if err != nil {
		return nil, nil, err
	}
	for _, in := range []struct {
		name         string
		have         int
		rows, stride uint
	}{{"dataset", len(dataset), datasetSize, datasetStride}, {"queries", len(queries), queryCount, queryStride}} {
		bytes, ok := span(in.rows, in.stride, row)
		if !ok || uint64(in.have)*uint64(size) < uint64(bytes) {
			return nil, nil, &opError{op: op, detail: fmt.Sprintf("%s has %d elements, fewer than %d rows at stride %d need", in.name, in.have, in.rows, in.stride), kind: ErrDimensionMismatch}
		}
	}
	if err := checkRows(op, "dataset", unsafe.Pointer(unsafe.SliceData(dataset)), datasetSize, datasetStride, int(dims), q); err != nil {
		return nil, nil, err
	}
	if err := checkRows(op, "query", unsafe.Pointer(unsafe.SliceData(queries)), queryCount, queryStride, int(dims), q); err != nil {
		return nil, nil, err
	}
	keys := make([]Key, nKeys)
	dists := make([]float32, nDists)
	st := coreExactSearch(unsafe.Pointer(unsafe.SliceData(dataset)), unsafe.Pointer(unsafe.SliceData(queries)),
		datasetSize, queryCount, datasetStride, queryStride, q, dims, metric, maxResults, numThreads,
		&keys[0], keysStride, &dists[0], distsStride)
	if !st.ok() {
		return nil, nil, statusError(op, st, "")
	}
	return keys, dists, nil
}

// ExactSearch finds the maxResults nearest dataset rows for every query by brute force.
// Strides are in bytes (0 means dense rows). Results are laid out one row of maxResults per
// query at the result strides (dense by default; with one query they are not used, so any
// value is accepted); a result's key is the dataset row number.
// When the dataset has fewer than maxResults rows, the rest of each row holds key 0 and NaN.
// numThreads 0 uses every core. Distances are Distance's, ties go to the lower row; with
// many queries, L2sq, InnerProduct and Cosine are scanned as a blocked matrix product
// (rows in norm order for L2sq, skipping those too far by norm), and the candidates are
// re-scored exactly.
//
// The keys are Key values; the result is spelled []uint64 (the same type, Key being an
// alias) so that go doc lists this function on its own rather than as a constructor of Key.
func ExactSearch(dataset, queries []float32, datasetSize, queryCount, datasetStride, queryStride, vectorDimensions uint,
	metric Metric, maxResults, numThreads, resultKeysStride, resultDistancesStride uint) (keys []uint64, distances []float32, err error) {
	return exactSearchOf("ExactSearch", dataset, queries, datasetSize, queryCount, datasetStride, queryStride,
		vectorDimensions, metric, maxResults, numThreads, resultKeysStride, resultDistancesStride)
}

// ExactSearchI8 is ExactSearch over int8 vectors.
func ExactSearchI8(dataset, queries []int8, datasetSize, queryCount, datasetStride, queryStride, vectorDimensions uint,
	metric Metric, maxResults, numThreads, resultKeysStride, resultDistancesStride uint) ([]uint64, []float32, error) {
	return exactSearchOf("ExactSearchI8", dataset, queries, datasetSize, queryCount, datasetStride, queryStride,
		vectorDimensions, metric, maxResults, numThreads, resultKeysStride, resultDistancesStride)
}

// ExactSearchUnsafe is ExactSearch over vectors of the given quantization in caller memory.
// Lengths cannot be checked: the caller guarantees that the rows exist.
func ExactSearchUnsafe(dataset, queries unsafe.Pointer, datasetSize, queryCount, datasetStride, queryStride, vectorDimensions uint,
	metric Metric, quantization Quantization, maxResults, numThreads, resultKeysStride, resultDistancesStride uint) ([]uint64, []float32, error) {
	const op = "ExactSearchUnsafe"
	if err := checkMetric(op, metric, quantization, vectorDimensions); err != nil {
		return nil, nil, err
	}
	if (datasetSize > 0 && dataset == nil) || (queryCount > 0 && queries == nil) {
		return nil, nil, &opError{op: op, detail: "dataset or queries pointer is nil", kind: ErrInvalidArgument}
	}
	row := quantization.bytesPerVector(vectorDimensions)
	var err error
	if datasetStride, err = strideOf(op, "datasetStride", datasetStride, row, 1); err != nil {
		return nil, nil, err
	}
	if queryStride, err = strideOf(op, "queryStride", queryStride, row, 1); err != nil {
		return nil, nil, err
	}
	if queryCount == 0 || maxResults == 0 {
		return []Key{}, []float32{}, nil
	}
	resultKeysStride, resultDistancesStride, nKeys, nDists, err := resultLayout(op, queryCount, maxResults, resultKeysStride, resultDistancesStride)
	if err != nil {
		return nil, nil, err
	}
	if err := checkRows(op, "dataset", dataset, datasetSize, datasetStride, int(vectorDimensions), quantization); err != nil {
		return nil, nil, err
	}
	if err := checkRows(op, "query", queries, queryCount, queryStride, int(vectorDimensions), quantization); err != nil {
		return nil, nil, err
	}
	keys := make([]Key, nKeys)
	dists := make([]float32, nDists)
	st := coreExactSearch(dataset, queries, datasetSize, queryCount, datasetStride, queryStride, quantization,
		vectorDimensions, metric, maxResults, numThreads, &keys[0], resultKeysStride, &dists[0], resultDistancesStride)
	if !st.ok() {
		return nil, nil, statusError(op, st, "")
	}
	return keys, dists, nil
}

// maxResultElements bounds queryCount × maxResults: result slices beyond it could not be
// allocated anyway, and size arithmetic stays far from overflowing.
const maxResultElements = 1 << 36

// span is the bytes covered by rows rows of row bytes spaced stride apart, or ok=false
// when that does not fit in 64 bits.
func span(rows, stride, row uint) (uint, bool) {
	if rows == 0 {
		return 0, true
	}
	hi, lo := bits.Mul64(uint64(rows-1), uint64(stride))
	sum, carry := bits.Add64(lo, uint64(row), 0)
	return uint(sum), hi == 0 && carry == 0 && uint64(uint(sum)) == sum
}

// resultLayout checks the result strides and returns the slice lengths they need.
func resultLayout(op string, queryCount, maxResults, keysStride, distsStride uint) (uint, uint, uint, uint, error) {
	if hi, n := bits.Mul64(uint64(queryCount), uint64(maxResults)); hi != 0 || n > maxResultElements {
		return 0, 0, 0, 0, &opError{op: op, detail: fmt.Sprintf("%d queries x %d results is too many to return", queryCount, maxResults), kind: ErrOutOfMemory}
	}
	if queryCount == 1 {
		// One row of results cannot overlap another, so its stride is never used: upstream's
		// binding tests pass one element (8 and 4 bytes) here, and that is valid.
		keysStride, distsStride = 0, 0
	}
	var err error
	if keysStride, err = resultStride(op, "resultKeysStride", keysStride, maxResults, 8, queryCount); err != nil {
		return 0, 0, 0, 0, err
	}
	if distsStride, err = resultStride(op, "resultDistancesStride", distsStride, maxResults, 4, queryCount); err != nil {
		return 0, 0, 0, 0, err
	}
	keyBytes, ok1 := span(queryCount, keysStride, maxResults*8)
	distBytes, ok2 := span(queryCount, distsStride, maxResults*4)
	if !ok1 || !ok2 || keyBytes/8 > maxResultElements*4 || distBytes/4 > maxResultElements*4 {
		return 0, 0, 0, 0, &opError{op: op, detail: "result strides make the outputs too large to allocate", kind: ErrOutOfMemory}
	}
	return keysStride, distsStride, keyBytes / 8, distBytes / 4, nil
}

// resultStride resolves the byte stride between the result rows of several queries: 0 means
// dense rows of maxResults elements of size bytes; a shorter stride would make rows overlap.
func resultStride(op, name string, stride, maxResults, size, queryCount uint) (uint, error) {
	row := maxResults * size
	if stride == 0 {
		return row, nil
	}
	if stride%size != 0 {
		return 0, &opError{op: op, detail: fmt.Sprintf("%s %d must be a multiple of %d bytes", name, stride, size), kind: ErrInvalidArgument}
	}
	if stride < row {
		return 0, &opError{op: op, detail: fmt.Sprintf("%s %d is shorter than a row of %d results (%d bytes): the rows of %d queries would overlap; use 0 or at least %d",
			name, stride, maxResults, row, queryCount, row), kind: ErrInvalidArgument}
	}
	return stride, nil
}
