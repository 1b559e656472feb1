package cluster

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/usearch-go/usearch"
)

// fullSize reports whether the full sizes were asked for (USEARCH_CLUSTER_FULL=1).
func fullSize() bool { return os.Getenv("USEARCH_CLUSTER_FULL") == "1" }

func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("USEARCH_CLUSTER_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (USEARCH_CLUSTER_SEED to repeat)", seed)
	return seed
}

// clustered makes n vectors around 32 random centres, like embeddings of a few topics.
func clustered(rng *rand.Rand, n, dims int) []float32 {
	centres := make([]float32, 32*dims)
	for i := range centres {
		centres[i] = float32(rng.NormFloat64())
	}
	out := make([]float32, n*dims)
	for i := 0; i < n; i++ {
		c := rng.IntN(32)
		for j := 0; j < dims; j++ {
			out[i*dims+j] = centres[c*dims+j] + 0.35*float32(rng.NormFloat64())
		}
	}
	return out
}

func startServer(t testing.TB) (*server.Server, string) {
	t.Helper()
	s, err := RunEmbedded(EmbeddedOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s, s.ClientURL()
}

func connect(t testing.TB, url string, extra ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := Connect(ConnOptions{URL: url, Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func startReplica(t testing.TB, nc *nats.Conn, cfg ReplicaConfig) *Replica {
	t.Helper()
	if cfg.TempDir == "" {
		cfg.TempDir = t.TempDir()
	}
	if cfg.Logger == nil && !testing.Verbose() {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r, err := StartReplica(ctxFor(t, 60*time.Second), nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// bruteForce returns the k nearest keys (ties broken by key) by cosine distance.
func bruteForce(data []float32, keys []usearch.Key, dims int, q []float32, k int, allow func(usearch.Key) bool) []usearch.Key {
	type kd struct {
		k usearch.Key
		d float64
	}
	var all []kd
	for i, key := range keys {
		if allow != nil && !allow(key) {
			continue
		}
		all = append(all, kd{key, cosine(data[i*dims:(i+1)*dims], q)})
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].d != all[b].d {
			return all[a].d < all[b].d
		}
		return all[a].k < all[b].k
	})
	out := make([]usearch.Key, 0, k)
	for i := 0; i < k && i < len(all); i++ {
		out = append(out, all[i].k)
	}
	return out
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return 1 - ab/math.Sqrt(aa*bb)
}

func recallOf(got, want []usearch.Key) float64 {
	set := map[usearch.Key]bool{}
	for _, k := range want {
		set[k] = true
	}
	hit := 0
	for _, k := range got {
		if set[k] {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}

func jsOf(t testing.TB, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
