//go:build unix

package atomicfile

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usearch-go/usearch/internal/fifotest"
)

// content returns n bytes that differ from seed to seed, so no test passes by finding an
// older write's bytes.
func content(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e37))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// put writes b to path through Create and Commit, in pieces as a streamed save does.
func put(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := Create(path)
	require.NoError(t, err)
	defer f.Abort()
	for len(b) > 0 {
		n := min(len(b), 1<<16)
		_, err := f.Write(b[:n])
		require.NoError(t, err)
		b = b[n:]
	}
	require.NoError(t, f.Commit())
}

// noTemps fails when a temporary file of any target is left in dir.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp-", "temporary file left in %s", dir)
	}
}

func TestNewFileGetsPlainCreateMode(t *testing.T) {
	dir := t.TempDir()
	// What a plain create gives under this process's umask, whatever it is.
	plain := filepath.Join(dir, "plain")
	require.NoError(t, os.WriteFile(plain, nil, 0o666))
	want, err := os.Stat(plain)
	require.NoError(t, err)

	path := filepath.Join(dir, "new.usearch")
	b := content(1, 100_000)
	put(t, path, b)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, b, got)
	info, err := os.Lstat(path)
	require.NoError(t, err)
	assert.True(t, info.Mode().IsRegular())
	assert.Equal(t, want.Mode().Perm(), info.Mode().Perm())
	noTemps(t, dir)
}

func TestRegularFileKeepsMode(t *testing.T) {
	dir := t.TempDir()
	for i, mode := range []fs.FileMode{0o666, 0o600, 0o640, 0o644, 0o755, 0o444, 0o604} {
		t.Run(mode.String(), func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("f%d", i))
			require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
			require.NoError(t, os.Chmod(path, mode)) // exactly mode, whatever the umask
			before, err := os.Stat(path)
			require.NoError(t, err)
			b := content(uint64(10+i), 5000+i)
			put(t, path, b)
			after, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, mode, after.Mode().Perm())
			assert.False(t, os.SameFile(before, after), "a regular file is replaced (a new inode), not rewritten in place")
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, b, got)
		})
	}
	noTemps(t, dir)
}

func TestOwnerAndGroupKept(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root may give a file another owner")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "owned")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o640))
	require.NoError(t, os.Chown(path, 4321, 8765))
	put(t, path, content(2, 300))
	info, err := os.Stat(path)
	require.NoError(t, err)
	st := info.Sys().(*syscall.Stat_t)
	assert.Equal(t, uint32(4321), st.Uid)
	assert.Equal(t, uint32(8765), st.Gid)
	assert.Equal(t, fs.FileMode(0o640), info.Mode().Perm())
}

func TestSymlinksAreFollowed(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	links := filepath.Join(root, "links")
	require.NoError(t, os.Mkdir(data, 0o755))
	require.NoError(t, os.Mkdir(links, 0o755))
	target := filepath.Join(data, "index.usearch")
	require.NoError(t, os.WriteFile(target, []byte("old"), 0o600))
	require.NoError(t, os.Chmod(target, 0o640))

	absLink := filepath.Join(links, "abs")
	relLink := filepath.Join(links, "rel")
	chain1 := filepath.Join(links, "chain1")
	chain2 := filepath.Join(root, "chain2")
	require.NoError(t, os.Symlink(target, absLink))
	require.NoError(t, os.Symlink("../data/index.usearch", relLink)) // relative to links/
	require.NoError(t, os.Symlink("../chain2", chain1))              // links/chain1 → chain2
	require.NoError(t, os.Symlink("links/rel", chain2))              // chain2 → links/rel → data/index.usearch
	linkTexts := map[string]string{}
	for _, l := range []string{absLink, relLink, chain1, chain2} {
		linkTexts[l], _ = os.Readlink(l)
	}
	for i, link := range []string{absLink, relLink, chain1} {
		b := content(uint64(20+i), 70_000+i)
		put(t, link, b)
		got, err := os.ReadFile(target)
		require.NoError(t, err)
		assert.Equal(t, b, got, "the target of %s gets the content", link)
		info, err := os.Stat(target)
		require.NoError(t, err)
		assert.True(t, info.Mode().IsRegular())
		assert.Equal(t, fs.FileMode(0o640), info.Mode().Perm(), "the target keeps its mode")
		for l, text := range linkTexts {
			li, err := os.Lstat(l)
			require.NoError(t, err)
			require.True(t, li.Mode()&fs.ModeSymlink != 0, "%s is still a link", l)
			now, _ := os.Readlink(l)
			assert.Equal(t, text, now, "%s still points where it did", l)
		}
	}

	// A relative link through a linked directory: ".." is the kernel's, not lexical.
	deep := filepath.Join(root, "deep", "er")
	require.NoError(t, os.MkdirAll(deep, 0o755))
	require.NoError(t, os.Symlink(deep, filepath.Join(root, "alias")))
	require.NoError(t, os.Symlink("../sibling", filepath.Join(deep, "up")))
	b := content(30, 1234)
	put(t, filepath.Join(root, "alias", "up"), b) // alias/.. is deep/, not root/
	got, err := os.ReadFile(filepath.Join(root, "deep", "sibling"))
	require.NoError(t, err)
	assert.Equal(t, b, got)
	assert.NoFileExists(t, filepath.Join(root, "sibling"))

	// A dangling link: its target is created, the link kept.
	dangling := filepath.Join(links, "dangling")
	require.NoError(t, os.Symlink("../data/new.usearch", dangling))
	b = content(31, 999)
	put(t, dangling, b)
	got, err = os.ReadFile(filepath.Join(data, "new.usearch"))
	require.NoError(t, err)
	assert.Equal(t, b, got)
	li, err := os.Lstat(dangling)
	require.NoError(t, err)
	assert.True(t, li.Mode()&fs.ModeSymlink != 0)

	for _, d := range []string{root, data, links, deep} {
		noTemps(t, d)
	}
}

func TestSymlinkLoopRefused(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	require.NoError(t, os.Symlink("b", a))
	require.NoError(t, os.Symlink("a", b))
	_, err := Create(a)
	require.Error(t, err)
	assert.Contains(t, err.Error(), a)
	assert.Contains(t, err.Error(), "levels of symbolic links")
}

func TestFIFOWrittenDirectly(t *testing.T) {
	dir := t.TempDir()
	path, got := fifotest.Read(t, dir)
	b := content(40, 3<<20) // far beyond a pipe's buffer: the reader must drain while we write
	f, err := Create(path)  // blocks until the reader opens
	require.NoError(t, err)
	assert.True(t, f.Direct())
	for p := b; len(p) > 0; {
		n := min(len(p), 100_000)
		_, err := f.Write(p[:n])
		require.NoError(t, err)
		p = p[n:]
	}
	require.NoError(t, f.Commit())
	assert.True(t, bytes.Equal(b, got()), "the reader receives exactly the bytes written")
	info, err := os.Lstat(path)
	require.NoError(t, err)
	assert.True(t, info.Mode()&fs.ModeNamedPipe != 0, "still a FIFO, now %v", info.Mode())
	noTemps(t, dir)
}

func TestSocketWrittenDirectly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("no Unix socket at %s: %v", path, err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		all, _ := io.ReadAll(c)
		got <- all
	}()
	b := content(41, 1<<20)
	put(t, path, b)
	assert.True(t, bytes.Equal(b, <-got))
	info, err := os.Lstat(path)
	require.NoError(t, err)
	assert.True(t, info.Mode()&fs.ModeSocket != 0, "still a socket, now %v", info.Mode())
	noTemps(t, dir)
}

func TestDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	link := filepath.Join(dir, "to-sub")
	require.NoError(t, os.Symlink("sub", link))
	for _, path := range []string{sub, link} {
		_, err := Create(path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
		assert.Contains(t, err.Error(), "is a directory")
		info, err := os.Stat(sub)
		require.NoError(t, err)
		assert.True(t, info.IsDir())
	}
	noTemps(t, dir)
	noTemps(t, sub)
}

func TestMissingDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "no", "such", "x.usearch"), filepath.Join(dir, "no", "such") + " does not exist"}, // and is fs.ErrNotExist
		{filepath.Join(file, "x.usearch"), file + " is not a directory"},
	} {
		_, err := Create(c.path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.path)
		assert.Contains(t, err.Error(), c.want)
		assert.NotContains(t, err.Error(), ".tmp-", "the error names the path, not a temporary file")
		if strings.HasSuffix(c.want, "does not exist") {
			assert.ErrorIs(t, err, fs.ErrNotExist)
		}
	}
	noTemps(t, dir)
}

func TestAbortKeepsOldContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	f, err := Create(path)
	require.NoError(t, err)
	_, err = f.Write(content(50, 1000))
	require.NoError(t, err)
	f.Abort()
	f.Abort() // twice is harmless
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	noTemps(t, dir)
}

func TestStaleTempsRemovedBesideTheTarget(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	require.NoError(t, os.Mkdir(data, 0o755))
	link := filepath.Join(root, "link")
	require.NoError(t, os.Symlink("data/x.usearch", link))
	const deadPid = 2147483000 // above every pid_max Linux and the BSDs allow
	require.False(t, ProcessAlive(deadPid))
	require.True(t, ProcessAlive(os.Getppid()))
	stale := filepath.Join(data, fmt.Sprintf("%s%d-7", TempPrefix("x.usearch"), deadPid))
	live := filepath.Join(data, fmt.Sprintf("%s%d-8", TempPrefix("x.usearch"), os.Getppid()))
	other := filepath.Join(data, fmt.Sprintf("%s%d-9", TempPrefix("y.usearch"), deadPid))
	for _, p := range []string{stale, live, other} {
		require.NoError(t, os.WriteFile(p, []byte("partial"), 0o644))
	}
	put(t, link, content(60, 10))
	assert.NoFileExists(t, stale)
	assert.FileExists(t, live)
	assert.FileExists(t, other)
}

func TestWriteErrorNamesThePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x")
	f, err := Create(path)
	require.NoError(t, err)
	f.w.Close() // the next write fails as a full disk would
	_, err = f.Write([]byte("abc"))
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), path+":"), "%v", err)
	f.Abort()
	noTemps(t, dir)
}

// TestCommitErrorHidesTemp checks that a failed rename names the destination, not the
// temporary file (already removed when the error is read), and leaves no temporary file.
func TestCommitErrorHidesTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.usearch")
	f, err := Create(path)
	require.NoError(t, err)
	_, err = f.Write([]byte("image"))
	require.NoError(t, err)
	// A directory appears at the destination meanwhile: the rename over it fails.
	require.NoError(t, os.Mkdir(path, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(path, "inside"), nil, 0o644))
	err = f.Commit()
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+": cannot rename the temporary file beside it over it")
	assert.NotContains(t, err.Error(), ".tmp-")
	noTemps(t, dir)
}
