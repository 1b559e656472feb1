//go:build cgo

package usearch_test

// Issue 23: a file that is cut short or is not an index at all is said to be so (not by
// the first check the core failed), with the file named; and the documented surprises of
// the API (zero Metric, Rename of an absent key, Load taking the file's configuration)
// hold as documented.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usearch-go/usearch"
)

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
