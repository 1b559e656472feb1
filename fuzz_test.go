//go:build cgo

package usearch_test

import (
	"errors"
	"os"
	"path/filepath"
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
