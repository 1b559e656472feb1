package usearch

// A pure-Go reference for the distance functions (docs/file-format.md, "Distance
// functions") and the value conversions (docs/file-format.md, "Conversions"). It is written
// from those rules, not from the C++ core, and deliberately uses different algorithms where
// the core is clever (for example, f16/bf16 rounding is done with float64 arithmetic
// instead of bit tricks), so that agreement between the two means something.
//
// Vectors are handled as raw little-endian bytes in a storage kind ("rows"), exactly as the
// core stores them. Decoded values are float64 (i8/u8 rows decode to their raw integers,
// b1 rows to 0/1).

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand"
	"sort"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"golang.org/x/exp/constraints"
)

// refNumber is what the generic arithmetic helpers accept.
type refNumber interface {
	constraints.Integer | constraints.Float
}

func refDot[T refNumber](a, b []T) (s T) {
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func refSquaredDiff[T refNumber](a, b []T) (s T) {
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

func refAbsDot[T constraints.Float](a, b []T) (s T) {
	for i := range a {
		s += T(math.Abs(float64(a[i] * b[i])))
	}
	return s
}

func refMapSlice[From, To refNumber](xs []From) []To {
	out := make([]To, len(xs))
	for i, x := range xs {
		out[i] = To(x)
	}
	return out
}

// ---- storage kinds ----------------------------------------------------------------------

// refAllKinds lists every storage kind, in Quantization order.
var refAllKinds = []Quantization{F32, BF16, F16, F64, I8, B1, U8, E5M2, E4M3, E3M2, E2M3}

// refAllMetrics lists every metric, in Metric order.
var refAllMetrics = []Metric{InnerProduct, Cosine, L2sq, Haversine, Divergence, Pearson, Hamming, Tanimoto, Sorensen, Jaccard}

// refSupported is the table of metric × storage pairs the Go API accepts, written from the
// docs/file-format.md, "Distance functions" (binary metrics on B1 only; haversine on F32/F64; divergence on
// float kinds; ip/cos/l2sq/pearson on every numeric kind).
func refSupported(m Metric, q Quantization) bool {
	switch m {
	case Hamming, Tanimoto, Sorensen, Jaccard:
		return q == B1
	case Haversine:
		return q == F32 || q == F64
	case Divergence:
		return q == F32 || q == F64 || q == F16 || q == BF16 || refIsMini(q)
	case InnerProduct, Cosine, L2sq, Pearson:
		return q == F32 || q == F64 || q == F16 || q == BF16 || q == I8 || q == U8 || refIsMini(q)
	}
	return false
}

func refIsBits(m Metric) bool { return m == Hamming || m == Tanimoto || m == Sorensen || m == Jaccard }

// refElemSize is the byte size of one element of the kind (b1: a byte of 8 dimensions).
func refElemSize(q Quantization) int {
	switch q {
	case F64:
		return 8
	case F32:
		return 4
	case F16, BF16:
		return 2
	}
	return 1
}

// refRowBytes is the stored size of a vector: ceil(dims × bits / 8).
func refRowBytes(q Quantization, dims int) int {
	if q == B1 {
		return (dims + 7) / 8
	}
	return dims * refElemSize(q)
}

// ---- binary16 and bfloat16 ----------------------------------------------------------------

// refHalfValue decodes a 16-bit binary floating-point pattern with a sign bit, expBits
// exponent bits (bias 2^(expBits-1)-1) and manBits mantissa bits, from its fields.
func refHalfValue(h uint16, expBits, manBits int) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	bias, maxExp := 1<<(expBits-1)-1, 1<<expBits-1
	e := int(h>>manBits) & maxExp
	m := float64(int(h) & (1<<manBits - 1))
	switch e {
	case 0:
		return sign * math.Ldexp(m, 1-bias-manBits)
	case maxExp:
		if m != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1+m/float64(int(1)<<manBits), e-bias)
}

// refF16Value decodes a binary16 bit pattern (5 exponent, 10 mantissa bits).
func refF16Value(h uint16) float64 { return refHalfValue(h, 5, 10) }

// refBF16Value decodes a bfloat16 bit pattern (8 exponent, 7 mantissa bits).
func refBF16Value(h uint16) float64 { return refHalfValue(h, 8, 7) }

// refRoundToGrid rounds |x| to the grid of a binary format with mb mantissa bits and
// minimum normal exponent emin (RNE to the nearest multiple of the local spacing), as
// docs/file-format.md, "Conversions" describes it.
func refRoundToGrid(a float64, mb, emin int) float64 {
	if a == 0 {
		return 0
	}
	_, exp := math.Frexp(a) // a = frac × 2^exp, frac in [0.5, 1)
	e := exp - 1
	if e < emin {
		e = emin
	}
	q := math.Ldexp(1, e-mb)
	return math.RoundToEven(a/q) * q
}

// refHalfFrom converts x to a 16-bit binary format with expBits exponent and manBits
// mantissa bits (docs/file-format.md, "Conversions"): round to nearest even on the
// format's grid, subnormals included; beyond the largest finite value after rounding → inf;
// NaN → the quiet NaN with x's sign.
func refHalfFrom(x float32, expBits, manBits int) uint16 {
	var sign uint16
	if math.Signbit(float64(x)) {
		sign = 0x8000
	}
	bias, maxExp := 1<<(expBits-1)-1, 1<<expBits-1
	inf := uint16(maxExp << manBits)
	a := math.Abs(float64(x))
	switch {
	case math.IsNaN(a):
		return sign | inf | 1<<(manBits-1)
	case math.IsInf(a, 0):
		return sign | inf
	}
	v := refRoundToGrid(a, manBits, 1-bias)
	switch {
	case v > refHalfValue(inf-1, expBits, manBits):
		return sign | inf
	case v < math.Ldexp(1, 1-bias):
		return sign | uint16(math.Ldexp(v, bias-1+manBits)) // subnormal: a multiple of the smallest one
	}
	frac, exp := math.Frexp(v)
	mant := uint16(math.Ldexp(frac*2-1, manBits))
	return sign | uint16(exp-1+bias)<<manBits | mant
}

// refF32ToF16 converts to binary16: beyond 65504 after rounding → inf, NaN → 0x7E00.
func refF32ToF16(x float32) uint16 { return refHalfFrom(x, 5, 10) }

// refF32ToBF16 converts to bfloat16: NaN → 0x7FC0.
func refF32ToBF16(x float32) uint16 { return refHalfFrom(x, 8, 7) }

// ---- rows: encoding and decoding --------------------------------------------------------

// refLoad reads element i of a row as float64 (i8/u8: the raw integer; b1: 0 or 1).
func refLoad(q Quantization, row []byte, i int) float64 {
	switch q {
	case F64:
		return math.Float64frombits(binary.LittleEndian.Uint64(row[8*i:]))
	case F32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(row[4*i:])))
	case F16:
		return refF16Value(binary.LittleEndian.Uint16(row[2*i:]))
	case BF16:
		return refBF16Value(binary.LittleEndian.Uint16(row[2*i:]))
	case I8:
		return float64(int8(row[i]))
	case U8:
		return float64(row[i])
	case B1:
		if row[i/8]&(0x80>>(i%8)) != 0 {
			return 1
		}
		return 0
	case E5M2, E4M3, E3M2, E2M3:
		return refMiniValue(q, row[i])
	}
	panic("refLoad: unknown kind")
}

// refDecode reads every dimension of a row.
func refDecode(q Quantization, row []byte, dims int) []float64 {
	out := make([]float64, dims)
	for i := range out {
		out[i] = refLoad(q, row, i)
	}
	return out
}

// refStoreFloat writes x (already rounded to float32 unless the kind is F64) into a float row.
func refStoreFloat(q Quantization, row []byte, i int, x float64) {
	switch q {
	case F64:
		binary.LittleEndian.PutUint64(row[8*i:], math.Float64bits(x))
	case F32:
		binary.LittleEndian.PutUint32(row[4*i:], math.Float32bits(float32(x)))
	case F16:
		binary.LittleEndian.PutUint16(row[2*i:], refF32ToF16(float32(x)))
	case BF16:
		binary.LittleEndian.PutUint16(row[2*i:], refF32ToBF16(float32(x)))
	case E5M2, E4M3, E3M2, E2M3:
		row[i] = refF32ToMini(q, float32(x))
	default:
		panic("refStoreFloat: not a float kind")
	}
}

// refQuantize applies the i8/u8 rule of docs/file-format.md, "Conversions": normalise by
// the L2 norm (summed in double in order), scale by 127 or 255, clamp, truncate toward
// zero; zero or NaN norm → zeros. A norm that overflows (huge f64 input) is taken of the
// input divided by its largest magnitude, which then divides every element first.
func refQuantize(xs []float64, to Quantization) []byte {
	out := make([]byte, len(xs))
	norm2 := 0.0
	for _, x := range xs {
		norm2 += x * x
	}
	m, pre := math.Sqrt(norm2), 1.0
	if math.IsInf(m, 0) {
		pre, norm2 = 0, 0
		for _, x := range xs {
			pre = math.Max(pre, math.Abs(x))
		}
		for _, x := range xs {
			norm2 += (x / pre) * (x / pre)
		}
		m = math.Sqrt(norm2)
	}
	if !(m > 0) {
		return out
	}
	scale, lo := 127.0, -127.0
	if to == U8 {
		scale, lo = 255, 0
	}
	for i, x := range xs {
		q := x / pre * scale / m
		q = math.Min(math.Max(q, lo), scale)
		if to == I8 {
			out[i] = byte(int8(math.Trunc(q)))
		} else {
			out[i] = byte(math.Trunc(q))
		}
	}
	return out
}

// refPack packs "x > 0" bits most significant bit first (docs/file-format.md, "Conversions"), padding zero.
func refPack(xs []float64) []byte {
	out := make([]byte, (len(xs)+7)/8)
	for i, x := range xs {
		if x > 0 {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// refCast converts one row between kinds following docs/file-format.md, "Conversions".
func refCast(src []byte, from, to Quantization, dims int) []byte {
	if from == to {
		return append([]byte(nil), src[:refRowBytes(from, dims)]...)
	}
	xs := refDecode(from, src, dims)
	switch {
	case to == B1:
		return refPack(xs)
	case to == I8 && from == U8:
		return make([]byte, dims) // degenerate upstream rule: always zero
	case to == I8 || to == U8:
		if from == B1 {
			return refMapBits(xs)
		}
		return refQuantize(xs, to)
	}
	out := make([]byte, refRowBytes(to, dims))
	for i, x := range xs {
		switch from {
		case I8, U8:
			div := 127.0
			if from == U8 {
				div = 255
			}
			if to == F64 {
				x /= div
			} else {
				x = float64(float32(x) / float32(div))
			}
		case B1:
			// 0 or 1, exact in every kind
		default:
			if to != F64 {
				x = float64(float32(x)) // f64 input is rounded to f32 first
			}
		}
		refStoreFloat(to, out, i, x)
	}
	return out
}

// refMapBits turns b1 values (0/1) into integer bytes.
func refMapBits(xs []float64) []byte {
	out := make([]byte, len(xs))
	for i, x := range xs {
		out[i] = byte(x)
	}
	return out
}

// refRow returns the raw bytes of a typed vector.
func refRow[T Scalar](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	var zero T
	n := len(v) * int(unsafe.Sizeof(zero))
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), n)...)
}

// refTyped reinterprets raw bytes as a typed vector (copying).
func refTyped[T Scalar](row []byte) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	out := make([]T, len(row)/size)
	if len(out) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), len(out)*size), row)
	}
	return out
}

// ---- distances --------------------------------------------------------------------------

// refCosine is 1 − ab/(|a||b|) in float64, clamped at 0; both zero → 0; ab == 0 → 1.
func refCosine(a, b []float64) float64 {
	ab, aa, bb := refDot(a, b), refDot(a, a), refDot(b, b)
	if aa == 0 && bb == 0 {
		return 0
	}
	if ab == 0 {
		return 1
	}
	d := 1 - ab/(math.Sqrt(aa)*math.Sqrt(bb))
	return math.Max(d, 0)
}

// refPearson computes 1 − r with sums accumulated in F (f32 for every kind, see
// docs/file-format.md, "Distance functions").
// Explicit conversions keep every operation rounded to F.
func refPearson[F constraints.Float](a, b []float64) float64 {
	n := len(a)
	if n <= 1 {
		return 0
	}
	var sa, sb, sab, saa, sbb F
	for i := range a {
		x, y := F(a[i]), F(b[i])
		sa += x
		sb += y
		sab += F(x * y)
		saa += F(x * x)
		sbb += F(y * y)
	}
	fn := F(n)
	num := F(fn*sab) - F(sa*sb)
	den := F(F(fn*saa)-F(sa*sa)) * F(F(fn*sbb)-F(sb*sb))
	if !(den > 0) {
		return 0
	}
	return float64(1 - num/F(math.Sqrt(float64(den))))
}

// refDivergence is Jensen–Shannon with ε = 2^-23, accumulated in F.
func refDivergence[F constraints.Float](a, b []float64) float64 {
	eps := F(1.0 / (1 << 23))
	logF := func(x F) F { return F(math.Log(float64(x))) }
	var sum F
	for i := range a {
		x, y := F(a[i]), F(b[i])
		m := F(F(x+y)*0.5) + eps
		sum += F(x*logF((x+eps)/m)) + F(y*logF((y+eps)/m))
	}
	return float64(sum * 0.5)
}

// refHaversine is the central angle between [lat, lon] pairs in degrees, computed in F.
func refHaversine[F constraints.Float](a, b []float64) float64 {
	fn := func(f func(float64) float64, x F) F { return F(f(float64(x))) }
	deg := F(math.Pi / 180)
	lat1, lon1 := F(a[0])*deg, F(a[1])*deg
	lat2, lon2 := F(b[0])*deg, F(b[1])*deg
	s1, s2 := fn(math.Sin, (lat2-lat1)/2), fn(math.Sin, (lon2-lon1)/2)
	h := F(s1*s1) + F(F(F(fn(math.Cos, lat1)*fn(math.Cos, lat2))*s2)*s2)
	return float64(2 * fn(math.Asin, fn(math.Sqrt, h)))
}

// refBitCounts counts over every byte of both rows (padding bits included).
func refBitCounts(a, b []byte) (xor, and, or, pa, pb int) {
	for i := range a {
		xor += bits.OnesCount8(a[i] ^ b[i])
		and += bits.OnesCount8(a[i] & b[i])
		or += bits.OnesCount8(a[i] | b[i])
		pa += bits.OnesCount8(a[i])
		pb += bits.OnesCount8(b[i])
	}
	return
}

// refDistance is the reference distance between two rows of kind q, as float32 would
// report it where the result is an exact quantity.
func refDistance(m Metric, q Quantization, a, b []byte, dims int) float64 {
	if refIsBits(m) {
		n := refRowBytes(q, dims)
		xor, and, or, pa, pb := refBitCounts(a[:n], b[:n])
		switch m {
		case Hamming:
			return float64(float32(xor))
		case Tanimoto, Jaccard:
			if or == 0 {
				return 0
			}
			return float64(float32(1) - float32(and)/float32(or))
		default: // Sorensen; both empty → 0/0 = NaN
			return float64(float32(1) - float32(2)*float32(and)/float32(pa+pb))
		}
	}
	va, vb := refDecode(q, a, dims), refDecode(q, b, dims)
	integer := q == I8 || q == U8
	switch m {
	case InnerProduct:
		if integer {
			s := refDot(refMapSlice[float64, int64](va), refMapSlice[float64, int64](vb))
			return float64(float32(1 - float64(s)))
		}
		return 1 - refDot(va, vb)
	case L2sq:
		if integer {
			s := refSquaredDiff(refMapSlice[float64, int64](va), refMapSlice[float64, int64](vb))
			return float64(float32(s))
		}
		return refSquaredDiff(va, vb)
	case Cosine:
		return float64(float32(refCosine(va, vb)))
	case Pearson:
		return refPearson[float32](va, vb)
	case Divergence:
		return refDivergence[float32](va, vb)
	case Haversine:
		if q == F64 {
			return refHaversine[float64](va, vb)
		}
		return refHaversine[float32](va, vb)
	}
	panic("refDistance: unknown metric")
}

// refExact tells whether the core must reproduce the reference bit for bit: integer sums
// and bit counts are exact quantities.
func refExact(m Metric, q Quantization) bool {
	return refIsBits(m) || ((q == I8 || q == U8) && (m == InnerProduct || m == L2sq || m == Cosine))
}

// refScale is the magnitude that rounding errors of a distance scale with: the sum of the
// absolute terms for ip (whose result may cancel to near zero), the inputs' mass for
// divergence, and 1 or the value itself otherwise.
func refScale(m Metric, q Quantization, a, b []byte, dims int, want float64) float64 {
	scale := math.Max(1, math.Abs(want))
	if refIsBits(m) {
		return scale
	}
	va, vb := refDecode(q, a, dims), refDecode(q, b, dims)
	switch m {
	case InnerProduct:
		scale = math.Max(scale, refAbsDot(va, vb))
	case Divergence:
		mass := 0.0
		for i := range va {
			mass += math.Abs(va[i]) + math.Abs(vb[i])
		}
		scale = math.Max(scale, mass)
	case Pearson:
		// 1 − r from float32 sums: the error is relative to the sums' magnitude over the
		// denominator; bounded crudely by n·Σ|ab|/sqrt(den) computed in float64.
		n := float64(len(va))
		sa, sb := 0.0, 0.0
		for i := range va {
			sa += va[i]
			sb += vb[i]
		}
		den := (n*refDot(va, va) - sa*sa) * (n*refDot(vb, vb) - sb*sb)
		if den > 0 {
			scale = math.Max(scale, (n*refAbsDot(va, vb)+math.Abs(sa*sb))/math.Sqrt(den))
		}
	}
	return scale
}

// refClose compares a reported distance with the reference: NaN only matches NaN,
// infinities match exactly, anything else within tol × scale.
func refClose(got, want, tol, scale float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case math.IsInf(want, 0):
		return got == want
	}
	return math.Abs(got-want) <= tol*scale
}

// refHit is one brute-force result: a row and its reference distance.
type refHit struct {
	row  int
	dist float64
}

// refRank scores query against every row and sorts by distance, then row.
func refRank(m Metric, q Quantization, rows [][]byte, query []byte, dims int) []refHit {
	hits := make([]refHit, len(rows))
	for i, r := range rows {
		hits[i] = refHit{i, refDistance(m, q, query, r, dims)}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].dist < hits[j].dist })
	return hits
}

// ---- random test data -------------------------------------------------------------------

// refRandomValues draws dims values suited to the metric: non-negative for divergence,
// [lat, lon] in degrees for haversine, [-1, 1) otherwise.
func refRandomValues(rng *rand.Rand, m Metric, dims int) []float64 {
	xs := make([]float64, dims)
	for i := range xs {
		switch {
		case m == Divergence:
			xs[i] = rng.Float64()
			if rng.Intn(8) == 0 {
				xs[i] = 0
			}
		case m == Haversine && i == 0:
			xs[i] = rng.Float64()*180 - 90
		case m == Haversine && i == 1:
			xs[i] = rng.Float64()*360 - 180
		default:
			xs[i] = rng.Float64()*2 - 1
		}
	}
	return xs
}

// refRandomRow draws a row of kind q: float kinds from refRandomValues (rounded to the
// kind), i8/u8 over their full range, b1 as random bytes (padding bits included).
func refRandomRow(rng *rand.Rand, q Quantization, m Metric, dims int) []byte {
	row := make([]byte, refRowBytes(q, dims))
	switch q {
	case I8, U8, B1:
		rng.Read(row)
		if m == Sorensen && q == B1 {
			row[0] |= 0x80 // never both empty: 0/0 is NaN by definition
		}
		return row
	}
	for i, x := range refRandomValues(rng, m, dims) {
		if q != F64 {
			x = float64(float32(x))
		}
		refStoreFloat(q, row, i, x)
	}
	return row
}

// refRandomF32 draws float32 input for the metric.
func refRandomF32(rng *rand.Rand, m Metric, dims int) []float32 {
	return refMapSlice[float64, float32](refRandomValues(rng, m, dims))
}

// ---- self-tests of the reference ----------------------------------------------------------

// refFormatF16BF16 holds sample f32 values with their bf16 and f16 bits (docs/file-format.md, "Conversions").
var refFormatF16BF16 = []struct {
	in       float32
	bf16, fp uint16
}{
	{1, 0x3F80, 0x3C00},
	{-2.5, 0xC020, 0xC100},
	{0.1, 0x3DCD, 0x2E66},
	{0.3, 0x3E9A, 0x34CD},
	{3.14159, 0x4049, 0x4248},
	{1.005859375, 0x3F81, 0x3C06},
	{1.00390625, 0x3F80, 0x3C04},
	{1.01171875, 0x3F82, 0x3C0C},
	{7.5, 0x40F0, 0x4780},
	{28, 0x41E0, 0x4F00},
	{448, 0x43E0, 0x5F00},
	{500, 0x43FA, 0x5FD0},
	{57344, 0x4760, 0x7B00},
	{60000, 0x476A, 0x7B53},
	{65504, 0x4780, 0x7BFF},
	{70000, 0x4789, 0x7C00},
	{0.001, 0x3A83, 0x1419},
	{1e-8, 0x322C, 0x0000},
	{-1e-30, 0x8DA2, 0x8000},
	{float32(math.Copysign(0, -1)), 0x8000, 0x8000},
	{float32(math.Inf(1)), 0x7F80, 0x7C00},
	{float32(math.Inf(-1)), 0xFF80, 0xFC00},
	{float32(math.NaN()), 0x7FC0, 0x7E00},
	{-float32(math.NaN()), 0xFFC0, 0xFE00},
}

// refFormatA and refFormatB are the sample vectors of docs/file-format.md, "Distance functions".
var (
	refFormatA = []float32{1, 0.5, 0, 0.25, 1, 0, 1, 0.75}
	refFormatB = []float32{0.5, 1, 0.25, 0, 1, 1, 0, 0.5}
)

// refFormatTable lists the sample distances (docs/file-format.md, "Distance functions")
// for the pairs the Go API supports; digits is the number of decimals printed in the table.
var refFormatTable = []struct {
	m      Metric
	q      Quantization
	want   float64
	digits int
}{
	{Cosine, F64, 0.3608, 4}, {Cosine, F32, 0.3608, 4}, {Cosine, BF16, 0.3608, 4}, {Cosine, F16, 0.3608, 4},
	{Cosine, I8, 0.3625, 4}, {Cosine, U8, 0.3622, 4},
	{InnerProduct, F64, -1.375, 3}, {InnerProduct, F32, -1.375, 3}, {InnerProduct, BF16, -1.375, 3},
	{InnerProduct, F16, -1.375, 3}, {InnerProduct, I8, -10127, 0}, {InnerProduct, U8, -41196, 0},
	{L2sq, F64, 2.6875, 4}, {L2sq, F32, 2.6875, 4}, {L2sq, BF16, 2.6875, 4}, {L2sq, F16, 2.6875, 4},
	{L2sq, I8, 11517, 0}, {L2sq, U8, 46800, 0},
	{Haversine, F64, 0.0123, 4}, {Haversine, F32, 0.0123, 4},
	{Divergence, F64, 0.964, 3}, {Divergence, F32, 0.964, 3}, {Divergence, BF16, 0.964, 3}, {Divergence, F16, 0.964, 3},
	{Pearson, F64, 1.0118, 4}, {Pearson, F32, 1.0118, 4}, {Pearson, BF16, 1.0118, 4}, {Pearson, F16, 1.0118, 4},
	{Pearson, I8, 1.0105, 4}, {Pearson, U8, 1.0118, 4},
	{Hamming, B1, 4, 0}, {Tanimoto, B1, 0.5, 1}, {Jaccard, B1, 0.5, 1}, {Sorensen, B1, 0.3333, 4},
}

// refTableClose accepts a value that prints as want with the table's number of decimals.
func refTableClose(got, want float64, digits int) bool {
	return math.Abs(got-want) <= 0.5*math.Pow(10, -float64(digits))+1e-9
}

func TestReferenceConversionsMatchFormatTable(t *testing.T) {
	for _, c := range refFormatF16BF16 {
		assert.Equalf(t, c.bf16, refF32ToBF16(c.in), "bf16(%v)", c.in)
		assert.Equalf(t, c.fp, refF32ToF16(c.in), "f16(%v)", c.in)
	}
	in := []float64{3, 4, 0, -1, -100, 0.5, 1e-9, -3}
	assert.Equal(t, refRow([]int8{3, 5, 0, -1, -126, 0, 0, -3}), refQuantize(in, I8))
	assert.Equal(t, []byte{7, 10, 0, 0, 0, 1, 0, 0}, refQuantize(in, U8))
	assert.Equal(t, []byte{0xF0, 0xAA}, refPack([]float64{1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0}))
	assert.Equal(t, []byte{0x98, 0x80}, refPack([]float64{1, -1, 0, 2, 0.1, 0, 0, 0, 5, -3}))
	// Quantization examples (docs/file-format.md, "Conversions").
	assert.Equal(t, refRow([]int8{76, 101}), refCast(refRow([]float32{3, 4}), F32, I8, 2))
	assert.Equal(t, []byte{153, 0}, refCast(refRow([]float32{3, -4}), F32, U8, 2))
	assert.Equal(t, []byte{0, 111, 222}, refCast(refRow([]int8{-10, 20, 40}), I8, U8, 3))
	assert.Equal(t, []byte{0, 0, 0}, refCast([]byte{200, 100, 255}, U8, I8, 3))
	back := refTyped[float32](refCast(refRow([]int8{76, 101}), I8, F32, 2))
	assert.InDelta(t, 0.598425, back[0], 1e-6)
	assert.InDelta(t, 0.795276, back[1], 1e-6)
	// f64 input is double-rounded through f32 (docs/file-format.md, "Conversions").
	x := 1 + math.Ldexp(1, -11) + math.Ldexp(1, -40)
	assert.Equal(t, uint16(0x3C00), binary.LittleEndian.Uint16(refCast(refRow([]float64{x}), F64, F16, 1)))
}

func TestReferenceDecodersRoundTrip(t *testing.T) {
	failures := 0
	for h := 0; h < 1<<16 && failures < 10; h++ {
		v := refF16Value(uint16(h))
		if math.IsNaN(v) {
			nan := math.Float32frombits(uint32(h&0x8000)<<16 | 0x7FC00001)
			if got := refF32ToF16(nan); got != uint16(h)&0x8000|0x7E00 {
				failures++
				t.Errorf("NaN %#04x: %#04x", h, got)
			}
			continue
		}
		if got := refF32ToF16(float32(v)); got != uint16(h) {
			failures++
			t.Errorf("f16 %#04x: %#04x", h, got)
		}
		b := refBF16Value(uint16(h))
		if math.IsNaN(b) {
			continue
		}
		if got := refF32ToBF16(float32(b)); got != uint16(h) || math.Float32frombits(uint32(h)<<16) != float32(b) {
			failures++
			t.Errorf("bf16 %#04x: %#04x, value %v", h, got, b)
		}
	}
}

func TestReferenceMatchesFormatDistanceTable(t *testing.T) {
	for _, c := range refFormatTable {
		a := refCast(refRow(refFormatA), F32, c.q, len(refFormatA))
		b := refCast(refRow(refFormatB), F32, c.q, len(refFormatB))
		got := refDistance(c.m, c.q, a, b, len(refFormatA))
		assert.Truef(t, refTableClose(got, c.want, c.digits), "%v on %v: reference %v, table %v", c.m, c.q, got, c.want)
	}
}

func TestReferenceEdgeCases(t *testing.T) {
	zero := make([]float64, 4)
	one := []float64{1, 2, 3, 4}
	assert.Equal(t, 0.0, refCosine(zero, zero))
	assert.Equal(t, 1.0, refCosine(zero, one))
	assert.Equal(t, 2.0, refCosine(one, []float64{-1, -2, -3, -4}))
	assert.Equal(t, 0.0, refPearson[float32]([]float64{2, 2, 2, 2}, one))
	assert.InDelta(t, 2.0, refPearson[float32](one, []float64{4, 3, 2, 1}), 1e-6)
	assert.InDelta(t, 0.72273, refHaversine[float64]([]float64{60, 0}, []float64{60, 90}), 5e-6)
	assert.InDelta(t, 0.72273, refHaversine[float32]([]float64{60, 0}, []float64{60, 90}), 5e-6)
	assert.True(t, math.IsNaN(refDistance(Sorensen, B1, []byte{0}, []byte{0}, 8)))
	assert.Equal(t, 0.0, refDistance(Tanimoto, B1, []byte{0}, []byte{0}, 8))
	assert.Equal(t, 0.0, refDivergence[float32](zero, zero))
	// i8 examples (docs/file-format.md, "Distance functions"): raw integer quantities.
	raw := refRow([]int8{10, 20, 30, 40})
	assert.Equal(t, -299.0, refDistance(InnerProduct, I8, raw, refRow([]int8{1, 2, 3, 4}), 4))
	assert.Equal(t, 2430.0, refDistance(L2sq, I8, raw, refRow([]int8{1, 2, 3, 4}), 4))
	qa := refCast(refRow([]float32{1, 2, 3, 4}), F32, I8, 4)
	qb := refCast(refRow([]float32{4, 3, 2, 1}), F32, I8, 4)
	assert.Equal(t, -10579.0, refDistance(InnerProduct, I8, qa, qb, 4))
	assert.Equal(t, 10580.0, refDistance(L2sq, I8, qa, qb, 4))
}

// ---- mini-floats (E5M2, E4M3, E3M2, E2M3) ------------------------------------------------
//
// Decoding and rounding written from docs/file-format.md ("Kind codes", "Conversions") in
// float64 arithmetic, independent of the integer algorithm of types.go and csrc/scalars.hpp.

// refMiniKinds lists the mini-float kinds in Quantization order.
var refMiniKinds = []Quantization{E5M2, E4M3, E3M2, E2M3}

// refMiniSpec describes one kind's bit layout.
type refMiniSpec struct {
	exponentBits, mantissaBits, bias int
	fp6                              bool // 6 bits used: 0 0 S E.. M..
}

func refMini(q Quantization) refMiniSpec {
	switch q {
	case E5M2:
		return refMiniSpec{5, 2, 15, false}
	case E4M3:
		return refMiniSpec{4, 3, 7, false}
	case E3M2:
		return refMiniSpec{3, 2, 3, true}
	case E2M3:
		return refMiniSpec{2, 3, 1, true}
	}
	panic("refMini: not a mini-float kind")
}

func refIsMini(q Quantization) bool { return q == E5M2 || q == E4M3 || q == E3M2 || q == E2M3 }

// refMiniValue decodes a byte: E == 0 → ±m/2^mb × 2^(1−bias); else ±(1 + m/2^mb) × 2^(E−bias);
// e5m2 E == 31 is inf (m = 0) or NaN; e4m3 x1111111 is NaN; FP6 ignores bits 6–7.
func refMiniValue(q Quantization, code byte) float64 {
	s := refMini(q)
	signBit := 7
	if s.fp6 {
		signBit = 5
	}
	sign := 1.0
	if code>>signBit&1 == 1 {
		sign = -1
	}
	e := int(code>>s.mantissaBits) & (1<<s.exponentBits - 1)
	m := float64(int(code) & (1<<s.mantissaBits - 1))
	mb := float64(int(1) << s.mantissaBits)
	switch {
	case q == E5M2 && e == 31 && m == 0:
		return math.Inf(int(sign))
	case q == E5M2 && e == 31:
		return math.Copysign(math.NaN(), sign)
	case q == E4M3 && e == 15 && m == 7:
		return math.Copysign(math.NaN(), sign)
	case e == 0:
		return sign * m / mb * math.Pow(2, float64(1-s.bias))
	}
	return sign * (1 + m/mb) * math.Pow(2, float64(e-s.bias))
}

// refMiniMax is the largest finite value of the kind.
func refMiniMax(q Quantization) float64 {
	return map[Quantization]float64{E5M2: 57344, E4M3: 448, E3M2: 28, E2M3: 7.5}[q]
}

// refF32ToMini converts per the conversion rules: RNE to the grid; beyond the maximum after
// rounding → ±inf (e5m2) or ±max (the others); ±inf likewise; NaN → e5m2 0x7D, e4m3 0x7F
// with the sign, FP6 ±max; a zero result keeps the sign.
func refF32ToMini(q Quantization, x float32) byte {
	s := refMini(q)
	var sign byte
	if math.Signbit(float64(x)) {
		sign = 0x80
		if s.fp6 {
			sign = 0x20
		}
	}
	overflow := map[Quantization]byte{E5M2: 0x7B, E4M3: 0x7E, E3M2: 0x1F, E2M3: 0x1F}[q] // the maximum
	if q == E5M2 {
		overflow = 0x7C
	}
	a := math.Abs(float64(x))
	switch {
	case math.IsNaN(a) && q == E5M2:
		return sign | 0x7D
	case math.IsNaN(a) && q == E4M3:
		return sign | 0x7F
	case math.IsNaN(a), math.IsInf(a, 0):
		return sign | overflow
	}
	v := refRoundToGrid(a, s.mantissaBits, 1-s.bias)
	if v > refMiniMax(q) {
		return sign | overflow
	}
	// v is on the grid: its code comes from inverting the decode table, not from fields.
	c, ok := refMiniCodeOf[q][v]
	if !ok {
		panic("refF32ToMini: value not on the grid")
	}
	return sign | c
}

// refMiniCodeOf maps each non-negative finite value of a kind to its code.
var refMiniCodeOf = func() map[Quantization]map[float64]byte {
	out := map[Quantization]map[float64]byte{}
	for _, q := range refMiniKinds {
		out[q] = map[float64]byte{}
		for c := 0; c < 0x80; c++ {
			if v := refMiniValue(q, byte(c)); v >= 0 && !math.Signbit(v) && !math.IsInf(v, 0) {
				if refMini(q).fp6 && c >= 0x20 {
					continue
				}
				out[q][v] = byte(c)
			}
		}
	}
	return out
}()
