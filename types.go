package usearch

import (
	"errors"
	"fmt"
	"math"
)

// Key identifies a vector in an index. The value math.MaxUint64 is reserved: the file
// format marks removed entries with it, so Add refuses it.
type Key = uint64

// Metric names a distance function. Lower distances mean closer vectors for every metric.
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

// Quantization is the scalar kind vectors are stored in.
type Quantization uint8

// Quantizations, numbered as in upstream's Go binding; U8 is appended.
const (
	F32  Quantization = iota // IEEE binary32; float64 input beyond ±3.4028235e38 is refused
	BF16                     // bfloat16; input beyond ±3.3895314e38 is refused
	F16                      // IEEE binary16; input beyond ±65504 (after rounding) is refused
	F64                      // IEEE binary64
	I8                       // signed bytes; float input is scaled by 127 / L2 norm
	B1                       // one bit per dimension, 8 per byte, most significant bit first
	U8                       // unsigned bytes; float input is scaled by 255 / L2 norm
)

var quantizationNames = [...]string{"F32", "BF16", "F16", "F64", "I8", "B1", "U8"}

// String returns the quantization's name.
func (q Quantization) String() string {
	if int(q) < len(quantizationNames) {
		return quantizationNames[q]
	}
	return fmt.Sprintf("Quantization(%d)", uint8(q))
}

// bytesPerVector is the stored size of one vector of the given dimensions.
func (q Quantization) bytesPerVector(dims uint) uint {
	switch q {
	case F64:
		return dims * 8
	case F32:
		return dims * 4
	case F16, BF16:
		return dims * 2
	case I8, U8:
		return dims
	case B1:
		return (dims + 7) / 8
	}
	return 0
}

// supports tells whether a metric is meaningful for vectors stored in this quantization.
// Binary metrics need bits; the others need numbers. Haversine needs F32 or F64 storage and
// divergence a floating-point kind.
func (q Quantization) supports(m Metric) bool {
	switch {
	case m.isBinary():
		return q == B1
	case q == B1:
		return false
	case m == Haversine:
		return q == F32 || q == F64
	case m == Divergence:
		return q == F32 || q == F64 || q == F16 || q == BF16
	}
	return int(m) < len(metricNames)
}

// IndexConfig describes an index. Zero Connectivity, ExpansionAdd and ExpansionSearch mean
// the defaults 16, 128 and 64.
type IndexConfig struct {
	Quantization    Quantization // how vectors are stored
	Metric          Metric       // distance function
	Dimensions      uint         // elements per vector (bits for B1)
	Connectivity    uint         // graph degree M of the upper levels; level 0 has 2M
	ExpansionAdd    uint         // beam width while inserting
	ExpansionSearch uint         // beam width while searching (at least the requested count)
	Multi           bool         // allow several vectors per key
}

// DefaultConfig returns a cosine, F32 configuration with default graph parameters.
func DefaultConfig(dimensions uint) IndexConfig {
	return IndexConfig{Dimensions: dimensions, Metric: Cosine, Quantization: F32}
}

// maxExpansion is the most vectors an index can hold (slots are 32-bit, two values
// reserved): a wider beam could never fill.
const maxExpansion = math.MaxUint32 - 1

// maxDimensions is the most dimensions whose vector fits the file format's 32-bit
// bytes-per-vector field.
func maxDimensions(q Quantization) uint64 {
	switch q {
	case F64:
		return math.MaxUint32 / 8
	case F32:
		return math.MaxUint32 / 4
	case F16, BF16:
		return math.MaxUint32 / 2
	case B1:
		return math.MaxUint32 * 8
	}
	return math.MaxUint32
}

// validate checks a configuration before it reaches the core.
func (c IndexConfig) validate() error {
	switch {
	case c.Dimensions == 0:
		return &opError{op: "NewIndex", detail: "Dimensions is 0; an index needs at least one dimension", kind: ErrInvalidConfig}
	case int(c.Metric) >= len(metricNames):
		return &opError{op: "NewIndex", detail: fmt.Sprintf("unknown metric %d; want InnerProduct..Jaccard", uint8(c.Metric)), kind: ErrInvalidConfig}
	case int(c.Quantization) >= len(quantizationNames):
		return &opError{op: "NewIndex", detail: fmt.Sprintf("unknown quantization %d; want F32..U8", uint8(c.Quantization)), kind: ErrInvalidConfig}
	case c.Connectivity == 1:
		return &opError{op: "NewIndex", detail: "Connectivity 1 is too small; want 0 (default 16) or at least 2", kind: ErrInvalidConfig}
	case c.Connectivity > 1<<20:
		return &opError{op: "NewIndex", detail: fmt.Sprintf("Connectivity %d is too large; want at most 1048576", c.Connectivity), kind: ErrInvalidConfig}
	case uint64(c.Dimensions) > maxDimensions(c.Quantization):
		return &opError{op: "NewIndex", detail: fmt.Sprintf("Dimensions %d is too large for %v: the file format stores a vector's size in 32 bits, so at most %d dimensions (%d bytes per vector) fit", c.Dimensions, c.Quantization, maxDimensions(c.Quantization), uint64(math.MaxUint32)), kind: ErrInvalidConfig}
	case uint64(c.ExpansionAdd) > maxExpansion:
		return &opError{op: "NewIndex", detail: fmt.Sprintf("ExpansionAdd %d is too large; want at most %d, the most vectors an index holds", c.ExpansionAdd, uint64(maxExpansion)), kind: ErrInvalidConfig}
	case uint64(c.ExpansionSearch) > maxExpansion:
		return &opError{op: "NewIndex", detail: fmt.Sprintf("ExpansionSearch %d is too large; want at most %d, the most vectors an index holds", c.ExpansionSearch, uint64(maxExpansion)), kind: ErrInvalidConfig}
	case !c.Quantization.supports(c.Metric):
		return &opError{op: "NewIndex", detail: unsupportedDetail(c.Metric, c.Quantization), kind: ErrUnsupported}
	case c.Metric == Haversine && c.Dimensions < 2:
		return &opError{op: "NewIndex", detail: fmt.Sprintf("haversine needs 2 dimensions [lat, lon], got %d", c.Dimensions), kind: ErrInvalidConfig}
	}
	return nil
}

func unsupportedDetail(m Metric, q Quantization) string {
	switch {
	case m.isBinary():
		return fmt.Sprintf("metric %v compares bits and needs B1 vectors, not %v", m, q)
	case q == B1:
		return fmt.Sprintf("metric %v needs numeric vectors; B1 supports hamming, tanimoto, sorensen, jaccard", m)
	case m == Haversine:
		return fmt.Sprintf("metric haversine needs F32 or F64 vectors, not %v", q)
	default:
		return fmt.Sprintf("metric %v needs floating-point vectors, not %v", m, q)
	}
}

// Errors returned by this package, usable with errors.Is.
var (
	ErrClosed            = errors.New("index is closed")
	ErrDimensionMismatch = errors.New("vector length does not match the index dimensions")
	ErrReadOnly          = errors.New("index is read-only")
	ErrInvalidFile       = errors.New("invalid or corrupt index file")
	ErrInvalidConfig     = errors.New("invalid index configuration")
	ErrUnsupported       = errors.New("unsupported metric and scalar kind combination")
	ErrDuplicateKey      = errors.New("key already present")
	ErrReservedKey       = errors.New("key 2^64-1 is reserved")
	ErrInvalidArgument   = errors.New("invalid argument")
	ErrOutOfMemory       = errors.New("out of memory")
	ErrIndexFull         = errors.New("index is full: it holds 2^32-1 slots, removed ones included")
	ErrIO                = errors.New("file input/output failed")
	ErrCallback          = errors.New("a Go filter or metric failed")
	ErrCgoRequired       = errors.New("usearch requires cgo: build with CGO_ENABLED=1 and a C++ compiler")
)

// opError is an error of one call: which operation, what was wrong, and the sentinel it
// matches with errors.Is.
type opError struct {
	op     string
	detail string
	kind   error
}

func (e *opError) Error() string { return "usearch: " + e.op + ": " + e.detail }
func (e *opError) Unwrap() error { return e.kind }

// Float16 holds the bits of an IEEE 754 binary16 value.
type Float16 uint16

// Float16From rounds a float32 to the nearest binary16 (ties to even); values beyond
// 65504 become infinities and NaN stays NaN.
func Float16From(f float32) Float16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	abs := b & 0x7FFFFFFF
	switch {
	case abs > 0x7F800000:
		return Float16(sign | 0x7E00)
	case abs >= 0x477FF000:
		return Float16(sign | 0x7C00)
	case abs >= 0x38800000:
		r := abs + 0x0FFF + ((abs >> 13) & 1)
		return Float16(sign | uint16((r-0x38000000)>>13))
	case abs <= 0x33000000:
		return Float16(sign)
	}
	e := abs >> 23
	m := (abs & 0x7FFFFF) | 0x800000
	shift := 126 - e
	q := m >> shift
	rem, half := m&(1<<shift-1), uint32(1)<<(shift-1)
	if rem > half || (rem == half && q&1 == 1) {
		q++
	}
	return Float16(sign | uint16(q))
}

// Float32 widens the value exactly.
func (h Float16) Float32() float32 {
	sign := uint32(h&0x8000) << 16
	em := uint32(h & 0x7FFF)
	switch {
	case em >= 0x7C00:
		return math.Float32frombits(sign | (em<<13 + 0x70000000))
	case em >= 0x0400:
		return math.Float32frombits(sign | (em<<13 + 0x38000000))
	}
	return math.Float32frombits(sign | math.Float32bits(float32(em)*0x1p-24))
}

// BFloat16 holds the bits of a bfloat16 value: the upper half of a float32.
type BFloat16 uint16

// BFloat16From rounds a float32 to the nearest bfloat16 (ties to even); NaN stays NaN.
func BFloat16From(f float32) BFloat16 {
	b := math.Float32bits(f)
	if b&0x7FFFFFFF > 0x7F800000 {
		return BFloat16(uint16(b>>16)&0x8000 | 0x7FC0)
	}
	return BFloat16((b + 0x7FFF + (b>>16)&1) >> 16)
}

// Float32 widens the value exactly.
func (h BFloat16) Float32() float32 { return math.Float32frombits(uint32(h) << 16) }

// B1x8 packs 8 dimensions of a binary vector: dimension k of the vector is bit 7-(k%8) of
// byte k/8, the most significant bit first.
type B1x8 uint8

// PackBits packs booleans into B1x8 bytes, most significant bit first; padding bits are 0.
func PackBits(bits []bool) []B1x8 {
	out := make([]B1x8, (len(bits)+7)/8)
	for i, set := range bits {
		if set {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// Bit reports dimension i of a packed binary vector.
func Bit(v []B1x8, i int) bool { return v[i/8]&(0x80>>(i%8)) != 0 }

// Scalar is the set of element types vectors can be given and read back in.
type Scalar interface {
	float64 | float32 | Float16 | BFloat16 | int8 | uint8 | B1x8
}

// quantizationOf is the scalar kind of T.
func quantizationOf[T Scalar]() Quantization {
	var zero T
	switch any(zero).(type) {
	case float64:
		return F64
	case Float16:
		return F16
	case BFloat16:
		return BF16
	case int8:
		return I8
	case uint8:
		return U8
	case B1x8:
		return B1
	}
	return F32
}

// elementsPerVector is how many T make one vector of dims dimensions.
func elementsPerVector[T Scalar](dims uint) uint {
	if quantizationOf[T]() == B1 {
		return (dims + 7) / 8
	}
	return dims
}
