package usearch_test

// How the tests are organised.
//
// Package rule: a test file uses package usearch_test, and so only the API a user sees,
// unless it needs something unexported (core calls such as coreCast, kernel variants per
// instruction set, reference decoders checked against internals); then it uses package
// usearch.
//
// File map: the tests of x.go are in x_test.go; the white-box tests across the whole package
// (concurrency, reachability) and the examples have their own files here; the black-box
// suites across the whole API (model, recall, upstream compatibility, fuzzing, non-finite
// files, reserved memory) are the package tests/ (its doc.go), and the benchmarks live in
// bench/gobench. docs/layout.md lists every file and what it holds.
//
// Shared helpers: black-box helpers used by more than one test live in this file, or in
// internal/testutil when the suites in tests/ use them too; the white-box ones (reference
// implementations of every scalar kind and metric) live in reference_test.go. Their names
// say what they do, not which test first needed them.
//
// Test sizes: every test must pass with -short, which the race run (`./build.sh test`) and
// the arm64 runs under qemu (`./build.sh cross`) use; tests that take long scale their data
// down under testing.Short(). A test is in those runs by existing, not by its name.

import (
	"math/rand"
	"testing"

	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/testutil"
)

// buildIndex returns an index of conf holding n vectors uniform in [-1, 1) under keys 0..n-1,
// and the vectors.
func buildIndex(t testing.TB, conf usearch.IndexConfig, n int, seed int64) (*usearch.Index, [][]float32) {
	t.Helper()
	idx, err := usearch.NewIndex(conf)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(seed))
	vecs := make([][]float32, n)
	for i := range vecs {
		v := make([]float32, conf.Dimensions)
		for j := range v {
			v[j] = r.Float32()*2 - 1
		}
		vecs[i] = v
		if err := idx.Add(usearch.Key(i), v); err != nil {
			t.Fatal(err)
		}
	}
	return idx, vecs
}

// The helpers the suites in tests/ use too live once, in internal/testutil; these names
// keep the calls short.
var (
	must      = testutil.Must
	imageOf   = testutil.ImageOf
	equalKeys = testutil.EqualKeys
)

// abs is |x|.
func abs(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
