//go:build cgo

package usearch

// What the Go side and the C core each define for themselves must agree: the version and the
// hash of the allow-list table (filter.go builds it, the core probes it).

import (
	"math/rand"
	"testing"
)

// TestVersionMatchesCore keeps the Go constant and the C core's usearch_version() equal,
// so the version lives in one place per language and cannot drift.
func TestVersionMatchesCore(t *testing.T) {
	if got := coreVersion(); got != Version() {
		t.Errorf("C core reports %q, Version() %q", got, Version())
	}
}

// The Go-built allow table is probed by C: both must hash keys the same way, and every
// allowed key must be found where C looks for it.
func TestAllowTableHash(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	keys := []Key{0, 1, 2, 1 << 63, emptyCell - 1}
	for i := 0; i < 1000; i++ {
		keys = append(keys, r.Uint64())
	}
	for _, k := range keys {
		if keyHash(k) != coreKeyHash(k) {
			t.Fatalf("keyHash(%d) = %x, the core computes %x", k, keyHash(k), coreKeyHash(k))
		}
	}
	f := AllowKeys(keys)
	if len(f.spec.table) < 2*len(keys) || len(f.spec.table)&(len(f.spec.table)-1) != 0 {
		t.Fatalf("table of %d cells for %d keys: want a power of two at least twice as large", len(f.spec.table), len(keys))
	}
}
