package main

// Issue 23, "a user's first hour": the IDX files of (Fashion-)MNIST readable by build and
// search, ground truth in the TEXMEX and big-ann layouts, the expansion flags, messages that
// name the file and the cause once, and `usearch help <command>`.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeIDXFile writes rows of unsigned bytes as an IDX3 file of h×w images (rows of h*w
// values), gzip'd when the name ends in .gz, the layout of Debian's dataset-fashion-mnist.
func writeIDXFile(t *testing.T, path string, rows [][]float64, h, w int) {
	t.Helper()
	var b []byte
	b = binary.BigEndian.AppendUint32(b, 0x803)
	for _, v := range []int{len(rows), h, w} {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	b = append(b, encode(rows, kU8)...)
	if strings.HasSuffix(path, ".gz") {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		b = z.Bytes()
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// images draws n 8×8 byte images around a few prototypes, as pictures of a few kinds of
// clothing would be: data and queries come from the same mixture.
func images(seed uint64, n int) [][]float64 {
	protos := clustered(rng(1), 6, 64, 50)
	r := rng(seed)
	out := make([][]float64, n)
	for i := range out {
		p := protos[r.IntN(len(protos))]
		out[i] = make([]float64, 64)
		for j, v := range p {
			out[i][j] = v + 12*r.NormFloat64() + 128
		}
	}
	return roundTo(out, kU8)
}

// TestIDXBuildSearch builds from the training images, gzip'd and not, searches with the
// test images and checks recall@10 against a brute force, with the ground truth given as
// .ivecs, .ibin and big-ann's .ibin with distances: every layout gives the same recall.
func TestIDXBuildSearch(t *testing.T) {
	dir := t.TempDir()
	train, test := images(11, 600), images(12, 40)
	gz := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	plain := filepath.Join(dir, "train-images-idx3-ubyte")
	writeIDXFile(t, gz, train, 8, 8)
	writeIDXFile(t, plain, train, 8, 8)
	queries := filepath.Join(dir, "t10k-images-idx3-ubyte")
	writeIDXFile(t, queries, test, 8, 8)

	truth := bruteForce(train, test, 10)
	ivecs := writeFile(t, dir, "truth.ivecs", truthRows(truth), kI32)
	ibin := writeFile(t, dir, "truth.ibin", truthRows(truth), kI32)
	// big-ann-benchmarks ground truth: the ids, then as many float32 distances.
	withDists := filepath.Join(dir, "gt-with-distances.ibin")
	b, _ := os.ReadFile(ibin)
	for i := range len(truth) * 10 {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(i)))
	}
	os.WriteFile(withDists, b, 0o644)

	for _, in := range []string{gz, plain} {
		idx := in + ".index"
		_, errs := mustCLI(t, "build", "-metric", "l2sq", "-i", in, "-o", idx)
		if !strings.Contains(errs, "600 rows × 64 dimensions of u8") {
			t.Errorf("%s: build stderr %q; want 600 rows of 64 u8 values", in, errs)
		}
		var recalls []float64
		for _, gt := range []string{ivecs, ibin, withDists} {
			_, errs := mustCLI(t, "search", "-index", idx, "-q", queries, "-gt", gt)
			recalls = append(recalls, recallLine(errs))
		}
		if recalls[0] < 0.9 || recalls[1] != recalls[0] || recalls[2] != recalls[0] {
			t.Errorf("%s: recall@10 with .ivecs, .ibin, .ibin+distances truth: %v; want ≥ 0.9, all equal", in, recalls)
		}
	}

	// A 1-D IDX file (labels) holds a column, not vectors; a cut .gz says so.
	labels := filepath.Join(dir, "train-labels-idx1-ubyte")
	os.WriteFile(labels, append([]byte{0, 0, 8, 1, 0, 0, 0, 3}, 1, 2, 3), 0o644)
	cut := filepath.Join(dir, "cut-idx3-ubyte.gz")
	full, _ := os.ReadFile(gz)
	os.WriteFile(cut, full[:len(full)/2], 0o644)
	for _, c := range []struct{ in, want string }{
		{labels, "a 1-D array of 3 values holds keys"},
		{cut, "cut-idx3-ubyte.gz: decompressing"},
		{ivecs + ".gz", "truth.ivecs.gz: no such file"},
	} {
		code, _, errs := cli(t, "build", "-i", c.in, "-o", filepath.Join(dir, "x.index"))
		if code != 1 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("build -i %s: exit %d, stderr %q; want 1 and one line with %q", filepath.Base(c.in), code, errs, c.want)
		}
	}
}

// TestIDXTypes reads IDX files of every element type the format has, big-endian, as the
// same values little-endian.
func TestIDXTypes(t *testing.T) {
	dir := t.TempDir()
	vals := []float64{-3, 1.5, 2, 250}
	for _, c := range []struct {
		code byte
		k    kind
		put  func(b []byte, v float64) []byte
	}{
		{0x0D, kF32, func(b []byte, v float64) []byte {
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(v)))
		}},
		{0x0E, kF64, func(b []byte, v float64) []byte { return binary.BigEndian.AppendUint64(b, math.Float64bits(v)) }},
		{0x0C, kI32, func(b []byte, v float64) []byte {
			return binary.BigEndian.AppendUint32(b, uint32(int32(math.Round(v))))
		}},
		{0x0B, kI32, func(b []byte, v float64) []byte {
			return binary.BigEndian.AppendUint16(b, uint16(int16(math.Round(v))))
		}},
	} {
		b := []byte{0, 0, c.code, 2, 0, 0, 0, 2, 0, 0, 0, 2}
		for _, v := range vals {
			b = c.put(b, v)
		}
		p := filepath.Join(dir, "v.idx")
		os.WriteFile(p, b, 0o644)
		m, err := readMatrix(p, 0, 0)
		if err != nil {
			t.Fatalf("type %#x: %v", c.code, err)
		}
		got := floatRows(m, 0, 2)
		want := []float32{-3, 1.5, 2, 250}
		if c.k == kI32 {
			want[1] = 2 // rounded when written
		}
		if m.kind != c.k || m.rows != 2 || m.dims != 2 || !slices.Equal(got, want) {
			t.Errorf("type %#x: %v %d×%d %v; want %v 2×2 %v", c.code, m.kind, m.rows, m.dims, got, c.k, want)
		}
	}
}

// TestTruthRoundTrip writes ground truth in each layout the command reads and reads it back.
func TestTruthRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := rng(23)
	truth := make([][]float64, 7)
	for i := range truth {
		for range 5 {
			truth[i] = append(truth[i], float64(r.IntN(1<<30)))
		}
	}
	for _, name := range []string{"gt.ivecs", "gt.ibin", "gt.i64bin", "gt.u64bin"} {
		k := map[string]kind{".ivecs": kI32, ".ibin": kI32, ".i64bin": kI64, ".u64bin": kU64}[filepath.Ext(name)]
		p := writeFile(t, dir, name, truth, k)
		ids, err := readIDs(p, 5, true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range truth {
			for j := range truth[i] {
				if ids[i][j] != uint64(truth[i][j]) {
					t.Fatalf("%s: row %d column %d is %d, wrote %v", name, i, j, ids[i][j], truth[i][j])
				}
			}
		}
	}
	// The distances big-ann appends are accepted for ground truth only, and a size that is
	// neither layout names both.
	p := writeFile(t, dir, "d.ibin", truth, kI32)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, append(b, make([]byte, 4*35)...), 0o644)
	if ids, err := readIDs(p, 5, true); err != nil || ids[6][4] != uint64(truth[6][4]) {
		t.Errorf("ids with distances: %v", err)
	}
	if _, err := readVectors(p, 0, 0); err == nil {
		t.Error("vectors with trailing bytes were accepted")
	}
	if _, err := readIDs(p, 1, false); err == nil {
		t.Error("keys with trailing bytes were accepted")
	}
	os.WriteFile(p, append(b, 1, 2, 3), 0o644)
	if _, err := readIDs(p, 5, true); err == nil || !strings.Contains(err.Error(), "with the float32 distances") {
		t.Errorf("odd size: %v", err)
	}
}

// TestExpansionFlags checks that build refuses -expansion-search (files have no place for
// it), that search -expansion applies to the run, and that info says expansions are not stored.
func TestExpansionFlags(t *testing.T) {
	dir := t.TempDir()
	data, queries := roundTo(clustered(rng(31), 1500, 12, 1), kF32), roundTo(clustered(rng(32), 50, 12, 1), kF32)
	vp := writeFile(t, dir, "v.fbin", data, kF32)
	qp := writeFile(t, dir, "q.fbin", queries, kF32)
	gt := writeFile(t, dir, "gt.ivecs", truthRows(bruteForce(data, queries, 10)), kI32)
	ip := filepath.Join(dir, "v.index")
	code, _, errs := cli(t, "build", "-i", vp, "-o", ip, "-expansion-search", "100")
	if code != 2 || !strings.Contains(errs, "do not store a search width") || !strings.Contains(errs, "-expansion 100") {
		t.Errorf("build -expansion-search: exit %d, stderr %q; want 2, saying it is not stored", code, errs)
	}
	if _, err := os.Stat(ip); err == nil {
		t.Error("build -expansion-search wrote an index")
	}
	mustCLI(t, "build", "-quiet", "-metric", "l2sq", "-i", vp, "-o", ip)
	// A beam as wide as the index visits every vector reachable on level 0: exact results.
	_, errs = mustCLI(t, "search", "-index", ip, "-q", qp, "-gt", gt, "-expansion", "1500")
	if r := recallLine(errs); r != 1 {
		t.Errorf("-expansion 1500 over 1500 vectors: recall %v, want 1", r)
	}
	out, _ := mustCLI(t, "info", ip)
	if !strings.Contains(out, "not stored in index files; a search uses 64") {
		t.Errorf("info does not say expansions are not stored:\n%s", out)
	}
	out, _ = mustCLI(t, "help", "search")
	if !strings.Contains(out, "index files do not store one") {
		t.Errorf("search help still claims a stored expansion:\n%s", out)
	}
}

// TestMessages checks one line per cause: the file named once, what is wrong with it, no
// library prefix repeated, no "context canceled", no temporary file name.
func TestMessages(t *testing.T) {
	dir := t.TempDir()
	data, queries := roundTo(clustered(rng(41), 300, 8, 1), kF32), roundTo(clustered(rng(42), 5, 8, 1), kF32)
	vp := writeFile(t, dir, "v.fbin", data, kF32)
	qp := writeFile(t, dir, "q.fbin", queries, kF32)
	good := filepath.Join(dir, "good.index")
	mustCLI(t, "build", "-quiet", "-i", vp, "-o", good)
	img, _ := os.ReadFile(good)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	cutVectors := write("cut-vectors.index", img[:(8+300*8*4)/2]) // ends inside the vectors
	cutGraph := write("cut-graph.index", img[:len(img)-10])       // ends inside the graph
	text := write("notes.index", []byte("# my notes\nthese are not vectors\n"))
	tiny := write("tiny.index", []byte{1, 2, 3})
	missing := filepath.Join(dir, "nope.index")
	for _, c := range []struct{ path, want string }{
		{cutVectors, "truncated, or not a USearch index"},
		{cutGraph, "truncated: the file ends at byte"},
		{text, `not a USearch index: it starts with "# my not"`},
		{tiny, "not a USearch index: 3 bytes"},
		{missing, "nope.index: no such file or directory"},
	} {
		for _, args := range [][]string{
			{"search", "-index", c.path, "-q", qp},
			{"search", "-view", "-index", good, "-index", c.path, "-q", qp},
			{"info", c.path},
		} {
			code, out, errs := cli(t, args...)
			if code != 1 || out != "" || strings.Count(errs, "\n") != 1 {
				t.Errorf("usearch %s: exit %d, stdout %q, stderr %q; want 1 and one line", strings.Join(args, " "), code, out, errs)
			}
			if !strings.Contains(errs, c.want) || strings.Count(errs, c.path) != 1 || strings.Count(errs, "usearch") != 1 {
				t.Errorf("usearch %s: %q; want %q, the file named once and no repeated prefix", args[0], errs, c.want)
			}
		}
	}

	// Ctrl-C: an interrupted build or search says so, writes nothing, and no temp file stays.
	defer func(f func() (context.Context, context.CancelFunc)) { interruptContext = f }(interruptContext)
	interruptContext = func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel
	}
	out := filepath.Join(dir, "out.index")
	res := filepath.Join(dir, "res.tsv")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "-quiet", "-i", vp, "-o", out}, "usearch build: interrupted: nothing was written to " + out},
		{[]string{"search", "-quiet", "-index", good, "-q", qp, "-out", res}, "usearch search: interrupted: no results were written to " + res},
	} {
		code, _, errs := cli(t, c.args...)
		if code != 1 || strings.TrimSpace(errs) != c.want {
			t.Errorf("usearch %s interrupted: exit %d, stderr %q; want 1 and %q", c.args[0], code, errs, c.want)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); n == "out.index" || n == "res.tsv" || strings.Contains(n, ".tmp-") {
			t.Errorf("an interrupted command left %s", n)
		}
	}
}

// TestHelpCommands checks that `usearch help <command>` documents every command's output,
// exit statuses and an example on stdout, and that an unknown command fails clearly.
func TestHelpCommands(t *testing.T) {
	for _, c := range commands {
		code, out, errs := cli(t, "help", c.name)
		if code != 0 || errs != "" {
			t.Errorf("help %s: exit %d, stderr %q", c.name, code, errs)
		}
		for _, want := range []string{"usage: usearch " + c.name, "flags:", "Output", "standard error", "Exit status", "Example", "$ usearch " + c.name} {
			if !strings.Contains(out, want) {
				t.Errorf("help %s lacks %q:\n%s", c.name, want, out)
			}
		}
	}
	// bench's queries for Fashion-MNIST: the help says what the code does (TestBench checks the code).
	if _, out, _ := cli(t, "help", "bench"); !strings.Contains(out, "the first -q images of the t10k-images file") ||
		!strings.Contains(out, "else the last -q training images, which are then not indexed") {
		t.Errorf("bench help does not say which images are the queries:\n%s", out)
	}
	code, out, errs := cli(t, "help", "serach")
	if code != 2 || out != "" || errs != "usearch help: unknown command \"serach\"; the commands are info, build, search, bench\n" {
		t.Errorf("help serach: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, out, _ := cli(t, "help", "search"); !strings.Contains(out, "recall@K") || !strings.Contains(out, "query<TAB>rank<TAB>key<TAB>distance") {
		t.Errorf("search help does not describe the results and the recall line:\n%s", out)
	}
}

// TestPlotNeedsTag checks that without -tags plot, bench -plot fails at once saying how to
// get plots (plot_test.go draws one in a build with the tag).
func TestPlotNeedsTag(t *testing.T) {
	if plotAvailable {
		t.Skip("built with -tags plot: plot_test.go covers -plot")
	}
	code, out, errs := cli(t, "bench", "-n", "100", "-plot", filepath.Join(t.TempDir(), "p.png"))
	if code != 1 || out != "" || !strings.Contains(errs, "build it with -tags plot") {
		t.Errorf("bench -plot without the tag: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestProgressBar checks the bar drawn on a terminal (without a terminal library): one
// line redrawn in place, then the final count in its place; and which outputs are terminals.
func TestProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, label: "build", total: 200, bar: true, start: time.Now()}
	p.Add(50)
	p.drawBar()
	first := b.String()
	if !strings.HasPrefix(first, "\rbuild  25% [=======                       ] 50/200 rows, ") || strings.Contains(first, "\n") {
		t.Errorf("bar %q", first)
	}
	// A shorter line blanks out the rest of the longer one before it.
	b.Reset()
	p.label = "b"
	p.drawBar()
	if got := b.String(); len(got) != len(first) || !strings.HasSuffix(got, "  ") {
		t.Errorf("shorter bar %q (%d bytes) after %q (%d bytes)", got, len(got), first, len(first))
	}
	p.stop = make(chan struct{}) // as newProgress leaves it, with no drawing goroutine
	b.Reset()
	p.Add(150)
	drawn := p.width
	p.Finish()
	if got := b.String(); drawn == 0 || !strings.HasPrefix(got, "\r"+strings.Repeat(" ", drawn)+"\rb: 200 rows in ") || strings.Count(got, "\n") != 1 {
		t.Errorf("final line %q", got)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) || isTerminal(&b) {
		t.Error("a regular file or a buffer was taken for a terminal")
	}
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		defer null.Close()
		if !isTerminal(null) {
			t.Errorf("%s, a character device, was not taken for one", os.DevNull)
		}
	}
}

// TestNpyHeaders reads the .npy variants numpy writes beyond what npyio writes in the other
// tests (format 2.0, Python 2's 3L sizes, double quotes) and refuses what is not an array
// of one dtype, by name.
func TestNpyHeaders(t *testing.T) {
	dir := t.TempDir()
	data := encode([][]float64{{1, 2}, {3, 4}, {5, 6}}, kF32)
	v2 := func(h string) []byte {
		for (12+len(h)+1)%64 != 0 {
			h += " "
		}
		h += "\n"
		b := append([]byte("\x93NUMPY\x02\x00"), binary.LittleEndian.AppendUint32(nil, uint32(len(h)))...)
		return append(append(b, h...), data...)
	}
	for name, b := range map[string][]byte{
		"v2.npy":     v2("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"),
		"py2.npy":    npyBytes("<f4", false, "(3L, 2L)", data),
		"quotes.npy": v2(`{"descr": "<f4", "fortran_order": False, "shape": (3, 2)}`),
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		m, err := readMatrix(p, 0, 0)
		if err != nil || m.rows != 3 || m.dims != 2 || !slices.Equal(floatRows(m, 0, 3), []float32{1, 2, 3, 4, 5, 6}) {
			t.Errorf("%s: %v %+v", name, err, m)
		}
	}
	for name, c := range map[string]struct {
		b    []byte
		want string
	}{
		"structured.npy": {v2("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }"), "structured dtypes are not supported"},
		"noshape.npy":    {v2("{'descr': '<f4', 'fortran_order': False, }"), `no "shape" key`},
		"short.npy":      {npyBytes("<f4", false, "(4, 2)", data), "needs 32 bytes of data, the file has 24"},
		"text.npy":       {[]byte("x,y\n1,2\n"), "not a NumPy .npy file"},
		"3d.npy":         {npyBytes("<f4", false, "(3, 1, 2)", data), "want 2 dimensions"},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, c.b, 0o644)
		if _, err := readMatrix(p, 0, 0); err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("%s: %v; want an error naming the file and saying %q", name, err, c.want)
		}
	}
}
