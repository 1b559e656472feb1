//go:build cgo

package usearch

// The cgo calls of compact codes (codes.go), apart from usearch_cgo.go.

/*
#include "csrc/usearch_ext.h"
*/
import "C"

func coreUseCodes(h handle, bits int) status {
	var msg C.usearch_error_t
	return statusOf(C.usearchx_use_codes(C.usearch_index_t(h), C.int(bits), &msg), msg)
}

func coreCodesState(h handle) (int, bool) {
	var bits C.int
	var serving C.bool
	C.usearchx_codes_state(C.usearch_index_t(h), &bits, &serving)
	return int(bits), bool(serving)
}

// coreCodesDot runs the code-distance kernel of one instruction set; ok is false when this
// CPU does not run it.
func coreCodesDot(isa int, codes []uint8, query []int8) (int32, bool) {
	var out C.int32_t
	var c *C.uint8_t
	var q *C.int8_t
	if len(codes) > 0 {
		c, q = (*C.uint8_t)(&codes[0]), (*C.int8_t)(&query[0])
	}
	code := C.usearchx_codes_dot(C.int(isa), c, q, C.size_t(len(codes)), &out)
	return int32(out), code == C.usearchx_ok_k
}
