// Command harness is the Go side of the benchmark harness in bench/ (see bench/README.md and
// bench/run.sh, which drives it): it writes the data sets every engine reads, runs this
// library's graph and exact searches on them, and turns every driver's results into the
// table, the CSV/JSON of all points and the recall-vs-QPS plots.
//
//	harness prepare -dir DIR -set NAME [-n N] [-q Q] [-k 10] [-seed 42]
//	harness ours    -dir DIR -variant f32|f16|u8 -threads T -efs 16,32,... -out FILE.jsonl [...]
//	harness exact   -dir DIR -variant f32|u8 -threads T -out FILE.jsonl
//	harness report  -out OUTDIR [-ef 64] [-min-recall R]
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "prepare":
		fs := flag.NewFlagSet("prepare", flag.ExitOnError)
		dir := fs.String("dir", "", "folder to write the data set to")
		set := fs.String("set", "", "fashion, syn100k or syn1m")
		n := fs.Int("n", 0, "base rows (0: the set's own size)")
		q := fs.Int("q", 0, "queries (0: the set's default)")
		k := fs.Int("k", 10, "neighbours in the ground truth")
		seed := fs.Int64("seed", 42, "seed of the synthetic sets")
		fs.Parse(os.Args[2:])
		if *dir == "" || *set == "" {
			fail(fmt.Errorf("prepare needs -dir and -set"))
		}
		err = prepare(*dir, *set, *n, *q, *k, *seed)
	case "ours", "exact":
		fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
		var p runParams
		var efs string
		fs.StringVar(&p.dir, "dir", "", "data set folder (written by prepare)")
		fs.StringVar(&p.variant, "variant", "f32", "storage: f32, f16 or u8")
		fs.StringVar(&p.out, "out", "", "results file to append JSON lines to")
		fs.StringVar(&p.idsDir, "ids", "", "folder for the result keys of each sweep point (for tie-aware recall)")
		fs.IntVar(&p.threads, "threads", 1, "goroutines for build and search")
		fs.IntVar(&p.repeat, "repeat", 1, "repetition number, recorded with the results")
		var m, efc uint
		fs.UintVar(&m, "M", 16, "connectivity")
		fs.UintVar(&efc, "ef-construction", 128, "expansion while adding")
		fs.StringVar(&efs, "efs", "16,32,48,64,96,128,256", "expansion values to sweep")
		fs.Float64Var(&p.minSeconds, "min-seconds", 1, "repeat passes over the queries for at least this long per point")
		fs.Parse(os.Args[2:])
		p.connectivity, p.expansionAdd = m, efc
		if p.dir == "" || p.out == "" || p.threads < 1 {
			fail(fmt.Errorf("%s needs -dir, -out and -threads >= 1", os.Args[1]))
		}
		if p.efs, err = parseInts(efs); err != nil {
			fail(err)
		}
		if os.Args[1] == "ours" {
			err = runOurs(p)
		} else {
			err = runExact(p)
		}
	case "report":
		fs := flag.NewFlagSet("report", flag.ExitOnError)
		out := fs.String("out", "bench/out", "output folder of bench/run.sh (results/, data/)")
		refEF := fs.Int("ef", 64, "expansion of the table's QPS column")
		minRecall := fs.Float64("min-recall", 0, "fail when a curve's best recall is below this (a smoke check that every engine really searched)")
		fs.Parse(os.Args[2:])
		err = report(*out, *refEF, *minRecall)
	default:
		usage()
	}
	if err != nil {
		fail(err)
	}
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("bad list value %q in %q: want positive integers", f, s)
		}
		out = append(out, v)
	}
	return out, nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: harness prepare|ours|exact|report [flags]  (see bench/README.md)")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "harness:", err)
	os.Exit(1)
}
