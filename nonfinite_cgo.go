//go:build cgo

package usearch

// The scan that Load runs over a file's vectors (csrc/nonfinite.hpp), callable on its own
// so that its speed can be measured apart from Load (BenchmarkNonFiniteScan).

/*
#include "csrc/usearch_ext.h"
#cgo noescape usearchx_first_nonfinite
#cgo nocallback usearchx_first_nonfinite
*/
import "C"

import "unsafe"

// coreFirstNonFinite returns the first of count rows (stride bytes apart, dims elements of
// kind each) at p holding NaN or an infinity, and that element; row == count when none does.
func coreFirstNonFinite(p unsafe.Pointer, count, stride uint, kind Quantization, dims uint) (row, dim uint) {
	var d C.size_t
	r := C.usearchx_first_nonfinite(p, C.size_t(count), C.size_t(stride), cScalar[kind], C.size_t(dims), &d)
	return uint(r), uint(d)
}
