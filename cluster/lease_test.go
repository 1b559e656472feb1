package cluster

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/usearch-go/usearch"
)

// TestSnapshotLease: of three replicas of a shard exactly one saves snapshots; when it dies
// (connection dropped, nothing released) another takes the lease within the bucket's TTL
// plus one renewal and goes on saving; two replicas never hold it at once.
func TestSnapshotLease(t *testing.T) {
	old := liveTTL
	liveTTL = 2 * time.Second
	defer func() { liveTTL = old }()
	_, url := startServer(t)
	nc := connect(t, url)
	ctx := ctxFor(t, 60*time.Second)
	const dims = 8
	if err := Create(ctx, jsOf(t, nc), "", Spec{Name: "lease", Shards: 1, Index: usearch.DefaultConfig(dims)}); err != nil {
		t.Fatal(err)
	}
	conns := make([]*nats.Conn, 3)
	reps := make([]*Replica, 3)
	for i := range reps {
		conns[i] = connect(t, url)
		reps[i] = startReplica(t, conns[i], ReplicaConfig{Collection: "lease", Shard: 0, ID: string(rune('a' + i)), SnapshotEvery: 50, SnapshotInterval: -1})
	}
	c, err := NewClient(ctx, nc, ClientOptions{Collection: "lease"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(testSeed(t), 9))
	write := func(from, n int) {
		t.Helper()
		keys := make([]usearch.Key, n)
		for i := range keys {
			keys[i] = usearch.Key(from + i)
		}
		acks, err := c.AddBatch(ctx, keys, clustered(rng, n, dims), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitApplied(ctx, acks); err != nil {
			t.Fatal(err)
		}
	}
	holders := func(alive []*Replica) []*Replica {
		var out []*Replica
		for _, r := range alive {
			if r.SnapshotLease() {
				out = append(out, r)
			}
		}
		return out
	}
	write(0, 300)
	h := holders(reps)
	if len(h) != 1 {
		t.Fatalf("%d replicas hold the snapshot lease, want 1", len(h))
	}
	holder := h[0]
	for _, r := range reps {
		st := r.Status()
		if r == holder && st.Snapshots == 0 {
			t.Fatalf("holder %s saved no snapshot after 300 writes (every 50)", st.ID)
		}
		if r != holder && st.Snapshots != 0 {
			t.Fatalf("replica %s without the lease saved %d snapshots", st.ID, st.Snapshots)
		}
	}
	// The holder dies without releasing anything.
	var alive []*Replica
	for i, r := range reps {
		if r == holder {
			conns[i].Close()
			r.Stop()
		} else {
			alive = append(alive, r)
		}
	}
	died := time.Now()
	var next *Replica
	for next == nil {
		switch h := holders(alive); len(h) {
		case 0:
		case 1:
			next = h[0]
		default:
			t.Fatalf("%d replicas hold the lease at once", len(h))
		}
		if time.Since(died) > 2*liveTTL+liveTTL/2 {
			t.Fatalf("no replica took the lease %v after its holder died (TTL %v)", time.Since(died), liveTTL)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("lease taken over by %s %v after the holder died (TTL %v)", next.Status().ID, time.Since(died).Round(time.Millisecond), liveTTL)
	before := next.Status().Snapshots
	write(1000, 200)
	if next.Status().Snapshots <= before {
		t.Fatalf("new holder saved no snapshot after 200 more writes")
	}
	for _, r := range alive {
		if r != next && r.Status().Snapshots != 0 {
			t.Fatalf("replica %s without the lease saved snapshots", r.Status().ID)
		}
	}
	// A replica stopped cleanly hands the lease over at the next renewal.
	next.Stop()
	handed := time.Now()
	for {
		var rest []*Replica
		for _, r := range alive {
			if r != next {
				rest = append(rest, r)
			}
		}
		if len(holders(rest)) == 1 {
			break
		}
		if time.Since(handed) > liveTTL {
			t.Fatalf("lease not handed over %v after a clean stop", time.Since(handed))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
