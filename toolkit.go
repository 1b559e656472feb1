package usearch

import "unsafe"

// The whole-index toolkit (GO_API.md layer 3): exact search over the index's own content,
// emptying, listing, copying, statistics and compaction.

// searchExactVector scores every live vector of the index against query with the index's
// metric (a Go metric included) and returns the limit nearest, closest first. Batches call
// it once per query.
func searchExactVector[T Scalar](b *base, op string, query []T, limit uint) ([]Key, []float32, error) {
	h, err := b.read(op)
	if err != nil {
		return nil, nil, err
	}
	defer b.mu.RUnlock()
	q := quantizationOf[T]()
	if err := b.vectorLength(op, len(query), q); err != nil {
		return nil, nil, err
	}
	if n := b.live.Load(); n >= 0 && uint64(limit) > uint64(n) {
		limit = uint(n)
	}
	if limit == 0 {
		return []Key{}, []float32{}, nil
	}
	keys := make([]Key, limit)
	dists := make([]float32, limit)
	n, st := coreSearchExact(h, unsafe.Pointer(unsafe.SliceData(query)), q, limit, &keys[0], &dists[0])
	if !st.ok() {
		return nil, nil, b.callError(op, st, "")
	}
	return keys[:n], dists[:n], nil
}

// SearchExact returns the limit keys nearest to query by brute force over every vector in
// the index, with their distances, closest first: the ground truth Search approximates.
// It uses the index's metric, a Go metric included; removed vectors are never returned.
func (idx *Index) SearchExact(query []float32, limit uint) ([]Key, []float32, error) {
	return searchExactVector(&idx.base, "SearchExact", query, limit)
}

// SearchExact returns the limit keys nearest to query by brute force over every vector in
// the index; see Index.SearchExact.
func (idx *IndexOf[T]) SearchExact(query []T, limit uint) ([]Key, []float32, error) {
	return searchExactVector(&idx.base, "SearchExact", query, limit)
}
