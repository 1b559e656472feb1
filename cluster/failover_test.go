package cluster

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/usearch-go/usearch"
)

// TestFailoverAndRecovery runs 3 shards × 2 replicas. Stopping one replica of every shard
// while queries run leaves every query complete; stopping both replicas of shard 1 makes
// queries partial, naming shard 1; a new replica of shard 1 restores the newest snapshot,
// replays only the tail, and holds exactly what the last replica held.
func TestFailoverAndRecovery(t *testing.T) {
	_, url := startServer(t)
	nc := connect(t, url)
	ctx := ctxFor(t, 120*time.Second)
	const dims, shards = 32, 3
	n := 3000
	if fullSize() {
		n = 100000
	}
	if err := Create(ctx, jsOf(t, nc), "", Spec{Name: "fo", Shards: shards, Index: usearch.DefaultConfig(dims)}); err != nil {
		t.Fatal(err)
	}
	snapEvery := n / shards / 4
	cfg := func(s int, id string) ReplicaConfig {
		return ReplicaConfig{Collection: "fo", Shard: s, ID: id, SnapshotEvery: snapEvery, SnapshotInterval: -1, TrimStream: true}
	}
	reps := make([][2]*Replica, shards)
	conns := make([]*nats.Conn, shards) // replica "a" of each shard has its own connection, to crash it
	for s := 0; s < shards; s++ {
		conns[s] = connect(t, url)
		reps[s][0] = startReplica(t, conns[s], cfg(s, "a"))
		reps[s][1] = startReplica(t, nc, cfg(s, "b"))
	}
	c, err := NewClient(ctx, nc, ClientOptions{Collection: "fo", ShardTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(testSeed(t), 2))
	data := clustered(rng, n+n/20, dims)
	keys := make([]usearch.Key, n+n/20)
	for i := range keys {
		keys[i] = usearch.Key(i)
	}
	start := time.Now()
	if _, err := c.AddBatch(ctx, keys[:n], data[:n*dims], nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("ingest: %d vectors of %d dims in %v (%.0f/s acknowledged by JetStream)", n, dims, time.Since(start), float64(n)/time.Since(start).Seconds())
	// The tail: writes after the last snapshot, fewer than SnapshotEvery per shard.
	if _, err := c.AddBatch(ctx, keys[n:], data[n*dims:], nil); err != nil {
		t.Fatal(err)
	}
	for s := 0; s < shards; s++ {
		for _, r := range reps[s] {
			if err := r.WaitApplied(ctx, c.seqs[s].Load()); err != nil {
				t.Fatal(err)
			}
		}
	}
	query := func(i int) []float32 { return data[i*dims : (i+1)*dims] }

	// Queries run while one replica of every shard stops: all must be complete.
	var stop atomic.Bool
	var done, bad atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; !stop.Load() && i < 1_000_000; i += 4 {
				res, _, err := c.Search(ctx, query(i%len(keys)), 10, nil)
				if err != nil || len(res) != 10 {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				done.Add(1)
			}
		}(w)
	}
	time.Sleep(200 * time.Millisecond)
	for s := 0; s < shards; s++ {
		// As a crash: the connection drops with requests in flight; the client's retry
		// after ShardTimeout reaches the other replica.
		conns[s].Close()
		reps[s][0].Stop()
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if bad.Load() > 0 || done.Load() < 10 {
		t.Fatalf("%d of %d queries incomplete while one replica per shard stopped; first error: %v", bad.Load(), done.Load(), firstErr.Load())
	}
	t.Logf("%d queries complete while replicas stopped", done.Load())

	// Both replicas of shard 1 gone: the result is partial and names shard 1.
	last := reps[1][1]
	last.Stop()
	res, _, err := c.Search(ctx, query(0), 10, nil)
	var pe *PartialError
	if !errors.As(err, &pe) || !errors.Is(err, ErrPartial) || !slices.Equal(pe.MissingShards(), []int{1}) {
		t.Fatalf("search with shard 1 down: err %v, want a PartialError naming shard 1", err)
	}
	if len(res) != 10 {
		t.Fatalf("partial result has %d keys, want 10 from the other shards", len(res))
	}
	for _, k := range res {
		if c.ShardOf(k) == 1 {
			t.Fatalf("partial result holds key %d of the missing shard", k)
		}
	}

	// A new replica of shard 1: newest snapshot plus the tail, equal to the last replica.
	logs, err := c.Logs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if logs[1].FirstSeq <= 1 {
		t.Fatalf("shard 1's stream was never trimmed: first sequence %d", logs[1].FirstSeq)
	}
	start = time.Now()
	fresh := startReplica(t, nc, cfg(1, "c"))
	recovery := time.Since(start)
	st := fresh.Status()
	t.Logf("recovery of shard 1: %v (snapshot at %d, %d records replayed, %d vectors)", recovery, st.RestoredFrom, st.Applied-st.RestoredFrom, st.Vectors)
	if st.RestoredFrom == 0 || st.Applied <= st.RestoredFrom || st.Applied != last.Applied() {
		t.Fatalf("new replica: restored from %d, applied %d; last replica applied %d", st.RestoredFrom, st.Applied, last.Applied())
	}
	if st.Applied-st.RestoredFrom != fresh.replayed.Load() {
		t.Fatalf("replayed %d records, want the tail of %d", fresh.replayed.Load(), st.Applied-st.RestoredFrom)
	}
	requireSameContent(t, last.Index(), fresh.Index(), keys, func(k usearch.Key) bool { return c.ShardOf(k) == 1 })

	res, _, err = c.Search(ctx, query(0), 10, nil)
	if err != nil || len(res) != 10 {
		t.Fatalf("search after recovery: %v %v", res, err)
	}
}

// requireSameContent checks two indexes hold the same keys with the same vectors.
func requireSameContent(t *testing.T, a, b *usearch.Index, keys []usearch.Key, mine func(usearch.Key) bool) {
	t.Helper()
	la, _ := a.Len()
	lb, _ := b.Len()
	if la != lb {
		t.Fatalf("sizes differ: %d vs %d", la, lb)
	}
	checked := 0
	for _, k := range keys {
		if !mine(k) {
			continue
		}
		ca, _ := a.Contains(k)
		cb, _ := b.Contains(k)
		if ca != cb {
			t.Fatalf("key %d: present %v vs %v", k, ca, cb)
		}
		if !ca {
			continue
		}
		va, err1 := a.Get(k, 1)
		vb, err2 := b.Get(k, 1)
		if err1 != nil || err2 != nil || !slices.Equal(va, vb) {
			t.Fatalf("key %d: vectors differ (%v %v)", k, err1, err2)
		}
		checked++
	}
	if checked == 0 || uint(checked) != la {
		t.Fatalf("checked %d keys of %d", checked, la)
	}
}
