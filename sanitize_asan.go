//go:build asan

package usearch

// `go test -asan` instruments only C files; this adds AddressSanitizer (with its leak
// checker) to the C++ core as well.

/*
#cgo CXXFLAGS: -fsanitize=address -fno-omit-frame-pointer -g
*/
import "C"
