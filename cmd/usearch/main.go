// Command usearch builds, searches, inspects and benchmarks USearch index files from the
// vector files you already have.
//
//	usearch info   [-json] FILE|DIR...
//	usearch build  -i VECTORS [-keys KEYS] -o INDEX [-metric cos] [-quantization f32] [-shards N] ...
//	usearch search -index INDEX [-index INDEX2 ...] -q QUERIES [-k 10] [-gt TRUTH] [-format tsv|jsonl|npy] [-out FILE]
//	usearch bench  [-n 100000 -d 96] [-dataset fashion-mnist] [-sweep 16,32,64,128] [-plot recall.png]
//	usearch help   COMMAND
//
// Vectors are read from .npy (float32, float64, float16, int8, uint8; C order), .fvecs,
// .bvecs, .ivecs, the big-ann-benchmarks .fbin/.u8bin/.i8bin/.ibin layout, IDX (MNIST's
// train-images-idx3-ubyte), any of them gzipped, or raw little-endian rows with -dims. Index
// files are in the upstream USearch format, so files written by any USearch binding work
// here and the other way around. -plot needs a build with -tags plot (plot.go).
//
// Errors print one line on stderr naming the file and the problem and exit with status 1;
// bad flags print the usage and exit with status 2. Long work shows a progress bar on a
// terminal and a plain line every 5 s otherwise (-quiet silences both). "usearch help
// COMMAND" describes a command's output, exit status and an example.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// command is one subcommand: its one-line summary, what `usearch help NAME` adds after the
// flags (output, standard error, exit status, an example), and its body.
type command struct {
	name, summary, details string
	run                    func(args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"info", "describe index files (configuration, size, levels, edges, memory) and durable index directories", infoDetails, runInfo},
	{"build", "build an index (or N shards) from a vector file", buildDetails, runBuild},
	{"search", "search one or several index files with a query file; recall with -gt", searchDetails, runSearch},
	{"bench", "build and search synthetic or Fashion-MNIST data; expansion sweep and plot", benchDetails, runBench},
}

// exitText is the exit-status paragraph every command shares.
const exitText = `Exit status: 0 on success (and for -h); 1 when the work fails, with one line on standard
error naming the file and what is wrong with it ("usearch build: v.fbin: header declares ...");
2 for a mistake in the flags, with the usage. Ctrl-C stops build and search with one line,
"interrupted: nothing was written to ..." and status 1, leaving nothing half-written at an
output path; it ends info and bench at once, as it does any program.`

const infoDetails = `Output (standard output): per index file, its size, configuration (metric, storage,
dimensions, connectivity), live and removed vectors, graph nodes and edges per level, and
the memory the index takes (memory-mapped unless -load). Expansion widths are not in index
files, so info shows the defaults a search starts with. With -json, one JSON object per
file with the same fields. A durable index directory (docs/durability.md) is described by
its snapshot and log. Nothing is printed on standard error unless something fails.

` + exitText + `

Example:
  $ usearch info data/index.usearch
  data/index.usearch
    file:          25.39 MiB (26624308 bytes)
    configuration: cos, f32, 96 dimensions, connectivity 16
    ...`

const buildDetails = `Output: one line per index file written, on standard output (on standard error with -o -,
where the index image fills standard output):
  PATH<TAB>VECTORS vectors<TAB>BYTES bytes
Standard error (unless -quiet): what was read, progress while adding (a bar on a terminal,
else a line every 5 s and a final count and rate), and a summary line.

` + exitText + ` A failed or interrupted build leaves nothing at -o: the
shards are written aside and renamed over their paths together at the end.

Example (the worked example of docs/command.md; any vector file works the same way, e.g.
Fashion-MNIST's train-images-idx3-ubyte.gz):
  $ usearch build -i data/vectors.npy -o data/index.usearch
  read data/vectors.npy: 50000 rows × 96 dimensions of f32 in 25ms
  build: 25500/50000 rows (51%), 5093 rows/s, ETA 4s
  build: 50000 rows in 12.423s (4025 rows/s)
  data/index.usearch	50000 vectors	26624308 bytes
  built 50000 vectors (cos, f32, 96 dimensions) into 1 file(s) in 12.448s`

const searchDetails = `Output: the k nearest keys of every query, nearest first, on standard output or -out FILE:
  tsv    a header line, then "query<TAB>rank<TAB>key<TAB>distance" per neighbor (query and
         rank count from 0; a query with fewer than k results has fewer lines)
  jsonl  {"query":0,"keys":[...],"distances":[...]} per query
  npy    keys as uint64 (queries × k) to -out and distances as float32 to
         NAME.distances.npy; missing results are 2^64-1 and +Inf
With -gt, the line "recall@K<TAB>FRACTION" (the mean over queries of how many of the first k
true neighbors were found) follows on standard error, or on standard output with -out (so
each stream stays parseable). Standard error (unless -quiet) also has the load time,
progress and the rate in queries per second. -expansion sets the search beam width for
this run: index files do not store one, so 0 means the default 64 (at least k is used).

` + exitText + `

Example (docs/command.md):
  $ usearch search -index data/index.usearch -q data/queries.npy -gt data/truth.npy -out data/results.tsv
  loaded 1 file(s), 50000 vectors, in 56ms
  search: 1000 rows in 324ms (3083 rows/s)
  1000 queries in 398ms: 2510 QPS with 2 goroutines
  recall@10	0.9893
  $ head -2 data/results.tsv
  query	rank	key	distance
  0	0	30202	0.06530537`

const benchDetails = `Output (standard output): the configuration lines (implementation, data, index, threads) and a
table per index configuration: phase, threads, operations, seconds, rate (vec/s or QPS),
recall@k, CPU seconds per wall second, and a note. Phases: build (all goroutines calling
Add), search loop (one goroutine), search batch (all goroutines), and one "sweep ef=N" row
per -sweep width. Standard error (unless -quiet): a line before the brute-force ground
truth, build progress (a bar on a terminal, else a line every 5 s), and a line before each
configuration's search phases. -plot needs a
usearch built with -tags plot (it brings in gonum/plot).

` + exitText + `

Example:
  $ usearch bench -n 20000 -d 64 -q 200 -sweep 16,64
  usearch bench: impl=go (...)
  data:    clustered n=20000 d=64 clusters=20 seed=42 queries=200 k=10 (...)
  phase         threads      ops  seconds       rate unit  recall@10 cpu/wall  note
  build               2    20000    ...`

// errUsage marks a command-line mistake: the command already printed its usage and the
// exit status is 2.
var errUsage = errors.New("usage")

// run is main without the process: the arguments after the program name, and the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return help(args[1], stdout, stderr)
		}
		usage(stdout)
		return 0
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "usearch", version())
		return 0
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		switch {
		case err == nil || errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "usearch %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "usearch: unknown command %q\n", name)
	usage(stderr)
	return 2
}

// help prints a command's synopsis and flags, then its output, standard error, exit
// statuses and an example, all on stdout.
func help(name string, stdout, stderr io.Writer) int {
	for _, c := range commands {
		if c.name == name {
			_ = c.run([]string{"-h"}, stdout, stdout) // prints the usage and flags, returns flag.ErrHelp
			fmt.Fprintf(stdout, "\n%s\n", c.details)
			return 0
		}
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	fmt.Fprintf(stderr, "usearch help: unknown command %q; the commands are %s\n", name, strings.Join(names, ", "))
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usearch %s: vector search index files from the command line\n\nusage: usearch <command> [flags]\n\ncommands:\n", version())
	for _, c := range commands {
		fmt.Fprintf(w, "  %-7s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun \"usearch help <command>\" for a command's flags, output, exit status and an example.\nVector files: %s.\n", formats)
}

// newFlags returns a flag set that prints the command's usage to stderr on a mistake.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: usearch %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\n\"usearch help %s\" describes the output, the exit status and gives an example.\n", name)
	}
	return fs
}

// parseFlags parses args and turns flag mistakes into errUsage (status 2); -h is
// flag.ErrHelp (status 0). Positional arguments are allowed only when positional is true.
func parseFlags(fs *flag.FlagSet, args []string, positional bool) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if !positional && fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	return nil
}

// usageErrorf reports a missing or conflicting flag: message, usage, status 2.
func usageErrorf(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "usearch %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage
}

// stringList is a repeatable flag (-index a -index b).
type stringList []string

func (s *stringList) String() string     { return fmt.Sprint(*s) }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
