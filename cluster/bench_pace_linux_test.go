package cluster

import (
	"runtime"
	"syscall"
	"time"
)

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK: how much later than asked the kernel may
// wake this thread (50 µs by default), so that it can batch wake-ups.
const prSetTimerSlack = 29

// pinPacer locks the calling goroutine to its thread and lets that thread wake within a
// microsecond of the time it asked for.
func pinPacer() {
	runtime.LockOSThread()
	// On failure the default slack stays; the generator's lateness report shows it.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1000, 0)
}

// sleepThread sleeps the locked thread in the kernel (nanosleep): woken by a high-resolution
// timer, not by the runtime's millisecond-grained timer wait. An early return (a signal,
// such as the runtime's preemption signal) is fine: the caller looks at the clock again.
func sleepThread(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}
