// Package csrc compiles the C++ core of github.com/usearch-go/usearch: lib.cpp, which
// includes every header in this folder, as one translation unit. It has no Go API. The root
// package declares the C API (usearch.h, usearch_ext.h) in its cgo preamble and calls it;
// the linker resolves those calls to the objects compiled here.
//
// The core is a package of its own so that it is compiled once per build configuration:
// the root package's test binary (whose package is a test variant, recompiled with its
// internal tests) and every other binary that imports the library share this package's
// objects, where a core inside the root package was compiled twice for `go test ./...`.
// The CMake build (CMakeLists.txt) compiles the same lib.cpp into libusearch_c.
package csrc
