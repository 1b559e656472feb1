package usearch

import (
	"fmt"
	"math"
)

// Key identifies a vector in an index. The value math.MaxUint64 is reserved: the file
// format marks removed entries with it, so Add refuses it.
type Key = uint64

// Quantization is the scalar kind vectors are stored in.
type Quantization uint8

// Quantizations, numbered as in upstream's Go binding; U8 and upstream 2.26's one-byte
// mini-floats are appended. Float input is rounded to the nearest mini-float (ties to
// even); E5M2 overflows to infinity, the others saturate at their largest value.
const (
	F32  Quantization = iota // IEEE binary32; float64 input beyond ±3.4028235e38 is refused
	BF16                     // bfloat16; input beyond ±3.3895314e38 is refused
	F16                      // IEEE binary16; input beyond ±65504 (after rounding) is refused
	F64                      // IEEE binary64
	I8                       // signed bytes; float input is scaled by 127 / L2 norm
	B1                       // one bit per dimension, 8 per byte, most significant bit first
	U8                       // unsigned bytes; float input is scaled by 255 / L2 norm
	E5M2                     // FP8: 1 sign, 5 exponent, 2 mantissa bits; largest finite 57344 (Float8E5M2)
	E4M3                     // FP8: 1 sign, 4 exponent, 3 mantissa bits; largest 448, no infinity (Float8E4M3)
	E3M2                     // FP6 in a byte: 1 sign, 3 exponent, 2 mantissa bits; largest 28 (Float6E3M2)
	E2M3                     // FP6 in a byte: 1 sign, 2 exponent, 3 mantissa bits; largest 7.5 (Float6E2M3)
)

var quantizationNames = [...]string{"F32", "BF16", "F16", "F64", "I8", "B1", "U8", "E5M2", "E4M3", "E3M2", "E2M3"}

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
	case I8, U8, E5M2, E4M3, E3M2, E2M3:
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
		return q.isFloat()
	}
	return int(m) < len(metricNames)
}

// isFloat tells whether the kind stores floating-point numbers (mini-floats included).
func (q Quantization) isFloat() bool {
	switch q {
	case F32, F64, F16, BF16, E5M2, E4M3, E3M2, E2M3:
		return true
	}
	return false
}

// IndexConfig describes an index. Zero Connectivity, ExpansionAdd and ExpansionSearch mean
// the defaults 16, 128 and 64.
//
// The zero value of each field is a default, except Dimensions, which must be set, and
// Metric: its zero value is InnerProduct (upstream's numbering, kept for drop-in
// compatibility), not the Cosine that DefaultConfig picks. InnerProduct is 1 - dot(a, b),
// meaningful only for normalized vectors; IndexConfig{Dimensions: 2} over raw vectors
// gives distances below 0. Start from DefaultConfig, or set Metric.
type IndexConfig struct {
	Quantization    Quantization // how vectors are stored; zero is F32
	Metric          Metric       // distance function; zero is InnerProduct, not Cosine (see above)
	Dimensions      uint         // elements per vector (bits for B1)
	Connectivity    uint         // graph degree M of the upper levels; level 0 has 2M
	ExpansionAdd    uint         // beam width while inserting
	ExpansionSearch uint         // beam width while searching (at least the requested count)
	Multi           bool         // allow several vectors per key
}

// DefaultConfig returns a cosine, F32 configuration with default graph parameters. Note
// that a zero IndexConfig differs: its Metric is InnerProduct.
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
		return &opError{op: "NewIndex", detail: fmt.Sprintf("unknown quantization %d; want F32..E2M3", uint8(c.Quantization)), kind: ErrInvalidConfig}
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
	float64 | float32 | Float16 | BFloat16 | int8 | uint8 | B1x8 | Float8E5M2 | Float8E4M3 | Float6E3M2 | Float6E2M3
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
	case Float8E5M2:
		return E5M2
	case Float8E4M3:
		return E4M3
	case Float6E3M2:
		return E3M2
	case Float6E2M3:
		return E2M3
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

// The one-byte floating-point kinds of upstream USearch 2.26 ("mini-floats"). Each keeps a
// sign, a few exponent bits with a bias and a few mantissa bits, with subnormals at exponent
// field 0 (docs/file-format.md, "Kind codes"). Conversions from float32 round to the nearest representable
// value, ties to even, and give the same bytes as upstream for every input; what happens to
// values beyond the range, infinities and NaN depends on the kind and is documented on each
// From function.

// Float8E5M2 holds the bits of an FP8 value laid out S EEEEE MM (exponent bias 15): the
// upper byte of a binary16. Finite values reach ±57344; 0x7C is infinity, 0x7D-0x7F NaN.
type Float8E5M2 uint8

// Float8E4M3 holds the bits of an FP8 value laid out S EEEE MMM (exponent bias 7, the OCP
// "FN" variant): finite values reach ±448, there is no infinity and only x1111111 is NaN.
type Float8E4M3 uint8

// Float6E3M2 holds an FP6 value in the low 6 bits of a byte, laid out 0 0 S EEE MM
// (exponent bias 3): values reach ±28; there is no infinity or NaN. Bits 6-7 are ignored.
type Float6E3M2 uint8

// Float6E2M3 holds an FP6 value in the low 6 bits of a byte, laid out 0 0 S EE MMM
// (exponent bias 1): values reach ±7.5; there is no infinity or NaN. Bits 6-7 are ignored.
type Float6E2M3 uint8

// Float8E5M2From rounds f to the nearest E5M2 value (ties to even). Results beyond 57344
// after rounding and infinities become infinity; NaN becomes 0x7D with f's sign.
func Float8E5M2From(f float32) Float8E5M2 { return Float8E5M2(e5m2Format.encode(f)) }

// Float8E4M3From rounds f to the nearest E4M3 value (ties to even). Results beyond 448 and
// infinities saturate at ±448; NaN becomes 0x7F with f's sign.
func Float8E4M3From(f float32) Float8E4M3 { return Float8E4M3(e4m3Format.encode(f)) }

// Float6E3M2From rounds f to the nearest E3M2 value (ties to even). Results beyond 28,
// infinities and NaN saturate at ±28 (NaN by its sign bit).
func Float6E3M2From(f float32) Float6E3M2 { return Float6E3M2(e3m2Format.encode(f)) }

// Float6E2M3From rounds f to the nearest E2M3 value (ties to even). Results beyond 7.5,
// infinities and NaN saturate at ±7.5 (NaN by its sign bit).
func Float6E2M3From(f float32) Float6E2M3 { return Float6E2M3(e2m3Format.encode(f)) }

// Float32 widens the value exactly (0x7C-0x7F and their negatives: infinity and NaN).
func (v Float8E5M2) Float32() float32 { return e5m2Values[v] }

// Float32 widens the value exactly (x1111111: NaN).
func (v Float8E4M3) Float32() float32 { return e4m3Values[v] }

// Float32 widens the value exactly.
func (v Float6E3M2) Float32() float32 { return e3m2Values[v] }

// Float32 widens the value exactly.
func (v Float6E2M3) Float32() float32 { return e2m3Values[v] }

// miniFormat describes one mini-float kind.
type miniFormat struct {
	mantissaBits, bias int
	sign               uint8 // the sign bit
	maxCode            uint8 // largest finite magnitude
	overCode           uint8 // magnitude written on overflow and for infinities
	nanCode            uint8 // magnitude written for NaN, signed like the input
	hasInf             bool  // overCode decodes as infinity
	nanMin             uint8 // magnitudes from here up decode as NaN (0xFF: none)
}

var (
	e5m2Format = miniFormat{2, 15, 0x80, 0x7B, 0x7C, 0x7D, true, 0x7D}
	e4m3Format = miniFormat{3, 7, 0x80, 0x7E, 0x7E, 0x7F, false, 0x7F}
	e3m2Format = miniFormat{2, 3, 0x20, 0x1F, 0x1F, 0x1F, false, 0xFF}
	e2m3Format = miniFormat{3, 1, 0x20, 0x1F, 0x1F, 0x1F, false, 0xFF}

	e5m2Values = e5m2Format.table()
	e4m3Values = e4m3Format.table()
	e3m2Values = e3m2Format.table()
	e2m3Values = e2m3Format.table()
)

// encode rounds x to the format on the integer significand: |x| = m × 2^(e-23), and the
// grid spacing around |x| is 2^step with step = max(e, 1-bias) - mantissaBits.
func (f *miniFormat) encode(x float32) uint8 {
	b := math.Float32bits(x)
	var sign uint8
	if b>>31 != 0 {
		sign = f.sign
	}
	abs := b & 0x7FFFFFFF
	switch {
	case abs > 0x7F800000:
		return sign | f.nanCode
	case abs == 0x7F800000:
		return sign | f.overCode
	case abs < 0x00800000:
		return sign // zero or f32 subnormal: far below half the smallest step
	}
	e := int(abs>>23) - 127
	m := abs&0x7FFFFF | 0x800000
	step := max(e, 1-f.bias) - f.mantissaBits
	shift := uint(step - (e - 23)) // at least 23 - mantissaBits
	if shift > 24 {
		return sign // below half the smallest step
	}
	r, rem, half := m>>shift, m&(1<<shift-1), uint32(1)<<(shift-1)
	if rem > half || (rem == half && r&1 == 1) {
		r++
	}
	if r == 0 {
		return sign
	}
	if r >= 2<<f.mantissaBits { // rounding carried into the next binade
		r >>= 1
		step++
	}
	exponent := 0
	if r >= 1<<f.mantissaBits {
		exponent = step + f.mantissaBits + f.bias
	}
	code := exponent<<f.mantissaBits | int(r&(1<<f.mantissaBits-1))
	if code > int(f.maxCode) {
		return sign | f.overCode
	}
	return sign | uint8(code)
}

// table decodes every byte.
func (f *miniFormat) table() *[256]float32 {
	var t [256]float32
	for c := range t {
		mag := uint8(c) & (f.sign - 1)
		neg := uint8(c)&f.sign != 0
		var v float32
		switch {
		case mag >= f.nanMin:
			v = float32(math.NaN())
		case f.hasInf && mag == f.overCode:
			v = float32(math.Inf(1))
		default:
			exponent, mantissa := int(mag>>f.mantissaBits), int(mag&(1<<f.mantissaBits-1))
			if exponent == 0 {
				v = float32(math.Ldexp(float64(mantissa), 1-f.bias-f.mantissaBits))
			} else {
				v = float32(math.Ldexp(float64(1<<f.mantissaBits|mantissa), exponent-f.bias-f.mantissaBits))
			}
		}
		if neg {
			v = -v
		}
		t[c] = v
	}
	return &t
}
