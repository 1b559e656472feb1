package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/usearch-go/usearch/internal/atomicfile"
)

func runSearch(args []string, stdout, stderr io.Writer) error {
	var (
		indexes                        stringList
		queriesPath, truthPath, format string
		out, dtype                     string
		k, threads, dims               int
		expansion                      uint
		exact, view, quiet             bool
	)
	fs := newFlags("search", "-index INDEX [-index INDEX ...] -q QUERIES [flags]", stderr)
	fs.Var(&indexes, "index", "index file; repeat to search several shards as one index")
	fs.StringVar(&queriesPath, "q", "", "query file: "+formats)
	fs.IntVar(&k, "k", 10, "neighbors per query")
	fs.UintVar(&expansion, "expansion", 0, "beam width while searching (0 = the default 64; index files do not store one; at least -k is used)")
	fs.BoolVar(&exact, "exact", false, "brute force over every vector instead of the graph (exact results, slow)")
	fs.BoolVar(&view, "view", false, "memory-map the index files instead of loading them (read-only, starts at once)")
	fs.StringVar(&truthPath, "gt", "", "ground truth: row ids nearest first (.ivecs, .ibin with or without big-ann's distances, .i64bin, .u64bin, .npy; HDF5 is not read); prints recall@k")
	fs.StringVar(&format, "format", "tsv", "result format: tsv (query, rank, key, distance), jsonl, npy (needs -out)")
	fs.StringVar(&out, "out", "", "write results to this file instead of stdout (- is stdout); with npy, keys go here and distances to NAME.distances.npy")
	fs.IntVar(&threads, "threads", runtime.NumCPU(), "goroutines searching")
	fs.IntVar(&dims, "dims", 0, "dimensions of a raw little-endian query file")
	fs.StringVar(&dtype, "dtype", "f32", "element type of a raw query file: f32, f64, f16, i8, u8")
	fs.BoolVar(&quiet, "quiet", false, "no progress output")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case len(indexes) == 0:
		return usageErrorf(fs, "at least one -index INDEX is required")
	case queriesPath == "":
		return usageErrorf(fs, "-q QUERIES is required")
	case k < 1:
		return usageErrorf(fs, "-k %d: want at least 1", k)
	case threads < 1:
		return usageErrorf(fs, "-threads %d: want at least 1", threads)
	case format != "tsv" && format != "jsonl" && format != "npy":
		return usageErrorf(fs, "-format %q: want tsv, jsonl or npy", format)
	case format == "npy" && (out == "" || out == "-"):
		return usageErrorf(fs, "-format npy needs -out FILE (it writes two files, keys and distances)")
	}
	if out == "-" {
		out = "" // standard output, as without -out
	}
	// The destinations are opened before any work, so a wrong -out (a directory, a
	// missing folder) fails at once rather than after the search.
	var dests []*atomicfile.File
	defer func() {
		for _, d := range dests {
			d.Abort() // after Commit it does nothing
		}
	}()
	if out != "" {
		paths := []string{out}
		if format == "npy" {
			paths = append(paths, distancesPath(out))
		}
		for _, p := range paths {
			d, err := atomicfile.Create(p)
			if err != nil {
				return err
			}
			dests = append(dests, d)
		}
	}
	rawKind, err := parseKind(dtype)
	if err != nil {
		return usageErrorf(fs, "-dtype: %v", err)
	}

	queries, err := readVectors(queriesPath, dims, rawKind)
	if err != nil {
		return err
	}
	var truth [][]uint64
	if truthPath != "" {
		if truth, err = readIDs(truthPath, k, true); err != nil {
			return err
		}
		if len(truth) != queries.rows {
			return fmt.Errorf("%s: %d rows of ground truth for %d queries in %s", truthPath, len(truth), queries.rows, queriesPath)
		}
	}
	start := time.Now()
	shards, err := openShards(indexes, view, queries, expansion)
	if err != nil {
		return err
	}
	defer shards.Close()
	total := shards.count()
	if !quiet {
		verb := "loaded"
		if view {
			verb = "viewed"
		}
		fmt.Fprintf(stderr, "%s %d file(s), %d vectors, in %s\n", verb, len(indexes), total, time.Since(start).Round(time.Millisecond))
	}

	start = time.Now()
	ctx, stop := interruptContext()
	defer stop()
	p := newProgress(stderr, quiet, "search", queries.rows*len(shards.parts))
	results, err := searchRows(ctx, shards, queries.rows, k, exact, threads, p)
	p.Finish()
	if err != nil {
		if ctx.Err() != nil {
			if out != "" {
				return fmt.Errorf("%w: no results were written to %s", errInterrupted, out)
			}
			return fmt.Errorf("%w: no results were written", errInterrupted)
		}
		return err
	}
	elapsed := time.Since(start)

	if err := writeResults(stdout, dests, format, results, k); err != nil {
		return err
	}
	if !quiet {
		fmt.Fprintf(stderr, "%d queries in %s: %.0f QPS with %d goroutines\n", queries.rows, elapsed.Round(time.Millisecond),
			float64(queries.rows)/elapsed.Seconds(), threads)
	}
	if truth != nil {
		// The summary goes to stderr when the results fill stdout, so both stay parseable.
		w := stderr
		if out != "" {
			w = stdout
		}
		fmt.Fprintf(w, "recall@%d\t%.4f\n", k, recallAt(results, truth, k))
	}
	return nil
}

// recallAt is the mean over queries of |found ∩ truth| / k, both cut to their first k.
func recallAt(results []result, truth [][]uint64, k int) float64 {
	var sum float64
	for i, r := range results {
		want := make(map[uint64]bool, k)
		for _, t := range truth[i][:k] {
			want[t] = true
		}
		hits := 0
		for _, key := range r.keys[:min(k, len(r.keys))] {
			if want[key] {
				hits++
				delete(want, key) // a key found twice (multi-vector indexes) counts once
			}
		}
		sum += float64(hits) / float64(k)
	}
	return sum / float64(len(results))
}

// writeResults prints the neighbors as tsv or jsonl to stdout (or dests[0]), or writes them
// as two .npy arrays of shape (queries, k) into dests[0] and dests[1]: keys as uint64 with
// 2^64-1 where a query found fewer than k, distances as float32 with +Inf there.
func writeResults(stdout io.Writer, dests []*atomicfile.File, format string, results []result, k int) error {
	write := func(w io.Writer) error {
		switch format {
		case "jsonl":
			enc := json.NewEncoder(w)
			for i, r := range results {
				if err := enc.Encode(struct {
					Query     int       `json:"query"`
					Keys      []uint64  `json:"keys"`
					Distances []float64 `json:"distances"`
				}{i, r.keys, roundFloats(r.dists)}); err != nil {
					return err
				}
			}
		case "tsv":
			bw := w
			fmt.Fprintln(bw, "query\trank\tkey\tdistance")
			for i, r := range results {
				for j := range r.keys {
					if _, err := fmt.Fprintf(bw, "%d\t%d\t%d\t%g\n", i, j, r.keys[j], r.dists[j]); err != nil {
						return err
					}
				}
			}
		case "npy":
			keys := make([]uint64, len(results)*k)
			for i, r := range results {
				for j := range k {
					keys[i*k+j] = math.MaxUint64
					if j < len(r.keys) {
						keys[i*k+j] = r.keys[j]
					}
				}
			}
			return writeNpy(w, keys, len(results), k)
		}
		return nil
	}
	if len(dests) == 0 {
		return write(stdout)
	}
	if format != "npy" {
		return writeAndCommit(dests[0], write)
	}
	// Both files are complete before either replaces an older one.
	if err := writeInto(dests[0], write); err != nil {
		return err
	}
	dists := make([]float32, len(results)*k)
	for i, r := range results {
		for j := range k {
			dists[i*k+j] = float32(math.Inf(1))
			if j < len(r.dists) {
				dists[i*k+j] = r.dists[j]
			}
		}
	}
	if err := writeInto(dests[1], func(w io.Writer) error { return writeNpy(w, dists, len(results), k) }); err != nil {
		return err
	}
	for _, d := range dests {
		if err := d.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// distancesPath names the distances file next to a keys file: res.npy → res.distances.npy.
func distancesPath(keysPath string) string {
	return strings.TrimSuffix(keysPath, filepath.Ext(keysPath)) + ".distances.npy"
}

// roundFloats widens float32 distances to float64 through their shortest decimal form,
// so JSON shows 0.25 rather than 0.25000000372529.
func roundFloats(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i], _ = strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
	}
	return out
}
