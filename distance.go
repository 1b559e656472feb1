package usearch

import (
	"fmt"
	"unsafe"
)

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
	if keysStride, err = strideOf(op, "resultKeysStride", keysStride, maxResults*8, 8); err != nil {
		return nil, nil, err
	}
	if distsStride, err = strideOf(op, "resultDistancesStride", distsStride, maxResults*4, 4); err != nil {
		return nil, nil, err
	}
	need := func(rows, stride uint) uint {
		if rows == 0 {
			return 0
		}
		return ((rows-1)*stride + row) / size
	}
	if uint(len(dataset)) < need(datasetSize, datasetStride) {
		return nil, nil, &opError{op: op, detail: fmt.Sprintf("dataset has %d elements, %d rows need %d", len(dataset), datasetSize, need(datasetSize, datasetStride)), kind: ErrDimensionMismatch}
	}
	if uint(len(queries)) < need(queryCount, queryStride) {
		return nil, nil, &opError{op: op, detail: fmt.Sprintf("queries has %d elements, %d rows need %d", len(queries), queryCount, need(queryCount, queryStride)), kind: ErrDimensionMismatch}
	}
	if queryCount == 0 || maxResults == 0 {
		return []Key{}, []float32{}, nil
	}
	keys := make([]Key, (queryCount-1)*keysStride/8+maxResults)
	dists := make([]float32, (queryCount-1)*distsStride/4+maxResults)
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
// query at the result strides (dense by default); a result's key is the dataset row number.
// When the dataset has fewer than maxResults rows, the rest of each row holds key 0 and NaN.
// numThreads 0 uses every core.
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
	if resultKeysStride, err = strideOf(op, "resultKeysStride", resultKeysStride, maxResults*8, 8); err != nil {
		return nil, nil, err
	}
	if resultDistancesStride, err = strideOf(op, "resultDistancesStride", resultDistancesStride, maxResults*4, 4); err != nil {
		return nil, nil, err
	}
	if queryCount == 0 || maxResults == 0 {
		return []Key{}, []float32{}, nil
	}
	keys := make([]Key, (queryCount-1)*resultKeysStride/8+maxResults)
	dists := make([]float32, (queryCount-1)*resultDistancesStride/4+maxResults)
	st := coreExactSearch(dataset, queries, datasetSize, queryCount, datasetStride, queryStride, quantization,
		vectorDimensions, metric, maxResults, numThreads, &keys[0], resultKeysStride, &dists[0], resultDistancesStride)
	if !st.ok() {
		return nil, nil, statusError(op, st, "")
	}
	return keys, dists, nil
}
