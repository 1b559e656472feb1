//go:build !unix

package wal

import (
	"errors"
	"runtime"
)

// Lock refuses, off Unix: the directory lock is flock(2), and without one two opens could
// write one log, so OpenDurable returns this error there (LockFileEx on Windows would lift it).
func Lock(dir string) (func() error, error) {
	return nil, errors.New("durable indexes need flock, which " + runtime.GOOS + " lacks")
}
