//go:build cgo

package tests

// Files whose vectors hold NaN or ±Inf (made by another tool, or corrupted): Load,
// LoadBuffer and ReadFrom refuse them naming the key, the row and the element; View and
// ViewBuffer serve them with every non-finite distance reported as +Inf, so results stay
// ascending and a poisoned vector never ranks ahead of a finite one
// (docs/file-format.md, "Non-finite vectors"; csrc/nonfinite.hpp).

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usearch-go/usearch"
)

// nonFiniteValue is one way an element can be poisoned.
type nonFiniteValue struct {
	name string // as the error message spells it
	x    float64
}

var nonFiniteValues = []nonFiniteValue{{"NaN", math.NaN()}, {"+Inf", math.Inf(1)}, {"-Inf", math.Inf(-1)}}

// encodeNonFinite returns the stored bytes of v in kind q (NaN and ±Inf only), or nil
// when the kind has no code for it (e4m3 has NaN only).
func encodeNonFinite(q usearch.Quantization, v nonFiniteValue) []byte {
	neg := v.x < 0
	nan := math.IsNaN(v.x)
	switch q {
	case usearch.F64:
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v.x))
	case usearch.F32:
		return binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(v.x)))
	case usearch.F16:
		h := uint16(0x7C00)
		if nan {
			h = 0x7E00
		} else if neg {
			h = 0xFC00
		}
		return binary.LittleEndian.AppendUint16(nil, h)
	case usearch.BF16:
		return binary.LittleEndian.AppendUint16(nil, uint16(math.Float32bits(float32(v.x))>>16))
	case usearch.E5M2:
		b := byte(0x7C)
		if nan {
			b = 0x7E
		} else if neg {
			b = 0xFC
		}
		return []byte{b}
	case usearch.E4M3:
		if nan {
			return []byte{0x7F}
		}
	}
	return nil
}

// elementBytes is the size of one stored element of the float kinds above.
func elementBytes(q usearch.Quantization) int {
	switch q {
	case usearch.F64:
		return 8
	case usearch.F32:
		return 4
	case usearch.F16, usearch.BF16:
		return 2
	}
	return 1
}

// rowOfKey finds, by walking the node records of a serialized image (docs/file-format.md,
// "Layout"), the slot holding key and the offset of its vector.
func rowOfKey(t testing.TB, img []byte, key usearch.Key) (row, offset int) {
	t.Helper()
	le := binary.LittleEndian
	rows, cols := int(le.Uint32(img)), int(le.Uint32(img[4:]))
	graph := 8 + rows*cols + 64
	m, m0 := int(le.Uint64(img[graph+8:])), int(le.Uint64(img[graph+16:]))
	levels := graph + 40
	tape := levels + 2*rows
	for s := 0; s < rows; s++ {
		if usearch.Key(le.Uint64(img[tape:])) == key {
			return s, 8 + s*cols
		}
		level := int(int16(le.Uint16(img[levels+2*s:])))
		tape += 14 + 4*m0 + level*(4+4*m)
	}
	t.Fatalf("key %d is not in the image", key)
	return 0, 0
}

// poisoned returns a copy of img with element dim of key's vector set to v.
func poisoned(t testing.TB, img []byte, q usearch.Quantization, key usearch.Key, dim int, v nonFiniteValue) (out []byte, row int) {
	t.Helper()
	row, off := rowOfKey(t, img, key)
	out = bytes.Clone(img)
	copy(out[off+dim*elementBytes(q):], encodeNonFinite(q, v))
	return out, row
}

// uniformVectors returns n vectors of dims elements uniform in [-1, 1).
func uniformVectors(r *rand.Rand, n, dims int) [][]float32 {
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = make([]float32, dims)
		for j := range vecs[i] {
			vecs[i][j] = r.Float32()*2 - 1
		}
	}
	return vecs
}

func newFilled(t testing.TB, conf usearch.IndexConfig, vecs [][]float32) *usearch.Index {
	t.Helper()
	idx, err := usearch.NewIndex(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	for i, v := range vecs {
		if err := idx.Add(usearch.Key(i), v); err != nil {
			t.Fatal(err)
		}
	}
	return idx
}

func TestLoadRefusesNonFiniteVector(t *testing.T) {
	const n, dims, bad, dim = 120, 12, 77, 5
	r := rand.New(rand.NewSource(20))
	vecs := uniformVectors(r, n, dims)
	dir := t.TempDir()
	for _, q := range []usearch.Quantization{usearch.F32, usearch.F64, usearch.F16, usearch.BF16, usearch.E5M2, usearch.E4M3} {
		src := newFilled(t, usearch.IndexConfig{Dimensions: dims, Metric: usearch.Cosine, Quantization: q}, vecs)
		img := imageOf(t, src)
		for _, v := range nonFiniteValues {
			if encodeNonFinite(q, v) == nil {
				continue
			}
			file, row := poisoned(t, img, q, bad, dim, v)
			path := filepath.Join(dir, fmt.Sprintf("%v-%s.usearch", q, v.name))
			if err := os.WriteFile(path, file, 0o644); err != nil {
				t.Fatal(err)
			}
			// The index the loads are tried on holds other content, which must survive.
			dst := newFilled(t, usearch.IndexConfig{Dimensions: dims, Metric: usearch.L2sq, Quantization: q}, vecs[:9])
			want := fmt.Sprintf("key %d (row %d) is not finite: element %d is %s", bad, row, dim, v.name)
			attempts := map[string]func() error{
				"Load":       func() error { return dst.Load(path) },
				"LoadBuffer": func() error { return dst.LoadBuffer(file, uint(len(file))) },
				"ReadFrom":   func() error { _, err := dst.ReadFrom(bytes.NewReader(file)); return err },
			}
			for op, load := range attempts {
				err := load()
				if !errors.Is(err, usearch.ErrInvalidFile) || !strings.Contains(err.Error(), want) {
					t.Fatalf("%v %s: %s = %v, want ErrInvalidFile with %q", q, v.name, op, err, want)
				}
				if got, _ := dst.Len(); got != 9 {
					t.Fatalf("%v %s: after the refused %s the index holds %d vectors, want its 9", q, v.name, op, got)
				}
				// Still the index's own metric (l2sq), not the file's (cos): distance 0 to itself.
				keys, dists, err := dst.Search(vecs[4], 1)
				if err != nil || len(keys) != 1 || keys[0] != 4 || dists[0] != 0 {
					t.Fatalf("%v %s: after the refused %s, Search(vector 4) = %v %v, %v", q, v.name, op, keys, dists, err)
				}
			}
			// The same bytes are served by a view, and the clean file still loads.
			if err := dst.ViewBuffer(file, uint(len(file))); err != nil {
				t.Fatalf("%v %s: ViewBuffer: %v", q, v.name, err)
			}
			if err := dst.LoadBuffer(img, uint(len(img))); err != nil {
				t.Fatalf("%v: LoadBuffer of the clean image: %v", q, err)
			}
			if got, _ := dst.Len(); got != n {
				t.Fatalf("%v: clean image loaded %d vectors, want %d", q, got, n)
			}
		}
	}
}

// A removed entry's vector is never returned, only walked through: Load keeps the file
// (upstream, which does not check inputs, may have stored NaN there) and zeroes the vector.
func TestLoadZeroesNonFiniteRemovedVector(t *testing.T) {
	const n, dims, removed = 150, 8, 33
	r := rand.New(rand.NewSource(21))
	vecs := uniformVectors(r, n, dims)
	src := newFilled(t, usearch.IndexConfig{Dimensions: dims, Metric: usearch.L2sq, Quantization: usearch.F32}, vecs)
	// The removed entry's record keeps its slot under the tombstone key.
	row, _ := rowOfKey(t, imageOf(t, src), removed)
	if err := src.Remove(removed); err != nil {
		t.Fatal(err)
	}
	img := imageOf(t, src)
	off := 8 + row*dims*4
	for d := range dims {
		binary.LittleEndian.PutUint32(img[off+4*d:], 0x7FC00000) // NaN
	}
	dst := newFilled(t, usearch.IndexConfig{Dimensions: dims, Metric: usearch.L2sq, Quantization: usearch.F32}, nil)
	if err := dst.LoadBuffer(img, uint(len(img))); err != nil {
		t.Fatalf("LoadBuffer with a NaN vector in a removed slot: %v", err)
	}
	if got, _ := dst.Len(); got != n-1 {
		t.Fatalf("Len = %d, want %d", got, n-1)
	}
	for _, query := range uniformVectors(r, 10, dims) {
		keys, dists, err := dst.SearchExact(query, n)
		if err != nil {
			t.Fatal(err)
		}
		wantKeys, wantDists, err := src.SearchExact(query, n)
		if err != nil {
			t.Fatal(err)
		}
		if !equalKeys(keys, wantKeys) || !equalDists(dists, wantDists) {
			t.Fatalf("exact search after the load differs from the saved index's:\n got %v %v\nwant %v %v", keys, dists, wantKeys, wantDists)
		}
		keys, dists, err = dst.Search(query, 10)
		if err != nil {
			t.Fatal(err)
		}
		checkRanked(t, "Search", keys, dists, removed, wantDistances(wantKeys, wantDists), false)
	}
	// Saving it again writes zeros where the NaN were.
	again := imageOf(t, dst)
	for d := range dims {
		if x := binary.LittleEndian.Uint32(again[off+4*d:]); x != 0 {
			t.Fatalf("re-saved removed vector element %d = %#x, want 0", d, x)
		}
	}
}

func equalDists(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func wantDistances(keys []usearch.Key, dists []float32) map[usearch.Key]float32 {
	m := make(map[usearch.Key]float32, len(keys))
	for i, k := range keys {
		m[k] = dists[i]
	}
	return m
}

// checkRanked checks one result list of a view holding the poisoned key bad: distances
// ascend; every other key has the distance the clean index gives it (want, from an exact
// search there); bad, if returned, is at +Inf, so behind every finite one. With mustHold,
// bad must be returned (a search that lists every entry).
func checkRanked(t testing.TB, what string, keys []usearch.Key, dists []float32, bad usearch.Key, want map[usearch.Key]float32, mustHold bool) {
	t.Helper()
	held := false
	for i, k := range keys {
		d := dists[i]
		if i > 0 && !(dists[i-1] <= d) {
			t.Fatalf("%s: distances not ascending at %d: %v then %v (keys %v, distances %v)", what, i, dists[i-1], d, keys, dists)
		}
		if k == bad {
			held = true
			if !math.IsInf(float64(d), 1) {
				t.Fatalf("%s: poisoned key %d at position %d with distance %v, want +Inf", what, k, i, d)
			}
			continue
		}
		w, ok := want[k]
		if !ok {
			t.Fatalf("%s: key %d is not in the index", what, k)
		}
		if math.Abs(float64(d-w)) > 1e-5*math.Max(1, math.Abs(float64(w))) {
			t.Fatalf("%s: key %d at distance %v, the clean index says %v", what, k, d, w)
		}
	}
	if mustHold && !held {
		t.Fatalf("%s: poisoned key %d missing from a search over every entry (keys %v)", what, bad, keys)
	}
}

func TestViewRanksNonFiniteLast(t *testing.T) {
	const n, dims, bad, queries = 300, 16, 123, 10
	r := rand.New(rand.NewSource(22))
	vecs := uniformVectors(r, n, dims)
	dir := t.TempDir()
	kinds := []usearch.Quantization{usearch.F32, usearch.F64, usearch.F16, usearch.BF16}
	metrics := []usearch.Metric{usearch.Cosine, usearch.L2sq, usearch.InnerProduct}
	for _, q := range kinds {
		for _, m := range metrics {
			conf := usearch.IndexConfig{Dimensions: dims, Metric: m, Quantization: q}
			clean := newFilled(t, conf, vecs)
			img := imageOf(t, clean)
			// Queries: the poisoned entry's own vector, where it would rank first, and
			// others from the data's distribution.
			qs := append([][]float32{vecs[bad]}, uniformVectors(r, queries-1, dims)...)
			wants := make([]map[usearch.Key]float32, len(qs))
			for i, query := range qs {
				keys, dists, err := clean.SearchExact(query, n)
				if err != nil {
					t.Fatal(err)
				}
				wants[i] = wantDistances(keys, dists)
			}
			for vi, v := range nonFiniteValues {
				img, _ := poisoned(t, img, q, bad, (vi*5)%dims, v)
				view := newFilled(t, conf, nil)
				name := fmt.Sprintf("%v/%v/%s", q, m, v.name)
				if vi == 0 {
					path := filepath.Join(dir, strings.ReplaceAll(name, "/", "-")+".usearch")
					if err := os.WriteFile(path, img, 0o644); err != nil {
						t.Fatal(err)
					}
					if err := view.View(path); err != nil {
						t.Fatalf("%s: View: %v", name, err)
					}
				} else if err := view.ViewBuffer(img, uint(len(img))); err != nil {
					t.Fatalf("%s: ViewBuffer: %v", name, err)
				}
				checkViewSearches(t, name, view, qs, wants, bad, n)
			}
		}
	}
}

// checkViewSearches runs every kind of search on a view holding the poisoned key bad.
func checkViewSearches(t *testing.T, name string, view *usearch.Index, qs [][]float32, wants []map[usearch.Key]float32, bad usearch.Key, n int) {
	t.Helper()
	for i, query := range qs {
		for _, limit := range []uint{10, uint(n)} {
			keys, dists, err := view.Search(query, limit)
			if err != nil {
				t.Fatal(err)
			}
			checkRanked(t, fmt.Sprintf("%s: Search(query %d, %d)", name, i, limit), keys, dists, bad, wants[i], false)
		}
		keys, dists, err := view.SearchExact(query, uint(n))
		if err != nil {
			t.Fatal(err)
		}
		checkRanked(t, fmt.Sprintf("%s: SearchExact(query %d)", name, i), keys, dists, bad, wants[i], true)
		if len(keys) != n || keys[n-1] != bad {
			t.Fatalf("%s: SearchExact over all %d entries returned %d, last %d; want the poisoned %d last", name, n, len(keys), keys[len(keys)-1], bad)
		}
		odd := func(k usearch.Key) bool { return k%2 == 1 }
		for _, limit := range []uint{10, uint(n)} {
			keys, dists, err = view.FilteredSearch(query, limit, odd)
			if err != nil {
				t.Fatal(err)
			}
			checkRanked(t, fmt.Sprintf("%s: FilteredSearch(query %d, %d)", name, i, limit), keys, dists, bad, wants[i], limit == uint(n))
		}
	}
	flat := make([]float32, 0, len(qs)*len(qs[0]))
	for _, query := range qs {
		flat = append(flat, query...)
	}
	for _, exact := range []bool{false, true} {
		for _, limit := range []uint{10, uint(n)} {
			m, err := view.SearchBatch(context.Background(), flat, limit, &usearch.BatchOptions{Exact: exact})
			if err != nil {
				t.Fatal(err)
			}
			for i := range qs {
				keys, dists := m.At(i)
				checkRanked(t, fmt.Sprintf("%s: SearchBatch(exact %v, query %d, %d)", name, exact, i, limit), keys, dists, bad, wants[i], exact && limit == uint(n))
			}
		}
	}
}

// Changing a view's metric keeps non-finite distances at +Inf.
func TestViewKeepsNonFiniteGuardAcrossMetricChange(t *testing.T) {
	const n, dims, bad = 200, 8, 17
	r := rand.New(rand.NewSource(23))
	vecs := uniformVectors(r, n, dims)
	conf := usearch.IndexConfig{Dimensions: dims, Metric: usearch.Cosine, Quantization: usearch.F32}
	clean := newFilled(t, conf, vecs)
	img, _ := poisoned(t, imageOf(t, clean), usearch.F32, bad, 0, nonFiniteValues[1])
	view := newFilled(t, conf, nil)
	if err := view.ViewBuffer(img, uint(len(img))); err != nil {
		t.Fatal(err)
	}
	if err := view.ChangeMetricKind(usearch.InnerProduct); err != nil {
		t.Fatal(err)
	}
	if err := clean.ChangeMetricKind(usearch.InnerProduct); err != nil {
		t.Fatal(err)
	}
	// Under the inner product the +Inf element gives 1 - (+Inf) = -Inf wherever the query
	// is positive there: without the guard the poisoned entry would rank first.
	for _, query := range append([][]float32{vecs[bad]}, uniformVectors(r, 5, dims)...) {
		query[0] = float32(math.Abs(float64(query[0]))) + 0.1
		keys, dists, err := clean.SearchExact(query, n)
		if err != nil {
			t.Fatal(err)
		}
		want := wantDistances(keys, dists)
		keys, dists, err = view.SearchExact(query, n)
		if err != nil {
			t.Fatal(err)
		}
		checkRanked(t, "SearchExact after ChangeMetricKind", keys, dists, bad, want, true)
		keys, dists, err = view.Search(query, 10)
		if err != nil {
			t.Fatal(err)
		}
		checkRanked(t, "Search after ChangeMetricKind", keys, dists, bad, want, false)
	}
}
