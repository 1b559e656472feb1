// Command usearch-cluster runs and inspects sharded, replicated usearch collections on NATS.
//
//	usearch-cluster create -collection docs -shards 3 -dims 128 [-metric cos] [-copies 3]
//	usearch-cluster serve  -collection docs -shards-served 0,1 [-snapshot-every 10000] [-trim]
//	usearch-cluster gen    -n 10000 -dims 32 -o vectors.npy -queries 100 -q queries.npy -gt truth.npy
//	usearch-cluster load   -collection docs -i vectors.npy [-keys keys.npy]
//	usearch-cluster search -collection docs -q queries.npy -k 10 [-gt truth.npy] [-format tsv|jsonl]
//	usearch-cluster search -collection docs -k 10 -vector 0.1,0.2,...
//	usearch-cluster status -collection docs [-json]
//	usearch-cluster dev    -collection docs -shards 3 -dims 128 -replicas-per-shard 2 -store DIR
//	usearch-cluster help
//
// Connection flags (every subcommand): -url, -user, -password (or $USEARCH_NATS_PASSWORD),
// -creds, -nkey, -tlsca, -tlscert, -tlskey, -prefix. Credentials are never printed.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type command struct {
	name, summary string
	fn            func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"create", "create a collection (shards, dimensions, metric, stream copies)", create},
		{"serve", "serve shards of a collection: apply writes, answer searches", func(a []string, o, e io.Writer) error { return serve(a, e, false) }},
		{"gen", "write synthetic vectors, queries and their exact ground truth as .npy files", gen},
		{"load", "add the vectors of a .npy file (keys from a .npy or row numbers)", load},
		{"search", "search with the rows of a .npy file (recall against ground truth) or one -vector", search},
		{"status", "show shards, streams and replicas (-json for scripts)", status},
		{"dev", "an embedded NATS server, the collection and its replicas in one process", func(a []string, o, e io.Writer) error { return serve(a, e, true) }},
		{"help", "list the commands", func(a []string, o, e io.Writer) error { usage(o); return nil }},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: usearch-cluster <command> [flags]   (usearch-cluster <command> -h for its flags)")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-7s %s\n", c.name, c.summary)
	}
}

// run is main without the exit: 0 on success, 1 on an error, 2 on bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 {
		usage(stderr)
		return 2
	}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" {
		name = "help"
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.fn(args[1:], stdout, stderr)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		}
		fmt.Fprintln(stderr, "usearch-cluster "+name+":", err)
		return 1
	}
	fmt.Fprintf(stderr, "usearch-cluster: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

var flagErrHelp = flag.ErrHelp

// errUsage marks a flag error the flag package already printed.
var errUsage = errors.New("usage")

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: usearch-cluster %s [flags]\n", name)
		fs.PrintDefaults()
	}
	return fs
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
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags come before nothing else)", fs.Arg(0))
	}
	if c.collection == "" {
		return fmt.Errorf("-collection is required")
	}
	return nil
}

// connectClient connects and reads the collection.
func (c *common) client(ctx context.Context) (*nats.Conn, *cluster.Client, error) {
	nc, err := cluster.Connect(c.conn)
	if err != nil {
		return nil, nil, err
	}
	client, err := cluster.NewClient(ctx, nc, cluster.ClientOptions{Prefix: c.prefix, Collection: c.collection})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, client, nil
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
		if *dims == 0 {
			return cluster.Spec{}, fmt.Errorf("-dims is required (the vectors' dimensions)")
		}
		m, err := metricOf(*metric)
		if err != nil {
			return cluster.Spec{}, err
		}
		conf := usearch.DefaultConfig(*dims)
		conf.Metric = m
		return cluster.Spec{Name: name, Shards: *shards, Copies: *copies, Index: conf}, nil
	}
}

func create(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("create", stderr)
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
	if err := cluster.Create(ctx, js, c.prefix, s); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "collection %q: %d shards of %d dimensions (%v)\n", s.Name, s.Shards, s.Index.Dimensions, s.Index.Metric)
	return nil
}

func serve(args []string, stderr io.Writer, dev bool) error {
	name := "serve"
	if dev {
		name = "dev"
	}
	fs := newFlags(name, stderr)
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
	log := slog.New(slog.NewTextHandler(stderr, nil))
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

func search(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("search", stderr)
	c := commonFlags(fs)
	k := fs.Uint("k", 10, "results per query")
	queries := fs.String("q", "", "queries: .npy of float32 or float64, one per row")
	vec := fs.String("vector", "", "one query, comma-separated floats (instead of -q)")
	gt := fs.String("gt", "", "ground truth: .npy of integer keys, row i the nearest keys of query i, nearest first; prints recall@k")
	format := fs.String("format", "tsv", "output: tsv (query, rank, key, distance) or jsonl (one object per query)")
	exact := fs.Bool("exact", false, "exact search (brute force on every shard)")
	expansion := fs.Uint("expansion", 0, "search width (0: the collection's)")
	batch := fs.Int("batch", 256, "queries per request")
	timeout := fs.Duration("timeout", time.Minute, "overall timeout")
	if err := parse(fs, args, c); err != nil {
		return err
	}
	if *format != "tsv" && *format != "jsonl" {
		return fmt.Errorf("-format %q: want tsv or jsonl", *format)
	}
	if (*queries == "") == (*vec == "") {
		return fmt.Errorf("give either -q queries.npy or -vector")
	}
	if *batch < 1 || *batch > cluster.MaxBatch {
		return fmt.Errorf("-batch %d: want 1..%d", *batch, cluster.MaxBatch)
	}
	var q []float32
	if *vec != "" {
		for _, f := range strings.Split(*vec, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
			if err != nil {
				return fmt.Errorf("-vector: %v", err)
			}
			q = append(q, float32(v))
		}
	} else {
		a, err := readNpy(*queries)
		if err != nil {
			return err
		}
		if q, err = a.floats(); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	nc, client, err := c.client(ctx)
	if err != nil {
		return err
	}
	defer nc.Close()
	d := int(client.Spec().Index.Dimensions)
	if len(q)%d != 0 {
		return fmt.Errorf("%d query values are no whole number of %d-dimensional rows (collection %q has %d dimensions)", len(q), d, c.collection, d)
	}
	nq := len(q) / d
	var truth []uint64
	gtCols := 0
	if *gt != "" {
		a, err := readNpy(*gt)
		if err != nil {
			return err
		}
		if a.rows != nq {
			return fmt.Errorf("-gt %s has %d rows for %d queries", *gt, a.rows, nq)
		}
		if truth, err = a.ints(); err != nil {
			return err
		}
		gtCols = a.cols
	}
	opts := &cluster.SearchOptions{Exact: *exact, Expansion: *expansion}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	if *format == "tsv" {
		fmt.Fprintln(out, "query\trank\tkey\tdistance")
	}
	var hits, wanted int
	var partial error
	for from := 0; from < nq; from += *batch {
		to := min(nq, from+*batch)
		m, err := client.SearchBatch(ctx, q[from*d:to*d], *k, opts)
		if m == nil {
			return err
		}
		if err != nil && partial == nil {
			partial = err // print what the other shards answered, then report it
		}
		for i := 0; i < m.Len(); i++ {
			keys, dists := m.At(i)
			qi := from + i
			if *format == "tsv" {
				for r := range keys {
					fmt.Fprintf(out, "%d\t%d\t%d\t%g\n", qi, r+1, keys[r], dists[r])
				}
			} else if err := enc.Encode(map[string]any{"query": qi, "keys": keys, "distances": dists}); err != nil {
				return err
			}
			if truth != nil {
				want := truth[qi*gtCols : qi*gtCols+min(gtCols, int(*k))]
				set := make(map[uint64]bool, len(want))
				for _, w := range want {
					set[w] = true
				}
				for _, key := range keys {
					if set[key] {
						hits++
					}
				}
				wanted += len(want)
			}
		}
	}
	if truth != nil {
		out.Flush()
		fmt.Fprintf(stderr, "recall@%d: %.4f over %d queries (ground truth %s, %d columns)\n", *k, float64(hits)/float64(max(wanted, 1)), nq, *gt, gtCols)
	}
	return partial
}

func load(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("load", stderr)
	c := commonFlags(fs)
	in := fs.String("i", "", "vectors: .npy of float32 or float64, one per row")
	keysPath := fs.String("keys", "", "keys: .npy of integers, one per row (default: row numbers from -start-key)")
	start := fs.Uint64("start-key", 0, "key of the first row when -keys is not given")
	chunk := fs.Int("chunk", 10000, "rows per AddBatch call")
	wait := fs.Bool("wait", true, "return once every replica applied the load (searches then see all of it)")
	quiet := fs.Bool("quiet", false, "no progress line")
	timeout := fs.Duration("timeout", 0, "overall limit (0: none)")
	if err := parse(fs, args, c); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("-i vectors.npy is required")
	}
	if *chunk < 1 {
		return fmt.Errorf("-chunk %d: want at least 1", *chunk)
	}
	a, err := readNpy(*in)
	if err != nil {
		return err
	}
	vecs, err := a.floats()
	if err != nil {
		return err
	}
	keys := make([]usearch.Key, a.rows)
	if *keysPath != "" {
		k, err := readNpy(*keysPath)
		if err != nil {
			return err
		}
		if k.cols != 1 || k.rows != a.rows {
			return fmt.Errorf("-keys %s has shape (%d, %d); want one key for each of the %d rows of %s", *keysPath, k.rows, k.cols, a.rows, *in)
		}
		if keys, err = k.ints(); err != nil {
			return err
		}
	} else {
		for i := range keys {
			keys[i] = *start + uint64(i)
		}
	}
	ctx := context.Background()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	nc, client, err := c.client(ctx)
	if err != nil {
		return err
	}
	defer nc.Close()
	if d := int(client.Spec().Index.Dimensions); a.cols != d {
		return fmt.Errorf("%s has %d columns; collection %q has %d dimensions", *in, a.cols, c.collection, d)
	}
	began := time.Now()
	var last time.Time
	show := func(done int, final bool) {
		if *quiet || (!final && time.Since(last) < 250*time.Millisecond) {
			return
		}
		last = time.Now()
		rate := float64(done) / max(time.Since(began).Seconds(), 1e-9)
		fmt.Fprintf(stderr, "\rload: %d/%d vectors (%.0f%%), %.0f/s", done, a.rows, 100*float64(done)/float64(a.rows), rate)
		if final {
			fmt.Fprintln(stderr)
		}
	}
	var acks []cluster.Ack
	for from := 0; from < a.rows; from += *chunk {
		to := min(a.rows, from+*chunk)
		got, err := client.AddBatch(ctx, keys[from:to], vecs[from*a.cols:to*a.cols], &usearch.BatchOptions{
			Progress: func(done, _ int) { show(from+done, false) }})
		if err != nil {
			show(from, true)
			return fmt.Errorf("rows %d..%d: %w (rows before %d are stored; loading again is safe)", from, to-1, err, from)
		}
		acks = append(acks, got...)
	}
	show(a.rows, true)
	took := time.Since(began)
	fmt.Fprintf(stdout, "loaded %d vectors of %d dimensions into %q in %v (%.0f/s acknowledged)\n", a.rows, a.cols, c.collection, took.Round(time.Millisecond), float64(a.rows)/took.Seconds())
	if *wait {
		if err := client.WaitApplied(ctx, acks); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied by every replica after %v\n", time.Since(began).Round(time.Millisecond))
	}
	return nil
}

func status(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stderr)
	c := commonFlags(fs)
	wait := fs.Duration("wait", 5*time.Second, "longest wait for the registered replicas to answer")
	asJSON := fs.Bool("json", false, "print JSON: {spec, streams, replicas}")
	if err := parse(fs, args, c); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *wait+10*time.Second)
	defer cancel()
	nc, client, err := c.client(ctx)
	if err != nil {
		return err
	}
	defer nc.Close()
	logs, err := client.Logs(ctx)
	if err != nil {
		return err
	}
	reps, err := client.Status(ctx, *wait)
	if err != nil {
		return err
	}
	if *asJSON {
		if reps == nil {
			reps = []cluster.ReplicaStatus{}
		}
		return json.NewEncoder(stdout).Encode(map[string]any{"spec": client.Spec(), "streams": logs, "replicas": reps})
	}
	sp := client.Spec()
	fmt.Fprintf(stdout, "collection %s: %d shards, %d dims, %v, stream copies %d\n", sp.Name, sp.Shards, sp.Index.Dimensions, sp.Index.Metric, sp.Copies)
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
		fmt.Fprintf(stdout, "shard %d: stream seq %d..%d (%d msgs, %d B) leader %q, %d replicas ready: %s\n", l.Shard, l.FirstSeq, l.LastSeq, l.Messages, l.Bytes, l.Leader, n, health)
		for _, r := range reps {
			if r.Shard == l.Shard {
				lease := ""
				if r.SnapshotLease {
					lease = " (snapshotter)"
				}
				fmt.Fprintf(stdout, "  replica %s%s applied %d lag %d vectors %d snapshot %d qps %.1f p50 %.0fus p99 %.0fus errors %d/%d\n",
					r.ID, lease, r.Applied, l.LastSeq-min(r.Applied, l.LastSeq), r.Vectors, r.SnapshotSeq, r.QPS, r.LatencyP50us, r.LatencyP99us, r.ApplyErrors, r.BadRequests)
			}
		}
	}
	return nil
}
