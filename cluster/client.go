package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/usearch-go/usearch"
)

// ClientOptions configures a Client.
type ClientOptions struct {
	Prefix     string // subject prefix; DefaultPrefix when empty
	Collection string
	// ShardTimeout bounds one attempt of one shard's request (default 2s); a shard that
	// times out or has no responders is asked once more before it counts as missing.
	ShardTimeout time.Duration
	// WaitTimeout replaces ShardTimeout for read-your-writes requests, which may wait for a
	// replica to apply a backlog (default 30s; the replica's MaxWait also bounds the wait).
	WaitTimeout time.Duration
	// JSONWire sends searches and gets as JSON instead of the binary wire (see wire.go):
	// readable in `nats sub` output, and slower. Replicas answer in the request's form.
	JSONWire bool
}

// Client writes to and searches a collection. It is safe for concurrent use.
type Client struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	n    names
	spec Spec
	opts ClientOptions
	seqs []atomic.Uint64    // highest acknowledged sequence per shard, for read-your-writes
	live jetstream.KeyValue // replica registrations; nil if the bucket cannot be read

	watchMu sync.Mutex
	watchID uint64
	watches map[string]map[uint64]context.CancelCauseFunc
}

// Ack tells where a write was stored: the shard and its stream sequence.
type Ack struct {
	Shard int
	Seq   uint64
}

// NewClient reads the collection's Spec from the engine and returns a client for it.
func NewClient(ctx context.Context, nc *nats.Conn, opts ClientOptions) (*Client, error) {
	n, err := newNames(opts.Prefix, opts.Collection)
	if err != nil {
		return nil, err
	}
	if opts.ShardTimeout <= 0 {
		opts.ShardTimeout = 2 * time.Second
	}
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = 30 * time.Second
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	spec, err := readSpec(ctx, js, n)
	if err != nil {
		return nil, err
	}
	c := &Client{nc: nc, js: js, n: n, spec: spec, opts: opts, seqs: make([]atomic.Uint64, spec.Shards),
		watches: map[string]map[uint64]context.CancelCauseFunc{}}
	if kv, err := js.KeyValue(ctx, n.liveBucket()); err == nil {
		c.live = kv
	}
	prev := nc.Opts.AsyncErrorCB
	nc.SetErrorHandler(func(conn *nats.Conn, sub *nats.Subscription, err error) {
		c.onAsyncError(err)
		if prev != nil {
			prev(conn, sub, err)
		}
	})
	return c, nil
}

// Spec returns the collection's specification as stored in the engine.
func (c *Client) Spec() Spec { return c.spec }

// ShardOf returns the shard that holds key.
func (c *Client) ShardOf(key usearch.Key) int { return ShardOf(key, c.spec.Shards) }

var publishDenied = regexp.MustCompile(`Publish to "([^"]+)"`)

// onAsyncError turns the server's asynchronous "permissions violation" for a publish into
// an immediate error of the writes waiting on that subject, instead of an ack timeout.
func (c *Client) onAsyncError(err error) {
	if !errors.Is(err, nats.ErrPermissionViolation) {
		return
	}
	m := publishDenied.FindStringSubmatch(err.Error())
	if m == nil {
		return
	}
	cause := fmt.Errorf("cluster: write to %q: %w (%v)", m[1], ErrPermissionDenied, err)
	c.watchMu.Lock()
	for _, cancel := range c.watches[m[1]] {
		cancel(cause)
	}
	c.watchMu.Unlock()
}

func (c *Client) watch(subj string, cancel context.CancelCauseFunc) func() {
	c.watchMu.Lock()
	c.watchID++
	id := c.watchID
	if c.watches[subj] == nil {
		c.watches[subj] = map[uint64]context.CancelCauseFunc{}
	}
	c.watches[subj][id] = cancel
	c.watchMu.Unlock()
	return func() {
		c.watchMu.Lock()
		delete(c.watches[subj], id)
		c.watchMu.Unlock()
	}
}

func (c *Client) noteSeq(shard int, seq uint64) {
	for {
		old := c.seqs[shard].Load()
		if seq <= old || c.seqs[shard].CompareAndSwap(old, seq) {
			return
		}
	}
}

func (c *Client) checkVector(op string, key usearch.Key, vec []float32) error {
	if len(vec) != int(c.spec.Index.Dimensions) {
		return fmt.Errorf("cluster: %s key %d: vector has %d dimensions, collection %q has %d: %w",
			op, key, len(vec), c.spec.Name, c.spec.Index.Dimensions, usearch.ErrDimensionMismatch)
	}
	if key == ^usearch.Key(0) {
		return fmt.Errorf("cluster: %s: %w", op, usearch.ErrReservedKey)
	}
	return nil
}

// publish appends one record to a shard's stream and returns once JetStream stored it.
func (c *Client) publish(ctx context.Context, op string, shard int, data []byte) (Ack, error) {
	subj := c.n.writeSubj(shard)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer c.watch(subj, cancel)()
	ack, err := c.js.Publish(ctx, subj, data, jetstream.WithExpectStream(c.n.stream(shard)))
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, ErrPermissionDenied) {
			return Ack{}, cause
		}
		return Ack{}, fmt.Errorf("cluster: %s on shard %d: %w", op, shard, err)
	}
	c.noteSeq(shard, ack.Sequence)
	return Ack{Shard: shard, Seq: ack.Sequence}, nil
}

// Add stores vec under key (replacing the key's vector unless the collection is Multi).
func (c *Client) Add(ctx context.Context, key usearch.Key, vec []float32) (Ack, error) {
	if err := c.checkVector("Add", key, vec); err != nil {
		return Ack{}, err
	}
	return c.publish(ctx, "Add", c.ShardOf(key), encodeAdd(key, vec))
}

// AddBatch stores len(keys) vectors, given back to back (row-major) in vectors, and
// returns one Ack per key, in input order, once JetStream stored all of them. The writes
// are pipelined (up to 1024 unacknowledged); opts.Progress, if set, is called with the
// number of keys acknowledged so far; opts.Threads and opts.Exact do not apply. On error
// the Acks of the writes acknowledged before it are filled in (Seq > 0) and the others are
// zero; each write is idempotent, so retrying the batch is safe.
func (c *Client) AddBatch(ctx context.Context, keys []usearch.Key, vectors []float32, opts *usearch.BatchOptions) ([]Ack, error) {
	d := int(c.spec.Index.Dimensions)
	if len(vectors) != len(keys)*d {
		return nil, fmt.Errorf("cluster: AddBatch: %d floats for %d keys of %d dimensions, want %d: %w",
			len(vectors), len(keys), d, len(keys)*d, usearch.ErrDimensionMismatch)
	}
	for i, key := range keys {
		if err := c.checkVector("AddBatch", key, vectors[i*d:(i+1)*d]); err != nil {
			return nil, fmt.Errorf("%w (row %d)", err, i)
		}
	}
	var progress func(done, total int)
	if opts != nil {
		progress = opts.Progress
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	for s := 0; s < c.spec.Shards; s++ {
		defer c.watch(c.n.writeSubj(s), cancel)()
	}
	acks := make([]Ack, len(keys))
	const window = 1024
	futures := make([]jetstream.PubAckFuture, 0, window)
	rows := make([]int, 0, window)
	done := 0
	wait := func() error {
		for i, f := range futures {
			s := c.ShardOf(keys[rows[i]])
			select {
			case ack := <-f.Ok():
				c.noteSeq(s, ack.Sequence)
				acks[rows[i]] = Ack{Shard: s, Seq: ack.Sequence}
				done++
			case err := <-f.Err():
				return fmt.Errorf("cluster: AddBatch key %d (row %d) on shard %d: %w", keys[rows[i]], rows[i], s, err)
			case <-ctx.Done():
				if cause := context.Cause(ctx); errors.Is(cause, ErrPermissionDenied) {
					return cause
				}
				return fmt.Errorf("cluster: AddBatch: %d of %d acknowledged: %w", done, len(keys), ctx.Err())
			}
		}
		futures, rows = futures[:0], rows[:0]
		if progress != nil {
			progress(done, len(keys))
		}
		return nil
	}
	for i, key := range keys {
		s := c.ShardOf(key)
		f, err := c.js.PublishAsync(c.n.writeSubj(s), encodeAdd(key, vectors[i*d:(i+1)*d]), jetstream.WithExpectStream(c.n.stream(s)))
		if err != nil {
			return acks, fmt.Errorf("cluster: AddBatch key %d (row %d) on shard %d: %w", key, i, s, err)
		}
		futures, rows = append(futures, f), append(rows, i)
		if len(futures) == window {
			if err := wait(); err != nil {
				return acks, err
			}
		}
	}
	if err := wait(); err != nil {
		return acks, err
	}
	return acks, nil
}

// Remove deletes key (every vector of it); removing an absent key is not an error.
func (c *Client) Remove(ctx context.Context, key usearch.Key) (Ack, error) {
	return c.publish(ctx, "Remove", c.ShardOf(key), encodeRemove(key))
}

// Rename moves the vectors of from to the key to. Within one shard it is one record;
// across shards it reads the vectors (read-your-writes), adds them on the new shard and
// only then removes them from the old one, so the vectors are never absent.
func (c *Client) Rename(ctx context.Context, from, to usearch.Key) error {
	if to == ^usearch.Key(0) {
		return fmt.Errorf("cluster: Rename: %w", usearch.ErrReservedKey)
	}
	sf, st := c.ShardOf(from), c.ShardOf(to)
	if sf == st {
		_, err := c.publish(ctx, "Rename", sf, encodeRename(from, to))
		return err
	}
	vecs, err := c.Get(ctx, from)
	if err != nil {
		return err
	}
	if len(vecs) == 0 {
		return nil // nothing to move, as a local Rename of an absent key
	}
	if !c.spec.Index.Multi {
		vecs = vecs[:1]
	}
	for _, v := range vecs {
		if _, err := c.publish(ctx, "Rename", st, encodeAdd(to, v)); err != nil {
			return err
		}
	}
	_, err = c.publish(ctx, "Rename", sf, encodeRemove(from))
	return err
}

// Get returns the vectors stored under key, after the shard applied this client's writes.
// If no replica of the key's shard answers, the error matches ErrShardUnavailable.
func (c *Client) Get(ctx context.Context, key usearch.Key) ([][]float32, error) {
	s := c.ShardOf(key)
	g := getRequest{Shard: s, Key: key, MinSeq: c.seqs[s].Load()}
	var data []byte
	if c.opts.JSONWire {
		data, _ = json.Marshal(g)
	} else {
		data = g.marshalBinary()
	}
	msg, err := c.request(ctx, s, c.n.getSubj(s), data, c.attemptTimeout(g.MinSeq))
	if err != nil {
		return nil, err
	}
	var out getReply
	if isBinary(msg.Data) {
		err = out.unmarshalBinary(msg.Data)
	} else {
		err = json.Unmarshal(msg.Data, &out)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: Get: shard %d sent an unreadable reply: %w", s, err)
	}
	return out.Vectors, nil
}

// SearchOptions restrict or order a search.
type SearchOptions struct {
	// ReadYourWrites makes every shard wait until it applied this client's acknowledged
	// writes before answering (bounded by the context and the replica's MaxWait). Without
	// it a search answers from whatever the replica applied so far, which right after a
	// write may not include it.
	ReadYourWrites bool
	// AfterSeq additionally waits for given sequences per shard (for example from Acks of
	// another client).
	AfterSeq map[int]uint64
	// Allow restricts results to these keys (nil: no restriction; empty non-nil: nothing).
	Allow []usearch.Key
	// Range restricts results to keys in [Range[0], Range[1]].
	Range *[2]usearch.Key
	// Exact scans every vector of every shard (brute force) instead of walking the graphs;
	// Expansion is then irrelevant.
	Exact bool
	// Expansion is the search width for this request (0: the collection's). A replica
	// serves requests of another width one at a time, so it is for occasional use.
	Expansion uint
}

// ShardError says why one shard is missing from a result.
type ShardError struct {
	Shard int
	Err   error
}

// PartialError reports the shards missing from a result. Results returned with it hold
// the merged answers of the other shards. errors.Is(err, ErrPartial) is true.
type PartialError struct {
	Shards  int
	Missing []ShardError
}

func (e *PartialError) Error() string {
	parts := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		parts[i] = fmt.Sprintf("shard %d: %v", m.Shard, m.Err)
	}
	return fmt.Sprintf("cluster: %d of %d shards missing from the result (%s)", len(e.Missing), e.Shards, strings.Join(parts, "; "))
}

func (e *PartialError) Is(target error) bool { return target == ErrPartial }

// MissingShards lists the shards that did not answer.
func (e *PartialError) MissingShards() []int {
	out := make([]int, len(e.Missing))
	for i, m := range e.Missing {
		out[i] = m.Shard
	}
	return out
}

// RemoteError is an error reply of a replica.
type RemoteError struct {
	Shard       int
	Code        string
	Description string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("cluster: shard %d replied %s: %s", e.Shard, e.Code, e.Description)
}

// Is makes a 400 reply match ErrBadRequest.
func (e *RemoteError) Is(target error) bool { return target == ErrBadRequest && e.Code == "400" }

// Search returns the limit nearest keys of query across all shards, nearest first, with
// their distances. If some shard did not answer (after one retry) the result of the
// others comes with a *PartialError.
func (c *Client) Search(ctx context.Context, query []float32, limit uint, opts *SearchOptions) (keys []usearch.Key, distances []float32, err error) {
	if len(query) != int(c.spec.Index.Dimensions) {
		return nil, nil, fmt.Errorf("cluster: Search: query has %d dimensions, collection %q has %d: %w", len(query), c.spec.Name, c.spec.Index.Dimensions, usearch.ErrDimensionMismatch)
	}
	m, err := c.SearchBatch(ctx, query, limit, opts)
	if m == nil {
		return nil, nil, err
	}
	keys, distances = m.At(0)
	return keys, distances, err
}

// SearchBatch searches len(queries)/dimensions queries, given back to back (row-major), and
// returns their merged results as the library's SearchBatch does. Each shard gets one
// request per run of rows that fits NATS's max_payload (up to MaxBatch rows). If some shard
// did not answer, the merged results of the others come with a *PartialError.
func (c *Client) SearchBatch(ctx context.Context, queries []float32, limit uint, opts *SearchOptions) (*usearch.Matches, error) {
	if opts == nil {
		opts = &SearchOptions{}
	}
	d := int(c.spec.Index.Dimensions)
	if len(queries) == 0 || len(queries)%d != 0 {
		return nil, fmt.Errorf("cluster: SearchBatch: %d floats is not a whole number of %d-dimensional queries (collection %q): %w", len(queries), d, c.spec.Name, usearch.ErrDimensionMismatch)
	}
	nq := len(queries) / d
	if limit < 1 || limit > MaxK {
		return nil, fmt.Errorf("cluster: Search: limit %d; want 1..%d: %w", limit, MaxK, usearch.ErrInvalidArgument)
	}
	if len(opts.Allow) > MaxAllow {
		return nil, fmt.Errorf("cluster: Search: allow-list of %d keys; want at most %d: %w", len(opts.Allow), MaxAllow, usearch.ErrInvalidArgument)
	}
	// Requests and replies must fit NATS's max_payload (1 MB by default): as many rows per
	// request as fit half of it, whichever of queries and results is larger.
	budget := max(int(c.nc.MaxPayload())/2-8*len(opts.Allow), 1)
	rows := min(MaxBatch, max(1, budget/(4*d)), max(1, budget/(12*int(limit)+4)))
	if nq <= rows {
		return c.searchRows(ctx, queries, nq, limit, opts)
	}
	out := &usearch.Matches{Limit: int(limit)}
	var partial *PartialError
	for from := 0; from < nq; from += rows {
		to := min(nq, from+rows)
		m, err := c.searchRows(ctx, queries[from*d:to*d], to-from, limit, opts)
		var pe *PartialError
		if err != nil && !errors.As(err, &pe) {
			return nil, err
		}
		if pe != nil {
			if partial == nil {
				partial = &PartialError{Shards: pe.Shards}
			}
			for _, miss := range pe.Missing {
				if !slices.Contains(partial.MissingShards(), miss.Shard) {
					partial.Missing = append(partial.Missing, miss)
				}
			}
		}
		out.Keys = append(out.Keys, m.Keys...)
		out.Distances = append(out.Distances, m.Distances...)
		out.Counts = append(out.Counts, m.Counts...)
	}
	if partial != nil {
		sort.Slice(partial.Missing, func(i, j int) bool { return partial.Missing[i].Shard < partial.Missing[j].Shard })
		return out, partial
	}
	return out, nil
}

// searchRows sends one request per shard for nq queries and merges the replies.
func (c *Client) searchRows(ctx context.Context, queries []float32, nq int, limit uint, opts *SearchOptions) (*usearch.Matches, error) {
	var allow [][]usearch.Key
	if opts.Allow != nil {
		allow = make([][]usearch.Key, c.spec.Shards)
		for _, key := range opts.Allow {
			s := c.ShardOf(key)
			allow[s] = append(allow[s], key)
		}
	}
	replies := make([]*searchReply, c.spec.Shards)
	errs := make([]error, c.spec.Shards)
	var wg sync.WaitGroup
	for s := 0; s < c.spec.Shards; s++ {
		if allow != nil && len(allow[s]) == 0 {
			replies[s] = &searchReply{Shard: s, Counts: make([]int, nq)} // nothing allowed there: nothing to ask
			continue
		}
		req := searchRequest{Shard: s, K: int(limit), N: nq, Queries: queries, Range: opts.Range, Exact: opts.Exact, Expansion: opts.Expansion}
		if allow != nil {
			req.HasAllow, req.Allow = true, allow[s]
		}
		if opts.ReadYourWrites {
			req.MinSeq = c.seqs[s].Load()
		}
		if seq := opts.AfterSeq[s]; seq > req.MinSeq {
			req.MinSeq = seq
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[s], errs[s] = c.searchShard(ctx, s, &req)
		}()
	}
	wg.Wait()
	var missing []ShardError
	for s, err := range errs {
		if err != nil {
			if errors.Is(err, ErrBadRequest) {
				return nil, err // the request itself is wrong: no shard would take it
			}
			missing = append(missing, ShardError{Shard: s, Err: err})
		}
	}
	out := mergeReplies(replies, nq, int(limit))
	if len(missing) > 0 {
		return out, &PartialError{Shards: c.spec.Shards, Missing: missing}
	}
	return out, nil
}

// mergeReplies merges the shards' rows of every query into the limit nearest, ordered by
// (distance, key) so that equal distances rank the same whichever shard answered first.
func mergeReplies(replies []*searchReply, nq, limit int) *usearch.Matches {
	m := &usearch.Matches{Keys: make([]usearch.Key, nq*limit), Distances: make([]float32, nq*limit), Counts: make([]int, nq), Limit: limit}
	offsets := make([]int, len(replies))
	type hit struct {
		k usearch.Key
		d float32
	}
	var cand []hit
	for qi := 0; qi < nq; qi++ {
		cand = cand[:0]
		for s, r := range replies {
			if r == nil {
				continue
			}
			n := r.Counts[qi]
			for j := offsets[s]; j < offsets[s]+n; j++ {
				cand = append(cand, hit{r.Keys[j], r.Dists[j]})
			}
			offsets[s] += n
		}
		sort.Slice(cand, func(a, b int) bool {
			if cand[a].d != cand[b].d {
				return cand[a].d < cand[b].d
			}
			return cand[a].k < cand[b].k
		})
		n := min(limit, len(cand))
		for i := 0; i < n; i++ {
			m.Keys[qi*limit+i], m.Distances[qi*limit+i] = cand[i].k, cand[i].d
		}
		m.Counts[qi] = n
	}
	return m
}

func (c *Client) searchShard(ctx context.Context, s int, req *searchRequest) (*searchReply, error) {
	var data []byte
	if c.opts.JSONWire {
		var err error
		if data, err = json.Marshal(req); err != nil {
			return nil, err
		}
	} else {
		data = req.marshalBinary()
	}
	msg, err := c.request(ctx, s, c.n.searchSubj(s), data, c.attemptTimeout(req.MinSeq))
	if err != nil {
		return nil, err
	}
	var rep searchReply
	if isBinary(msg.Data) {
		err = rep.unmarshalBinary(msg.Data)
	} else {
		err = json.Unmarshal(msg.Data, &rep)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: shard %d sent an unreadable reply: %w", s, err)
	}
	if err := rep.check(req.N, req.K); err != nil {
		return nil, fmt.Errorf("cluster: shard %d sent an unusable reply: %w", s, err)
	}
	return &rep, nil
}

func (c *Client) attemptTimeout(minSeq uint64) time.Duration {
	if minSeq > 0 {
		return c.opts.WaitTimeout
	}
	return c.opts.ShardTimeout
}

// request asks one replica of shard s, and asks once more on no responders or a timeout.
func (c *Client) request(ctx context.Context, s int, subj string, data []byte, timeout time.Duration) (*nats.Msg, error) {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("cluster: shard %d: %w (after: %v)", s, ctx.Err(), err)
			case <-time.After(50 * time.Millisecond):
			}
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		var msg *nats.Msg
		msg, err = c.nc.RequestWithContext(actx, subj, data)
		cancel()
		if err == nil {
			if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
				return nil, &RemoteError{Shard: s, Code: code, Description: msg.Header.Get(micro.ErrorHeader)}
			}
			return msg, nil
		}
		retry := errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) ||
			(errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil)
		if !retry {
			return nil, fmt.Errorf("cluster: shard %d: %w", s, err)
		}
	}
	return nil, fmt.Errorf("cluster: shard %d: %w: %w", s, ErrShardUnavailable, err)
}

// Status asks every replica of the collection for its ReplicaStatus. It returns as soon as
// every registered replica answered, and after wait at the latest (with the replies it
// has). A replica registers in the collection's live bucket once it serves and renews the
// registration every 1.5 s; a stopped replica withdraws it, one that died loses it within
// 6 s, and until then (or the end of wait) Status waits for it.
func (c *Client) Status(ctx context.Context, wait time.Duration) ([]ReplicaStatus, error) {
	return c.status(ctx, wait, statusRequest{})
}

// registered lists the registered replicas as "shard/id"; ok is false if the registry
// cannot be read (then Status waits the whole wait).
func (c *Client) registered(ctx context.Context) (map[string]bool, bool) {
	if c.live == nil {
		return nil, false
	}
	lister, err := c.live.ListKeysFiltered(ctx, "r.>")
	if err != nil {
		return nil, false
	}
	out := map[string]bool{}
	for key := range lister.Keys() {
		e, err := c.live.Get(ctx, key)
		if err != nil {
			continue // expired or withdrawn meanwhile
		}
		var reg registration
		if json.Unmarshal(e.Value(), &reg) == nil {
			out[fmt.Sprintf("%d/%s", reg.Shard, reg.ID)] = true
		}
	}
	_ = lister.Stop()
	return out, true
}

func (c *Client) status(ctx context.Context, wait time.Duration, q statusRequest) ([]ReplicaStatus, error) {
	want, known := c.registered(ctx)
	inbox := c.nc.NewRespInbox()
	ch := make(chan *nats.Msg, 256)
	sub, err := c.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	var body []byte
	if q.After != nil || q.Digest {
		body, _ = json.Marshal(q)
	}
	if err := c.nc.PublishRequest(c.n.statusSubj(), inbox, body); err != nil {
		return nil, err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var out []ReplicaStatus
	seen := map[string]bool{}
	sorted := func() []ReplicaStatus {
		sort.Slice(out, func(i, j int) bool {
			if out[i].Shard != out[j].Shard {
				return out[i].Shard < out[j].Shard
			}
			return out[i].ID < out[j].ID
		})
		return out
	}
	refresh := time.NewTicker(time.Second)
	defer refresh.Stop()
	for {
		if known {
			all := true
			for k := range want {
				if !seen[k] {
					all = false
					break
				}
			}
			if all {
				return sorted(), nil
			}
		}
		select {
		case m := <-ch:
			var st ReplicaStatus
			if json.Unmarshal(m.Data, &st) == nil {
				out = append(out, st)
				seen[fmt.Sprintf("%d/%s", st.Shard, st.ID)] = true
			}
		case <-refresh.C:
			// A replica that died stays registered until its entry expires; reading the
			// registry again stops the wait for it then, not at the end of wait.
			if w, ok := c.registered(ctx); ok {
				want = w
			}
		case <-timer.C:
			return sorted(), nil
		case <-ctx.Done():
			return sorted(), ctx.Err()
		}
	}
}

// LastAcks returns, for every shard this client wrote to, the Ack of its highest
// acknowledged write: pass them to WaitApplied (here or in another process) to wait for
// everything this client wrote so far.
func (c *Client) LastAcks() []Ack {
	var out []Ack
	for s := range c.seqs {
		if seq := c.seqs[s].Load(); seq > 0 {
			out = append(out, Ack{Shard: s, Seq: seq})
		}
	}
	return out
}

// WaitApplied returns once every registered replica of every shard named in acks applied
// the highest sequence acknowledged there (so any search, by any client, sees those
// writes), and at least one replica of each such shard did; or with ctx's error, naming
// the replicas still behind. Use it after a bulk load, with the Acks of AddBatch or of
// LastAcks; for one client's own reads SearchOptions.ReadYourWrites is cheaper.
func (c *Client) WaitApplied(ctx context.Context, acks []Ack) error {
	after := map[int]uint64{}
	for _, a := range acks {
		if a.Seq > after[a.Shard] {
			after[a.Shard] = a.Seq
		}
	}
	if len(after) == 0 {
		return nil
	}
	for {
		st, err := c.status(ctx, c.opts.WaitTimeout, statusRequest{After: after})
		var behind []string
		ok := map[int]bool{}
		for _, r := range st {
			if seq, named := after[r.Shard]; named {
				if r.Applied >= seq {
					ok[r.Shard] = true
				} else {
					behind = append(behind, fmt.Sprintf("replica %s of shard %d at %d of %d", r.ID, r.Shard, r.Applied, seq))
				}
			}
		}
		for s, seq := range after {
			if !ok[s] {
				behind = append(behind, fmt.Sprintf("shard %d: no replica answered at %d", s, seq))
			}
		}
		if len(behind) == 0 && err == nil {
			return nil
		}
		if ctx.Err() != nil {
			sort.Strings(behind)
			return fmt.Errorf("cluster: WaitApplied: %s: %w", strings.Join(behind, "; "), ctx.Err())
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ShardLog is a shard's stream as JetStream reports it.
type ShardLog struct {
	Shard             int
	FirstSeq, LastSeq uint64
	Messages, Bytes   uint64
	Copies            int // JetStream's copies of the stream (its "replicas")
	Leader            string
}

// Logs reports every shard's stream.
func (c *Client) Logs(ctx context.Context) ([]ShardLog, error) {
	out := make([]ShardLog, c.spec.Shards)
	for s := range out {
		st, err := c.js.Stream(ctx, c.n.stream(s))
		if err != nil {
			return nil, fmt.Errorf("cluster: stream of shard %d: %w", s, err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			return nil, err
		}
		out[s] = ShardLog{Shard: s, FirstSeq: info.State.FirstSeq, LastSeq: info.State.LastSeq, Messages: info.State.Msgs,
			Bytes: info.State.Bytes, Copies: info.Config.Replicas}
		if info.Cluster != nil {
			out[s].Leader = info.Cluster.Leader
		}
	}
	return out, nil
}
