//go:build ubsan

package csrc

// `go test -tags ubsan` builds the C++ core with UndefinedBehaviorSanitizer. Go has no
// -ubsan flag; run with UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 so that the first
// report fails the test binary (cgo refuses -fno-sanitize-recover in #cgo lines). -O1 as in
// sanitize_asan.go.

/*
#cgo CXXFLAGS: -fsanitize=undefined -fno-omit-frame-pointer -g -O1
#cgo LDFLAGS: -fsanitize=undefined
*/
import "C"
