//go:build !linux

package gobench

import "time"

// Outside Linux the CPU clocks of cputime_linux_test.go are not wired up: the process CPU
// time reads zero (benchmarks then leave out their CPU metrics) and the thread clock falls
// back to wall time.

func cpuTime() time.Duration { return 0 }

func threadCPU() time.Duration { return time.Duration(time.Now().UnixNano()) }
