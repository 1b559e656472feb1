// Command mkindex writes the index files that bench/persist_compare.sh times with Go
// (BenchmarkSave/Load/View) and with npm usearch (bench/persist_bench.js):
//
//	go run ./bench/internal/mkindex [-out DIR] [-rebuild] [-threads N]
//
// It writes, into DIR (default bench/out/persist):
//
//	go_100k.usearch     100000 x 96 synthetic clustered vectors (internal/dataset, seed 42,
//	                    100 clusters), cosine, f32, keys = row numbers
//	go_fmnist.usearch   the 60000 Fashion-MNIST training images as 784 floats in [0, 1],
//	                    l2sq, f32; only when Debian's dataset-fashion-mnist is installed
//	                    (or $USEARCH_FASHION_MNIST names the IDX file)
//	*.probes.f32        a few rows of each set as raw little-endian float32, for a search
//	                    check on the loaded index
//	meta.json           what each file holds (see the meta type)
//
// The parameters are those of bench/gobench/persist_bench_test.go, which reuses these files
// when $USEARCH_BENCH_INDEX_DIR points at DIR. An existing file whose header and vector count
// match is kept unless -rebuild is given.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

// meta is meta.json.
type meta struct {
	Creator string      `json:"creator"`
	Core    string      `json:"core"` // upstream format version
	Indexes []indexMeta `json:"indexes"`
}

type indexMeta struct {
	Name         string   `json:"name"` // the Go sub-benchmark name
	File         string   `json:"file"`
	N            int      `json:"n"`
	Dimensions   uint     `json:"dimensions"`
	Metric       string   `json:"metric"`       // npm usearch MetricKind: "cos", "l2sq"
	Quantization string   `json:"quantization"` // npm usearch ScalarKind: "f32"
	Bytes        int64    `json:"bytes"`
	Probes       string   `json:"probes"`     // len(ProbeKeys) rows of float32
	ProbeKeys    []uint64 `json:"probe_keys"` // each probe's key
	Source       string   `json:"source"`
}

// corpus is one index to write.
type corpus struct {
	name, file, source string
	conf               usearch.IndexConfig
	rows               int
	vectors            func() ([]float32, error)
}

func main() {
	out := flag.String("out", "bench/out/persist", "directory to write the index files and meta.json to")
	rebuild := flag.Bool("rebuild", false, "rebuild indexes even if valid files exist")
	threads := flag.Int("threads", runtime.NumCPU(), "goroutines adding vectors")
	flag.Parse()
	if flag.NArg() > 0 || *threads < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *rebuild, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "mkindex:", err)
		os.Exit(1)
	}
}

func run(out string, rebuild bool, threads int) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	corpora := []corpus{{
		name: "n=100000,d=96", file: "go_100k.usearch", rows: 100000,
		source: "internal/dataset.Clustered(100000, 96, 100, 42)",
		conf:   usearch.IndexConfig{Dimensions: 96, Metric: usearch.Cosine, Quantization: usearch.F32},
		vectors: func() ([]float32, error) {
			return dataset.Clustered(100000, 96, 100, 42), nil
		},
	}}
	if path := dataset.FashionMNISTPath(); path != "" {
		corpora = append(corpora, corpus{
			name: "fashion-mnist", file: "go_fmnist.usearch", rows: 60000, source: path,
			conf: usearch.IndexConfig{Dimensions: 784, Metric: usearch.L2sq, Quantization: usearch.F32},
			vectors: func() ([]float32, error) {
				data, n, d, err := dataset.ReadIDXImages(path)
				if err == nil && (n != 60000 || d != 784) {
					err = fmt.Errorf("%s: %d images of %d pixels, want 60000 of 784", path, n, d)
				}
				return data, err
			},
		})
	} else {
		fmt.Println("mkindex: Fashion-MNIST not found (apt-get install dataset-fashion-mnist); writing the synthetic index only")
		os.Remove(filepath.Join(out, "go_fmnist.usearch"))
	}

	m := meta{Creator: "bench/internal/mkindex", Core: usearch.Version()}
	for _, c := range corpora {
		im, err := write(out, c, rebuild, threads)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		m.Indexes = append(m.Indexes, im)
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "meta.json"), append(js, '\n'), 0o644)
}

func write(out string, c corpus, rebuild bool, threads int) (indexMeta, error) {
	path := filepath.Join(out, c.file)
	data, err := c.vectors()
	if err != nil {
		return indexMeta{}, err
	}
	dims := int(c.conf.Dimensions)
	if !rebuild && dataset.IndexFileMatches(path, c.conf, c.rows) {
		fmt.Printf("mkindex: %s: keeping %s\n", c.name, path)
	} else {
		fmt.Printf("mkindex: %s: building %d x %d %v with %d goroutines ...\n", c.name, c.rows, dims, c.conf.Metric, threads)
		start := time.Now()
		if err := dataset.BuildIndexFile(path, c.conf, data, c.rows, threads); err != nil {
			return indexMeta{}, err
		}
		fmt.Printf("mkindex: %s: built and saved %s in %.1fs\n", c.name, path, time.Since(start).Seconds())
	}
	st, err := os.Stat(path)
	if err != nil {
		return indexMeta{}, err
	}

	// Probes: a few rows spread over the set; each must find itself.
	probeKeys := []uint64{0, uint64(c.rows / 7), uint64(c.rows / 3), uint64(c.rows / 2), uint64(c.rows - 1)}
	probes := make([]float32, 0, len(probeKeys)*dims)
	for _, k := range probeKeys {
		probes = append(probes, data[int(k)*dims:(int(k)+1)*dims]...)
	}
	probeFile := strings.TrimSuffix(c.file, ".usearch") + ".probes.f32"
	if err := dataset.WriteFloat32s(filepath.Join(out, probeFile), probes); err != nil {
		return indexMeta{}, err
	}
	return indexMeta{
		Name: c.name, File: c.file, N: c.rows, Dimensions: c.conf.Dimensions,
		Metric: c.conf.Metric.String(), Quantization: strings.ToLower(c.conf.Quantization.String()),
		Bytes: st.Size(), Probes: probeFile, ProbeKeys: probeKeys, Source: c.source,
	}, nil
}
