package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
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
	var progress []int
	acks, err := c.AddBatch(ctx, keys, data, &usearch.BatchOptions{Progress: func(done, total int) {
		if total != n {
			t.Errorf("progress total %d, want %d", total, n)
		}
		progress = append(progress, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	// One Ack per key, in input order: on the key's shard, sequences rising per shard.
	if len(acks) != n || len(progress) == 0 || progress[len(progress)-1] != n {
		t.Fatalf("%d acks for %d keys, progress %v", len(acks), n, progress)
	}
	lastSeq := map[int]uint64{}
	for i, a := range acks {
		if a.Shard != c.ShardOf(keys[i]) || a.Seq <= lastSeq[a.Shard] {
			t.Fatalf("ack %d = %+v for key %d of shard %d after sequence %d", i, a, keys[i], c.ShardOf(keys[i]), lastSeq[a.Shard])
		}
		lastSeq[a.Shard] = a.Seq
	}
	// WaitApplied with the Acks: afterwards a search without ReadYourWrites, from another
	// client, sees every write.
	if err := c.WaitApplied(ctx, acks); err != nil {
		t.Fatal(err)
	}
	reader, err := NewClient(ctx, connect(t, url), ClientOptions{Collection: "basic"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 53 {
		got, _, err := reader.Search(ctx, data[i*dims:(i+1)*dims], 1, nil)
		if err != nil || len(got) != 1 || got[0] != keys[i] {
			t.Fatalf("after WaitApplied, another client's search for key %d: %v %v", keys[i], got, err)
		}
	}
	ryw := &SearchOptions{ReadYourWrites: true}
	vec := func(i int) []float32 { return data[i*dims : (i+1)*dims] }

	// Every vector finds itself first once its shard applied the writes.
	for i := 0; i < n; i += 37 {
		got, dists, err := c.Search(ctx, vec(i), 5, ryw)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 || len(dists) != 5 || got[0] != keys[i] {
			t.Fatalf("query of key %d: got %v", keys[i], got)
		}
	}

	// Batch search answers as single searches do; the Matches are shaped as the library's.
	batch := slices.Concat(vec(1), vec(2), vec(3))
	br, err := c.SearchBatch(ctx, batch, 7, ryw)
	if err != nil {
		t.Fatal(err)
	}
	if br.Len() != 3 || br.Limit != 7 {
		t.Fatalf("batch of 3 with limit 7: %d rows, limit %d", br.Len(), br.Limit)
	}
	for i := 0; i < 3; i++ {
		one, _, err := c.Search(ctx, vec(i+1), 7, ryw)
		if err != nil {
			t.Fatal(err)
		}
		if bk, _ := br.At(i); !slices.Equal(one, bk) {
			t.Fatalf("batch query %d: %v, single: %v", i, bk, one)
		}
	}

	// More rows than one request carries (MaxBatch): split, and still row by row.
	many := make([]float32, 0, 1500*dims)
	for i := 0; i < 1500; i++ {
		many = append(many, vec(i%n)...)
	}
	mm, err := c.SearchBatch(ctx, many, 3, ryw)
	if err != nil || mm.Len() != 1500 {
		t.Fatalf("batch of 1500: %v rows, %v", mm, err)
	}
	for _, i := range []int{0, 599, 1023, 1024, 1499} {
		if got, _ := mm.At(i); len(got) != 3 || got[0] != keys[i%n] {
			t.Fatalf("row %d of a batch of 1500: %v, want key %d first", i, got, keys[i%n])
		}
	}

	// Exact search equals brute force, whatever Expansion says; a narrow Expansion still
	// answers (and an exact one with an allow-list is the brute force among allowed keys).
	for _, i := range []int{5, 77, 301} {
		want := bruteForce(data, keys, dims, vec(i), 10, nil)
		got, _, err := c.Search(ctx, vec(i), 10, &SearchOptions{Exact: true, Expansion: 1})
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("exact search %d: %v %v, brute force %v", i, got, err, want)
		}
		got, _, err = c.Search(ctx, vec(i), 10, &SearchOptions{Expansion: 200})
		if err != nil || recallOf(got, want) < 0.9 {
			t.Fatalf("search with expansion 200: %v %v, brute force %v", got, err, want)
		}
		got, _, err = c.Search(ctx, vec(i), 10, &SearchOptions{Expansion: 10})
		if err != nil || len(got) != 10 {
			t.Fatalf("search with expansion 10: %v %v", got, err)
		}
	}
	if _, _, err := c.Search(ctx, vec(0), 10, &SearchOptions{Expansion: MaxExpansion + 1}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("expansion over MaxExpansion: %v, want ErrBadRequest", err)
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
	res, _, err := c.Search(ctx, q, 10, &SearchOptions{Allow: allow, ReadYourWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	want := bruteForce(data, keys, dims, q, 10, func(k usearch.Key) bool { return allowSet[k] })
	if !slices.Equal(res, want) {
		t.Fatalf("allow-list search: %v, brute force %v", res, want)
	}
	if res, _, err = c.Search(ctx, q, 10, &SearchOptions{Allow: allow, Exact: true}); err != nil || !slices.Equal(res, want) {
		t.Fatalf("exact allow-list search: %v %v, brute force %v", res, err, want)
	}
	// Key range: only keys inside, and the nearest of them.
	rng2 := &[2]usearch.Key{1100, 1199}
	res, _, err = c.Search(ctx, q, 10, &SearchOptions{Range: rng2})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range res {
		if k < rng2[0] || k > rng2[1] {
			t.Fatalf("range search returned %d outside %v", k, *rng2)
		}
	}
	inRange := func(k usearch.Key) bool { return k >= 1100 && k <= 1199 }
	if r := recallOf(res, bruteForce(data, keys, dims, q, 10, inRange)); r < 0.9 {
		t.Fatalf("range search recall %.2f", r)
	}
	if res, _, err = c.Search(ctx, q, 10, &SearchOptions{Range: rng2, Exact: true}); err != nil || !slices.Equal(res, bruteForce(data, keys, dims, q, 10, inRange)) {
		t.Fatalf("exact range search: %v %v", res, err)
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
	res, _, err = c.Search(ctx, vec(0), 1, ryw)
	if err != nil || res[0] != to {
		t.Fatalf("search for renamed vector: %v %v", res, err)
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
	res, _, err = c.Search(ctx, vec(2), 10, ryw)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(res, keys[2]) {
		t.Fatalf("removed key %d still found: %v", keys[2], res)
	}

	// Status: every replica answers with its sequence, size and counters, and Status
	// returns once all registered replicas answered, long before the wait.
	began := time.Now()
	st, err := c.Status(ctx, 20*time.Second)
	if err != nil || len(st) != shards {
		t.Fatalf("status: %d replies, %v", len(st), err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Fatalf("Status took %v with every replica up; it should not wait out its 20 s", took)
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
	if _, _, err := c.Search(ctx, make([]float32, 3), 1, nil); !errors.Is(err, usearch.ErrDimensionMismatch) {
		t.Fatalf("Search with 3 dims: %v", err)
	}
	if _, err := c.SearchBatch(ctx, make([]float32, dims+3), 1, nil); !errors.Is(err, usearch.ErrDimensionMismatch) {
		t.Fatalf("SearchBatch with %d floats: %v", dims+3, err)
	}
	if _, err := c.AddBatch(ctx, []usearch.Key{1, 2}, make([]float32, dims), nil); !errors.Is(err, usearch.ErrDimensionMismatch) {
		t.Fatalf("AddBatch of 2 keys with one vector: %v", err)
	}
}

// TestShardUnavailableAndSpecCompat: Get on a shard without replicas fails with
// ErrShardUnavailable (and a search names the shard); a spec stored by an earlier version
// (field "replicas") reads as Copies; Create waits for JetStream within its context.
func TestShardUnavailableAndSpecCompat(t *testing.T) {
	_, url := startServer(t)
	nc := connect(t, url)
	ctx := ctxFor(t, 60*time.Second)
	const dims = 4
	if err := Create(ctx, jsOf(t, nc), "", Spec{Name: "gone", Shards: 2, Index: usearch.DefaultConfig(dims)}); err != nil {
		t.Fatal(err)
	}
	startReplica(t, nc, ReplicaConfig{Collection: "gone", Shard: 0})
	c, err := NewClient(ctx, nc, ClientOptions{Collection: "gone", ShardTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec().Copies != 1 {
		t.Fatalf("copies %d on a single server, want 1", c.Spec().Copies)
	}
	var key usearch.Key
	for c.ShardOf(key) != 1 {
		key++
	}
	if _, err := c.Get(ctx, key); !errors.Is(err, ErrShardUnavailable) {
		t.Fatalf("Get on shard 1 without replicas: %v, want ErrShardUnavailable", err)
	}
	_, _, err = c.Search(ctx, []float32{1, 0, 0, 0}, 3, nil)
	var pe *PartialError
	if !errors.As(err, &pe) || !slices.Equal(pe.MissingShards(), []int{1}) || !errors.Is(pe.Missing[0].Err, ErrShardUnavailable) {
		t.Fatalf("search with shard 1 down: %v", err)
	}

	var old Spec
	if err := json.Unmarshal([]byte(`{"name":"x","shards":2,"replicas":3,"index":{"Dimensions":4}}`), &old); err != nil || old.Copies != 3 {
		t.Fatalf("spec with the earlier field name: %+v %v", old, err)
	}
	b, _ := json.Marshal(Spec{Name: "x", Shards: 1, Copies: 3})
	var back Spec
	if err := json.Unmarshal(b, &back); err != nil || back.Copies != 3 || !strings.Contains(string(b), `"copies":3`) {
		t.Fatalf("spec round trip: %s -> %+v %v", b, back, err)
	}

	// A server that is not up yet: Create retries within its context and then says so.
	s2, url2 := startServer(t)
	nc2 := connect(t, url2)
	if err := s2.DisableJetStream(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err = Create(short, jsOf(t, nc2), "", Spec{Name: "late", Shards: 1, Index: usearch.DefaultConfig(dims)})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Create without JetStream: %v, want a deadline error", err)
	}
}
