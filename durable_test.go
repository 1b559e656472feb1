//go:build cgo && unix

package usearch_test

// Durable indexes (durable.go, internal/wal, issue 21): round trips through the log and
// checkpoints, processes killed at random moments, torn and corrupt logs, refused input,
// the directory lock, and concurrent writers and searchers.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/wal"
)

const durDims = 8

var durConf = usearch.IndexConfig{Dimensions: durDims, Metric: usearch.L2sq, Connectivity: 8, ExpansionAdd: 32, ExpansionSearch: 64}

// vectorOf is the vector every test stores under key: a pure function of the key, so a
// reopened index can be checked key by key, also by a process that never saw the write.
func vectorOf(key usearch.Key) []float32 {
	r := rand.New(rand.NewPCG(key, 0x5eed))
	v := make([]float32, durDims)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// model is what a durable index should hold: key -> its vectors.
type model map[usearch.Key][][]float32

// checkContents compares idx with m by Len, Keys, Get and exact search.
func checkContents(t *testing.T, idx *usearch.Index, m model, seed uint64) {
	t.Helper()
	total := 0
	for _, vs := range m {
		total += len(vs)
	}
	n, err := idx.Len()
	require.NoError(t, err)
	require.Equal(t, uint(total), n, "Len")
	keys := slices.Sorted(idx.Keys())
	want := make([]usearch.Key, 0, len(m))
	for k := range m {
		want = append(want, k)
	}
	slices.Sort(want)
	require.Equal(t, want, keys, "keys")
	for k, vs := range m {
		got, err := idx.Get(k, 16)
		require.NoError(t, err)
		require.Len(t, got, len(vs)*durDims, "key %d", k)
		for _, v := range vs { // Multi keys come back in any order
			found := false
			for i := 0; i < len(got); i += durDims {
				found = found || slices.Equal(got[i:i+durDims], v)
			}
			require.True(t, found, "key %d lacks a vector", k)
		}
	}
	// Exact search agrees with brute force over the model (random vectors: no ties).
	r := rand.New(rand.NewPCG(seed, 7))
	for q := 0; q < 5 && total > 0; q++ {
		query := vectorOf(r.Uint64())
		type hit struct {
			k usearch.Key
			d float64
		}
		var all []hit
		for k, vs := range m {
			for _, v := range vs {
				d := 0.0
				for i := range v {
					d += float64(v[i]-query[i]) * float64(v[i]-query[i])
				}
				all = append(all, hit{k, d})
			}
		}
		slices.SortFunc(all, func(a, b hit) int {
			if a.d < b.d {
				return -1
			}
			if a.d > b.d {
				return 1
			}
			return 0
		})
		k := min(5, len(all))
		got, dists, err := idx.SearchExact(query, uint(k))
		require.NoError(t, err)
		require.Len(t, got, k)
		for i := range got {
			require.Equal(t, all[i].k, got[i], "query %d rank %d", q, i)
			require.InDelta(t, all[i].d, float64(dists[i]), 1e-4)
		}
	}
}

func openDurable(t *testing.T, dir string, conf usearch.IndexConfig, opts usearch.DurableOptions) *usearch.Index {
	t.Helper()
	idx, err := usearch.OpenDurable(dir, conf, opts)
	require.NoError(t, err)
	return idx
}

func TestDurableRoundTrip(t *testing.T) {
	for _, multi := range []bool{false, true} {
		for _, mode := range []usearch.SyncMode{usearch.SyncAlways, usearch.SyncInterval, usearch.SyncNever} {
			t.Run(fmt.Sprintf("multi=%v/%v", multi, mode), func(t *testing.T) {
				conf := durConf
				conf.Multi = multi
				opts := usearch.DurableOptions{Sync: mode, SyncInterval: 5 * time.Millisecond, CheckpointBytes: 16 << 10}
				dir := filepath.Join(t.TempDir(), "idx")
				idx := openDurable(t, dir, conf, opts)
				m := model{}
				r := rand.New(rand.NewPCG(uint64(len(dir)), 3))
				add := func(k usearch.Key) {
					require.NoError(t, idx.Add(k, vectorOf(k)))
					m[k] = append(m[k], vectorOf(k))
				}
				for k := usearch.Key(0); k < 50; k++ {
					add(k)
				}
				require.NoError(t, idx.Clear())
				clear(m)
				for k := usearch.Key(100); k < 300; k++ {
					add(k)
				}
				var keys []usearch.Key
				var flat []float32
				for k := usearch.Key(1000); k < 1200; k++ {
					keys = append(keys, k)
					flat = append(flat, vectorOf(k)...)
					m[k] = append(m[k], vectorOf(k))
				}
				require.NoError(t, idx.AddBatch(context.Background(), keys, flat, &usearch.BatchOptions{Threads: 3}))
				require.NoError(t, idx.Checkpoint())
				for i := 0; i < 60; i++ {
					k := usearch.Key(100 + r.IntN(200))
					require.NoError(t, idx.Remove(k))
					delete(m, k)
				}
				require.NoError(t, idx.Remove(99999)) // absent
				for i := 0; i < 30; i++ {
					from := usearch.Key(1000 + r.IntN(200))
					to := usearch.Key(5000 + i)
					require.NoError(t, idx.Rename(from, to))
					if vs, ok := m[from]; ok {
						m[to] = append(m[to], vs...)
						delete(m, from)
					}
				}
				// AddI8 and AddUnsafe are logged too.
				i8 := []int8{1, -2, 3, -4, 5, -6, 7, -8}
				require.NoError(t, idx.AddI8(7000, i8))
				stored, err := idx.Get(7000, 1) // int8 input is scaled on the way in
				require.NoError(t, err)
				require.Len(t, stored, durDims)
				m[7000] = append(m[7000], stored)
				u := vectorOf(7001)
				require.NoError(t, idx.AddUnsafe(7001, unsafePointer(u)))
				m[7001] = append(m[7001], u)
				if multi {
					add(7001)
				}
				checkContents(t, idx, m, 1)
				require.NoError(t, idx.Close())
				require.NoError(t, idx.Close()) // idempotent

				idx = openDurable(t, dir, conf, opts)
				checkContents(t, idx, m, 2)
				// More writes after the reopen, then a checkpoint the plain Load reads.
				for k := usearch.Key(8000); k < 8040; k++ {
					add(k)
				}
				require.NoError(t, idx.Checkpoint())
				require.NoError(t, idx.Close())
				plain, err := usearch.NewIndex(conf)
				require.NoError(t, err)
				require.NoError(t, plain.Load(filepath.Join(dir, "index.usearch")))
				checkContents(t, plain, m, 3)
				plain.Close()
				idx = openDurable(t, dir, conf, opts)
				checkContents(t, idx, m, 4)
				require.NoError(t, idx.Close())
			})
		}
	}
}

func TestDurableTyped(t *testing.T) {
	dir := t.TempDir()
	conf := usearch.IndexConfig{Dimensions: 4, Metric: usearch.Cosine, Quantization: usearch.F16}
	idx, err := usearch.OpenDurableOf[usearch.Float16](dir, conf, usearch.DurableOptions{})
	require.NoError(t, err)
	vec := []usearch.Float16{usearch.Float16From(0.5), usearch.Float16From(-1), usearch.Float16From(2), usearch.Float16From(0.25)}
	require.NoError(t, idx.Add(1, vec))
	require.NoError(t, idx.AddBatch(context.Background(), []usearch.Key{2, 3}, append(slices.Clone(vec), vec...), nil))
	require.NoError(t, idx.Close())
	idx, err = usearch.OpenDurableOf[usearch.Float16](dir, conf, usearch.DurableOptions{})
	require.NoError(t, err)
	defer idx.Close()
	for k := usearch.Key(1); k <= 3; k++ {
		got, err := idx.Get(k, 1)
		require.NoError(t, err)
		require.Equal(t, vec, got)
	}
}

// Compact and ChangeMetricKind are followed by a checkpoint: afterwards the log holds only
// the segment the checkpoint switched to, and the checkpoint has the new metric.
func TestDurableCompactAndMetric(t *testing.T) {
	dir := t.TempDir()
	idx := openDurable(t, dir, durConf, usearch.DurableOptions{})
	m := model{}
	for k := usearch.Key(0); k < 200; k++ {
		require.NoError(t, idx.Add(k, vectorOf(k)))
		if k%3 != 0 {
			m[k] = [][]float32{vectorOf(k)}
		}
	}
	for k := usearch.Key(0); k < 200; k += 3 {
		require.NoError(t, idx.Remove(k))
	}
	before, _ := wal.Segments(dir)
	require.NoError(t, idx.Compact(context.Background()))
	after, _ := wal.Segments(dir)
	require.Len(t, after, 1)
	require.Greater(t, after[0], before[len(before)-1])
	st, err := idx.Stats()
	require.NoError(t, err)
	require.Zero(t, st.Removed)
	require.NoError(t, idx.ChangeMetricKind(usearch.InnerProduct))
	meta, err := usearch.Metadata(filepath.Join(dir, "index.usearch"))
	require.NoError(t, err)
	require.Equal(t, usearch.InnerProduct, meta.Metric)
	require.NoError(t, idx.Close())
	_, err = usearch.OpenDurable(dir, durConf, usearch.DurableOptions{})
	require.ErrorIs(t, err, usearch.ErrInvalidConfig)
	require.Contains(t, err.Error(), "Metric")
	conf := durConf
	conf.Metric = usearch.InnerProduct
	idx = openDurable(t, dir, conf, usearch.DurableOptions{})
	defer idx.Close()
	n, _ := idx.Len()
	require.Equal(t, uint(len(m)), n)
}

func TestDurableRefusals(t *testing.T) {
	dir := t.TempDir()
	idx := openDurable(t, dir, durConf, usearch.DurableOptions{})
	require.NoError(t, idx.Add(1, vectorOf(1)))
	other := filepath.Join(t.TempDir(), "other.usearch")
	require.NoError(t, idx.Save(other)) // Save elsewhere works
	buf := make([]byte, 1<<16)
	for name, call := range map[string]func() error{
		"Load":       func() error { return idx.Load(other) },
		"View":       func() error { return idx.View(other) },
		"LoadBuffer": func() error { return idx.LoadBuffer(buf, 100) },
		"ViewBuffer": func() error { return idx.ViewBuffer(buf, 100) },
		"ReadFrom":   func() error { _, err := idx.ReadFrom(bytes.NewReader(buf)); return err },
		"Reset":      func() error { return idx.Reset() },
		"ChangeMetric": func() error {
			return idx.ChangeMetric(func(a, b []float32) float32 { return 0 })
		},
		"Save": func() error { return idx.Save(filepath.Join(dir, "copy.usearch")) },
	} {
		err := call()
		require.ErrorIs(t, err, usearch.ErrUnsupported, name)
		require.Contains(t, err.Error(), "durable", name)
	}
	n, _ := idx.Len()
	require.Equal(t, uint(1), n)
	require.NoError(t, idx.Close())
	require.ErrorIs(t, idx.Checkpoint(), usearch.ErrClosed)

	plain, err := usearch.NewIndex(durConf)
	require.NoError(t, err)
	require.ErrorIs(t, plain.Checkpoint(), usearch.ErrUnsupported)
	plain.Close()

	for _, opts := range []usearch.DurableOptions{
		{Sync: usearch.SyncMode(7)}, {Sync: -1}, {Sync: usearch.SyncInterval}, {Sync: usearch.SyncInterval, SyncInterval: -time.Second},
		{CheckpointBytes: -1},
	} {
		_, err := usearch.OpenDurable(t.TempDir(), durConf, opts)
		require.ErrorIs(t, err, usearch.ErrInvalidConfig, "%+v", opts)
	}
	for field, change := range map[string]func(c *usearch.IndexConfig){
		"Dimensions":   func(c *usearch.IndexConfig) { c.Dimensions = 9 },
		"Metric":       func(c *usearch.IndexConfig) { c.Metric = usearch.Cosine },
		"Quantization": func(c *usearch.IndexConfig) { c.Quantization = usearch.F16 },
		"Multi":        func(c *usearch.IndexConfig) { c.Multi = true },
	} {
		conf := durConf
		change(&conf)
		_, err := usearch.OpenDurable(dir, conf, usearch.DurableOptions{})
		require.ErrorIs(t, err, usearch.ErrInvalidConfig, field)
		require.Contains(t, err.Error(), field)
	}
	// Expansions come from the argument.
	conf := durConf
	conf.ExpansionSearch = 77
	idx = openDurable(t, dir, conf, usearch.DurableOptions{})
	ef, _ := idx.ExpansionSearch()
	require.Equal(t, uint(77), ef)
	require.NoError(t, idx.Close())
}

// logKeys returns every key the log of dir mentions, by record type.
func logKeys(t *testing.T, dir string) map[usearch.Key]string {
	t.Helper()
	segs, err := wal.Segments(dir)
	require.NoError(t, err)
	out := map[usearch.Key]string{}
	for i, n := range segs {
		_, err := wal.ReadSegment(filepath.Join(dir, wal.SegmentName(n)), i == len(segs)-1, 1<<20, func(r wal.Record) error {
			if r.Type == wal.RecAdd || r.Type == wal.RecRemove {
				out[binary.LittleEndian.Uint64(r.Payload)] = wal.TypeName(r.Type)
			}
			return nil
		})
		require.NoError(t, err)
	}
	return out
}

func TestDurableBadInput(t *testing.T) {
	dir := t.TempDir()
	idx := openDurable(t, dir, durConf, usearch.DurableOptions{})
	defer idx.Close()
	require.NoError(t, idx.Add(1, vectorOf(1)))
	nan := vectorOf(2)
	nan[3] = float32(math.NaN())
	inf := vectorOf(3)
	inf[0] = float32(math.Inf(1))
	require.ErrorIs(t, idx.Add(2, nan), usearch.ErrInvalidArgument)
	require.ErrorIs(t, idx.Add(3, inf), usearch.ErrInvalidArgument)
	require.ErrorIs(t, idx.Add(4, vectorOf(4)[:5]), usearch.ErrDimensionMismatch)
	require.ErrorIs(t, idx.Add(math.MaxUint64, vectorOf(5)), usearch.ErrReservedKey)
	require.ErrorIs(t, idx.Add(1, vectorOf(6)), usearch.ErrDuplicateKey)
	require.ErrorIs(t, idx.AddUnsafe(7, unsafePointer(nan)), usearch.ErrInvalidArgument)
	require.Error(t, idx.AddBatch(context.Background(), []usearch.Key{8, 9}, append(vectorOf(8), nan...), nil))
	keys := logKeys(t, dir)
	require.Equal(t, map[usearch.Key]string{1: "add"}, keys)
	got, _ := idx.Get(1, 1)
	require.Equal(t, vectorOf(1), got)
}

// durableDir builds a closed durable index of n adds in one log segment and returns the
// segment's path and its records' offsets.
func durableDir(t *testing.T, n int) (string, string, []int64) {
	dir := t.TempDir()
	idx := openDurable(t, dir, durConf, usearch.DurableOptions{})
	for k := usearch.Key(0); k < usearch.Key(n); k++ {
		require.NoError(t, idx.Add(k, vectorOf(k)))
	}
	require.NoError(t, idx.Close())
	segs, _ := wal.Segments(dir)
	require.Len(t, segs, 1)
	path := filepath.Join(dir, wal.SegmentName(segs[0]))
	var offs []int64
	_, err := wal.ReadSegment(path, true, 1<<20, func(r wal.Record) error {
		if r.Type == wal.RecAdd { // the segment also holds the record of the first checkpoint
			offs = append(offs, r.Offset)
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, offs, n)
	return dir, path, offs
}

// captureWarnings sends slog's default logger to a buffer for the test.
func captureWarnings(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&syncWriter{w: &buf}, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestDurableTornAndCorruptLog(t *testing.T) {
	const n = 40
	expect := func(t *testing.T, dir string, keys int) {
		idx := openDurable(t, dir, durConf, usearch.DurableOptions{})
		m := model{}
		for k := usearch.Key(0); k < usearch.Key(keys); k++ {
			m[k] = [][]float32{vectorOf(k)}
		}
		checkContents(t, idx, m, 5)
		// Writes after the cut go to a clean log that reopens without complaint.
		require.NoError(t, idx.Add(1000, vectorOf(1000)))
		require.NoError(t, idx.Close())
		idx = openDurable(t, dir, durConf, usearch.DurableOptions{})
		m[1000] = [][]float32{vectorOf(1000)}
		checkContents(t, idx, m, 6)
		require.NoError(t, idx.Close())
	}
	for seed := uint64(1); seed <= 4; seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		t.Run(fmt.Sprintf("truncated/%d", seed), func(t *testing.T) {
			warn := captureWarnings(t)
			dir, path, offs := durableDir(t, n)
			st, _ := os.Stat(path)
			last := offs[n-1]
			require.NoError(t, os.Truncate(path, last+1+r.Int64N(st.Size()-last-1)))
			expect(t, dir, n-1)
			require.Contains(t, warn.String(), "torn tail")
			require.Contains(t, warn.String(), path)
		})
		t.Run(fmt.Sprintf("flipped-tail/%d", seed), func(t *testing.T) {
			warn := captureWarnings(t)
			dir, path, offs := durableDir(t, n)
			data, _ := os.ReadFile(path)
			last := offs[n-1]
			bit := last*8 + r.Int64N((int64(len(data))-last)*8)
			require.Equal(t, int64(len(data)), last+durableRecordBytes)
			data[bit/8] ^= 1 << (bit % 8)
			require.NoError(t, os.WriteFile(path, data, 0o666))
			expect(t, dir, n-1)
			require.Contains(t, warn.String(), "torn tail")
		})
		t.Run(fmt.Sprintf("flipped-early/%d", seed), func(t *testing.T) {
			dir, path, offs := durableDir(t, n)
			data, _ := os.ReadFile(path)
			i := r.IntN(n - 5)
			require.Equal(t, offs[i+1], offs[i]+durableRecordBytes)
			bit := offs[i]*8 + r.Int64N((offs[i+1]-offs[i])*8)
			data[bit/8] ^= 1 << (bit % 8)
			require.NoError(t, os.WriteFile(path, data, 0o666))
			_, err := usearch.OpenDurable(dir, durConf, usearch.DurableOptions{})
			require.ErrorIs(t, err, usearch.ErrInvalidFile)
			require.Contains(t, err.Error(), path)
			require.Contains(t, err.Error(), fmt.Sprintf("offset %d", offs[i]))
			// Nothing was left half-open: the directory is not locked.
			_, err = usearch.OpenDurable(dir, durConf, usearch.DurableOptions{})
			require.ErrorIs(t, err, usearch.ErrInvalidFile)
		})
	}
}

// TestDurableCutSegmentCreation: a crash while a new log segment was being created leaves
// a file without a whole header (empty, or part of it). Reopening drops it with a warning
// and reopens again after more writes: it must not be left behind as a headerless segment
// between two others (it was: the second reopen failed, seen in TestDurableCrash).
func TestDurableCutSegmentCreation(t *testing.T) {
	const n = 40
	for _, size := range []int{0, 1, 47} {
		t.Run(fmt.Sprintf("%d-bytes", size), func(t *testing.T) {
			warn := captureWarnings(t)
			dir, path, _ := durableDir(t, n)
			segs, err := wal.Segments(dir)
			require.NoError(t, err)
			header, err := os.ReadFile(path)
			require.NoError(t, err)
			next := filepath.Join(dir, wal.SegmentName(segs[len(segs)-1]+1))
			require.NoError(t, os.WriteFile(next, header[:size], 0o666))
			m := model{}
			for k := usearch.Key(0); k < n; k++ {
				m[k] = [][]float32{vectorOf(k)}
			}
			for round := 0; round < 3; round++ {
				idx := openDurable(t, dir, durConf, usearch.DurableOptions{})
				checkContents(t, idx, m, 5)
				k := usearch.Key(1000 + round)
				require.NoError(t, idx.Add(k, vectorOf(k)))
				m[k] = [][]float32{vectorOf(k)}
				require.NoError(t, idx.Close())
			}
			require.Contains(t, warn.String(), "creation a crash cut off")
			require.Contains(t, warn.String(), next)
		})
	}
}

// durableRecordBytes is the size of an add record of durDims float32: header, type,
// sequence number, key, kind, vector.
const durableRecordBytes = 8 + 1 + 8 + 8 + 1 + 4*durDims

const lockChildEnv = "USEARCH_DURABLE_LOCK_CHILD"

// TestDurableLockChild is the other process of TestDurableLock: it tries to open the
// directory and exits 3 when it is locked.
func TestDurableLockChild(t *testing.T) {
	dir := os.Getenv(lockChildEnv)
	if dir == "" {
		t.Skip("child of TestDurableLock; runs only when started by it")
	}
	idx, err := usearch.OpenDurable(dir, durConf, usearch.DurableOptions{})
	if errors.Is(err, usearch.ErrLocked) {
		os.Exit(3)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(4)
	}
	idx.Close()
	os.Exit(0)
}

func TestDurableLock(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "idx")
	idx := openDurable(t, dir, durConf, usearch.DurableOptions{})
	link := filepath.Join(root, "link")
	require.NoError(t, os.Symlink(dir, link))
	require.NoError(t, os.Mkdir(filepath.Join(root, "sub"), 0o777))
	for _, p := range []string{dir, link, filepath.Join(root, "sub", "..", "idx"), dir + "/"} {
		_, err := usearch.OpenDurable(p, durConf, usearch.DurableOptions{})
		require.ErrorIs(t, err, usearch.ErrLocked, p)
	}
	child := func() int {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDurableLockChild$")
		cmd.Env = append(os.Environ(), lockChildEnv+"="+link)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		skipIfCannotExec(t, err)
		require.NoError(t, err, string(out))
		return 0
	}
	require.Equal(t, 3, child(), "another process opened a locked directory")
	require.NoError(t, idx.Add(1, vectorOf(1)))
	require.NoError(t, idx.Close())
	require.Equal(t, 0, child(), "the lock outlived Close")
	idx = openDurable(t, link, durConf, usearch.DurableOptions{})
	require.NoError(t, idx.Close())
}

// ---- crashes ----

const crashChildEnv = "USEARCH_DURABLE_CRASH_CHILD" // dir,mode,run

// crashKey makes the keys of one child run distinct from every other run's.
func crashKey(run, writer, i int) usearch.Key {
	return usearch.Key(run)<<32 | usearch.Key(writer)<<24 | usearch.Key(i)
}

// TestDurableCrashChild adds from several goroutines, printing "a KEY" once an Add returned,
// "x KEY" before a Remove and "r KEY" once it returned, and checkpoints now and then, until
// killed.
func TestDurableCrashChild(t *testing.T) {
	spec := os.Getenv(crashChildEnv)
	if spec == "" {
		t.Skip("child of TestDurableCrash; runs only when started by it")
	}
	parts := strings.Split(spec, ",")
	mode, _ := strconv.Atoi(parts[1])
	run, _ := strconv.Atoi(parts[2])
	idx, err := usearch.OpenDurable(parts[0], durConf, usearch.DurableOptions{Sync: usearch.SyncMode(mode), CheckpointBytes: 64 << 10})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(4)
	}
	var out sync.Mutex
	say := func(format string, args ...any) {
		out.Lock()
		fmt.Fprintf(os.Stdout, format, args...)
		out.Unlock()
	}
	say("ready\n")
	for w := 0; w < 4; w++ {
		go func() {
			for i := 0; ; i++ {
				k := crashKey(run, w, i)
				if err := idx.Add(k, vectorOf(k)); err != nil {
					say("add failed: %v\n", err)
					os.Exit(5)
				}
				say("a %d\n", k)
				if i%7 == 3 {
					old := crashKey(run, w, i-2)
					say("x %d\n", old)
					if err := idx.Remove(old); err != nil {
						os.Exit(6)
					}
					say("r %d\n", old)
				}
			}
		}()
	}
	for {
		time.Sleep(time.Duration(5+rand.IntN(20)) * time.Millisecond)
		say("c\n")
		if err := idx.Checkpoint(); err != nil {
			say("checkpoint failed: %v\n", err)
			os.Exit(7)
		}
		say("C\n")
	}
}

func TestDurableCrash(t *testing.T) {
	for _, mode := range []usearch.SyncMode{usearch.SyncAlways, usearch.SyncNever} {
		t.Run(mode.String(), func(t *testing.T) {
			runs := 26
			if mode == usearch.SyncNever {
				runs = 6
			}
			if testing.Short() {
				runs = runs / 3
			}
			dir := t.TempDir()
			added := map[usearch.Key]bool{}    // acknowledged adds
			removed := map[usearch.Key]bool{}  // acknowledged removes
			removing := map[usearch.Key]bool{} // removes started: done or not, either is right
			r := rand.New(rand.NewPCG(uint64(mode), 99))
			inCheckpoint := 0 // runs killed between "c" and "C"
			for run := 1; run <= runs; run++ {
				cmd := exec.Command(os.Args[0], "-test.run=^TestDurableCrashChild$")
				cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d,%d", crashChildEnv, dir, int(mode), run))
				stdout, err := cmd.StdoutPipe()
				require.NoError(t, err)
				err = cmd.Start()
				skipIfCannotExec(t, err)
				require.NoError(t, err)
				lines := make(chan string, 1<<16)
				started := make(chan struct{}, 1<<10)
				go func() {
					sc := bufio.NewScanner(stdout)
					for sc.Scan() {
						if sc.Text() == "c" {
							started <- struct{}{}
						}
						lines <- sc.Text()
					}
					close(lines)
				}()
				first := <-lines
				require.Equal(t, "ready", first, "the child did not start")
				// Kill at a random moment after it started writing; every third run, just
				// after a checkpoint started (it lasts a few ms: two fsyncs of the log, a
				// copy, a write and fsync of the file, a rename and fsyncs of the directory).
				if run%3 == 0 {
					select {
					case <-started:
					case <-time.After(5 * time.Second):
						t.Fatal("the child never checkpointed")
					}
					time.Sleep(time.Duration(r.IntN(2000)) * time.Microsecond)
				} else {
					time.Sleep(time.Duration(10+r.IntN(150)) * time.Millisecond)
				}
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				var acked int
				last := ""
				for l := range lines {
					if l == "c" || l == "C" {
						last = l
						continue
					}
					kind, num, ok := strings.Cut(l, " ")
					k, err := strconv.ParseUint(num, 10, 64)
					require.True(t, ok && err == nil && (kind == "a" || kind == "r" || kind == "x"), "child said %q", l)
					switch kind {
					case "a":
						added[k] = true
						acked++
					case "x":
						removing[k] = true
					case "r":
						removed[k] = true
					}
				}
				cmd.Wait()
				if last == "c" {
					inCheckpoint++
				}
				idx, err := usearch.OpenDurable(dir, durConf, usearch.DurableOptions{})
				require.NoError(t, err, "run %d", run)
				present := map[usearch.Key]bool{}
				for k, v := range idx.All() {
					present[k] = true
					require.Equal(t, vectorOf(k), v, "key %d half-applied", k)
					require.Less(t, int(k>>32), run+1, "key %d from no run", k)
				}
				n, _ := idx.Len()
				require.Equal(t, uint(len(present)), n)
				for k := range added {
					// A process crash loses nothing that was acknowledged, in every mode:
					// records are in the file before the call returns.
					if removed[k] {
						require.False(t, present[k], "run %d: key %d removed, yet present", run, k)
					} else if !removing[k] {
						require.True(t, present[k], "run %d: acknowledged key %d lost", run, k)
					}
				}
				require.NoError(t, idx.Close())
				t.Logf("run %d: %d adds acknowledged, %d keys present, killed in a checkpoint: %v", run, acked, len(present), last == "c")
			}
			t.Logf("%d of %d runs were killed during a checkpoint", inCheckpoint, runs)
			if mode == usearch.SyncAlways && !testing.Short() {
				require.GreaterOrEqual(t, inCheckpoint, 3, "too few kills landed in a checkpoint")
			}
		})
	}
}

// ---- concurrency ----

func TestDurableConcurrent(t *testing.T) {
	dir := t.TempDir()
	opts := usearch.DurableOptions{Sync: usearch.SyncAlways, CheckpointBytes: 32 << 10}
	idx := openDurable(t, dir, durConf, opts)
	per := 300
	if testing.Short() {
		per = 120
	}
	var mu sync.Mutex
	live := map[usearch.Key]bool{}
	var wg sync.WaitGroup
	var stop atomic.Bool
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := 0; i < per; i++ {
				k := usearch.Key(w)<<20 | usearch.Key(i)
				if err := idx.Add(k, vectorOf(k)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				live[k] = true
				mu.Unlock()
				if r.IntN(4) == 0 {
					old := usearch.Key(w)<<20 | usearch.Key(r.IntN(i+1))
					if err := idx.Remove(old); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					delete(live, old)
					mu.Unlock()
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for s := 0; s < 2; s++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; !stop.Load(); i++ {
				if _, _, err := idx.Search(vectorOf(usearch.Key(i)), 5); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for c := 0; c < 2; c++ { // concurrent Checkpoint calls run one after the other
		readers.Add(1)
		go func() {
			defer readers.Done()
			for !stop.Load() {
				if err := idx.Checkpoint(); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	require.NoError(t, idx.Close())
	idx = openDurable(t, dir, durConf, opts)
	defer idx.Close()
	m := model{}
	for k := range live {
		m[k] = [][]float32{vectorOf(k)}
	}
	checkContents(t, idx, m, 9)
}

func unsafePointer(v []float32) unsafe.Pointer { return unsafe.Pointer(&v[0]) }

// copyDir copies the regular files of src into dst (created).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o777))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), data, 0o666))
	}
}

// A checkpoint interrupted after its record reached the log — before its rename, or after
// it but before the covered segments were removed — reopens to the same content: the
// checkpoint file's checksum says which checkpoint it is, so no record is replayed twice
// or skipped.
func TestDurableInterruptedCheckpoint(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "idx")
	idx := openDurable(t, dir, durConf, usearch.DurableOptions{})
	m := model{}
	add := func(from, to usearch.Key) {
		for k := from; k < to; k++ {
			require.NoError(t, idx.Add(k, vectorOf(k)))
			m[k] = [][]float32{vectorOf(k)}
		}
	}
	add(0, 50)
	require.NoError(t, idx.Checkpoint())
	add(50, 100)
	require.NoError(t, idx.Remove(7))
	delete(m, 7)
	before := filepath.Join(root, "before")
	copyDir(t, dir, before) // the state a second checkpoint starts from
	require.NoError(t, idx.Checkpoint())
	add(100, 110)
	require.NoError(t, idx.Rename(8, 5000))
	m[5000] = m[8]
	delete(m, 8)
	require.NoError(t, idx.Close())

	restore := func(t *testing.T, checkpointToo bool) string {
		d := filepath.Join(t.TempDir(), "idx")
		copyDir(t, dir, d)
		segs, _ := wal.Segments(before)
		for _, n := range segs {
			name := wal.SegmentName(n)
			if _, err := os.Stat(filepath.Join(d, name)); err == nil {
				continue
			}
			data, _ := os.ReadFile(filepath.Join(before, name))
			require.NoError(t, os.WriteFile(filepath.Join(d, name), data, 0o666))
		}
		if checkpointToo {
			data, _ := os.ReadFile(filepath.Join(before, "index.usearch"))
			require.NoError(t, os.WriteFile(filepath.Join(d, "index.usearch"), data, 0o666))
		}
		return d
	}
	t.Run("renamed", func(t *testing.T) {
		d := restore(t, false)
		idx := openDurable(t, d, durConf, usearch.DurableOptions{})
		checkContents(t, idx, m, 21)
		require.NoError(t, idx.Close())
	})
	t.Run("not-renamed", func(t *testing.T) {
		d := restore(t, true)
		idx := openDurable(t, d, durConf, usearch.DurableOptions{})
		checkContents(t, idx, m, 22)
		require.NoError(t, idx.Close())
	})
	t.Run("foreign-checkpoint", func(t *testing.T) {
		d := restore(t, false)
		plain, err := usearch.NewIndex(durConf)
		require.NoError(t, err)
		require.NoError(t, plain.Add(1, vectorOf(1)))
		require.NoError(t, plain.Save(filepath.Join(d, "index.usearch")))
		plain.Close()
		_, err = usearch.OpenDurable(d, durConf, usearch.DurableOptions{})
		require.ErrorIs(t, err, usearch.ErrInvalidFile)
		require.Contains(t, err.Error(), "matches none")
	})
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// The log folds itself into the checkpoint once it passes CheckpointBytes, also right after
// a reopen that replayed a long log.
func TestDurableAutoCheckpoint(t *testing.T) {
	dir := t.TempDir()
	big := usearch.DurableOptions{CheckpointBytes: 1 << 30}
	idx := openDurable(t, dir, durConf, big)
	for k := usearch.Key(0); k < 200; k++ {
		require.NoError(t, idx.Add(k, vectorOf(k)))
	}
	require.NoError(t, idx.Close())
	first, _ := wal.Segments(dir)
	checkpointed := func() bool {
		segs, _ := wal.Segments(dir)
		return len(segs) > 0 && segs[0] > first[len(first)-1]
	}
	small := usearch.DurableOptions{CheckpointBytes: 4 << 10} // 200 adds log about 11 KiB
	idx = openDurable(t, dir, durConf, small)
	waitFor(t, "the checkpoint after a long replay", checkpointed)
	first, _ = wal.Segments(dir)
	for k := usearch.Key(200); k < 400; k++ {
		require.NoError(t, idx.Add(k, vectorOf(k)))
	}
	waitFor(t, "an automatic checkpoint", checkpointed)
	require.NoError(t, idx.Close())
	m := model{}
	for k := usearch.Key(0); k < 400; k++ {
		m[k] = [][]float32{vectorOf(k)}
	}
	idx = openDurable(t, dir, durConf, big)
	checkContents(t, idx, m, 31)
	require.NoError(t, idx.Close())
}

// A random history of adds, removes, renames and clears replays to the same content, on
// many replay threads (the replay splits records by key), with and without Multi.
func TestDurableRandomHistory(t *testing.T) {
	for _, multi := range []bool{false, true} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("multi=%v/%d", multi, seed), func(t *testing.T) {
				conf := durConf
				conf.Multi = multi
				dir := t.TempDir()
				opts := usearch.DurableOptions{Sync: usearch.SyncNever, CheckpointBytes: 1 << 30}
				idx := openDurable(t, dir, conf, opts)
				r := rand.New(rand.NewPCG(seed, 77))
				m := model{}
				ops := 3000
				if testing.Short() {
					ops = 1000
				}
				for i := 0; i < ops; i++ {
					k := usearch.Key(r.IntN(300))
					switch p := r.IntN(100); {
					case p < 55:
						v := vectorOf(usearch.Key(i) + 1<<40) // a new vector every time
						err := idx.Add(k, v)
						if !multi && len(m[k]) > 0 {
							require.ErrorIs(t, err, usearch.ErrDuplicateKey)
							continue
						}
						require.NoError(t, err)
						m[k] = append(m[k], v)
					case p < 80:
						require.NoError(t, idx.Remove(k))
						delete(m, k)
					case p < 99:
						to := usearch.Key(r.IntN(300))
						err := idx.Rename(k, to)
						if !multi && len(m[to]) > 0 && len(m[k]) > 0 && to != k {
							require.Error(t, err)
							continue
						}
						if err != nil {
							continue // what the core refuses is not logged either
						}
						if vs := m[k]; len(vs) > 0 && to != k {
							m[to] = append(m[to], vs...)
							delete(m, k)
						}
					default:
						require.NoError(t, idx.Clear())
						clear(m)
					}
					if i == ops/2 {
						require.NoError(t, idx.Checkpoint())
					}
				}
				checkContents(t, idx, m, seed)
				require.NoError(t, idx.Close())
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(7)) // replay on 7 threads
				idx = openDurable(t, dir, conf, opts)
				checkContents(t, idx, m, seed+10)
				require.NoError(t, idx.Close())
			})
		}
	}
}

// skipIfCannotExec skips a test whose child process cannot start because this test binary
// is run by an emulator (the arm64 runs under qemu-aarch64 in ./build.sh cross execute the
// binary directly; the kernel cannot exec it for a child). The native runs of the same tests
// (test, race, sanitize jobs) start the children.
func skipIfCannotExec(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, syscall.ENOEXEC) {
		t.Skipf("cannot start a child process of this binary here (%v): emulated run", err)
	}
}

// TestDurableGroupCommit: SyncAlways writers adding, removing and renaming at once share
// syncs (each write returns only once its record is synced, and several records ride on
// one sync), including writes the index refuses, which must not keep a sync waiting; the
// reopened index holds exactly the acknowledged writes.
func TestDurableGroupCommit(t *testing.T) {
	dir := t.TempDir()
	idx := openDurable(t, dir, durConf, usearch.DurableOptions{Sync: usearch.SyncAlways, CheckpointBytes: 1 << 30})
	const writers = 8
	per := 60
	if testing.Short() {
		per = 30
	}
	s0 := wal.Syncs()
	var writes atomic.Int64
	models := make([]model, writers)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		models[w] = model{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := models[w]
			r := rand.New(rand.NewPCG(uint64(w), 21))
			for i := 0; i < per; i++ {
				k := usearch.Key(w+1)<<20 | usearch.Key(i)
				if err := idx.Add(k, vectorOf(k)); err != nil {
					t.Error(err)
					return
				}
				m[k] = [][]float32{vectorOf(k)}
				writes.Add(1)
				// A refused write (a duplicate key) is announced to the log and withdrawn.
				if err := idx.Add(k, vectorOf(k)); err == nil {
					t.Errorf("a duplicate add of %d succeeded", k)
					return
				}
				switch r.IntN(6) {
				case 0:
					if err := idx.Remove(k); err != nil {
						t.Error(err)
						return
					}
					delete(m, k)
					writes.Add(1)
				case 1:
					to := k | 1<<19
					if err := idx.Rename(k, to); err != nil {
						t.Error(err)
						return
					}
					m[to] = m[k]
					delete(m, k)
					writes.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	syncs := wal.Syncs() - s0
	if t.Failed() {
		t.FailNow()
	}
	require.Less(t, syncs, writes.Load(), "%d writers made %d logged writes with %d syncs: they shared none", writers, writes.Load(), syncs)
	require.NoError(t, idx.Close())
	all := model{}
	for _, m := range models {
		for k, v := range m {
			all[k] = v
		}
	}
	idx = openDurable(t, dir, durConf, usearch.DurableOptions{Sync: usearch.SyncAlways})
	defer idx.Close()
	checkContents(t, idx, all, 21)
}
