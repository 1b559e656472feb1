// Package wal is the write-ahead log of a durable index (see docs/durability.md): segment
// files of checksummed records, a writer that shares one sync among concurrent writers, a
// reader that tells a torn tail from corruption, and the directory lock.
//
// It knows nothing of vectors: a record is a type, a sequence number and opaque bytes. The
// root package decides what the records mean.
package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Record types. The numbers are part of the file format.
const (
	RecAdd        byte = 1 // key u64, input kind u8, vector bytes
	RecRemove     byte = 2 // key u64
	RecRename     byte = 3 // from u64, to u64
	RecClear      byte = 4 // nothing
	RecCheckpoint byte = 5 // covered segment u64, checkpoint bytes u64, checkpoint CRC32C u32
)

// TypeName names a record type for messages and `usearch info`.
func TypeName(t byte) string {
	switch t {
	case RecAdd:
		return "add"
	case RecRemove:
		return "remove"
	case RecRename:
		return "rename"
	case RecClear:
		return "clear"
	case RecCheckpoint:
		return "checkpoint"
	}
	return fmt.Sprintf("type %d", t)
}

// Layout constants (all integers little-endian).
const (
	Magic         = "USRCHLOG"
	Version       = 1
	HeaderSize    = 48 // magic 8, version u32, flags u32, segment u64, first seq u64, dims u64, metric u8, quantization u8, multi u8, pad u8, CRC32C u32
	RecordHeader  = 8  // body length u32, CRC32C u32 of (length bytes, body)
	minBody       = 9  // type u8, seq u64
	flagStrict    = 1  // every record was synced before its write returned (SyncAlways)
	segmentPrefix = "wal-"
	segmentSuffix = ".log"
)

// Castagnoli is the CRC32C table every checksum of the log uses.
var Castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Config is the part of an index configuration a segment records, so that a log is never
// replayed into an index of another shape.
type Config struct {
	Dimensions   uint64
	Metric       uint8
	Quantization uint8
	Multi        bool
}

// Header is a segment's header.
type Header struct {
	Segment  uint64 // the number in the file name
	FirstSeq uint64 // sequence number of the first record
	Strict   bool   // written with a sync per record: a bad record followed by good ones is corruption
	Config   Config
}

func (h Header) encode() []byte {
	b := make([]byte, HeaderSize)
	copy(b, Magic)
	binary.LittleEndian.PutUint32(b[8:], Version)
	if h.Strict {
		binary.LittleEndian.PutUint32(b[12:], flagStrict)
	}
	binary.LittleEndian.PutUint64(b[16:], h.Segment)
	binary.LittleEndian.PutUint64(b[24:], h.FirstSeq)
	binary.LittleEndian.PutUint64(b[32:], h.Config.Dimensions)
	b[40], b[41] = h.Config.Metric, h.Config.Quantization
	if h.Config.Multi {
		b[42] = 1
	}
	binary.LittleEndian.PutUint32(b[44:], crc32.Checksum(b[:44], Castagnoli))
	return b
}

func decodeHeader(b []byte) (Header, string) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Sprintf("the file has %d bytes, shorter than the %d-byte header", len(b), HeaderSize)
	}
	if string(b[:8]) != Magic {
		return Header{}, fmt.Sprintf("the header does not start with %q", Magic)
	}
	if crc32.Checksum(b[:44], Castagnoli) != binary.LittleEndian.Uint32(b[44:]) {
		return Header{}, "the header checksum does not match"
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != Version {
		return Header{}, fmt.Sprintf("format version %d; this build reads version %d", v, Version)
	}
	return Header{
		Strict:   binary.LittleEndian.Uint32(b[12:])&flagStrict != 0,
		Segment:  binary.LittleEndian.Uint64(b[16:]),
		FirstSeq: binary.LittleEndian.Uint64(b[24:]),
		Config: Config{Dimensions: binary.LittleEndian.Uint64(b[32:]), Metric: b[40], Quantization: b[41],
			Multi: b[42] != 0},
	}, ""
}

// SegmentName is the file name of segment n.
func SegmentName(n uint64) string { return fmt.Sprintf("%s%010d%s", segmentPrefix, n, segmentSuffix) }

// Segments lists the segment numbers present in dir, ascending.
func Segments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, e := range entries {
		mid, ok := strings.CutPrefix(e.Name(), segmentPrefix)
		if !ok {
			continue
		}
		if mid, ok = strings.CutSuffix(mid, segmentSuffix); !ok {
			continue
		}
		n, err := strconv.ParseUint(mid, 10, 64)
		if err != nil || !e.Type().IsRegular() {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// Record is one decoded record; Payload aliases the segment's bytes.
type Record struct {
	Type    byte
	Seq     uint64
	Payload []byte
	Offset  int64 // of the record header in its file
}

// CorruptError reports damage that is not a torn tail: the log cannot be trusted past
// Offset of File, and nothing is replayed.
type CorruptError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("log segment %s is corrupt at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Segment is what ReadSegment found in one file.
type Segment struct {
	Path      string
	Header    Header
	HeaderOK  bool   // false only for a last segment whose header was torn (it holds nothing)
	Records   int    // good records
	LastSeq   uint64 // of the last good record; FirstSeq-1 when there is none
	ValidEnd  int64  // bytes up to the end of the last good record
	Size      int64  // bytes in the file
	Torn      bool   // bytes after ValidEnd were dropped
	TornWhy   string // why the first dropped record was refused
	TornCount int    // records after the first bad one that still checked out (only for a non-strict last segment)
}

// ReadSegment reads the segment at path and calls fn with every good record in order.
// maxBody bounds a plausible record body. When last is true (the newest segment), a bad
// record at the end is a torn write: it and what follows are reported as Torn and not
// passed to fn. A bad record followed by a good one is corruption (a CorruptError) — except
// in the last segment of a non-strict log, where the operating system may have written the
// unsynced pages of the tail in any order before a power loss, so it is dropped as a tail
// too (TornCount says how many checked-out records went with it). Outside the last segment
// every defect is corruption. An error from fn stops the read and is returned as is.
func ReadSegment(path string, last bool, maxBody uint32, fn func(Record) error) (Segment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Segment{}, err
	}
	s := Segment{Path: path, Size: int64(len(data))}
	hdr, why := decodeHeader(data)
	if why != "" {
		if last && len(data) <= HeaderSize+RecordHeader+minBody && !validAfter(data, 0, maxBody) {
			s.Torn, s.TornWhy = len(data) > 0, why
			return s, nil
		}
		return s, &CorruptError{File: path, Offset: 0, Reason: why}
	}
	s.Header, s.HeaderOK, s.ValidEnd, s.LastSeq = hdr, true, HeaderSize, hdr.FirstSeq-1
	next := hdr.FirstSeq
	off := HeaderSize
	for off < len(data) {
		rec, size, why := decodeRecord(data, off, maxBody)
		if why == "" && rec.Seq != next {
			return s, &CorruptError{File: path, Offset: int64(off), Reason: fmt.Sprintf("sequence number %d where %d was due", rec.Seq, next)}
		}
		if why != "" {
			if !last {
				return s, &CorruptError{File: path, Offset: int64(off), Reason: why}
			}
			after := validAfter(data, off+1, maxBody)
			if after && hdr.Strict {
				return s, &CorruptError{File: path, Offset: int64(off), Reason: why + ", and good records follow"}
			}
			s.Torn, s.TornWhy = true, why
			if after {
				s.TornCount = countAfter(data, off+1, maxBody)
			}
			return s, nil
		}
		if fn != nil {
			if err := fn(rec); err != nil {
				return s, err
			}
		}
		off += size
		next++
		s.Records++
		s.LastSeq = rec.Seq
		s.ValidEnd = int64(off)
	}
	return s, nil
}

// decodeRecord checks and decodes the record at off; why says what is wrong with it.
func decodeRecord(data []byte, off int, maxBody uint32) (Record, int, string) {
	rest := len(data) - off
	if rest < RecordHeader {
		return Record{}, 0, fmt.Sprintf("%d bytes left, shorter than a record header", rest)
	}
	n := binary.LittleEndian.Uint32(data[off:])
	if n < minBody || n > maxBody {
		return Record{}, 0, fmt.Sprintf("record length %d is outside [%d, %d]", n, minBody, maxBody)
	}
	if uint64(n) > uint64(rest-RecordHeader) {
		return Record{}, 0, fmt.Sprintf("record length %d runs past the end of the file (%d bytes left)", n, rest-RecordHeader)
	}
	body := data[off+RecordHeader : off+RecordHeader+int(n)]
	crc := crc32.Update(crc32.Checksum(data[off:off+4], Castagnoli), Castagnoli, body)
	if crc != binary.LittleEndian.Uint32(data[off+4:]) {
		return Record{}, 0, "record checksum does not match"
	}
	rec := Record{Type: body[0], Seq: binary.LittleEndian.Uint64(body[1:]), Payload: body[9:], Offset: int64(off)}
	if rec.Type < RecAdd || rec.Type > RecCheckpoint {
		return Record{}, 0, fmt.Sprintf("unknown record type %d", rec.Type)
	}
	return rec, RecordHeader + int(n), ""
}

// validAfter tells whether a record that checks out starts anywhere at or after from.
func validAfter(data []byte, from int, maxBody uint32) bool {
	for o := from; o+RecordHeader+minBody <= len(data); o++ {
		if _, _, why := decodeRecord(data, o, maxBody); why == "" {
			return true
		}
	}
	return false
}

func countAfter(data []byte, from int, maxBody uint32) int {
	n := 0
	for o := from; o+RecordHeader+minBody <= len(data); {
		if _, size, why := decodeRecord(data, o, maxBody); why == "" {
			n++
			o += size
			continue
		}
		o++
	}
	return n
}

// ---- writing ----

// Writer appends records to the newest segment. All methods are safe for concurrent use.
//
// Group commit. Writers that wait for the disk share syncs: one of them (the leader) syncs
// everything appended so far while the others sleep. Three things keep the cost per write
// low when many write at once:
//   - A strict log (SyncAlways) keeps appended records in memory and the leader writes them
//     with one write(2) just before its fdatasync: one system call per group, not per record.
//     No record is acknowledged before it is synced, so nothing acknowledged is ever only in
//     memory.
//   - Each waiter sleeps on the condition of the sync that will cover its record, so the end
//     of a sync wakes only the writers it made durable, plus one waiter of the next sync to
//     lead it, not every waiter.
//   - Writers that announce themselves with Begin before their (slow) work and End after
//     their Append are "in flight": a new leader that sees some waits until up to as many of
//     them have appended as there are records already waiting (never more than doubling its
//     group), so that a record finished a moment after the sync started does not wait for a
//     whole second sync. A lone writer is never in flight when it leads, and waits for nothing.
type Writer struct {
	dir    string
	conf   Config
	strict bool

	mu      sync.Mutex
	f       *os.File
	segment uint64
	size    int64        // bytes in the current segment
	total   atomic.Int64 // bytes appended since the last Rotate (or Create); read without mu
	nextSeq uint64       // of the next record
	synced  uint64       // every record up to this one is on disk
	err     error        // sticky: after a failed write or sync nothing more is appended
	buf     []byte       // scratch of a non-strict Append

	// A strict log's records not yet written: pend fills while a leader writes spare.
	pend, spare []byte

	// Group commit (see above); every field under mu.
	syncing    bool          // a leader is collecting or syncing with mu released
	collecting bool          // the leader waits for writers in flight; its target is still open
	target     uint64        // last record the sync in progress covers (once !collecting)
	gen        uint64        // number of the sync in progress, or of the last one
	groups     [2]sync.Cond  // waiters of sync gen (index gen&1) and of the one after it
	waiting    [2]int        // goroutines waiting on each of groups
	idle       sync.Cond     // the end of a sync, for Rotate and Close
	arrive     sync.Cond     // the collecting leader waits here for writers in flight
	began      atomic.Uint64 // Begin calls
	ended      atomic.Uint64 // End calls
	want       atomic.Uint64 // the ended count the collecting leader waits for; 0 when none

	stop chan struct{}
	done chan struct{}
}

// pendLimit bounds the records a strict log holds in memory (a batch appends many before it
// syncs once): past it Append writes them out.
const pendLimit = 1 << 20

// Create starts segment number segment, whose first record will have sequence number
// firstSeq, and syncs it and the directory.
func Create(dir string, segment, firstSeq uint64, strict bool, conf Config) (*Writer, error) {
	w := &Writer{dir: dir, conf: conf, strict: strict, nextSeq: firstSeq, synced: firstSeq - 1}
	w.groups[0].L, w.groups[1].L, w.idle.L, w.arrive.L = &w.mu, &w.mu, &w.mu, &w.mu
	if err := w.open(segment); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) open(segment uint64) error {
	path := filepath.Join(w.dir, SegmentName(segment))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o666)
	if err != nil {
		return err
	}
	hdr := Header{Segment: segment, FirstSeq: w.nextSeq, Strict: w.strict, Config: w.conf}
	if _, err := f.Write(hdr.encode()); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := datasync(f); err != nil {
		f.Close()
		return err
	}
	if err := SyncDir(w.dir); err != nil {
		f.Close()
		return err
	}
	w.f, w.segment, w.size = f, segment, HeaderSize
	return nil
}

// Append writes one record made of typ and the concatenation of parts and returns its
// sequence number. In a non-strict log the record is in the file (the operating system's
// cache) when Append returns, so a crash of the process alone never loses it. In a strict
// log it may still be in memory, written by the WaitSynced that makes it durable (or by
// Rotate or Close): a strict log's writer acknowledges nothing before WaitSynced.
func (w *Writer) Append(typ byte, parts ...[]byte) (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	if w.f == nil {
		return 0, errors.New("the log is closed")
	}
	n := minBody
	for _, p := range parts {
		n += len(p)
	}
	seq := w.nextSeq
	dst := &w.buf
	if w.strict {
		dst = &w.pend
	}
	start := len(*dst)
	if !w.strict {
		start = 0
	}
	b := slices.Grow((*dst)[:start], RecordHeader+n)[:start+RecordHeader+minBody]
	r := b[start:]
	binary.LittleEndian.PutUint32(r, uint32(n))
	r[8] = typ
	binary.LittleEndian.PutUint64(r[9:], seq)
	for _, p := range parts {
		b = append(b, p...)
	}
	r = b[start:]
	crc := crc32.Update(crc32.Checksum(r[:4], Castagnoli), Castagnoli, r[8:])
	binary.LittleEndian.PutUint32(r[4:], crc)
	*dst = b
	if !w.strict || len(w.pend) >= pendLimit && !w.syncing {
		// With a leader writing the other buffer, the records wait for it: the file
		// must receive them in order.
		if _, err := w.f.Write(b); err != nil {
			w.err = fmt.Errorf("writing the log: %w", err)
			return 0, w.err
		}
		*dst = b[:0]
	}
	w.nextSeq++
	w.size += int64(len(r))
	w.total.Add(int64(len(r)))
	return seq, nil
}

// flushLocked writes a strict log's pending records; mu is held and no leader is syncing.
func (w *Writer) flushLocked() error {
	if w.err != nil || len(w.pend) == 0 {
		return w.err
	}
	_, err := w.f.Write(w.pend)
	w.pend = w.pend[:0]
	if err != nil {
		w.err = fmt.Errorf("writing the log: %w", err)
	}
	return w.err
}

// Begin announces a write that will Append and then WaitSynced: a sync leader may wait for
// it to append (see Writer). Every Begin must be followed by one End, after the Append (or
// instead of it), and before the WaitSynced: a writer that waits for a sync while announced
// would keep a leader waiting for it.
func (w *Writer) Begin() { w.began.Add(1) }

// End closes a Begin.
func (w *Writer) End() {
	e := w.ended.Add(1)
	if want := w.want.Load(); want != 0 && e >= want {
		w.mu.Lock()
		w.arrive.Signal()
		w.mu.Unlock()
	}
}

// syncs counts the log syncs of this process (every Writer), for the benchmarks: syncs per
// write says how well concurrent writers share them.
var syncs atomic.Int64

// Syncs returns how many times this process has synced a log.
func Syncs() int64 { return syncs.Load() }

// WaitSynced returns once every record up to seq is on disk. Concurrent callers share
// syncs: one of them syncs everything written so far while the others wait for it, so N
// writers arriving together pay about one sync, not N (group commit; see Writer).
func (w *Writer) WaitSynced(seq uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.synced < seq && w.err == nil {
		if w.syncing {
			g := w.gen // the sync in progress covers seq
			if !w.collecting && seq > w.target {
				g++ // the next one will
			}
			w.waiting[g&1]++
			w.groups[g&1].Wait()
			w.waiting[g&1]--
			continue
		}
		if w.f == nil {
			return errors.New("the log is closed")
		}
		w.lead()
	}
	return w.err
}

// WaitInFlight turns the leader's wait for writers in flight on (the default) or off. It
// exists for the benchmarks, which compare both in one run (BenchmarkDurableAdd); set it
// only while no Writer is in use.
var WaitInFlight = true

// lead runs one sync as the leader; mu is held on entry and on return.
func (w *Writer) lead() {
	w.syncing, w.gen = true, w.gen+1
	// Wait for writers in flight (announced, not yet appended), at most as many as the
	// records already waiting. The counts are read began first: in flight is then never
	// overestimated, so every End waited for will come.
	b := w.began.Load()
	e := w.ended.Load()
	if inflight := b - min(b, e); inflight > 0 && WaitInFlight {
		n := min(inflight, w.nextSeq-1-w.synced)
		if n > 0 {
			w.collecting = true
			w.want.Store(e + n)
			for w.ended.Load() < e+n && w.err == nil {
				w.arrive.Wait()
			}
			w.want.Store(0)
			w.collecting = false
		}
	}
	target, f := w.nextSeq-1, w.f
	w.target = target
	data := w.pend
	w.pend = w.spare[:0]
	w.mu.Unlock()
	var err error
	if len(data) > 0 {
		if _, werr := f.Write(data); werr != nil {
			err = fmt.Errorf("writing the log: %w", werr)
		}
	}
	if err == nil {
		if serr := datasync(f); serr != nil {
			err = fmt.Errorf("syncing the log: %w", serr)
		}
		syncs.Add(1)
	}
	w.mu.Lock()
	if len(w.pend) == 0 { // keep the larger buffer in use
		w.pend, data = data[:0], w.pend
	}
	w.spare = data[:0]
	w.syncing = false
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		w.wakeAll()
		return
	}
	if target > w.synced {
		w.synced = target
	}
	w.groups[w.gen&1].Broadcast()
	if w.waiting[(w.gen+1)&1] > 0 {
		// One waiter of the next sync wakes to lead it. The count may include waiters
		// of the sync before, woken and not yet run; they are off the condition's list,
		// so the signal reaches a real waiter whenever there is one.
		w.groups[(w.gen+1)&1].Signal()
	}
	w.idle.Broadcast()
}

// wakeAll wakes every waiter: after a failure, or a sync outside the group commit (Rotate,
// Close) that covers waiters of any group.
func (w *Writer) wakeAll() {
	w.groups[0].Broadcast()
	w.groups[1].Broadcast()
	w.idle.Broadcast()
	w.arrive.Broadcast()
}

// LastSeq is the sequence number of the last record appended.
func (w *Writer) LastSeq() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.nextSeq - 1
}

// Sync makes every record appended so far durable.
func (w *Writer) Sync() error { return w.WaitSynced(w.LastSeq()) }

// Total is the number of bytes appended since the last Rotate.
func (w *Writer) Total() int64 { return w.total.Load() }

// Segment is the number of the segment being written.
func (w *Writer) Segment() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.segment
}

// Err is the sticky error, if a write or sync failed.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Rotate syncs and closes the current segment and starts the next one; it returns the
// number of the segment it closed. Appends wait meanwhile.
func (w *Writer) Rotate() (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.syncing {
		w.idle.Wait()
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.f == nil {
		return 0, errors.New("the log is closed")
	}
	if err := w.flushLocked(); err != nil {
		w.wakeAll()
		return 0, err
	}
	if err := datasync(w.f); err != nil {
		w.err = fmt.Errorf("syncing the log: %w", err)
		w.wakeAll()
		return 0, w.err
	}
	w.synced = w.nextSeq - 1
	w.wakeAll()
	old := w.segment
	if err := w.f.Close(); err != nil {
		w.err = fmt.Errorf("closing the log: %w", err)
		return 0, w.err
	}
	w.f = nil
	if err := w.open(old + 1); err != nil {
		w.err = fmt.Errorf("starting log segment %d: %w", old+1, err)
		return 0, w.err
	}
	w.total.Store(0)
	return old, nil
}

// SyncEvery syncs the log every interval until Close.
func (w *Writer) SyncEvery(interval time.Duration) {
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(w.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				_ = w.Sync() // a failure is sticky and reported by the next write
			}
		}
	}()
}

// Close syncs and closes the log; it is idempotent.
func (w *Writer) Close() error {
	if w.stop != nil {
		close(w.stop)
		<-w.done
		w.stop = nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.syncing {
		w.idle.Wait()
	}
	if w.f == nil {
		return w.err
	}
	err := w.flushLocked()
	if err == nil {
		err = datasync(w.f)
	}
	if err == nil {
		w.synced = w.nextSeq - 1
	}
	defer w.wakeAll()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}

// SyncDir makes the creation, renaming or removal of a file in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// datasync flushes a file's data (and the metadata needed to read it back) to disk. The
// descriptor is used directly (a log file is a regular, blocking file, so Fd changes
// nothing): every caller holds the Writer's lock or is its one leader, and Close waits for
// the leader, so the file cannot be closed under the call.
func datasync(f *os.File) error {
	if err := fdatasync(f.Fd()); err != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
	}
	return nil
}

// ErrLocked is returned by Lock when another open holds the directory.
var ErrLocked = errors.New("the directory is open elsewhere")

// LockName is the lock file's name in a durable directory.
const LockName = "LOCK"
