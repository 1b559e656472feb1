//go:build ubsan

package usearch

// `go test -tags ubsan` builds the C++ core with UndefinedBehaviorSanitizer. Go has no
// -ubsan flag; run with UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 so that the first
// report fails the test binary (cgo refuses -fno-sanitize-recover in #cgo lines).

/*
#cgo CXXFLAGS: -fsanitize=undefined -fno-omit-frame-pointer -g
#cgo LDFLAGS: -fsanitize=undefined
*/
import "C"
