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
