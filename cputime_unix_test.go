//go:build unix

package usearch_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used so far, every thread
// included. Benchmarks report it next to wall time: on a shared machine wall time depends
// on what else runs, CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
