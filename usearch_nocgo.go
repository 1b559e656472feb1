//go:build !cgo

package usearch

// Without cgo there is no core: creating an index or computing a distance returns
// ErrCgoRequired, so programs that import the package still compile.

import "unsafe"

type handle = unsafe.Pointer

type callbackHandle = uintptr

func deleteHandle(callbackHandle) {}

var noCgo = status{kind: ErrCgoRequired, msg: "built with CGO_ENABLED=0; usearch needs cgo and a C++ compiler"}

type coreStats struct {
	size, capacity, dimensions, connectivity, expansionAdd, expansionSearch uint
}

func coreNew(IndexConfig) (handle, status)                     { return nil, noCgo }
func coreFree(handle)                                          {}
func coreAdd(handle, Key, unsafe.Pointer, Quantization) status { return noCgo }
func coreSearch(handle, unsafe.Pointer, Quantization, uint, *Key, *float32) (uint, status) {
	return 0, noCgo
}
func coreGet(handle, Key, uint, unsafe.Pointer, Quantization) (uint, status) { return 0, noCgo }
func coreRemove(handle, Key) (uint, status)                                  { return 0, noCgo }
func coreRename(handle, Key, Key) (uint, status)                             { return 0, noCgo }
func coreReserve(handle, uint) status                                        { return noCgo }
func coreCount(handle, Key) uint                                             { return 0 }
func coreLen(handle) uint                                                    { return 0 }
func coreStat(handle) coreStats                                              { return coreStats{} }
func coreMemoryUsage(handle) uint                                            { return 0 }
func coreHardware(handle) string                                             { return "" }
func coreSetExpansion(handle, bool, uint)                                    {}
func coreDistance(unsafe.Pointer, unsafe.Pointer, Quantization, uint, Metric) (float32, status) {
	return 0, noCgo
}
func coreExactSearch(unsafe.Pointer, unsafe.Pointer, uint, uint, uint, uint, Quantization, uint, Metric, uint, uint, *Key, uint, *float32, uint) status {
	return noCgo
}
func coreVersion() string      { return "" }
func coreISACompiled() string  { return "" }
func coreISAAvailable() string { return "" }

func coreDescribe(handle) (IndexConfig, uint)                 { return IndexConfig{}, 0 }
func coreSaveChunk(handle, *saveCursor, []byte) (int, status) { return 0, noCgo }

func coreSnapshotBegin(handle) status                             { return noCgo }
func coreSnapshotChunk(handle, *saveCursor, []byte) (int, status) { return 0, noCgo }
func coreSnapshotEnd(handle) func()                               { return func() {} }
func coreSerializedLength(handle) uint                            { return 0 }
func coreLoad(handle, string, bool) status                        { return noCgo }
func coreLoadBuffer(handle, []byte, bool) status                  { return noCgo }
func coreMetadata(string, []byte) (IndexConfig, status)           { return IndexConfig{}, noCgo }

type metricCall interface {
	lastPanic() any
	copyMetric() metricCall
}

type goMetric[T Scalar] struct {
	fn       func(a, b []T) float32
	elements int
}

func (m *goMetric[T]) lastPanic() any { return nil }

func (m *goMetric[T]) copyMetric() metricCall { return &goMetric[T]{fn: m.fn, elements: m.elements} }

func coreFilteredSearch(handle, unsafe.Pointer, Quantization, uint, *Key, *float32, *goFilterSpec) (uint, SearchStats, any, status) {
	return 0, SearchStats{}, nil, noCgo
}
func coreChangeMetric(handle, metricCall) (callbackHandle, status)     { return 0, noCgo }
func coreChangeMetricKind(handle, Metric) status                       { return noCgo }
func coreAddCallback(handle, Key, unsafe.Pointer, Quantization) status { return noCgo }
func coreSearchCallback(handle, unsafe.Pointer, Quantization, uint, *Key, *float32) (uint, status) {
	return 0, noCgo
}
func coreSearchExact(handle, unsafe.Pointer, Quantization, uint, *Key, *float32) (uint, status) {
	return 0, noCgo
}
func coreSearchExactBatch(handle, unsafe.Pointer, Quantization, uint, uint, uint, *Key, *float32, *uint) (bool, status) {
	return false, noCgo
}
func coreExport(handle, uint, uint64, []Key, unsafe.Pointer, Quantization) (uint, status) {
	return 0, noCgo
}

type graphStats struct {
	nodes, removed, edges, memory uint
	maxLevel                      int
	levelNodes, levelEdges        [64]uint
}

func coreGraphStats(handle) graphStats                          { return graphStats{} }
func coreClear(handle, bool) status                             { return noCgo }
func coreClone(handle) (handle, status)                         { return nil, noCgo }
func coreCompact(handle, *int32, uint) (handle, uint64, status) { return nil, 0, noCgo }
func coreMutations(handle) uint64                               { return 0 }
func coreSwap(handle, handle)                                   {}

func coreUseCodes(handle, int) status   { return noCgo }
func coreCodesState(handle) (int, bool) { return 0, false }

// Without cgo there is no core to scan with; nothing is reported.
func coreFirstNonFinite(_ unsafe.Pointer, count, _ uint, _ Quantization, _ uint) (row, dim uint) {
	return count, 0
}
