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
type statusRequest struct {
	After map[int]uint64 `json:"after,omitempty"`
}

// Limits a replica enforces on requests; beyond them it answers with an error.
const (
	MaxK          = 4096
	MaxBatch      = 1024
	MaxAllow      = 1 << 20
	MaxRequestLen = 4 << 20
	MaxExpansion  = 1 << 16
)
