//go:build cgo

package tests

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/usearch-go/usearch"
)

// addFixtureSeeds seeds a fuzz target with every upstream fixture file.
func addFixtureSeeds(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(fixtureRoot, "*", "index.usearch"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil && len(data) < 200_000 {
			f.Add(data)
		}
	}
	f.Add([]byte{})
}

// fuzzOpen loads or views arbitrary bytes: it must return an error or a searchable index,
// never crash.
func fuzzOpen(f *testing.F, view bool) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := usearch.NewIndex(usearch.DefaultConfig(2))
		if err != nil {
			t.Fatal(err)
		}
		defer idx.Close()
		if view {
			err = idx.ViewBuffer(data, uint(len(data)))
		} else {
			err = idx.LoadBuffer(data, uint(len(data)))
		}
		if err != nil {
			if !errors.Is(err, usearch.ErrInvalidFile) && !errors.Is(err, usearch.ErrOutOfMemory) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		dims, _ := idx.Dimensions()
		if dims > 4096 {
			return
		}
		q := make([]float32, dims)
		for i := range q {
			q[i] = float32(i%3) - 1
		}
		if _, _, err := idx.Search(q, 5); err != nil && !errors.Is(err, usearch.ErrUnsupported) {
			t.Fatalf("search on a loaded image: %v", err)
		}
		if _, err := idx.SerializedLength(); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzLoadBuffer(f *testing.F) { fuzzOpen(f, false) }
func FuzzViewBuffer(f *testing.F) { fuzzOpen(f, true) }

func FuzzMetadataBuffer(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := usearch.MetadataBuffer(data, uint(len(data))); err != nil && !errors.Is(err, usearch.ErrInvalidFile) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}

// Regression tests for what the libFuzzer harnesses in tests/fuzz found (./build.sh fuzz).

// TestLoadRefusesDuplicateKeyInSingleIndex: fuzz_load found a file whose header says
// single-vector while two nodes carry the same key. The loader accepted it and searches then
// returned that key twice. Such a file is now refused as invalid, for load and view.
func TestLoadRefusesDuplicateKeyInSingleIndex(t *testing.T) {
	conf := usearch.DefaultConfig(4)
	conf.Multi = true
	idx, err := usearch.NewIndex(conf)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	for i, v := range [][]float32{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}} {
		key := usearch.Key(7)
		if i == 2 {
			key = 8
		}
		if err := idx.Add(key, v); err != nil {
			t.Fatal(err)
		}
	}
	n, err := idx.SerializedLength()
	if err != nil {
		t.Fatal(err)
	}
	image := make([]byte, n)
	if err := idx.SaveBuffer(image, n); err != nil {
		t.Fatal(err)
	}
	// The same image still loads as a multi index ...
	check := func(image []byte, view bool) error {
		t.Helper()
		dst, err := usearch.NewIndex(usearch.DefaultConfig(4))
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		if view {
			return dst.ViewBuffer(image, uint(len(image)))
		}
		return dst.LoadBuffer(image, uint(len(image)))
	}
	for _, view := range []bool{false, true} {
		if err := check(image, view); err != nil {
			t.Fatalf("multi image (view=%v): %v", view, err)
		}
	}
	// ... and is refused once its header claims a single-vector index (byte 41 of the
	// 64-byte header that starts with the "usearch" magic).
	at := bytes.Index(image, []byte("usearch"))
	if at < 0 || image[at+41] != 1 {
		t.Fatalf("no multi flag in the header (magic at %d)", at)
	}
	single := bytes.Clone(image)
	single[at+41] = 0
	for _, view := range []bool{false, true} {
		if err := check(single, view); !errors.Is(err, usearch.ErrInvalidFile) {
			t.Fatalf("single-vector header over a repeated key (view=%v): got %v, want ErrInvalidFile", view, err)
		}
	}
}

// TestGetI8FromNonFiniteStoredVector: fuzz_load found a loaded F32 file holding +Inf in a
// vector; reading it back as int8 converted NaN (Inf/Inf while normalising) to an integer,
// which is undefined behaviour (reported by `./build.sh sanitize`'s UBSan run of this test).
// A vector without a finite norm now reads back as zeros, in the storage kinds' int8 and
// uint8 views alike.
func TestGetI8FromNonFiniteStoredVector(t *testing.T) {
	src, err := usearch.NewIndex(usearch.IndexConfig{Quantization: usearch.F32, Metric: usearch.L2sq, Dimensions: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want := []float32{1, 2, 3, 4}
	if err := src.Add(1, want); err != nil {
		t.Fatal(err)
	}
	n, _ := src.SerializedLength()
	image := make([]byte, n)
	if err := src.SaveBuffer(image, n); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 0, 16)
	for _, f := range want {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
	}
	at := bytes.Index(image, raw)
	if at < 0 {
		t.Fatal("vector bytes not found in the saved image")
	}
	for _, bad := range []float32{float32(math.Inf(1)), float32(math.NaN())} {
		patched := bytes.Clone(image)
		binary.LittleEndian.PutUint32(patched[at+4:], math.Float32bits(bad))
		idx, err := usearch.NewIndexOf[int8](usearch.IndexConfig{Quantization: usearch.F32, Metric: usearch.L2sq, Dimensions: 4})
		if err != nil {
			t.Fatal(err)
		}
		// Load refuses such a file (nonfinite_test.go); a view serves it as it is.
		if err := idx.ViewBuffer(patched, uint(len(patched))); err != nil {
			idx.Close()
			t.Fatalf("view: %v", err)
		}
		got, err := idx.Get(1, 1)
		idx.Close()
		if err != nil {
			t.Fatalf("Get with %v stored: %v", bad, err)
		}
		if !slices.Equal(got, []int8{0, 0, 0, 0}) {
			t.Fatalf("Get as int8 of a vector holding %v = %v, want zeros", bad, got)
		}
	}
}
