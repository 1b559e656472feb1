package main

// A 1-D .npy array holds keys (or ids), never vectors (issue 20, point 4): as -i or -q it
// is refused with a message that says how to save vectors; as -keys it is read.

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlatNpyIsKeysNotVectors(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 20))
	data := roundTo(clustered(rng, 50, 6, 1), kF32)
	vp := writeFile(t, dir, "v.fbin", data, kF32)
	ip := filepath.Join(dir, "i.usearch")

	// One embedding saved with numpy.save(v): shape (6,).
	flat := filepath.Join(dir, "one.npy")
	if err := os.WriteFile(flat, npyBytes("<f4", false, "(6,)", encode(data[:1], kF32)), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "build", "-quiet", "-i", vp, "-o", ip)
	for _, args := range [][]string{
		{"build", "-quiet", "-i", flat, "-o", filepath.Join(dir, "x.usearch")},
		{"search", "-quiet", "-index", ip, "-q", flat},
	} {
		code, out, errs := cli(t, args...)
		if code != 1 || !strings.Contains(errs, "one.npy: a 1-D array of 6 values holds keys, not vectors") || !strings.Contains(errs, "(1, 6)") {
			t.Errorf("usearch %s: exit %d, stderr %q; want 1 refusing the 1-D array", strings.Join(args, " "), code, errs)
		}
		if out != "" {
			t.Errorf("usearch %s wrote %q", args[0], out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.usearch")); err == nil {
		t.Error("an index was built from a 1-D array")
	}

	// The same layout as -keys is what it is for.
	var raw []byte
	for i := range data {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(500+3*i))
	}
	kp := filepath.Join(dir, "keys.npy")
	if err := os.WriteFile(kp, npyBytes("<u8", false, fmt.Sprintf("(%d,)", len(data)), raw), 0o644); err != nil {
		t.Fatal(err)
	}
	keyed := filepath.Join(dir, "keyed.usearch")
	mustCLI(t, "build", "-quiet", "-i", vp, "-keys", kp, "-o", keyed, "-metric", "l2sq")
	qp := writeFile(t, dir, "q.fbin", data[17:18], kF32)
	out, _ := mustCLI(t, "search", "-quiet", "-index", keyed, "-q", qp, "-k", "1")
	if want := fmt.Sprintf("0\t0\t%d\t0\n", 500+3*17); !strings.HasSuffix(out, want) {
		t.Errorf("search by a stored vector: %q, want a line %q", out, want)
	}
}
