//go:build linux

package wal

import "syscall"

// fdatasync skips the metadata a later read does not need (the modification time), which
// spares the journal a write per sync on most file systems.
func fdatasync(fd uintptr) error { return syscall.Fdatasync(int(fd)) }
