package usearch

import (
	"fmt"
	"math"
	"unsafe"
)

// Input values are checked in Go before they cross into C, where the check is cheapest and
// where a precise error can be built. A vector is refused, whole, when an element is NaN or
// ±Inf, or when it is finite but its conversion to the storage kind would overflow to an
// infinity (1e300 into F32, 1e5 into F16): one such vector would otherwise sit at distance
// 0 or −Inf from every query and poison every search. Refusing is preferred to saturating
// because a silently clipped vector is as wrong as an infinite one, only harder to notice.
// I8 and U8 storage normalise each vector by its norm and B1 keeps only signs, so for them
// any finite input fits.

// f32Limit is, for float32 input (and input that the core rounds through float32 first),
// the smallest magnitude, as float32 bits without the sign, that the storage kind cannot
// hold: values at or beyond it are refused. NaN and ±Inf are always beyond it.
func f32Limit(storage Quantization) uint32 {
	switch storage {
	case F16:
		return 0x477FF000 // 65520: rounds to +Inf in binary16 (max finite 65504)
	case BF16:
		return 0x7F7F8000 // halfway above the largest bfloat16, which rounds to +Inf
	case E5M2:
		return 0x47700000 // 61440: rounds to +Inf in e5m2 (max finite 57344)
	}
	// +Inf: every finite float32 fits. E4M3, E3M2 and E2M3 saturate at their largest value
	// as upstream stores them, so for them too only NaN and ±Inf are refused.
	return 0x7F800000
}

// kindRange names the finite range of a storage kind for error messages.
func kindRange(storage Quantization) string {
	switch storage {
	case F16:
		return "±65504"
	case BF16:
		return "±3.3895314e+38"
	case E5M2:
		return "±57344"
	case F32, E4M3, E3M2, E2M3: // the saturating kinds round through float32
		return "±3.4028235e+38"
	}
	return "±1.7976931348623157e+308"
}

// finiteError describes element i of an input vector that cannot be stored or searched.
func finiteError(op string, i int, x float64, storage Quantization) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return &opError{op: op, detail: fmt.Sprintf("element %d is %v; vectors must be finite (no NaN or ±Inf)", i, x), kind: ErrInvalidArgument}
	}
	return &opError{op: op, detail: fmt.Sprintf("element %d = %v overflows %v storage, whose finite range is %s", i, x, storage, kindRange(storage)), kind: ErrInvalidArgument}
}

func checkF32(op string, v []float32, storage Quantization) error {
	limit := f32Limit(storage)
	for i, x := range v {
		if math.Float32bits(x)&0x7FFFFFFF >= limit {
			return finiteError(op, i, float64(x), storage)
		}
	}
	return nil
}

// checkF64 follows the core's conversion: F64 storage keeps the value; I8, U8 and B1 read
// it as a double; the other float kinds round it to float32 first.
func checkF64(op string, v []float64, storage Quantization) error {
	switch storage {
	case F64, I8, U8, B1:
		for i, x := range v {
			if math.Float64bits(x)&0x7FF0000000000000 == 0x7FF0000000000000 {
				return finiteError(op, i, x, storage)
			}
		}
		return nil
	}
	limit := f32Limit(storage)
	for i, x := range v {
		if math.Float32bits(float32(x))&0x7FFFFFFF >= limit {
			return finiteError(op, i, x, storage)
		}
	}
	return nil
}

// checkF16 needs no overflow test: every binary16 value fits every storage kind.
func checkF16(op string, v []Float16, storage Quantization) error {
	for i, x := range v {
		if x&0x7C00 == 0x7C00 {
			return finiteError(op, i, float64(x.Float32()), storage)
		}
	}
	return nil
}

// checkBF16 widens exactly to float32, as the core does, so the float32 limits apply.
func checkBF16(op string, v []BFloat16, storage Quantization) error {
	limit := f32Limit(storage)
	for i, x := range v {
		if uint32(x&0x7FFF)<<16 >= limit {
			return finiteError(op, i, float64(x.Float32()), storage)
		}
	}
	return nil
}

// checkInput checks a vector of n elements of kind in, at p, bound for storage kind
// storage. Integer and bit kinds need no check.
func checkInput(op string, p unsafe.Pointer, n int, in, storage Quantization) error {
	if n == 0 || p == nil {
		return nil
	}
	switch in {
	case F32:
		return checkF32(op, unsafe.Slice((*float32)(p), n), storage)
	case F64:
		return checkF64(op, unsafe.Slice((*float64)(p), n), storage)
	case F16:
		return checkF16(op, unsafe.Slice((*Float16)(p), n), storage)
	case BF16:
		return checkBF16(op, unsafe.Slice((*BFloat16)(p), n), storage)
	case E5M2:
		for i, x := range unsafe.Slice((*Float8E5M2)(p), n) {
			if x&0x7F >= 0x7C { // exponent all ones: ±Inf or NaN
				return finiteError(op, i, float64(x.Float32()), storage)
			}
		}
	case E4M3:
		for i, x := range unsafe.Slice((*Float8E4M3)(p), n) {
			if x&0x7F == 0x7F { // the only NaN code; e4m3 has no infinity
				return finiteError(op, i, float64(x.Float32()), storage)
			}
		}
	}
	// E3M2 and E2M3 have no NaN or infinity codes, and every mini-float value fits every
	// float storage kind.
	return nil
}

// checkVector checks a typed input vector bound for storage kind storage.
func checkVector[T Scalar](op string, vec []T, storage Quantization) error {
	return checkInput(op, unsafe.Pointer(unsafe.SliceData(vec)), len(vec), quantizationOf[T](), storage)
}

// checkRows checks rows vectors of n elements of kind q spaced stride bytes apart, naming
// the row in the error.
func checkRows(op, what string, p unsafe.Pointer, rows, stride uint, n int, q Quantization) error {
	for r := uint(0); r < rows; r++ {
		if err := checkInput(op, unsafe.Add(p, r*stride), n, q, q); err != nil {
			return prefixed(err, fmt.Sprintf("%s row %d", what, r))
		}
	}
	return nil
}

// checkPair checks the two vectors of a distance computation.
func checkPair(op string, a, b unsafe.Pointer, n int, q Quantization) error {
	if err := checkInput(op, a, n, q, q); err != nil {
		return prefixed(err, "first vector")
	}
	if err := checkInput(op, b, n, q, q); err != nil {
		return prefixed(err, "second vector")
	}
	return nil
}

// prefixed adds to an input error which vector it is about.
func prefixed(err error, what string) error {
	e := err.(*opError)
	e.detail = what + ": " + e.detail
	return e
}
