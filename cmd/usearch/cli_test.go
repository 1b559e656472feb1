package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npy/float16"
)

// cli runs the command in-process and returns its exit status, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// mustCLI runs the command and fails the test unless it exits with status 0.
func mustCLI(t *testing.T, args ...string) (string, string) {
	t.Helper()
	code, out, errs := cli(t, args...)
	if code != 0 {
		t.Fatalf("usearch %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errs)
	}
	return out, errs
}

// clustered returns n rows of d values around a few random centers, as data and queries
// from the same distribution: queries are rows of the same mixture, not copies of data rows.
func clustered(rng *rand.Rand, n, d int, scale float64) [][]float64 {
	centers := make([][]float64, 8)
	for c := range centers {
		centers[c] = make([]float64, d)
		for j := range centers[c] {
			centers[c][j] = rng.NormFloat64()
		}
	}
	out := make([][]float64, n)
	for i := range out {
		c := centers[rng.IntN(len(centers))]
		out[i] = make([]float64, d)
		for j := range out[i] {
			out[i][j] = (c[j] + 0.5*rng.NormFloat64()) * scale
		}
	}
	return out
}

// bruteForce returns the k nearest data rows of each query under squared Euclidean
// distance, ties broken by row number.
func bruteForce(data, queries [][]float64, k int) [][]int32 {
	out := make([][]int32, len(queries))
	for qi, q := range queries {
		type cand struct {
			d   float64
			row int
		}
		c := make([]cand, len(data))
		for i, v := range data {
			var s float64
			for j := range v {
				s += (v[j] - q[j]) * (v[j] - q[j])
			}
			c[i] = cand{s, i}
		}
		slices.SortFunc(c, func(a, b cand) int {
			if a.d != b.d {
				if a.d < b.d {
					return -1
				}
				return 1
			}
			return a.row - b.row
		})
		for _, x := range c[:k] {
			out[qi] = append(out[qi], int32(x.row))
		}
	}
	return out
}

// encode lays the rows out as little-endian values of kind k (values are already in range).
func encode(rows [][]float64, k kind) []byte {
	var b []byte
	for _, r := range rows {
		for _, v := range r {
			switch k {
			case kF32:
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
			case kF64:
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			case kF16:
				b = binary.LittleEndian.AppendUint16(b, float16.New(float32(v)).Uint16())
			case kI8:
				b = append(b, byte(int8(v)))
			case kU8:
				b = append(b, byte(uint8(v)))
			case kI32:
				b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
			case kI64:
				b = binary.LittleEndian.AppendUint64(b, uint64(int64(v)))
			case kU64:
				b = binary.LittleEndian.AppendUint64(b, uint64(v))
			}
		}
	}
	return b
}

// writeFile writes rows in the layout the extension names (as the readers expect) and
// returns the path.
func writeFile(t *testing.T, dir, name string, rows [][]float64, k kind) string {
	t.Helper()
	path := filepath.Join(dir, name)
	d := len(rows[0])
	var b []byte
	switch ext := filepath.Ext(name); ext {
	case ".npy":
		var buf bytes.Buffer
		var err error
		switch k {
		case kF32:
			err = npy.Write(&buf, convert(rows, func(v float64) float32 { return float32(v) }))
		case kF64:
			err = npy.Write(&buf, rows)
		case kF16: // npyio does not write float16; numpy's layout by hand
			buf.Write(npyBytes("<f2", false, fmt.Sprintf("(%d, %d)", len(rows), d), encode(rows, kF16)))
		case kI8:
			err = npy.Write(&buf, convert(rows, func(v float64) int8 { return int8(v) }))
		case kU8:
			err = npy.Write(&buf, convert(rows, func(v float64) uint8 { return uint8(v) }))
		case kI64:
			err = npy.Write(&buf, convert(rows, func(v float64) int64 { return int64(v) }))
		case kU64:
			err = npy.Write(&buf, convert(rows, func(v float64) uint64 { return uint64(v) }))
		}
		if err != nil {
			t.Fatal(err)
		}
		b = buf.Bytes()
	case ".fvecs", ".bvecs", ".ivecs":
		for _, r := range rows {
			b = binary.LittleEndian.AppendUint32(b, uint32(d))
			b = append(b, encode([][]float64{r}, k)...)
		}
	case ".fbin", ".u8bin", ".i8bin", ".ibin", ".u64bin", ".i64bin", ".f16bin", ".dbin":
		b = binary.LittleEndian.AppendUint32(b, uint32(len(rows)))
		b = binary.LittleEndian.AppendUint32(b, uint32(d))
		b = append(b, encode(rows, k)...)
	default:
		b = encode(rows, k)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func convert[S, T any](rows [][]S, f func(S) T) [][]T {
	out := make([][]T, len(rows))
	for i, r := range rows {
		out[i] = make([]T, len(r))
		for j, v := range r {
			out[i][j] = f(v)
		}
	}
	return out
}

// roundTo rounds values to what kind k holds, so the brute force sees the stored values.
func roundTo(rows [][]float64, k kind) [][]float64 {
	return convert(rows, func(v float64) float64 {
		switch k {
		case kF32:
			return float64(float32(v))
		case kF16:
			return float64(float16.New(float32(v)).Float32())
		case kI8:
			return math.Max(-127, math.Min(127, math.Round(v)))
		case kU8:
			return math.Max(0, math.Min(255, math.Round(v)))
		case kI32:
			return math.Round(v)
		}
		return v
	})
}

func truthRows(truth [][]int32) [][]float64 {
	return convert(truth, func(v int32) float64 { return float64(v) })
}

var recallLine = func(s string) float64 {
	for _, l := range strings.Split(s, "\n") {
		if rest, ok := strings.CutPrefix(l, "recall@"); ok {
			f := strings.Fields(rest)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// TestBuildSearchFormats builds from every input layout and element type, searches with
// queries in the same layout and checks recall@10 against a brute force over the stored
// values. Integer inputs are stored natively (i8, u8), so their distances are exact.
func TestBuildSearchFormats(t *testing.T) {
	cases := []struct {
		data, queries, truth string
		kind                 kind
		scale                float64
		extra                []string
	}{
		{"v.npy", "q.npy", "gt.ivecs", kF32, 1, nil},
		{"v.npy", "q.npy", "gt.npy", kF64, 1, nil},
		{"v.npy", "q.npy", "gt.ibin", kF16, 1, nil},
		{"v.npy", "q.npy", "gt.ivecs", kI8, 30, nil},
		{"v.npy", "q.npy", "gt.ivecs", kU8, 30, nil},
		{"v.fvecs", "q.fvecs", "gt.ivecs", kF32, 1, nil},
		{"v.bvecs", "q.bvecs", "gt.ivecs", kU8, 30, nil},
		{"v.ivecs", "q.ivecs", "gt.ivecs", kI32, 30, nil}, // integers, converted by value to f32
		{"v.fbin", "q.fbin", "gt.ibin", kF32, 1, nil},
		{"v.u8bin", "q.u8bin", "gt.ibin", kU8, 30, nil},
		{"v.i8bin", "q.i8bin", "gt.ibin", kI8, 30, nil},
		{"v.f32", "q.f32", "gt.ivecs", kF32, 1, []string{"-dims", "12"}},
		{"v.raw", "q.raw", "gt.ivecs", kU8, 30, []string{"-dims", "12", "-dtype", "u8"}},
	}
	for _, c := range cases {
		t.Run(c.data+"-"+c.kind.String(), func(t *testing.T) {
			dir := t.TempDir()
			rng := rand.New(rand.NewPCG(1, uint64(c.kind)))
			all := clustered(rng, 560, 12, c.scale)
			if c.kind == kU8 {
				all = convert(all, func(v float64) float64 { return v + 128 })
			}
			all = roundTo(all, c.kind)
			data, queries := all[:500], all[500:]
			truth := bruteForce(data, queries, 10)
			vp := writeFile(t, dir, c.data, data, c.kind)
			qp := writeFile(t, dir, c.queries, queries, c.kind)
			gtKind := kI32
			if strings.HasSuffix(c.truth, ".npy") {
				gtKind = kI64
			}
			gp := writeFile(t, dir, c.truth, truthRows(truth), gtKind)
			ip := filepath.Join(dir, "index.usearch")
			args := append([]string{"build", "-quiet", "-i", vp, "-o", ip, "-metric", "l2sq"}, c.extra...)
			out, _ := mustCLI(t, args...)
			if !strings.Contains(out, "500 vectors") {
				t.Errorf("build output %q does not report 500 vectors", out)
			}
			args = append([]string{"search", "-quiet", "-index", ip, "-q", qp, "-gt", gp, "-k", "10"}, c.extra...)
			out, errs := mustCLI(t, args...)
			if r := recallLine(errs); r < 0.95 {
				t.Errorf("recall@10 = %v, want ≥ 0.95 (stderr %q)", r, errs)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 1+60*10 || lines[0] != "query\trank\tkey\tdistance" {
				t.Errorf("tsv: %d lines, header %q; want 601 lines", len(lines), lines[0])
			}
			// Exact search finds the brute-force neighbors themselves.
			args = append([]string{"search", "-quiet", "-exact", "-index", ip, "-q", qp, "-gt", gp, "-k", "10"}, c.extra...)
			_, errs = mustCLI(t, args...)
			if r := recallLine(errs); r < 0.99 {
				t.Errorf("exact recall@10 = %v, want ≥ 0.99", r)
			}
		})
	}
}

// TestKeysFiles checks that -keys maps row i to keys[i] for each key layout: a query equal
// to a data row finds that row's key first at distance 0.
func TestKeysFiles(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(2, 2))
	data := roundTo(clustered(rng, 300, 8, 1), kF32)
	vp := writeFile(t, dir, "v.fbin", data, kF32)
	keys := make([][]float64, len(data))
	for i := range keys {
		keys[i] = []float64{float64(1000000 + 7*i)}
	}
	queries := [][]float64{data[5], data[123], data[299]}
	qp := writeFile(t, dir, "q.fbin", queries, kF32)
	for _, kf := range []struct {
		name string
		kind kind
	}{{"k.npy", kI64}, {"ku.npy", kU64}, {"k.u64bin", kU64}, {"k.i64bin", kI64}, {"k.ibin", kI32}, {"k.ivecs", kI32}} {
		t.Run(kf.name, func(t *testing.T) {
			kp := writeFile(t, dir, kf.name, keys, kf.kind)
			ip := filepath.Join(dir, kf.name+".usearch")
			mustCLI(t, "build", "-quiet", "-i", vp, "-keys", kp, "-o", ip, "-metric", "l2sq")
			out, _ := mustCLI(t, "search", "-quiet", "-index", ip, "-q", qp, "-k", "1", "-format", "jsonl")
			var got []uint64
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				var r struct {
					Query     int
					Keys      []uint64
					Distances []float64
				}
				if err := json.Unmarshal([]byte(l), &r); err != nil {
					t.Fatalf("jsonl line %q: %v", l, err)
				}
				if len(r.Distances) != 1 || r.Distances[0] != 0 {
					t.Errorf("query %d: distances %v, want [0]", r.Query, r.Distances)
				}
				got = append(got, r.Keys...)
			}
			want := []uint64{1000000 + 7*5, 1000000 + 7*123, 1000000 + 7*299}
			if !slices.Equal(got, want) {
				t.Errorf("keys %v, want %v", got, want)
			}
		})
	}
}

// TestShards builds three shards and checks their names, that searching them as one gives
// the same exact answers as one index over all rows, and good HNSW recall.
func TestShards(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 3))
	all := roundTo(clustered(rng, 650, 16, 1), kF32)
	data, queries := all[:600], all[600:]
	truth := bruteForce(data, queries, 10)
	vp := writeFile(t, dir, "v.npy", data, kF32)
	qp := writeFile(t, dir, "q.npy", queries, kF32)
	gp := writeFile(t, dir, "gt.ivecs", truthRows(truth), kI32)
	out, _ := mustCLI(t, "build", "-quiet", "-i", vp, "-o", filepath.Join(dir, "out.usearch"), "-shards", "3", "-metric", "l2sq")
	var shards []string
	for i := range 3 {
		p := filepath.Join(dir, "out."+strconv.Itoa(i)+".usearch")
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("shard %d: %v (build printed %q)", i, err, out)
		}
		shards = append(shards, "-index", p)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.usearch")); err == nil {
		t.Error("out.usearch written next to the shards")
	}
	mustCLI(t, "build", "-quiet", "-i", vp, "-o", filepath.Join(dir, "one.usearch"), "-metric", "l2sq")

	base := []string{"search", "-quiet", "-q", qp, "-k", "10", "-gt", gp}
	_, errs := mustCLI(t, append(base, shards...)...)
	if r := recallLine(errs); r < 0.95 {
		t.Errorf("sharded recall@10 = %v, want ≥ 0.95", r)
	}
	viewArgs := append(append(base, "-view"), shards...)
	_, errs = mustCLI(t, viewArgs...)
	if r := recallLine(errs); r < 0.95 {
		t.Errorf("sharded -view recall@10 = %v, want ≥ 0.95", r)
	}
	exactSharded, _ := mustCLI(t, append([]string{"search", "-quiet", "-exact", "-q", qp, "-k", "10"}, shards...)...)
	exactOne, _ := mustCLI(t, "search", "-quiet", "-exact", "-q", qp, "-k", "10", "-index", filepath.Join(dir, "one.usearch"))
	if exactSharded != exactOne {
		t.Error("exact search over 3 shards differs from exact search over one index of the same rows")
	}
	// Every shard holds a third of the rows, under their global row numbers.
	info, _ := mustCLI(t, append([]string{"info", "-json"}, shards[1], shards[3], shards[5])...)
	var total uint
	for _, l := range strings.Split(strings.TrimSpace(info), "\n") {
		var fi fileInfo
		if err := json.Unmarshal([]byte(l), &fi); err != nil {
			t.Fatal(err)
		}
		if fi.Vectors != 200 {
			t.Errorf("%s: %d vectors, want 200", fi.File, fi.Vectors)
		}
		total += fi.Vectors
	}
	if total != 600 {
		t.Errorf("shards hold %d vectors, want 600", total)
	}
}

// TestSearchOutputFiles checks -format npy and jsonl with -out: the arrays read back hold
// the same neighbors as the tsv on stdout.
func TestSearchOutputFiles(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(4, 4))
	all := roundTo(clustered(rng, 220, 8, 1), kF32)
	vp := writeFile(t, dir, "v.fvecs", all[:200], kF32)
	qp := writeFile(t, dir, "q.fvecs", all[200:], kF32)
	ip := filepath.Join(dir, "i.usearch")
	mustCLI(t, "build", "-quiet", "-i", vp, "-o", ip)
	tsv, _ := mustCLI(t, "search", "-quiet", "-index", ip, "-q", qp, "-k", "5")
	kp := filepath.Join(dir, "res.npy")
	mustCLI(t, "search", "-quiet", "-index", ip, "-q", qp, "-k", "5", "-format", "npy", "-out", kp)
	keys, err := readMatrix(kp, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	dists, err := readMatrix(filepath.Join(dir, "res.distances.npy"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if keys.rows != 20 || keys.dims != 5 || keys.kind != kU64 || dists.rows != 20 || dists.dims != 5 || dists.kind != kF32 {
		t.Fatalf("npy shapes: keys %d×%d %s, distances %d×%d %s; want 20×5 u64 and f32",
			keys.rows, keys.dims, keys.kind, dists.rows, dists.dims, dists.kind)
	}
	ids, _ := keys.ids(5)
	var b strings.Builder
	b.WriteString("query\trank\tkey\tdistance\n")
	buf := make([]float32, 5)
	for i := range 20 {
		d := dists.floats(i, buf)
		for j := range 5 {
			b.WriteString(strconv.Itoa(i) + "\t" + strconv.Itoa(j) + "\t" + strconv.FormatUint(ids[i][j], 10) + "\t" +
				strconv.FormatFloat(float64(d[j]), 'g', -1, 32) + "\n")
		}
	}
	if b.String() != tsv {
		t.Errorf("npy results differ from tsv:\n%s\nvs\n%s", b.String(), tsv)
	}
	jp := filepath.Join(dir, "res.jsonl")
	stdout, _ := mustCLI(t, "search", "-quiet", "-index", ip, "-q", qp, "-k", "5", "-format", "jsonl", "-out", jp)
	if stdout != "" {
		t.Errorf("stdout %q with -out, want nothing", stdout)
	}
	js, err := os.ReadFile(jp)
	if err != nil || bytes.Count(js, []byte("\n")) != 20 {
		t.Errorf("jsonl file: %d lines, err %v; want 20", bytes.Count(js, []byte("\n")), err)
	}
}

// fixture is an index file saved by upstream USearch 2.26.2 (see the fixtures' README).
func fixture(t *testing.T, name string) string {
	p := filepath.Join("..", "..", "..", "shared", "fixtures", "upstream-2.26.2", name, "index.usearch")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("upstream fixtures not present next to the repository: %v", err)
	}
	return p
}

func TestInfo(t *testing.T) {
	t.Run("upstream", func(t *testing.T) {
		p := fixture(t, "removed_f32_cos")
		out, _ := mustCLI(t, "info", p)
		for _, want := range []string{"cos, f32, 32 dimensions, connectivity 16", "900 live, 100 removed", "level 0 "} {
			if !strings.Contains(out, want) {
				t.Errorf("info output lacks %q:\n%s", want, out)
			}
		}
		out, _ = mustCLI(t, "info", "-json", "-load", p, fixture(t, "multi_f32_l2sq"))
		dec := json.NewDecoder(strings.NewReader(out))
		var a, b fileInfo
		if err := dec.Decode(&a); err != nil {
			t.Fatal(err)
		}
		if err := dec.Decode(&b); err != nil {
			t.Fatal(err)
		}
		if a.Vectors != 900 || a.Removed != 100 || a.Nodes != 1000 || a.Dimensions != 32 || !a.Loaded || a.MemoryBytes == 0 || a.FileBytes != 276464 {
			t.Errorf("removed_f32_cos: %+v", a)
		}
		var sum uint
		for _, n := range a.LevelEdges {
			sum += n
		}
		if a.LevelNodes[0] != a.Nodes || sum != a.Edges || len(a.LevelNodes) != a.MaxLevel+1 {
			t.Errorf("levels %v / %v inconsistent with %d nodes, %d edges, top level %d", a.LevelNodes, a.LevelEdges, a.Nodes, a.Edges, a.MaxLevel)
		}
		if !b.Multi || b.Metric != "l2sq" || b.Vectors != 900 {
			t.Errorf("multi_f32_l2sq: %+v", b)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "junk.usearch")
		os.WriteFile(p, bytes.Repeat([]byte{7}, 200), 0o644)
		code, _, errs := cli(t, "info", p)
		if code != 1 || !strings.Contains(errs, p) || strings.Count(errs, "\n") != 1 {
			t.Errorf("exit %d, stderr %q; want 1 and one line naming the file", code, errs)
		}
	})
}

// TestErrors checks the exit statuses and that each error is one line naming the file.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 5))
	data := roundTo(clustered(rng, 100, 8, 1), kF32)
	vp := writeFile(t, dir, "v.fbin", data, kF32)
	ip := filepath.Join(dir, "i.usearch")
	mustCLI(t, "build", "-quiet", "-i", vp, "-o", ip)
	q4 := writeFile(t, dir, "q4.fbin", convert(data[:3], func(v float64) float64 { return v })[:3:3], kF32)
	wrongDims := writeFile(t, dir, "q6.fbin", [][]float64{{1, 2, 3, 4, 5, 6}}, kF32)
	short := filepath.Join(dir, "short.fbin")
	os.WriteFile(short, []byte{10, 0, 0, 0, 8, 0, 0, 0, 1, 2, 3}, 0o644)
	ragged := filepath.Join(dir, "ragged.fvecs")
	os.WriteFile(ragged, []byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0o644)
	fortran := filepath.Join(dir, "f.npy")
	os.WriteFile(fortran, npyBytes("<f4", true, "(2, 2)", make([]byte, 16)), 0o644)
	strs := filepath.Join(dir, "s.npy")
	os.WriteFile(strs, npyBytes("<U3", false, "(2,)", make([]byte, 24)), 0o644)
	bigEndian := filepath.Join(dir, "be.npy")
	os.WriteFile(bigEndian, npyBytes(">f4", false, "(2, 2)", make([]byte, 16)), 0o644)
	fewKeys := writeFile(t, dir, "few.u64bin", [][]float64{{1}, {2}}, kU64)
	gtShort := writeFile(t, dir, "gt.ivecs", [][]float64{{1, 2}}, kI32)

	for _, c := range []struct {
		name   string
		args   []string
		status int
		names  string // what the one-line message must mention
	}{
		{"missing vectors", []string{"build", "-i", filepath.Join(dir, "nope.fbin"), "-o", filepath.Join(dir, "x.usearch")}, 1, "nope.fbin"},
		{"unknown format", []string{"build", "-i", filepath.Join(dir, "i.usearch"), "-o", filepath.Join(dir, "x.usearch")}, 1, "unknown format"},
		{"short fbin", []string{"build", "-i", short, "-o", filepath.Join(dir, "x.usearch")}, 1, "short.fbin: header declares 10 rows"},
		{"ragged fvecs", []string{"build", "-i", ragged, "-o", filepath.Join(dir, "x.usearch")}, 1, "row 1 declares 3 dimensions"},
		{"fortran npy", []string{"build", "-i", fortran, "-o", filepath.Join(dir, "x.usearch")}, 1, "f.npy: array is in Fortran order"},
		{"string npy", []string{"build", "-i", strs, "-o", filepath.Join(dir, "x.usearch")}, 1, "s.npy: dtype"},
		{"big-endian npy", []string{"build", "-i", bigEndian, "-o", filepath.Join(dir, "x.usearch")}, 1, "be.npy: dtype \">f4\""},
		{"key count", []string{"build", "-i", vp, "-keys", fewKeys, "-o", filepath.Join(dir, "x.usearch")}, 1, "few.u64bin: 2 keys for 100 rows"},
		{"query dims", []string{"search", "-index", ip, "-q", wrongDims}, 1, "q6.fbin: 6 dimensions, index"},
		{"missing index", []string{"search", "-index", filepath.Join(dir, "none.usearch"), "-q", q4}, 1, "none.usearch"},
		{"not an index", []string{"search", "-index", vp, "-q", q4}, 1, "v.fbin"},
		{"truth rows", []string{"search", "-index", ip, "-q", q4, "-gt", gtShort, "-k", "2"}, 1, "gt.ivecs: 1 rows of ground truth for 3 queries"},
		{"truth columns", []string{"search", "-index", ip, "-q", q4, "-gt", gtShort, "-k", "5"}, 1, "gt.ivecs: 2 columns; want at least 5"},
		{"info missing", []string{"info", filepath.Join(dir, "none.usearch")}, 1, "none.usearch"},
		{"no command", nil, 2, "usage: usearch"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"bad flag", []string{"build", "-bogus"}, 2, "usage: usearch build"},
		{"missing -i", []string{"build", "-o", "x"}, 2, "-i VECTORS is required"},
		{"missing -index", []string{"search", "-q", q4}, 2, "-index INDEX is required"},
		{"npy without -out", []string{"search", "-index", ip, "-q", q4, "-format", "npy"}, 2, "needs -out"},
		{"bad format", []string{"search", "-index", ip, "-q", q4, "-format", "xml"}, 2, "-format \"xml\""},
		{"bad metric", []string{"build", "-i", vp, "-o", "x", "-metric", "cosine-ish"}, 2, "unknown -metric"},
		{"info no files", []string{"info"}, 2, "name at least one"},
		{"bench bad sweep", []string{"bench", "-sweep", "a,b"}, 2, "-sweep"},
		{"bench bad dataset", []string{"bench", "-dataset", "imagenet"}, 2, "-dataset"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := cli(t, c.args...)
			if code != c.status || !strings.Contains(errs, c.names) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errs, c.status, c.names)
			}
			if c.status == 1 && strings.Count(errs, "\n") != 1 {
				t.Errorf("stderr has %d lines, want one: %q", strings.Count(errs, "\n"), errs)
			}
		})
	}
	for _, help := range [][]string{{"help"}, {"build", "-h"}, {"help", "search"}, {"bench", "-h"}, {"info", "-h"}} {
		if code, _, _ := cli(t, help...); code != 0 {
			t.Errorf("usearch %v: exit %d, want 0", help, code)
		}
	}
}

// npyBytes hand-writes a .npy file (version 1.0) for layouts numpy allows but npyio
// would not write: Fortran order, big-endian, strings.
func npyBytes(descr string, fortran bool, shape string, data []byte) []byte {
	f := "False"
	if fortran {
		f = "True"
	}
	h := "{'descr': '" + descr + "', 'fortran_order': " + f + ", 'shape': " + shape + ", }"
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	return append(append(b, h...), data...)
}

// TestNothingHalfWritten checks that a build failing after some shards were saved leaves
// neither new files nor partial files, and an older index at -o untouched.
func TestNothingHalfWritten(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(6, 6))
	data := roundTo(clustered(rng, 90, 8, 1), kF32)
	vp := writeFile(t, dir, "v.fbin", data, kF32)
	keys := make([][]float64, 90)
	for i := range keys {
		keys[i] = []float64{float64(i)}
	}
	keys[89] = []float64{60} // a duplicate inside the last shard: fails after shards 0 and 1
	kp := writeFile(t, dir, "k.u64bin", keys, kU64)
	old := filepath.Join(dir, "out.usearch")
	os.WriteFile(old, []byte("previous"), 0o644)
	for _, shards := range []string{"1", "3"} {
		code, _, errs := cli(t, "build", "-quiet", "-threads", "1", "-i", vp, "-keys", kp, "-o", old, "-shards", shards)
		if code != 1 || !strings.Contains(errs, "key 60") {
			t.Fatalf("-shards %s: exit %d, stderr %q; want 1 naming key 60", shards, code, errs)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"k.u64bin", "out.usearch", "v.fbin"}) {
		t.Errorf("files after failed builds: %v", names)
	}
	if b, _ := os.ReadFile(old); string(b) != "previous" {
		t.Errorf("the older file at -o was changed: %q", b)
	}
}

// TestProgress checks the plain progress lines written when stderr is not a terminal,
// and that -quiet writes nothing.
func TestProgress(t *testing.T) {
	defer func(d time.Duration) { plainInterval = d }(plainInterval)
	plainInterval = time.Millisecond
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 7))
	data := roundTo(clustered(rng, 3000, 32, 1), kF32)
	vp := writeFile(t, dir, "v.npy", data, kF32)
	_, errs := mustCLI(t, "build", "-i", vp, "-o", filepath.Join(dir, "i.usearch"), "-threads", "1")
	if !strings.Contains(errs, "build: 3000 rows in ") || !strings.Contains(errs, "/3000 rows (") {
		t.Errorf("stderr lacks the periodic and final progress lines:\n%s", errs)
	}
	_, errs = mustCLI(t, "build", "-quiet", "-i", vp, "-o", filepath.Join(dir, "j.usearch"))
	if errs != "" {
		t.Errorf("-quiet wrote %q", errs)
	}
}

// TestBench runs the synthetic benchmark with a sweep (plot_test.go adds the plot in a
// build with -tags plot), and the Fashion-MNIST path on a small IDX file in the Debian
// layout (train and t10k images side by side).
func TestBench(t *testing.T) {
	defer func(d time.Duration) { plainInterval = d }(plainInterval)
	plainInterval = time.Millisecond
	dir := t.TempDir()
	out, errs := mustCLI(t, "bench", "-n", "1500", "-q", "50", "-d", "16", "-min-search-time", "1ms", "-sweep", "8,64",
		"-connectivity", "8,16")
	for _, want := range []string{"phase ", "build ", "search loop ", "search batch ", "sweep ef=8 ", "sweep ef=64 ", "connectivity=8", "connectivity=16"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
	// Progress on stderr: a line before the ground truth, and the build's final count.
	for _, want := range []string{"bench: ground truth for 50 queries", "bench build (M=8 f32): 1500 rows in ", "bench build (M=16 f32): 1500 rows in ", "bench: 4 search phases of at least 1ms each"} {
		if !strings.Contains(errs, want) {
			t.Errorf("bench stderr lacks %q:\n%s", want, errs)
		}
	}
	if _, errs := mustCLI(t, "bench", "-quiet", "-n", "200", "-q", "5", "-d", "4", "-min-search-time", "1ms"); errs != "" {
		t.Errorf("bench -quiet wrote %q", errs)
	}

	fm := filepath.Join(dir, "fm")
	os.Mkdir(fm, 0o755)
	writeIDX(t, filepath.Join(fm, "train-images-idx3-ubyte.gz"), 400, rng(8))
	t.Setenv("USEARCH_FASHION_MNIST", filepath.Join(fm, "train-images-idx3-ubyte.gz"))
	out, _ = mustCLI(t, "bench", "-dataset", "fashion-mnist", "-q", "40", "-min-search-time", "1ms")
	if !strings.Contains(out, "fashion-mnist n=360 d=64") || !strings.Contains(out, "the last 40 images") {
		t.Errorf("held-out queries: %s", out)
	}
	writeIDX(t, filepath.Join(fm, "t10k-images-idx3-ubyte.gz"), 50, rng(9))
	out, _ = mustCLI(t, "bench", "-dataset", "fashion-mnist", "-q", "40", "-min-search-time", "1ms")
	if !strings.Contains(out, "fashion-mnist n=400 d=64") || !strings.Contains(out, "the first 40 of t10k") {
		t.Errorf("test-set queries: %s", out)
	}
	if r := benchRecall(out); r < 0.9 {
		t.Errorf("fashion-mnist recall %v", r)
	}
}

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }

// benchRecall reads the recall column of the "search loop" row.
func benchRecall(out string) float64 {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "search loop") {
			v, _ := strconv.ParseFloat(strings.Fields(l)[7], 64)
			return v
		}
	}
	return -1
}

// writeIDX writes n gzip'd 8×8 images in IDX3 layout, drawn around a few prototypes.
func writeIDX(t *testing.T, path string, n int, r *rand.Rand) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	bw := bufio.NewWriter(gz)
	binary.Write(bw, binary.BigEndian, [4]uint32{0x803, uint32(n), 8, 8})
	protos := clustered(rng(1), 5, 64, 60)
	for range n {
		p := protos[r.IntN(len(protos))]
		for _, v := range p {
			bw.WriteByte(byte(math.Max(0, math.Min(255, 128+v+10*r.NormFloat64()))))
		}
	}
	bw.Flush()
	gz.Close()
}

// TestWorkedExample runs the worked example of docs/command.md at a small size: synthetic data
// written as .npy by bench -write-data, built, searched with its ground truth, sharded.
func TestWorkedExample(t *testing.T) {
	dir := t.TempDir()
	mustCLI(t, "bench", "-n", "3000", "-d", "24", "-q", "100", "-min-search-time", "1ms", "-write-data", dir)
	v, err := readMatrix(filepath.Join(dir, "vectors.npy"), 0, 0)
	if err != nil || v.rows != 3000 || v.dims != 24 || v.kind != kF32 {
		t.Fatalf("vectors.npy: %v %+v", err, v)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "vectors.f32"))
	if !bytes.Equal(raw, v.data) {
		t.Error("vectors.npy and vectors.f32 hold different values")
	}
	idx := filepath.Join(dir, "index.usearch")
	mustCLI(t, "build", "-i", filepath.Join(dir, "vectors.npy"), "-o", idx)
	_, errs := mustCLI(t, "search", "-index", idx, "-q", filepath.Join(dir, "queries.npy"), "-gt", filepath.Join(dir, "truth.npy"))
	if r := recallLine(errs); r < 0.95 {
		t.Errorf("recall@10 %v from the bench's own ground truth", r)
	}
	mustCLI(t, "build", "-i", filepath.Join(dir, "vectors.npy"), "-o", filepath.Join(dir, "shard.usearch"), "-shards", "2")
	// With -out, the results go to the file and the recall line to stdout.
	out, _ := mustCLI(t, "search", "-view", "-index", filepath.Join(dir, "shard.0.usearch"), "-index", filepath.Join(dir, "shard.1.usearch"),
		"-q", filepath.Join(dir, "queries.npy"), "-gt", filepath.Join(dir, "truth.npy"), "-out", filepath.Join(dir, "res.tsv"))
	if r := recallLine(out); r < 0.95 {
		t.Errorf("sharded recall@10 %v", r)
	}
}
