// Package tests holds the black-box suites that run across the whole API of
// github.com/usearch-go/usearch rather than beside one source file; it has no code of its
// own, only tests:
//
//   - model_test.go: the model-checked API test (docs/testing.md);
//   - recall_test.go: recall and exact results against brute force on clustered data and
//     Fashion-MNIST;
//   - upstream_test.go: upstream USearch 2.26.2 compatibility: the files it wrote
//     (testdata/upstream-2.26.2) and interop with npm usearch (interop/roundtrip.js, run
//     with node on ../bench/node_modules);
//   - fuzz_test.go: Go fuzz targets for the loaders (their corpora, when fuzzing finds
//     something, go to testdata/fuzz/<FuzzName>/) and regression tests for what fuzzing found;
//   - nonfinite_test.go: files holding NaN or infinities: Load refuses them, a view ranks
//     them last (csrc/nonfinite.hpp);
//   - reserve_memory_test.go, resident_other_test.go, resident_windows_test.go: reserving
//     capacity costs no resident memory until used; the resident-size reader per platform.
//
// Tests read testdata/ and interop/ by paths relative to this directory, where `go test`
// runs them; a test binary built with `go test -c ./tests` must be run from here too
// (build.sh does). The folders c/ and fuzz/ beside them are the C API tests and the
// libFuzzer harnesses (`./build.sh clib`, `./build.sh fuzz`), not Go.
package tests
