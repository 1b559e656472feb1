package cluster

import (
	"context"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
)

// TestRecallVsLocal writes the same data through the cluster (3 shards × 2 replicas) and
// into one local index with the same configuration: the cluster's recall@10 against brute
// force must be at least the local index's (minus sampling noise). It logs ingest rate and
// search latency and QPS of both, the numbers reported in docs/cluster.md.
func TestRecallVsLocal(t *testing.T) {
	_, url := startServer(t)
	nc := connect(t, url)
	ctx := ctxFor(t, 300*time.Second)
	dims, n, nq := 32, 4000, 200
	if fullSize() {
		dims, n, nq = 64, 100000, 500
	}
	const shards, k = 3, 10
	// A small graph and beam, so that recall stays below 1 and the comparison means something.
	conf := usearch.DefaultConfig(uint(dims))
	conf.Connectivity, conf.ExpansionSearch = 8, 16
	if err := Create(ctx, jsOf(t, nc), "", Spec{Name: "recall", Shards: shards, Index: conf}); err != nil {
		t.Fatal(err)
	}
	for s := 0; s < shards; s++ {
		for _, id := range []string{"a", "b"} {
			startReplica(t, connect(t, url), ReplicaConfig{Collection: "recall", Shard: s, ID: id, SnapshotEvery: -1, SnapshotInterval: -1})
		}
	}
	c, err := NewClient(ctx, nc, ClientOptions{Collection: "recall"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(testSeed(t), 3))
	all := clustered(rng, n+nq, dims)
	data, queries := all[:n*dims], all[n*dims:]
	keys := make([]usearch.Key, n)
	for i := range keys {
		keys[i] = usearch.Key(i * 7) // not dense: shards see scattered keys
	}

	start := time.Now()
	if _, err := c.AddBatch(ctx, keys, data, nil); err != nil {
		t.Fatal(err)
	}
	acked := time.Since(start)
	// Applied everywhere: a read-your-writes search waits for every shard's replicas.
	if _, _, err := c.Search(ctx, queries[:dims], 1, &SearchOptions{ReadYourWrites: true}); err != nil {
		t.Fatal(err)
	}
	st, _ := c.Status(ctx, 300*time.Millisecond)
	for _, r := range st {
		if r.Applied < c.seqs[r.Shard].Load() {
			if err := waitStatus(ctx, c, r.Shard, c.seqs[r.Shard].Load()); err != nil {
				t.Fatal(err)
			}
		}
	}
	applied := time.Since(start)
	t.Logf("cluster ingest: %d×%d vectors acknowledged in %v (%.0f/s), applied by all 6 replicas in %v (%.0f/s)",
		n, dims, acked.Round(time.Millisecond), float64(n)/acked.Seconds(), applied.Round(time.Millisecond), float64(n)/applied.Seconds())

	local, err := usearch.NewIndex(conf)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	start = time.Now()
	for i, key := range keys {
		if err := local.Add(key, data[i*dims:(i+1)*dims]); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("local ingest: %d vectors in %v (%.0f/s, one goroutine)", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())

	var recallCluster, recallLocal float64
	var latC, latL []time.Duration
	for i := 0; i < nq; i++ {
		q := queries[i*dims : (i+1)*dims]
		truth := bruteForce(data, keys, dims, q, k, nil)
		t0 := time.Now()
		res, _, err := c.Search(ctx, q, k, nil)
		latC = append(latC, time.Since(t0))
		if err != nil {
			t.Fatal(err)
		}
		t0 = time.Now()
		lk, _, err := local.Search(q, k)
		latL = append(latL, time.Since(t0))
		if err != nil {
			t.Fatal(err)
		}
		recallCluster += recallOf(res, truth)
		recallLocal += recallOf(lk, truth)
	}
	recallCluster /= float64(nq)
	recallLocal /= float64(nq)
	t.Logf("recall@%d: cluster %.4f, local %.4f (%d queries)", k, recallCluster, recallLocal, nq)
	t.Logf("latency p50/p99: cluster %v/%v, local %v/%v", pct(latC, 50), pct(latC, 99), pct(latL, 50), pct(latL, 99))
	if recallCluster < recallLocal-0.01 {
		t.Fatalf("cluster recall %.4f below the local index's %.4f", recallCluster, recallLocal)
	}
	qpsC := qps(func(i int) error {
		_, _, err := c.Search(ctx, queries[(i%nq)*dims:(i%nq+1)*dims], k, nil)
		return err
	}, nq*2)
	qpsL := qps(func(i int) error {
		_, _, err := local.Search(queries[(i%nq)*dims:(i%nq+1)*dims], k)
		return err
	}, nq*2)
	t.Logf("QPS with 8 concurrent callers: cluster %.0f, local %.0f (everything on one machine)", qpsC, qpsL)
}

// waitStatus polls until every replica of shard that answers reports seq applied.
func waitStatus(ctx context.Context, c *Client, shard int, seq uint64) error {
	for {
		st, err := c.Status(ctx, 100*time.Millisecond)
		if err != nil {
			return err
		}
		ok := true
		for _, r := range st {
			if r.Shard == shard && r.Applied < seq {
				ok = false
			}
		}
		if ok {
			return nil
		}
	}
}

func pct(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, len(s)*p/100)].Round(time.Microsecond)
}

// qps runs total calls from 8 goroutines and returns calls per second.
func qps(call func(i int) error, total int) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)); i <= total; i = int(next.Add(1)) {
				_ = call(i)
			}
		}()
	}
	wg.Wait()
	return float64(total) / time.Since(start).Seconds()
}
