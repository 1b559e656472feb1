package usearch

// The mini-float part of the pure-Go reference (see reference_test.go): decoding and
// rounding for E5M2, E4M3, E3M2 and E2M3 written from FORMAT.md §3.2/§3.3 in float64
// arithmetic, independent of the integer algorithm of minifloat.go and scalars.hpp.

import "math"

// refMiniKinds lists the mini-float kinds in Quantization order.
var refMiniKinds = []Quantization{E5M2, E4M3, E3M2, E2M3}

// refMiniSpec is one row of FORMAT.md §3.2's table.
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

// refF32ToMini converts per FORMAT.md §3.3: RNE to the grid; beyond the maximum after
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
