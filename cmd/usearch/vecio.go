package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/usearch-go/usearch"
	"github.com/usearch-go/usearch/internal/atomicfile"
)

// kind is the element type of a file's rows.
type kind uint8

const (
	kF32 kind = iota
	kF64
	kF16
	kI8
	kU8
	kI32
	kI64
	kU64
)

var kindNames = [...]string{"f32", "f64", "f16", "i8", "u8", "i32", "i64", "u64"}
var kindSizes = [...]int{4, 8, 2, 1, 1, 4, 8, 8}

func (k kind) String() string { return kindNames[k] }
func (k kind) size() int      { return kindSizes[k] }

// quantization returns the storage kind holding this element type without conversion.
func (k kind) quantization() (usearch.Quantization, bool) {
	switch k {
	case kF32:
		return usearch.F32, true
	case kF64:
		return usearch.F64, true
	case kF16:
		return usearch.F16, true
	case kI8:
		return usearch.I8, true
	case kU8:
		return usearch.U8, true
	}
	return 0, false
}

func parseKind(s string) (kind, error) {
	for i, n := range kindNames {
		if strings.EqualFold(s, n) {
			return kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown element type %q; want one of %s", s, strings.Join(kindNames[:], ", "))
}

// matrix is a file's rows in their own element type, little-endian, one row after another.
type matrix struct {
	path       string
	rows, dims int
	kind       kind
	data       []byte
	flat       bool // a 1-D .npy array: a column of keys or ids, never vectors
}

func (m *matrix) row(i int) []byte {
	n := m.dims * m.kind.size()
	return m.data[i*n : (i+1)*n]
}

// rowPointer points at row i in its own element type, for calls that take the index's
// storage kind as is.
func (m *matrix) rowPointer(i int) unsafe.Pointer { return unsafe.Pointer(&m.row(i)[0]) }

// floats converts row i to float32 by value into dst (of length dims) and returns it.
func (m *matrix) floats(i int, dst []float32) []float32 {
	b := m.row(i)
	for j := range dst {
		switch m.kind {
		case kF32:
			dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
		case kF64:
			dst[j] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*j:])))
		case kF16:
			dst[j] = usearch.Float16(binary.LittleEndian.Uint16(b[2*j:])).Float32()
		case kI8:
			dst[j] = float32(int8(b[j]))
		case kU8:
			dst[j] = float32(b[j])
		case kI32:
			dst[j] = float32(int32(binary.LittleEndian.Uint32(b[4*j:])))
		case kI64:
			dst[j] = float32(int64(binary.LittleEndian.Uint64(b[8*j:])))
		case kU64:
			dst[j] = float32(binary.LittleEndian.Uint64(b[8*j:]))
		}
	}
	return dst
}

// ids returns the integer values of rows [0, rows) × columns [0, cols) as uint64, for
// keys and ground truth. Negative values are an error: keys and row ids are unsigned.
func (m *matrix) ids(cols int) ([][]uint64, error) {
	var get func(b []byte, j int) (uint64, bool)
	switch m.kind {
	case kI32:
		get = func(b []byte, j int) (uint64, bool) {
			v := int32(binary.LittleEndian.Uint32(b[4*j:]))
			return uint64(v), v >= 0
		}
	case kI64:
		get = func(b []byte, j int) (uint64, bool) {
			v := int64(binary.LittleEndian.Uint64(b[8*j:]))
			return uint64(v), v >= 0
		}
	case kU64:
		get = func(b []byte, j int) (uint64, bool) { return binary.LittleEndian.Uint64(b[8*j:]), true }
	default:
		return nil, fmt.Errorf("%s: holds %s values; want integers (i32, i64 or u64)", m.path, m.kind)
	}
	out := make([][]uint64, m.rows)
	for i := range out {
		b := m.row(i)
		out[i] = make([]uint64, cols)
		for j := range cols {
			v, ok := get(b, j)
			if !ok {
				return nil, fmt.Errorf("%s: row %d column %d is negative", m.path, i, j)
			}
			out[i][j] = v
		}
	}
	return out, nil
}

// formats lists what readMatrix understands, for error messages and help.
const formats = ".npy (f32, f64, f16, i8, u8, i32, i64, u64; C order), .fvecs, .bvecs, .ivecs, " +
	".fbin, .f16bin, .dbin, .u8bin, .i8bin, .ibin, .i64bin, .u64bin, or raw little-endian with -dims"

// binKinds are the big-ann-benchmarks layouts: int32 rows, int32 dimensions, then the rows.
var binKinds = map[string]kind{
	".fbin": kF32, ".f16bin": kF16, ".dbin": kF64, ".u8bin": kU8, ".i8bin": kI8,
	".ibin": kI32, ".i64bin": kI64, ".u64bin": kU64,
}

// vecsKinds are the TEXMEX layouts: each row is an int32 dimension count and the values.
var vecsKinds = map[string]kind{".fvecs": kF32, ".bvecs": kU8, ".ivecs": kI32}

// readMatrix reads a file of rows, choosing the layout by extension. rawDims > 0 reads
// any file without a known extension as raw little-endian rows of rawKind.
func readMatrix(path string, rawDims int, rawKind kind) (*matrix, error) {
	ext := strings.ToLower(filepath.Ext(path))
	var (
		m   *matrix
		err error
	)
	vk, isVecs := vecsKinds[ext]
	bk, isBin := binKinds[ext]
	switch {
	case ext == ".npy":
		m, err = readNpy(path)
	case isVecs:
		m, err = readVecs(path, vk)
	case isBin:
		m, err = readBin(path, bk)
	case rawDims > 0:
		m, err = readRaw(path, rawDims, rawKind)
	default:
		if _, statErr := os.Stat(path); statErr != nil {
			return nil, statErr
		}
		return nil, fmt.Errorf("%s: unknown format %q; want %s", path, ext, formats)
	}
	if err != nil {
		// The readers' own messages leave the file out; the os errors already name it.
		if pe := (*os.PathError)(nil); errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.rows == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return m, nil
}

// readVectors reads a file of vectors: as readMatrix, but a 1-D .npy array is refused.
// Taken as N vectors of one dimension it would build an index nobody meant (a single
// embedding saved with numpy.save(v) is 1-D too); keys and ground truth may be 1-D.
func readVectors(path string, rawDims int, rawKind kind) (*matrix, error) {
	m, err := readMatrix(path, rawDims, rawKind)
	if err != nil {
		return nil, err
	}
	if m.flat {
		return nil, fmt.Errorf("%s: a 1-D array of %d values holds keys, not vectors; save vectors as a 2-D array (rows, dimensions): one vector as shape (1, %d), or %d one-dimensional vectors as (%d, 1)",
			path, m.rows, m.rows, m.rows, m.rows)
	}
	return m, nil
}

func readNpy(path string) (*matrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	r, err := npy.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("not a NumPy .npy file: %w", err)
	}
	d := r.Header.Descr
	if d.Fortran {
		return nil, fmt.Errorf("array is in Fortran order; save it in C order (numpy.ascontiguousarray)")
	}
	var k kind
	dtype := strings.Trim(d.Type, `'"`)
	switch strings.TrimLeft(dtype, "<|=") {
	case "f4":
		k = kF32
	case "f8":
		k = kF64
	case "f2":
		k = kF16
	case "i1":
		k = kI8
	case "u1", "b1":
		k = kU8
	case "i4":
		k = kI32
	case "i8":
		k = kI64
	case "u8":
		k = kU64
	default:
		return nil, fmt.Errorf("dtype %q is not supported; want float32, float64, float16, int8, uint8, int32, int64 or uint64 (little-endian)", dtype)
	}
	m := &matrix{path: path, kind: k}
	switch len(d.Shape) {
	case 1:
		m.rows, m.dims, m.flat = d.Shape[0], 1, true
	case 2:
		m.rows, m.dims = d.Shape[0], d.Shape[1]
	default:
		return nil, fmt.Errorf("array has shape %v; want 2 dimensions (rows, columns) or 1 for keys", d.Shape)
	}
	if m.dims == 0 && m.rows > 0 {
		return nil, fmt.Errorf("array has shape %v: rows of zero length", d.Shape)
	}
	n := int64(m.rows) * int64(m.dims) * int64(k.size())
	if st, err := f.Stat(); err == nil && n > st.Size() {
		return nil, fmt.Errorf("array of shape %v needs %d bytes of data, the file has %d in all", d.Shape, n, st.Size())
	}
	m.data = make([]byte, n)
	if _, err := io.ReadFull(br, m.data); err != nil {
		return nil, fmt.Errorf("reading %d bytes of data for shape %v: %w", n, d.Shape, err)
	}
	return m, nil
}

func readVecs(path string, k kind) (*matrix, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("%d bytes is too short for a %s file", len(b), filepath.Ext(path))
	}
	dims := int(int32(binary.LittleEndian.Uint32(b)))
	if dims <= 0 || dims > 1<<24 {
		return nil, fmt.Errorf("first row declares %d dimensions", dims)
	}
	stride := 4 + dims*k.size()
	if len(b)%stride != 0 {
		return nil, fmt.Errorf("size %d is not a multiple of the row size %d (4 + %d × %d bytes)", len(b), stride, dims, k.size())
	}
	m := &matrix{path: path, rows: len(b) / stride, dims: dims, kind: k}
	m.data = make([]byte, 0, m.rows*dims*k.size())
	for i := range m.rows {
		row := b[i*stride:]
		if d := int(int32(binary.LittleEndian.Uint32(row))); d != dims {
			return nil, fmt.Errorf("row %d declares %d dimensions, the first row %d", i, d, dims)
		}
		m.data = append(m.data, row[4:stride]...)
	}
	return m, nil
}

func readBin(path string, k kind) (*matrix, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 8 {
		return nil, fmt.Errorf("%d bytes is too short for the 8-byte header (rows, dimensions)", len(b))
	}
	rows := int64(int32(binary.LittleEndian.Uint32(b)))
	dims := int64(int32(binary.LittleEndian.Uint32(b[4:])))
	if rows < 0 || dims <= 0 {
		return nil, fmt.Errorf("header declares %d rows of %d dimensions", rows, dims)
	}
	if want := 8 + rows*dims*int64(k.size()); want != int64(len(b)) {
		return nil, fmt.Errorf("header declares %d rows × %d dimensions of %s (%d bytes), the file has %d bytes", rows, dims, k, want, len(b))
	}
	return &matrix{path: path, rows: int(rows), dims: int(dims), kind: k, data: b[8:]}, nil
}

func readRaw(path string, dims int, k kind) (*matrix, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	stride := dims * k.size()
	if len(b)%stride != 0 {
		return nil, fmt.Errorf("size %d is not a multiple of -dims %d × %d bytes (%s)", len(b), dims, k.size(), k)
	}
	return &matrix{path: path, rows: len(b) / stride, dims: dims, kind: k, data: b}, nil
}

// readIDs reads a file of integers with at least minCols columns (keys: one per row;
// ground truth: row ids nearest first).
func readIDs(path string, minCols int) ([][]uint64, error) {
	m, err := readMatrix(path, 0, 0)
	if err != nil {
		return nil, err
	}
	if m.dims < minCols {
		return nil, fmt.Errorf("%s: %d columns; want at least %d", path, m.dims, minCols)
	}
	return m.ids(m.dims)
}

// writeAtomic writes path through atomicfile (internal/atomicfile/atomicfile.go): a
// regular file is replaced only once complete, keeping its mode; a link is followed; a
// device or FIFO is written directly. Its errors name path.
func writeAtomic(path string, write func(w io.Writer) error) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	return writeAndCommit(f, write)
}

// writeAndCommit writes into f, opened earlier by atomicfile.Create, and commits it; on
// failure f is aborted, so a replaced file keeps its old content.
func writeAndCommit(f *atomicfile.File, write func(w io.Writer) error) error {
	defer f.Abort()
	if err := writeInto(f, write); err != nil {
		return err
	}
	return f.Commit()
}

// writeInto writes into f through a buffer, without committing it.
func writeInto(f *atomicfile.File, write func(w io.Writer) error) error {
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// npyValue is an element type writeNpy lays out directly, with its NumPy dtype.
type npyValue interface{ ~float32 | ~uint64 }

// writeNpy writes a rows × cols array of little-endian values in NumPy's .npy format,
// version 1.0, C order. npyio (which reads every .npy here) marshals values one at a
// time through reflection, about 2.5 µs each (9.5 s for 100k × 96 floats), so for
// writing, the 10-byte preamble and the header dictionary are laid out here and the
// values copied as a block; the tests read every file back through npyio.
func writeNpy[T npyValue](w io.Writer, values []T, rows, cols int) error {
	var zero T
	descr := "<f4"
	if unsafe.Sizeof(zero) == 8 {
		descr = "<u8"
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, rows, cols)
	// The preamble (magic, version, header length) plus the header end on a multiple of 64,
	// with a newline last, as numpy writes it.
	pad := 63 - (10+len(header))%64
	header += strings.Repeat(" ", pad) + "\n"
	pre := append(append([]byte{}, npy.Magic[:]...), 1, 0, byte(len(header)), byte(len(header)>>8))
	if _, err := w.Write(append(pre, header...)); err != nil {
		return err
	}
	if len(values) != rows*cols {
		return fmt.Errorf("writeNpy: %d values for shape (%d, %d)", len(values), rows, cols)
	}
	if len(values) == 0 {
		return nil
	}
	// Little-endian platforms only (amd64, arm64, the targets built here): the memory
	// layout is the file layout.
	_, err := w.Write(unsafe.Slice((*byte)(unsafe.Pointer(&values[0])), len(values)*int(unsafe.Sizeof(zero))))
	return err
}
