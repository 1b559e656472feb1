//go:build unix && !linux

package wal

import "syscall"

// fdatasync falls back to a full fsync where the system has no fdatasync.
func fdatasync(fd uintptr) error { return syscall.Fsync(int(fd)) }
