package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var testConf = Config{Dimensions: 4, Metric: 2, Quantization: 0}

// writeLog appends n records of random sizes to a fresh segment 1 and returns their
// payloads and the segment's path.
func writeLog(t *testing.T, n int, strict bool, seed uint64) ([][]byte, string) {
	t.Helper()
	dir := t.TempDir()
	w, err := Create(dir, 1, 1, strict, testConf)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	var payloads [][]byte
	for i := 0; i < n; i++ {
		p := make([]byte, 8+rng.IntN(40))
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		seq, err := w.Append(RecAdd, p[:3], p[3:])
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i+1) {
			t.Fatalf("record %d got sequence %d", i, seq)
		}
		payloads = append(payloads, p)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return payloads, filepath.Join(dir, SegmentName(1))
}

func readAll(path string, last bool) ([][]byte, Segment, error) {
	var got [][]byte
	s, err := ReadSegment(path, last, 1<<20, func(r Record) error {
		got = append(got, bytes.Clone(r.Payload))
		return nil
	})
	return got, s, err
}

func TestRoundTrip(t *testing.T) {
	want, path := writeLog(t, 200, true, 1)
	got, s, err := readAll(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if s.Torn || s.Records != len(want) || s.LastSeq != uint64(len(want)) || !s.Header.Strict || s.Header.Config != testConf {
		t.Fatalf("segment %+v", s)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d differs", i)
		}
	}
}

// recordOffsets walks a good segment and returns where each record starts.
func recordOffsets(t *testing.T, path string) []int64 {
	var offs []int64
	if _, err := ReadSegment(path, true, 1<<20, func(r Record) error { offs = append(offs, r.Offset); return nil }); err != nil {
		t.Fatal(err)
	}
	return offs
}

func TestTornTail(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		want, path := writeLog(t, 30, true, seed)
		data, _ := os.ReadFile(path)
		offs := recordOffsets(t, path)
		last := offs[len(offs)-1]
		rng := rand.New(rand.NewPCG(seed, 2))
		// Cut the file anywhere inside the last record.
		cut := last + 1 + rng.Int64N(int64(len(data))-last-1)
		if err := os.WriteFile(path, data[:cut], 0o666); err != nil {
			t.Fatal(err)
		}
		got, s, err := readAll(path, true)
		if err != nil || !s.Torn || len(got) != len(want)-1 || s.ValidEnd != last {
			t.Fatalf("seed %d cut at %d: %d records, %+v, %v", seed, cut, len(got), s, err)
		}
		// Flip one bit of the last record instead.
		flipped := bytes.Clone(data)
		bit := last*8 + rng.Int64N((int64(len(data))-last)*8)
		flipped[bit/8] ^= 1 << (bit % 8)
		os.WriteFile(path, flipped, 0o666)
		got, s, err = readAll(path, true)
		if err != nil || !s.Torn || len(got) != len(want)-1 {
			t.Fatalf("seed %d bit %d: %d records, %+v, %v", seed, bit, len(got), s, err)
		}
		// The same damage in a segment that is not the last is corruption.
		if _, _, err := readAll(path, false); !isCorruptAt(err, path, last) {
			t.Fatalf("seed %d: not last: %v", seed, err)
		}
	}
}

func isCorruptAt(err error, path string, off int64) bool {
	var ce *CorruptError
	return errors.As(err, &ce) && ce.File == path && ce.Offset == off && strings.Contains(err.Error(), path)
}

func TestEarlyCorruption(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		_, path := writeLog(t, 30, true, seed)
		data, _ := os.ReadFile(path)
		offs := recordOffsets(t, path)
		rng := rand.New(rand.NewPCG(seed, 3))
		i := rng.IntN(len(offs) - 2)
		bit := offs[i]*8 + rng.Int64N((offs[i+1]-offs[i])*8)
		data[bit/8] ^= 1 << (bit % 8)
		os.WriteFile(path, data, 0o666)
		if _, _, err := readAll(path, true); !isCorruptAt(err, path, offs[i]) {
			t.Fatalf("seed %d: bit %d in record %d at %d: %v", seed, bit, i, offs[i], err)
		}
	}
}

// A hole in the last segment of a non-strict log is what a power loss can leave of unsynced
// pages: it is dropped as a tail, with the count of records lost after it.
func TestNonStrictHole(t *testing.T) {
	want, path := writeLog(t, 30, false, 7)
	data, _ := os.ReadFile(path)
	offs := recordOffsets(t, path)
	copy(data[offs[10]:offs[12]], make([]byte, offs[12]-offs[10]))
	os.WriteFile(path, data, 0o666)
	got, s, err := readAll(path, true)
	if err != nil || len(got) != 10 || !s.Torn || s.TornCount != len(want)-12 {
		t.Fatalf("%d records, %+v, %v", len(got), s, err)
	}
}

func TestSequenceGap(t *testing.T) {
	_, path := writeLog(t, 5, true, 9)
	data, _ := os.ReadFile(path)
	offs := recordOffsets(t, path)
	// Rewrite record 2's sequence number with a good checksum: a gap, never a tear.
	o := offs[2]
	n := binary.LittleEndian.Uint32(data[o:])
	binary.LittleEndian.PutUint64(data[o+9:], 77)
	binary.LittleEndian.PutUint32(data[o+4:], crcOf(data[o:o+4], data[o+8:o+8+int64(n)]))
	os.WriteFile(path, data, 0o666)
	if _, _, err := readAll(path, true); !isCorruptAt(err, path, o) {
		t.Fatal(err)
	}
}

func crcOf(length, body []byte) uint32 {
	return crc32.Update(crc32.Checksum(length, Castagnoli), Castagnoli, body)
}

func TestTornHeader(t *testing.T) {
	_, path := writeLog(t, 0, true, 1)
	os.Truncate(path, 20)
	if _, s, err := readAll(path, true); err != nil || !s.Torn || s.HeaderOK {
		t.Fatalf("%+v %v", s, err)
	}
	if _, _, err := readAll(path, false); !isCorruptAt(err, path, 0) {
		t.Fatal(err)
	}
}

func TestGroupCommitAndRotate(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, 3, 10, true, testConf)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				seq, err := w.Append(RecRemove, []byte{1, 2, 3, 4, 5, 6, 7, 8})
				if err == nil {
					err = w.WaitSynced(seq)
				}
				if err != nil {
					t.Error(err)
					return
				}
				if g == 0 && i == 25 {
					if _, err := w.Rotate(); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := Segments(dir)
	if len(segs) != 2 || segs[0] != 3 || segs[1] != 4 {
		t.Fatalf("segments %v", segs)
	}
	a, _, err := readAll(filepath.Join(dir, SegmentName(3)), false)
	if err != nil {
		t.Fatal(err)
	}
	b, s, err := readAll(filepath.Join(dir, SegmentName(4)), true)
	if err != nil || len(a)+len(b) != 400 || s.Header.FirstSeq != uint64(10+len(a)) || s.LastSeq != 409 {
		t.Fatalf("%d + %d records, %+v, %v", len(a), len(b), s, err)
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(dir, link)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o777)
	for _, p := range []string{dir, link, filepath.Join(sub, "..")} {
		if _, err := Lock(p); !errors.Is(err, ErrLocked) {
			t.Errorf("%s: %v", p, err)
		}
	}
	release()
	release, err = Lock(link)
	if err != nil {
		t.Fatal(err)
	}
	release()
}
