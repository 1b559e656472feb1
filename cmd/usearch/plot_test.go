//go:build plot

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestBenchPlot draws the sweep plot, in a build with -tags plot (go test -tags plot).
func TestBenchPlot(t *testing.T) {
	png := filepath.Join(t.TempDir(), "sweep.png")
	mustCLI(t, "bench", "-quiet", "-n", "1500", "-q", "50", "-d", "16", "-min-search-time", "1ms", "-connectivity", "8,16", "-plot", png)
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("plot: %v, not a PNG", err)
	}
}
