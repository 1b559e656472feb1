//go:build cgo && unix

package usearch_test

// Save writes its destination as the destination's kind asks (issue 20, point 1); the
// cases in depth are tested in internal/atomicfile/atomicfile_unix_test.go, these check
// that Save goes through it with a real index image.
//
// Saves killed at random moments must leave a loadable target, and the next save must
// remove the temporary files they left behind (issue 9).

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/atomicfile"
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

const saveKillEnv = "USEARCH_SAVE_KILL_TARGET"

// saveKillIndex builds the index both the parent and the child save: big enough that a
// save takes a few milliseconds, so that random kills land inside the write.
func saveKillIndex(t testing.TB) (*usearch.Index, [][]float32) {
	const dims, n = 256, 1500
	rng := rand.New(rand.NewSource(9))
	idx, err := usearch.NewIndex(usearch.IndexConfig{Dimensions: dims, Metric: usearch.L2sq, Connectivity: 8, ExpansionAdd: 16})
	require.NoError(t, err)
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, dims)
		for j := range rows[i] {
			rows[i][j] = rng.Float32()
		}
		require.NoError(t, idx.Add(usearch.Key(i), rows[i]))
	}
	return idx, rows
}

// TestSaveKillChild is the child process of TestSaveKilledLeavesNoTempFiles: it loads the
// target and saves it back in a loop until killed. Run directly (no target given), it has nothing to do.
func TestSaveKillChild(t *testing.T) {
	target := os.Getenv(saveKillEnv)
	if target == "" {
		t.Skip("child of TestSaveKilledLeavesNoTempFiles; runs only when started by it")
	}
	idx, err := usearch.NewIndex(usearch.DefaultConfig(1))
	require.NoError(t, err)
	require.NoError(t, idx.Load(target)) // the parent's index: quicker than building it again
	fmt.Println("ready")
	for {
		if err := idx.Save(target); err != nil {
			fmt.Println("save failed:", err)
			os.Exit(3)
		}
	}
}

func tempSiblings(t *testing.T, dir, name string) []string {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), atomicfile.TempPrefix(name)) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestSaveKilledLeavesNoTempFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 60 child processes; the cross (qemu) job runs -short")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	target := filepath.Join(dir, "index.usearch")
	idx, rows := saveKillIndex(t)
	defer idx.Close()
	require.NoError(t, idx.Save(target))

	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	const kills = 60
	leftovers := 0
	for i := 0; i < kills; i++ {
		cmd := exec.Command(exe, "-test.run=^TestSaveKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), saveKillEnv+"="+target)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		line, err := bufio.NewReader(out).ReadString('\n')
		require.NoError(t, err, "child did not start")
		require.Equal(t, "ready\n", line)
		time.Sleep(time.Duration(rng.Intn(40_000)) * time.Microsecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err = cmd.Wait() // reaps it: its pid no longer exists
		require.Error(t, err, "the child saves until killed")

		left := tempSiblings(t, dir, "index.usearch")
		if len(left) > 0 {
			leftovers++
		}
		// Whatever the moment of the kill, the target is a complete index.
		loaded, err := usearch.NewIndex(usearch.DefaultConfig(1))
		require.NoError(t, err)
		require.NoError(t, loaded.Load(target), "kill %d", i)
		n, err := loaded.Len()
		require.NoError(t, err)
		require.Equal(t, uint(len(rows)), n)
		got, err := loaded.Get(usearch.Key(i), 1)
		require.NoError(t, err)
		require.Equal(t, rows[i], got)
		keys, _, err := loaded.Search(rows[i], 3)
		require.NoError(t, err)
		require.NotEmpty(t, keys)
		loaded.Close()

		// Every few kills the parent saves: the leftovers of dead children must go.
		if i%3 == 2 || i == kills-1 {
			require.NoError(t, idx.Save(target))
			assert.Empty(t, tempSiblings(t, dir, "index.usearch"), "after kill %d", i)
		}
	}
	t.Logf("%d of %d kills left a temporary file", leftovers, kills)
	assert.Positive(t, leftovers, "no kill landed inside a save; the test did not test anything")
}

// TestSaveRemovesOnlyDeadSaversFiles: the cleanup takes only files named like this
// target's temporaries whose process is gone, never a live process's or another target's.
func TestSaveRemovesOnlyDeadSaversFiles(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "x.usearch")
	const deadPid = 2147483000 // above every pid_max Linux and the BSDs allow
	require.False(t, atomicfile.ProcessAlive(deadPid))
	require.True(t, atomicfile.ProcessAlive(os.Getppid()))
	stale := []string{
		fmt.Sprintf(".x.usearch.tmp-%d-12345", deadPid),
		fmt.Sprintf(".x.usearch.tmp-%d-0", deadPid),
	}
	kept := []string{
		fmt.Sprintf(".x.usearch.tmp-%d-77", os.Getppid()), // a live process may be saving
		fmt.Sprintf(".x.usearch.tmp-%d-78", os.Getpid()),  // this process: maybe a concurrent save
		fmt.Sprintf(".y.usearch.tmp-%d-1", deadPid),       // another target
		fmt.Sprintf(".x.usearch.tmp-%d-abc", deadPid),     // not a name Save makes
		fmt.Sprintf(".x.usearch.tmp-%d", deadPid),
		fmt.Sprintf("x.usearch.tmp-%d-1", deadPid),
		".x.usearch.tmp--1",
		"x.usearch.bak",
	}
	for _, name := range append(append([]string(nil), stale...), kept...) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, fmt.Sprintf(".x.usearch.tmp-%d-9", deadPid)), 0o755))
	kept = append(kept, fmt.Sprintf(".x.usearch.tmp-%d-9", deadPid)) // directories are not ours

	idx, err := usearch.NewIndex(usearch.DefaultConfig(2))
	require.NoError(t, err)
	defer idx.Close()
	require.NoError(t, idx.Add(1, []float32{1, 2}))
	require.NoError(t, idx.Save(target))
	for _, name := range stale {
		assert.NoFileExists(t, filepath.Join(dir, name))
	}
	for _, name := range kept {
		_, err := os.Stat(filepath.Join(dir, name))
		assert.NoError(t, err, "%s must be kept", name)
	}
	assert.FileExists(t, target)
}
