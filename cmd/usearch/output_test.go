//go:build unix

package main

// Where build -o and search -out write (issue 20, point 1): links followed, modes kept,
// devices, FIFOs and stdout written directly, directories and missing folders refused
// before any work. The destinations are made by the tests in temporary folders.

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/fifotest"
)

// outputFixture writes 300 clustered vectors and 20 queries from the same mixture.
func outputFixture(t *testing.T) (dir, vectors, queries string) {
	dir = t.TempDir()
	rng := rand.New(rand.NewPCG(20, 1))
	all := roundTo(clustered(rng, 320, 8, 1), kF32)
	return dir, writeFile(t, dir, "v.fbin", all[:300], kF32), writeFile(t, dir, "q.fbin", all[300:], kF32)
}

// loadImage checks that b is an index of n vectors that finds its own first vector.
func loadImage(t *testing.T, b []byte, n uint) {
	t.Helper()
	idx, err := usearch.NewIndex(usearch.DefaultConfig(1))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if err := idx.LoadBuffer(b, uint(len(b))); err != nil {
		t.Fatalf("the written image does not load: %v", err)
	}
	if got, _ := idx.Len(); got != n {
		t.Fatalf("loaded %d vectors, want %d", got, n)
	}
}

// makeNull makes a null character device (major 1, minor 3) in dir, or skips where the
// environment does not allow mknod.
func makeNull(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "null")
	var dev int
	switch runtime.GOOS {
	case "linux":
		dev = 1<<8 | 3
	default:
		t.Skip("device numbers are encoded per system; the test makes Linux's null device")
	}
	if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, dev); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("mknod needs CAP_MKNOD, which this environment does not give: %v", err)
		}
		t.Fatal(err)
	}
	return path
}

func isMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&want == 0 {
		t.Errorf("%s is now %v, want %v kept", path, info.Mode(), want)
	}
}

func TestBuildOutputDestinations(t *testing.T) {
	dir, vp, _ := outputFixture(t)

	t.Run("symlink chain, mode kept", func(t *testing.T) {
		data := filepath.Join(dir, "data")
		os.Mkdir(data, 0o755)
		target := filepath.Join(data, "real.usearch")
		os.WriteFile(target, []byte("old"), 0o600)
		os.Chmod(target, 0o666)
		os.Symlink("data/real.usearch", filepath.Join(dir, "rel"))
		os.Symlink(filepath.Join(dir, "rel"), filepath.Join(dir, "abs"))
		mustCLI(t, "build", "-quiet", "-i", vp, "-o", filepath.Join(dir, "abs"))
		b, err := os.ReadFile(target)
		if err != nil {
			t.Fatal(err)
		}
		loadImage(t, b, 300)
		isMode(t, filepath.Join(dir, "rel"), fs.ModeSymlink)
		isMode(t, filepath.Join(dir, "abs"), fs.ModeSymlink)
		if info, _ := os.Stat(target); info.Mode().Perm() != 0o666 {
			t.Errorf("target mode %v, want 0666 kept", info.Mode().Perm())
		}
	})

	t.Run("stdout", func(t *testing.T) {
		out, errs := mustCLI(t, "build", "-quiet", "-i", vp, "-o", "-")
		loadImage(t, []byte(out), 300)
		if !strings.Contains(errs, "-\t300 vectors\t"+strconv.Itoa(len(out))+" bytes") {
			t.Errorf("the summary line goes to stderr with the image's size: %q", errs)
		}
		if _, err := os.Stat(filepath.Join(dir, "-")); err == nil {
			t.Error("-o - made a file named -")
		}
		if code, _, errs := cli(t, "build", "-quiet", "-i", vp, "-o", "-", "-shards", "2"); code != 2 || !strings.Contains(errs, "-shards 2") {
			t.Errorf("-o - with -shards 2: exit %d, %q; want a usage error", code, errs)
		}
	})

	t.Run("FIFO", func(t *testing.T) {
		sub := t.TempDir()
		pipe, got := fifotest.Read(t, sub)
		mustCLI(t, "build", "-quiet", "-i", vp, "-o", pipe)
		loadImage(t, got(), 300)
		isMode(t, pipe, fs.ModeNamedPipe)
	})

	t.Run("character device", func(t *testing.T) {
		null := makeNull(t, t.TempDir())
		out, _ := mustCLI(t, "build", "-quiet", "-i", vp, "-o", null)
		isMode(t, null, fs.ModeCharDevice)
		if !strings.HasPrefix(out, null+"\t300 vectors\t") || strings.HasSuffix(out, "\t0 bytes\n") {
			t.Errorf("summary %q: want the image size written, not the device's", out)
		}
	})

	t.Run("refused before reading the input", func(t *testing.T) {
		sub := t.TempDir()
		missingInput := filepath.Join(sub, "absent.fbin")
		for _, c := range []struct{ out, want string }{
			{sub, sub + ": is a directory"},
			{filepath.Join(sub, "no", "such", "x.usearch"), filepath.Join(sub, "no", "such") + " does not exist"},
		} {
			// An input that does not exist: had the input been read first, the error
			// would name it. It names the output, so the output was checked first.
			for _, in := range []string{missingInput, vp} {
				code, _, errs := cli(t, "build", "-quiet", "-i", in, "-o", c.out)
				if code != 1 || !strings.Contains(errs, c.want) || strings.Contains(errs, in) || strings.Contains(errs, ".tmp-") {
					t.Errorf("build -i %s -o %s: exit %d, %q; want 1 naming only the output: %q", in, c.out, code, errs, c.want)
				}
			}
		}
		if entries, _ := os.ReadDir(sub); len(entries) != 0 {
			t.Errorf("files left behind: %v", entries)
		}
	})
}

func TestSearchOutputDestinations(t *testing.T) {
	dir, vp, qp := outputFixture(t)
	ip := filepath.Join(dir, "i.usearch")
	mustCLI(t, "build", "-quiet", "-i", vp, "-o", ip)
	gt := writeFile(t, dir, "gt.ivecs", truthRows(bruteForce(
		roundTo(mustRows(t, vp), kF32), roundTo(mustRows(t, qp), kF32), 5)), kI32)
	want, _ := mustCLI(t, "search", "-quiet", "-index", ip, "-q", qp, "-k", "5")
	if strings.Count(want, "\n") != 1+20*5 {
		t.Fatalf("reference tsv has %d lines", strings.Count(want, "\n"))
	}

	t.Run("stdout", func(t *testing.T) {
		out, errs := mustCLI(t, "search", "-quiet", "-index", ip, "-q", qp, "-k", "5", "-gt", gt, "-out", "-")
		if out != want {
			t.Errorf("-out - wrote %q, want the results as without -out", out)
		}
		if !strings.Contains(errs, "recall@5\t") {
			t.Errorf("the recall line goes to stderr when results fill stdout: %q", errs)
		}
		if code, _, errs := cli(t, "search", "-index", ip, "-q", qp, "-format", "npy", "-out", "-"); code != 2 || !strings.Contains(errs, "two files") {
			t.Errorf("-format npy -out -: exit %d, %q; want a usage error", code, errs)
		}
	})

	t.Run("FIFO", func(t *testing.T) {
		pipe, got := fifotest.Read(t, t.TempDir())
		mustCLI(t, "search", "-quiet", "-index", ip, "-q", qp, "-k", "5", "-out", pipe)
		if b := got(); string(b) != want {
			t.Errorf("the FIFO reader got %q, want %q", b, want)
		}
		isMode(t, pipe, fs.ModeNamedPipe)
	})

	t.Run("character device", func(t *testing.T) {
		null := makeNull(t, t.TempDir())
		out, _ := mustCLI(t, "search", "-quiet", "-index", ip, "-q", qp, "-gt", gt, "-k", "5", "-out", null)
		isMode(t, null, fs.ModeCharDevice)
		if !strings.HasPrefix(out, "recall@5\t") {
			t.Errorf("stdout %q: want the recall line", out)
		}
	})

	t.Run("symlink, mode kept", func(t *testing.T) {
		sub := t.TempDir()
		target := filepath.Join(sub, "res.tsv")
		os.WriteFile(target, []byte("old"), 0o600)
		os.Chmod(target, 0o640)
		link := filepath.Join(sub, "link.tsv")
		os.Symlink("res.tsv", link)
		mustCLI(t, "search", "-quiet", "-index", ip, "-q", qp, "-k", "5", "-out", link)
		if b, _ := os.ReadFile(target); string(b) != want {
			t.Errorf("target holds %q", b)
		}
		isMode(t, link, fs.ModeSymlink)
		if info, _ := os.Stat(target); info.Mode().Perm() != 0o640 {
			t.Errorf("target mode %v, want 0640 kept", info.Mode().Perm())
		}
	})

	t.Run("refused before searching", func(t *testing.T) {
		sub := t.TempDir()
		missing := filepath.Join(sub, "absent.fbin")
		for _, c := range []struct{ out, want string }{
			{sub, sub + ": is a directory"},
			{filepath.Join(sub, "no", "res.tsv"), filepath.Join(sub, "no") + " does not exist"},
		} {
			code, _, errs := cli(t, "search", "-quiet", "-index", ip, "-q", missing, "-out", c.out)
			if code != 1 || !strings.Contains(errs, c.want) || strings.Contains(errs, missing) {
				t.Errorf("search -out %s: exit %d, %q; want 1 naming the output: %q", c.out, code, errs, c.want)
			}
		}
		// npy: the distances file is checked as early as the keys file.
		os.Mkdir(filepath.Join(sub, "res.distances.npy"), 0o755)
		code, _, errs := cli(t, "search", "-quiet", "-index", ip, "-q", missing, "-format", "npy", "-out", filepath.Join(sub, "res.npy"))
		if code != 1 || !strings.Contains(errs, "res.distances.npy: is a directory") {
			t.Errorf("npy with a directory for distances: exit %d, %q", code, errs)
		}
		if _, err := os.Stat(filepath.Join(sub, "res.npy")); err == nil {
			t.Error("the keys file was written though the distances file cannot be")
		}
	})
}

func mustRows(t *testing.T, path string) [][]float64 {
	t.Helper()
	m, err := readMatrix(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]float64, m.rows)
	buf := make([]float32, m.dims)
	for i := range rows {
		rows[i] = make([]float64, m.dims)
		for j, v := range m.floats(i, buf) {
			rows[i][j] = float64(v)
		}
	}
	return rows
}
