// Package cluster shards and replicates usearch indexes over NATS JetStream.
//
// A collection is split into N shards, N fixed when the collection is created and recorded
// in a JetStream key-value bucket. Every write is routed by a stable hash of its key to one
// shard and appended to that shard's stream; replicas of a shard apply their stream in order,
// save snapshots in the upstream file format to an Object Store bucket, and serve searches as
// a NATS micro service endpoint in a queue group. A Client scatters searches to every shard,
// retries a shard once, merges the top-k and reports missing shards by name.
//
// See docs/cluster.md for the design.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/usearch-go/usearch"
)

// DefaultPrefix is the subject prefix used when a Config leaves Prefix empty.
const DefaultPrefix = "usearch"

// Errors of this package, usable with errors.Is. Errors of the index itself (for example
// usearch.ErrDimensionMismatch) are wrapped unchanged.
var (
	ErrPartial          = errors.New("some shards did not answer")
	ErrBadRequest       = errors.New("request rejected by the replica")
	ErrNotFound         = errors.New("collection not found")
	ErrExists           = errors.New("collection exists with a different specification")
	ErrPermissionDenied = errors.New("NATS permissions deny this operation")
	ErrInvalidName      = errors.New("invalid collection name or prefix")
	// ErrShardUnavailable: no replica of a shard answered (none serving, or all timed out),
	// after the client's retry.
	ErrShardUnavailable = errors.New("shard unavailable")
)

// Spec describes a collection. It is written once, at creation, into the engine (a
// JetStream key-value bucket); clients and replicas read it from there, so the shard count
// can never differ between two processes.
type Spec struct {
	Name   string `json:"name"`
	Shards int    `json:"shards"`
	// Copies is how many copies JetStream keeps of each shard's stream and of the buckets
	// (its "replicas" setting: 1, 3 or 5 on a NATS cluster). It is not the number of serving
	// Replica processes, which is whatever runs. 0 at Create means 3 when the connection
	// sees a NATS cluster of 3 or more servers, else 1.
	Copies int                 `json:"copies"`
	Index  usearch.IndexConfig `json:"index"`
}

// UnmarshalJSON reads a Spec, taking the stream copies from the field "replicas" when a
// spec stored by an earlier version has no "copies".
func (s *Spec) UnmarshalJSON(b []byte) error {
	type plain Spec
	var v struct {
		plain
		Replicas int `json:"replicas"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Spec(v.plain)
	if s.Copies == 0 {
		s.Copies = v.Replicas
	}
	return nil
}

var (
	nameRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	prefixRe = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
)

// names derives every subject and JetStream resource name of one collection from the
// subject prefix, so that NATS permissions on "<prefix>.<collection>.>" confine a role.
type names struct {
	prefix, coll string
}

func newNames(prefix, coll string) (names, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !prefixRe.MatchString(prefix) {
		return names{}, fmt.Errorf("cluster: prefix %q: want dot-separated tokens of letters, digits, '_' or '-': %w", prefix, ErrInvalidName)
	}
	if !nameRe.MatchString(coll) {
		return names{}, fmt.Errorf("cluster: collection name %q: want 1-64 letters, digits, '_' or '-': %w", coll, ErrInvalidName)
	}
	return names{prefix: prefix, coll: coll}, nil
}

// res is the stem of JetStream resource names: stream, bucket and service names allow no dots.
func (n names) res() string { return strings.ReplaceAll(n.prefix, ".", "_") + "_" + n.coll }

func (n names) metaBucket() string         { return n.res() + "_meta" }
func (n names) snapBucket() string         { return n.res() + "_snap" }
func (n names) liveBucket() string         { return n.res() + "_live" }
func (n names) stream(shard int) string    { return fmt.Sprintf("%s_w%d", n.res(), shard) }
func (n names) service() string            { return n.res() }
func (n names) writeSubj(shard int) string { return fmt.Sprintf("%s.%s.w.%d", n.prefix, n.coll, shard) }
func (n names) searchSubj(shard int) string {
	return fmt.Sprintf("%s.%s.s.%d", n.prefix, n.coll, shard)
}
func (n names) getSubj(shard int) string { return fmt.Sprintf("%s.%s.g.%d", n.prefix, n.coll, shard) }
func (n names) statusSubj() string       { return fmt.Sprintf("%s.%s.status", n.prefix, n.coll) }

// ShardOf returns the shard of a key among n shards: splitmix64's finaliser, so consecutive
// keys spread evenly, and the mapping never depends on the process or the platform.
func ShardOf(key usearch.Key, n int) int {
	x := key + 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	x ^= x >> 31
	return int(x % uint64(n))
}

const specKey = "spec"

// Create makes the collection's streams, buckets and specification record. Creating a
// collection that already exists with the same Spec succeeds (so every process may call it
// at start); a different Spec is refused with ErrExists. Create waits, within ctx, for
// JetStream to be ready: on a NATS cluster that just started, the JetStream meta leader is
// elected a few seconds after the servers accept connections, and until then every
// JetStream request fails or goes unanswered.
func Create(ctx context.Context, js jetstream.JetStream, prefix string, spec Spec) error {
	n, err := newNames(prefix, spec.Name)
	if err != nil {
		return err
	}
	if spec.Shards < 1 || spec.Shards > 1024 {
		return fmt.Errorf("cluster: Create %q: %d shards; want 1..1024: %w", spec.Name, spec.Shards, usearch.ErrInvalidArgument)
	}
	if spec.Copies < 0 || spec.Copies > 5 {
		return fmt.Errorf("cluster: Create %q: %d stream copies; want 0 (automatic) or 1..5: %w", spec.Name, spec.Copies, usearch.ErrInvalidArgument)
	}
	automatic := spec.Copies == 0
	if automatic {
		spec.Copies = defaultCopies(js)
	}
	probe, err := usearch.NewIndex(spec.Index)
	if err != nil {
		return fmt.Errorf("cluster: Create %q: %w", spec.Name, err)
	}
	probe.Close()
	var kv jetstream.KeyValue
	err = retryJS(ctx, func(ctx context.Context) (err error) {
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: n.metaBucket(), Replicas: spec.Copies, History: 1})
		return err
	})
	if err != nil {
		return fmt.Errorf("cluster: Create %q: meta bucket: %w", spec.Name, err)
	}
	data, _ := json.Marshal(spec)
	err = retryJS(ctx, func(ctx context.Context) error { _, err := kv.Create(ctx, specKey, data); return err })
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("cluster: Create %q: %w", spec.Name, err)
		}
		old, err := readSpec(ctx, js, n)
		if err != nil {
			return err
		}
		if automatic {
			spec.Copies = old.Copies // "automatic" accepts what was chosen before
		}
		if old != spec {
			return fmt.Errorf("cluster: Create %q: stored spec %+v differs from %+v: %w", spec.Name, old, spec, ErrExists)
		}
	}
	for s := 0; s < spec.Shards; s++ {
		err := retryJS(ctx, func(ctx context.Context) error {
			_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
				Name:      n.stream(s),
				Subjects:  []string{n.writeSubj(s)},
				Replicas:  spec.Copies,
				Storage:   jetstream.FileStorage,
				Retention: jetstream.LimitsPolicy,
				Metadata:  map[string]string{"usearch.collection": spec.Name, "usearch.shard": fmt.Sprint(s), "usearch.shards": fmt.Sprint(spec.Shards)},
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("cluster: Create %q: stream of shard %d: %w", spec.Name, s, err)
		}
	}
	err = retryJS(ctx, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: n.snapBucket(), Replicas: spec.Copies})
		return err
	})
	if err != nil {
		return fmt.Errorf("cluster: Create %q: snapshot bucket: %w", spec.Name, err)
	}
	if _, err := liveBucket(ctx, js, n, spec.Copies); err != nil {
		return fmt.Errorf("cluster: Create %q: %w", spec.Name, err)
	}
	return nil
}

// liveTTL is how long a replica's registration and a snapshot lease last without renewal:
// a replica renews both every liveTTL/4, so one that died leaves them within liveTTL.
// Tests shorten it.
var liveTTL = 6 * time.Second

// liveBucket opens (or, for a collection made by an earlier version, creates) the bucket
// of replica registrations and snapshot leases. Its TTL expires what is not renewed.
func liveBucket(ctx context.Context, js jetstream.JetStream, n names, copies int) (jetstream.KeyValue, error) {
	var kv jetstream.KeyValue
	err := retryJS(ctx, func(ctx context.Context) (err error) {
		kv, err = js.KeyValue(ctx, n.liveBucket())
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: n.liveBucket(), Replicas: max(copies, 1), History: 1, TTL: liveTTL})
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("live bucket %s: %w", n.liveBucket(), err)
	}
	return kv, nil
}

// defaultCopies is 3 when the connection sees a NATS cluster of at least 3 servers (the
// servers it knows, configured and discovered), else 1.
func defaultCopies(js jetstream.JetStream) int {
	nc := js.Conn()
	if nc != nil && nc.ConnectedClusterName() != "" && len(nc.Servers()) >= 3 {
		return 3
	}
	return 1
}

// retryJS runs one JetStream administration call until it succeeds, fails for a reason
// waiting cannot change, or ctx ends. Each attempt gets at most 5 s.
func retryJS(ctx context.Context, call func(context.Context) error) error {
	wait := 50 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := call(actx)
		cancel()
		if err == nil || !transientJS(err) || ctx.Err() != nil {
			if err != nil && ctx.Err() != nil && transientJS(err) {
				return fmt.Errorf("JetStream not ready: %w (%w)", ctx.Err(), err)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("JetStream not ready: %w (%w)", ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// transientJS tells the errors of a JetStream that is still forming (no meta leader, peers
// not yet known) from answers that stay the same however long one waits.
func transientJS(err error) bool {
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
		return true
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case 10008, // JetStream system temporarily unavailable (no meta leader)
			10009, // JetStream cluster can not handle request (not the leader)
			10005, // no suitable peers for placement (peers not yet known)
			10023, // insufficient resources, reported while peers are still joining
			jetstream.JSErrCodeJetStreamNotEnabled:
			return true
		}
		return api.Code == 503
	}
	return false
}

func readSpec(ctx context.Context, js jetstream.JetStream, n names) (Spec, error) {
	kv, err := js.KeyValue(ctx, n.metaBucket())
	if err != nil {
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			return Spec{}, fmt.Errorf("cluster: collection %q under prefix %q: %w", n.coll, n.prefix, ErrNotFound)
		}
		return Spec{}, fmt.Errorf("cluster: collection %q: %w", n.coll, err)
	}
	e, err := kv.Get(ctx, specKey)
	if err != nil {
		return Spec{}, fmt.Errorf("cluster: collection %q: spec: %w", n.coll, err)
	}
	var s Spec
	if err := json.Unmarshal(e.Value(), &s); err != nil || s.Shards < 1 {
		return Spec{}, fmt.Errorf("cluster: collection %q: stored spec is unreadable: %v", n.coll, err)
	}
	return s, nil
}
