// Package atomicfile writes a named destination the way its kind asks for: a regular file
// is replaced atomically (a temporary file beside it, renamed over it once complete) and
// keeps its permission bits and, where the process may set them, its owner and group; a
// symbolic link is followed, so the link stays a link and its target gets the content; a
// character or block device, FIFO or Unix socket is written directly, never replaced; a
// directory or anything else that cannot hold the content is refused with an error naming
// the path. Index.Save (persist.go) and the usearch command (cmd/usearch) both write through it.
//
// Temporary files are named ".<name>.tmp-<pid>-<random>" beside the file they replace. A
// process killed between creating one and renaming it leaves it behind; the next Create of
// the same target removes those whose process no longer runs (RemoveStale).
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxLinks bounds how many symbolic links Create follows, as the kernel does (40 on Linux).
const maxLinks = 40

// File is a destination opened by Create. Write into it, then Commit; Abort (safe after
// Commit, so it can be deferred) drops a temporary file. A File is not safe for concurrent use.
type File struct {
	path   string   // as the caller named it: every error names it
	target string   // path with its symbolic links followed
	temp   string   // the temporary file renamed over target; "" when writing directly
	w      *os.File // the open temporary file or device; nil when conn is set
	conn   net.Conn // a Unix socket destination
	done   bool
}

// Create opens path for writing. The checks that can fail without writing anything
// (a missing directory, a directory in place of a file, no permission to create the
// temporary file) fail here, so a caller that creates its destination before long work
// learns of them first. Opening a FIFO blocks until a reader opens it, as open(2) does.
func Create(path string) (*File, error) {
	if path == "" {
		return nil, errors.New("empty output path")
	}
	target, info, err := resolve(path)
	if err != nil {
		return nil, err
	}
	f := &File{path: path, target: target}
	switch {
	case info == nil: // a new file (or a dangling link's target): created beside, renamed in
		return f, f.createTemp(nil)
	case info.Mode().IsRegular():
		return f, f.createTemp(info)
	case info.IsDir():
		return nil, fmt.Errorf("%s: is a directory; want a file name", f.name())
	case info.Mode()&fs.ModeSocket != 0:
		c, err := net.Dial("unix", target)
		if err != nil {
			return nil, fmt.Errorf("%s: a socket that does not accept a connection: %w", f.name(), unwrapPath(err))
		}
		f.conn = c
		return f, nil
	case info.Mode()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe) != 0:
		// Written in place: no O_TRUNC (a device has no length to cut, a FIFO nothing
		// stored) and no O_CREATE (it exists; if it vanished meanwhile, fail rather than
		// create a regular file in its place).
		w, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot open the %s for writing: %w", f.name(), kindName(info.Mode()), unwrapPath(err))
		}
		f.w = w
		return f, nil
	}
	return nil, fmt.Errorf("%s: a %s cannot be written; want a regular file, device, FIFO or socket", f.name(), kindName(info.Mode()))
}

// resolve follows the symbolic links of path's last element and returns where the content
// goes and what is there now (nil when nothing is). A relative link target is relative to
// the directory holding the link; it is joined without cleaning, so ".." means what the
// kernel takes it to mean even below a linked directory.
func resolve(path string) (string, fs.FileInfo, error) {
	target := path
	for hops := 0; ; hops++ {
		info, err := os.Lstat(target)
		if errors.Is(err, fs.ErrNotExist) {
			return target, nil, checkParent(path, target)
		}
		if err != nil {
			if perr := checkParent(path, target); perr != nil { // "not a directory" said plainly
				return "", nil, perr
			}
			return "", nil, fmt.Errorf("%s: %w", describe(path, target), unwrapPath(err))
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			return target, info, nil
		}
		if hops == maxLinks {
			return "", nil, fmt.Errorf("%s: more than %d levels of symbolic links", path, maxLinks)
		}
		link, err := os.Readlink(target)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", describe(path, target), unwrapPath(err))
		}
		if !filepath.IsAbs(link) {
			link = dirOf(target) + link
		}
		target = link
	}
}

// checkParent explains why a file cannot be created at target when its directory is
// missing or not a directory; other problems show when the temporary file is created.
func checkParent(path, target string) error {
	dir := filepath.Clean(dirOf(target)) // "file/" would fail as "not a directory" itself
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &explained{fmt.Sprintf("%s: directory %s does not exist", describe(path, target), dir), fs.ErrNotExist}
	case err != nil:
		return fmt.Errorf("%s: directory %s: %w", describe(path, target), dir, unwrapPath(err))
	case !info.IsDir():
		return fmt.Errorf("%s: %s is not a directory", describe(path, target), dir)
	}
	return nil
}

// dirOf returns the directory part of p with its trailing separator, uncleaned ("./" for
// a bare name).
func dirOf(p string) string {
	i := len(p) - 1
	for i >= 0 && !os.IsPathSeparator(p[i]) {
		i--
	}
	if i < 0 {
		return "." + string(filepath.Separator)
	}
	return p[:i+1]
}

// createTemp creates the temporary file beside f.target with the mode, owner and group of
// the file it replaces (old), or those a plain create gets when there is none.
func (f *File) createTemp(old fs.FileInfo) error {
	dir, name := dirOf(f.target), filepath.Base(f.target)
	RemoveStale(dir, name)
	for attempt := 0; ; attempt++ {
		temp := dir + fmt.Sprintf("%s%d-%d", TempPrefix(name), os.Getpid(), rand.Uint32())
		// 0666 less the umask, as a plain create: a new file is readable as any other.
		w, err := os.OpenFile(temp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) && attempt < 100 {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: cannot create a temporary file in %s to replace it atomically: %w", f.name(), filepath.Clean(dir), unwrapPath(err))
		}
		f.temp, f.w = temp, w
		break
	}
	if old == nil {
		return nil
	}
	// Owner first: chown clears the set-user-ID and set-group-ID bits chmod then restores.
	keepOwner(f.w, old)
	mode := old.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	if err := f.w.Chmod(mode); err != nil { // explicit: the umask narrowed the create
		f.Abort()
		return fmt.Errorf("%s: cannot give the temporary file beside it the mode %v: %w", f.name(), mode, unwrapPath(err))
	}
	return nil
}

// Write writes p to the destination.
func (f *File) Write(p []byte) (int, error) {
	var n int
	var err error
	if f.conn != nil {
		n, err = f.conn.Write(p)
	} else {
		n, err = f.w.Write(p)
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", f.name(), unwrapPath(err))
	}
	return n, err
}

// Commit completes the write: a temporary file is flushed to disk and renamed over the
// target (then the directory is flushed, so the rename survives a crash too); a device,
// FIFO or socket is closed.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("%s: committed twice", f.name())
	}
	f.done = true
	if f.conn != nil {
		return wrap(f, f.conn.Close())
	}
	if f.temp == "" {
		return wrap(f, f.w.Close())
	}
	// The messages leave the temporary file's name out: it is removed by then, and the
	// user knows the file by its own name.
	fail := func(what string, err error) error {
		f.w.Close()
		os.Remove(f.temp)
		return fmt.Errorf("%s: %s the temporary file beside it: %w", f.name(), what, unwrapPath(err))
	}
	if err := f.w.Sync(); err != nil {
		return fail("flushing", err)
	}
	if err := f.w.Close(); err != nil {
		return fail("closing", err)
	}
	if err := os.Rename(f.temp, f.target); err != nil {
		os.Remove(f.temp)
		return fmt.Errorf("%s: cannot rename the temporary file beside it over it: %w", f.name(), unwrapPath(err))
	}
	if d, err := os.Open(dirOf(f.target)); err == nil { // durable rename where supported
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort drops an uncommitted write: the temporary file is removed and the target keeps
// its old content. Bytes already written to a device, FIFO or socket are gone; Abort only
// closes it. After Commit it does nothing.
func (f *File) Abort() {
	if f == nil || f.done {
		return
	}
	f.done = true
	if f.conn != nil {
		f.conn.Close()
		return
	}
	f.w.Close()
	if f.temp != "" {
		os.Remove(f.temp)
	}
}

// Direct reports whether the destination is written in place (a device, FIFO or socket),
// so that nothing written can be taken back.
func (f *File) Direct() bool { return f.temp == "" }

func (f *File) name() string { return describe(f.path, f.target) }

// describe names the destination: the path, and where its links lead when they do.
func describe(path, target string) string {
	if target == path {
		return path
	}
	return path + " (→ " + target + ")"
}

// explained is an error whose message says the problem in words while errors.Is still
// finds the cause (fs.ErrNotExist for a missing directory, as os.Create would give).
type explained struct {
	msg   string
	cause error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.cause }

func wrap(f *File, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", f.name(), unwrapPath(err))
}

// unwrapPath drops the file names an *fs.PathError or, from a rename, an *os.LinkError
// carries (often a temporary name the message already gives in words) and keeps the
// reason, which errors.Is still matches.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

func kindName(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeIrregular != 0:
		return "file of unknown type"
	}
	return "file of mode " + m.String()
}

// TempPrefix starts the name of every temporary file a write of name creates; the rest
// is "<pid>-<random>".
func TempPrefix(name string) string { return "." + name + ".tmp-" }

// RemoveStale deletes the temporary files of earlier writes of name in dir whose process
// no longer runs: a write killed between creating its file and renaming it leaves one,
// and nothing else would ever remove it. Only names Create makes for this very target are
// touched, never a directory, and never one whose process is alive (it may be writing
// right now). Failures are ignored: cleaning up is a courtesy, not part of the write.
func RemoveStale(dir, name string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := TempPrefix(name)
	for _, e := range entries {
		pid, ok := tempOwner(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() || pid == os.Getpid() || ProcessAlive(pid) {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}

// tempOwner parses "<prefix><pid>-<random>" and returns the pid.
func tempOwner(file, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(file, prefix)
	if !ok {
		return 0, false
	}
	pidText, randText, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.ParseUint(pidText, 10, 31)
	if err != nil || pid == 0 {
		return 0, false
	}
	if _, err := strconv.ParseUint(randText, 10, 32); err != nil {
		return 0, false
	}
	return int(pid), true
}
