//go:build cgo

package usearch

import (
	"math/rand"
	"testing"
)

// TestCodesDotKernels compares every compiled code-distance kernel this CPU runs with the
// serial loop, at lengths around the vector widths (tails included) and at the extremes of
// both operands (255 x -127, where a 16-bit pairwise sum would saturate).
func TestCodesDotKernels(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	lengths := []int{0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 96, 127, 128, 129, 200, 784, 1536}
	for isa, name := range []string{"serial", "haswell", "vnni"} {
		if _, ok := coreCodesDot(isa, []uint8{1}, []int8{1}); !ok {
			t.Logf("%s: not run by this CPU", name)
			continue
		}
		for _, n := range lengths {
			for _, fill := range []string{"random", "extreme"} {
				codes, query := make([]uint8, n), make([]int8, n)
				want := int32(0)
				for i := range codes {
					if fill == "random" {
						codes[i], query[i] = uint8(rng.Intn(256)), int8(rng.Intn(255)-127)
					} else {
						codes[i], query[i] = 255, -127
					}
					want += int32(codes[i]) * int32(query[i])
				}
				got, _ := coreCodesDot(isa, codes, query)
				if got != want {
					t.Errorf("%s n=%d %s: %d, want %d", name, n, fill, got, want)
				}
			}
		}
	}
}
