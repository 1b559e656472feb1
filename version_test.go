//go:build cgo

package usearch

import "testing"

// TestVersionMatchesCore keeps the Go constant and the C core's usearch_version() equal,
// so the version lives in one place per language and cannot drift.
func TestVersionMatchesCore(t *testing.T) {
	if got := coreVersion(); got != Version() {
		t.Errorf("C core reports %q, Version() %q", got, Version())
	}
}
