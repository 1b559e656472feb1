//go:build cgo

package tests

// Reserving capacity maps the vector rows without touching them (issue 20, point 4): on
// POSIX through mmap, on Windows through VirtualAlloc (csrc/storage.hpp, os_allocate),
// where operator new + memset used to make every reserved byte resident at once. The
// windows-2022 CI job runs this test against the working set.

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/usearch-go/usearch"
)

func TestReserveCostsNoMemoryUntilUsed(t *testing.T) {
	if _, ok := residentBytes(); !ok {
		t.Skipf("no resident-memory reading on %s", runtime.GOOS)
	}
	dims, capacity := 512, 200_000 // 390 MB of f32 rows
	if testing.Short() {
		dims = 256 // 195 MB: the race and qemu runs use -short
	}
	const slack = 64 << 20 // Go heap noise, slot tables, the first rows
	rows := uint64(dims*4) * uint64(capacity)

	// The measurement sees memory that is touched: a control, so the test cannot pass by
	// reading a number that never moves. The heap's free pages go back to the system first
	// (FreeOSMemory, not just a GC): the control's allocation would otherwise reuse pages
	// that earlier tests of this binary left resident, and move the reading by less than it
	// touched (CI saw 158 MB for 390 MB when this test ran after the recall suites).
	debug.FreeOSMemory()
	before, _ := residentBytes()
	touched := make([]byte, rows)
	for i := 0; i < len(touched); i += 4096 {
		touched[i] = 1
	}
	after, _ := residentBytes()
	if after < before+rows*3/4 {
		t.Fatalf("touching %d MB raised resident memory by %d MB only: the reading does not follow use", rows>>20, int64(after-before)>>20)
	}
	runtime.KeepAlive(touched)
	touched = nil
	debug.FreeOSMemory()

	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: uint(dims), Metric: usearch.L2sq, Quantization: usearch.F32})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	before, _ = residentBytes()
	if err := idx.Reserve(uint(capacity)); err != nil {
		t.Fatal(err)
	}
	after, _ = residentBytes()
	grown := int64(after) - int64(before)
	t.Logf("Reserve(%d) of %d-dimensional f32 rows (%d MB): resident memory %+d MB", capacity, dims, rows>>20, grown>>20)
	if grown > slack {
		t.Errorf("Reserve(%d) made %d MB resident; want under %d MB: reserved rows must cost nothing until written", capacity, grown>>20, slack>>20)
	}

	// The reserved rows work: vectors land in them and are found.
	v := make([]float32, dims)
	for k := range 100 {
		for j := range v {
			v[j] = float32(k) + float32(j%7)/7 // distinct rows: no ties
		}
		if err := idx.Add(usearch.Key(k), v); err != nil {
			t.Fatal(err)
		}
	}
	keys, dists, err := idx.Search(v, 1)
	if err != nil || len(keys) != 1 || keys[0] != 99 || dists[0] != 0 {
		t.Fatalf("search for the last vector: %v %v %v", keys, dists, err)
	}
}
