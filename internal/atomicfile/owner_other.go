//go:build !unix

package atomicfile

import (
	"io/fs"
	"os"
)

// keepOwner does nothing where files have no Unix owner and group to carry over.
func keepOwner(*os.File, fs.FileInfo) {}

// ProcessAlive reports whether a process with this id exists. On Windows FindProcess opens
// the process and fails when there is none; where it cannot tell it succeeds, so leftover
// files are kept rather than risk removing a write in progress.
func ProcessAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
