//go:build unix

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives w the owner and group of old where the process may: root can set both,
// an owner can set the group to one of its own. Refusals (EPERM) are not errors: the
// content still replaces old, owned by whoever wrote it, as a plain copy would be.
func keepOwner(w *os.File, old fs.FileInfo) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	uid, gid := int(st.Uid), int(st.Gid)
	if uid == os.Geteuid() && gid == os.Getegid() {
		return // already so: the temporary file is the process's own
	}
	if err := w.Chown(uid, gid); err == nil || !errors.Is(err, fs.ErrPermission) {
		return
	}
	w.Chown(-1, gid)
}

// ProcessAlive reports whether a process with this id exists. Signal 0 checks without
// sending anything; EPERM means it exists but belongs to someone else.
func ProcessAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
