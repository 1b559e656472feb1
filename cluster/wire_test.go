package cluster

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/usearch-go/usearch"
)

// randomMessages makes one of each binary message with random contents.
func randomMessages(rng *rand.Rand) (searchRequest, searchReply, getRequest, getReply) {
	dims, n := 1+rng.IntN(64), 1+rng.IntN(20)
	q := searchRequest{Shard: rng.IntN(1024), K: 1 + rng.IntN(MaxK), N: n, MinSeq: rng.Uint64(), Expansion: uint(rng.IntN(1000)), Exact: rng.IntN(2) == 0}
	q.Queries = make([]float32, n*dims)
	for i := range q.Queries {
		q.Queries[i] = float32(rng.NormFloat64())
	}
	if rng.IntN(2) == 0 {
		q.HasAllow = true
		q.Allow = make([]usearch.Key, rng.IntN(50))
		for i := range q.Allow {
			q.Allow[i] = rng.Uint64()
		}
	}
	if rng.IntN(2) == 0 {
		lo := rng.Uint64() / 2
		q.Range = &[2]usearch.Key{lo, lo + rng.Uint64()/2}
	}
	p := searchReply{Shard: q.Shard, Applied: rng.Uint64(), Counts: make([]int, n)}
	for i := range p.Counts {
		p.Counts[i] = rng.IntN(q.K + 1)
		for j := 0; j < p.Counts[i]; j++ {
			p.Keys = append(p.Keys, rng.Uint64())
			p.Dists = append(p.Dists, rng.Float32())
		}
	}
	g := getRequest{Shard: rng.IntN(1024), Key: rng.Uint64(), MinSeq: rng.Uint64()}
	gr := getReply{}
	for i := rng.IntN(4); i > 0; i-- {
		v := make([]float32, dims)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		gr.Vectors = append(gr.Vectors, v)
	}
	return q, p, g, gr
}

// codecs pairs every message with its encoding and a decoder into a fresh value.
func codecs(q searchRequest, p searchReply, g getRequest, gr getReply, dims int) []struct {
	name   string
	want   any
	data   []byte
	decode func([]byte) (any, error)
} {
	return []struct {
		name   string
		want   any
		data   []byte
		decode func([]byte) (any, error)
	}{
		{"search request", q, q.marshalBinary(), func(b []byte) (any, error) { var v searchRequest; err := v.unmarshalBinary(b); return v, err }},
		{"search reply", p, p.marshalBinary(), func(b []byte) (any, error) { var v searchReply; err := v.unmarshalBinary(b); return v, err }},
		{"get request", g, g.marshalBinary(), func(b []byte) (any, error) { var v getRequest; err := v.unmarshalBinary(b); return v, err }},
		{"get reply", gr, gr.marshalBinary(dims), func(b []byte) (any, error) { var v getReply; err := v.unmarshalBinary(b); return v, err }},
	}
}

func normalise(v any) any {
	// nil and empty slices decode alike; compare them as equal.
	switch x := v.(type) {
	case searchRequest:
		if len(x.Allow) == 0 {
			x.Allow = nil
		}
		return x
	case searchReply:
		if len(x.Keys) == 0 {
			x.Keys, x.Dists = nil, nil
		}
		return x
	case getReply:
		if len(x.Vectors) == 0 {
			x.Vectors = nil
		}
		return x
	}
	return v
}

func TestWireCodec(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 7))
	for round := 0; round < 50; round++ {
		q, p, g, gr := randomMessages(rng)
		dims := len(q.Queries) / q.N
		for i := range gr.Vectors {
			gr.Vectors[i] = gr.Vectors[i][:dims]
		}
		for _, c := range codecs(q, p, g, gr, dims) {
			if !isBinary(c.data) || c.data[1] != wireVersion {
				t.Fatalf("%s: header % x", c.name, c.data[:3])
			}
			got, err := c.decode(c.data)
			if err != nil {
				t.Fatalf("%s: round trip: %v", c.name, err)
			}
			if !reflect.DeepEqual(normalise(got), normalise(c.want)) {
				t.Fatalf("%s: round trip gave %+v, want %+v", c.name, got, c.want)
			}
			// Every proper prefix is refused, saying it is truncated.
			for cut := 0; cut < len(c.data); cut += 1 + cut/16 {
				_, err := c.decode(c.data[:cut])
				if !errors.Is(err, errWire) || !strings.Contains(err.Error(), "truncated") {
					t.Fatalf("%s cut to %d of %d bytes: %v, want a truncation error", c.name, cut, len(c.data), err)
				}
			}
			// Trailing bytes, another version, another magic, another type.
			if _, err := c.decode(append(append([]byte(nil), c.data...), 0)); !errors.Is(err, errWire) {
				t.Fatalf("%s with a trailing byte: %v", c.name, err)
			}
			v2 := append([]byte(nil), c.data...)
			v2[1] = wireVersion + 1
			if _, err := c.decode(v2); !errors.Is(err, errWire) || !strings.Contains(err.Error(), "wire version 2") || !strings.Contains(err.Error(), "speaks version 1") {
				t.Fatalf("%s of version 2: %v", c.name, err)
			}
			bad := append([]byte(nil), c.data...)
			bad[0] = '{'
			if _, err := c.decode(bad); !errors.Is(err, errWire) || isBinary(bad) {
				t.Fatalf("%s with a JSON first byte: %v", c.name, err)
			}
			bad[0], bad[2] = wireMagic, 99
			if _, err := c.decode(bad); !errors.Is(err, errWire) || !strings.Contains(err.Error(), "type 99") {
				t.Fatalf("%s of type 99: %v", c.name, err)
			}
		}
	}
}

// TestWireGarbled: counts and flags that do not fit the message are refused before any
// allocation they would imply.
func TestWireGarbled(t *testing.T) {
	q := searchRequest{Shard: 1, K: 5, N: 2, Queries: make([]float32, 8), HasAllow: true, Allow: []usearch.Key{7}}
	b := q.marshalBinary()
	flags := 3
	bad := append([]byte(nil), b...)
	bad[flags] |= 0x80
	var v searchRequest
	if err := v.unmarshalBinary(bad); !errors.Is(err, errWire) || !strings.Contains(err.Error(), "unknown flags") {
		t.Fatalf("unknown flag: %v", err)
	}
	// The allow-list count claims a billion keys.
	bad = append([]byte(nil), b...)
	allowCount := 3 + 1 + 5*4 + 8
	bad[allowCount], bad[allowCount+1], bad[allowCount+2], bad[allowCount+3] = 0, 0xCA, 0x9A, 0x3B
	if err := v.unmarshalBinary(bad); !errors.Is(err, errWire) {
		t.Fatalf("allow count of a billion: %v", err)
	}
	// A reply whose counts exceed its keys.
	p := searchReply{Counts: []int{2}, Keys: []usearch.Key{1, 2}, Dists: []float32{0, 1}}
	pb := p.marshalBinary()
	pb[3+4+8+4] = 3
	var pr searchReply
	if err := pr.unmarshalBinary(pb); !errors.Is(err, errWire) {
		t.Fatalf("reply with 3 results and room for 2: %v", err)
	}
	// A reply row with more than MaxK results.
	p = searchReply{Counts: []int{MaxK + 1}}
	if err := pr.unmarshalBinary(p.marshalBinary()); !errors.Is(err, errWire) || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("reply row over MaxK: %v", err)
	}
	// A get reply of zero dimensions.
	g := getReply{}
	gb := g.marshalBinary(0)
	var gr getReply
	if err := gr.unmarshalBinary(gb); !errors.Is(err, errWire) {
		t.Fatalf("get reply of 0 dimensions: %v", err)
	}
}
