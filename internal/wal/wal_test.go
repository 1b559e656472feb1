package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
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

// TestLeaderWaitsForWriterInFlight: a leader that sees an announced writer waits for its
// append, so that one sync covers both records instead of two syncs one after the other.
func TestLeaderWaitsForWriterInFlight(t *testing.T) {
	for _, strict := range []bool{true, false} {
		w, err := Create(t.TempDir(), 1, 1, strict, testConf)
		if err != nil {
			t.Fatal(err)
		}
		s0 := Syncs()
		w.Begin() // B: in flight, not yet appended
		w.Begin() // A
		seqA, err := w.Append(RecRemove, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		if err != nil {
			t.Fatal(err)
		}
		w.End()
		doneA := make(chan error, 1)
		go func() { doneA <- w.WaitSynced(seqA) }()
		// A leads and waits for B: it says so by publishing the count of Ends it waits for.
		for w.want.Load() == 0 {
			select {
			case err := <-doneA:
				t.Fatalf("strict %v: the leader synced (%v) without waiting for the writer in flight", strict, err)
			default:
				runtime.Gosched()
			}
		}
		seqB, err := w.Append(RecRemove, []byte{2, 0, 0, 0, 0, 0, 0, 0})
		if err != nil {
			t.Fatal(err)
		}
		w.End()
		if err := <-doneA; err != nil {
			t.Fatal(err)
		}
		if err := w.WaitSynced(seqB); err != nil {
			t.Fatal(err)
		}
		if n := Syncs() - s0; n != 1 {
			t.Errorf("strict %v: %d syncs for two records appended while the first sync was being led, want 1", strict, n)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoneWriterDoesNotWait: a leader with nothing in flight syncs at once (one sync per
// record for a lone writer), and an End without a waiting leader costs nothing.
func TestLoneWriterDoesNotWait(t *testing.T) {
	w, err := Create(t.TempDir(), 1, 1, true, testConf)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s0 := Syncs()
	for i := 0; i < 20; i++ {
		w.Begin()
		seq, err := w.Append(RecRemove, []byte{byte(i), 0, 0, 0, 0, 0, 0, 0})
		w.End()
		if err == nil {
			err = w.WaitSynced(seq) // would block forever if the leader waited for itself
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := Syncs() - s0; n != 20 {
		t.Errorf("%d syncs for 20 records synced one by one, want 20", n)
	}
}

// TestGroupCommitShared: announced writers, plain Sync callers and rotations together (run
// it under -race): every record lands once and in order, every WaitSynced returns with its
// record synced, and the writers share syncs.
func TestGroupCommitShared(t *testing.T) {
	for _, strict := range []bool{true, false} {
		dir := t.TempDir()
		w, err := Create(dir, 1, 1, strict, testConf)
		if err != nil {
			t.Fatal(err)
		}
		const writers, per = 8, 150
		s0 := Syncs()
		var wg sync.WaitGroup
		for g := 0; g < writers; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(g), 7))
				for i := 0; i < per; i++ {
					w.Begin()
					p := make([]byte, 8+rng.IntN(500)) // some records straddle pages
					binary.LittleEndian.PutUint64(p, uint64(g*per+i))
					seq, err := w.Append(RecAdd, p)
					w.End()
					if err == nil {
						err = w.WaitSynced(seq)
					}
					if err == nil {
						w.mu.Lock()
						if w.synced < seq {
							err = errors.New("WaitSynced returned before its record was synced")
						}
						w.mu.Unlock()
					}
					if err != nil {
						t.Error(err)
						return
					}
					switch {
					case g == 0 && i%50 == 25:
						if _, err := w.Rotate(); err != nil {
							t.Error(err)
						}
					case g == 1 && i%10 == 0:
						if err := w.Sync(); err != nil {
							t.Error(err)
						}
					}
				}
			}()
		}
		wg.Wait()
		syncs := Syncs() - s0
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if syncs >= writers*per {
			t.Errorf("strict %v: %d syncs for %d records appended by %d writers: they shared none", strict, syncs, writers*per, writers)
		}
		segs, _ := Segments(dir)
		seen := make([]bool, writers*per)
		next := uint64(1)
		for i, n := range segs {
			_, err := ReadSegment(filepath.Join(dir, SegmentName(n)), i == len(segs)-1, 1<<20, func(r Record) error {
				if r.Seq != next {
					return errors.New("sequence out of order")
				}
				next++
				k := binary.LittleEndian.Uint64(r.Payload)
				if k >= uint64(len(seen)) || seen[k] {
					return errors.New("a record twice or unknown")
				}
				seen[k] = true
				return nil
			})
			if err != nil {
				t.Fatalf("strict %v: segment %d: %v", strict, n, err)
			}
		}
		if next != writers*per+1 {
			t.Fatalf("strict %v: read %d records, want %d", strict, next-1, writers*per)
		}
	}
}

// TestStrictBacklog: a strict log holding more unsynced records than it keeps in memory
// (a batch syncs once at its end) writes them out in order, before and after a rotation.
func TestStrictBacklog(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, 1, 1, true, testConf)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 1000)
	const n = 3 * pendLimit / 1000
	for i := 0; i < 2*n; i++ {
		binary.LittleEndian.PutUint64(p, uint64(i))
		if _, err := w.Append(RecAdd, p); err != nil {
			t.Fatal(err)
		}
		if i == n {
			if _, err := w.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	k := uint64(0)
	for i, seg := range []uint64{1, 2} {
		s, err := ReadSegment(filepath.Join(dir, SegmentName(seg)), i == 1, 1<<20, func(r Record) error {
			if got := binary.LittleEndian.Uint64(r.Payload); got != k {
				t.Fatalf("segment %d: record %d holds %d", seg, k, got)
			}
			k++
			return nil
		})
		if err != nil || s.Torn {
			t.Fatalf("segment %d: %+v %v", seg, s, err)
		}
	}
	if k != 2*n {
		t.Fatalf("%d records, want %d", k, 2*n)
	}
}
