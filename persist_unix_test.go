//go:build cgo && unix

package usearch

// Saves killed at random moments must leave a loadable target, and the next save must
// remove the temporary files they left behind (issue 9).

import (
	"bufio"
	"fmt"
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
	"github.com/usearch-go/usearch/internal/atomicfile"
)

const saveKillEnv = "USEARCH_SAVE_KILL_TARGET"

// saveKillIndex builds the index both the parent and the child save: big enough that a
// save takes a few milliseconds, so that random kills land inside the write.
func saveKillIndex(t testing.TB) (*Index, [][]float32) {
	const dims, n = 256, 1500
	rng := rand.New(rand.NewSource(9))
	idx, err := NewIndex(IndexConfig{Dimensions: dims, Metric: L2sq, Connectivity: 8, ExpansionAdd: 16})
	require.NoError(t, err)
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, dims)
		for j := range rows[i] {
			rows[i][j] = rng.Float32()
		}
		require.NoError(t, idx.Add(Key(i), rows[i]))
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
	idx, err := NewIndex(DefaultConfig(1))
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
		loaded, err := NewIndex(DefaultConfig(1))
		require.NoError(t, err)
		require.NoError(t, loaded.Load(target), "kill %d", i)
		n, err := loaded.Len()
		require.NoError(t, err)
		require.Equal(t, uint(len(rows)), n)
		got, err := loaded.Get(Key(i), 1)
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

	idx, err := NewIndex(DefaultConfig(2))
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
