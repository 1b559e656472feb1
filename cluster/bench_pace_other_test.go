//go:build !linux

package cluster

import (
	"runtime"
	"time"
)

// pinPacer locks the generator to its thread (elsewhere than Linux without the timer slack
// setting of bench_pace_linux_test.go).
func pinPacer() { runtime.LockOSThread() }

// sleepThread falls back on the runtime's timer; the generator's lateness report shows
// what that costs.
func sleepThread(d time.Duration) { time.Sleep(d) }
