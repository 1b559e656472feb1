//go:build cgo && !windows

package usearch_test

// residentBytes is the process's resident set size, where /proc gives it (rssBytes,
// soak_test.go).
func residentBytes() (uint64, bool) {
	n := rssBytes()
	return n, n > 0
}
