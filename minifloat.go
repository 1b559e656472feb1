package usearch

import "math"

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
