// Command usearch-cluster runs and inspects sharded, replicated usearch collections on NATS.
//
//	usearch-cluster create -collection docs -shards 3 -dims 128 [-metric cos] [-copies 3]
//	usearch-cluster serve  -collection docs -shards-served 0,1 [-snapshot-every 10000] [-trim]
//	usearch-cluster search -collection docs -k 10 -vector 0.1,0.2,...
//	usearch-cluster status -collection docs
//	usearch-cluster dev    -collection docs -shards 3 -dims 128 -replicas-per-shard 2 -store DIR
//
// Connection flags (every subcommand): -url, -user, -password (or $USEARCH_NATS_PASSWORD),
// -creds, -nkey, -tlsca, -tlscert, -tlskey, -prefix. Credentials are never printed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/cluster"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "create":
		err = create(os.Args[2:])
	case "serve":
		err = serve(os.Args[2:], false)
	case "dev":
		err = serve(os.Args[2:], true)
	case "search":
		err = search(os.Args[2:])
	case "status":
		err = status(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "usearch-cluster:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: usearch-cluster create|serve|search|status|dev [flags] (-h for flags)")
	os.Exit(2)
}

type common struct {
	conn       cluster.ConnOptions
	prefix     string
	collection string
}

func commonFlags(fs *flag.FlagSet) *common {
	c := &common{}
	fs.StringVar(&c.conn.URL, "url", nats.DefaultURL, "NATS server URLs, comma-separated")
	fs.StringVar(&c.conn.User, "user", "", "NATS user")
	fs.StringVar(&c.conn.Password, "password", os.Getenv("USEARCH_NATS_PASSWORD"), "NATS password (default $USEARCH_NATS_PASSWORD)")
	fs.StringVar(&c.conn.CredsFile, "creds", "", "NATS JWT credentials file")
	fs.StringVar(&c.conn.NKeySeedFile, "nkey", "", "NATS nkey seed file")
	fs.StringVar(&c.conn.RootCAFile, "tlsca", "", "CA file to verify the server")
	fs.StringVar(&c.conn.CertFile, "tlscert", "", "client certificate for mutual TLS")
	fs.StringVar(&c.conn.KeyFile, "tlskey", "", "client key for mutual TLS")
	fs.StringVar(&c.prefix, "prefix", cluster.DefaultPrefix, "subject prefix")
	fs.StringVar(&c.collection, "collection", "", "collection name")
	return c
}

func parse(fs *flag.FlagSet, args []string, c *common) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.collection == "" {
		return fmt.Errorf("-collection is required")
	}
	return nil
}

func metricOf(name string) (usearch.Metric, error) {
	for m := usearch.Metric(0); m < 32; m++ {
		if m.String() == name {
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown metric %q", name)
}

func specFlags(fs *flag.FlagSet) func(name string) (cluster.Spec, error) {
	shards := fs.Int("shards", 3, "number of shards (fixed at creation)")
	dims := fs.Uint("dims", 0, "vector dimensions")
	metric := fs.String("metric", usearch.Cosine.String(), "distance metric")
	copies := fs.Int("copies", 0, "JetStream copies of each stream (1, 3, 5); 0: 3 on a NATS cluster of 3 or more servers, else 1")
	fs.IntVar(copies, "replicas", 0, "older name of -copies")
	return func(name string) (cluster.Spec, error) {
		m, err := metricOf(*metric)
		if err != nil {
			return cluster.Spec{}, err
		}
		conf := usearch.DefaultConfig(*dims)
		conf.Metric = m
		return cluster.Spec{Name: name, Shards: *shards, Copies: *copies, Index: conf}, nil
	}
}

func create(args []string) error {
	fs := flag.NewFlagSet("create", flag.ExitOnError)
	c := commonFlags(fs)
	spec := specFlags(fs)
	if err := parse(fs, args, c); err != nil {
		return err
	}
	s, err := spec(c.collection)
	if err != nil {
		return err
	}
	nc, err := cluster.Connect(c.conn)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cluster.Create(ctx, js, c.prefix, s)
}

func serve(args []string, dev bool) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	c := commonFlags(fs)
	served := fs.String("shards-served", "", "shards this process serves, e.g. 0,2 (default: all)")
	perShard := fs.Int("replicas-per-shard", 1, "replicas of each served shard in this process")
	every := fs.Int("snapshot-every", 10000, "writes between snapshots")
	interval := fs.Duration("snapshot-interval", time.Minute, "time between snapshots when idle")
	trim := fs.Bool("trim", false, "purge each stream below the oldest kept snapshot")
	tmp := fs.String("tmp", "", "directory for staging snapshot files")
	var spec func(string) (cluster.Spec, error)
	var store *string
	var port *int
	var syncMode *string
	if dev {
		spec = specFlags(fs)
		store = fs.String("store", "", "JetStream storage directory of the embedded server")
		port = fs.Int("port", 4222, "client port of the embedded server (loopback)")
		syncMode = fs.String("sync", "always", "JetStream fsync: \"always\" (every write before its ack: survives power loss) or an interval such as 2m (nats-server's default)")
	}
	if err := parse(fs, args, c); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if dev {
		if *store == "" {
			return fmt.Errorf("dev needs -store")
		}
		eo := cluster.EmbeddedOptions{Port: *port, StoreDir: *store}
		if *syncMode == "always" {
			eo.SyncAlways = true
		} else if d, err := time.ParseDuration(*syncMode); err == nil && d > 0 {
			eo.SyncInterval = d
		} else {
			return fmt.Errorf("-sync %q: want \"always\" or a positive duration such as 2m", *syncMode)
		}
		s, err := cluster.RunEmbedded(eo)
		if err != nil {
			return err
		}
		defer s.Shutdown()
		c.conn.URL = s.ClientURL()
		log.Info("embedded NATS with JetStream", "url", s.ClientURL(), "sync", *syncMode)
	}
	nc, err := cluster.Connect(c.conn)
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if dev {
		s, err := spec(c.collection)
		if err != nil {
			return err
		}
		js, _ := jetstream.New(nc)
		if err := cluster.Create(ctx, js, c.prefix, s); err != nil {
			return err
		}
	}
	client, err := cluster.NewClient(ctx, nc, cluster.ClientOptions{Prefix: c.prefix, Collection: c.collection})
	if err != nil {
		return err
	}
	var shards []int
	if *served == "" {
		for s := 0; s < client.Spec().Shards; s++ {
			shards = append(shards, s)
		}
	} else {
		for _, f := range strings.Split(*served, ",") {
			s, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return fmt.Errorf("-shards-served %q: %v", *served, err)
			}
			shards = append(shards, s)
		}
	}
	var reps []*cluster.Replica
	for _, s := range shards {
		for i := 0; i < *perShard; i++ {
			r, err := cluster.StartReplica(ctx, nc, cluster.ReplicaConfig{Prefix: c.prefix, Collection: c.collection, Shard: s,
				SnapshotEvery: *every, SnapshotInterval: *interval, TrimStream: *trim, TempDir: *tmp, Logger: log})
			if err != nil {
				return err
			}
			reps = append(reps, r)
		}
	}
	<-ctx.Done()
	for _, r := range reps {
		_ = r.Close()
	}
	return nil
}

func search(args []string) error {
	fs := flag.NewFlagSet("search", flag.ExitOnError)
	c := commonFlags(fs)
	k := fs.Int("k", 10, "results")
	vec := fs.String("vector", "", "query vector, comma-separated floats")
	timeout := fs.Duration("timeout", 5*time.Second, "overall timeout")
	if err := parse(fs, args, c); err != nil {
		return err
	}
	var q []float32
	for _, f := range strings.Split(*vec, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil {
			return fmt.Errorf("-vector: %v", err)
		}
		q = append(q, float32(v))
	}
	nc, err := cluster.Connect(c.conn)
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client, err := cluster.NewClient(ctx, nc, cluster.ClientOptions{Prefix: c.prefix, Collection: c.collection})
	if err != nil {
		return err
	}
	keys, dists, err := client.Search(ctx, q, uint(*k), nil)
	for i := range keys {
		fmt.Printf("%d\t%g\n", keys[i], dists[i])
	}
	return err
}

func status(args []string) error {
	fs := flag.NewFlagSet("status", flag.ExitOnError)
	c := commonFlags(fs)
	wait := fs.Duration("wait", time.Second, "how long to collect replica replies")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args, c); err != nil {
		return err
	}
	nc, err := cluster.Connect(c.conn)
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *wait+10*time.Second)
	defer cancel()
	client, err := cluster.NewClient(ctx, nc, cluster.ClientOptions{Prefix: c.prefix, Collection: c.collection})
	if err != nil {
		return err
	}
	logs, err := client.Logs(ctx)
	if err != nil {
		return err
	}
	reps, err := client.Status(ctx, *wait)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(map[string]any{"spec": client.Spec(), "streams": logs, "replicas": reps})
	}
	sp := client.Spec()
	fmt.Printf("collection %s: %d shards, %d dims, %v, stream copies %d\n", sp.Name, sp.Shards, sp.Index.Dimensions, sp.Index.Metric, sp.Copies)
	for _, l := range logs {
		n := 0
		for _, r := range reps {
			if r.Shard == l.Shard && r.Ready {
				n++
			}
		}
		health := "ok"
		if n == 0 {
			health = "NO REPLICA"
		}
		fmt.Printf("shard %d: stream seq %d..%d (%d msgs, %d B) leader %q, %d replicas ready: %s\n", l.Shard, l.FirstSeq, l.LastSeq, l.Messages, l.Bytes, l.Leader, n, health)
		for _, r := range reps {
			if r.Shard == l.Shard {
				fmt.Printf("  replica %s applied %d lag %d vectors %d snapshot %d qps %.1f p50 %.0fus p99 %.0fus errors %d/%d\n",
					r.ID, r.Applied, l.LastSeq-min(r.Applied, l.LastSeq), r.Vectors, r.SnapshotSeq, r.QPS, r.LatencyP50us, r.LatencyP99us, r.ApplyErrors, r.BadRequests)
			}
		}
	}
	return nil
}
