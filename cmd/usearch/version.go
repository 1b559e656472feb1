package main

import (
	"runtime/debug"

	"github.com/usearch-go/usearch"
)

// version is the command's module version (from the build information of `go install
// ...@version`; "(devel)" in a checkout) and the upstream format it speaks.
func version() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return v + ", USearch " + usearch.Version() + " file format"
}
