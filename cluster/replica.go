package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/usearch-go/usearch"
)

// ReplicaConfig configures one replica of one shard.
type ReplicaConfig struct {
	Prefix     string // subject prefix; DefaultPrefix when empty
	Collection string
	Shard      int
	ID         string // name in status replies; random when empty

	// SnapshotEvery saves a snapshot after this many applied writes (default 10,000;
	// negative disables count-triggered snapshots).
	SnapshotEvery int
	// SnapshotInterval saves a snapshot when writes were applied since the last one and
	// this much time passed (default 1 minute; negative disables).
	SnapshotInterval time.Duration
	// KeepSnapshots is how many snapshots of this shard stay in the bucket (default 2).
	KeepSnapshots int
	// TrimStream purges the shard's stream below the oldest snapshot kept, so the log
	// does not grow forever. A replica that falls behind the trim point restores a snapshot.
	TrimStream bool
	// MaxWait bounds how long a read-your-writes request waits for this replica (default 30s).
	MaxWait time.Duration
	// MaxRequestBytes is the largest request a replica accepts (default MaxRequestLen).
	MaxRequestBytes int
	// Concurrency is how many requests one replica serves at once (default 2×GOMAXPROCS).
	Concurrency int
	TempDir     string       // where snapshot files are staged; os.TempDir() when empty
	Logger      *slog.Logger // never given vectors or credentials; slog.Default() when nil
}

// Replica applies one shard's stream to a local index and serves searches on it.
type Replica struct {
	cfg    ReplicaConfig
	spec   Spec
	n      names
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	snaps  jetstream.ObjectStore
	idx    *usearch.Index
	log    *slog.Logger
	svc    micro.Service
	live   jetstream.KeyValue // registrations and snapshot leases
	regKey string

	// expMu lets searches of the index's own width run together and serialises those of
	// another width, which change the index's expansion for their duration.
	expMu      sync.RWMutex
	defaultExp uint
	bg         sync.WaitGroup // the registration's renewal

	// The shard's snapshot lease: only its holder saves snapshots (see lease).
	leaseHeld      atomic.Bool
	leaseRev       uint64 // revision of the lease entry this replica wrote last; renewal goroutine only
	snapshotsSaved atomic.Uint64

	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	inflight sync.WaitGroup
	sem      chan struct{}

	applied      atomic.Uint64
	pending      atomic.Uint64
	snapshotSeq  atomic.Uint64
	restoredFrom atomic.Uint64
	replayed     atomic.Uint64
	applyErrors  atomic.Uint64
	searches     atomic.Uint64
	queries      atomic.Uint64
	badRequests  atomic.Uint64
	ready        atomic.Bool

	waitMu sync.Mutex
	waitCh chan struct{} // closed when applied advances; nil while nobody waits

	lat       latencyRing
	qps       rateCounter
	sinceSnap int
	lastSnap  time.Time
}

// StartReplica reads the collection's Spec, restores the newest snapshot of the shard,
// replays the stream from there and, once caught up with the stream as it was at start,
// begins serving. It returns when the replica serves, or with ctx's error.
func StartReplica(ctx context.Context, nc *nats.Conn, cfg ReplicaConfig) (*Replica, error) {
	n, err := newNames(cfg.Prefix, cfg.Collection)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	spec, err := readSpec(ctx, js, n)
	if err != nil {
		return nil, err
	}
	if cfg.Shard < 0 || cfg.Shard >= spec.Shards {
		return nil, fmt.Errorf("cluster: replica of shard %d: collection %q has shards 0..%d: %w", cfg.Shard, spec.Name, spec.Shards-1, usearch.ErrInvalidArgument)
	}
	applyDefaults(&cfg)
	r := &Replica{cfg: cfg, spec: spec, n: n, nc: nc, js: js, log: cfg.Logger.With("collection", spec.Name, "shard", cfg.Shard, "replica", cfg.ID),
		done: make(chan struct{}), sem: make(chan struct{}, cfg.Concurrency), lastSnap: time.Now()}
	if r.stream, err = js.Stream(ctx, n.stream(cfg.Shard)); err != nil {
		return nil, fmt.Errorf("cluster: replica: stream %s: %w", n.stream(cfg.Shard), err)
	}
	if r.snaps, err = js.ObjectStore(ctx, n.snapBucket()); err != nil {
		return nil, fmt.Errorf("cluster: replica: snapshot bucket: %w", err)
	}
	if r.idx, err = usearch.NewIndex(spec.Index); err != nil {
		return nil, err
	}
	if err := r.restore(ctx); err != nil {
		r.idx.Close()
		return nil, err
	}
	info, err := r.stream.Info(ctx)
	if err != nil {
		r.idx.Close()
		return nil, fmt.Errorf("cluster: replica: stream info: %w", err)
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	go r.run()
	if err := r.WaitApplied(ctx, info.State.LastSeq); err != nil {
		r.Stop()
		r.idx.Close()
		return nil, fmt.Errorf("cluster: replica: catching up to sequence %d: %w", info.State.LastSeq, err)
	}
	if r.live, err = liveBucket(ctx, js, n, spec.Copies); err != nil {
		r.Stop()
		r.idx.Close()
		return nil, fmt.Errorf("cluster: replica: %w", err)
	}
	if r.defaultExp, err = r.idx.ExpansionSearch(); err != nil {
		r.Stop()
		r.idx.Close()
		return nil, err
	}
	if err := r.serve(); err != nil {
		r.Stop()
		r.idx.Close()
		return nil, err
	}
	r.ready.Store(true)
	if err := r.register(ctx); err != nil {
		r.Stop()
		r.idx.Close()
		return nil, fmt.Errorf("cluster: replica: register: %w", err)
	}
	r.log.Info("replica serving", "applied", r.applied.Load(), "restored_from", r.restoredFrom.Load(), "replayed", r.replayed.Load())
	return r, nil
}

func applyDefaults(cfg *ReplicaConfig) {
	if cfg.ID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		cfg.ID = hex.EncodeToString(b[:])
	}
	if cfg.SnapshotEvery == 0 {
		cfg.SnapshotEvery = 10000
	}
	if cfg.SnapshotInterval == 0 {
		cfg.SnapshotInterval = time.Minute
	}
	if cfg.KeepSnapshots <= 0 {
		cfg.KeepSnapshots = 2
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 30 * time.Second
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = MaxRequestLen
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
}

// Index returns the replica's local index, for inspection; writes must go through a Client.
func (r *Replica) Index() *usearch.Index { return r.idx }

// Applied returns the last stream sequence applied to the index.
func (r *Replica) Applied() uint64 { return r.applied.Load() }

// Stop stops serving and applying (as if the process died, except that the index stays
// open for inspection). It waits for requests under way.
func (r *Replica) Stop() {
	r.ready.Store(false)
	if r.svc != nil {
		_ = r.svc.Stop()
	}
	if r.cancel != nil {
		r.cancel()
		<-r.done
	}
	r.bg.Wait()
	if r.regKey != "" && !r.nc.IsClosed() {
		// Withdraw, so that Status stops waiting for this replica at once and another
		// replica takes the snapshot lease at its next renewal; if the connection is gone
		// both expire by themselves.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = r.live.Delete(ctx, r.regKey)
		if r.leaseHeld.Swap(false) {
			_ = r.live.Delete(ctx, r.leaseKey(), jetstream.LastRevision(r.leaseRev))
		}
		cancel()
	}
	r.inflight.Wait()
}

// registration is a replica's entry in the live bucket, under "r.<shard>.<key-safe id>".
type registration struct {
	ID    string `json:"id"`
	Shard int    `json:"shard"`
}

func keySafe(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

func (r *Replica) leaseKey() string { return fmt.Sprintf("lease.%d", r.cfg.Shard) }

// lease takes or renews the shard's snapshot lease. One replica per shard saves snapshots
// (the others would upload the same state again); the lease is an entry of the live
// bucket written with compare-and-set: Create succeeds only when the entry is absent
// (never taken, released by Stop, or expired by the bucket's TTL after its holder died),
// and the holder renews it with Update on the revision it wrote, which fails if anyone
// else took it meanwhile. A holder that cannot renew stops snapshotting at once.
func (r *Replica) lease(ctx context.Context) {
	val := []byte(r.cfg.ID)
	if r.leaseHeld.Load() {
		rev, err := r.live.Update(ctx, r.leaseKey(), val, r.leaseRev)
		if err == nil {
			r.leaseRev = rev
			return
		}
		r.leaseHeld.Store(false)
		r.log.Info("snapshot lease lost", "err", err)
	}
	rev, err := r.live.Create(ctx, r.leaseKey(), val)
	if err != nil {
		return // held by another replica (or unreachable: try again at the next renewal)
	}
	r.leaseRev = rev
	r.leaseHeld.Store(true)
	r.log.Info("snapshot lease taken")
}

// SnapshotLease reports whether this replica holds its shard's snapshot lease, that is,
// whether it is the one saving the shard's snapshots.
func (r *Replica) SnapshotLease() bool { return r.leaseHeld.Load() }

// register enters the replica in the live bucket and renews the entry every liveTTL/4
// until Stop; the bucket's TTL drops it within liveTTL once renewals stop.
func (r *Replica) register(ctx context.Context) error {
	r.regKey = fmt.Sprintf("r.%d.%s", r.cfg.Shard, keySafe(r.cfg.ID))
	val, _ := json.Marshal(registration{ID: r.cfg.ID, Shard: r.cfg.Shard})
	if _, err := r.live.Put(ctx, r.regKey, val); err != nil {
		return err
	}
	r.lease(ctx)
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		tick := time.NewTicker(liveTTL / 4)
		defer tick.Stop()
		for {
			select {
			case <-r.ctx.Done():
				return
			case <-tick.C:
				pctx, cancel := context.WithTimeout(r.ctx, liveTTL/4)
				if _, err := r.live.Put(pctx, r.regKey, val); err != nil && r.ctx.Err() == nil {
					r.log.Warn("renewing the registration failed", "err", err)
				}
				r.lease(pctx)
				cancel()
			}
		}
	}()
	return nil
}

// Close stops the replica and frees its index.
func (r *Replica) Close() error {
	r.Stop()
	return r.idx.Close()
}

// WaitApplied waits until the replica applied stream sequence seq.
func (r *Replica) WaitApplied(ctx context.Context, seq uint64) error {
	for {
		r.waitMu.Lock()
		if r.applied.Load() >= seq {
			r.waitMu.Unlock()
			return nil
		}
		if r.waitCh == nil {
			r.waitCh = make(chan struct{})
		}
		ch := r.waitCh
		r.waitMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("replica applied %d, waiting for %d: %w", r.applied.Load(), seq, ctx.Err())
		case <-r.done:
			return fmt.Errorf("replica stopped at %d, waiting for %d", r.applied.Load(), seq)
		}
	}
}

func (r *Replica) setApplied(seq uint64) {
	r.waitMu.Lock()
	r.applied.Store(seq)
	if r.waitCh != nil {
		close(r.waitCh)
		r.waitCh = nil
	}
	r.waitMu.Unlock()
}

var errGap = errors.New("stream has a gap below the next sequence")

// run applies the stream until Stop. A gap (the stream was trimmed past this replica)
// makes it restore the newest snapshot and go on from there.
func (r *Replica) run() {
	defer close(r.done)
	for r.ctx.Err() == nil {
		err := r.consume()
		if r.ctx.Err() != nil {
			return
		}
		if errors.Is(err, errGap) {
			r.log.Warn("stream trimmed past this replica; restoring the newest snapshot", "applied", r.applied.Load())
			if err := r.restore(r.ctx); err != nil {
				r.log.Error("restore failed", "err", err)
			}
			continue
		}
		if errors.Is(err, errStalled) {
			continue // the watchdog already waited: a new consumer at once
		}
		r.log.Warn("consumer stopped; restarting", "err", err)
		select {
		case <-r.ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (r *Replica) consume() error {
	cc := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if a := r.applied.Load(); a > 0 {
		cc = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: a + 1}
	}
	cons, err := r.stream.OrderedConsumer(r.ctx, cc)
	if err != nil {
		return err
	}
	// Pulls expire after 4 s with a heartbeat every second, so that nats.go resets the
	// ordered consumer after two missed heartbeats (2 s) instead of after nats.go's default
	// of two missed 5-second heartbeats (10 s) of a 30-second pull.
	it, err := cons.Messages(jetstream.PullExpiry(4*time.Second), jetstream.PullHeartbeat(time.Second))
	if err != nil {
		return err
	}
	stopped := make(chan struct{})
	defer close(stopped)
	// The watchdog stops the iterator on Stop, and also when the replica applied nothing
	// for stallCheck while the stream is ahead of it or cannot be asked: after the server
	// holding the consumer dies, the consumer can sit silent (and Next blocked) instead of
	// failing. It looks every stallCheck/6, so it fires between stallCheck and
	// stallCheck×7/6 (plus the 1 s stream query) after the last applied write.
	var stalled atomic.Bool
	go func() {
		tick := time.NewTicker(stallCheck / 6)
		defer tick.Stop()
		last, since := r.applied.Load(), time.Now()
		for {
			select {
			case <-r.ctx.Done():
				it.Stop()
				return
			case <-stopped:
				it.Stop()
				return
			case <-tick.C:
				if a := r.applied.Load(); a != last {
					last, since = a, time.Now()
					continue
				}
				if time.Since(since) < stallCheck {
					continue
				}
				if err := r.checkStalled(); err != nil {
					r.log.Warn("consumer stalled; recreating it", "err", err)
					stalled.Store(true)
					it.Stop()
					return
				}
				since = time.Now() // idle and up to date: look again after stallCheck
			}
		}
	}()
	for {
		msg, err := it.Next(jetstream.NextMaxWait(time.Second))
		if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			r.maybeSnapshot(false)
			continue
		}
		if err != nil {
			if stalled.Load() {
				return fmt.Errorf("%w at %d", errStalled, r.applied.Load())
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return err
		}
		md, err := msg.Metadata()
		if err != nil {
			return err
		}
		seq := md.Sequence.Stream
		a := r.applied.Load()
		if seq <= a {
			continue // redelivered after an ordered-consumer reset
		}
		if seq != a+1 {
			return fmt.Errorf("%w: got %d after %d", errGap, seq, a)
		}
		r.apply(msg.Data())
		if !r.ready.Load() {
			r.replayed.Add(1)
		}
		r.pending.Store(md.NumPending)
		r.setApplied(seq)
		r.sinceSnap++
		r.maybeSnapshot(md.NumPending == 0)
	}
}

// stallCheck is how long a replica waits without messages before asking the stream
// whether it missed some.
const stallCheck = 3 * time.Second

var errStalled = errors.New("consumer stalled behind the stream")

func (r *Replica) checkStalled() error {
	ctx, cancel := context.WithTimeout(r.ctx, time.Second)
	defer cancel()
	info, err := r.stream.Info(ctx)
	if err != nil {
		// The stream is unreachable: its leader is most likely on the server that died with
		// the consumer, and a new consumer is needed once a new leader is elected. Waiting
		// for the stream to answer first cost up to several stallChecks.
		return fmt.Errorf("%w: applied %d, stream unreachable: %v", errStalled, r.applied.Load(), err)
	}
	if a := r.applied.Load(); info.State.LastSeq > a {
		return fmt.Errorf("%w: applied %d, stream at %d", errStalled, a, info.State.LastSeq)
	}
	return nil
}

// apply performs one write. Adds replace an existing key (unless the index is Multi), so
// that replaying a record is harmless and every replica ends with the same content.
func (r *Replica) apply(data []byte) {
	rec, err := decodeRecord(data, int(r.spec.Index.Dimensions))
	if err == nil {
		switch rec.op {
		case opAdd:
			if !r.spec.Index.Multi {
				if ok, _ := r.idx.Contains(rec.key); ok {
					err = r.idx.Remove(rec.key)
				}
			}
			if err == nil {
				err = r.idx.Add(rec.key, rec.vec)
			}
		case opRemove:
			if ok, _ := r.idx.Contains(rec.key); ok {
				err = r.idx.Remove(rec.key)
			}
		case opRename:
			if ok, _ := r.idx.Contains(rec.key); ok {
				err = r.idx.Rename(rec.key, rec.to)
			}
		}
	}
	if err != nil {
		// The same record fails the same way on every replica, so skipping keeps them equal.
		r.applyErrors.Add(1)
		r.log.Warn("write record skipped", "op", rec.op, "err", err)
	}
}

// maybeSnapshot saves a snapshot when enough writes or time accumulated and this replica
// holds the shard's snapshot lease. It runs on the applying goroutine, so the snapshot is
// exactly the state at r.applied.
func (r *Replica) maybeSnapshot(idle bool) {
	if r.sinceSnap == 0 || !r.leaseHeld.Load() {
		return
	}
	byCount := r.cfg.SnapshotEvery > 0 && r.sinceSnap >= r.cfg.SnapshotEvery
	byTime := r.cfg.SnapshotInterval > 0 && time.Since(r.lastSnap) >= r.cfg.SnapshotInterval && idle
	if !byCount && !byTime {
		return
	}
	if err := r.Snapshot(r.ctx); err != nil && r.ctx.Err() == nil {
		r.log.Warn("snapshot failed", "err", err)
	}
}

func (r *Replica) snapPrefix() string { return fmt.Sprintf("shard-%04d/", r.cfg.Shard) }

// Snapshot saves the index, in the upstream file format, to the snapshot bucket under a
// name carrying the applied sequence, drops snapshots beyond KeepSnapshots and, with
// TrimStream, purges the stream below the oldest snapshot kept. It must not run
// concurrently with applying: call it only while the replica is stopped, or let the
// replica call it itself.
func (r *Replica) Snapshot(ctx context.Context) error {
	seq := r.applied.Load()
	f, err := os.CreateTemp(r.cfg.TempDir, "usearch-snap-*.usearch")
	if err != nil {
		return err
	}
	path := f.Name()
	f.Close()
	defer os.Remove(path)
	if err := r.idx.Save(path); err != nil {
		return err
	}
	count, _ := r.idx.Len()
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	name := fmt.Sprintf("%s%020d", r.snapPrefix(), seq)
	if _, err := r.snaps.GetInfo(ctx, name); err == nil {
		// Another replica of the shard already saved this very state.
		r.snapshotSeq.Store(seq)
		r.sinceSnap = 0
		r.lastSnap = time.Now()
		return nil
	}
	meta := jetstream.ObjectMeta{Name: name, Metadata: map[string]string{"seq": strconv.FormatUint(seq, 10), "shard": strconv.Itoa(r.cfg.Shard), "count": strconv.FormatUint(uint64(count), 10)}}
	if _, err := r.snaps.Put(ctx, meta, file); err != nil {
		return fmt.Errorf("snapshot %s: %w", name, err)
	}
	r.snapshotSeq.Store(seq)
	r.snapshotsSaved.Add(1)
	r.sinceSnap = 0
	r.lastSnap = time.Now()
	r.log.Info("snapshot saved", "seq", seq, "vectors", count)
	return r.prune(ctx)
}

// snapshots lists this shard's snapshots, oldest first.
func (r *Replica) snapshots(ctx context.Context) ([]uint64, error) {
	list, err := r.snaps.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, o := range list {
		if s, ok := strings.CutPrefix(o.Name, r.snapPrefix()); ok {
			if v, err := strconv.ParseUint(s, 10, 64); err == nil {
				seqs = append(seqs, v)
			}
		}
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

func (r *Replica) prune(ctx context.Context) error {
	seqs, err := r.snapshots(ctx)
	if err != nil || len(seqs) == 0 {
		return err
	}
	for len(seqs) > r.cfg.KeepSnapshots {
		if err := r.snaps.Delete(ctx, fmt.Sprintf("%s%020d", r.snapPrefix(), seqs[0])); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return err
		}
		seqs = seqs[1:]
	}
	if r.cfg.TrimStream && seqs[0] > 0 {
		// Keep everything after the oldest snapshot still kept: messages <= seqs[0] go.
		if err := r.stream.Purge(ctx, jetstream.WithPurgeSequence(seqs[0]+1)); err != nil {
			return fmt.Errorf("trim stream below %d: %w", seqs[0]+1, err)
		}
	}
	return nil
}

// restore loads the newest snapshot of the shard, if any, and sets applied to its sequence.
func (r *Replica) restore(ctx context.Context) error {
	seqs, err := r.snapshots(ctx)
	if err != nil {
		return fmt.Errorf("cluster: replica: list snapshots: %w", err)
	}
	if len(seqs) == 0 {
		return nil
	}
	seq := seqs[len(seqs)-1]
	if seq <= r.applied.Load() {
		return nil
	}
	name := fmt.Sprintf("%s%020d", r.snapPrefix(), seq)
	f, err := os.CreateTemp(r.cfg.TempDir, "usearch-restore-*.usearch")
	if err != nil {
		return err
	}
	path := f.Name()
	f.Close()
	defer os.Remove(path)
	if err := r.snaps.GetFile(ctx, name, path); err != nil {
		return fmt.Errorf("cluster: replica: fetch snapshot %s: %w", name, err)
	}
	if err := r.idx.Load(path); err != nil {
		return fmt.Errorf("cluster: replica: load snapshot %s: %w", name, err)
	}
	if e := r.spec.Index.ExpansionSearch; e > 0 {
		_ = r.idx.ChangeExpansionSearch(e)
	}
	if e := r.spec.Index.ExpansionAdd; e > 0 {
		_ = r.idx.ChangeExpansionAdd(e)
	}
	r.restoredFrom.Store(seq)
	r.snapshotSeq.Store(seq)
	r.setApplied(seq)
	return nil
}

// serve registers the micro service: search and get in the shard's queue group (one
// replica answers each request), status without one (every replica answers).
func (r *Replica) serve() error {
	svc, err := micro.AddService(r.nc, micro.Config{
		Name:         r.n.service(),
		Version:      "1.0.0",
		Description:  "usearch shard replicas of collection " + r.spec.Name,
		Metadata:     map[string]string{"shard": strconv.Itoa(r.cfg.Shard), "replica": r.cfg.ID},
		StatsHandler: func(*micro.Endpoint) any { return r.Status() },
	})
	if err != nil {
		return fmt.Errorf("cluster: replica: service: %w", err)
	}
	qg := micro.WithEndpointQueueGroup(fmt.Sprintf("shard%d", r.cfg.Shard))
	if err := svc.AddEndpoint("search", r.async(r.handleSearch), micro.WithEndpointSubject(r.n.searchSubj(r.cfg.Shard)), qg); err != nil {
		_ = svc.Stop()
		return err
	}
	if err := svc.AddEndpoint("get", r.async(r.handleGet), micro.WithEndpointSubject(r.n.getSubj(r.cfg.Shard)), qg); err != nil {
		_ = svc.Stop()
		return err
	}
	if err := svc.AddEndpoint("status", micro.HandlerFunc(r.handleStatus),
		micro.WithEndpointSubject(r.n.statusSubj()), micro.WithEndpointQueueGroupDisabled()); err != nil {
		_ = svc.Stop()
		return err
	}
	r.svc = svc
	return nil
}

// async runs a handler on its own goroutine (micro calls handlers one at a time per
// endpoint), at most Concurrency at once; the semaphore pushes back on the subscription.
func (r *Replica) async(h func(micro.Request)) micro.HandlerFunc {
	return func(req micro.Request) {
		r.sem <- struct{}{}
		r.inflight.Add(1)
		go func() {
			defer func() { <-r.sem; r.inflight.Done() }()
			h(req)
		}()
	}
}

// reply, replyJSON and replyError answer a request from a handler's own goroutine. They
// publish to the reply subject themselves: micro.Request's Respond and Error record a
// failure in the request, which micro's dispatcher reads once the handler returned, a data
// race when the answer comes from another goroutine (see async).
func (r *Replica) reply(req micro.Request, data []byte) error {
	return r.publishReply(&nats.Msg{Subject: req.Reply(), Data: data})
}

func (r *Replica) replyJSON(req micro.Request, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		r.replyError(req, "500", err.Error())
		return err
	}
	return r.reply(req, data)
}

// replyError answers with micro's error headers, which the client turns into a RemoteError.
func (r *Replica) replyError(req micro.Request, code, description string) {
	_ = r.publishReply(&nats.Msg{Subject: req.Reply(),
		Header: nats.Header{micro.ErrorHeader: []string{description}, micro.ErrorCodeHeader: []string{code}}})
}

func (r *Replica) publishReply(m *nats.Msg) error {
	if m.Subject == "" {
		return nil // a publish without a reply subject asks for no answer
	}
	return r.nc.PublishMsg(m)
}

func (r *Replica) reject(req micro.Request, code, format string, args ...any) {
	r.badRequests.Add(1)
	r.replyError(req, code, fmt.Sprintf(format, args...))
}

func (r *Replica) waitCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.ctx, r.cfg.MaxWait)
}

func (r *Replica) handleSearch(req micro.Request) {
	start := time.Now()
	data := req.Data()
	if len(data) > r.cfg.MaxRequestBytes {
		r.reject(req, "400", "request of %d bytes exceeds %d", len(data), r.cfg.MaxRequestBytes)
		return
	}
	var q searchRequest
	binaryWire := isBinary(data)
	var err error
	if binaryWire {
		err = q.unmarshalBinary(data)
	} else {
		err = json.Unmarshal(data, &q)
	}
	if err != nil {
		r.reject(req, "400", "malformed search request: %v", err)
		return
	}
	if err := r.checkSearch(&q); err != nil {
		r.reject(req, "400", "%v", err)
		return
	}
	if q.MinSeq > 0 {
		ctx, cancel := r.waitCtx()
		err := r.WaitApplied(ctx, q.MinSeq)
		cancel()
		if err != nil {
			r.replyError(req, "504", err.Error())
			return
		}
	}
	reply, err := r.search(&q)
	if err != nil {
		r.reject(req, "500", "%v", err)
		return
	}
	if binaryWire {
		err = r.reply(req, reply.marshalBinary())
	} else {
		err = r.replyJSON(req, reply)
	}
	if err != nil {
		r.log.Warn("search reply failed", "err", err)
	}
	r.searches.Add(1)
	r.queries.Add(uint64(q.N))
	r.qps.add(q.N)
	r.lat.add(time.Since(start))
}

// checkSearch validates a decoded request against this replica and the limits.
func (r *Replica) checkSearch(q *searchRequest) error {
	dims := int(r.spec.Index.Dimensions)
	switch {
	case q.Shard != r.cfg.Shard:
		return fmt.Errorf("request names shard %d but reached shard %d (collection has %d shards)", q.Shard, r.cfg.Shard, r.spec.Shards)
	case q.K < 1 || q.K > MaxK:
		return fmt.Errorf("k = %d; want 1..%d", q.K, MaxK)
	case q.N < 1 || q.N > MaxBatch:
		return fmt.Errorf("%d queries; want 1..%d", q.N, MaxBatch)
	case len(q.Queries) != q.N*dims:
		return fmt.Errorf("%d floats for %d queries; the collection has %d dimensions, want %d", len(q.Queries), q.N, dims, q.N*dims)
	case len(q.Allow) > MaxAllow:
		return fmt.Errorf("allow-list of %d keys; want at most %d", len(q.Allow), MaxAllow)
	case q.Range != nil && q.Range[0] > q.Range[1]:
		return fmt.Errorf("key range [%d, %d] is empty", q.Range[0], q.Range[1])
	case q.Expansion > MaxExpansion:
		return fmt.Errorf("expansion %d; want at most %d", q.Expansion, MaxExpansion)
	}
	return nil
}

// search runs a checked request on the index.
func (r *Replica) search(q *searchRequest) (*searchReply, error) {
	dims := int(r.spec.Index.Dimensions)
	var filter *usearch.Filter
	if q.HasAllow {
		f := usearch.AllowKeys(q.Allow)
		filter = &f
	}
	if q.Range != nil {
		f := usearch.KeyRange(q.Range[0], q.Range[1])
		if filter != nil {
			f = filter.And(f)
		}
		filter = &f
	}
	inRange := func(k usearch.Key) bool {
		if q.Range != nil && (k < q.Range[0] || k > q.Range[1]) {
			return false
		}
		return true
	}
	allowed := map[usearch.Key]bool(nil)
	if q.HasAllow && q.Exact {
		allowed = make(map[usearch.Key]bool, len(q.Allow))
		for _, k := range q.Allow {
			allowed[k] = true
		}
	}
	if !q.Exact && q.Expansion != 0 && q.Expansion != r.defaultExp {
		r.expMu.Lock()
		defer r.expMu.Unlock()
		if err := r.idx.ChangeExpansionSearch(q.Expansion); err != nil {
			return nil, err
		}
		defer func() { _ = r.idx.ChangeExpansionSearch(r.defaultExp) }()
	} else {
		r.expMu.RLock()
		defer r.expMu.RUnlock()
	}
	reply := &searchReply{Shard: r.cfg.Shard, Applied: r.applied.Load(), Counts: make([]int, q.N)}
	if filter == nil && q.N > 1 {
		// A batch without a filter goes through the library's SearchBatch, on every core.
		m, err := r.idx.SearchBatch(r.ctx, q.Queries, uint(q.K), &usearch.BatchOptions{Exact: q.Exact})
		if err != nil {
			return nil, err
		}
		for i := 0; i < q.N; i++ {
			keys, dists := m.At(i)
			reply.Counts[i] = len(keys)
			reply.Keys = append(reply.Keys, keys...)
			reply.Dists = append(reply.Dists, dists...)
		}
		return reply, nil
	}
	for i := 0; i < q.N; i++ {
		v := q.Queries[i*dims : (i+1)*dims]
		var keys []usearch.Key
		var dists []float32
		var err error
		switch {
		case q.Exact && filter != nil:
			// Brute force over the whole shard, then the filter: exact whatever the filter
			// keeps, at the price of ranking every vector.
			var all []usearch.Key
			var alld []float32
			n, _ := r.idx.Len()
			all, alld, err = r.idx.SearchExact(v, max(n, 1))
			for j, k := range all {
				if len(keys) == q.K {
					break
				}
				if (allowed == nil || allowed[k]) && inRange(k) {
					keys, dists = append(keys, k), append(dists, alld[j])
				}
			}
		case q.Exact:
			keys, dists, err = r.idx.SearchExact(v, uint(q.K))
		case filter != nil:
			keys, dists, _, err = r.idx.SearchWith(v, uint(q.K), *filter)
		default:
			keys, dists, err = r.idx.Search(v, uint(q.K))
		}
		if err != nil {
			return nil, fmt.Errorf("query %d: %v", i, err)
		}
		reply.Counts[i] = len(keys)
		reply.Keys = append(reply.Keys, keys...)
		reply.Dists = append(reply.Dists, dists...)
	}
	return reply, nil
}

func (r *Replica) handleStatus(req micro.Request) {
	var q statusRequest
	if len(req.Data()) > 0 && len(req.Data()) <= r.cfg.MaxRequestBytes {
		_ = json.Unmarshal(req.Data(), &q)
	}
	seq := q.After[r.cfg.Shard]
	if seq <= r.applied.Load() && !q.Digest {
		_ = req.RespondJSON(r.Status())
		return
	}
	r.inflight.Add(1)
	go func() {
		defer r.inflight.Done()
		if seq > r.applied.Load() {
			ctx, cancel := r.waitCtx()
			_ = r.WaitApplied(ctx, seq)
			cancel()
		}
		st := r.Status()
		if q.Digest {
			st.Digest, st.DigestSeq = r.ContentDigest()
		}
		_ = r.replyJSON(req, st)
	}()
}

func (r *Replica) handleGet(req micro.Request) {
	var g getRequest
	if len(req.Data()) > r.cfg.MaxRequestBytes {
		r.reject(req, "400", "request of %d bytes exceeds %d", len(req.Data()), r.cfg.MaxRequestBytes)
		return
	}
	binaryWire := isBinary(req.Data())
	var err error
	if binaryWire {
		err = g.unmarshalBinary(req.Data())
	} else {
		err = json.Unmarshal(req.Data(), &g)
	}
	if err != nil {
		r.reject(req, "400", "malformed get request: %v", err)
		return
	}
	if g.Shard != r.cfg.Shard {
		r.reject(req, "400", "request names shard %d but reached shard %d (collection has %d shards)", g.Shard, r.cfg.Shard, r.spec.Shards)
		return
	}
	if g.MinSeq > 0 {
		ctx, cancel := r.waitCtx()
		err := r.WaitApplied(ctx, g.MinSeq)
		cancel()
		if err != nil {
			r.replyError(req, "504", err.Error())
			return
		}
	}
	var out getReply
	if ok, _ := r.idx.Contains(g.Key); ok {
		n, _ := r.idx.Count(g.Key)
		flat, err := r.idx.Get(g.Key, n)
		if err != nil {
			r.reject(req, "500", "get %d: %v", g.Key, err)
			return
		}
		d := int(r.spec.Index.Dimensions)
		for i := 0; i+d <= len(flat); i += d {
			out.Vectors = append(out.Vectors, flat[i:i+d])
		}
	}
	if binaryWire {
		_ = r.reply(req, out.marshalBinary(int(r.spec.Index.Dimensions)))
	} else {
		_ = r.replyJSON(req, out)
	}
}

// ReplicaStatus is what a replica reports about itself (status endpoint, micro stats).
type ReplicaStatus struct {
	ID           string `json:"id"`
	Shard        int    `json:"shard"`
	Ready        bool   `json:"ready"`
	Applied      uint64 `json:"applied"`       // last stream sequence applied
	Lag          uint64 `json:"lag"`           // messages stored but not yet applied, as of the last one applied
	Vectors      uint   `json:"vectors"`       // live vectors in the index
	SnapshotSeq  uint64 `json:"snapshot_seq"`  // sequence of the newest snapshot this replica saved or restored
	RestoredFrom uint64 `json:"restored_from"` // snapshot sequence restored at start (0: none)
	ApplyErrors  uint64 `json:"apply_errors"`
	// SnapshotLease: this replica holds the shard's snapshot lease (saves its snapshots).
	SnapshotLease bool   `json:"snapshot_lease"`
	Snapshots     uint64 `json:"snapshots"` // snapshots this replica saved
	// Digest (asked for by a status request with "digest": true) sums a hash of every
	// (key, vector) in the index, at sequence DigestSeq (0: writes were applied during the
	// pass, ask again). Replicas of a shard at the same sequence have equal digests.
	Digest       string  `json:"digest,omitempty"`
	DigestSeq    uint64  `json:"digest_seq,omitempty"`
	Searches     uint64  `json:"searches"`
	Queries      uint64  `json:"queries"`
	BadRequests  uint64  `json:"bad_requests"`
	QPS          float64 `json:"qps"`            // queries per second over the last 10 s
	LatencyP50us float64 `json:"latency_p50_us"` // over the last 1024 requests
	LatencyP99us float64 `json:"latency_p99_us"`
}

// Status reports the replica's sequence, size, counters and recent latency.
func (r *Replica) Status() ReplicaStatus {
	n, _ := r.idx.Len()
	p50, p99 := r.lat.percentiles()
	return ReplicaStatus{
		ID: r.cfg.ID, Shard: r.cfg.Shard, Ready: r.ready.Load(), Applied: r.applied.Load(), Lag: r.pending.Load(),
		Vectors: n, SnapshotSeq: r.snapshotSeq.Load(), RestoredFrom: r.restoredFrom.Load(), ApplyErrors: r.applyErrors.Load(),
		SnapshotLease: r.leaseHeld.Load(), Snapshots: r.snapshotsSaved.Load(),
		Searches: r.searches.Load(), Queries: r.queries.Load(), BadRequests: r.badRequests.Load(), QPS: r.qps.rate(),
		LatencyP50us: float64(p50) / 1e3, LatencyP99us: float64(p99) / 1e3,
	}
}

// ContentDigest returns a digest of every (key, vector) of the index, order-independent,
// and the sequence it holds at (0 if writes were applied during the pass).
func (r *Replica) ContentDigest() (string, uint64) {
	before := r.applied.Load()
	var sum uint64
	for key, vec := range r.idx.All() {
		sum += entryHash(key, vec)
	}
	if r.applied.Load() != before {
		before = 0
	}
	return fmt.Sprintf("%016x", sum), before
}

// entryHash is FNV-1a over a key and its vector's bits, then splitmix64's finaliser (so
// that the sum of many spreads over all bits); the same in every process.
func entryHash(key usearch.Key, vec []float32) uint64 {
	h := uint64(14695981039346656037)
	mix := func(v uint64) {
		for i := 0; i < 8; i++ {
			h ^= v & 0xff
			h *= 1099511628211
			v >>= 8
		}
	}
	mix(key)
	for _, f := range vec {
		mix(uint64(math.Float32bits(f)))
	}
	h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9
	h = (h ^ (h >> 27)) * 0x94D049BB133111EB
	return h ^ (h >> 31)
}

// latencyRing keeps the last 1024 request latencies.
type latencyRing struct {
	mu  sync.Mutex
	buf [1024]time.Duration
	n   int
}

func (l *latencyRing) add(d time.Duration) {
	l.mu.Lock()
	l.buf[l.n%len(l.buf)] = d
	l.n++
	l.mu.Unlock()
}

func (l *latencyRing) percentiles() (p50, p99 time.Duration) {
	l.mu.Lock()
	k := min(l.n, len(l.buf))
	s := append([]time.Duration(nil), l.buf[:k]...)
	l.mu.Unlock()
	if k == 0 {
		return 0, 0
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[k/2], s[min(k-1, k*99/100)]
}

// rateCounter counts events in one-second buckets over the last 10 seconds.
type rateCounter struct {
	mu      sync.Mutex
	buckets [10]int64
	secs    [10]int64
}

func (c *rateCounter) add(n int) {
	now := time.Now().Unix()
	c.mu.Lock()
	i := now % 10
	if c.secs[i] != now {
		c.secs[i], c.buckets[i] = now, 0
	}
	c.buckets[i] += int64(n)
	c.mu.Unlock()
}

func (c *rateCounter) rate() float64 {
	now := time.Now().Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum int64
	for i := range c.buckets {
		if now-c.secs[i] < 10 {
			sum += c.buckets[i]
		}
	}
	return float64(sum) / 10
}
