package main

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unsafe"

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
	".fbin, .f16bin, .dbin, .u8bin, .i8bin, .ibin, .i64bin, .u64bin, IDX (MNIST's *-idx3-ubyte, or .idx), " +
	"any of them gzipped (.gz), or raw little-endian with -dims"

// binKinds are the big-ann-benchmarks layouts: int32 rows, int32 dimensions, then the rows.
var binKinds = map[string]kind{
	".fbin": kF32, ".f16bin": kF16, ".dbin": kF64, ".u8bin": kU8, ".i8bin": kI8,
	".ibin": kI32, ".i64bin": kI64, ".u64bin": kU64,
}

// vecsKinds are the TEXMEX layouts: each row is an int32 dimension count and the values.
var vecsKinds = map[string]kind{".fvecs": kF32, ".bvecs": kU8, ".ivecs": kI32}

// idxName matches IDX file names: MNIST's train-images-idx3-ubyte (and t10k-images.idx3-ubyte),
// or a plain .idx / .idx3 extension.
var idxName = regexp.MustCompile(`(^|[._-])idx[1-9]?(-[a-z0-9]+)?$`)

// readMatrix reads a file of rows, choosing the layout by extension; a .gz file is
// decompressed and its layout chosen by the name without .gz. rawDims > 0 reads any file
// without a known extension as raw little-endian rows of rawKind.
func readMatrix(path string, rawDims int, rawKind kind) (*matrix, error) {
	return readMatrixAs(path, rawDims, rawKind, false)
}

// readMatrixAs is readMatrix; truth also accepts the big-ann-benchmarks ground-truth
// layout of .ibin: the int32 ids followed by as many float32 distances, which are skipped.
func readMatrixAs(path string, rawDims int, rawKind kind, truth bool) (*matrix, error) {
	name := strings.ToLower(filepath.Base(path))
	gz := strings.HasSuffix(name, ".gz")
	name = strings.TrimSuffix(name, ".gz")
	ext := filepath.Ext(name)
	vk, isVecs := vecsKinds[ext]
	bk, isBin := binKinds[ext]
	isIDX := idxName.MatchString(name)
	if ext != ".npy" && !isVecs && !isBin && !isIDX && rawDims <= 0 {
		if _, statErr := os.Stat(path); statErr != nil {
			return nil, pathError(path, statErr)
		}
		shown := ext
		if gz {
			shown += ".gz"
		}
		return nil, fmt.Errorf("%s: unknown format %q; want %s", path, shown, formats)
	}
	b, err := readAll(path, gz)
	if err != nil {
		return nil, err
	}
	var m *matrix
	switch {
	case ext == ".npy":
		m, err = readNpy(path, b)
	case isVecs:
		m, err = readVecs(path, b, vk)
	case isBin:
		m, err = readBin(path, b, bk, truth && bk == kI32)
	case isIDX:
		m, err = readIDX(path, b)
	default:
		m, err = readRaw(path, b, rawDims, rawKind)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.rows == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return m, nil
}

// readAll reads the whole file, decompressing it when gz is set. Its errors name path once.
func readAll(path string, gz bool) ([]byte, error) {
	if !gz { // sized from the file's length: no growing copies of a large file
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, pathError(path, err)
		}
		return b, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, pathError(path, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: not a gzip file (%v), though its name ends in .gz", path, err)
	}
	defer zr.Close()
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: decompressing: %w (is the file cut short?)", path, err)
	}
	return b, nil
}

// pathError says "path: what went wrong" once, without the operation and name an
// *fs.PathError repeats ("open x: x: no such file" would stutter).
func pathError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", path, pe.Err)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// readIDX reads the IDX layout of MNIST and Fashion-MNIST: two zero bytes, a type code, the
// number of dimensions, each dimension as a big-endian uint32, then the values big-endian.
// The first dimension is the rows; the others, multiplied, are one row (28×28 images are
// rows of 784). A 1-D file (labels) is a column, like a 1-D .npy.
func readIDX(path string, b []byte) (*matrix, error) {
	if len(b) < 4 || b[0] != 0 || b[1] != 0 {
		return nil, fmt.Errorf("not an IDX file: it does not start with two zero bytes")
	}
	var k kind
	size := 1
	switch b[2] {
	case 0x08:
		k = kU8
	case 0x09:
		k = kI8
	case 0x0B: // int16, widened to int32 (no int16 kind here)
		k, size = kI32, 2
	case 0x0C:
		k, size = kI32, 4
	case 0x0D:
		k, size = kF32, 4
	case 0x0E:
		k, size = kF64, 8
	default:
		return nil, fmt.Errorf("IDX type code %#02x is unknown; want 0x08 (u8), 0x09 (i8), 0x0b (i16), 0x0c (i32), 0x0d (f32) or 0x0e (f64)", b[2])
	}
	nd := int(b[3])
	if nd < 1 || len(b) < 4+4*nd {
		return nil, fmt.Errorf("IDX header declares %d dimensions in a file of %d bytes", nd, len(b))
	}
	rows := int64(binary.BigEndian.Uint32(b[4:]))
	cols, shape := int64(1), []int64{rows}
	for i := 1; i < nd; i++ {
		d := int64(binary.BigEndian.Uint32(b[4+4*i:]))
		shape = append(shape, d)
		if cols *= d; cols > 1<<28 {
			return nil, fmt.Errorf("IDX shape %v: rows of more than 2^28 values", shape)
		}
	}
	data := b[4+4*nd:]
	if want := rows * cols * int64(size); want != int64(len(data)) {
		return nil, fmt.Errorf("IDX shape %v of %d-byte values needs %d bytes after the header, the file has %d", shape, size, want, len(data))
	}
	if cols == 0 && rows > 0 {
		return nil, fmt.Errorf("IDX shape %v: rows of zero length", shape)
	}
	m := &matrix{path: path, rows: int(rows), dims: int(cols), kind: k, flat: nd == 1}
	if size == 1 {
		m.data = data
		return m, nil
	}
	// Big-endian to the little-endian layout every other reader produces.
	m.data = make([]byte, int(rows*cols)*k.size())
	for i := range int(rows * cols) {
		switch size {
		case 2:
			binary.LittleEndian.PutUint32(m.data[4*i:], uint32(int32(int16(binary.BigEndian.Uint16(data[2*i:])))))
		case 4:
			binary.LittleEndian.PutUint32(m.data[4*i:], binary.BigEndian.Uint32(data[4*i:]))
		case 8:
			binary.LittleEndian.PutUint64(m.data[8*i:], binary.BigEndian.Uint64(data[8*i:]))
		}
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

// readNpy reads a NumPy .npy image (versions 1 to 3) already in memory. The header is a
// Python dict literal; parseNpyHeader reads the three keys numpy writes.
func readNpy(path string, b []byte) (*matrix, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("not a NumPy .npy file: it does not start with the \\x93NUMPY magic")
	}
	var hlen, at int
	switch b[6] {
	case 1:
		hlen, at = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, fmt.Errorf("not a NumPy .npy file: %d bytes end inside the preamble", len(b))
		}
		hlen, at = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		return nil, fmt.Errorf("not a NumPy .npy file: format version %d.%d is unknown (want 1, 2 or 3)", b[6], b[7])
	}
	if hlen > len(b)-at {
		return nil, fmt.Errorf("not a NumPy .npy file: its header of %d bytes runs past the end of the file (%d bytes)", hlen, len(b))
	}
	dtype, fortran, shape, err := parseNpyHeader(string(b[at : at+hlen]))
	if err != nil {
		return nil, fmt.Errorf("not a NumPy .npy file: header %q: %w", strings.TrimSpace(string(b[at:at+hlen])), err)
	}
	shapeText := fmt.Sprint(shape)
	if fortran {
		return nil, fmt.Errorf("array is in Fortran order; save it in C order (numpy.ascontiguousarray)")
	}
	var k kind
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
	switch len(shape) {
	case 1:
		m.rows, m.dims, m.flat = shape[0], 1, true
	case 2:
		m.rows, m.dims = shape[0], shape[1]
	default:
		return nil, fmt.Errorf("array has shape %v; want 2 dimensions (rows, columns) or 1 for keys", shapeText)
	}
	if m.dims == 0 && m.rows > 0 {
		return nil, fmt.Errorf("array has shape %v: rows of zero length", shapeText)
	}
	data := b[at+hlen:]
	n := int64(m.rows) * int64(m.dims) * int64(k.size())
	if n > int64(len(data)) {
		return nil, fmt.Errorf("array of shape %v needs %d bytes of data, the file has %d after its header (%d in all)", shapeText, n, len(data), len(b))
	}
	m.data = data[:n]
	return m, nil
}

// parseNpyHeader reads the dict numpy writes, {'descr': '<f4', 'fortran_order': False,
// 'shape': (3, 4), }: string keys; a string, a bool or a tuple of integers as values.
// Anything else (a structured dtype's list) is refused by name.
func parseNpyHeader(h string) (descr string, fortran bool, shape []int, err error) {
	s := strings.TrimSpace(h)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return "", false, nil, fmt.Errorf("not a dict")
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	seen := map[string]bool{}
	str := func() (string, error) { // a quoted string at the start of s
		if s == "" || (s[0] != '\'' && s[0] != '"') {
			return "", fmt.Errorf("want a quoted string at %q", s)
		}
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", fmt.Errorf("unterminated string at %q", s)
		}
		v := s[1 : end+1]
		s = strings.TrimSpace(s[end+2:])
		return v, nil
	}
	for s != "" {
		key, err := str()
		if err != nil {
			return "", false, nil, err
		}
		if !strings.HasPrefix(s, ":") {
			return "", false, nil, fmt.Errorf("want ':' after %q", key)
		}
		s = strings.TrimSpace(s[1:])
		switch key {
		case "descr":
			if descr, err = str(); err != nil {
				return "", false, nil, fmt.Errorf("descr: %w (structured dtypes are not supported)", err)
			}
		case "fortran_order":
			switch {
			case strings.HasPrefix(s, "True"):
				fortran, s = true, s[4:]
			case strings.HasPrefix(s, "False"):
				fortran, s = false, s[5:]
			default:
				return "", false, nil, fmt.Errorf("fortran_order: want True or False at %q", s)
			}
		case "shape":
			end := strings.IndexByte(s, ')')
			if !strings.HasPrefix(s, "(") || end < 0 {
				return "", false, nil, fmt.Errorf("shape: want a tuple at %q", s)
			}
			shape = []int{}
			for _, f := range strings.Split(s[1:end], ",") {
				f = strings.TrimSuffix(strings.TrimSpace(f), "L") // Python 2 wrote 3L
				if f == "" {
					continue
				}
				v, err := strconv.ParseInt(f, 10, 64)
				if err != nil || v < 0 || v > 1<<40 {
					return "", false, nil, fmt.Errorf("shape: %q is not a size", f)
				}
				shape = append(shape, int(v))
			}
			s = s[end+1:]
		default:
			return "", false, nil, fmt.Errorf("unknown key %q", key)
		}
		seen[key] = true
		s = strings.TrimSpace(s)
		s = strings.TrimSpace(strings.TrimPrefix(s, ","))
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return "", false, nil, fmt.Errorf("no %q key", k)
		}
	}
	return descr, fortran, shape, nil
}

func readVecs(path string, b []byte, k kind) (*matrix, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%d bytes is too short for a %s file", len(b), vecsExt(k))
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

func readBin(path string, b []byte, k kind, withDistances bool) (*matrix, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("%d bytes is too short for the 8-byte header (rows, dimensions)", len(b))
	}
	rows := int64(int32(binary.LittleEndian.Uint32(b)))
	dims := int64(int32(binary.LittleEndian.Uint32(b[4:])))
	if rows < 0 || dims <= 0 {
		return nil, fmt.Errorf("header declares %d rows of %d dimensions", rows, dims)
	}
	want := 8 + rows*dims*int64(k.size())
	if withDistances && want+rows*dims*4 == int64(len(b)) {
		// big-ann-benchmarks ground truth: the ids, then their float32 distances.
		return &matrix{path: path, rows: int(rows), dims: int(dims), kind: k, data: b[8:want]}, nil
	}
	if want != int64(len(b)) {
		if withDistances {
			return nil, fmt.Errorf("header declares %d rows × %d ids (%d bytes, or %d with the float32 distances big-ann-benchmarks appends), the file has %d bytes",
				rows, dims, want, want+rows*dims*4, len(b))
		}
		return nil, fmt.Errorf("header declares %d rows × %d dimensions of %s (%d bytes), the file has %d bytes", rows, dims, k, want, len(b))
	}
	return &matrix{path: path, rows: int(rows), dims: int(dims), kind: k, data: b[8:]}, nil
}

func readRaw(path string, b []byte, dims int, k kind) (*matrix, error) {
	stride := dims * k.size()
	if len(b)%stride != 0 {
		return nil, fmt.Errorf("size %d is not a multiple of -dims %d × %d bytes (%s)", len(b), dims, k.size(), k)
	}
	return &matrix{path: path, rows: len(b) / stride, dims: dims, kind: k, data: b}, nil
}

// vecsExt names the TEXMEX extension of element kind k.
func vecsExt(k kind) string {
	for e, vk := range vecsKinds {
		if vk == k {
			return e
		}
	}
	return "vecs"
}

// readIDs reads a file of integers with at least minCols columns (keys: one per row;
// ground truth: row ids nearest first). truth also accepts big-ann's ground-truth .ibin,
// whose ids are followed by their distances.
func readIDs(path string, minCols int, truth bool) ([][]uint64, error) {
	m, err := readMatrixAs(path, 0, 0, truth)
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
// version 1.0, C order: the 10-byte preamble and the header dictionary laid out here and
// the values copied as a block (a value-by-value encoder through reflection took 9.5 s for
// 100k × 96 floats). The tests read every file back through npyio, an independent reader.
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
	pre := append([]byte("\x93NUMPY"), 1, 0, byte(len(header)), byte(len(header)>>8))
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
