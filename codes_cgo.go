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
