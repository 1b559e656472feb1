package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// FashionMNISTPath returns where the Fashion-MNIST training images are (Debian's
// dataset-fashion-mnist, or $USEARCH_FASHION_MNIST), or "" when they are not installed.
func FashionMNISTPath() string {
	for _, p := range []string{
		os.Getenv("USEARCH_FASHION_MNIST"),
		"/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
		"/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte",
	} {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// ReadIDXImages reads an IDX3 file of unsigned-byte images, gzip'd or not, and returns
// the pixels scaled to [0, 1], one image after another.
func ReadIDXImages(path string) (pixels []float32, count, size int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	var header [4]uint32 // magic, images, rows, columns; big-endian
	if err := binary.Read(r, binary.BigEndian, &header); err != nil {
		return nil, 0, 0, fmt.Errorf("%s: reading the IDX header: %w", path, err)
	}
	if header[0] != 0x00000803 { // unsigned bytes (0x08), 3 dimensions
		return nil, 0, 0, fmt.Errorf("%s: IDX magic %#08x, want 0x00000803 (3-d unsigned bytes)", path, header[0])
	}
	count, size = int(header[1]), int(header[2]*header[3])
	if count <= 0 || size <= 0 || count > 1<<24 || size > 1<<24 {
		return nil, 0, 0, fmt.Errorf("%s: implausible IDX shape %d x %d x %d", path, header[1], header[2], header[3])
	}
	raw := make([]byte, count*size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, 0, 0, fmt.Errorf("%s: reading %d images: %w", path, count, err)
	}
	pixels = make([]float32, len(raw))
	for i, p := range raw {
		pixels[i] = float32(p) / 255
	}
	return pixels, count, size, nil
}
