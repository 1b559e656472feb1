package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/dataset"
)

// The data files every driver reads (all little-endian, see bench/README.md):
//
//	*.fbin   u32 rows, u32 dims, rows*dims float32
//	*.u8bin  u32 rows, u32 dims, rows*dims uint8
//	*.ibin   u32 rows, u32 k,    rows*k    uint32 (row numbers = keys)
//
// This is the layout of the big-ann-benchmarks files, so other tools read them too.

// setMeta is meta.json in a data set folder.
type setMeta struct {
	Name     string `json:"name"`
	Metric   string `json:"metric"` // "l2sq" or "cos"
	N        int    `json:"n"`
	Dims     int    `json:"dims"`
	Queries  int    `json:"queries"`
	K        int    `json:"k"`
	Seed     int64  `json:"seed,omitempty"`
	Clusters int    `json:"clusters,omitempty"`
	HasU8    bool   `json:"has_u8"` // base.u8bin and queries.u8bin hold the exact pixels
	Source   string `json:"source"`
}

func (m setMeta) metric() usearch.Metric {
	if m.Metric == "cos" {
		return usearch.Cosine
	}
	return usearch.L2sq
}

func writeBin[T float32 | uint8 | uint32](path string, rows, dims int, v []T) error {
	if len(v) != rows*dims {
		return fmt.Errorf("writing %s: %d values for %d x %d", path, len(v), rows, dims)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = binary.Write(w, binary.LittleEndian, [2]uint32{uint32(rows), uint32(dims)})
	if err == nil {
		err = binary.Write(w, binary.LittleEndian, v)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

func readBin[T float32 | uint8 | uint32](path string) (v []T, rows, dims int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [2]uint32
	if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
		return nil, 0, 0, fmt.Errorf("%s: header: %w", path, err)
	}
	rows, dims = int(hdr[0]), int(hdr[1])
	v = make([]T, rows*dims)
	if err := binary.Read(r, binary.LittleEndian, v); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = fmt.Errorf("%s: shorter than %d x %d", path, rows, dims)
		}
		return nil, 0, 0, err
	}
	return v, rows, dims, nil
}

func readMeta(dir string) (setMeta, error) {
	var m setMeta
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(b, &m)
}

// prepare writes data set `name` into dir unless meta.json there already describes the
// same set (same n, queries, seed): data files and the brute-force ground truth are made
// once and reused by later runs.
func prepare(dir, name string, n, q, k int, seed int64) error {
	want := setMeta{Name: name, K: k, Seed: seed}
	switch name {
	case "fashion":
		want.Metric, want.Dims, want.HasU8 = "l2sq", 784, true
		want.Source = "Debian dataset-fashion-mnist: train images (base), t10k images (queries), pixels/255"
		if n <= 0 {
			n = 60000
		}
		if q <= 0 {
			q = 10000
		}
		want.Seed = 0
	case "syn100k", "syn1m":
		want.Metric, want.Dims = "cos", 96
		want.Clusters = 100
		def := 100000
		if name == "syn1m" {
			want.Clusters, def = 256, 1000000
		}
		if n <= 0 {
			n = def
		}
		if q <= 0 {
			q = 10000
			if name == "syn1m" {
				q = 1000
			}
		}
		want.Source = fmt.Sprintf("internal/dataset Clustered/Queries, %d clusters, seed %d", want.Clusters, seed)
	default:
		return fmt.Errorf("unknown data set %q (want fashion, syn100k or syn1m)", name)
	}
	want.N, want.Queries = n, q
	if have, err := readMeta(dir); err == nil && have == want {
		fmt.Printf("prepare %s: reusing %s\n", name, dir)
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	os.Remove(filepath.Join(dir, "meta.json"))
	var base, queries []float32
	var baseU8, queriesU8 []uint8
	d := want.Dims
	if name == "fashion" {
		train := dataset.FashionMNISTPath()
		if train == "" {
			return fmt.Errorf("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist")
		}
		test := filepath.Join(filepath.Dir(train), "t10k-images-idx3-ubyte.gz")
		var rows, size int
		var err error
		if base, rows, size, err = dataset.ReadIDXImages(train); err != nil {
			return err
		}
		if size != d || rows < n {
			return fmt.Errorf("%s: %d images of %d pixels, want at least %d of %d", train, rows, size, n, d)
		}
		if queries, rows, size, err = dataset.ReadIDXImages(test); err != nil {
			return err
		}
		if size != d || rows < q {
			return fmt.Errorf("%s: %d images of %d pixels, want at least %d of %d", test, rows, size, q, d)
		}
		base, queries = base[:n*d], queries[:q*d]
		// The IDX files hold bytes; ReadIDXImages divides by 255, so rounding back is exact.
		toU8 := func(v []float32) []uint8 {
			out := make([]uint8, len(v))
			for i, x := range v {
				out[i] = uint8(math.Round(float64(x) * 255))
			}
			return out
		}
		baseU8, queriesU8 = toU8(base), toU8(queries)
	} else {
		base = dataset.Clustered(n, d, want.Clusters, seed)
		queries = dataset.Queries(q, d, want.Clusters, seed)
	}
	t0 := time.Now()
	keys, dists, err := usearch.ExactSearch(base, queries, uint(n), uint(q), 0, 0, uint(d), want.metric(), uint(k), uint(runtime.NumCPU()), 0, 0)
	if err != nil {
		return fmt.Errorf("ground truth: %w", err)
	}
	fmt.Printf("prepare %s: ground truth for %d queries over %d x %d in %.1fs\n", name, q, n, d, time.Since(t0).Seconds())
	ids := make([]uint32, len(keys))
	for i, key := range keys {
		ids[i] = uint32(key)
	}
	files := []func() error{
		func() error { return writeBin(filepath.Join(dir, "base.fbin"), n, d, base) },
		func() error { return writeBin(filepath.Join(dir, "queries.fbin"), q, d, queries) },
		func() error { return writeBin(filepath.Join(dir, "gt.ibin"), q, k, ids) },
		func() error { return writeBin(filepath.Join(dir, "gt_dist.fbin"), q, k, dists) },
	}
	if want.HasU8 {
		files = append(files,
			func() error { return writeBin(filepath.Join(dir, "base.u8bin"), n, d, baseU8) },
			func() error { return writeBin(filepath.Join(dir, "queries.u8bin"), q, d, queriesU8) })
	}
	for _, f := range files {
		if err := f(); err != nil {
			return err
		}
	}
	b, _ := json.MarshalIndent(want, "", "  ")
	return os.WriteFile(filepath.Join(dir, "meta.json"), append(b, '\n'), 0o644)
}
