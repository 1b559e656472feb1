//go:build !cgo

package usearch

func coreUseCodes(handle, int) status   { return noCgo }
func coreCodesState(handle) (int, bool) { return 0, false }
