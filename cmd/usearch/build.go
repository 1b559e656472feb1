package main

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/atomicfile"
)

// buildOptions are the flags of usearch build.
type buildOptions struct {
	input, keys, output, metric, quantization, dtype string
	connectivity, expansionAdd, expansionSearch      uint
	threads, shards, dims                            int
	multi, quiet                                     bool
}

func runBuild(args []string, stdout, stderr io.Writer) error {
	var o buildOptions
	fs := newFlags("build", "-i VECTORS -o INDEX [flags]", stderr)
	fs.StringVar(&o.input, "i", "", "vector file: "+formats)
	fs.StringVar(&o.keys, "keys", "", "keys, one per row (.npy int64/uint64, .ibin, .i64bin, .u64bin, .ivecs); default: row numbers")
	fs.StringVar(&o.output, "o", "", "index file to write (- is stdout); with -shards N, the shard number goes before the extension (out.0.usearch, ...)")
	fs.StringVar(&o.metric, "metric", "cos", "metric: ip, cos, l2sq, pearson, haversine, divergence, hamming, tanimoto, sorensen, jaccard")
	fs.StringVar(&o.quantization, "quantization", "", "storage: f32, f64, f16, bf16, i8, u8, b1 (default: the input's own kind for f16, i8 and u8, else f32)")
	fs.UintVar(&o.connectivity, "connectivity", 0, "graph degree M (0 = default 16)")
	fs.UintVar(&o.expansionAdd, "expansion-add", 0, "beam width while adding (0 = default 128)")
	fs.UintVar(&o.expansionSearch, "expansion-search", 0, "not stored: index files have no field for a search width (docs/file-format.md), so any value but 0 is refused; give the width to usearch search -expansion")
	fs.IntVar(&o.threads, "threads", runtime.NumCPU(), "goroutines adding vectors")
	fs.IntVar(&o.shards, "shards", 1, "split the rows into N index files of about equal size")
	fs.IntVar(&o.dims, "dims", 0, "dimensions of a raw little-endian file (any other extension)")
	fs.StringVar(&o.dtype, "dtype", "f32", "element type of a raw file: f32, f64, f16, i8, u8")
	fs.BoolVar(&o.multi, "multi", false, "allow several vectors per key")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress output")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	switch {
	case o.input == "":
		return usageErrorf(fs, "-i VECTORS is required")
	case o.output == "":
		return usageErrorf(fs, "-o INDEX is required")
	case o.shards < 1:
		return usageErrorf(fs, "-shards %d: want at least 1", o.shards)
	case o.threads < 1:
		return usageErrorf(fs, "-threads %d: want at least 1", o.threads)
	case o.dims < 0:
		return usageErrorf(fs, "-dims %d: want a positive count", o.dims)
	case o.expansionSearch != 0:
		return usageErrorf(fs, "-expansion-search %d: index files do not store a search width (the upstream format has no field for it); pass -expansion %d to usearch search instead", o.expansionSearch, o.expansionSearch)
	case o.output == "-" && o.shards > 1:
		return usageErrorf(fs, "-o - (stdout) holds one index; -shards %d writes several files", o.shards)
	}
	metric, err := parseMetric(o.metric, false)
	if err != nil {
		return usageErrorf(fs, "%v", err)
	}
	rawKind, err := parseKind(o.dtype)
	if err != nil {
		return usageErrorf(fs, "-dtype: %v", err)
	}

	// The outputs are opened first: a wrong -o (a directory, a missing folder, no right to
	// write there) fails at once, not after reading and indexing everything. Each shard goes
	// to a temporary file beside its destination, and all are renamed over their
	// destinations only at the end (internal/atomicfile/atomicfile.go): a failure leaves no
	// new file behind, and an older index at -o stays as it was. Devices and FIFOs are
	// written as each shard completes.
	paths := shardPaths(o.output, o.shards)
	outs := make([]io.Writer, len(paths))
	var dests []*atomicfile.File
	defer func() {
		for _, d := range dests {
			d.Abort() // after Commit it does nothing
		}
	}()
	summary := stdout
	if o.output == "-" {
		outs[0], summary = stdout, stderr // the image fills stdout; the summary line moves aside
	} else {
		for s, path := range paths {
			d, err := atomicfile.Create(path)
			if err != nil {
				return err
			}
			dests = append(dests, d)
			outs[s] = d
		}
	}

	start := time.Now()
	m, err := readVectors(o.input, o.dims, rawKind)
	if err != nil {
		return err
	}
	quant, err := defaultQuantization(o.quantization, m.kind)
	if err != nil {
		return usageErrorf(fs, "%v", err)
	}
	var keys []uint64
	if o.keys != "" {
		ids, err := readIDs(o.keys, 1, false)
		if err != nil {
			return err
		}
		if len(ids) != m.rows {
			return fmt.Errorf("%s: %d keys for %d rows in %s", o.keys, len(ids), m.rows, o.input)
		}
		keys = make([]uint64, len(ids))
		for i, r := range ids {
			if len(r) != 1 {
				return fmt.Errorf("%s: %d columns; want one key per row", o.keys, len(r))
			}
			keys[i] = r[0]
		}
	}
	if o.shards > m.rows {
		return fmt.Errorf("-shards %d: %s has only %d rows", o.shards, o.input, m.rows)
	}
	dims := uint(m.dims)
	if quant == usearch.B1 && m.kind == kU8 {
		dims *= 8 // packed bits: each byte holds 8 dimensions
	}
	conf := usearch.IndexConfig{
		Quantization: quant, Metric: metric, Dimensions: dims, Multi: o.multi,
		Connectivity: o.connectivity, ExpansionAdd: o.expansionAdd,
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "read %s: %d rows × %d dimensions of %s in %s\n", o.input, m.rows, m.dims, m.kind, time.Since(start).Round(time.Millisecond))
	}

	ctx, stop := interruptContext()
	defer stop()
	p := newProgress(stderr, o.quiet, "build", m.rows)
	sizes := make([]int64, o.shards)
	for s := range o.shards {
		lo, hi := s*m.rows/o.shards, (s+1)*m.rows/o.shards
		sizes[s], err = buildShard(ctx, conf, m, keys, lo, hi, o.threads, p, lo, outs[s])
		if err != nil {
			p.Finish()
			if ctx.Err() != nil {
				if o.output == "-" {
					return fmt.Errorf("%w: nothing was written to standard output", errInterrupted)
				}
				return fmt.Errorf("%w: nothing was written to %s", errInterrupted, o.output)
			}
			return err
		}
	}
	p.Finish()
	for _, d := range dests {
		if err := d.Commit(); err != nil {
			return err
		}
	}
	for s, path := range paths {
		lo, hi := s*m.rows/o.shards, (s+1)*m.rows/o.shards
		fmt.Fprintf(summary, "%s\t%d vectors\t%d bytes\n", path, hi-lo, sizes[s])
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "built %d vectors (%s, %s, %d dimensions) into %d file(s) in %s\n",
			m.rows, metric, strings.ToLower(quant.String()), m.dims, len(paths), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// shardPaths names n output files: the path itself for one, and the shard number before
// the extension for several (out.usearch → out.0.usearch, out.1.usearch, ...).
func shardPaths(path string, n int) []string {
	if n == 1 {
		return []string{path}
	}
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s.%d%s", stem, i, ext)
	}
	return out
}

// defaultQuantization picks the storage kind: the flag, else the input's own kind for
// f16, i8 and u8 (no conversion, no extra memory), else f32.
func defaultQuantization(flagValue string, k kind) (usearch.Quantization, error) {
	if flagValue != "" {
		return parseQuantization(flagValue, true)
	}
	switch k {
	case kF16:
		return usearch.F16, nil
	case kI8:
		return usearch.I8, nil
	case kU8:
		return usearch.U8, nil
	}
	return usearch.F32, nil
}
