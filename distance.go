package usearch

import (
	"fmt"
	"math/bits"
	"unsafe"
)

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

// checkMetric validates a metric for vectors of kind q with dims dimensions.
func checkMetric(op string, metric Metric, q Quantization, dims uint) error {
	switch {
	case int(metric) >= len(metricNames):
		return &opError{op: op, detail: fmt.Sprintf("unknown metric %d", uint8(metric)), kind: ErrInvalidArgument}
	case int(q) >= len(quantizationNames):
		return &opError{op: op, detail: fmt.Sprintf("unknown quantization %d", uint8(q)), kind: ErrInvalidArgument}
	case dims == 0:
		return &opError{op: op, detail: "vectorDimensions is 0", kind: ErrInvalidArgument}
	case !q.supports(metric):
		return &opError{op: op, detail: unsupportedDetail(metric, q), kind: ErrUnsupported}
	case metric == Haversine && dims < 2:
		return &opError{op: op, detail: fmt.Sprintf("haversine needs 2 dimensions [lat, lon], got %d", dims), kind: ErrInvalidArgument}
	}
	return nil
}

func distanceOf[T Scalar](op string, a, b []T, dims uint, metric Metric) (float32, error) {
	q := quantizationOf[T]()
	if err := checkMetric(op, metric, q, dims); err != nil {
		return 0, err
	}
	if want := elementsPerVector[T](dims); uint(len(a)) != want || uint(len(b)) != want {
		return 0, &opError{op: op, detail: fmt.Sprintf("got vectors of %d and %d elements, want %d for %d dimensions", len(a), len(b), want, dims), kind: ErrDimensionMismatch}
	}
	if err := checkPair(op, unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b)), len(a), q); err != nil {
		return 0, err
	}
	d, st := coreDistance(unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b)), q, dims, metric)
	if !st.ok() {
		return 0, statusError(op, st, "")
	}
	return d, nil
}

// Distance computes the distance between two float32 vectors of vectorDimensions elements.
func Distance(vec1, vec2 []float32, vectorDimensions uint, metric Metric) (float32, error) {
	return distanceOf("Distance", vec1, vec2, vectorDimensions, metric)
}

// DistanceI8 computes the distance between two int8 vectors.
func DistanceI8(vec1, vec2 []int8, vectorDimensions uint, metric Metric) (float32, error) {
	return distanceOf("DistanceI8", vec1, vec2, vectorDimensions, metric)
}

// DistanceOf computes the distance between two vectors of any Scalar type; for B1x8 the
// dimensions are len(a)*8 bits.
func DistanceOf[T Scalar](a, b []T, metric Metric) (float32, error) {
	dims := uint(len(a))
	if quantizationOf[T]() == B1 {
		dims *= 8
	}
	return distanceOf("DistanceOf", a, b, dims, metric)
}

// DistanceUnsafe computes the distance between two vectors of the given quantization, each
// vectorDimensions elements long.
func DistanceUnsafe(vec1, vec2 unsafe.Pointer, vectorDimensions uint, metric Metric, quantization Quantization) (float32, error) {
	if err := checkMetric("DistanceUnsafe", metric, quantization, vectorDimensions); err != nil {
		return 0, err
	}
	if vec1 == nil || vec2 == nil {
		return 0, &opError{op: "DistanceUnsafe", detail: "vector pointer is nil", kind: ErrInvalidArgument}
	}
	if err := checkPair("DistanceUnsafe", vec1, vec2, int(vectorDimensions), quantization); err != nil {
		return 0, err
	}
	d, st := coreDistance(vec1, vec2, quantization, vectorDimensions, metric)
	if !st.ok() {
		return 0, statusError("DistanceUnsafe", st, "")
	}
	return d, nil
}

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
func ExactSearch(dataset, queries []float32, datasetSize, queryCount, datasetStride, queryStride, vectorDimensions uint,
	metric Metric, maxResults, numThreads, resultKeysStride, resultDistancesStride uint) (keys []Key, distances []float32, err error) {
	return exactSearchOf("ExactSearch", dataset, queries, datasetSize, queryCount, datasetStride, queryStride,
		vectorDimensions, metric, maxResults, numThreads, resultKeysStride, resultDistancesStride)
}

// ExactSearchI8 is ExactSearch over int8 vectors.
func ExactSearchI8(dataset, queries []int8, datasetSize, queryCount, datasetStride, queryStride, vectorDimensions uint,
	metric Metric, maxResults, numThreads, resultKeysStride, resultDistancesStride uint) ([]Key, []float32, error) {
	return exactSearchOf("ExactSearchI8", dataset, queries, datasetSize, queryCount, datasetStride, queryStride,
		vectorDimensions, metric, maxResults, numThreads, resultKeysStride, resultDistancesStride)
}

// ExactSearchUnsafe is ExactSearch over vectors of the given quantization in caller memory.
// Lengths cannot be checked: the caller guarantees that the rows exist.
func ExactSearchUnsafe(dataset, queries unsafe.Pointer, datasetSize, queryCount, datasetStride, queryStride, vectorDimensions uint,
	metric Metric, quantization Quantization, maxResults, numThreads, resultKeysStride, resultDistancesStride uint) ([]Key, []float32, error) {
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
