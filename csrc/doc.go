// Package csrc compiles the C++ core of github.com/usearch-go/usearch: lib.cpp (the C API
// and everything it includes) and kernels.cpp (the distance kernels for every metric, storage
// kind and instruction set, more than half of the compile time), two translation units that
// the go command compiles in parallel. It has no Go API. The root
// package declares the C API (usearch.h, usearch_ext.h) in its cgo preamble and calls it;
// the linker resolves those calls to the objects compiled here.
//
// The core is a package of its own so that it is compiled once per build configuration:
// the root package's test binary (whose package is a test variant, recompiled with its
// internal tests) and every other binary that imports the library share this package's
// objects, where a core inside the root package was compiled twice for `go test ./...`.
// The CMake build (CMakeLists.txt) compiles the same two files into libusearch_c.
package csrc
