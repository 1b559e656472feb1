//go:build !linux && cgo

package usearch_test

import "time"

// threadCPU falls back to wall time where the thread clock is not wired up.
func threadCPU() time.Duration { return time.Duration(time.Now().UnixNano()) }
