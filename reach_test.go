//go:build cgo

package usearch

import (
	"context"
	"math"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every live vector must be findable (issue 20, point 2): a vector that Len counts and Get
// returns but that no search returns is silently lost. These tests build indexes the way
// that used to strand vectors (tightly clustered data, concurrent writers with removals and
// re-adds that reuse slots, Compact) and search every live vector for itself.
//
// Findable means: a search for the key's own vector returns the key. Ties are handled: the
// self-distance (the metric of the vector with itself, 0 up to rounding for cosine) is the
// smallest any key can have, so a key that is not returned is only excused when the search
// returned as many results as it asked for and every one of them is at most the
// self-distance away, i.e. the key was crowded out by exact or rounding-level duplicates.
// Any missing key with room left in the results is a failure. A search first runs at the
// default beam (cheap, conclusive when it finds the key); the rest are searched again at a
// beam of reachBeam returning reachBeam results. Beside the searches, the core walks level 0
// from the entry point (usearchx_reach, csrc/reach.hpp) and counts live nodes the walk never
// meets and live nodes no level-0 list names: both must be zero.

const (
	reachDims    = 32
	reachBeam    = 512
	reachCentres = 64
)

// reachSeed is the base seed, from USEARCH_REACH_SEED when set (to replay a logged failure),
// else the clock, so that every run tries new data.
func reachSeed(t *testing.T) int64 {
	if s := os.Getenv("USEARCH_REACH_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("USEARCH_REACH_SEED=%q: want an integer: %v", s, err)
		}
		return v
	}
	return time.Now().UnixNano()
}

// reachConnectivity is the index connectivity, from USEARCH_REACH_CONNECTIVITY when set:
// lower values (8, 4) make stranded vectors far more frequent than the default, so a change
// to linking or pruning can be judged in one run instead of ten.
func reachConnectivity(t *testing.T) uint {
	if s := os.Getenv("USEARCH_REACH_CONNECTIVITY"); s != "" {
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil || v < 2 {
			t.Fatalf("USEARCH_REACH_CONNECTIVITY=%q: want an integer >= 2", s)
		}
		return uint(v)
	}
	return 0
}

// clusters draws vectors around reachCentres random directions with a small spread: many
// near neighbors that the pruning heuristic considers redundant, which is what strands nodes.
type clusters struct {
	centres [][]float32
	spread  float64
}

func newClusters(r *rand.Rand, spread float64) *clusters {
	c := &clusters{spread: spread}
	for i := 0; i < reachCentres; i++ {
		v := make([]float32, reachDims)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		c.centres = append(c.centres, v)
	}
	return c
}

func (c *clusters) draw(r *rand.Rand) []float32 {
	centre := c.centres[r.Intn(len(c.centres))]
	v := make([]float32, reachDims)
	var norm float64
	for j := range v {
		norm += float64(centre[j]) * float64(centre[j])
	}
	scale := math.Sqrt(norm / reachDims) // the spread is relative to the centre's scale
	for j := range v {
		v[j] = centre[j] + float32(c.spread*scale*r.NormFloat64())
	}
	return v
}

// reachResult counts the live keys a check could not find.
type reachResult struct {
	live, missing, tied, unreachable, orphans int
}

func (r reachResult) failed() bool { return r.missing > 0 || r.unreachable > 0 || r.orphans > 0 }

// checkFindable searches every key of want (key -> its current vector) for itself. Call it
// while nothing writes to idx.
func checkFindable(t *testing.T, idx *Index, want map[Key][]float32, label string) reachResult {
	t.Helper()
	var res reachResult
	g, err := idx.reach()
	if err != nil {
		t.Fatal(err)
	}
	res.unreachable, res.orphans, res.live = int(g.unreachable), int(g.orphans), int(g.live)
	if n, err := idx.Len(); err != nil || int(n) != len(want) || res.live != len(want) {
		t.Fatalf("%s: Len %d (%v), live nodes %d, want %d", label, n, err, res.live, len(want))
	}
	var hard []Key
	for key, v := range want {
		keys, _, err := idx.Search(v, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !containsKey(keys, key) {
			hard = append(hard, key)
		}
	}
	before, err := idx.ExpansionSearch()
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.ChangeExpansionSearch(reachBeam); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := idx.ChangeExpansionSearch(before); err != nil {
			t.Fatal(err)
		}
	}()
	for _, key := range hard {
		v := want[key]
		keys, dists, err := idx.Search(v, reachBeam)
		if err != nil {
			t.Fatal(err)
		}
		if containsKey(keys, key) {
			continue
		}
		self, err := Distance(v, v, reachDims, Cosine)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == reachBeam && dists[len(dists)-1] <= self {
			res.tied++
			continue
		}
		res.missing++
		if res.missing <= 5 {
			t.Logf("%s: key %d not found at a beam of %d (%d results, nearest %v)", label, key, reachBeam, len(keys), dists[:min(3, len(dists))])
		}
	}
	return res
}

func containsKey(keys []Key, key Key) bool {
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

// TestReachConcurrentInserts: rounds of more writers than cores adding clustered vectors;
// every vector must be findable after the writes and after Compact. Two mechanisms used to
// strand a few (csrc/index.hpp): nodes inserted early in what became a dense cluster lost
// every in-link from it (anchored entries in commit_list keep one), and insertions whose
// search strayed into another cluster were linked only there (strayed, look_wider).
func TestReachConcurrentInserts(t *testing.T) {
	assertFindable(t, reachConcurrent(t, false))
}

// TestReachConcurrentChurn: the same with every writer removing a fifth of what it added
// and adding those keys back with new vectors (so slots are reused while others insert),
// then removing some for good. A reused slot takes its neighborhood's links with it, and
// the in-links its old neighbors keep may all come from far away, so each node its list
// drops is relinked from the nearest node a search for it finds (csrc/index.hpp,
// adopt_reused); the entry point's slot is not reused while a fresh one fits (take_slot).
func TestReachConcurrentChurn(t *testing.T) {
	assertFindable(t, reachConcurrent(t, true))
}

func assertFindable(t *testing.T, total reachResult) {
	t.Helper()
	if total.failed() {
		t.Errorf("%d live vectors checked: %d not found at a beam of %d, %d unreachable from the entry point, %d with no incoming level-0 link (want 0 of each; %d excused as tied)",
			total.live, total.missing, reachBeam, total.unreachable, total.orphans, total.tied)
	}
}

// reachConcurrent runs the rounds of the concurrent tests and sums their checks.
func reachConcurrent(t *testing.T, churn bool) reachResult {
	rounds, perWriter := 12, 3000
	if testing.Short() {
		rounds, perWriter = 10, 600
	}
	writers := max(4, runtime.NumCPU()+2)
	base := reachSeed(t)
	t.Logf("base seed %d (USEARCH_REACH_SEED replays it), %d writers x %d vectors, %d rounds", base, writers, perWriter, rounds)
	var total reachResult
	for round := 0; round < rounds; round++ {
		seed := base + int64(round)*7919
		idx, err := NewIndex(IndexConfig{Dimensions: reachDims, Metric: Cosine, Quantization: F32, Connectivity: reachConnectivity(t)})
		if err != nil {
			t.Fatal(err)
		}
		data := newClusters(rand.New(rand.NewSource(seed)), 0.02+0.08*float64(round%3)/2)
		owned := make([]map[Key][]float32, writers)
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			owned[w] = map[Key][]float32{}
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				r := rand.New(rand.NewSource(seed + int64(w) + 1))
				mine := owned[w]
				first := Key(w * perWriter)
				for i := 0; i < perWriter; i++ {
					key := first + Key(i)
					v := data.draw(r)
					if err := idx.Add(key, v); err != nil {
						errs <- err
						return
					}
					mine[key] = v
					if churn && i%5 == 4 { // a fifth is removed and added back with a new vector
						old := first + Key(r.Intn(i))
						if err := idx.Remove(old); err != nil {
							errs <- err
							return
						}
						v := data.draw(r)
						if err := idx.Add(old, v); err != nil {
							errs <- err
							return
						}
						mine[old] = v
					}
				}
				for i := 0; churn && i < perWriter/20; i++ { // and some leave for good
					old := first + Key(r.Intn(perWriter))
					if _, ok := mine[old]; !ok {
						continue
					}
					if err := idx.Remove(old); err != nil {
						errs <- err
						return
					}
					delete(mine, old)
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		want := map[Key][]float32{}
		for _, m := range owned {
			for k, v := range m {
				want[k] = v
			}
		}
		after := checkFindable(t, idx, want, "round "+strconv.Itoa(round))
		if err := idx.Compact(context.Background()); err != nil {
			t.Fatal(err)
		}
		compacted := checkFindable(t, idx, want, "round "+strconv.Itoa(round)+" compacted")
		t.Logf("round %d seed %d spread %.2f: %d live; after writes %d missing, %d tied, %d unreachable, %d orphans; after Compact %d missing, %d tied, %d unreachable, %d orphans",
			round, seed, data.spread, after.live, after.missing, after.tied, after.unreachable, after.orphans,
			compacted.missing, compacted.tied, compacted.unreachable, compacted.orphans)
		for _, r := range []reachResult{after, compacted} {
			total.live += r.live
			total.missing += r.missing
			total.unreachable += r.unreachable
			total.orphans += r.orphans
			total.tied += r.tied
		}
		idx.Close()
	}
	return total
}

// TestReachSequential: one writer, clustered data from tight to looser: every vector must be
// findable; then removals and re-adds that reuse slots, checked as TestReachConcurrentChurn.
func TestReachSequential(t *testing.T) {
	n := 24000
	if testing.Short() {
		n = 8000
	}
	base := reachSeed(t)
	for i, spread := range []float64{0.02, 0.06, 0.10} {
		seed := base + int64(i)*104729
		t.Logf("seed %d (USEARCH_REACH_SEED=%d replays it), %d vectors, spread %.2f", seed, base, n, spread)
		r := rand.New(rand.NewSource(seed))
		data := newClusters(r, spread)
		idx, err := NewIndex(IndexConfig{Dimensions: reachDims, Metric: Cosine, Quantization: F32, Connectivity: reachConnectivity(t)})
		if err != nil {
			t.Fatal(err)
		}
		want := map[Key][]float32{}
		for i := 0; i < n; i++ {
			v := data.draw(r)
			if err := idx.Add(Key(i), v); err != nil {
				t.Fatal(err)
			}
			want[Key(i)] = v
		}
		built := checkFindable(t, idx, want, "sequential build")
		for i := 0; i < n/5; i++ {
			key := Key(r.Intn(n))
			if err := idx.Remove(key); err != nil {
				t.Fatal(err)
			}
			v := data.draw(r)
			if err := idx.Add(key, v); err != nil {
				t.Fatal(err)
			}
			want[key] = v
		}
		reused := checkFindable(t, idx, want, "sequential slot reuse")
		idx.Close()
		t.Logf("spread %.2f built: %d missing, %d tied, %d unreachable, %d orphans; after reuse: %d missing, %d tied, %d unreachable, %d orphans",
			spread, built.missing, built.tied, built.unreachable, built.orphans, reused.missing, reused.tied, reused.unreachable, reused.orphans)
		if built.failed() || reused.failed() {
			t.Errorf("sequential, spread %.2f: %d/%d missing, %d/%d unreachable, %d/%d orphans after build/reuse (want 0)",
				spread, built.missing, reused.missing, built.unreachable, reused.unreachable, built.orphans, reused.orphans)
		}
	}
}

// BenchmarkReachBuildDistances builds an index of tightly clustered vectors on one goroutine
// with a Go cosine metric that counts its calls, and reports the distances computed per
// insertion (search, neighbor selection, pruning and the repairs that keep every vector
// findable, csrc/index.hpp). The count does not depend on the machine's load, so it compares
// two versions of the core where timings cannot; run with -benchtime=1x. The time per
// insertion it reports is that of a Go metric: measure build time with BenchmarkAdd.
func BenchmarkReachBuildDistances(b *testing.B) {
	const n = 20000
	for i := 0; i < b.N; i++ {
		r := rand.New(rand.NewSource(int64(i) + 1))
		data := newClusters(r, 0.05)
		idx, err := NewIndex(IndexConfig{Dimensions: reachDims, Metric: Cosine, Quantization: F32})
		if err != nil {
			b.Fatal(err)
		}
		var calls atomic.Int64
		err = idx.ChangeMetric(func(x, y []float32) float32 {
			calls.Add(1)
			var dot, nx, ny float64
			for j := range x {
				dot += float64(x[j]) * float64(y[j])
				nx += float64(x[j]) * float64(x[j])
				ny += float64(y[j]) * float64(y[j])
			}
			if nx == 0 || ny == 0 {
				return 1
			}
			return float32(1 - dot/math.Sqrt(nx*ny))
		})
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; k < n; k++ {
			if err := idx.Add(Key(k), data.draw(r)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(calls.Load())/n, "distances/insert")
		idx.Close()
	}
}
