//go:build unix

// Package fifotest makes FIFOs for tests that check a writer writes through a named pipe
// instead of replacing it (Save, the command's outputs, internal/atomicfile). It imports
// nothing of this module, so the tests of any package here may use it.
package fifotest

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Read makes a FIFO named "pipe" in dir and starts a reader on it. It returns the FIFO's
// path and a function that returns everything written to it once the writer closes. If no
// writer comes within a minute (the FIFO was replaced by a file, say) the test fails
// instead of hanging.
func Read(t testing.TB, dir string) (string, func() []byte) {
	t.Helper()
	path := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		r, err := os.Open(path)
		if err != nil {
			got <- nil
			return
		}
		defer r.Close()
		b, _ := io.ReadAll(r)
		got <- b
	}()
	return path, func() []byte {
		t.Helper()
		select {
		case b := <-got:
			return b
		case <-time.After(time.Minute):
			if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close() // lets the reader go
			}
			t.Fatalf("nothing was written to the FIFO %s", path)
			return nil
		}
	}
}
