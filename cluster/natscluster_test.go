package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/usearch-go/usearch"
)

func freePort(t testing.TB) int {
	t.Helper()
	return freePorts(t, 1)[0]
}

// freePorts returns n distinct free ports: every listener stays open until all are chosen,
// or the kernel may hand the same port out twice (a server whose cluster port was another's
// client port never joined, and JetStream never became ready: TestChaosProcesses).
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// startNATSCluster runs three JetStream servers routed to each other on loopback.
func startNATSCluster(t testing.TB, syncAlways bool) ([]*server.Server, string) {
	t.Helper()
	ports := freePorts(t, 3)
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	// Started together: a clustered server may wait for its routes before it is ready.
	servers := make([]*server.Server, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i], errs[i] = RunEmbedded(EmbeddedOptions{Port: -1, StoreDir: t.TempDir(), ReadyTimeout: 30 * time.Second, SyncAlways: syncAlways, Configure: func(o *server.Options) {
				o.ServerName = fmt.Sprintf("n%d", i)
				o.Cluster.Name = "usearch-test"
				o.Cluster.Host = "127.0.0.1"
				o.Cluster.Port = ports[i]
				o.Routes = server.RoutesFromStr(strings.Join(routes, ","))
			}})
		}()
	}
	wg.Wait()
	var urls []string
	for i, s := range servers {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(s.Shutdown)
		urls = append(urls, s.ClientURL())
	}
	return servers, strings.Join(urls, ",")
}

// TestNATSClusterServerLoss runs a three-server NATS cluster with streams replicated three
// times and stops the server leading shard 0's stream while writes and searches run: every
// write JetStream acknowledged is applied by the replicas afterwards.
func TestNATSClusterServerLoss(t *testing.T) {
	servers, url := startNATSCluster(t, false)
	nc := connect(t, url)
	ctx := ctxFor(t, 90*time.Second)
	const dims, shards = 8, 2
	// Copies left at 0: three servers make it 3.
	spec := Spec{Name: "ha", Shards: shards, Index: usearch.DefaultConfig(dims)}
	// Right after the servers start: Create waits for the JetStream meta leader itself.
	if err := Create(ctx, jsOf(t, nc), "", spec); err != nil {
		t.Fatalf("Create on a just-started NATS cluster: %v", err)
	}
	reps := make([]*Replica, shards)
	for s := range reps {
		reps[s] = startReplica(t, connect(t, url), ReplicaConfig{Collection: "ha", Shard: s, SnapshotEvery: 100, SnapshotInterval: -1})
	}
	c, err := NewClient(ctx, nc, ClientOptions{Collection: "ha", ShardTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	logs, err := c.Logs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if logs[0].Copies != 3 {
		t.Fatalf("stream of shard 0 has %d copies, want 3", logs[0].Copies)
	}
	victim := -1
	for i, s := range servers {
		if s.Name() == logs[0].Leader {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("leader %q of shard 0 is none of the servers", logs[0].Leader)
	}

	rng := rand.New(rand.NewPCG(testSeed(t), 4))
	total := 600
	vecs := clustered(rng, total, dims)
	var mu sync.Mutex
	acked := map[usearch.Key]int{}
	var failed atomic.Int64
	var stop atomic.Bool
	var searches, partial atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			_, _, err := c.Search(ctx, vecs[:dims], 5, nil)
			searches.Add(1)
			if err != nil {
				partial.Add(1)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	// After the server dies, every acknowledged write must be applied within the
	// watchdog's time (docs/cluster.md: a stalled consumer is replaced 3-5 s after the last
	// write it applied); it used to take 11-15 s in about half the runs.
	var delayMu sync.Mutex
	var maxDelay time.Duration
	var applyWG sync.WaitGroup
	for i := 0; i < total; i++ {
		if i == total/3 {
			t.Logf("stopping %s, leader of shard 0's stream, after %d writes", servers[victim].Name(), i)
			servers[victim].Shutdown()
		}
		wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		ack, err := c.Add(wctx, usearch.Key(i), vecs[i*dims:(i+1)*dims])
		cancel()
		if err != nil {
			failed.Add(1)
			continue
		}
		mu.Lock()
		acked[usearch.Key(i)] = i
		mu.Unlock()
		if i >= total/3 {
			applyWG.Add(1)
			go func() {
				defer applyWG.Done()
				t0 := time.Now()
				if err := reps[ack.Shard].WaitApplied(ctx, ack.Seq); err != nil {
					t.Errorf("write %d (shard %d, seq %d) never applied: %v", i, ack.Shard, ack.Seq, err)
				}
				delayMu.Lock()
				maxDelay = max(maxDelay, time.Since(t0))
				delayMu.Unlock()
			}()
		}
	}
	stop.Store(true)
	wg.Wait()
	applyWG.Wait()
	t.Logf("longest time from a write's ack to its replica applying it, after the server died: %v", maxDelay.Round(time.Millisecond))
	if limit := stallCheck*7/6 + 4*time.Second; maxDelay > limit {
		t.Fatalf("a replica applied an acknowledged write %v after its ack; the watchdog should act within %v", maxDelay, limit)
	}
	t.Logf("%d writes acknowledged, %d failed during the failover; %d searches, %d with an error", len(acked), failed.Load(), searches.Load(), partial.Load())
	if len(acked) < total/2 {
		t.Fatalf("only %d of %d writes acknowledged", len(acked), total)
	}
	// Replicas whose consumer sat on the stopped server resume within a few seconds.
	for s, r := range reps {
		if err := r.WaitApplied(ctx, c.seqs[s].Load()); err != nil {
			t.Fatalf("replica of shard %d: %v", s, err)
		}
	}
	for key, i := range acked {
		got, err := c.Get(ctx, key)
		if err != nil {
			lg, _ := c.Logs(ctx)
			t.Fatalf("Get(%d): %v; streams %+v; replicas %+v %+v", key, err, lg, reps[0].Status(), reps[1].Status())
		}
		if len(got) != 1 {
			t.Fatalf("acknowledged write of key %d lost", key)
		}
		for j, v := range got[0] {
			if v != vecs[i*dims+j] {
				t.Fatalf("key %d: stored vector differs", key)
			}
		}
	}
}
