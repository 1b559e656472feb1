//go:build cgo && !windows

package tests

import (
	"os"
	"strconv"
	"strings"
)

// residentBytes is the process's resident set size, where /proc gives it (Linux); elsewhere
// it reports false and the test that needs it says so.
func residentBytes() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * uint64(os.Getpagesize()), true
}
