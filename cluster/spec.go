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
)

// Spec describes a collection. It is written once, at creation, into the engine (a
// JetStream key-value bucket); clients and replicas read it from there, so the shard count
// can never differ between two processes.
type Spec struct {
	Name     string              `json:"name"`
	Shards   int                 `json:"shards"`
	Replicas int                 `json:"replicas"` // JetStream stream replication (1, 3 or 5 on a NATS cluster)
	Index    usearch.IndexConfig `json:"index"`
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

// Create makes the collection's streams, snapshot bucket and specification record. Creating
// a collection that already exists with the same Spec succeeds (so every process may call
// it at start); a different Spec is refused with ErrExists.
func Create(ctx context.Context, js jetstream.JetStream, prefix string, spec Spec) error {
	n, err := newNames(prefix, spec.Name)
	if err != nil {
		return err
	}
	if spec.Shards < 1 || spec.Shards > 1024 {
		return fmt.Errorf("cluster: Create %q: %d shards; want 1..1024: %w", spec.Name, spec.Shards, usearch.ErrInvalidArgument)
	}
	if spec.Replicas == 0 {
		spec.Replicas = 1
	}
	probe, err := usearch.NewIndex(spec.Index)
	if err != nil {
		return fmt.Errorf("cluster: Create %q: %w", spec.Name, err)
	}
	probe.Close()
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: n.metaBucket(), Replicas: spec.Replicas, History: 1})
	if err != nil {
		return fmt.Errorf("cluster: Create %q: meta bucket: %w", spec.Name, err)
	}
	data, _ := json.Marshal(spec)
	if _, err := kv.Create(ctx, specKey, data); err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("cluster: Create %q: %w", spec.Name, err)
		}
		old, err := readSpec(ctx, js, n)
		if err != nil {
			return err
		}
		if old != spec {
			return fmt.Errorf("cluster: Create %q: stored spec %+v differs from %+v: %w", spec.Name, old, spec, ErrExists)
		}
	}
	for s := 0; s < spec.Shards; s++ {
		_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:      n.stream(s),
			Subjects:  []string{n.writeSubj(s)},
			Replicas:  spec.Replicas,
			Storage:   jetstream.FileStorage,
			Retention: jetstream.LimitsPolicy,
			Metadata:  map[string]string{"usearch.collection": spec.Name, "usearch.shard": fmt.Sprint(s), "usearch.shards": fmt.Sprint(spec.Shards)},
		})
		if err != nil {
			return fmt.Errorf("cluster: Create %q: stream of shard %d: %w", spec.Name, s, err)
		}
	}
	if _, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: n.snapBucket(), Replicas: spec.Replicas}); err != nil {
		return fmt.Errorf("cluster: Create %q: snapshot bucket: %w", spec.Name, err)
	}
	return nil
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
