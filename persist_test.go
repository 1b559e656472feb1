//go:build cgo

package usearch_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/usearch-go/usearch"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, q := range []usearch.Quantization{usearch.F32, usearch.F64, usearch.F16, usearch.BF16, usearch.I8, usearch.U8} {
		t.Run(q.String(), func(t *testing.T) {
			conf := usearch.IndexConfig{Dimensions: 24, Metric: usearch.Cosine, Quantization: q, Connectivity: 6}
			idx, vecs := buildIndex(t, conf, 300, 3)
			defer idx.Close()
			for k := usearch.Key(0); k < 300; k += 9 {
				if err := idx.Remove(k); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(t.TempDir(), "index.usearch")
			if err := idx.Save(path); err != nil {
				t.Fatal(err)
			}
			saved, _ := os.ReadFile(path)
			if img := imageOf(t, idx); !bytes.Equal(saved, img) {
				t.Fatal("Save and WriteTo produced different bytes")
			}
			size, _ := idx.SerializedLength()
			if uint(len(saved)) != size {
				t.Fatalf("SerializedLength %d, file %d bytes", size, len(saved))
			}
			for _, view := range []bool{false, true} {
				other, err := usearch.NewIndex(usearch.DefaultConfig(3))
				if err != nil {
					t.Fatal(err)
				}
				if view {
					err = other.View(path)
				} else {
					err = other.Load(path)
				}
				if err != nil {
					t.Fatal(err)
				}
				n, _ := other.Len()
				want, _ := idx.Len()
				if n != want {
					t.Fatalf("Len after load %d, want %d", n, want)
				}
				for k := usearch.Key(1); k < 300; k += 17 {
					if k%9 == 0 {
						continue
					}
					a, _, _ := idx.Search(vecs[k], 5)
					b, _, _ := other.Search(vecs[k], 5)
					if len(a) == 0 || !equalKeys(a, b) {
						t.Fatalf("search for %d: saved index %v, loaded %v", k, a, b)
					}
					if ok, _ := other.Contains(k - 1); ok != ((k-1)%9 != 0) {
						t.Fatalf("Contains(%d) = %v after load", k-1, ok)
					}
				}
				if view {
					// A view is read-only; the error says so and nothing changes.
					if err := other.Add(100000, vecs[0]); !errors.Is(err, usearch.ErrReadOnly) {
						t.Fatalf("Add on a view: %v, want ErrReadOnly", err)
					}
					if err := other.Remove(1); !errors.Is(err, usearch.ErrReadOnly) {
						t.Fatalf("Remove on a view: %v, want ErrReadOnly", err)
					}
					if err := other.Rename(1, 100001); !errors.Is(err, usearch.ErrReadOnly) {
						t.Fatalf("Rename on a view: %v, want ErrReadOnly", err)
					}
				} else if err := other.Add(100000, vecs[0]); err != nil {
					t.Fatalf("Add after Load: %v", err)
				}
				other.Close()
			}
		})
	}
}

// TestFailedLoadKeepsIndex: every strict prefix of a valid image and a set of corrupted
// images must fail with ErrInvalidFile and leave the index exactly as it was.
func TestFailedLoadKeepsIndex(t *testing.T) {
	src, vecs := buildIndex(t, usearch.IndexConfig{Dimensions: 4, Metric: usearch.L2sq, Connectivity: 3}, 40, 5)
	defer src.Close()
	image := imageOf(t, src)

	idx, _ := buildIndex(t, usearch.IndexConfig{Dimensions: 4, Metric: usearch.L2sq}, 7, 9)
	defer idx.Close()
	before := imageOf(t, idx)
	check := func(what string, data []byte) {
		t.Helper()
		for _, view := range []bool{false, true} {
			var err error
			if view {
				err = idx.ViewBuffer(data, uint(len(data)))
			} else {
				err = idx.LoadBuffer(data, uint(len(data)))
			}
			if !errors.Is(err, usearch.ErrInvalidFile) {
				t.Fatalf("%s (view %v): err = %v, want ErrInvalidFile", what, view, err)
			}
			if !bytes.Equal(imageOf(t, idx), before) {
				t.Fatalf("%s: a failed load changed the index", what)
			}
		}
	}
	for n := 1; n < len(image); n++ {
		check("prefix of "+strconv.Itoa(n)+" bytes", image[:n])
	}
	corrupt := func(what string, at int, b byte) {
		bad := append([]byte(nil), image...)
		bad[at] = b
		check(what, bad)
	}
	header := 8 + 40*16
	corrupt("magic", header, 'x')
	corrupt("major version", header+7, 3)
	corrupt("metric code", header+13, 'z')
	corrupt("scalar code", header+14, 99)
	corrupt("key kind", header+15, 13)
	corrupt("dimensions", header+33, 5)
	corrupt("rows", 0, 41)
	corrupt("connectivity", header+64+8, 1)
	corrupt("entry slot", header+64+32, 200)
	corrupt("max level", header+64+24, 30)
	tapes := header + 64 + 40 + 2*40
	corrupt("in-tape level", tapes+8, 7)
	corrupt("neighbor count", tapes+10, 200)
	corrupt("neighbor slot", tapes+14, 250)
	if n, _ := idx.Len(); n != 7 {
		t.Fatalf("Len = %d after failed loads, want 7", n)
	}
	// And the valid image still loads.
	if err := idx.LoadBuffer(image, uint(len(image))); err != nil {
		t.Fatal(err)
	}
	if keys, _, _ := idx.Search(vecs[3], 1); len(keys) != 1 || keys[0] != 3 {
		t.Fatalf("search after a good load: %v", keys)
	}
}

// umask reads the process umask without changing it (from /proc where available).
func umask() os.FileMode {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			m, _ := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return os.FileMode(m)
		}
	}
	return 0
}

func TestSaveIsAtomicAndReportsErrors(t *testing.T) {
	idx, _ := buildIndex(t, usearch.DefaultConfig(8), 50, 1)
	defer idx.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "index.usearch")
	if err := os.WriteFile(path, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := idx.Save(filepath.Join(dir, "missing", "index.usearch")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Save into a missing directory: %v", err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := idx.Save(path); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
		t.Fatalf("Save changed the replaced file's mode to %v", info.Mode().Perm())
	}
	fresh := filepath.Join(dir, "fresh.usearch")
	if err := idx.Save(fresh); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(fresh); runtime.GOOS != "windows" && info.Mode().Perm()&0o044 == 0 && umask() == 0o022 {
		t.Fatalf("a new saved file is not readable by others: %v", info.Mode().Perm())
	}
	os.Remove(fresh)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("Save left %d files in the directory, want 1", len(entries))
	}
	if err := idx.Load(filepath.Join(dir, "nope.usearch")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v", err)
	}
	small := make([]byte, 10)
	if err := idx.SaveBuffer(small, 10); !errors.Is(err, usearch.ErrInvalidArgument) || !strings.Contains(err.Error(), "SerializedLength") {
		t.Fatalf("SaveBuffer into 10 bytes: %v", err)
	}
	if err := idx.SaveBuffer(small, 11); !errors.Is(err, usearch.ErrInvalidArgument) {
		t.Fatalf("SaveBuffer with buffer_size > len(buf): %v", err)
	}
	if _, err := usearch.MetadataBuffer([]byte("not an index at all, just some bytes of text that are long enough to probe..."), 70); !errors.Is(err, usearch.ErrInvalidFile) {
		t.Fatalf("MetadataBuffer of text: %v", err)
	}
}

// TestViewDoesNotCopy: a view keeps vectors and graph in the mapped file, so the index's own
// memory stays a small fraction of the file size.
func TestViewDoesNotCopy(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 1000 // emulated arm64 and sanitizer runs: a 1 MB file still dwarfs a view's bookkeeping
	}
	idx, vecs := buildIndex(t, usearch.IndexConfig{Dimensions: 256, Metric: usearch.Cosine}, n, 2)
	path := filepath.Join(t.TempDir(), "big.usearch")
	if err := idx.Save(path); err != nil {
		t.Fatal(err)
	}
	loadedMem, _ := idx.MemoryUsage()
	idx.Close()
	info, _ := os.Stat(path)
	view, err := usearch.NewIndex(usearch.DefaultConfig(1))
	if err != nil {
		t.Fatal(err)
	}
	defer view.Close()
	if err := view.View(path); err != nil {
		t.Fatal(err)
	}
	mem, _ := view.MemoryUsage()
	if mem*4 > uint(info.Size()) || mem*3 > loadedMem {
		t.Fatalf("viewed index holds %d bytes for a %d-byte file (a loaded one held %d)", mem, info.Size(), loadedMem)
	}
	if keys, _, _ := view.Search(vecs[42], 1); len(keys) != 1 || keys[0] != 42 {
		t.Fatalf("search on the view: %v", keys)
	}
	runtime.KeepAlive(vecs)
}

// TestViewBufferSurvivesGC: the viewed Go buffer stays valid across collections, and a
// viewing index dropped without Close is cleaned up without tripping the pinner.
func TestViewBufferSurvivesGC(t *testing.T) {
	src, vecs := buildIndex(t, usearch.DefaultConfig(16), 200, 4)
	image := imageOf(t, src)
	src.Close()
	idx, _ := usearch.NewIndex(usearch.DefaultConfig(1))
	if err := idx.ViewBuffer(image, uint(len(image))); err != nil {
		t.Fatal(err)
	}
	image = nil
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	if keys, _, err := idx.Search(vecs[7], 1); err != nil || len(keys) != 1 || keys[0] != 7 {
		t.Fatalf("search after GC: %v %v", keys, err)
	}
	forgotten, _ := usearch.NewIndex(usearch.DefaultConfig(1))
	img2 := imageOf(t, idx)
	if err := forgotten.ViewBuffer(img2, uint(len(img2))); err != nil {
		t.Fatal(err)
	}
	forgotten = nil
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	idx.Close()
}

// Issue 23: a file that is cut short or is not an index at all is said to be so (not by
// the first check the core failed), with the file named; and the documented surprises of
// the API (zero Metric, Rename of an absent key, Load taking the file's configuration)
// hold as documented.

func TestLoadMessagesSayWhatIsWrong(t *testing.T) {
	const dims, n = 6, 50
	src, _ := buildIndex(t, usearch.IndexConfig{Dimensions: dims, Metric: usearch.L2sq, Connectivity: 4}, n, 23)
	defer src.Close()
	image := imageOf(t, src)
	vectorsEnd := 8 + n*dims*4
	idx, _ := buildIndex(t, usearch.IndexConfig{Dimensions: dims, Metric: usearch.L2sq}, 3, 24)
	defer idx.Close()

	// Every prefix of a good image: too short, or truncated (ambiguous with "not an index"
	// while the header is not reached), never the core's "vectors matrix exceeds file size".
	for cut := 1; cut < len(image); cut++ {
		var want string
		switch {
		case cut < 8:
			want = "not a USearch index: "
		case cut < vectorsEnd+64:
			want = "truncated, or not a USearch index: it is "
		default:
			want = "truncated: the file ends at byte "
		}
		err := idx.LoadBuffer(image[:cut], uint(cut))
		if !errors.Is(err, usearch.ErrInvalidFile) || !strings.Contains(err.Error(), want) {
			t.Fatalf("LoadBuffer of the first %d of %d bytes: %v; want ErrInvalidFile saying %q", cut, len(image), err, want)
		}
	}

	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		path, want string
		metadata   bool // Metadata fails too (it reads only the header)
	}{
		{write("cut-in-vectors.index", image[:vectorsEnd/2]), "truncated, or not a USearch index", true},
		{write("cut-in-graph.index", image[:len(image)-7]), "truncated: the file ends at byte", false},
		{write("notes.txt", []byte("# notes\nnot an index, a text file someone passed by mistake\n")), `not a USearch index: it starts with "# notes\n`, true},
		{write("empty.index", nil), "not a USearch index: 0 bytes", true},
		{write("vectors.fbin", append([]byte{50, 0, 0, 0, 6, 0, 0, 0}, make([]byte, 1200)...)), `not a USearch index: no "usearch" header at byte 308`, true},
	}
	for _, c := range cases {
		for name, call := range map[string]func(string) error{"Load": idx.Load, "View": idx.View} {
			err := call(c.path)
			if !errors.Is(err, usearch.ErrInvalidFile) || !strings.Contains(err.Error(), c.want) || strings.Count(err.Error(), c.path) != 1 {
				t.Errorf("%s(%s): %v; want ErrInvalidFile naming the file once and saying %q", name, filepath.Base(c.path), err, c.want)
			}
		}
		_, err := usearch.Metadata(c.path)
		if c.metadata && (!errors.Is(err, usearch.ErrInvalidFile) || !strings.Contains(err.Error(), c.want) || strings.Count(err.Error(), c.path) != 1) {
			t.Errorf("Metadata(%s): %v; want ErrInvalidFile naming the file once and saying %q", filepath.Base(c.path), err, c.want)
		}
		if !c.metadata && err != nil {
			t.Errorf("Metadata(%s): %v; the header is whole", filepath.Base(c.path), err)
		}
	}
	if n, _ := idx.Len(); n != 3 {
		t.Errorf("failed loads changed the index: Len %d, want 3", n)
	}
}

func TestDocumentedSurprises(t *testing.T) {
	// The zero Metric is InnerProduct (upstream's numbering); DefaultConfig says Cosine.
	if m := (usearch.IndexConfig{}).Metric; m != usearch.InnerProduct || usearch.DefaultConfig(3).Metric != usearch.Cosine {
		t.Errorf("zero Metric %v, DefaultConfig's %v; the docs say ip and cos", m, usearch.DefaultConfig(3).Metric)
	}

	// Rename of an absent key: nil, nothing changes (upstream's rename moves 0 vectors).
	idx, vecs := buildIndex(t, usearch.IndexConfig{Dimensions: 4, Metric: usearch.L2sq}, 20, 25)
	defer idx.Close()
	if err := idx.Rename(1000, 2000); err != nil {
		t.Errorf("Rename of an absent key: %v, want nil as documented", err)
	}
	if ok, _ := idx.Contains(2000); ok {
		t.Error("Rename of an absent key created the target key")
	}
	if n, _ := idx.Len(); n != 20 {
		t.Errorf("Len %d after renaming an absent key, want 20", n)
	}
	if err := idx.Rename(3, 4); !errors.Is(err, usearch.ErrDuplicateKey) {
		t.Errorf("Rename onto a present key: %v, want ErrDuplicateKey", err)
	}

	// Load takes the file's configuration: an 8-d cosine file into a 4-d L2sq index.
	other, _ := buildIndex(t, usearch.IndexConfig{Dimensions: 8, Metric: usearch.Cosine}, 30, 26)
	defer other.Close()
	path := filepath.Join(t.TempDir(), "eight.usearch")
	if err := other.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := idx.Load(path); err != nil {
		t.Fatal(err)
	}
	if d, _ := idx.Dimensions(); d != 8 {
		t.Errorf("Dimensions after loading an 8-d file: %d, want 8 (the file's)", d)
	}
	if _, _, err := idx.Search(vecs[0], 1); !errors.Is(err, usearch.ErrDimensionMismatch) {
		t.Errorf("a 4-d query after the load: %v, want ErrDimensionMismatch", err)
	}
}
