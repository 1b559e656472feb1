//go:build cgo && unix

package usearch_test

// Save writes its destination as the destination's kind asks (issue 20, point 1); the
// cases in depth are tested in internal/atomicfile/atomicfile_unix_test.go, these check
// that Save goes through it with a real index image.

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/fifotest"
)

func loadsAs(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "%s holds the saved image", path)
	idx, err := usearch.NewIndex(usearch.DefaultConfig(1))
	require.NoError(t, err)
	defer idx.Close()
	require.NoError(t, idx.Load(path))
}

func TestSaveFollowsSymlinksAndKeepsMode(t *testing.T) {
	idx, _ := buildIndex(t, usearch.IndexConfig{Dimensions: 16, Metric: usearch.L2sq}, 300, 21)
	defer idx.Close()
	image := imageOf(t, idx)
	root := t.TempDir()
	data := filepath.Join(root, "data")
	require.NoError(t, os.Mkdir(data, 0o755))
	target := filepath.Join(data, "index.usearch")
	require.NoError(t, os.WriteFile(target, []byte("old"), 0o600))
	require.NoError(t, os.Chmod(target, 0o666)) // the mode the umask used to narrow to 0644
	require.NoError(t, os.Symlink("data/index.usearch", filepath.Join(root, "rel")))
	require.NoError(t, os.Symlink(filepath.Join(root, "rel"), filepath.Join(root, "abs-to-rel")))

	for _, path := range []string{filepath.Join(root, "abs-to-rel"), filepath.Join(root, "rel"), target} {
		require.NoError(t, os.WriteFile(target, []byte("old"), 0o600)) // keeps 0666: it exists
		require.NoError(t, idx.Save(path))
		loadsAs(t, target, image)
		info, err := os.Stat(target)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o666), info.Mode().Perm(), "saved through %s", path)
		for _, l := range []string{"rel", "abs-to-rel"} {
			li, err := os.Lstat(filepath.Join(root, l))
			require.NoError(t, err)
			assert.True(t, li.Mode()&fs.ModeSymlink != 0, "%s is still a link after saving through %s", l, path)
		}
	}
}

func TestSaveToFIFO(t *testing.T) {
	idx, _ := buildIndex(t, usearch.IndexConfig{Dimensions: 32, Metric: usearch.Cosine}, 2000, 22)
	defer idx.Close()
	image := imageOf(t, idx)
	require.Greater(t, len(image), 1<<16, "bigger than a pipe's buffer, so the reader must drain during the save")
	path, got := fifotest.Read(t, t.TempDir())
	require.NoError(t, idx.Save(path))
	received := got()
	assert.True(t, bytes.Equal(image, received), "the reader receives exactly the image (%d of %d bytes)", len(received), len(image))
	info, err := os.Lstat(path)
	require.NoError(t, err)
	assert.True(t, info.Mode()&fs.ModeNamedPipe != 0, "still a FIFO, now %v", info.Mode())
	back, err := usearch.NewIndex(usearch.DefaultConfig(1))
	require.NoError(t, err)
	defer back.Close()
	require.NoError(t, back.LoadBuffer(received, uint(len(received))))
	n, err := back.Len()
	require.NoError(t, err)
	assert.Equal(t, uint(2000), n)
}

func TestSaveRefusesDirectories(t *testing.T) {
	idx, _ := buildIndex(t, usearch.IndexConfig{Dimensions: 4, Metric: usearch.L2sq}, 10, 23)
	defer idx.Close()
	dir := t.TempDir()
	for _, c := range []struct{ path, want string }{
		{dir, "is a directory"},
		{filepath.Join(dir, "missing", "x.usearch"), "does not exist"},
	} {
		err := idx.Save(c.path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Save")
		assert.Contains(t, err.Error(), c.path)
		assert.Contains(t, err.Error(), c.want)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was written")
}
