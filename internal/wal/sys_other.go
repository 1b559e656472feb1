//go:build !unix && !linux

package wal

import "errors"

// fdatasync is never reached where Lock refuses durable directories.
func fdatasync(fd uintptr) error {
	return errors.New("durable indexes are not supported on this system")
}
