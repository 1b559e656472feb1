package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/usearch-go/usearch/cluster"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestHelpAndUsage(t *testing.T) {
	code, out, _ := runCmd(t, "help")
	if code != 0 {
		t.Fatalf("help exited %d", code)
	}
	for _, c := range []string{"create", "serve", "gen", "load", "search", "status", "dev", "help"} {
		if !regexp.MustCompile(`(?m)^  ` + c + ` +\S`).MatchString(out) {
			t.Fatalf("help does not list %q:\n%s", c, out)
		}
	}
	if code, _, errOut := runCmd(t); code != 2 || !strings.Contains(errOut, "commands:") {
		t.Fatalf("no command: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "nope"); code != 2 || !strings.Contains(errOut, `unknown command "nope"`) {
		t.Fatalf("unknown command: exit %d, %q", code, errOut)
	}
	// Every command's -h names the command itself and exits 0.
	for _, c := range []string{"create", "serve", "gen", "load", "search", "status", "dev"} {
		code, _, errOut := runCmd(t, c, "-h")
		if code != 0 || !strings.Contains(errOut, "usage: usearch-cluster "+c+" [flags]") {
			t.Fatalf("%s -h: exit %d, %q", c, code, errOut)
		}
	}
	if _, _, errOut := runCmd(t, "dev", "-h"); !strings.Contains(errOut, "-sync") || !strings.Contains(errOut, "-store") {
		t.Fatalf("dev -h lacks -sync or -store: %q", errOut)
	}
	if code, _, errOut := runCmd(t, "load", "-bogus"); code != 2 || !strings.Contains(errOut, "-bogus") {
		t.Fatalf("bad flag: exit %d, %q", code, errOut)
	}
}

func writeNpy(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := npy.Write(f, v); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return 1 - ab/math.Sqrt(aa*bb)
}

// TestLoadSearchStatus drives the command as a user would: create, load .npy vectors with
// their keys, search with .npy queries against brute-force ground truth in both formats,
// and read status as JSON. Replicas run in the test's process.
func TestLoadSearchStatus(t *testing.T) {
	s, err := cluster.RunEmbedded(cluster.EmbeddedOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	url := s.ClientURL()
	const n, nq, dims, k = 2000, 50, 16, 10
	conn := []string{"-url", url, "-collection", "cli"}
	if code, out, errOut := runCmd(t, append([]string{"create", "-shards", "2", "-dims", strconv.Itoa(dims)}, conn...)...); code != 0 || !strings.Contains(out, `collection "cli": 2 shards`) {
		t.Fatalf("create: exit %d, %q %q", code, out, errOut)
	}
	nc, err := cluster.Connect(cluster.ConnOptions{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for sh := 0; sh < 2; sh++ {
		r, err := cluster.StartReplica(ctx, nc, cluster.ReplicaConfig{Collection: "cli", Shard: sh, TempDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 5))
	centres := make([][]float32, 16)
	for i := range centres {
		centres[i] = make([]float32, dims)
		for j := range centres[i] {
			centres[i][j] = float32(rng.NormFloat64())
		}
	}
	point := func() []float32 {
		c := centres[rng.IntN(len(centres))]
		v := make([]float32, dims)
		for j := range v {
			v[j] = c[j] + 0.4*float32(rng.NormFloat64())
		}
		return v
	}
	data := make([][]float32, n)
	keys := make([]uint64, n)
	for i := range data {
		data[i], keys[i] = point(), uint64(7000+3*i)
	}
	queries := make([][]float32, nq)
	truth := make([][]int64, nq)
	for i := range queries {
		queries[i] = point()
		idx := make([]int, n)
		for j := range idx {
			idx[j] = j
		}
		d := make([]float64, n)
		for j := range d {
			d[j] = cosine(queries[i], data[j])
		}
		sort.Slice(idx, func(a, b int) bool {
			if d[idx[a]] != d[idx[b]] {
				return d[idx[a]] < d[idx[b]]
			}
			return keys[idx[a]] < keys[idx[b]]
		})
		for _, j := range idx[:k] {
			truth[i] = append(truth[i], int64(keys[j]))
		}
	}
	dir := t.TempDir()
	vpath, kpath, qpath, gpath := filepath.Join(dir, "v.npy"), filepath.Join(dir, "k.npy"), filepath.Join(dir, "q.npy"), filepath.Join(dir, "gt.npy")
	writeNpy(t, vpath, data)
	writeNpy(t, kpath, keys)
	writeNpy(t, qpath, queries)
	writeNpy(t, gpath, truth)

	code, out, errOut := runCmd(t, append([]string{"load", "-i", vpath, "-keys", kpath, "-chunk", "700"}, conn...)...)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("loaded %d vectors of %d dimensions", n, dims)) || !strings.Contains(out, "applied by every replica") {
		t.Fatalf("load: exit %d, %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, fmt.Sprintf("load: %d/%d vectors (100%%)", n, n)) {
		t.Fatalf("load printed no final progress line: %q", errOut)
	}

	recall := func(errOut string) float64 {
		t.Helper()
		m := regexp.MustCompile(`recall@10: ([0-9.]+) over 50 queries`).FindStringSubmatch(errOut)
		if m == nil {
			t.Fatalf("no recall line in %q", errOut)
		}
		r, _ := strconv.ParseFloat(m[1], 64)
		return r
	}
	code, out, errOut = runCmd(t, append([]string{"search", "-q", qpath, "-k", "10", "-gt", gpath, "-format", "jsonl", "-batch", "16"}, conn...)...)
	if code != 0 {
		t.Fatalf("search: exit %d, %q", code, errOut)
	}
	if r := recall(errOut); r < 0.9 {
		t.Fatalf("recall %.3f through the command", r)
	}
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var row struct {
			Query     int       `json:"query"`
			Keys      []uint64  `json:"keys"`
			Distances []float32 `json:"distances"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil || row.Query != lines || len(row.Keys) != k || len(row.Distances) != k {
			t.Fatalf("jsonl line %d: %q (%v)", lines, sc.Text(), err)
		}
		lines++
	}
	if lines != nq {
		t.Fatalf("%d jsonl lines for %d queries", lines, nq)
	}
	// Exact search finds the ground truth itself; TSV has a header and k rows per query.
	code, out, errOut = runCmd(t, append([]string{"search", "-q", qpath, "-k", "10", "-gt", gpath, "-exact"}, conn...)...)
	if code != 0 || recall(errOut) < 0.999 {
		t.Fatalf("exact search: exit %d, %q", code, errOut)
	}
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) != 1+nq*k || rows[0] != "query\trank\tkey\tdistance" || !strings.HasPrefix(rows[1], "0\t1\t") {
		t.Fatalf("tsv: %d lines, first %q %q", len(rows), rows[0], rows[1])
	}
	if want := fmt.Sprintf("0\t1\t%d\t", truth[0][0]); !strings.HasPrefix(rows[1], want) {
		t.Fatalf("exact tsv first row %q, want prefix %q", rows[1], want)
	}

	code, out, errOut = runCmd(t, append([]string{"status", "-json"}, conn...)...)
	var st struct {
		Spec     cluster.Spec
		Streams  []cluster.ShardLog
		Replicas []cluster.ReplicaStatus
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("status -json: exit %d, %q %q", code, out, errOut)
	}
	total := uint(0)
	for _, r := range st.Replicas {
		total += r.Vectors
	}
	if st.Spec.Shards != 2 || len(st.Streams) != 2 || len(st.Replicas) != 2 || total != n {
		t.Fatalf("status: %+v", st)
	}

	// Bad input: clear messages, exit 1 or 2.
	bad := filepath.Join(dir, "bad.npy")
	writeNpy(t, bad, [][]float32{{1, 2, 3}})
	if code, _, errOut := runCmd(t, append([]string{"load", "-i", bad}, conn...)...); code != 1 || !strings.Contains(errOut, "3 columns") || !strings.Contains(errOut, "16 dimensions") {
		t.Fatalf("load of 3 columns: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, append([]string{"load", "-i", vpath, "-keys", qpath}, conn...)...); code != 1 || !strings.Contains(errOut, "-keys") {
		t.Fatalf("load with float keys: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, append([]string{"search", "-q", qpath, "-format", "xml"}, conn...)...); code != 1 || !strings.Contains(errOut, "tsv or jsonl") {
		t.Fatalf("search -format xml: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, append([]string{"search", "-q", vpath, "-gt", gpath}, conn...)...); code != 1 || !strings.Contains(errOut, "rows for") {
		t.Fatalf("search with ground truth of other rows: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "load", "-i", vpath); code != 1 || !strings.Contains(errOut, "-collection is required") {
		t.Fatalf("load without -collection: exit %d, %q", code, errOut)
	}
}

// TestGen: the files gen writes read back with the shapes asked for, and the ground truth
// is the brute-force nearest rows.
func TestGen(t *testing.T) {
	dir := t.TempDir()
	v, q, g := filepath.Join(dir, "v.npy"), filepath.Join(dir, "q.npy"), filepath.Join(dir, "g.npy")
	code, out, errOut := runCmd(t, "gen", "-n", "500", "-dims", "12", "-queries", "7", "-k", "4", "-o", v, "-q", q, "-gt", g, "-seed", strconv.FormatUint(uint64(time.Now().UnixNano()), 10))
	if code != 0 || !strings.Contains(out, "500 vectors of 12 dimensions") {
		t.Fatalf("gen: exit %d, %q %q", code, out, errOut)
	}
	va, err1 := readNpy(v)
	qa, err2 := readNpy(q)
	ga, err3 := readNpy(g)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal(err1, err2, err3)
	}
	if va.rows != 500 || va.cols != 12 || qa.rows != 7 || qa.cols != 12 || ga.rows != 7 || ga.cols != 4 {
		t.Fatalf("shapes %dx%d %dx%d %dx%d", va.rows, va.cols, qa.rows, qa.cols, ga.rows, ga.cols)
	}
	data, _ := va.floats()
	qs, _ := qa.floats()
	truth, err := ga.ints()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 7; i++ {
		best, bestD := -1, math.Inf(1)
		for j := 0; j < 500; j++ {
			if d := cosine(qs[i*12:(i+1)*12], data[j*12:(j+1)*12]); d < bestD {
				best, bestD = j, d
			}
		}
		if truth[i*4] != uint64(best) {
			t.Fatalf("query %d: ground truth starts with row %d, brute force finds %d", i, truth[i*4], best)
		}
	}
	if code, _, errOut := runCmd(t, "gen", "-n", "5", "-k", "9"); code != 1 || !strings.Contains(errOut, "-k 9") {
		t.Fatalf("gen -k 9 of 5: exit %d, %q", code, errOut)
	}
}
