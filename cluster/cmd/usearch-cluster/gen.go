package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/usearch-go/usearch"
)

// gen writes synthetic vectors (points around random centres, as embeddings of a few
// topics), queries from the same distribution and their exact nearest rows, so that a
// walk-through needs no Python and no download.
func gen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("gen", stderr)
	n := fs.Int("n", 10000, "vectors")
	dims := fs.Int("dims", 32, "dimensions")
	out := fs.String("o", "vectors.npy", "vectors file (.npy, float32, n × dims)")
	nq := fs.Int("queries", 100, "queries (0: none)")
	qout := fs.String("q", "queries.npy", "queries file")
	gtout := fs.String("gt", "truth.npy", "ground truth file: for each query the rows (= keys when loaded without -keys) of its k nearest vectors, nearest first")
	k := fs.Int("k", 10, "ground-truth columns")
	metric := fs.String("metric", usearch.Cosine.String(), "metric of the ground truth")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		if err == flagErrHelp {
			return err
		}
		return errUsage
	}
	if *n < 1 || *dims < 1 || *nq < 0 || *k < 1 || *k > *n {
		return fmt.Errorf("-n %d -dims %d -queries %d -k %d: want n, dims ≥ 1, queries ≥ 0, 1 ≤ k ≤ n", *n, *dims, *nq, *k)
	}
	m, err := metricOf(*metric)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*seed, 0x5eed))
	centres := make([][]float32, 64)
	for i := range centres {
		centres[i] = make([]float32, *dims)
		for j := range centres[i] {
			centres[i][j] = float32(rng.NormFloat64())
		}
	}
	rows := func(count int) ([][]float32, []float32) {
		out, flat := make([][]float32, count), make([]float32, 0, count**dims)
		for i := range out {
			c := centres[rng.IntN(len(centres))]
			out[i] = make([]float32, *dims)
			for j := range out[i] {
				out[i][j] = c[j] + 0.35*float32(rng.NormFloat64())
			}
			flat = append(flat, out[i]...)
		}
		return out, flat
	}
	data, flat := rows(*n)
	if err := writeNpyFile(*out, data); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d vectors of %d dimensions\n", *out, *n, *dims)
	if *nq == 0 {
		return nil
	}
	queries, qflat := rows(*nq)
	if err := writeNpyFile(*qout, queries); err != nil {
		return err
	}
	keys, _, err := usearch.ExactSearch(flat, qflat, uint(*n), uint(*nq), 0, 0, uint(*dims), m, uint(*k), 0, 0, 0)
	if err != nil {
		return err
	}
	truth := make([][]int64, *nq)
	for i := range truth {
		truth[i] = make([]int64, *k)
		for j := range truth[i] {
			truth[i][j] = int64(keys[i**k+j])
		}
	}
	if err := writeNpyFile(*gtout, truth); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d queries; %s: their %d nearest rows by %v\n", *qout, *nq, *gtout, *k, m)
	return nil
}

func writeNpyFile(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := npy.Write(f, v); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
