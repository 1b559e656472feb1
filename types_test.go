//go:build cgo

package usearch

// Conversions (docs/file-format.md, "Conversions"): Float16/BFloat16 against the rounding rules and exhaustively
// against the reference and the C core; i8/u8/b1 conversion examples through the core's
// cast and through indexes; Get's conversions.

import (
	"encoding/binary"
	"math"
	"math/rand"
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
	// (70000 would overflow F16 and is refused: finite_test.go.)
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
