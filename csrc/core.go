//go:build cgo

package csrc

// The files the go command hashes for this package are the ones in this folder, so an edit
// to any header here rebuilds the core. lib.cpp is the only C++ file: cgo compiles every
// .cpp file in a package's folder, and the headers are included from it.

/*
#cgo CXXFLAGS: -std=c++17 -O3
*/
import "C"
