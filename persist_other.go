//go:build !unix

package usearch

import "os"

// processAlive reports whether a process with this id exists. On Windows FindProcess opens
// the process and fails when there is none; where it cannot tell it succeeds, so leftover
// files are kept rather than risk removing a save in progress.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
