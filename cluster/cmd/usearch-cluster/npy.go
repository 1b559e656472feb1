package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
)

// array is a .npy file's data: rows × cols values of one dtype, little-endian bytes.
type array struct {
	path       string
	dtype      string // "f4", "f8", "i4", "i8", "u4", "u8"
	rows, cols int
	data       []byte
}

// readNpy reads a C-order .npy of 1 or 2 dimensions (a 1-dimensional array is one
// column). It parses the header with npyio, the library `usearch build` reads .npy with,
// and takes the data as one block.
func readNpy(path string) (*array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	r, err := npy.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%s: not a NumPy .npy file: %w", path, err)
	}
	d := r.Header.Descr
	if d.Fortran {
		return nil, fmt.Errorf("%s: array is in Fortran order; save it in C order (numpy.ascontiguousarray)", path)
	}
	dtype := strings.Trim(d.Type, `'"`)
	a := &array{path: path, dtype: strings.TrimLeft(dtype, "<|=")}
	if strings.HasPrefix(dtype, ">") {
		return nil, fmt.Errorf("%s: dtype %q is big-endian; want little-endian", path, dtype)
	}
	size := map[string]int{"f4": 4, "f8": 8, "i4": 4, "i8": 8, "u4": 4, "u8": 8}[a.dtype]
	if size == 0 {
		return nil, fmt.Errorf("%s: dtype %q is not supported; want float32 or float64 (vectors) or int32, int64, uint32, uint64 (keys)", path, dtype)
	}
	switch len(d.Shape) {
	case 1:
		a.rows, a.cols = d.Shape[0], 1
	case 2:
		a.rows, a.cols = d.Shape[0], d.Shape[1]
	default:
		return nil, fmt.Errorf("%s: array has shape %v; want (rows, columns) or (rows,)", path, d.Shape)
	}
	if a.rows == 0 || a.cols == 0 {
		return nil, fmt.Errorf("%s: array of shape %v holds nothing", path, d.Shape)
	}
	n := int64(a.rows) * int64(a.cols) * int64(size)
	if st, err := f.Stat(); err == nil && n > st.Size() {
		return nil, fmt.Errorf("%s: shape %v needs %d bytes of data, the file has %d in all", path, d.Shape, n, st.Size())
	}
	a.data = make([]byte, n)
	if _, err := io.ReadFull(br, a.data); err != nil {
		return nil, fmt.Errorf("%s: reading %d bytes for shape %v: %w", path, n, d.Shape, err)
	}
	return a, nil
}

// floats returns the values as float32, row-major; integers are refused.
func (a *array) floats() ([]float32, error) {
	out := make([]float32, a.rows*a.cols)
	switch a.dtype {
	case "f4":
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(a.data[4*i:]))
		}
	case "f8":
		for i := range out {
			v := math.Float64frombits(binary.LittleEndian.Uint64(a.data[8*i:]))
			if math.Abs(v) > math.MaxFloat32 && !math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s: value %g at row %d does not fit in float32", a.path, v, i/a.cols)
			}
			out[i] = float32(v)
		}
	default:
		return nil, fmt.Errorf("%s: dtype %s holds integers; want float32 or float64 vectors", a.path, a.dtype)
	}
	return out, nil
}

// ints returns the values as uint64 keys, row-major; negative values and floats are refused.
func (a *array) ints() ([]uint64, error) {
	out := make([]uint64, a.rows*a.cols)
	for i := range out {
		var v int64
		switch a.dtype {
		case "i4":
			v = int64(int32(binary.LittleEndian.Uint32(a.data[4*i:])))
		case "i8":
			v = int64(binary.LittleEndian.Uint64(a.data[8*i:]))
		case "u4":
			out[i] = uint64(binary.LittleEndian.Uint32(a.data[4*i:]))
			continue
		case "u8":
			out[i] = binary.LittleEndian.Uint64(a.data[8*i:])
			continue
		default:
			return nil, fmt.Errorf("%s: dtype %s is not an integer type; keys and ground truth want int32, int64, uint32 or uint64", a.path, a.dtype)
		}
		if v < 0 {
			return nil, fmt.Errorf("%s: value %d at row %d, column %d is negative; keys are unsigned", a.path, v, i/a.cols, i%a.cols)
		}
		out[i] = uint64(v)
	}
	return out, nil
}
