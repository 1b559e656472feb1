package cluster

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/usearch-go/usearch"
)

// BenchmarkDurableWrites measures what JetStream's "sync always" costs a write, against
// nats-server's default (fsync every 2 minutes), on one server with 1 copy and on three
// routed servers with 3 copies (all on loopback, file storage in the test's temp dir, so
// the disk under $TMPDIR decides the fsync cost). Add is one acknowledged write at a time
// (latency); AddBatch pipelines 1024 (throughput). Reported: ns/op per vector, and
// vectors/s. Run on a quiet machine:
//
//	cd cluster && GOWORK=off go test -run '^$' -bench BenchmarkDurableWrites -benchtime 2000x -count 3 .
func BenchmarkDurableWrites(b *testing.B) {
	const dims = 128
	rng := rand.New(rand.NewPCG(1, 2))
	data := clustered(rng, 4096, dims)
	for _, servers := range []int{1, 3} {
		for _, always := range []bool{false, true} {
			sync := "default"
			if always {
				sync = "always"
			}
			b.Run(fmt.Sprintf("servers=%d/sync=%s", servers, sync), func(b *testing.B) {
				var url string
				if servers == 1 {
					s, err := RunEmbedded(EmbeddedOptions{Port: -1, StoreDir: b.TempDir(), SyncAlways: always})
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(s.Shutdown)
					url = s.ClientURL()
				} else {
					_, url = startNATSCluster(b, always)
				}
				nc := connect(b, url)
				ctx := ctxFor(b, 10*time.Minute)
				if err := Create(ctx, jsOf(b, nc), "", Spec{Name: "sync", Shards: 2, Index: usearch.DefaultConfig(dims)}); err != nil {
					b.Fatal(err)
				}
				c, err := NewClient(ctx, nc, ClientOptions{Collection: "sync"})
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("stream copies %d", c.Spec().Copies)
				b.Run("Add", func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						j := i % 4096
						if _, err := c.Add(ctx, usearch.Key(i), data[j*dims:(j+1)*dims]); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
				})
				b.Run("AddBatch", func(b *testing.B) {
					keys := make([]usearch.Key, 4096)
					for done := 0; done < b.N; done += len(keys) {
						n := min(len(keys), b.N-done)
						for i := range keys[:n] {
							keys[i] = usearch.Key(1<<32 + done + i)
						}
						if _, err := c.AddBatch(ctx, keys[:n], data[:n*dims], nil); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
				})
			})
		}
	}
}
