// Package testutil holds the black-box test helpers that both the root package's external
// tests (package usearch_test) and the cross-cutting suites in tests/ use, so that each
// exists once. It imports the library, so only external test packages may import it: the
// root package's internal tests (package usearch) would make an import cycle.
package testutil

import (
	"bytes"
	"testing"

	"github.com/usearch-go/usearch"
)

// Must stops the test on an error.
func Must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ImageOf returns the serialized file image of idx.
func ImageOf(t testing.TB, idx *usearch.Index) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := idx.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// EqualKeys tells whether two key lists are the same, in order.
func EqualKeys(a, b []usearch.Key) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
