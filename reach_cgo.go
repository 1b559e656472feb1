//go:build cgo

package usearch

// #include "csrc/usearch_ext.h"
import "C"

// graphReach is what usearchx_reach (csrc/reach.hpp) counts: live entries, live entries a
// walk of level 0 from the entry point never meets, and live entries no level-0 list names.
type graphReach struct {
	live, unreachable, orphans uint
}

// reach measures whether every live vector can be found. It reads every list, so the tests
// call it while no add or remove runs.
func (b *base) reach() (graphReach, error) {
	h, rt, err := b.read("reach")
	if err != nil {
		return graphReach{}, err
	}
	defer b.mu.runlock(rt)
	var r C.usearchx_reach_t
	if code := C.usearchx_reach(C.usearch_index_t(h), &r); code != 0 {
		return graphReach{}, statusError("reach", statusOf(code, nil), "")
	}
	return graphReach{live: uint(r.live), unreachable: uint(r.unreachable), orphans: uint(r.orphans)}, nil
}
