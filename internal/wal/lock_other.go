//go:build !unix

package wal

import (
	"errors"
	"runtime"
)

// Lock is not implemented where flock is missing: without a lock two opens could write one
// log, so durable indexes are refused there.
func Lock(dir string) (func() error, error) {
	return nil, errors.New("durable indexes need flock, which " + runtime.GOOS + " lacks")
}
