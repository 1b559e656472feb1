//go:build cgo

package usearch

// The //export trampolines through which the C++ core calls Go closures (a filter predicate
// and a user metric), and the handle table that names those closures for the core. Nothing
// here calls into C (usearch_cgo.go does); the C types in the signatures match the extern
// declarations in usearch_cgo.go's preamble. Each call carries a whole group of keys or
// vectors (one crossing per expanded node, not per candidate). A panic in a closure is
// recovered here, never unwinds through C, and makes the core abort the call, which then
// returns an ErrCallback error.

/*
#include <stdint.h>
#include "csrc/usearch_ext.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"sync/atomic"
	"unsafe"
)

// callbackHandle names a Go closure for the core (a cgo.Handle).
type callbackHandle = cgo.Handle

func deleteHandle(h callbackHandle) { h.Delete() }

// filterCall is the state of one filtered search: the closure and a recovered panic.
type filterCall struct {
	fn       func(Key) bool
	panicked any
}

//export usearchGoFilter
func usearchGoFilter(keys *C.usearch_key_t, count C.size_t, keep *C.uint8_t, state unsafe.Pointer) (rc C.int) {
	call := cgo.Handle(uintptr(state)).Value().(*filterCall)
	defer func() {
		if r := recover(); r != nil {
			call.panicked, rc = r, 1
		}
	}()
	ks := unsafe.Slice((*Key)(unsafe.Pointer(keys)), int(count))
	verdicts := unsafe.Slice((*uint8)(unsafe.Pointer(keep)), int(count))
	for i, k := range ks {
		if verdicts[i] != 0 && !call.fn(k) {
			verdicts[i] = 0
		}
	}
	return 0
}

// metricCall adapts a typed user metric to the untyped batch the core asks for.
type metricCall interface {
	distances(query unsafe.Pointer, vectors []unsafe.Pointer, out []float32)
	lastPanic() any
	// copyMetric returns the same metric with its own state, for a cloned index.
	copyMetric() metricCall
}

type goMetric[T Scalar] struct {
	fn       func(a, b []T) float32
	elements int
	panicked atomic.Value // how the last failed call failed (a panic or a NaN), for the error message
}

func (m *goMetric[T]) distances(query unsafe.Pointer, vectors []unsafe.Pointer, out []float32) {
	q := unsafe.Slice((*T)(query), m.elements)
	for i, v := range vectors {
		out[i] = m.fn(q, unsafe.Slice((*T)(v), m.elements))
	}
}

func (m *goMetric[T]) lastPanic() any { return m.panicked.Load() }

func (m *goMetric[T]) copyMetric() metricCall { return &goMetric[T]{fn: m.fn, elements: m.elements} }

//export usearchGoMetric
func usearchGoMetric(query unsafe.Pointer, vectors *unsafe.Pointer, count C.size_t, out *C.usearch_distance_t, state unsafe.Pointer) (rc C.int) {
	m := cgo.Handle(uintptr(state)).Value().(metricCall)
	defer func() {
		if r := recover(); r != nil {
			if gm, ok := m.(interface{ setPanic(any) }); ok {
				gm.setPanic(r)
			}
			rc = 1
		}
	}()
	dists := unsafe.Slice((*float32)(unsafe.Pointer(out)), int(count))
	m.distances(query, unsafe.Slice(vectors, int(count)), dists)
	// A NaN distance compares false with everything: admitted into the graph it would make
	// neighbour selection arbitrary, so the call fails like a panic and stores nothing.
	for _, d := range dists {
		if d != d {
			if gm, ok := m.(interface{ setFailure(string) }); ok {
				gm.setFailure("returned NaN")
			}
			return 1
		}
	}
	return 0
}

func (m *goMetric[T]) setPanic(r any)         { m.panicked.Store("panicked: " + fmt.Sprint(r)) }
func (m *goMetric[T]) setFailure(what string) { m.panicked.Store(what) }
