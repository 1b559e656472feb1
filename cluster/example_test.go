package cluster_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/cluster"
)

// A collection of two shards on an embedded NATS server (loopback only): create it, start
// one replica per shard, add vectors, wait until every replica applied them, and search.
// The calls are the library's, with a context: AddBatch takes the vectors row-major and
// returns one Ack per key; Search returns keys and distances, nearest first.
func Example() {
	dir, err := os.MkdirTemp("", "usearch-cluster-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := cluster.RunEmbedded(cluster.EmbeddedOptions{Port: -1, StoreDir: dir, SyncAlways: true})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := cluster.Connect(cluster.ConnOptions{URL: srv.ClientURL()})
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	spec := cluster.Spec{Name: "docs", Shards: 2, Index: usearch.DefaultConfig(3)}
	if err := cluster.Create(ctx, js, "", spec); err != nil {
		log.Fatal(err)
	}
	for shard := 0; shard < spec.Shards; shard++ {
		r, err := cluster.StartReplica(ctx, nc, cluster.ReplicaConfig{Collection: "docs", Shard: shard, TempDir: dir,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			log.Fatal(err)
		}
		defer r.Close()
	}

	client, err := cluster.NewClient(ctx, nc, cluster.ClientOptions{Collection: "docs"})
	if err != nil {
		log.Fatal(err)
	}
	keys := []usearch.Key{1, 2, 3}
	vectors := []float32{
		1, 0, 0,
		0, 1, 0,
		0, 0, 1,
	}
	acks, err := client.AddBatch(ctx, keys, vectors, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := client.WaitApplied(ctx, acks); err != nil {
		log.Fatal(err)
	}
	found, distances, err := client.Search(ctx, []float32{0.9, 0.1, 0}, 2, nil)
	if err != nil {
		log.Fatal(err)
	}
	for i := range found {
		fmt.Printf("key %d at %.3f\n", found[i], distances[i])
	}
	// Output:
	// key 1 at 0.006
	// key 2 at 0.890
}
