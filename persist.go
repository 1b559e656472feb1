package usearch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/usearch-go/usearch/internal/atomicfile"
)

// Files written here use the upstream USearch 2.26.2 layout byte for byte, so indexes move
// freely between this package and the Python, JavaScript, Rust and C bindings.

// saveCursor tracks a streamed save between chunks.
type saveCursor struct{ offset, total, tapeSlot, tapeOffset uint64 }

const saveChunkBytes = 1 << 20

// exclusive locks the handle against every other call: for operations that need a stable
// snapshot (saving) or replace the content (loading, viewing).
func (b *base) exclusive(op string) (handle, error) {
	b.mu.lock()
	if b.h == nil {
		b.mu.unlock()
		return nil, closedError(op)
	}
	return b.h, nil
}

// SerializedLength returns the exact number of bytes Save, SaveBuffer and WriteTo produce.
func (b *base) SerializedLength() (uint, error) {
	h, err := b.exclusive("SerializedLength")
	if err != nil {
		return 0, err
	}
	defer b.mu.unlock()
	return coreSerializedLength(h), nil
}

// WriteTo streams the index in the upstream file format to w. Other calls on the index wait
// until it returns.
func (b *base) WriteTo(w io.Writer) (int64, error) {
	h, err := b.exclusive("WriteTo")
	if err != nil {
		return 0, err
	}
	defer b.mu.unlock()
	return writeImage(h, w)
}

func writeImage(h handle, w io.Writer) (int64, error) {
	var cursor saveCursor
	chunk := make([]byte, saveChunkBytes)
	var total int64
	for {
		n, st := coreSaveChunk(h, &cursor, chunk)
		if !st.ok() {
			return total, statusError("WriteTo", st, "")
		}
		if n == 0 {
			return total, nil
		}
		m, err := w.Write(chunk[:n])
		total += int64(m)
		if err != nil {
			return total, &opError{op: "WriteTo", detail: err.Error(), kind: err}
		}
	}
}

// Save writes the index to path the way the destination asks for (see
// internal/atomicfile/atomicfile.go): a regular file is replaced atomically — the image goes
// to a temporary file beside it, flushed to disk and renamed over it, so a crash leaves
// either the old file or the new one — and keeps its permission bits and, where the process
// may set them, its owner and group; a symbolic link is followed, so the link stays and its
// target is replaced; a character or block device, FIFO or Unix socket is written directly;
// a directory, or a path whose directory does not exist, is refused before anything is
// written. It also removes the temporary files that earlier saves to the same target left
// behind when their process was killed.
func (b *base) Save(path string) error {
	if b.durable != nil {
		if err := b.durable.checkSavePath(path); err != nil {
			return err
		}
	}
	h, err := b.exclusive("Save")
	if err != nil {
		return err
	}
	defer b.mu.unlock()
	f, err := atomicfile.Create(path)
	if err != nil {
		return &opError{op: "Save", detail: err.Error(), kind: err}
	}
	defer f.Abort()
	if _, err := writeImage(h, f); err != nil {
		var op *opError
		if errors.As(err, &op) {
			op.op = "Save"
			return op
		}
		return &opError{op: "Save", detail: err.Error(), kind: err}
	}
	if err := f.Commit(); err != nil {
		return &opError{op: "Save", detail: err.Error(), kind: err}
	}
	return nil
}

// SaveBuffer writes the index into buf[:buffer_size], which must hold SerializedLength
// bytes; bytes past the image are left untouched.
func (b *base) SaveBuffer(buf []byte, buffer_size uint) error {
	h, err := b.exclusive("SaveBuffer")
	if err != nil {
		return err
	}
	defer b.mu.unlock()
	if buffer_size > uint(len(buf)) {
		return &opError{op: "SaveBuffer", detail: fmt.Sprintf("buffer_size %d exceeds len(buf) %d", buffer_size, len(buf)), kind: ErrInvalidArgument}
	}
	if need := coreSerializedLength(h); need > buffer_size {
		return &opError{op: "SaveBuffer", detail: fmt.Sprintf("buffer of %d bytes is too small: the index needs %d (SerializedLength)", buffer_size, need), kind: ErrInvalidArgument}
	}
	var cursor saveCursor
	for out := buf[:buffer_size]; ; {
		n, st := coreSaveChunk(h, &cursor, out)
		if !st.ok() {
			return statusError("SaveBuffer", st, "")
		}
		if n == 0 {
			return nil
		}
		out = out[n:]
	}
}

// replaced refreshes what Go caches about the core after Load or View swapped its content.
func (b *base) replaced() {
	b.gen++
	conf, live := coreDescribe(b.h)
	b.config = conf
	b.live.Store(int64(live))
}

func (b *base) loadOp(op string, do func(h handle) status, pin []byte) error {
	if b.durable != nil {
		return b.durable.refuseLoad(op)
	}
	h, err := b.exclusive(op)
	if err != nil {
		return err
	}
	defer b.mu.unlock()
	// A viewed buffer is pinned before C sees it; the old pin stays until the swap succeeds
	// because on failure the old content (maybe another viewed buffer) remains in use.
	var pinner *runtime.Pinner
	if pin != nil {
		pinner = new(runtime.Pinner)
		pinner.Pin(&pin[0])
	}
	if st := do(h); !st.ok() {
		if pinner != nil {
			pinner.Unpin()
		}
		return statusError(op, st, "")
	}
	b.native.unpin()
	b.native.pinner, b.native.viewed = pinner, pin
	b.native.setMetric(0, nil) // the new content has the file's built-in metric
	b.replaced()
	return nil
}

// Load replaces the index's content with the file at path, copied into memory. Expansion
// settings are kept. On any error (ErrInvalidFile for malformed content) the index is left
// exactly as it was. A file holding a NaN or infinite vector is refused with ErrInvalidFile
// naming its key (docs/file-format.md, "Non-finite vectors"); so are LoadBuffer and ReadFrom.
func (b *base) Load(path string) error {
	if _, err := os.Stat(path); err != nil {
		return &opError{op: "Load", detail: err.Error(), kind: err}
	}
	return b.loadOp("Load", func(h handle) status { return coreLoad(h, path, false) }, nil)
}

// View memory-maps the file at path read-only and serves searches from it without copying
// vectors or graph. The index becomes read-only: writes return ErrReadOnly. The file must
// not change while viewed. Vectors are not scanned at open: a NaN or infinite one (see Load)
// is ranked last, at distance +Inf, by every search; so it is with ViewBuffer.
func (b *base) View(path string) error {
	if _, err := os.Stat(path); err != nil {
		return &opError{op: "View", detail: err.Error(), kind: err}
	}
	return b.loadOp("View", func(h handle) status { return coreLoad(h, path, true) }, nil)
}

// LoadBuffer replaces the index's content with a copy of the image in buf[:buffer_size].
func (b *base) LoadBuffer(buf []byte, buffer_size uint) error {
	if buffer_size > uint(len(buf)) {
		return &opError{op: "LoadBuffer", detail: fmt.Sprintf("buffer_size %d exceeds len(buf) %d", buffer_size, len(buf)), kind: ErrInvalidArgument}
	}
	return b.loadOp("LoadBuffer", func(h handle) status { return coreLoadBuffer(h, buf[:buffer_size], false) }, nil)
}

// ViewBuffer serves the index from the image in buf[:buffer_size] without copying it. The
// buffer is pinned (runtime.Pinner) until the index is closed or loads other content, and
// must not be modified meanwhile. The index is read-only.
func (b *base) ViewBuffer(buf []byte, buffer_size uint) error {
	if buffer_size > uint(len(buf)) {
		return &opError{op: "ViewBuffer", detail: fmt.Sprintf("buffer_size %d exceeds len(buf) %d", buffer_size, len(buf)), kind: ErrInvalidArgument}
	}
	if buffer_size == 0 {
		return &opError{op: "ViewBuffer", detail: "empty buffer", kind: ErrInvalidFile}
	}
	view := buf[:buffer_size]
	return b.loadOp("ViewBuffer", func(h handle) status { return coreLoadBuffer(h, view, true) }, view)
}

// ReadFrom replaces the index's content with an image read from r until EOF.
func (b *base) ReadFrom(r io.Reader) (int64, error) {
	if b.durable != nil {
		return 0, b.durable.refuseLoad("ReadFrom")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return int64(len(data)), &opError{op: "ReadFrom", detail: err.Error(), kind: err}
	}
	return int64(len(data)), b.loadOp("ReadFrom", func(h handle) status { return coreLoadBuffer(h, data, false) }, nil)
}

// Metadata reads the configuration stored in a saved index file without loading it.
// Connectivity and expansions are reported as 0, like upstream.
func Metadata(path string) (IndexConfig, error) {
	if _, err := os.Stat(path); err != nil {
		return IndexConfig{}, &opError{op: "Metadata", detail: err.Error(), kind: err}
	}
	conf, st := coreMetadata(path, nil)
	if !st.ok() {
		return IndexConfig{}, statusError("Metadata", st, path)
	}
	return conf, nil
}

// MetadataBuffer reads the configuration stored in buf[:buffer_size].
func MetadataBuffer(buf []byte, buffer_size uint) (IndexConfig, error) {
	if buffer_size > uint(len(buf)) {
		return IndexConfig{}, &opError{op: "MetadataBuffer", detail: fmt.Sprintf("buffer_size %d exceeds len(buf) %d", buffer_size, len(buf)), kind: ErrInvalidArgument}
	}
	conf, st := coreMetadata("", buf[:buffer_size:buffer_size])
	if !st.ok() {
		return IndexConfig{}, statusError("MetadataBuffer", st, "")
	}
	return conf, nil
}
