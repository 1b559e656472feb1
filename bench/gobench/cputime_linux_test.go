//go:build linux

package gobench

import (
	"syscall"
	"time"
	"unsafe"
)

// The two CPU clocks the benchmarks report next to wall time: on a shared machine wall time
// depends on what else runs, CPU time much less. Benchmarks are run and recorded on Linux;
// cputime_other_test.go is the fallback elsewhere.

// cpuTime is the CPU time (user + system) the process has used so far, every thread
// included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU is the CPU time of the calling OS thread (CLOCK_THREAD_CPUTIME_ID). With the
// goroutine locked to its thread, it times searches without the time other processes took
// the core away, which is what a ratio on a shared machine needs.
func threadCPU() time.Duration {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
