package usearch

import "fmt"

// UseCompactCodes makes searches walk the graph on compact codes of the stored vectors and
// re-rank the best candidates with the real vectors, so that a search reads a quarter of the
// bytes of f32 vectors per hop and still returns exact distances. bits is 8 (one byte per
// dimension, with per-dimension ranges learned from the data) or 0 to stop using codes.
//
// Codes are kept in memory beside the graph (about one byte per dimension and vector) and
// never written: Save writes the same bytes as without them, and Load, View, Clear and
// Compact rebuild them for the new content. They serve searches once the index holds 256
// vectors and are re-fitted to the data as it grows fourfold; vectors outside the learned
// ranges are clamped, which only lowers recall per expansion, never the exactness of the
// distances returned. Filtered searches walk the real vectors. Codes need the Cosine, L2sq
// or InnerProduct metric over F32, F64, F16 or BF16 storage (ErrUnsupported otherwise) and
// are dropped when a Go metric is installed. The call waits for calls in flight to return.
//
// A re-fit re-encodes every vector, in the call that triggers it: the Add that makes the
// index four times larger than at the last fit pays one pass over every vector, and Compact
// re-encodes the compacted copy while it swaps it in, when searches wait.
func (b *base) UseCompactCodes(bits uint) error {
	const op = "UseCompactCodes"
	b.mu.lock()
	defer b.mu.unlock()
	if b.h == nil {
		return closedError(op)
	}
	if bits != 0 && bits != 8 {
		return &opError{op: op, detail: fmt.Sprintf("bits is %d; want 8 (one byte per dimension) or 0 (off)", bits), kind: ErrInvalidConfig}
	}
	if st := coreUseCodes(b.h, int(bits)); !st.ok() {
		return statusError(op, st, "")
	}
	return nil
}

// CompactCodes reports the code width set by UseCompactCodes (0 when off) and whether the
// codes serve searches yet (they start once the index holds 256 vectors).
func (b *base) CompactCodes() (bits uint, serving bool, err error) {
	h, rt, err := b.read("CompactCodes")
	if err != nil {
		return 0, false, err
	}
	defer b.mu.runlock(rt)
	n, on := coreCodesState(h)
	return uint(n), on, nil
}
