package usearch_test

import (
	"math/rand"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/usearch-go/usearch"
)

// TestAllowListAfterWalkReturnsEachKeyOnce covers a search whose allow-list is too large to
// scan directly, so it walks the graph first, then falls back to scanning the allowed keys
// because almost none of them lie near the query. The keys the walk had already accepted
// must not be offered a second time by the scan.
func TestAllowListAfterWalkReturnsEachKeyOnce(t *testing.T) {
	const n, dims, near, k = 20000, 4, 5, 20
	for seed := int64(1); seed <= 3; seed++ {
		rng := rand.New(rand.NewSource(seed))
		conf := usearch.DefaultConfig(dims)
		conf.Metric = usearch.L2sq
		idx, err := usearch.NewIndex(conf)
		require.NoError(t, err)
		vecs := make([][]float32, n)
		for i := range vecs {
			vecs[i] = make([]float32, dims)
			for j := range vecs[i] {
				vecs[i][j] = rng.Float32()
			}
			require.NoError(t, idx.Add(usearch.Key(i), vecs[i]))
		}
		query := vecs[rng.Intn(n)]
		// Rank every key by its distance to the query; allow the `near` closest ones and
		// the farthest 5,000 (more than the direct-scan limit of max(4096, n/16)).
		order := make([]int, n)
		dist := make([]float64, n)
		for i := range order {
			order[i] = i
			for j := 0; j < dims; j++ {
				d := float64(vecs[i][j] - query[j])
				dist[i] += d * d
			}
		}
		sort.Slice(order, func(a, b int) bool { return dist[order[a]] < dist[order[b]] })
		var allowed []usearch.Key
		for _, i := range order[:near] {
			allowed = append(allowed, usearch.Key(i))
		}
		for _, i := range order[n-5000:] {
			allowed = append(allowed, usearch.Key(i))
		}
		keys, _, _, err := idx.SearchWith(query, k, usearch.AllowKeys(allowed))
		require.NoError(t, err)
		require.Len(t, keys, k, "seed %d", seed)
		seen := map[usearch.Key]bool{}
		for _, key := range keys {
			require.Falsef(t, seen[key], "seed %d: key %d returned twice in %v", seed, key, keys)
			seen[key] = true
		}
		for _, i := range order[:near] {
			require.Truef(t, seen[usearch.Key(i)], "seed %d: near key %d missing from %v", seed, i, keys)
		}
		require.NoError(t, idx.Close())
	}
}
