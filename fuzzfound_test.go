//go:build cgo

package usearch_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/usearch-go/usearch"
)

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
