//go:build cgo

package usearch

// Conversions (docs/file-format.md, "Conversions"): Float16/BFloat16 against the rounding rules and exhaustively
// against the reference and the C core; i8/u8/b1 conversion examples through the core's
// cast and through indexes; Get's conversions.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// castC converts a row with the core's usearchx_cast.
func castC(t *testing.T, src []byte, from, to Quantization, dims int) []byte {
	t.Helper()
	out := make([]byte, refRowBytes(to, dims)+1)
	out[len(out)-1] = 0xA5 // canary
	st := coreCast(unsafe.Pointer(&src[0]), from, unsafe.Pointer(&out[0]), to, uint(dims))
	require.Truef(t, st.ok(), "cast %v -> %v: %s", from, to, st.msg)
	require.Equal(t, byte(0xA5), out[len(out)-1], "cast wrote past the row")
	return out[:len(out)-1]
}

// castF32 converts many float32 values with one core call.
func castF32(t *testing.T, xs []float32, to Quantization) []uint16 {
	t.Helper()
	out := make([]uint16, len(xs))
	st := coreCast(unsafe.Pointer(&xs[0]), F32, unsafe.Pointer(&out[0]), to, uint(len(xs)))
	require.True(t, st.ok(), st.msg)
	return out
}

func TestFloat16AndBFloat16FormatTable(t *testing.T) {
	ins := make([]float32, len(refFormatF16BF16))
	for i, c := range refFormatF16BF16 {
		ins[i] = c.in
		assert.Equalf(t, Float16(c.fp), Float16From(c.in), "Float16From(%v)", c.in)
		assert.Equalf(t, BFloat16(c.bf16), BFloat16From(c.in), "BFloat16From(%v)", c.in)
		if c.in == c.in { // widening gives the rounded value back
			assert.Equalf(t, float32(refF16Value(c.fp)), Float16(c.fp).Float32(), "Float16(%#04x).Float32()", c.fp)
			assert.Equalf(t, float32(refBF16Value(c.bf16)), BFloat16(c.bf16).Float32(), "BFloat16(%#04x).Float32()", c.bf16)
		}
	}
	fromC := castF32(t, ins, F16)
	bfromC := castF32(t, ins, BF16)
	for i, c := range refFormatF16BF16 {
		assert.Equalf(t, c.fp, fromC[i], "core f32->f16 of %v", c.in)
		assert.Equalf(t, c.bf16, bfromC[i], "core f32->bf16 of %v", c.in)
	}
	assert.True(t, math.IsNaN(float64(Float16(0x7E00).Float32())))
	assert.True(t, math.Signbit(float64(Float16(0xFE00).Float32())))
	assert.True(t, math.IsNaN(float64(BFloat16(0xFFC0).Float32())))
	assert.Equal(t, float32(65504), Float16(0x7BFF).Float32())
	assert.Equal(t, float32(math.Ldexp(1, -24)), Float16(1).Float32())
}

func TestFloat16AllBitPatterns(t *testing.T) {
	all := make([]uint16, 1<<16)
	for i := range all {
		all[i] = uint16(i)
	}
	// The core widens every pattern like Go does.
	wide := make([]float32, len(all))
	st := coreCast(unsafe.Pointer(&all[0]), F16, unsafe.Pointer(&wide[0]), F32, uint(len(all)))
	require.True(t, st.ok(), st.msg)
	failures := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if failures++; failures <= 10 {
			t.Errorf(format, args...)
		}
	}
	for i, h := range all {
		f := Float16(h).Float32()
		want := refF16Value(h)
		if math.IsNaN(want) {
			if !math.IsNaN(float64(f)) || math.Signbit(float64(f)) != (h&0x8000 != 0) {
				fail("Float16(%#04x).Float32() = %v, want NaN with the same sign", h, f)
			}
			if got := Float16From(f); got != Float16(h&0x8000|0x7E00) {
				fail("NaN %#04x round-trips to %#04x, want the quiet NaN", h, uint16(got))
			}
			if !math.IsNaN(float64(wide[i])) {
				fail("core widening of NaN %#04x gave %v", h, wide[i])
			}
			continue
		}
		if f != float32(want) || math.Signbit(float64(f)) != math.Signbit(want) {
			fail("Float16(%#04x).Float32() = %v, want %v", h, f, want)
		}
		if math.Float32bits(f) != math.Float32bits(wide[i]) {
			fail("core widening of %#04x: %v, Go %v", h, wide[i], f)
		}
		if got := Float16From(f); got != Float16(h) {
			fail("round trip of %#04x gave %#04x", h, uint16(got))
		}
		b := BFloat16(h).Float32()
		if bw := refBF16Value(h); !math.IsNaN(bw) {
			if b != float32(bw) || math.Signbit(float64(b)) != math.Signbit(bw) {
				fail("BFloat16(%#04x).Float32() = %v, want %v", h, b, bw)
			}
			if got := BFloat16From(b); got != BFloat16(h) {
				fail("bf16 round trip of %#04x gave %#04x", h, uint16(got))
			}
		}
	}
	// And narrows the widened values back to the same patterns (NaNs to the quiet NaN).
	back := castF32(t, wide, F16)
	for i, h := range all {
		want := h
		if h&0x7FFF > 0x7C00 {
			want = h&0x8000 | 0x7E00
		}
		if back[i] != want {
			fail("core round trip of %#04x gave %#04x", h, back[i])
		}
	}
	assert.Zero(t, failures, "mismatching bit patterns")
}

// f16Ties lists every float32 exactly halfway between two neighbouring binary16 values
// (subnormals, the 65504/65536 boundary included), with both float32 neighbours of each,
// in both signs.
func f16Ties() []float32 {
	var out []float32
	next := func(h int) float64 {
		if h == 0x7C00 {
			return 65536 // the would-be next value past 65504
		}
		return refF16Value(uint16(h))
	}
	for h := 0; h < 0x7C00; h++ {
		mid := float32((next(h) + next(h+1)) / 2) // exact: needs 12 significant bits
		bits := math.Float32bits(mid)
		for _, b := range []uint32{bits - 1, bits, bits + 1} {
			out = append(out, math.Float32frombits(b), math.Float32frombits(b|0x80000000))
		}
	}
	return out
}

// bf16Ties lists every float32 halfway between two neighbouring bfloat16 values with its
// neighbours, in both signs.
func bf16Ties() []float32 {
	var out []float32
	for h := uint32(0); h < 0x7F80; h++ {
		bits := h<<16 | 0x8000
		for _, b := range []uint32{bits - 1, bits, bits + 1} {
			out = append(out, math.Float32frombits(b), math.Float32frombits(b|0x80000000))
		}
	}
	return out
}

func TestFloat16FromAgreesWithCore(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	random := make([]float32, 1<<22)
	for i := range random {
		random[i] = math.Float32frombits(rng.Uint32())
	}
	special := []float32{0, float32(math.Copysign(0, -1)), 65504, 65519.996, 65520, 65536, 1e-8, 2.98e-8,
		float32(math.Ldexp(1, -25)), float32(math.Ldexp(1, -24)), float32(math.Ldexp(3, -26)),
		float32(math.Ldexp(1, -14)), math.MaxFloat32, math.SmallestNonzeroFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	// Go and the core must agree everywhere; the (slow) independent reference is checked
	// on the special values, every tie and a quarter of the random patterns.
	check := func(kind string, xs []float32, withRef bool, goConv, refConv func(float32) uint16) {
		t.Helper()
		fromC := castF32(t, xs, map[string]Quantization{"f16": F16, "bf16": BF16}[kind])
		mismatches := 0
		for i, x := range xs {
			g := goConv(x)
			ok := g == fromC[i]
			if withRef && ok {
				ok = g == refConv(x)
			}
			if !ok {
				if mismatches++; mismatches <= 5 {
					t.Errorf("%s of %v (%#08x): Go %#04x, core %#04x, reference %#04x",
						kind, x, math.Float32bits(x), g, fromC[i], refConv(x))
				}
			}
		}
		assert.Zerof(t, mismatches, "%d of %d %s conversions differ", mismatches, len(xs), kind)
	}
	f16 := func(x float32) uint16 { return uint16(Float16From(x)) }
	bf16 := func(x float32) uint16 { return uint16(BFloat16From(x)) }
	check("f16", special, true, f16, refF32ToF16)
	check("f16", f16Ties(), true, f16, refF32ToF16)
	check("f16", random, false, f16, refF32ToF16)
	check("f16", random[:len(random)/4], true, f16, refF32ToF16)
	check("bf16", special, true, bf16, refF32ToBF16)
	check("bf16", bf16Ties(), true, bf16, refF32ToBF16)
	check("bf16", random[:len(random)/2], false, bf16, refF32ToBF16)
	check("bf16", random[:len(random)/8], true, bf16, refF32ToBF16)
}

func TestCastExamples(t *testing.T) {
	// i8/u8 quantization (docs/file-format.md, "Conversions").
	in := []float32{3, 4, 0, -1, -100, 0.5, 1e-9, -3}
	assert.Equal(t, []int8{3, 5, 0, -1, -126, 0, 0, -3}, refTyped[int8](castC(t, refRow(in), F32, I8, 8)))
	assert.Equal(t, []byte{7, 10, 0, 0, 0, 1, 0, 0}, castC(t, refRow(in), F32, U8, 8))
	in64 := refMapSlice[float32, float64](in)
	assert.Equal(t, []int8{3, 5, 0, -1, -126, 0, 0, -3}, refTyped[int8](castC(t, refRow(in64), F64, I8, 8)))
	// b1 packing (docs/file-format.md, "Conversions").
	assert.Equal(t, []byte{0xF0, 0xAA}, castC(t, refRow([]float32{1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0}), F32, B1, 16))
	assert.Equal(t, []byte{0x98, 0x80}, castC(t, refRow([]float32{1, -1, 0, 2, 0.1, 0, 0, 0, 5, -3}), F32, B1, 10))
	assert.Equal(t, []int8{76, 101}, refTyped[int8](castC(t, refRow([]float32{3, 4}), F32, I8, 2)))
	assert.Equal(t, []byte{153, 0}, castC(t, refRow([]float32{3, -4}), F32, U8, 2))
	assert.Equal(t, []byte{0, 111, 222}, castC(t, refRow([]int8{-10, 20, 40}), I8, U8, 3))
	assert.Equal(t, []byte{0, 0, 0}, castC(t, []byte{200, 100, 255}, U8, I8, 3))
	back := refTyped[float32](castC(t, refRow([]int8{76, 101}), I8, F32, 2))
	assert.Equal(t, []float32{76.0 / 127, 101.0 / 127}, back)
	assert.InDelta(t, 0.598425, back[0], 1e-6)
	assert.InDelta(t, 0.795276, back[1], 1e-6)
	// Zero and NaN vectors quantise to zeros; padding bits of b1 are zero.
	assert.Equal(t, []byte{0, 0, 0}, castC(t, refRow([]float32{0, 0, 0}), F32, I8, 3))
	assert.Equal(t, []byte{0, 0, 0}, castC(t, refRow([]float32{1, float32(math.NaN()), 2}), F32, U8, 3))
	assert.Equal(t, []byte{0x00}, castC(t, refRow([]float32{0, 0, 0}), F32, B1, 3))
	assert.Equal(t, []byte{0xE0}, castC(t, refRow([]float32{1, 1, 1}), F32, B1, 3))
	// f64 input is rounded to f32 before f16 (docs/file-format.md, "Conversions").
	x := 1 + math.Ldexp(1, -11) + math.Ldexp(1, -40)
	assert.Equal(t, uint16(0x3C00), binary.LittleEndian.Uint16(castC(t, refRow([]float64{x}), F64, F16, 1)))
	// b1 expands to ones and zeros.
	assert.Equal(t, []float32{1, 0, 0, 1, 1, 0, 0, 0, 1, 0}, refTyped[float32](castC(t, []byte{0x98, 0x80}, B1, F32, 10)))
	assert.Equal(t, []byte{1, 0, 0, 1, 1}, castC(t, []byte{0x98}, B1, I8, 5))
}

// TestCastMatrix compares the core's cast with the reference for every pair of kinds.
func TestCastMatrix(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	for _, from := range refAllKinds {
		for _, to := range refAllKinds {
			for trial := 0; trial < 30; trial++ {
				dims := 1 + rng.Intn(40)
				src := refRandomRow(rng, from, L2sq, dims)
				if from == F64 || from == F32 {
					// Values beyond [-1, 1], with exact halfway cases now and then.
					for i := 0; i < dims; i++ {
						x := (rng.Float64()*2 - 1) * math.Ldexp(1, rng.Intn(20)-10)
						if rng.Intn(4) == 0 {
							x = refF16Value(uint16(rng.Intn(0x7800))) + math.Ldexp(refF16Value(1), rng.Intn(16)-1)
						}
						refStoreFloat(from, src, i, x)
					}
				}
				if trial == 0 {
					src = make([]byte, len(src)) // the zero vector
				}
				got := castC(t, src, from, to, dims)
				want := refCast(src, from, to, dims)
				require.Equalf(t, want, got, "cast %v -> %v, dims %d, input % x", from, to, dims, src)
			}
		}
	}
}

// TestIndexConversions adds a vector in every Go type to an index of every storage kind
// and reads it back: the stored row must be the reference conversion, and Get must convert
// it back to T with the reference rules.
func TestIndexConversions(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	for _, q := range refAllKinds {
		m := L2sq
		if q == B1 {
			m = Hamming
		}
		for _, run := range []func(*testing.T, *rand.Rand, Quantization, Metric){
			roundTrip[float64], roundTrip[float32], roundTrip[Float16], roundTrip[BFloat16],
			roundTrip[int8], roundTrip[uint8], roundTrip[B1x8],
		} {
			run(t, rng, q, m)
		}
	}
}

func roundTrip[T Scalar](t *testing.T, rng *rand.Rand, q Quantization, m Metric) {
	in := quantizationOf[T]()
	const dims = 13
	idx, err := NewIndexOf[T](IndexConfig{Quantization: q, Metric: m, Dimensions: dims})
	require.NoError(t, err)
	defer idx.Close()
	for key := Key(1); key <= 3; key++ {
		row := refRandomRow(rng, in, L2sq, dims)
		require.NoError(t, idx.Add(key, refTyped[T](row)))
		stored := refCast(row, in, q, dims)
		got, err := idx.Get(key, 1)
		require.NoError(t, err)
		want := refCast(stored, q, in, dims)
		require.Equalf(t, want, refRow(got), "%v input stored as %v, read back", in, q)

		// Searching with the same vector finds it at distance 0 (the query is converted the
		// same way as the stored vector).
		keys, dists, err := idx.Search(refTyped[T](row), 1)
		require.NoError(t, err)
		require.Len(t, keys, 1)
		assert.Equalf(t, float32(0), dists[0], "%v input on %v storage: self-distance", in, q)
	}
}

func TestGetConvertsStoredValues(t *testing.T) {
	// i8 storage read back as float32 is x/127, computed in float32.
	idx, err := NewIndex(IndexConfig{Quantization: I8, Metric: L2sq, Dimensions: 2})
	require.NoError(t, err)
	defer idx.Close()
	require.NoError(t, idx.Add(1, []float32{3, 4}))
	got, err := idx.Get(1, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{float32(76) / 127, float32(101) / 127}, got)
	// The stored bytes are 76, 101: raw i8 queries are compared with them as integers.
	keys, dists, err := idx.SearchI8([]int8{76, 99}, 1)
	require.NoError(t, err)
	assert.Equal(t, []Key{1}, keys)
	assert.Equal(t, float32(4), dists[0])
	keys, dists, err = idx.SearchI8([]int8{76, 101}, 1)
	require.NoError(t, err)
	assert.Equal(t, []Key{1}, keys)
	assert.Equal(t, float32(0), dists[0])
	raw := []int8{76, 101}
	keys, dists, err = idx.SearchUnsafe(unsafe.Pointer(&raw[0]), 1)
	require.NoError(t, err)
	assert.Equal(t, []Key{1}, keys)
	assert.Equal(t, float32(0), dists[0])
	// A raw i8 vector added to an i8 index is stored verbatim (no normalisation).
	require.NoError(t, idx.AddI8(2, []int8{-128, 5}))
	got, err = idx.Get(2, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{float32(-128) / 127, float32(5) / 127}, got)

	// u8 storage: x/255; negatives become 0.
	u, err := NewIndexOf[float64](IndexConfig{Quantization: U8, Metric: L2sq, Dimensions: 2})
	require.NoError(t, err)
	defer u.Close()
	require.NoError(t, u.Add(1, []float64{3, -4}))
	got64, err := u.Get(1, 1)
	require.NoError(t, err)
	assert.Equal(t, []float64{153.0 / 255, 0}, got64)

	// b1 storage read as float32: ones and zeros; as B1x8: the packed bytes.
	b, err := NewIndex(IndexConfig{Quantization: B1, Metric: Hamming, Dimensions: 10})
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.Add(1, []float32{1, -1, 0, 2, 0.1, 0, 0, 0, 5, -3}))
	got, err = b.Get(1, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 0, 0, 1, 1, 0, 0, 0, 1, 0}, got)
	bits, err := NewIndexOf[B1x8](IndexConfig{Quantization: B1, Metric: Hamming, Dimensions: 10})
	require.NoError(t, err)
	defer bits.Close()
	require.NoError(t, bits.Add(1, PackBits([]bool{true, false, false, true, true, false, false, false, true, false})))
	gotBits, err := bits.Get(1, 1)
	require.NoError(t, err)
	assert.Equal(t, []B1x8{0x98, 0x80}, gotBits)
	assert.True(t, Bit(gotBits, 8))
	assert.False(t, Bit(gotBits, 9))

	// f16 storage: the float32 input is rounded once; Get widens exactly.
	h, err := NewIndexOf[float32](IndexConfig{Quantization: F16, Metric: L2sq, Dimensions: 3})
	require.NoError(t, err)
	defer h.Close()
	// (70000 would overflow F16 and is refused: validate_test.go.)
	require.NoError(t, h.Add(1, []float32{0.1, 65519, -2.5}))
	got, err = h.Get(1, 1)
	require.NoError(t, err)
	assert.Equal(t, []float32{Float16(0x2E66).Float32(), 65504, -2.5}, got)
	hf, err := NewIndexOf[Float16](IndexConfig{Quantization: F32, Metric: L2sq, Dimensions: 1})
	require.NoError(t, err)
	defer hf.Close()
	require.NoError(t, hf.Add(1, []Float16{0x3555}))
	gotH, err := hf.Get(1, 1)
	require.NoError(t, err)
	assert.Equal(t, []Float16{0x3555}, gotH)
}

func TestPackBitsAndBit(t *testing.T) {
	assert.Equal(t, []B1x8{}, PackBits(nil))
	assert.Equal(t, []B1x8{0x80}, PackBits([]bool{true}))
	assert.Equal(t, []B1x8{0xF0, 0xAA}, PackBits([]bool{true, true, true, true, false, false, false, false,
		true, false, true, false, true, false, true, false}))
	v := []B1x8{0x98, 0x80}
	want := []bool{true, false, false, true, true, false, false, false, true, false, false, false, false, false, false, false}
	for i, w := range want {
		assert.Equalf(t, w, Bit(v, i), "bit %d", i)
	}
}

// The mini-float kinds E5M2, E4M3, E3M2 and E2M3: conversions of every code and of every
// rounding class of float32 input against the reference of reference_test.go (written from
// docs/file-format.md) through both the Go functions and the C core; kernels on arbitrary
// bytes (inf/NaN codes included) on every instruction set; typed indexes; recall; files.

// miniFromGo converts with the package's exported From functions.
func miniFromGo(q Quantization, x float32) byte {
	switch q {
	case E5M2:
		return byte(Float8E5M2From(x))
	case E4M3:
		return byte(Float8E4M3From(x))
	case E3M2:
		return byte(Float6E3M2From(x))
	case E2M3:
		return byte(Float6E2M3From(x))
	}
	panic("not a mini-float kind")
}

// miniToGo widens with the package's exported Float32 methods.
func miniToGo(q Quantization, c byte) float32 {
	switch q {
	case E5M2:
		return Float8E5M2(c).Float32()
	case E4M3:
		return Float8E4M3(c).Float32()
	case E3M2:
		return Float6E3M2(c).Float32()
	case E2M3:
		return Float6E2M3(c).Float32()
	}
	panic("not a mini-float kind")
}

// sameFloat is bit equality for numbers and NaN-with-the-same-sign for NaN.
func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b) && math.Signbit(a) == math.Signbit(b)
	}
	return a == b && math.Signbit(a) == math.Signbit(b)
}

// Sample conversions of docs/file-format.md, "Conversions", the mini-float columns.
var miniFormatTable = []struct {
	in                     float32
	e5m2, e4m3, e3m2, e2m3 byte
}{
	{1, 0x3C, 0x38, 0x0C, 0x08},
	{-2.5, 0xC1, 0xC2, 0x31, 0x32},
	{0.1, 0x2E, 0x1D, 0x02, 0x01},
	{0.3, 0x35, 0x2A, 0x05, 0x02},
	{3.14159, 0x42, 0x45, 0x12, 0x15},
	{1.005859375, 0x3C, 0x38, 0x0C, 0x08},
	{1.00390625, 0x3C, 0x38, 0x0C, 0x08},
	{1.01171875, 0x3C, 0x38, 0x0C, 0x08},
	{7.5, 0x48, 0x4F, 0x18, 0x1F},
	{28, 0x4F, 0x5E, 0x1F, 0x1F},
	{448, 0x5F, 0x7E, 0x1F, 0x1F},
	{500, 0x60, 0x7E, 0x1F, 0x1F},
	{57344, 0x7B, 0x7E, 0x1F, 0x1F},
	{60000, 0x7B, 0x7E, 0x1F, 0x1F},
	{65504, 0x7C, 0x7E, 0x1F, 0x1F},
	{70000, 0x7C, 0x7E, 0x1F, 0x1F},
	{0.001, 0x14, 0x01, 0x00, 0x00},
	{1e-8, 0x00, 0x00, 0x00, 0x00},
	{-1e-30, 0x80, 0x80, 0x20, 0x20},
	{float32(math.Copysign(0, -1)), 0x80, 0x80, 0x20, 0x20},
	// §3.3's rules for non-finite input.
	{float32(math.Inf(1)), 0x7C, 0x7E, 0x1F, 0x1F},
	{float32(math.Inf(-1)), 0xFC, 0xFE, 0x3F, 0x3F},
	{float32(math.NaN()), 0x7D, 0x7F, 0x1F, 0x1F},
	{-float32(math.NaN()), 0xFD, 0xFF, 0x3F, 0x3F},
}

// castMini converts float32 values with one call of the core's cast.
func castMini(t *testing.T, xs []float32, to Quantization) []byte {
	t.Helper()
	out := make([]byte, len(xs)+1)
	out[len(xs)] = 0xA5
	st := coreCast(unsafe.Pointer(&xs[0]), F32, unsafe.Pointer(&out[0]), to, uint(len(xs)))
	require.Truef(t, st.ok(), "cast f32 -> %v: %s", to, st.msg)
	require.Equal(t, byte(0xA5), out[len(xs)], "cast wrote past the row")
	return out[:len(xs)]
}

func TestMiniFloatFormatTable(t *testing.T) {
	ins := make([]float32, len(miniFormatTable))
	for i, c := range miniFormatTable {
		ins[i] = c.in
	}
	for _, q := range refMiniKinds {
		core := castMini(t, ins, q)
		for i, c := range miniFormatTable {
			want := map[Quantization]byte{E5M2: c.e5m2, E4M3: c.e4m3, E3M2: c.e3m2, E2M3: c.e2m3}[q]
			assert.Equalf(t, want, refF32ToMini(q, c.in), "reference %v(%v)", q, c.in)
			assert.Equalf(t, want, miniFromGo(q, c.in), "Go %v(%v)", q, c.in)
			assert.Equalf(t, want, core[i], "core %v(%v)", q, c.in)
		}
	}
	// The extremes of each kind (docs/file-format.md, "Kind codes").
	assert.Equal(t, float32(57344), Float8E5M2(0x7B).Float32())
	assert.Equal(t, float32(448), Float8E4M3(0x7E).Float32())
	assert.Equal(t, float32(28), Float6E3M2(0x1F).Float32())
	assert.Equal(t, float32(7.5), Float6E2M3(0x1F).Float32())
	assert.Equal(t, float32(-28), Float6E3M2(0x7F).Float32(), "FP6 ignores bits 6-7")
	assert.Equal(t, float32(0), Float6E3M2(0x40).Float32(), "FP6 ignores bits 6-7")
	assert.True(t, math.IsInf(float64(Float8E5M2(0xFC).Float32()), -1))
	assert.True(t, math.IsNaN(float64(Float8E4M3(0x7F).Float32())))
	assert.Equal(t, float32(math.Ldexp(1, -16)), Float8E5M2(1).Float32(), "smallest e5m2 subnormal")
	assert.Equal(t, float32(math.Ldexp(1, -9)), Float8E4M3(1).Float32(), "smallest e4m3 subnormal")
	assert.Equal(t, float32(0.0625), Float6E3M2(1).Float32(), "smallest e3m2 subnormal")
	assert.Equal(t, float32(0.125), Float6E2M3(1).Float32(), "smallest e2m3 subnormal")
}

// TestMiniFloatDecodeAllCodes widens every byte of every kind with the reference, the Go
// methods and the core (to f32 and f64), and encodes every non-NaN value back.
func TestMiniFloatDecodeAllCodes(t *testing.T) {
	codes := make([]byte, 256)
	for i := range codes {
		codes[i] = byte(i)
	}
	for _, q := range refMiniKinds {
		f32s := refTyped[float32](castC(t, codes, q, F32, 256))
		f64s := refTyped[float64](castC(t, codes, q, F64, 256))
		for c := 0; c < 256; c++ {
			want := refMiniValue(q, byte(c))
			require.Truef(t, sameFloat(want, float64(miniToGo(q, byte(c)))), "%v %#02x: Go %v, reference %v", q, c, miniToGo(q, byte(c)), want)
			require.Truef(t, sameFloat(want, float64(f32s[c])), "%v %#02x: core f32 %v, reference %v", q, c, f32s[c], want)
			require.Truef(t, sameFloat(want, f64s[c]), "%v %#02x: core f64 %v, reference %v", q, c, f64s[c], want)
			if math.IsNaN(want) {
				continue
			}
			canonical := byte(c)
			if refMini(q).fp6 {
				canonical &= 0x3F // writers leave bits 6-7 zero
			}
			require.Equalf(t, canonical, miniFromGo(q, float32(want)), "%v %#02x encodes back", q, c)
			require.Equalf(t, canonical, refF32ToMini(q, float32(want)), "%v %#02x: reference encodes back", q, c)
		}
		back := castMini(t, f32s, q)
		for c := 0; c < 256; c++ {
			if !math.IsNaN(float64(f32s[c])) {
				require.Equalf(t, miniFromGo(q, f32s[c]), back[c], "%v %#02x: core encodes back", q, c)
			}
		}
	}
}

// miniSweep returns float32 inputs covering every rounding decision of every mini-float
// kind. A conversion depends on the sign, the exponent, the mantissa bits above the
// rounding position and whether the bits below it are zero, below, at or above half.
// The rounding position is never below mantissa bit 19 (a grid has at most 3 mantissa
// bits, and values under the smallest grid step round to zero or to it), so all 11 upper
// mantissa bits are enumerated with the lower 12 bits set to each class. Exponents far
// outside every range (beyond 2^±22) only saturate or vanish; they get a few mantissas.
func miniSweep(short bool) []float32 {
	lows := []uint32{0, 1, 0x7FF, 0x800, 0x801, 0xFFF}
	if short {
		lows = []uint32{0, 0x800, 0x801}
	}
	var out []float32
	for sign := uint32(0); sign < 2; sign++ {
		for exp := uint32(0); exp < 256; exp++ {
			inRange := exp >= 127-22 && exp <= 127+22
			for high := uint32(0); high < 1<<11; high++ {
				if !inRange && high%97 != 0 && high != 1<<11-1 {
					continue
				}
				for _, low := range lows {
					out = append(out, math.Float32frombits(sign<<31|exp<<23|high<<12|low))
				}
			}
		}
	}
	return out
}

func TestMiniFloatEncodeEveryRoundingClass(t *testing.T) {
	xs := miniSweep(testing.Short())
	t.Logf("%d float32 inputs per kind", len(xs))
	for _, q := range refMiniKinds {
		core := castMini(t, xs, q)
		failures := 0
		for i, x := range xs {
			want := refF32ToMini(q, x)
			got := miniFromGo(q, x)
			if got != want || core[i] != want {
				if failures++; failures <= 10 {
					t.Errorf("%v(%v = %#08x): reference %#02x, Go %#02x, core %#02x", q, x, math.Float32bits(x), want, got, core[i])
				}
			}
		}
		require.Zerof(t, failures, "%v: %d of %d conversions differ", q, failures, len(xs))
	}
}

// TestMiniFloatDoubleRounding: f64 input is rounded to f32 first (docs/file-format.md, "Conversions"), which
// can turn a value just above a tie into the tie itself.
func TestMiniFloatDoubleRounding(t *testing.T) {
	x := 1 + math.Ldexp(1, -4) + math.Ldexp(1, -40) // above the e4m3 tie 1.0625, by 2^-40
	require.Equal(t, float32(1.0625), float32(x))
	assert.Equal(t, []byte{0x38}, castC(t, refRow([]float64{x}), F64, E4M3, 1), "rounds like 1.0625: to even")
	assert.Equal(t, []byte{0x38}, refCast(refRow([]float64{x}), F64, E4M3, 1))
	idx, err := NewIndexOf[float64](IndexConfig{Quantization: E4M3, Metric: L2sq, Dimensions: 1})
	require.NoError(t, err)
	defer idx.Close()
	require.NoError(t, idx.Add(1, []float64{x}))
	got, err := idx.Get(1, 1)
	require.NoError(t, err)
	assert.Equal(t, []float64{1}, got)
}

// TestMiniFloatKernelsOnAnyBytes scores rows of arbitrary bytes (subnormals, the largest
// values, infinities and NaN codes included) on every usable instruction set: each must
// give the serial kernel's answer, and finite answers must match the reference.
func TestMiniFloatKernelsOnAnyBytes(t *testing.T) {
	for ci, q := range refMiniKinds {
		for _, m := range []Metric{InnerProduct, Cosine, L2sq, Pearson, Divergence} {
			c := metricCase{m, q}
			rng := rand.New(rand.NewSource(int64(900 + ci)))
			for trial := 0; trial < 200; trial++ {
				dims := 1 + rng.Intn(80)
				a, b := make([]byte, dims), make([]byte, dims)
				rng.Read(a)
				rng.Read(b)
				if trial%2 == 0 { // mostly finite rows: clear the top exponent bit now and then
					for i := range a {
						a[i] &^= byte(rng.Intn(2)) << 6
						b[i] &^= byte(rng.Intn(2)) << 6
					}
				}
				serial := kernelDistance(t, 0, c, a, b, dims)
				for isa := 1; isa < coreISACount(); isa++ {
					if !coreISAUsable(isa) {
						continue
					}
					got := kernelDistance(t, isa, c, a, b, dims)
					if math.IsNaN(serial) || math.IsInf(serial, 0) {
						require.Truef(t, sameFloat(math.Abs(serial), math.Abs(got)) || (math.IsNaN(serial) && math.IsNaN(got)),
							"%s %v dims %d: %v, serial %v, rows % x / % x", coreISAName(isa), c, dims, got, serial, a, b)
						continue
					}
					scale := refScale(m, q, a, b, dims, serial)
					require.Truef(t, refClose(got, serial, 1e-5, scale), "%s %v dims %d: %v, serial %v", coreISAName(isa), c, dims, got, serial)
				}
				want := refDistance(m, q, a, b, dims)
				if !math.IsNaN(want) && !math.IsInf(want, 0) && m != Divergence {
					scale := refScale(m, q, a, b, dims, want)
					if !math.IsInf(scale, 0) && scale < 1e30 {
						require.Truef(t, refClose(serial, want, 1e-5, scale), "%v dims %d: serial %v, reference %v", c, dims, serial, want)
					}
				}
			}
		}
	}
}

// TestMiniFloatTypedIndexes adds vectors of every mini-float Go type to indexes of every
// storage kind and back, with the shared round-trip check (roundTrip, above).
func TestMiniFloatTypedIndexes(t *testing.T) {
	rng := rand.New(rand.NewSource(31))
	for _, q := range refAllKinds {
		m := L2sq
		if q == B1 {
			m = Hamming
		}
		roundTrip[Float8E5M2](t, rng, q, m)
		roundTrip[Float8E4M3](t, rng, q, m)
		roundTrip[Float6E3M2](t, rng, q, m)
		roundTrip[Float6E2M3](t, rng, q, m)
	}
}

// miniCorpus draws clustered float32 data: the usual shape of embeddings, scaled so
// that values stay inside the narrowest kind's range.
func miniCorpus(rng *rand.Rand, n, dims, clusters int) []float32 {
	centers := make([]float32, clusters*dims)
	for i := range centers {
		centers[i] = float32(rng.NormFloat64())
	}
	out := make([]float32, n*dims)
	for i := 0; i < n; i++ {
		c := rng.Intn(clusters)
		for j := 0; j < dims; j++ {
			out[i*dims+j] = centers[c*dims+j] + 0.8*float32(rng.NormFloat64())
		}
	}
	return out
}

// miniRecallFloor is the least recall@10 against float32 ground truth: the coarser the
// kind, the more neighbours change places (measured 0.85-0.96 at several seeds).
var miniRecallFloor = map[Quantization]float64{E5M2: 0.75, E4M3: 0.8, E3M2: 0.75, E2M3: 0.75}

// TestMiniFloatRecall builds an index per kind and metric and measures recall@10 of the
// graph search against brute force over the same stored bytes (ExactSearchUnsafe with the
// same kernels), counting a result as found when its distance ties the k-th true one.
func TestMiniFloatRecall(t *testing.T) {
	n, queries := 2000, 50
	if testing.Short() {
		n, queries = 1000, 30
	}
	const dims, k = 48, 10
	for ci, q := range refMiniKinds {
		for mi, m := range []Metric{Cosine, L2sq, InnerProduct, Pearson} {
			t.Run(fmt.Sprintf("%v/%v", m, q), func(t *testing.T) {
				seed := int64(4000 + 10*ci + mi)
				rng := rand.New(rand.NewSource(seed))
				data := miniCorpus(rng, n+queries, dims, 30)
				if m == InnerProduct { // normalised embeddings, as inner product expects
					for i := 0; i < len(data); i += dims {
						s := 0.0
						for _, x := range data[i : i+dims] {
							s += float64(x) * float64(x)
						}
						for j := i; j < i+dims; j++ {
							data[j] = float32(float64(data[j]) / math.Sqrt(s) * 4)
						}
					}
				}
				idx, err := NewIndex(IndexConfig{Quantization: q, Metric: m, Dimensions: dims})
				require.NoError(t, err)
				defer idx.Close()
				for i := 0; i < n; i++ {
					require.NoError(t, idx.Add(Key(i), data[i*dims:(i+1)*dims]))
				}
				stored := castC(t, refRow(data[:n*dims]), F32, q, n*dims)
				qs := castC(t, refRow(data[n*dims:]), F32, q, queries*dims)
				// Brute force over the stored bytes; 3k results to see how many tie the k-th.
				_, dists, err := ExactSearchUnsafe(unsafe.Pointer(&stored[0]), unsafe.Pointer(&qs[0]), uint(n), uint(queries),
					0, 0, dims, m, q, 3*k, 0, 0, 0)
				require.NoError(t, err)
				// Brute force over the float32 input: what quantisation costs.
				truth32, _, err := ExactSearch(data[:n*dims], data[n*dims:], uint(n), uint(queries), 0, 0, dims, m, k, 0, 0, 0)
				require.NoError(t, err)
				found, within, found32 := 0, 0, 0
				for i := 0; i < queries; i++ {
					kth := float64(dists[i*3*k+k-1])
					tol := 1e-5 * math.Max(1, math.Abs(kth))
					for _, d := range dists[i*3*k : (i+1)*3*k] {
						if float64(d) <= kth+tol {
							within++
						}
					}
					got, gotDists, err := idx.Search(data[(n+i)*dims:(n+i+1)*dims], k)
					require.NoError(t, err)
					require.Len(t, got, k)
					truth := map[Key]bool{}
					for _, key := range truth32[i*k : (i+1)*k] {
						truth[key] = true
					}
					for j := range got {
						if float64(gotDists[j]) <= kth+tol {
							found++
						}
						if truth[got[j]] {
							found32++
						}
					}
				}
				// Ties must not make every candidate a hit.
				require.Lessf(t, float64(within)/float64(queries), 2.0*k, "%v/%v: too many ties for a meaningful recall", m, q)
				recall := float64(found) / float64(queries*k)
				recall32 := float64(found32) / float64(queries*k)
				t.Logf("recall@%d = %.4f over the stored vectors, %.4f against float32 brute force; %.1f ties of the k-th on average",
					k, recall, recall32, float64(within)/float64(queries))
				assert.GreaterOrEqualf(t, recall, 0.9, "%v/%v recall@%d", m, q, k)
				assert.GreaterOrEqualf(t, recall32, miniRecallFloor[q], "%v/%v recall@%d against float32", m, q, k)
			})
		}
	}
}

// TestMiniFloatSaveLoad saves an index of each kind, checks the header's kind code
// (docs/file-format.md, "Kind codes": e5m2 5, e4m3 6, e2m3 7, e3m2 8) and the stored rows, then loads and
// views it back: same configuration, same vectors, same search results.
func TestMiniFloatSaveLoad(t *testing.T) {
	fileCode := map[Quantization]byte{E5M2: 5, E4M3: 6, E2M3: 7, E3M2: 8}
	for qi, q := range refMiniKinds {
		for _, m := range []Metric{Cosine, L2sq, InnerProduct, Pearson, Divergence} {
			t.Run(fmt.Sprintf("%v/%v", m, q), func(t *testing.T) {
				const n, dims = 200, 12
				rng := rand.New(rand.NewSource(int64(70 + qi)))
				data := miniCorpus(rng, n, dims, 8)
				if m == Divergence {
					for i := range data {
						data[i] = float32(math.Abs(float64(data[i])))
					}
				}
				conf := IndexConfig{Quantization: q, Metric: m, Dimensions: dims, Connectivity: 8}
				idx, err := NewIndex(conf)
				require.NoError(t, err)
				defer idx.Close()
				for i := 0; i < n; i++ {
					require.NoError(t, idx.Add(Key(i*3), data[i*dims:(i+1)*dims]))
				}
				require.NoError(t, idx.Remove(Key(3*7)))
				path := filepath.Join(t.TempDir(), "mini.usearch")
				require.NoError(t, idx.Save(path))
				var buf bytes.Buffer
				_, err = idx.WriteTo(&buf)
				require.NoError(t, err)
				img := buf.Bytes()

				// Vectors section: rows, cols, then the rows; the header follows.
				rows, cols := binary.LittleEndian.Uint32(img), binary.LittleEndian.Uint32(img[4:])
				require.Equal(t, uint32(n), rows)
				require.Equal(t, uint32(dims), cols, "one byte per dimension")
				assert.Equal(t, castC(t, refRow(data), F32, q, n*dims), img[8:8+n*dims], "stored rows are the f32 input converted")
				header := img[8+n*dims:]
				assert.Equal(t, "usearch", string(header[:7]))
				assert.Equal(t, fileCode[q], header[14], "scalar kind code")

				meta, err := Metadata(path)
				require.NoError(t, err)
				assert.Equal(t, q, meta.Quantization)
				assert.Equal(t, m, meta.Metric)
				meta, err = MetadataBuffer(img, uint(len(img)))
				require.NoError(t, err)
				assert.Equal(t, q, meta.Quantization)

				for _, how := range []string{"Load", "View", "LoadBuffer", "ViewBuffer"} {
					other, err := NewIndexOf[Float8E4M3](DefaultConfig(1))
					require.NoError(t, err)
					switch how {
					case "Load":
						err = other.Load(path)
					case "View":
						err = other.View(path)
					case "LoadBuffer":
						err = other.LoadBuffer(img, uint(len(img)))
					default:
						err = other.ViewBuffer(img, uint(len(img)))
					}
					require.NoError(t, err, how)
					l, _ := other.Len()
					assert.Equal(t, uint(n-1), l, how)
					for i := 0; i < n; i += 17 {
						key := Key(i * 3)
						want, err := idx.Get(key, 1)
						require.NoError(t, err)
						asE4M3, err := other.Get(key, 1)
						require.NoError(t, err)
						if i == 7 {
							assert.Nil(t, asE4M3, "removed key stays removed")
							continue
						}
						// Get as E4M3 from any kind converts through f32, like Go does.
						for j, v := range want {
							assert.Equalf(t, Float8E4M3From(v), asE4M3[j], "%s: key %d dim %d", how, key, j)
						}
						q32 := data[i*dims : (i+1)*dims]
						k1, d1, err := idx.Search(q32, 5)
						require.NoError(t, err)
						q8 := make([]Float8E4M3, dims)
						for j, v := range q32 {
							q8[j] = Float8E4M3From(v)
						}
						if q == E4M3 { // the same query bytes: the same walk over the same graph
							k2, d2, err := other.Search(q8, 5)
							require.NoError(t, err)
							assert.Equal(t, k1, k2, how)
							assert.Equal(t, d1, d2, how)
						}
					}
					if how == "View" || how == "ViewBuffer" {
						err := other.Add(99999, make([]Float8E4M3, dims))
						assert.Truef(t, errors.Is(err, ErrReadOnly), "%s: add to a view: %v", how, err)
					}
					require.NoError(t, other.Close())
				}
			})
		}
	}
}

// BenchmarkMiniFloatKernels times one distance of 768 dimensions per kind and instruction
// set; compare the mini-floats with F16 (same f32 accumulation) in the same run.
func BenchmarkMiniFloatKernels(b *testing.B) {
	const dims = 768
	rng := rand.New(rand.NewSource(1))
	for _, q := range []Quantization{F16, BF16, E5M2, E4M3, E3M2, E2M3} {
		for _, m := range []Metric{L2sq, Cosine, InnerProduct} {
			x, y := refRandomRow(rng, q, m, dims), refRandomRow(rng, q, m, dims)
			for isa := 0; isa < coreISACount(); isa++ {
				if !coreISAUsable(isa) {
					continue
				}
				b.Run(fmt.Sprintf("%v/%v/%s", q, m, coreISAName(isa)), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						if _, st := coreDistanceISA(isa, unsafe.Pointer(&x[0]), unsafe.Pointer(&y[0]), q, dims, m); !st.ok() {
							b.Fatal(st.msg)
						}
					}
				})
			}
		}
	}
}

func ExampleFloat8E4M3From() {
	for _, x := range []float32{0.3, 1.0625, 500} {
		v := Float8E4M3From(x)
		fmt.Printf("%v -> %#02x = %v\n", x, uint8(v), v.Float32())
	}
	// Output:
	// 0.3 -> 0x2a = 0.3125
	// 1.0625 -> 0x38 = 1
	// 500 -> 0x7e = 448
}
