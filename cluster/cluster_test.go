package cluster

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
)

func TestWritesSearchRenameFilter(t *testing.T) {
	_, url := startServer(t)
	nc := connect(t, url)
	ctx := ctxFor(t, 60*time.Second)
	const dims, n, shards = 16, 600, 3
	spec := Spec{Name: "basic", Shards: shards, Index: usearch.DefaultConfig(dims)}
	if err := Create(ctx, jsOf(t, nc), "", spec); err != nil {
		t.Fatal(err)
	}
	// Creating again with the same spec is fine; with another shard count it is refused.
	if err := Create(ctx, jsOf(t, nc), "", spec); err != nil {
		t.Fatalf("idempotent Create: %v", err)
	}
	other := spec
	other.Shards = 4
	if err := Create(ctx, jsOf(t, nc), "", other); !errors.Is(err, ErrExists) {
		t.Fatalf("Create with 4 shards over 3: %v, want ErrExists", err)
	}
	for s := 0; s < shards; s++ {
		startReplica(t, nc, ReplicaConfig{Collection: "basic", Shard: s})
	}
	c, err := NewClient(ctx, nc, ClientOptions{Collection: "basic"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec().Shards != shards {
		t.Fatalf("client sees %d shards, want %d from the engine", c.Spec().Shards, shards)
	}
	rng := rand.New(rand.NewPCG(testSeed(t), 1))
	data := clustered(rng, n, dims)
	keys := make([]usearch.Key, n)
	for i := range keys {
		keys[i] = usearch.Key(1000 + i)
	}
	if err := c.AddBatch(ctx, keys, data); err != nil {
		t.Fatal(err)
	}
	ryw := &SearchOptions{ReadYourWrites: true}
	vec := func(i int) []float32 { return data[i*dims : (i+1)*dims] }

	// Every vector finds itself first once its shard applied the writes.
	for i := 0; i < n; i += 37 {
		res, err := c.Search(ctx, vec(i), 5, ryw)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Keys) != 5 || res.Keys[0] != keys[i] {
			t.Fatalf("query of key %d: got %v", keys[i], res.Keys)
		}
	}

	// Batch search answers as single searches do.
	batch := [][]float32{vec(1), vec(2), vec(3)}
	br, err := c.SearchBatch(ctx, batch, 7, ryw)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range batch {
		one, err := c.Search(ctx, q, 7, ryw)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one.Keys, br[i].Keys) {
			t.Fatalf("batch query %d: %v, single: %v", i, br[i].Keys, one.Keys)
		}
	}

	// Allow-list: exactly the brute-force top-k among the allowed keys.
	allow := make([]usearch.Key, 0, 40)
	allowSet := map[usearch.Key]bool{}
	for len(allow) < 40 {
		k := keys[rng.IntN(n)]
		if !allowSet[k] {
			allowSet[k] = true
			allow = append(allow, k)
		}
	}
	q := vec(rng.IntN(n))
	res, err := c.Search(ctx, q, 10, &SearchOptions{Allow: allow, ReadYourWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	want := bruteForce(data, keys, dims, q, 10, func(k usearch.Key) bool { return allowSet[k] })
	if !slices.Equal(res.Keys, want) {
		t.Fatalf("allow-list search: %v, brute force %v", res.Keys, want)
	}
	// Key range: only keys inside, and the nearest of them.
	rng2 := &[2]usearch.Key{1100, 1199}
	res, err = c.Search(ctx, q, 10, &SearchOptions{Range: rng2})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range res.Keys {
		if k < rng2[0] || k > rng2[1] {
			t.Fatalf("range search returned %d outside %v", k, *rng2)
		}
	}
	if r := recallOf(res.Keys, bruteForce(data, keys, dims, q, 10, func(k usearch.Key) bool { return k >= 1100 && k <= 1199 })); r < 0.9 {
		t.Fatalf("range search recall %.2f", r)
	}

	// Rename across shards: the vector moves, the old key is gone.
	from := keys[0]
	var to usearch.Key = 900000
	for c.ShardOf(to) == c.ShardOf(from) {
		to++
	}
	if err := c.Rename(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, to)
	if err != nil || len(got) != 1 || !slices.Equal(got[0], vec(0)) {
		t.Fatalf("Get(%d) after cross-shard rename: %v %v", to, got, err)
	}
	if got, err := c.Get(ctx, from); err != nil || len(got) != 0 {
		t.Fatalf("Get(%d) after rename away: %v %v", from, got, err)
	}
	res, err = c.Search(ctx, vec(0), 1, ryw)
	if err != nil || res.Keys[0] != to {
		t.Fatalf("search for renamed vector: %v %v", res.Keys, err)
	}
	// Rename within a shard.
	from2 := keys[1]
	to2 := usearch.Key(800000)
	for c.ShardOf(to2) != c.ShardOf(from2) {
		to2++
	}
	if err := c.Rename(ctx, from2, to2); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, to2); err != nil || len(got) != 1 || !slices.Equal(got[0], vec(1)) {
		t.Fatalf("Get(%d) after same-shard rename: %v %v", to2, got, err)
	}

	// Remove: the key leaves every result.
	if _, err := c.Remove(ctx, keys[2]); err != nil {
		t.Fatal(err)
	}
	res, err = c.Search(ctx, vec(2), 10, ryw)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(res.Keys, keys[2]) {
		t.Fatalf("removed key %d still found: %v", keys[2], res.Keys)
	}

	// Status: every replica answers with its sequence, size and counters.
	st, err := c.Status(ctx, 300*time.Millisecond)
	if err != nil || len(st) != shards {
		t.Fatalf("status: %d replies, %v", len(st), err)
	}
	logs, err := c.Logs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st {
		if !r.Ready || r.Applied != logs[r.Shard].LastSeq || r.Queries == 0 || r.Vectors == 0 {
			t.Fatalf("status of shard %d: %+v, stream at %d", r.Shard, r, logs[r.Shard].LastSeq)
		}
	}

	// Client-side validation never reaches the wire.
	if _, err := c.Add(ctx, 1, make([]float32, dims+1)); !errors.Is(err, usearch.ErrDimensionMismatch) {
		t.Fatalf("Add with %d dims: %v", dims+1, err)
	}
	if _, err := c.Search(ctx, make([]float32, 3), 1, nil); !errors.Is(err, usearch.ErrDimensionMismatch) {
		t.Fatalf("Search with 3 dims: %v", err)
	}
}
