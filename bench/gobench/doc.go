// Package gobench holds the black-box benchmarks of the usearch package and its soak test;
// it has no code of its own outside its _test.go files. Nothing here runs without -bench:
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/gobench   # every benchmark once
//	go test -run '^$' -bench '^BenchmarkAdd$' -benchtime 2000x ./bench/gobench
//
// Each file's header gives the command that produced its recorded numbers. The shared
// helpers are cputime_*_test.go (process and thread CPU clocks) and the datasets of
// internal/dataset. The soak (soak_test.go) is run by `./build.sh soak`.
package gobench
