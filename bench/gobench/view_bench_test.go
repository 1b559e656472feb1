//go:build cgo

package gobench

// What the non-finite guard of a view (csrc/nonfinite.hpp, metric_t::guard) costs a search:
// the same file (persist_bench_test.go's n=100000,d=96 corpus, built once and cached)
// searched loaded and viewed, 10 nearest neighbors of queries drawn around the data's
// clusters (internal/dataset.Queries):
//
//	go test -run '^$' -bench ViewSearch -count 10 ./bench/gobench | tee new.txt
//
// A view differs from a loaded index in more than the guard (its rows are the file's
// page-cache pages, a loaded index's are in huge pages), so the guard's cost is the change
// of "viewed" between this commit and the one before the guard, with this file copied there
// (it uses only the public API): benchstat old.txt new.txt. "loaded" must not change.

import (
	"testing"

	"github.com/usearch-go/usearch/internal/dataset"
)

func BenchmarkViewSearch(b *testing.B) {
	c := pbClustered
	queries := dataset.Queries(1000, pbDims, pbClusters, pbSeed)
	for _, mode := range []struct {
		name string
		view bool
	}{{"loaded", false}, {"viewed", true}} {
		b.Run(mode.name, func(b *testing.B) {
			idx := pbOpen(b, c, mode.view)
			pbCheck(b, c, idx)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := queries[(i%1000)*pbDims:][:pbDims]
				if keys, _, err := idx.Search(q, 10); err != nil || len(keys) != 10 {
					b.Fatalf("Search: %d keys, %v", len(keys), err)
				}
			}
		})
	}
}
