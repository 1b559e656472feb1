// Command usearch builds, searches, inspects and benchmarks USearch index files from the
// vector files you already have.
//
//	usearch info   [-json] FILE|DIR...
//	usearch build  -i VECTORS [-keys KEYS] -o INDEX [-metric cos] [-quantization f32] [-shards N] ...
//	usearch search -index INDEX [-index INDEX2 ...] -q QUERIES [-k 10] [-gt TRUTH] [-format tsv|jsonl|npy] [-out FILE]
//	usearch bench  [-n 100000 -d 96] [-dataset fashion-mnist] [-sweep 16,32,64,128] [-plot recall.png]
//
// Vectors are read from .npy (float32, float64, float16, int8, uint8; C order), .fvecs,
// .bvecs, .ivecs, the big-ann-benchmarks .fbin/.u8bin/.i8bin/.ibin layout, or raw
// little-endian rows with -dims. Index files are in the upstream USearch format, so files
// written by any USearch binding work here and the other way around.
//
// Errors print one line on stderr naming the file and the problem and exit with status 1;
// bad flags print the usage and exit with status 2. Long work shows a progress bar on a
// terminal and a plain line every few seconds otherwise (-quiet silences both).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// command is one subcommand: its one-line summary and its body.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"info", "describe index files (configuration, size, levels, edges, memory) and durable index directories", runInfo},
	{"build", "build an index (or N shards) from a vector file", runBuild},
	{"search", "search one or several index files with a query file; recall with -gt", runSearch},
	{"bench", "build and search synthetic or Fashion-MNIST data; expansion sweep and plot", runBench},
}

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
			return run([]string{args[1], "-h"}, stdout, stderr)
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

func usage(w io.Writer) {
	fmt.Fprintf(w, "usearch %s: vector search index files from the command line\n\nusage: usearch <command> [flags]\n\ncommands:\n", version())
	for _, c := range commands {
		fmt.Fprintf(w, "  %-7s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun \"usearch <command> -h\" for a command's flags.\nVector files: %s.\n", formats)
}

// newFlags returns a flag set that prints the command's usage to stderr on a mistake.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: usearch %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
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
