//go:build cgo

package csrc

// The files the go command hashes for this package are the ones in this folder, so an edit
// to any header here rebuilds the core. cgo compiles every .cpp file of a package's folder,
// each as its own action (in parallel): lib.cpp and kernels.cpp, which include the headers.

/*
#cgo CXXFLAGS: -std=c++17 -O3
*/
import "C"
