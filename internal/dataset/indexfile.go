package dataset

import (
	"os"
	"path/filepath"

	"github.com/usearch-go/usearch"
)

// IndexFileMatches tells whether path holds an index with conf's dimensions, metric and
// scalar kind in its header and exactly rows vectors, so that a cached file can be reused.
func IndexFileMatches(path string, conf usearch.IndexConfig, rows int) bool {
	m, err := usearch.Metadata(path)
	if err != nil || m.Dimensions != conf.Dimensions || m.Metric != conf.Metric || m.Quantization != conf.Quantization {
		return false
	}
	idx, err := usearch.NewIndex(conf)
	if err != nil {
		return false
	}
	defer idx.Close()
	if idx.View(path) != nil {
		return false
	}
	n, err := idx.Len()
	return err == nil && n == uint(rows)
}

// BuildIndexFile adds the first rows vectors of data under their row numbers from
// `threads` goroutines and saves the index to path, creating its folder. Save writes
// atomically, so a crash never leaves a half-written file.
func BuildIndexFile(path string, conf usearch.IndexConfig, data []float32, rows, threads int) error {
	idx, err := usearch.NewIndex(conf)
	if err != nil {
		return err
	}
	defer idx.Close()
	if err := idx.Reserve(uint(rows)); err != nil {
		return err
	}
	dims := int(conf.Dimensions)
	if err := AddParallel(threads, rows, func(i int) error {
		return idx.Add(usearch.Key(i), data[i*dims:(i+1)*dims])
	}); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return idx.Save(path)
}
