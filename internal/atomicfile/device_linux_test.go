//go:build linux

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCharDeviceWrittenDirectly makes its own null device (major 1, minor 3) in a
// temporary folder, never touching the system's /dev/null, and checks that writing to it
// leaves it a device: before the fix the rename turned it into a regular file.
func TestCharDeviceWrittenDirectly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "null")
	const dev = 1<<8 | 3 // makedev(1, 3) in Linux's encoding for small numbers
	if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, dev); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("mknod needs CAP_MKNOD, which this environment does not give: %v", err)
		}
		t.Fatal(err)
	}
	before, err := os.Lstat(path)
	require.NoError(t, err)
	for i := range 2 { // a second write finds the device again, not a file the first left
		f, err := Create(path)
		if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
			t.Skipf("device nodes cannot be opened here (nodev mount?): %v", err)
		}
		require.NoError(t, err)
		assert.True(t, f.Direct())
		_, err = f.Write(content(uint64(70+i), 1<<20))
		require.NoError(t, err)
		require.NoError(t, f.Commit())
		info, err := os.Lstat(path)
		require.NoError(t, err)
		assert.True(t, info.Mode()&fs.ModeCharDevice != 0, "still a character device, now %v", info.Mode())
		assert.True(t, os.SameFile(before, info), "the same node")
		assert.Equal(t, uint64(dev), info.Sys().(*syscall.Stat_t).Rdev)
	}
	noTemps(t, dir)
}
