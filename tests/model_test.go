//go:build cgo

package tests

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
)

// The model-checked API test: random sequences of calls on an Index, each checked against a
// plain Go model (a map from key to the vector as stored, plus brute force). After every step
// the index must agree with the model on membership and counts and on one vector read back;
// searches are checked where they are run: exact ones equal the model's brute force (ties
// and rounding handled), HNSW ones return only live keys with the model's distances, and
// their recall summed over the run stays above a floor. Two reader goroutines search and
// iterate the whole time (run it with -race).
//
// Reproduce with USEARCH_MODEL_SEED=<seed printed on failure>; USEARCH_MODEL_RUNS and
// USEARCH_MODEL_OPS set the number of sequences and their length. A failing sequence is shrunk
// (delta debugging over the list of operations) before it is reported.

type modelOpKind int

const (
	mAdd modelOpKind = iota
	mAddBatch
	mRemove
	mRename
	mSearch
	mSearchBatch
	mFiltered
	mExact
	mGet
	mKeys
	mSaveLoad
	mSaveView
	mBufferLoad
	mClear
	mCompact
	mClone
	mOpKinds
)

var modelOpNames = [...]string{"Add", "AddBatch", "Remove", "Rename", "Search", "SearchBatch", "FilteredSearch",
	"SearchExact", "Get", "Keys", "Save+Load", "Save+View", "SaveBuffer+Load/ViewBuffer", "Clear", "Compact", "Clone"}

// modelWeights: how often each operation is drawn (Clear rarely, or the index stays small).
var modelWeights = [mOpKinds]int{mAdd: 30, mAddBatch: 6, mRemove: 12, mRename: 5, mSearch: 10, mSearchBatch: 4,
	mFiltered: 6, mExact: 6, mGet: 5, mKeys: 2, mSaveLoad: 2, mSaveView: 2, mBufferLoad: 1, mClear: 1, mCompact: 3,
	mClone: 2}

// modelOp is one operation. Its arguments are random numbers resolved against the model when
// it runs (a key to remove is "the a-th live key"), so that any sub-list of a sequence is
// itself a valid sequence: that is what lets the shrinker drop operations freely.
type modelOp struct {
	kind modelOpKind
	a, b uint64
}

func (o modelOp) String() string { return fmt.Sprintf("%s(%d,%d)", modelOpNames[o.kind], o.a, o.b) }

// modelConfig is one sequence's index configuration and data distribution.
type modelConfig struct {
	seed     uint64
	conf     usearch.IndexConfig
	keySpace uint64
	centers  [][]float32
}

func newModelConfig(seed uint64) modelConfig {
	r := rand.New(rand.NewPCG(seed, 1))
	dims := 4 + r.IntN(21)
	c := usearch.IndexConfig{
		Quantization: []usearch.Quantization{usearch.F32, usearch.F16, usearch.BF16, usearch.F64}[r.IntN(4)],
		Metric:       []usearch.Metric{usearch.L2sq, usearch.Cosine, usearch.InnerProduct}[r.IntN(3)],
		Dimensions:   uint(dims),
		Connectivity: uint(4 + r.IntN(13)),
	}
	mc := modelConfig{seed: seed, conf: c, keySpace: uint64(100 + r.IntN(300))}
	for range 5 {
		center := make([]float32, dims)
		for i := range center {
			center[i] = float32(r.NormFloat64() * 2)
		}
		mc.centers = append(mc.centers, center)
	}
	return mc
}

// vector draws a vector from the clustered distribution of the data (queries come from the
// same one). Inner product gets unit vectors, the setting it is meant for.
func (mc *modelConfig) vector(a, b uint64) []float32 {
	r := rand.New(rand.NewPCG(a, b^0x5bd1e995))
	center := mc.centers[r.IntN(len(mc.centers))]
	v := make([]float32, len(center))
	var norm float64
	for i := range v {
		v[i] = center[i] + float32(r.NormFloat64()*0.5)
		norm += float64(v[i]) * float64(v[i])
	}
	if mc.conf.Metric == usearch.InnerProduct {
		for i := range v {
			v[i] = float32(float64(v[i]) / math.Sqrt(norm))
		}
	}
	return v
}

// stored is what the index keeps of v: each element rounded to the storage kind.
func (mc *modelConfig) stored(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		switch mc.conf.Quantization {
		case usearch.F16:
			out[i] = usearch.Float16From(x).Float32()
		case usearch.BF16:
			out[i] = usearch.BFloat16From(x).Float32()
		default:
			out[i] = x
		}
	}
	return out
}

func (mc *modelConfig) distance(a, b []float32) float64 {
	var dot, na, nb, l2 float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
		l2 += (x - y) * (x - y)
	}
	switch mc.conf.Metric {
	case usearch.L2sq:
		return l2
	case usearch.InnerProduct:
		return 1 - dot
	default:
		if na == 0 || nb == 0 {
			return 1
		}
		return 1 - dot/math.Sqrt(na*nb)
	}
}

// tolerance bounds the difference between the core's distance (SIMD, the storage kind's
// arithmetic, float32 results) and the model's (float64 over the same stored values).
func (mc *modelConfig) tolerance(d float64) float64 { return 1e-3 * (1 + math.Abs(d)) }

// modelRun is the state of one sequence being executed.
type modelRun struct {
	t        testing.TB
	mc       *modelConfig
	idx      *usearch.Index
	cur      atomic.Pointer[usearch.Index] // what the readers search
	model    map[usearch.Key][]float32
	readOnly bool
	dir      string
	files    int
	pinned   [][]byte // buffers a view reads
	hits     float64  // recall of HNSW searches: hits / wanted, summed over the run
	wanted   float64
	counts   [mOpKinds]int
}

func (r *modelRun) live() []usearch.Key {
	keys := make([]usearch.Key, 0, len(r.model))
	for k := range r.model {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// pickLive returns the a-th live key, or a key from the key space when the model is empty
// or b says so (absent keys must be handled too).
func (r *modelRun) pick(a, b uint64) usearch.Key {
	if keys := r.live(); len(keys) > 0 && b%4 != 0 {
		return keys[a%uint64(len(keys))]
	}
	return usearch.Key(a % r.mc.keySpace)
}

// ranked is the model's brute-force answer for q among the keys keep accepts.
// The query is rounded to the storage kind first, as the core does.
func (r *modelRun) ranked(q []float32, keep func(usearch.Key) bool) (keys []usearch.Key, dist map[usearch.Key]float64) {
	dist = make(map[usearch.Key]float64, len(r.model))
	q = r.mc.stored(q)
	for k, v := range r.model {
		if keep == nil || keep(k) {
			dist[k] = r.mc.distance(q, v)
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b usearch.Key) int {
		if dist[a] != dist[b] {
			if dist[a] < dist[b] {
				return -1
			}
			return 1
		}
		return int(a) - int(b)
	})
	return keys, dist
}

// checkResults checks what every search result must satisfy: live keys (passing keep), each
// once, distances ascending and equal to the model's. It returns the model's threshold: the
// distance of the limit-th nearest accepted key (+Inf when fewer exist).
func (r *modelRun) checkResults(what string, q []float32, limit int, keys []usearch.Key, dists []float32,
	keep func(usearch.Key) bool, exact bool) error {
	order, md := r.ranked(q, keep)
	want := min(limit, len(order))
	if len(keys) != len(dists) || len(keys) > limit {
		return fmt.Errorf("%s: %d keys, %d distances for limit %d", what, len(keys), len(dists), limit)
	}
	if exact && len(keys) != want {
		return fmt.Errorf("%s: %d results, the model has %d", what, len(keys), want)
	}
	seen := map[usearch.Key]bool{}
	for i, k := range keys {
		d, ok := md[k]
		if !ok {
			return fmt.Errorf("%s: result %d is key %d, which is not live (or refused by the filter)", what, i, k)
		}
		if seen[k] {
			return fmt.Errorf("%s: key %d returned twice", what, k)
		}
		seen[k] = true
		if math.Abs(float64(dists[i])-d) > r.mc.tolerance(d) {
			return fmt.Errorf("%s: key %d at distance %g, the model says %g", what, k, dists[i], d)
		}
		if i > 0 && dists[i] < dists[i-1] {
			return fmt.Errorf("%s: distances not ascending at %d: %g after %g", what, i, dists[i], dists[i-1])
		}
	}
	if want == 0 {
		return nil
	}
	threshold := md[order[want-1]]
	tol := 2 * r.mc.tolerance(threshold)
	hits := 0
	for _, k := range keys {
		if md[k] <= threshold+tol {
			hits++
		} else if exact {
			return fmt.Errorf("%s: key %d at %g is beyond the model's %d-th distance %g", what, k, md[k], want, threshold)
		}
	}
	if exact {
		// Ties: every key clearly nearer than the threshold must be there.
		for _, k := range order[:want] {
			if md[k] < threshold-tol && !seen[k] {
				return fmt.Errorf("%s: key %d at %g missing (threshold %g)", what, k, md[k], threshold)
			}
		}
		return nil
	}
	r.hits += float64(hits)
	r.wanted += float64(want)
	return nil
}

// checkState runs after every step: counts, membership, one vector read back.
func (r *modelRun) checkState(step uint64) error {
	n, err := r.idx.Len()
	if err != nil {
		return fmt.Errorf("Len: %w", err)
	}
	if int(n) != len(r.model) {
		return fmt.Errorf("Len = %d, the model holds %d", n, len(r.model))
	}
	got := map[usearch.Key]bool{}
	for k := range r.idx.Keys() {
		if got[k] {
			return fmt.Errorf("Keys yielded %d twice", k)
		}
		if _, ok := r.model[k]; !ok {
			return fmt.Errorf("Keys yielded %d, which is not in the model", k)
		}
		got[k] = true
	}
	if len(got) != len(r.model) {
		return fmt.Errorf("Keys yielded %d keys, the model holds %d", len(got), len(r.model))
	}
	for _, k := range []usearch.Key{r.pick(step, 1), usearch.Key(step % r.mc.keySpace)} {
		in, err := r.idx.Contains(k)
		if err != nil {
			return fmt.Errorf("Contains(%d): %w", k, err)
		}
		want, ok := r.model[k]
		if in != ok {
			return fmt.Errorf("Contains(%d) = %v, the model says %v", k, in, ok)
		}
		v, err := r.idx.Get(k, 1)
		if err != nil {
			return fmt.Errorf("Get(%d): %w", k, err)
		}
		if !ok {
			if v != nil {
				return fmt.Errorf("Get(%d) of an absent key returned %v", k, v)
			}
			continue
		}
		if !slices.Equal(v, want) {
			return fmt.Errorf("Get(%d) = %v, stored %v", k, v, want)
		}
	}
	return nil
}

// expectWrite checks a write's error against what the model expects: ErrReadOnly on a view,
// else wantErr (nil or a sentinel). It reports whether the write took effect.
func (r *modelRun) expectWrite(what string, err, wantErr error) (applied bool, _ error) {
	if r.readOnly {
		// A call that is wrong in itself (a duplicate key) may be refused for that first.
		if wantErr != nil && errors.Is(err, wantErr) {
			return false, nil
		}
		wantErr = usearch.ErrReadOnly
	}
	switch {
	case wantErr == nil && err != nil:
		return false, fmt.Errorf("%s: %w", what, err)
	case wantErr != nil && !errors.Is(err, wantErr):
		return false, fmt.Errorf("%s: got error %v, want %v", what, err, wantErr)
	}
	return wantErr == nil, nil
}

func (r *modelRun) step(o modelOp) error {
	r.counts[o.kind]++
	mc := r.mc
	ctx := context.Background()
	switch o.kind {
	case mAdd:
		key := usearch.Key(o.a % mc.keySpace)
		v := mc.vector(o.a, o.b)
		var want error
		if _, ok := r.model[key]; ok {
			want = usearch.ErrDuplicateKey
		}
		ok, err := r.expectWrite(fmt.Sprintf("Add(%d)", key), r.idx.Add(key, v), want)
		if ok {
			r.model[key] = mc.stored(v)
		}
		return err
	case mAddBatch:
		rr := rand.New(rand.NewPCG(o.a, o.b))
		rows := 1 + rr.IntN(16)
		keys := make([]usearch.Key, 0, rows)
		taken := map[usearch.Key]bool{}
		start := rr.Uint64N(mc.keySpace)
		for i := range mc.keySpace { // the first free keys from a random start
			k := usearch.Key((start + i) % mc.keySpace)
			if _, ok := r.model[k]; !ok && !taken[k] {
				keys = append(keys, k)
				taken[k] = true
			}
			if len(keys) == rows {
				break
			}
		}
		var want error
		if len(keys) > 0 && rr.IntN(5) == 0 { // one bad row: a repeated or present key
			want = usearch.ErrDuplicateKey
			if present := r.live(); len(present) > 0 && rr.IntN(2) == 0 {
				keys[rr.IntN(len(keys))] = present[rr.IntN(len(present))]
			} else {
				keys = append(keys, keys[0])
			}
		}
		vecs := make([]float32, 0, len(keys)*int(mc.conf.Dimensions))
		for i := range keys {
			vecs = append(vecs, mc.vector(o.a+uint64(i)*7919, o.b)...)
		}
		err := r.idx.AddBatch(ctx, keys, vecs, &usearch.BatchOptions{Threads: 1 + rr.IntN(3)})
		if len(keys) == 0 { // an empty batch is a no-op, accepted even on a view
			if err != nil && !errors.Is(err, usearch.ErrReadOnly) {
				return fmt.Errorf("empty AddBatch: %w", err)
			}
			return nil
		}
		ok, err := r.expectWrite(fmt.Sprintf("AddBatch(%v)", keys), err, want)
		if ok {
			for i, k := range keys {
				r.model[k] = mc.stored(vecs[i*int(mc.conf.Dimensions) : (i+1)*int(mc.conf.Dimensions)])
			}
		}
		return err
	case mRemove:
		key := r.pick(o.a, o.b)
		ok, err := r.expectWrite(fmt.Sprintf("Remove(%d)", key), r.idx.Remove(key), nil)
		if ok {
			delete(r.model, key)
		}
		return err
	case mRename:
		from, to := r.pick(o.a, o.b), usearch.Key(o.b%mc.keySpace)
		_, has := r.model[from]
		_, taken := r.model[to]
		var want error
		if taken && from != to { // documented: whether or not from is present
			want = usearch.ErrDuplicateKey
		}
		err := r.idx.Rename(from, to)
		if from == to {
			// Renaming a key to itself is a no-op the core accepts even on a view.
			if err != nil && !errors.Is(err, usearch.ErrDuplicateKey) && !errors.Is(err, usearch.ErrReadOnly) {
				return fmt.Errorf("Rename(%d, %d): %w", from, to, err)
			}
			return nil
		}
		ok, err := r.expectWrite(fmt.Sprintf("Rename(%d, %d)", from, to), err, want)
		if ok && has && from != to {
			r.model[to] = r.model[from]
			delete(r.model, from)
		}
		return err
	case mSearch, mExact, mFiltered:
		q := mc.vector(o.a, o.b^1)
		limit := 1 + int(o.b%20)
		var keys []usearch.Key
		var dists []float32
		var err error
		var keep func(usearch.Key) bool
		switch o.kind {
		case mSearch:
			keys, dists, err = r.idx.Search(q, uint(limit))
		case mExact:
			keys, dists, err = r.idx.SearchExact(q, uint(limit))
		default:
			mod, rem := usearch.Key(2+o.a%3), usearch.Key(o.b%2)
			keep = func(k usearch.Key) bool { return k%mod == rem }
			keys, dists, err = r.idx.FilteredSearch(q, uint(limit), keep)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", modelOpNames[o.kind], err)
		}
		return r.checkResults(modelOpNames[o.kind], q, limit, keys, dists, keep, o.kind == mExact)
	case mSearchBatch:
		n := 1 + int(o.a%4)
		limit := 1 + int(o.b%12)
		qs := make([]float32, 0, n*int(mc.conf.Dimensions))
		for i := range n {
			qs = append(qs, mc.vector(o.a+uint64(i), o.b^2)...)
		}
		exact := o.b%3 == 0
		m, err := r.idx.SearchBatch(ctx, qs, uint(limit), &usearch.BatchOptions{Exact: exact, Threads: 1 + int(o.a%2)})
		if err != nil {
			return fmt.Errorf("SearchBatch: %w", err)
		}
		if m.Len() != n {
			return fmt.Errorf("SearchBatch: %d rows for %d queries", m.Len(), n)
		}
		d := int(mc.conf.Dimensions)
		for i := range n {
			keys, dists := m.At(i)
			if err := r.checkResults(fmt.Sprintf("SearchBatch row %d (exact %v)", i, exact), qs[i*d:(i+1)*d], limit,
				keys, dists, nil, exact); err != nil {
				return err
			}
		}
		return nil
	case mGet:
		key := r.pick(o.a, o.b)
		v, err := r.idx.Get(key, 1+uint(o.b%3))
		if err != nil {
			return fmt.Errorf("Get(%d): %w", key, err)
		}
		if want, ok := r.model[key]; !ok && v != nil || ok && !slices.Equal(v, want) {
			return fmt.Errorf("Get(%d) = %v, the model holds %v", key, v, want)
		}
		return nil
	case mKeys:
		// All: every vector once, as stored.
		n := 0
		for k, v := range r.idx.All() {
			n++
			if want, ok := r.model[k]; !ok || !slices.Equal(v, want) {
				return fmt.Errorf("All yielded %d -> %v, the model holds %v", k, v, want)
			}
		}
		if n != len(r.model) {
			return fmt.Errorf("All yielded %d vectors, the model holds %d", n, len(r.model))
		}
		return nil
	case mSaveLoad, mSaveView:
		r.files++
		path := filepath.Join(r.dir, fmt.Sprintf("m%d.usearch", r.files))
		if err := r.idx.Save(path); err != nil {
			return fmt.Errorf("Save: %w", err)
		}
		if o.kind == mSaveLoad {
			if err := r.idx.Load(path); err != nil {
				return fmt.Errorf("Load: %w", err)
			}
			r.readOnly = false
			return nil
		}
		if err := r.idx.View(path); err != nil {
			return fmt.Errorf("View: %w", err)
		}
		r.readOnly = true
		return nil
	case mBufferLoad:
		n, err := r.idx.SerializedLength()
		if err != nil {
			return fmt.Errorf("SerializedLength: %w", err)
		}
		buf := make([]byte, n)
		if err := r.idx.SaveBuffer(buf, n); err != nil {
			return fmt.Errorf("SaveBuffer: %w", err)
		}
		if o.a%2 == 0 {
			r.readOnly = false
			if err := r.idx.LoadBuffer(buf, n); err != nil {
				return fmt.Errorf("LoadBuffer: %w", err)
			}
			return nil
		}
		r.pinned = append(r.pinned, buf)
		r.readOnly = true
		if err := r.idx.ViewBuffer(buf, n); err != nil {
			return fmt.Errorf("ViewBuffer: %w", err)
		}
		return nil
	case mClear:
		if err := r.idx.Clear(); err != nil {
			return fmt.Errorf("Clear: %w", err)
		}
		clear(r.model)
		r.readOnly = false // a cleared view is an empty in-memory index
		return nil
	case mCompact:
		_, err := r.expectWrite("Compact", r.idx.Compact(ctx), nil)
		if err != nil || r.readOnly {
			return err
		}
		st, err := r.idx.Stats()
		if err != nil {
			return fmt.Errorf("Stats: %w", err)
		}
		if st.Removed != 0 || int(st.Nodes) != len(r.model) {
			return fmt.Errorf("after Compact: %d nodes, %d removed; the model holds %d", st.Nodes, st.Removed, len(r.model))
		}
		return nil
	case mClone:
		c, err := r.idx.Clone()
		if err != nil {
			return fmt.Errorf("Clone: %w", err)
		}
		if n, _ := c.Len(); int(n) != len(r.model) {
			c.Close()
			return fmt.Errorf("Clone holds %d, the model %d", n, len(r.model))
		}
		if o.a%2 == 0 { // go on with the clone; it owns its memory and is writable
			old := r.idx
			r.idx = c
			r.cur.Store(c)
			r.readOnly = false
			return old.Close()
		}
		// Independence: a key added to the clone does not appear in the original.
		key := usearch.Key(o.b % mc.keySpace)
		if _, ok := r.model[key]; !ok {
			if err := c.Add(key, mc.vector(o.b, o.a)); err != nil {
				c.Close()
				return fmt.Errorf("Add to a clone: %w", err)
			}
			if in, _ := r.idx.Contains(key); in {
				c.Close()
				return fmt.Errorf("key %d added to a clone appeared in the original", key)
			}
		}
		return c.Close()
	}
	return fmt.Errorf("unknown op %d", o.kind)
}

// recallFloor is the least HNSW recall over a run's searches (summed); small indexes searched
// with ExpansionSearch >= 64 give about 0.99.
const recallFloor = 0.85

// runModel executes ops on a fresh index with concurrent readers and returns the first
// failure, with the index of the op that failed (-1 for the end-of-run recall check).
func runModel(t testing.TB, mc *modelConfig, ops []modelOp, readers int) (int, error, *modelRun) {
	idx, err := usearch.NewIndex(mc.conf)
	if err != nil {
		t.Fatalf("NewIndex(%+v): %v", mc.conf, err)
	}
	r := &modelRun{t: t, mc: mc, idx: idx, model: map[usearch.Key][]float32{}, dir: t.TempDir()}
	r.cur.Store(idx)
	var stop atomic.Bool
	var wg sync.WaitGroup
	readerErr := make(chan error, readers)
	for g := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			readerErr <- modelReader(mc, &r.cur, &stop, uint64(g))
		}()
	}
	fail := func(i int, err error) (int, error, *modelRun) {
		stop.Store(true)
		wg.Wait()
		r.idx.Close()
		return i, err, r
	}
	for i, o := range ops {
		if err := r.step(o); err != nil {
			return fail(i, err)
		}
		if err := r.checkState(uint64(i)); err != nil {
			return fail(i, fmt.Errorf("after %v: %w", o, err))
		}
	}
	stop.Store(true)
	wg.Wait()
	close(readerErr)
	for err := range readerErr {
		if err != nil {
			return fail(len(ops)-1, fmt.Errorf("concurrent reader: %w", err))
		}
	}
	if r.wanted >= 50 && r.hits/r.wanted < recallFloor {
		return fail(-1, fmt.Errorf("HNSW recall %.3f over %d searched results is below %.2f", r.hits/r.wanted, int(r.wanted), recallFloor))
	}
	return fail(len(ops), nil)
}

// modelReader searches and iterates whatever index is current until stop, checking what holds
// whatever the writer does meanwhile: results well-formed, keys never twice.
func modelReader(mc *modelConfig, cur *atomic.Pointer[usearch.Index], stop *atomic.Bool, g uint64) error {
	for i := uint64(0); !stop.Load(); i++ {
		idx := cur.Load()
		keys, dists, err := idx.Search(mc.vector(i, g^0xabc), 10)
		if errors.Is(err, usearch.ErrClosed) {
			continue // the writer switched to a clone and closed this one
		}
		if err != nil {
			return fmt.Errorf("Search: %w", err)
		}
		if len(keys) != len(dists) || len(keys) > 10 {
			return fmt.Errorf("Search: %d keys, %d distances", len(keys), len(dists))
		}
		for j := 1; j < len(dists); j++ {
			if dists[j] < dists[j-1] {
				return fmt.Errorf("Search: distances not ascending: %v", dists)
			}
		}
		if i%8 == 0 {
			seen := map[usearch.Key]bool{}
			for k := range idx.Keys() {
				if seen[k] {
					return fmt.Errorf("Keys yielded %d twice", k)
				}
				seen[k] = true
			}
		}
	}
	return nil
}

func genModelOps(seed uint64, n int) []modelOp {
	r := rand.New(rand.NewPCG(seed, 2))
	total := 0
	for _, w := range modelWeights {
		total += w
	}
	ops := make([]modelOp, n)
	for i := range ops {
		x := r.IntN(total)
		k := modelOpKind(0)
		for ; x >= modelWeights[k]; k++ {
			x -= modelWeights[k]
		}
		ops[i] = modelOp{kind: k, a: r.Uint64(), b: r.Uint64()}
	}
	return ops
}

// shrinkModel reduces a failing sequence by delta debugging: it drops chunks of operations,
// halving the chunk size, as long as what is left still fails. Readers are off, so the
// failure it keeps is the sequential one.
func shrinkModel(t testing.TB, mc *modelConfig, ops []modelOp, budget time.Duration) []modelOp {
	deadline := time.Now().Add(budget)
	fails := func(ops []modelOp) bool {
		_, err, _ := runModel(t, mc, ops, 0)
		return err != nil
	}
	for chunk := len(ops) / 2; chunk >= 1 && time.Now().Before(deadline); {
		removed := false
		for start := 0; start < len(ops) && time.Now().Before(deadline); {
			cand := append(slices.Clone(ops[:start]), ops[min(start+chunk, len(ops)):]...)
			if len(cand) < len(ops) && fails(cand) {
				ops, removed = cand, true
				continue
			}
			start += chunk
		}
		if !removed {
			chunk /= 2
		}
	}
	return ops
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func TestModelChecked(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("USEARCH_MODEL_SEED"), 10, 64); err == nil {
		seed = s
	}
	runs, length := envInt("USEARCH_MODEL_RUNS", 8), envInt("USEARCH_MODEL_OPS", 300)
	if testing.Short() {
		runs = min(runs, 3)
	}
	var counts [mOpKinds]int
	var hits, wanted float64
	for run := range runs {
		s := seed + uint64(run)
		mc := newModelConfig(s)
		ops := genModelOps(s, length)
		at, err, r := runModel(t, &mc, ops, 2)
		for k, n := range r.counts {
			counts[k] += n
		}
		hits += r.hits
		wanted += r.wanted
		if err == nil {
			continue
		}
		t.Errorf("USEARCH_MODEL_SEED=%d (run %d, config %+v): op %d: %v", seed, run, mc.conf, at, err)
		end := len(ops)
		if at >= 0 {
			end = at + 1
		}
		small := shrinkModel(t, &mc, ops[:end], 20*time.Second)
		_, serr, _ := runModel(t, &mc, small, 0)
		var b strings.Builder
		for i, o := range small {
			fmt.Fprintf(&b, "\n  %2d %v", i, o)
		}
		t.Fatalf("shrunk to %d ops, failing with: %v%s", len(small), serr, b.String())
	}
	var b strings.Builder
	total := 0
	for k, n := range counts {
		total += n
		fmt.Fprintf(&b, " %s=%d", modelOpNames[k], n)
	}
	t.Logf("seed %d: %d sequences, %d ops (%s), HNSW recall %.4f over %d results", seed, runs, total, b.String()[1:],
		hits/max(wanted, 1), int(wanted))
}
