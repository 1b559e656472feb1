package usearch

import "fmt"

// Metrics: the distance kinds an index is built with, and the calls that change the metric of
// an existing index (a Go function through callbacks.go, or another built-in kind).

// Metric names a distance function. Lower distances mean closer vectors for every metric.
// The zero Metric is InnerProduct (upstream's order), so an IndexConfig whose Metric is
// left out searches by 1 - dot(a, b), while DefaultConfig picks Cosine.
type Metric uint8

// Metrics, numbered as in upstream's Go binding; Jaccard is appended.
const (
	InnerProduct Metric = iota // 1 - dot(a, b)
	Cosine                     // 1 - cos(a, b)
	L2sq                       // squared Euclidean distance
	Haversine                  // great-circle angle in radians between [lat, lon] pairs in degrees
	Divergence                 // Jensen-Shannon divergence of probability vectors
	Pearson                    // 1 - Pearson correlation
	Hamming                    // number of differing bits (B1 vectors)
	Tanimoto                   // 1 - |a AND b| / |a OR b| over bits (B1 vectors)
	Sorensen                   // 1 - 2|a AND b| / (|a| + |b|) over bits (B1 vectors)
	Jaccard                    // same as Tanimoto over bits (B1 vectors)
)

var metricNames = [...]string{"ip", "cos", "l2sq", "haversine", "divergence", "pearson", "hamming", "tanimoto", "sorensen", "jaccard"}

// String returns the metric's short name, as upstream USearch spells it.
func (m Metric) String() string {
	if int(m) < len(metricNames) {
		return metricNames[m]
	}
	return fmt.Sprintf("Metric(%d)", uint8(m))
}

// isBinary tells whether the metric compares bit sets.
func (m Metric) isBinary() bool {
	return m == Hamming || m == Tanimoto || m == Sorensen || m == Jaccard
}

// ---- user-defined metrics ----

func changeMetric[T Scalar](b *base, metric func(a, b []T) float32) error {
	const op = "ChangeMetric"
	if metric == nil {
		return &opError{op: op, detail: "metric is nil", kind: ErrInvalidArgument}
	}
	if b.durable != nil {
		return b.durable.refuse(op, "a Go function cannot be logged or saved; use ChangeMetricKind")
	}
	h, err := b.exclusive(op)
	if err != nil {
		return err
	}
	defer b.mu.unlock()
	if want := quantizationOf[T](); want != b.config.Quantization {
		return &opError{op: op, detail: fmt.Sprintf("a metric over []%T needs %v vectors, but the index stores %v", *new(T), want, b.config.Quantization), kind: ErrUnsupported}
	}
	m := &goMetric[T]{fn: metric, elements: int(elementsPerVector[T](b.config.Dimensions))}
	handle, st := coreChangeMetric(h, m)
	if !st.ok() {
		return statusError(op, st, "")
	}
	b.native.setMetric(handle, m)
	return nil
}

// ChangeMetric replaces the distance with a Go function over vectors as stored; the index
// must store F32. The function is called from the goroutines that add and search, in groups
// of vectors, so it must be safe for concurrent use. It applies to later Adds and Searches;
// a panic in it fails that call with ErrCallback. Files saved afterwards keep the previous
// metric's label; after Load or View, set the metric again.
func (b *Index) ChangeMetric(metric func(a, b []float32) float32) error {
	return changeMetric(&b.base, metric)
}

// ChangeMetric replaces the distance with a Go function over vectors as stored, which must
// be of type T (e.g. Float16 for F16 storage). See Index.ChangeMetric.
func (b *IndexOf[T]) ChangeMetric(metric func(a, b []T) float32) error {
	return changeMetric(&b.base, metric)
}

// ChangeMetricKind switches to a built-in metric, for example back from a Go metric. The
// graph is not rebuilt.
func (b *base) ChangeMetricKind(m Metric) (err error) {
	const op = "ChangeMetricKind"
	if b.durable != nil { // runs after the lock is released
		defer b.durable.checkpointAfter(b, op, &err)
	}
	h, err := b.exclusive(op)
	if err != nil {
		return err
	}
	defer b.mu.unlock()
	if err := checkMetric(op, m, b.config.Quantization, b.config.Dimensions); err != nil {
		return err
	}
	if st := coreChangeMetricKind(h, m); !st.ok() {
		return statusError(op, st, "")
	}
	b.native.setMetric(0, nil)
	b.config.Metric = m
	return nil
}

// setMetric records the Go metric the core calls (or none), releasing the previous one.
func (n *native) setMetric(h callbackHandle, m metricCall) {
	if n.metricHandle != 0 {
		deleteHandle(n.metricHandle)
	}
	n.metricHandle, n.metric = h, m
}
