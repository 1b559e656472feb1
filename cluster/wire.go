package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/usearch-go/usearch"
)

// Write records are binary: JSON would triple the size of every vector in the log.
//
//	add:    0x01 key:u64le  vector:f32le...
//	remove: 0x02 key:u64le
//	rename: 0x03 from:u64le to:u64le   (both keys on the same shard)
const (
	opAdd    = 1
	opRemove = 2
	opRename = 3
)

type record struct {
	op  byte
	key usearch.Key
	to  usearch.Key
	vec []float32
}

func encodeAdd(key usearch.Key, vec []float32) []byte {
	b := make([]byte, 9+4*len(vec))
	b[0] = opAdd
	binary.LittleEndian.PutUint64(b[1:], key)
	for i, v := range vec {
		binary.LittleEndian.PutUint32(b[9+4*i:], math.Float32bits(v))
	}
	return b
}

func encodeRemove(key usearch.Key) []byte {
	b := make([]byte, 9)
	b[0] = opRemove
	binary.LittleEndian.PutUint64(b[1:], key)
	return b
}

func encodeRename(from, to usearch.Key) []byte {
	b := make([]byte, 17)
	b[0] = opRename
	binary.LittleEndian.PutUint64(b[1:], from)
	binary.LittleEndian.PutUint64(b[9:], to)
	return b
}

var errMalformed = errors.New("malformed write record")

// decodeRecord checks a record fully, so that a bad message written to the stream by
// anything other than a Client is skipped by every replica alike.
func decodeRecord(b []byte, dims int) (record, error) {
	if len(b) < 9 {
		return record{}, fmt.Errorf("%w: %d bytes, want at least 9", errMalformed, len(b))
	}
	r := record{op: b[0], key: binary.LittleEndian.Uint64(b[1:])}
	switch r.op {
	case opAdd:
		if want := 9 + 4*dims; len(b) != want {
			return record{}, fmt.Errorf("%w: add of %d bytes, want %d for %d dimensions", errMalformed, len(b), want, dims)
		}
		r.vec = make([]float32, dims)
		for i := range r.vec {
			r.vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[9+4*i:]))
		}
	case opRemove:
		if len(b) != 9 {
			return record{}, fmt.Errorf("%w: remove of %d bytes, want 9", errMalformed, len(b))
		}
	case opRename:
		if len(b) != 17 {
			return record{}, fmt.Errorf("%w: rename of %d bytes, want 17", errMalformed, len(b))
		}
		r.to = binary.LittleEndian.Uint64(b[9:])
	default:
		return record{}, fmt.Errorf("%w: unknown op %d", errMalformed, r.op)
	}
	return r, nil
}

// Search and get travel in a binary form (JSON stays for status, which people read, and is
// still accepted, for debugging and for the benchmark that compares the two). Every binary
// message starts with a three-byte header: wireMagic, wireVersion, and the message type.
// All numbers are little-endian; vectors are raw float32, results packed keys then
// distances, so neither side parses text or allocates per element.
//
//	search request: hdr flags:u8 shard:u32 k:u32 n:u32 dims:u32 expansion:u32 min_seq:u64
//	                [range: lo:u64 hi:u64]  [allow: count:u32 key:u64...]  queries: n*dims f32
//	                (flags: 1 allow-list, 2 range, 4 exact)
//	search reply:   hdr shard:u32 applied:u64 n:u32 counts:n*u32 keys:total*u64 dists:total*f32
//	get request:    hdr shard:u32 key:u64 min_seq:u64
//	get reply:      hdr dims:u32 count:u32 vectors:count*dims f32
const (
	wireMagic   = 0xA7 // neither '{' nor any byte a JSON text starts with
	wireVersion = 1

	msgSearch      = 1
	msgSearchReply = 2
	msgGet         = 3
	msgGetReply    = 4

	flagAllow = 1
	flagRange = 2
	flagExact = 4
)

var errWire = errors.New("malformed message")

var msgNames = map[byte]string{msgSearch: "search request", msgSearchReply: "search reply", msgGet: "get request", msgGetReply: "get reply"}

// isBinary tells a binary message from JSON by its first byte.
func isBinary(b []byte) bool { return len(b) > 0 && b[0] == wireMagic }

// reader decodes a message, remembering the first shortfall so that callers check once.
type reader struct {
	b    []byte
	what string
	err  error
}

func (r *reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: %s truncated: %s needs %d bytes, %d left", errWire, r.what, field, n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8(field string) byte {
	if b := r.take(1, field); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u32(field string) uint32 {
	if b := r.take(4, field); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64(field string) uint64 {
	if b := r.take(8, field); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// count reads a u32 count of elements of size bytes each and checks that they fit in what
// is left, so that a garbled count cannot make the decoder allocate gigabytes.
func (r *reader) count(field string, size, limit int) int {
	n := int(r.u32(field))
	if r.err != nil {
		return 0
	}
	if n > limit {
		r.err = fmt.Errorf("%w: %s: %s is %d, more than %d", errWire, r.what, field, n, limit)
		return 0
	}
	if n*size > len(r.b) {
		r.err = fmt.Errorf("%w: %s truncated: %d %s need %d bytes, %d left", errWire, r.what, n, field, n*size, len(r.b))
		return 0
	}
	return n
}

func (r *reader) floats(n int, field string) []float32 {
	b := r.take(4*n, field)
	if b == nil {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func (r *reader) keys(n int, field string) []usearch.Key {
	b := r.take(8*n, field)
	if b == nil {
		return nil
	}
	out := make([]usearch.Key, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out
}

// end reports the first error, or bytes left over after a complete message.
func (r *reader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %s has %d bytes after its end", errWire, r.what, len(r.b))
	}
	return r.err
}

// header checks magic, version and type.
func readHeader(b []byte, want byte) (*reader, error) {
	what := msgNames[want]
	if len(b) < 3 {
		return nil, fmt.Errorf("%w: %s truncated: %d bytes, the header needs 3", errWire, what, len(b))
	}
	if b[0] != wireMagic {
		return nil, fmt.Errorf("%w: %s starts with byte 0x%02x, want 0x%02x", errWire, what, b[0], wireMagic)
	}
	if b[1] != wireVersion {
		return nil, fmt.Errorf("%w: %s of wire version %d; this side speaks version %d (upgrade the older of client and replica)", errWire, what, b[1], wireVersion)
	}
	if b[2] != want {
		return nil, fmt.Errorf("%w: message of type %d where a %s (type %d) was expected", errWire, b[2], what, want)
	}
	return &reader{b: b[3:], what: what}, nil
}

type writer struct{ b []byte }

func newWriter(typ byte, size int) *writer {
	w := &writer{b: make([]byte, 0, 3+size)}
	w.b = append(w.b, wireMagic, wireVersion, typ)
	return w
}
func (w *writer) u8(v byte)    { w.b = append(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *writer) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *writer) floats(v []float32) {
	for _, f := range v {
		w.b = binary.LittleEndian.AppendUint32(w.b, math.Float32bits(f))
	}
}
func (w *writer) keys(v []usearch.Key) {
	for _, k := range v {
		w.b = binary.LittleEndian.AppendUint64(w.b, k)
	}
}

func (q *searchRequest) marshalBinary() []byte {
	w := newWriter(msgSearch, 33+16+4+8*len(q.Allow)+4*len(q.Queries))
	var flags byte
	if q.HasAllow {
		flags |= flagAllow
	}
	if q.Range != nil {
		flags |= flagRange
	}
	if q.Exact {
		flags |= flagExact
	}
	w.u8(flags)
	w.u32(uint32(q.Shard))
	w.u32(uint32(q.K))
	w.u32(uint32(q.N))
	dims := 0
	if q.N > 0 {
		dims = len(q.Queries) / q.N
	}
	w.u32(uint32(dims))
	w.u32(uint32(min(q.Expansion, math.MaxUint32)))
	w.u64(q.MinSeq)
	if q.Range != nil {
		w.u64(q.Range[0])
		w.u64(q.Range[1])
	}
	if q.HasAllow {
		w.u32(uint32(len(q.Allow)))
		w.keys(q.Allow)
	}
	w.floats(q.Queries)
	return w.b
}

func (q *searchRequest) unmarshalBinary(b []byte) error {
	r, err := readHeader(b, msgSearch)
	if err != nil {
		return err
	}
	flags := r.u8("flags")
	if r.err == nil && flags&^(flagAllow|flagRange|flagExact) != 0 {
		return fmt.Errorf("%w: search request has unknown flags 0x%02x", errWire, flags)
	}
	*q = searchRequest{Shard: int(int32(r.u32("shard"))), K: int(r.u32("k")), N: int(r.u32("n"))}
	dims := int(r.u32("dims"))
	q.Expansion = uint(r.u32("expansion"))
	q.MinSeq = r.u64("min_seq")
	q.Exact = flags&flagExact != 0
	if flags&flagRange != 0 {
		q.Range = &[2]usearch.Key{r.u64("range low"), r.u64("range high")}
	}
	if flags&flagAllow != 0 {
		q.HasAllow = true
		q.Allow = r.keys(r.count("allowed keys", 8, MaxAllow), "allowed keys")
	}
	if r.err == nil && (q.N < 0 || q.N > MaxBatch || dims > 1<<20) {
		return fmt.Errorf("%w: search request of %d queries of %d dimensions; want at most %d queries", errWire, q.N, dims, MaxBatch)
	}
	q.Queries = r.floats(q.N*dims, "queries")
	return r.end()
}

func (p *searchReply) marshalBinary() []byte {
	w := newWriter(msgSearchReply, 16+4*len(p.Counts)+12*len(p.Keys))
	w.u32(uint32(p.Shard))
	w.u64(p.Applied)
	w.u32(uint32(len(p.Counts)))
	for _, c := range p.Counts {
		w.u32(uint32(c))
	}
	w.keys(p.Keys)
	w.floats(p.Dists)
	return w.b
}

func (p *searchReply) unmarshalBinary(b []byte) error {
	r, err := readHeader(b, msgSearchReply)
	if err != nil {
		return err
	}
	*p = searchReply{Shard: int(int32(r.u32("shard"))), Applied: r.u64("applied")}
	n := r.count("result rows", 4, MaxBatch)
	total := 0
	if r.err == nil {
		p.Counts = make([]int, n)
		for i := range p.Counts {
			c := int(r.u32("result count"))
			if c > MaxK {
				return fmt.Errorf("%w: search reply row %d has %d results, more than %d", errWire, i, c, MaxK)
			}
			p.Counts[i] = c
			total += c
		}
	}
	if r.err == nil && total*12 != len(r.b) {
		return fmt.Errorf("%w: search reply truncated or padded: %d results need %d bytes, %d left", errWire, total, total*12, len(r.b))
	}
	p.Keys = r.keys(total, "keys")
	p.Dists = r.floats(total, "distances")
	return r.end()
}

func (g *getRequest) marshalBinary() []byte {
	w := newWriter(msgGet, 20)
	w.u32(uint32(g.Shard))
	w.u64(g.Key)
	w.u64(g.MinSeq)
	return w.b
}

func (g *getRequest) unmarshalBinary(b []byte) error {
	r, err := readHeader(b, msgGet)
	if err != nil {
		return err
	}
	*g = getRequest{Shard: int(int32(r.u32("shard"))), Key: r.u64("key"), MinSeq: r.u64("min_seq")}
	return r.end()
}

func (g *getReply) marshalBinary(dims int) []byte {
	w := newWriter(msgGetReply, 8+4*dims*len(g.Vectors))
	w.u32(uint32(dims))
	w.u32(uint32(len(g.Vectors)))
	for _, v := range g.Vectors {
		w.floats(v)
	}
	return w.b
}

func (g *getReply) unmarshalBinary(b []byte) error {
	r, err := readHeader(b, msgGetReply)
	if err != nil {
		return err
	}
	dims := int(r.u32("dims"))
	if r.err == nil && (dims < 1 || dims > 1<<20) {
		return fmt.Errorf("%w: get reply of %d dimensions", errWire, dims)
	}
	n := r.count("vectors", 4*dims, 1<<20)
	*g = getReply{}
	for i := 0; i < n && r.err == nil; i++ {
		g.Vectors = append(g.Vectors, r.floats(dims, "vector"))
	}
	return r.end()
}

// searchRequest is one request to one shard: N queries, back to back in Queries, with the
// same k and filter.
type searchRequest struct {
	Shard   int       `json:"shard"`
	K       int       `json:"k"`
	N       int       `json:"n"`
	Queries []float32 `json:"queries"`
	// MinSeq asks the replica to wait until it applied this stream sequence (read-your-writes).
	MinSeq uint64 `json:"min_seq,omitempty"`
	// Allow, when HasAllow, restricts results to these keys; Range to an inclusive key range.
	HasAllow bool            `json:"has_allow,omitempty"`
	Allow    []usearch.Key   `json:"allow,omitempty"`
	Range    *[2]usearch.Key `json:"range,omitempty"`
	// Exact scans every vector; Expansion (0: the index's) is the search width otherwise.
	Exact     bool `json:"exact,omitempty"`
	Expansion uint `json:"expansion,omitempty"`
}

// searchReply holds the shard's results of every query: Counts[i] results for query i,
// nearest first, the rows back to back in Keys and Dists.
type searchReply struct {
	Shard   int           `json:"shard"`
	Applied uint64        `json:"applied"`
	Counts  []int         `json:"counts"`
	Keys    []usearch.Key `json:"keys"`
	Dists   []float32     `json:"dists"`
}

// check verifies that a reply holds at most k results for each of n queries.
func (r *searchReply) check(n, k int) error {
	if len(r.Counts) != n {
		return fmt.Errorf("%d result rows for %d queries", len(r.Counts), n)
	}
	total := 0
	for i, c := range r.Counts {
		if c < 0 || c > k {
			return fmt.Errorf("query %d has %d results, want 0..%d", i, c, k)
		}
		total += c
	}
	if len(r.Keys) != total || len(r.Dists) != total {
		return fmt.Errorf("%d keys and %d distances for %d results", len(r.Keys), len(r.Dists), total)
	}
	return nil
}

type getRequest struct {
	Shard  int         `json:"shard"`
	Key    usearch.Key `json:"key"`
	MinSeq uint64      `json:"min_seq,omitempty"`
}

type getReply struct {
	Vectors [][]float32 `json:"vectors"`
}

// statusRequest optionally asks each replica to answer only once it applied a sequence
// (After, by shard; bounded by the replica's MaxWait), which is how WaitApplied waits.
// Digest asks each replica for a digest of its content (an O(n) pass over the index).
type statusRequest struct {
	After  map[int]uint64 `json:"after,omitempty"`
	Digest bool           `json:"digest,omitempty"`
}

// Limits a replica enforces on requests; beyond them it answers with an error.
const (
	MaxK          = 4096
	MaxBatch      = 1024
	MaxAllow      = 1 << 20
	MaxRequestLen = 4 << 20
	MaxExpansion  = 1 << 16
)
