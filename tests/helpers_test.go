package tests

import (
	"math"

	"github.com/usearch-go/usearch/internal/testutil"
)

// The helpers the root package's tests use too live once, in internal/testutil; these names
// keep the calls short.
var (
	must      = testutil.Must
	imageOf   = testutil.ImageOf
	equalKeys = testutil.EqualKeys
)

// tied tells whether rank j's distance is shared with another rank, or is the last one
// (where keys beyond the list may share it).
func tied(dists []float64, j int, tol float64) bool {
	for m := range dists {
		if m != j && math.Abs(dists[m]-dists[j]) <= tol {
			return true
		}
	}
	return j == len(dists)-1
}
