// Package dataset makes the synthetic vectors the benchmarks run on and holds the small
// helpers around them: brute-force ground truth, recall, and little-endian binary files
// that other programs (the Node comparison script) read back bit for bit.
//
// The generator is a self-contained SplitMix64 stream with Box-Muller normals, so a seed
// gives the same vectors on every Go version and platform.
package dataset

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/usearch-go/usearch"
)

// Spread is the standard deviation of a point around its cluster center, per dimension.
// Centers are drawn from N(0, 1), so clusters overlap a little in low dimensions and are
// well separated in high ones; neighbors of a query are mostly, not always, in its cluster.
const Spread = 0.35

// Stream numbers keep the centers, the rows and the queries of one seed independent.
const (
	streamCenters = 0x63656e74 // "cent"
	streamRows    = 0x726f7773 // "rows"
	streamQueries = 0x71756572 // "quer"
)

// rng is SplitMix64 with a cached second Box-Muller normal.
type rng struct {
	state  uint64
	spare  float64
	hasOne bool
}

func newRNG(seed int64, stream uint64) *rng {
	r := &rng{state: uint64(seed) ^ stream*0x9E3779B97F4A7C15}
	r.next() // decorrelate neighbouring seeds
	return r
}

func (r *rng) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	z := r.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// uniform returns a float64 in (0, 1].
func (r *rng) uniform() float64 { return float64(r.next()>>11+1) / (1 << 53) }

// intn returns an integer in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// normal returns a standard normal deviate.
func (r *rng) normal() float64 {
	if r.hasOne {
		r.hasOne = false
		return r.spare
	}
	radius := math.Sqrt(-2 * math.Log(r.uniform()))
	s, c := math.Sincos(2 * math.Pi * r.uniform())
	r.spare, r.hasOne = radius*s, true
	return radius * c
}

// centers returns clusters*dims cluster centers for seed.
func centers(dims, clusters int, seed int64) []float64 {
	r := newRNG(seed, streamCenters)
	out := make([]float64, dims*clusters)
	for i := range out {
		out[i] = r.normal()
	}
	return out
}

// around fills n rows of dims values, each a random cluster's center plus N(0, Spread²)
// noise drawn from the given stream.
func around(n, dims, clusters int, seed int64, stream uint64) []float32 {
	if n <= 0 || dims <= 0 {
		return []float32{}
	}
	if clusters < 1 {
		clusters = 1
	}
	c := centers(dims, clusters, seed)
	r := newRNG(seed, stream)
	out := make([]float32, n*dims)
	for i := 0; i < n; i++ {
		center := c[r.intn(clusters)*dims:][:dims]
		row := out[i*dims:][:dims]
		for j := range row {
			row[j] = float32(center[j] + Spread*r.normal())
		}
	}
	return out
}

// Clustered returns n vectors of dims float32 values, one after another, drawn from a
// mixture of `clusters` Gaussian clusters. The same arguments always give the same values.
func Clustered(n, dims, clusters int, seed int64) []float32 {
	return around(n, dims, clusters, seed, streamRows)
}

// Queries returns q vectors drawn around the same cluster centers as Clustered with the same
// dims, clusters and seed, from an independent noise stream, so they are near the data
// but are not copies of data rows.
func Queries(q, dims, clusters int, seed int64) []float32 {
	return around(q, dims, clusters, seed, streamQueries)
}

// GroundTruth returns, for each of the len(queries)/dims queries, the row numbers of its k
// nearest data rows under metric, found by brute force with usearch.ExactSearch on every
// core. Row numbers are the keys the benchmarks add rows under.
func GroundTruth(data, queries []float32, dims, k int, metric usearch.Metric) ([][]usearch.Key, error) {
	if dims <= 0 || k <= 0 {
		return nil, fmt.Errorf("dataset: GroundTruth needs positive dims and k, got %d and %d", dims, k)
	}
	n, q := len(data)/dims, len(queries)/dims
	if n < k {
		return nil, fmt.Errorf("dataset: GroundTruth needs at least k=%d rows, got %d", k, n)
	}
	keys, _, err := usearch.ExactSearch(data, queries, uint(n), uint(q), 0, 0, uint(dims), metric, uint(k), 0, 0, 0)
	if err != nil {
		return nil, err
	}
	out := make([][]usearch.Key, q)
	for i := range out {
		out[i] = keys[i*k : (i+1)*k : (i+1)*k]
	}
	return out, nil
}

// Recall returns the mean over queries of |got[i][:k] ∩ truth[i][:k]| / k: the fraction of
// true k nearest neighbors that were found. Missing results count as misses.
func Recall(got, truth [][]usearch.Key, k int) float64 {
	if len(truth) == 0 || k <= 0 {
		return 0
	}
	hits := 0
	for i, want := range truth {
		if len(want) > k {
			want = want[:k]
		}
		var have []usearch.Key
		if i < len(got) {
			have = got[i]
			if len(have) > k {
				have = have[:k]
			}
		}
		for _, w := range want {
			for _, h := range have {
				if h == w {
					hits++
					break
				}
			}
		}
	}
	return float64(hits) / float64(len(truth)*k)
}

// Flatten lays rows of keys out one after another, as WriteUint64s expects.
func Flatten(rows [][]usearch.Key) []uint64 {
	var out []uint64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// WriteFloat32s writes v to path as raw little-endian float32 values, without header.
func WriteFloat32s(path string, v []float32) error { return writeLE(path, v) }

// WriteUint64s writes v to path as raw little-endian uint64 values, without header.
func WriteUint64s(path string, v []uint64) error { return writeLE(path, v) }

// ReadFloat32s reads a file written by WriteFloat32s.
func ReadFloat32s(path string) ([]float32, error) { return readLE[float32](path, 4) }

// ReadUint64s reads a file written by WriteUint64s.
func ReadUint64s(path string) ([]uint64, error) { return readLE[uint64](path, 8) }

func writeLE[T float32 | uint64](path string, v []T) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := binary.Write(w, binary.LittleEndian, v); err != nil {
		f.Close()
		return fmt.Errorf("dataset: writing %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("dataset: writing %s: %w", path, err)
	}
	return f.Close()
}

func readLE[T float32 | uint64](path string, size int64) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size()%size != 0 {
		return nil, fmt.Errorf("dataset: %s has %d bytes, not a multiple of %d", path, st.Size(), size)
	}
	out := make([]T, st.Size()/size)
	if err := binary.Read(bufio.NewReaderSize(f, 1<<20), binary.LittleEndian, out); err != nil {
		if err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("dataset: %s is shorter than its size", path)
		}
		return nil, err
	}
	return out, nil
}
