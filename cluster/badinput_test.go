package cluster

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/usearch-go/usearch"
)

// TestBadInputOverTheWire sends malformed, mismatched and oversized requests straight to a
// replica's endpoints and malformed records straight into a shard's stream: each request
// gets an error reply, each record is skipped alike by both replicas, and they keep serving.
func TestBadInputOverTheWire(t *testing.T) {
	_, url := startServer(t)
	nc := connect(t, url)
	ctx := ctxFor(t, 60*time.Second)
	const dims = 8
	if err := Create(ctx, jsOf(t, nc), "", Spec{Name: "bad", Shards: 3, Index: usearch.DefaultConfig(dims)}); err != nil {
		t.Fatal(err)
	}
	a := startReplica(t, nc, ReplicaConfig{Collection: "bad", Shard: 0, ID: "a", MaxRequestBytes: 64 << 10})
	b := startReplica(t, nc, ReplicaConfig{Collection: "bad", Shard: 0, ID: "b", MaxRequestBytes: 64 << 10})
	for s := 1; s < 3; s++ {
		startReplica(t, nc, ReplicaConfig{Collection: "bad", Shard: s})
	}
	if _, err := StartReplica(ctx, nc, ReplicaConfig{Collection: "bad", Shard: 7}); !errors.Is(err, usearch.ErrInvalidArgument) {
		t.Fatalf("replica of shard 7 of 3: %v, want ErrInvalidArgument", err)
	}
	c, err := NewClient(ctx, nc, ClientOptions{Collection: "bad"})
	if err != nil {
		t.Fatal(err)
	}
	good := make([]float32, dims)
	good[0] = 1
	var key0 usearch.Key
	for c.ShardOf(key0) != 0 {
		key0++
	}
	if _, err := c.Add(ctx, key0, good); err != nil {
		t.Fatal(err)
	}

	q := func(n int) []float32 {
		out := make([]float32, 0, n*dims)
		for i := 0; i < n; i++ {
			out = append(out, good...)
		}
		return out
	}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	big := make([]usearch.Key, 20000) // about 400 KB of JSON, over the 64 KB limit
	for i := range big {
		big[i] = 1<<60 + usearch.Key(i)
	}
	bin := func(q searchRequest) []byte { return q.marshalBinary() }
	v9 := bin(searchRequest{Shard: 0, K: 1, N: 1, Queries: q(1)})
	v9[1] = 9
	cases := []struct {
		name, subj string
		data       []byte
		want       string
	}{
		{"not JSON", "usearch.bad.s.0", []byte("{\"shard\": 0, \"k\": "), "malformed"},
		{"wrong type", "usearch.bad.s.0", []byte(`{"shard":"zero","k":1}`), "malformed"},
		{"wrong dimensions", "usearch.bad.s.0", js(searchRequest{Shard: 0, K: 1, N: 1, Queries: []float32{1, 2, 3}}), "3 floats for 1 queries"},
		{"unknown shard", "usearch.bad.s.0", js(searchRequest{Shard: 7, K: 1, N: 1, Queries: q(1)}), "shard 7"},
		{"k zero", "usearch.bad.s.0", js(searchRequest{Shard: 0, K: 0, N: 1, Queries: q(1)}), "k = 0"},
		{"k huge", "usearch.bad.s.0", js(searchRequest{Shard: 0, K: MaxK + 1, N: 1, Queries: q(1)}), "k = 4097"},
		{"no queries", "usearch.bad.s.0", js(searchRequest{Shard: 0, K: 1}), "0 queries"},
		{"empty range", "usearch.bad.s.0", js(searchRequest{Shard: 0, K: 1, N: 1, Queries: q(1), Range: &[2]usearch.Key{9, 3}}), "empty"},
		{"oversized", "usearch.bad.s.0", js(searchRequest{Shard: 0, K: 1, N: 1, Queries: q(1), HasAllow: true, Allow: big}), "exceeds"},
		{"binary truncated", "usearch.bad.s.0", bin(searchRequest{Shard: 0, K: 1, N: 1, Queries: q(1)})[:20], "truncated"},
		{"binary version 9", "usearch.bad.s.0", v9, "wire version 9"},
		{"binary wrong dimensions", "usearch.bad.s.0", bin(searchRequest{Shard: 0, K: 1, N: 1, Queries: []float32{1, 2, 3}}), "3 floats for 1 queries"},
		{"binary k zero", "usearch.bad.s.0", bin(searchRequest{Shard: 0, K: 0, N: 1, Queries: q(1)}), "k = 0"},
		{"binary get as search", "usearch.bad.s.0", (&getRequest{Shard: 0, Key: 1}).marshalBinary(), "type 3"},
		{"get not JSON", "usearch.bad.g.0", []byte("\x00\x01"), "malformed"},
		{"get binary truncated", "usearch.bad.g.0", (&getRequest{Shard: 0, Key: 1}).marshalBinary()[:9], "truncated"},
		{"get unknown shard", "usearch.bad.g.0", js(getRequest{Shard: -1, Key: 1}), "shard -1"},
	}
	for _, tc := range cases {
		msg, err := nc.Request(tc.subj, tc.data, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: no reply: %v", tc.name, err)
		}
		code, desc := msg.Header.Get(micro.ErrorCodeHeader), msg.Header.Get(micro.ErrorHeader)
		if code != "400" || !strings.Contains(desc, tc.want) {
			t.Fatalf("%s: reply %q %q, want 400 mentioning %q", tc.name, code, desc, tc.want)
		}
	}
	// The client surfaces an error reply as ErrBadRequest, not as a partial result.
	if _, err := c.request(ctx, 0, "usearch.bad.s.0", []byte("nope"), time.Second); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("client on a 400 reply: %v, want ErrBadRequest", err)
	}
	if _, _, err := c.Search(ctx, good, 0, nil); !errors.Is(err, usearch.ErrInvalidArgument) {
		t.Fatalf("Search k=0: %v", err)
	}

	// Malformed records written around the client are skipped by both replicas alike.
	jsc, _ := jetstream.New(nc)
	for _, rec := range [][]byte{{}, {9, 1, 2, 3, 4, 5, 6, 7, 8}, {opAdd, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2}, {opRemove}} {
		if _, err := jsc.Publish(ctx, "usearch.bad.w.0", rec); err != nil {
			t.Fatal(err)
		}
	}
	key1 := key0 + 1
	for c.ShardOf(key1) != 0 {
		key1++
	}
	if _, err := c.Add(ctx, key1, good); err != nil { // a valid write after them
		t.Fatal(err)
	}
	last, _ := c.Logs(ctx)
	for _, r := range []*Replica{a, b} {
		if err := r.WaitApplied(ctx, last[0].LastSeq); err != nil {
			t.Fatal(err)
		}
		if st := r.Status(); st.ApplyErrors != 4 || !st.Ready {
			t.Fatalf("replica %s: %d apply errors, ready %v; want 4 skipped records and still serving", st.ID, st.ApplyErrors, st.Ready)
		}
	}
	la, _ := a.Index().Len()
	lb, _ := b.Index().Len()
	if la != lb {
		t.Fatalf("replicas diverged after bad records: %d vs %d vectors", la, lb)
	}
	// And they still answer.
	keys, _, err := c.Search(ctx, good, 1, &SearchOptions{ReadYourWrites: true})
	if err != nil || len(keys) != 1 {
		t.Fatalf("search after bad input: %v %v", keys, err)
	}
	// JSON requests (ClientOptions.JSONWire) get the same answers as binary ones.
	cj, err := NewClient(ctx, nc, ClientOptions{Collection: "bad", JSONWire: true})
	if err != nil {
		t.Fatal(err)
	}
	jk, jd, err := cj.Search(ctx, good, 2, nil)
	bk, bd, err2 := c.Search(ctx, good, 2, nil)
	if err != nil || err2 != nil || !slices.Equal(jk, bk) || !slices.Equal(jd, bd) {
		t.Fatalf("JSON wire %v %v (%v), binary %v %v (%v)", jk, jd, err, bk, bd, err2)
	}
	jv, err := cj.Get(ctx, key0)
	bv, err2 := c.Get(ctx, key0)
	if err != nil || err2 != nil || len(jv) != 1 || len(bv) != 1 || !slices.Equal(jv[0], bv[0]) || !slices.Equal(bv[0], good) {
		t.Fatalf("Get over JSON %v (%v), binary %v (%v)", jv, err, bv, err2)
	}
	if st := a.Status().BadRequests + b.Status().BadRequests; st < uint64(len(cases)) {
		t.Fatalf("replicas counted %d bad requests, want at least %d", st, len(cases))
	}
}
