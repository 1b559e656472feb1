//go:build !cgo

package usearch

import (
	"errors"
	"testing"
)

// Without cgo the package links and every entry point reports ErrCgoRequired.
func TestWithoutCgo(t *testing.T) {
	if _, err := NewIndex(DefaultConfig(3)); !errors.Is(err, ErrCgoRequired) {
		t.Fatalf("NewIndex without cgo: %v, want ErrCgoRequired", err)
	}
	if _, err := NewIndexOf[int8](DefaultConfig(3)); !errors.Is(err, ErrCgoRequired) {
		t.Fatalf("NewIndexOf without cgo: %v, want ErrCgoRequired", err)
	}
	if _, err := Distance([]float32{1}, []float32{1}, 1, L2sq); !errors.Is(err, ErrCgoRequired) {
		t.Fatalf("Distance without cgo: %v, want ErrCgoRequired", err)
	}
	if _, err := MetadataBuffer(make([]byte, 100), 100); !errors.Is(err, ErrCgoRequired) {
		t.Fatalf("MetadataBuffer without cgo: %v, want ErrCgoRequired", err)
	}
	if _, err := OpenDurable(t.TempDir(), DefaultConfig(3), DurableOptions{}); !errors.Is(err, ErrCgoRequired) {
		t.Fatalf("OpenDurable without cgo: %v, want ErrCgoRequired", err)
	}
}
