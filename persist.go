package usearch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

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

// Save writes the index to path the way the destination asks for: a regular file is replaced atomically — the image goes
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

// SaveBuffer writes the index into buf[:bufferSize], which must hold SerializedLength
// bytes; bytes past the image are left untouched.
func (b *base) SaveBuffer(buf []byte, bufferSize uint) error {
	h, err := b.exclusive("SaveBuffer")
	if err != nil {
		return err
	}
	defer b.mu.unlock()
	if bufferSize > uint(len(buf)) {
		return &opError{op: "SaveBuffer", detail: fmt.Sprintf("bufferSize %d exceeds len(buf) %d", bufferSize, len(buf)), kind: ErrInvalidArgument}
	}
	if need := coreSerializedLength(h); need > bufferSize {
		return &opError{op: "SaveBuffer", detail: fmt.Sprintf("buffer of %d bytes is too small: the index needs %d (SerializedLength)", bufferSize, need), kind: ErrInvalidArgument}
	}
	var cursor saveCursor
	for out := buf[:bufferSize]; ; {
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

// loadOp runs a load or view. On failure, subject names the file (empty for buffers) and
// image reads the file or buffer so that a file that is not a whole index is said to be
// truncated or not an index (explainImage) instead of by the core's first failed check.
func (b *base) loadOp(op string, do func(h handle) status, pin []byte, subject string, image func() (io.ReaderAt, int64, error)) error {
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
		return imageError(op, st, subject, image)
	}
	b.native.unpin()
	b.native.pinner, b.native.viewed = pinner, pin
	b.native.setMetric(0, nil) // the new content has the file's built-in metric
	b.replaced()
	return nil
}

// Load replaces the index's content with the file at path, copied into memory. Expansion
// settings are kept. The file's configuration replaces the index's too, as upstream's load
// does: loading a 128-dimensional cosine file into an index made for 4 dimensions of L2sq
// leaves a 128-dimensional cosine index, without error (the file describes its vectors).
// To refuse a file unlike the index, compare Metadata(path) with the configuration the
// index was made with first. The same
// holds for View, LoadBuffer, ViewBuffer and ReadFrom. An error names the file and says
// whether it is truncated or not an index at all. On any error (ErrInvalidFile for malformed content) the index is left
// exactly as it was. A file holding a NaN or infinite vector is refused with ErrInvalidFile
// naming its key (docs/file-format.md, "Non-finite vectors"); so are LoadBuffer and ReadFrom.
func (b *base) Load(path string) error {
	if _, err := os.Stat(path); err != nil {
		return &opError{op: "Load", detail: err.Error(), kind: err}
	}
	return b.loadOp("Load", func(h handle) status { return coreLoad(h, path, false) }, nil, path, fileImage(path))
}

// View memory-maps the file at path read-only and serves searches from it without copying
// vectors or graph. The index becomes read-only: writes return ErrReadOnly. The file must
// not change while viewed. Vectors are not scanned at open: a NaN or infinite one (see Load)
// is ranked last, at distance +Inf, by every search; so it is with ViewBuffer.
func (b *base) View(path string) error {
	if _, err := os.Stat(path); err != nil {
		return &opError{op: "View", detail: err.Error(), kind: err}
	}
	return b.loadOp("View", func(h handle) status { return coreLoad(h, path, true) }, nil, path, fileImage(path))
}

// LoadBuffer replaces the index's content with a copy of the image in buf[:bufferSize].
func (b *base) LoadBuffer(buf []byte, bufferSize uint) error {
	if bufferSize > uint(len(buf)) {
		return &opError{op: "LoadBuffer", detail: fmt.Sprintf("bufferSize %d exceeds len(buf) %d", bufferSize, len(buf)), kind: ErrInvalidArgument}
	}
	return b.loadOp("LoadBuffer", func(h handle) status { return coreLoadBuffer(h, buf[:bufferSize], false) }, nil, "", bufferImage(buf[:bufferSize]))
}

// ViewBuffer serves the index from the image in buf[:bufferSize] without copying it. The
// buffer is pinned (runtime.Pinner) until the index is closed or loads other content, and
// must not be modified meanwhile. The index is read-only.
func (b *base) ViewBuffer(buf []byte, bufferSize uint) error {
	if bufferSize > uint(len(buf)) {
		return &opError{op: "ViewBuffer", detail: fmt.Sprintf("bufferSize %d exceeds len(buf) %d", bufferSize, len(buf)), kind: ErrInvalidArgument}
	}
	if bufferSize == 0 {
		return &opError{op: "ViewBuffer", detail: "empty buffer", kind: ErrInvalidFile}
	}
	view := buf[:bufferSize]
	return b.loadOp("ViewBuffer", func(h handle) status { return coreLoadBuffer(h, view, true) }, view, "", bufferImage(view))
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
	return int64(len(data)), b.loadOp("ReadFrom", func(h handle) status { return coreLoadBuffer(h, data, false) }, nil, "", bufferImage(data))
}

// Metadata reads the configuration stored in a saved index file without loading it.
// Connectivity and expansions are reported as 0, like upstream.
func Metadata(path string) (IndexConfig, error) {
	if _, err := os.Stat(path); err != nil {
		return IndexConfig{}, &opError{op: "Metadata", detail: err.Error(), kind: err}
	}
	conf, st := coreMetadata(path, nil)
	if !st.ok() {
		return IndexConfig{}, imageError("Metadata", st, path, fileImage(path))
	}
	return conf, nil
}

// MetadataBuffer reads the configuration stored in buf[:bufferSize].
func MetadataBuffer(buf []byte, bufferSize uint) (IndexConfig, error) {
	if bufferSize > uint(len(buf)) {
		return IndexConfig{}, &opError{op: "MetadataBuffer", detail: fmt.Sprintf("bufferSize %d exceeds len(buf) %d", bufferSize, len(buf)), kind: ErrInvalidArgument}
	}
	conf, st := coreMetadata("", buf[:bufferSize:bufferSize])
	if !st.ok() {
		return IndexConfig{}, imageError("MetadataBuffer", st, "", bufferImage(buf[:bufferSize]))
	}
	return conf, nil
}

// Smallest image of an empty index: the vectors section's 8-byte shape, the 64-byte dense
// header and the 40-byte graph header (docs/file-format.md).
const (
	denseHeaderBytes = 64
	emptyImageBytes  = 8 + denseHeaderBytes + 40
)

// fileImage opens path for explainImage.
func fileImage(path string) func() (io.ReaderAt, int64, error) {
	return func() (io.ReaderAt, int64, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return fileReaderAt{f}, st.Size(), nil
	}
}

// fileReaderAt closes its file once explainImage is done (imageError calls close).
type fileReaderAt struct{ *os.File }

func bufferImage(b []byte) func() (io.ReaderAt, int64, error) {
	return func() (io.ReaderAt, int64, error) { return bytes.NewReader(b), int64(len(b)), nil }
}

// imageError is the error of a failed load, view or metadata read. For ErrInvalidFile it
// replaces the core's message when the image is cut short or is not an index at all: the
// core reports the first check that failed ("vectors matrix exceeds file size", "End of
// file reached!"), which for a truncated download or a text file points the wrong way.
// The sentinel stays ErrInvalidFile.
func imageError(op string, st status, subject string, image func() (io.ReaderAt, int64, error)) error {
	detail := st.msg
	if errors.Is(st.kind, ErrInvalidFile) && image != nil {
		if r, size, err := image(); err == nil {
			if why := explainImage(r, size, st.msg); why != "" {
				detail = why
			}
			if f, ok := r.(fileReaderAt); ok {
				f.Close()
			}
		}
	}
	if subject != "" {
		detail = subject + ": " + detail
	}
	return &opError{op: op, detail: detail, kind: st.kind}
}

// explainImage says what is wrong with an image the core refused, when that is one of:
// too short to hold any index, not an index (its first bytes do not lead to the "usearch"
// header where the layout puts it), or cut short (the header is where it should be, or
// would be, but the file ends before the data it announces). It returns "" otherwise:
// the core's message, about a field of a whole image, stands. Only a few bytes are read.
func explainImage(r io.ReaderAt, size int64, coreMsg string) string {
	if size < 8 {
		return fmt.Sprintf("not a USearch index: %d bytes, and the smallest index (an empty one) takes %d", size, emptyImageBytes)
	}
	var head [16]byte
	if _, err := r.ReadAt(head[:8], 0); err != nil {
		return ""
	}
	if string(head[:7]) == "usearch" { // an image saved without its vectors: the core's message stands
		return ""
	}
	rows, cols := int64(binary.LittleEndian.Uint32(head[:])), int64(binary.LittleEndian.Uint32(head[4:]))
	magicAt := func(off int64) bool {
		var m [7]byte
		_, err := r.ReadAt(m[:], off)
		return err == nil && string(m[:]) == "usearch"
	}
	// The rarer layout with 64-bit rows and columns (docs/file-format.md): recognised, and
	// the core's message stands.
	if size >= 16 {
		if _, err := r.ReadAt(head[8:], 8); err == nil {
			r64, c64 := binary.LittleEndian.Uint64(head[:]), binary.LittleEndian.Uint64(head[8:])
			if r64 < 1<<40 && c64 < 1<<24 && 16+int64(r64*c64)+denseHeaderBytes <= size && magicAt(16+int64(r64*c64)) {
				return ""
			}
		}
	}
	// A vector row of more than 64 MiB, or rows of no bytes, is no index: text and most
	// other files land here (their first bytes read as hundreds of millions).
	if cols > 1<<26 || (rows > 0 && cols == 0) {
		return fmt.Sprintf("not a USearch index: it starts with %q, which as an index's vector count and row size would mean %d vectors of %d bytes each",
			head[:8], rows, cols)
	}
	header := 8 + rows*cols
	switch {
	case header+denseHeaderBytes > size:
		return fmt.Sprintf("truncated, or not a USearch index: it is %d bytes, but its first 8 bytes announce %d vectors of %d bytes, which with the 64-byte header need %d",
			size, rows, cols, header+denseHeaderBytes)
	case !magicAt(header):
		return fmt.Sprintf("not a USearch index: no \"usearch\" header at byte %d, after the %d vectors of %d bytes its first 8 bytes announce", header, rows, cols)
	case strings.Contains(coreMsg, "lacks") || strings.Contains(coreMsg, "can't fit"):
		return fmt.Sprintf("truncated: the file ends at byte %d, inside the graph that follows its header (%s)", size, coreMsg)
	}
	return ""
}
