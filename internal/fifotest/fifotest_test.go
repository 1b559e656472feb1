//go:build unix

package fifotest

import (
	"bytes"
	"os"
	"testing"
)

// TestReadReturnsWhatWasWritten: bytes beyond a pipe's buffer arrive whole once the
// writer closes, and the FIFO stays a FIFO.
func TestReadReturnsWhatWasWritten(t *testing.T) {
	path, got := Read(t, t.TempDir())
	want := bytes.Repeat([]byte("fifo"), 1<<16)
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(want); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if b := got(); !bytes.Equal(b, want) {
		t.Fatalf("read %d bytes, wrote %d", len(b), len(want))
	}
	if info, err := os.Lstat(path); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("%s is no longer a FIFO: %v %v", path, info, err)
	}
}
