package usearch

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/usearch-go/usearch/internal/wal"
)

// SyncMode says when a durable index's log reaches the disk.
type SyncMode int

const (
	SyncAlways   SyncMode = iota // a write returns only once it is on disk; concurrent writers share one sync
	SyncInterval                 // the log is synced every DurableOptions.SyncInterval
	SyncNever                    // left to the operating system
)

func (m SyncMode) String() string {
	switch m {
	case SyncAlways:
		return "SyncAlways"
	case SyncInterval:
		return "SyncInterval"
	case SyncNever:
		return "SyncNever"
	}
	return fmt.Sprintf("SyncMode(%d)", int(m))
}

// DurableOptions configures OpenDurable.
type DurableOptions struct {
	Sync            SyncMode
	SyncInterval    time.Duration
	CheckpointBytes int64 // log size that triggers an automatic checkpoint; 0 = a default
}

// DefaultCheckpointBytes is the log size after which a durable index checkpoints by itself
// when DurableOptions.CheckpointBytes is 0: about 160 000 adds of 96 float32 dimensions,
// whose replay on reopen costs one graph insert each.
const DefaultCheckpointBytes = 64 << 20

// ErrLocked is returned by OpenDurable when the directory is already open, in this process
// (under any path naming it) or in another.
var ErrLocked = errors.New("durable index directory is locked by another open")

// Files of a durable directory (see docs/durability.md).
const (
	checkpointName = "index.usearch"
	checkpointTemp = "index.usearch.tmp"
)

// durable is the log side of an index opened with OpenDurable.
type durable struct {
	dir    string
	opts   DurableOptions
	limit  int64 // CheckpointBytes in effect
	log    *wal.Writer
	unlock func() error

	// stripes order the writes of one key: a write holds its key's stripe (a Rename both)
	// from applying it to the index until its record is appended, so the log holds the
	// writes of a key in the order they were applied. Writers whose keys share a stripe
	// wait for each other's graph insert, hence many stripes.
	stripes [1024]sync.Mutex

	broken atomic.Bool // the log failed; writes are refused

	ckptMu  sync.Mutex  // serializes checkpoints (and Close against them)
	force   atomic.Bool // the next automatic checkpoint runs even if the new log is small
	closing atomic.Bool
	trigger chan struct{}
	stop    chan struct{}
	done    chan struct{}

	closeOnce sync.Once
	closeErr  error
}

func (o DurableOptions) validate() error {
	bad := func(detail string) error { return &opError{op: "OpenDurable", detail: detail, kind: ErrInvalidConfig} }
	switch {
	case o.Sync < SyncAlways || o.Sync > SyncNever:
		return bad(fmt.Sprintf("unknown Sync %d; want SyncAlways, SyncInterval or SyncNever", int(o.Sync)))
	case o.Sync == SyncInterval && o.SyncInterval <= 0:
		return bad(fmt.Sprintf("SyncInterval is %v; SyncInterval mode needs a positive interval", o.SyncInterval))
	case o.CheckpointBytes < 0:
		return bad(fmt.Sprintf("CheckpointBytes is %d; want 0 (the default, %d) or a positive size", o.CheckpointBytes, DefaultCheckpointBytes))
	}
	return nil
}

// OpenDurable opens the durable index in dir, creating dir and an empty index when there is
// none. Every write (Add, AddI8, AddUnsafe, AddBatch, Remove, Rename, Clear) is applied to
// the index and appended to a write-ahead log before it returns; searches are unaffected.
//
// The directory holds the checkpoint dir/index.usearch in the ordinary file format (Load,
// View, Metadata and the other bindings read it), the log segments wal-NNNNNNNNNN.log that
// follow it, and the lock file LOCK. Reopening loads the checkpoint and replays the log over
// it: the index is exactly as it was after the last write that returned (after Close, the
// last write). What each SyncMode promises:
//
//   - SyncAlways: a write returns once its record is on disk (fdatasync); concurrent
//     writers share one sync (group commit): the writer that syncs first waits for writes
//     already under way on other goroutines to log their records (at most as many as it
//     already covers), so that one sync covers them too; a lone writer never waits.
//     Creating, renaming or removing a log or checkpoint file is followed by an fsync of
//     the directory (in every mode).
//   - SyncInterval, SyncNever: the record is written to the file (the operating system's
//     cache) before the write returns, so a crash of the process loses nothing; a crash of
//     the machine may lose the newest writes, synced every SyncInterval or when the system
//     chooses. What survives is a prefix of the order in which writes returned.
//
// Writes of one key are logged in the order they were applied (each holds the key's lock
// from applying until its record is appended), so replay reproduces every key's history;
// a write the index refuses (bad input, a duplicate key) is never logged. A write is
// applied before it is logged, so a concurrent search may see it before its call returns,
// as on a plain index. If the log cannot be written the call fails with ErrIO and so does
// every later write: the index may then hold that last change in memory without its
// record, and reopening gives the state of the log.
//
// Checkpoint (also run by itself once the log passes CheckpointBytes) rotates to a new log
// segment and begins a snapshot of the index while writers wait — searches go on — then
// streams the snapshot to the file while writes go on. Compact and ChangeMetricKind are followed by a checkpoint;
// ChangeMetric (a Go function, which a log cannot hold), Reset, Load, LoadBuffer,
// ReadFrom, View and ViewBuffer are refused with ErrUnsupported, as is Save into the
// directory; Save elsewhere, SaveBuffer and WriteTo work as usual. Expansions and compact
// codes are settings, not content: they come from conf (and later calls) on every open.
//
// conf must match the directory's Dimensions, Metric, Quantization and Multi
// (ErrInvalidConfig naming the field otherwise); bad options are ErrInvalidConfig too. A
// second OpenDurable of an open directory fails with ErrLocked. A log whose last record was
// torn by a crash is cut before it, with a warning on log/slog's default logger; damage
// anywhere else fails the open with ErrInvalidFile naming the file and offset.
//
// Close syncs and closes the log (it does not checkpoint) and releases the directory. An
// index dropped without Close keeps its files locked until the process exits.
func OpenDurable(dir string, conf IndexConfig, opts DurableOptions) (*Index, error) {
	idx := &Index{}
	if err := idx.openDurable(dir, conf, opts); err != nil {
		return nil, err
	}
	return idx, nil
}

// OpenDurableOf is OpenDurable for an index taking vectors of type T; every typed write is
// logged the same way.
func OpenDurableOf[T Scalar](dir string, conf IndexConfig, opts DurableOptions) (*IndexOf[T], error) {
	idx := &IndexOf[T]{}
	if err := idx.openDurable(dir, conf, opts); err != nil {
		return nil, err
	}
	return idx, nil
}

// Checkpoint writes the index to dir/index.usearch atomically (a temporary file, fsync,
// rename, fsync of the directory) and drops the log segments it covers. Writers wait only
// while the log switches to a new segment and a snapshot of the index begins; the snapshot
// then streams to the file while writes go on (each keeps a copy of what it changes of the
// snapshot's nodes, memory that is freed when the file is written); searches never wait.
// Concurrent calls run one after the other. It fails with ErrUnsupported on an index not
// opened with OpenDurable.
func (b *base) Checkpoint() error {
	if b.durable == nil {
		return &opError{op: "Checkpoint", detail: "the index is not durable (open it with OpenDurable)", kind: ErrUnsupported}
	}
	return b.durable.checkpoint(b, "Checkpoint")
}

func (b *base) openDurable(dir string, conf IndexConfig, opts DurableOptions) (err error) {
	const op = "OpenDurable"
	if err := opts.validate(); err != nil {
		return err
	}
	if err := conf.validate(); err != nil {
		return err
	}
	fail := func(what string, err error) error {
		var ce *wal.CorruptError
		switch {
		case errors.As(err, &ce):
			return &opError{op: op, detail: ce.Error(), kind: ErrInvalidFile}
		case errors.Is(err, wal.ErrLocked):
			return &opError{op: op, detail: err.Error(), kind: ErrLocked}
		}
		var oe *opError
		if errors.As(err, &oe) {
			return err
		}
		return &opError{op: op, detail: what + ": " + err.Error(), kind: ErrIO}
	}
	if err := b.open(conf); err != nil { // first: without cgo, fail before touching dir
		return err
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		b.Close()
		return fail("creating the directory", err)
	}
	unlock, err := wal.Lock(dir)
	if err != nil {
		b.Close()
		return fail("locking the directory", err)
	}
	defer func() {
		if err != nil {
			if b.durable != nil {
				b.durable.closing.Store(true)
			}
			b.Close()
			if b.durable != nil && b.durable.log != nil {
				b.durable.log.Close()
			}
			unlock()
			b.durable = nil
		}
	}()
	d := &durable{dir: dir, opts: opts, limit: opts.CheckpointBytes, unlock: unlock,
		trigger: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if d.limit == 0 {
		d.limit = DefaultCheckpointBytes
	}
	os.Remove(filepath.Join(dir, checkpointTemp)) // a checkpoint that never got renamed
	rep, err := b.recover(dir, conf)
	if err != nil {
		return fail("recovering", err)
	}
	strict := opts.Sync == SyncAlways
	if d.log, err = wal.Create(dir, rep.nextSegment, rep.nextSeq, strict, walConfig(conf)); err != nil {
		return fail("starting the log", err)
	}
	if opts.Sync == SyncInterval {
		d.log.SyncEvery(opts.SyncInterval)
	}
	b.durable = d
	if !rep.checkpointed {
		if err := d.checkpoint(b, op); err != nil {
			return err
		}
	}
	go d.background(b)
	if rep.replayedBytes >= d.limit { // the replayed log was long: fold it into the checkpoint
		d.force.Store(true)
		d.request()
	}
	return nil
}

func walConfig(c IndexConfig) wal.Config {
	return wal.Config{Dimensions: uint64(c.Dimensions), Metric: uint8(c.Metric), Quantization: uint8(c.Quantization), Multi: c.Multi}
}

// maxRecordBody bounds a plausible record for this index: an add of float64 input.
func maxRecordBody(dims uint) uint32 {
	return uint32(min(18+8*uint64(dims), math.MaxUint32))
}

// recovery is what recover found.
type recovery struct {
	checkpointed  bool   // index.usearch exists
	nextSegment   uint64 // number of the segment to start
	nextSeq       uint64
	replayedBytes int64
}

// marker is a checkpoint record: the checkpoint that covers segments up to covered was
// size bytes long with CRC32C crc.
type marker struct {
	covered, size uint64
	crc           uint32
}

// inconsistent reports a checkpoint and log that do not belong together.
func inconsistent(format string, args ...any) error {
	return &opError{op: "OpenDurable", detail: fmt.Sprintf(format, args...), kind: ErrInvalidFile}
}

// recover loads the checkpoint, replays the log after it, cuts a torn tail and removes the
// files a finished checkpoint left behind. The rules are in docs/durability.md.
func (b *base) recover(dir string, conf IndexConfig) (recovery, error) {
	var rep recovery
	segs, err := wal.Segments(dir)
	if err != nil {
		return rep, err
	}
	ckpt := filepath.Join(dir, checkpointName)
	st, statErr := os.Stat(ckpt)
	rep.checkpointed = statErr == nil
	if statErr != nil && !errors.Is(statErr, os.ErrNotExist) {
		return rep, statErr
	}
	if rep.checkpointed {
		got, err := Metadata(ckpt)
		if err != nil {
			return rep, err
		}
		if err := sameShape(got, conf, ckpt); err != nil {
			return rep, err
		}
	}
	maxBody := maxRecordBody(conf.Dimensions)

	// Pass 1: check every segment and collect the checkpoint records.
	var markers []marker
	infos := make([]wal.Segment, len(segs))
	lastSeq := uint64(0)
	for i, n := range segs {
		path := filepath.Join(dir, wal.SegmentName(n))
		info, err := wal.ReadSegment(path, i == len(segs)-1, maxBody, func(r wal.Record) error {
			if r.Type == wal.RecCheckpoint {
				if len(r.Payload) != 20 {
					return &wal.CorruptError{File: path, Offset: r.Offset, Reason: "checkpoint record of the wrong size"}
				}
				markers = append(markers, marker{covered: binary.LittleEndian.Uint64(r.Payload), size: binary.LittleEndian.Uint64(r.Payload[8:]),
					crc: binary.LittleEndian.Uint32(r.Payload[16:])})
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		infos[i] = info
		if !info.HeaderOK {
			continue
		}
		if info.Header.Segment != n {
			return rep, &wal.CorruptError{File: path, Reason: fmt.Sprintf("the header names segment %d", info.Header.Segment)}
		}
		if err := sameLogShape(info.Header.Config, conf, path); err != nil {
			return rep, err
		}
		if i > 0 && infos[i-1].HeaderOK {
			if n != segs[i-1]+1 {
				return rep, &wal.CorruptError{File: path, Reason: fmt.Sprintf("segment %d is missing", segs[i-1]+1)}
			}
			if info.Header.FirstSeq != lastSeq+1 {
				return rep, &wal.CorruptError{File: path, Reason: fmt.Sprintf("the segment starts at record %d, but the previous one ended at %d", info.Header.FirstSeq, lastSeq)}
			}
		}
		lastSeq = info.LastSeq
	}

	// Which segments the checkpoint covers.
	covered := uint64(0)
	switch {
	case !rep.checkpointed:
		if len(segs) > 0 && segs[0] != 1 {
			return rep, inconsistent("%s is missing, and the log starts at segment %d", ckpt, segs[0])
		}
	case len(markers) == 0:
		if len(segs) > 0 {
			covered = segs[0] - 1 // an index file put into a directory: it covers nothing present
		}
	default:
		slices.SortFunc(markers, func(a, b marker) int { return cmp.Compare(b.covered, a.covered) })
		if newest := markers[0]; len(segs) == 0 || segs[0] > newest.covered {
			// Segments are removed only after the rename, so the newest checkpoint is the file.
			if uint64(st.Size()) != newest.size {
				return rep, inconsistent("%s has %d bytes, but the log recorded the checkpoint as %d bytes", ckpt, st.Size(), newest.size)
			}
			covered = newest.covered
			break
		}
		// A checkpoint was interrupted between writing its record and removing the segments
		// it covers: the file's checksum tells whether its rename happened.
		size, crc, err := fileCRC(ckpt)
		if err != nil {
			return rep, err
		}
		found := false
		for _, m := range markers {
			if m.size == size && m.crc == crc {
				covered, found = m.covered, true
				break
			}
		}
		if !found {
			return rep, inconsistent("%s (%d bytes, CRC32C %08x) matches none of the %d checkpoints the log records", ckpt, size, crc, len(markers))
		}
	}

	if rep.checkpointed {
		if err := b.Load(ckpt); err != nil {
			return rep, err
		}
	}

	// Pass 2: replay what the checkpoint does not cover.
	rp := &replayer{b: b, threads: runtime.GOMAXPROCS(0)}
	for i, n := range segs {
		if n <= covered || !infos[i].HeaderOK {
			continue
		}
		path := filepath.Join(dir, wal.SegmentName(n))
		_, err := wal.ReadSegment(path, i == len(segs)-1, maxBody, func(r wal.Record) error {
			return rp.push(path, r)
		})
		if err == nil {
			err = rp.flush()
		}
		if err != nil {
			return rep, err
		}
		rep.replayedBytes += infos[i].ValidEnd
	}
	b.live.Store(int64(coreLen(b.h)))

	// Cut a torn tail so that the segment ends with a whole record, and start after it.
	rep.nextSegment, rep.nextSeq = covered+1, lastSeq+1
	if len(segs) > 0 {
		last := infos[len(segs)-1]
		rep.nextSegment = max(segs[len(segs)-1]+1, covered+1)
		switch {
		case !last.HeaderOK:
			// A crash while a new segment was created (a rotation or this recovery's own):
			// the file exists with no whole header, empty or not. It holds no record; it is
			// removed and its number reused, so it never ends up between two segments, where
			// a headerless file is corruption.
			slog.Warn("usearch: dropped a log segment whose creation a crash cut off", "file", last.Path,
				"bytes", last.Size, "reason", last.TornWhy)
			if err := os.Remove(last.Path); err != nil {
				return rep, err
			}
			rep.nextSegment = segs[len(segs)-1]
		case last.Torn:
			slog.Warn("usearch: dropped the torn tail of the log (a write cut off by a crash)", "file", last.Path,
				"offset", last.ValidEnd, "bytes", last.Size-last.ValidEnd, "reason", last.TornWhy, "records_checked_after_it", last.TornCount)
			if err := truncateSync(last.Path, last.ValidEnd); err != nil {
				return rep, err
			}
		}
	}
	if rep.nextSeq == 0 {
		rep.nextSeq = 1
	}
	if err := removeSegments(dir, segs, covered); err != nil {
		return rep, err
	}
	return rep, wal.SyncDir(dir)
}

func sameShape(got, want IndexConfig, file string) error {
	diff := func(field string, got, want any) error {
		return &opError{op: "OpenDurable", detail: fmt.Sprintf("%s: the directory's checkpoint %s has %v, the configuration asks for %v", field, file, got, want), kind: ErrInvalidConfig}
	}
	switch {
	case got.Dimensions != want.Dimensions:
		return diff("Dimensions", got.Dimensions, want.Dimensions)
	case got.Metric != want.Metric:
		return diff("Metric", got.Metric, want.Metric)
	case got.Quantization != want.Quantization:
		return diff("Quantization", got.Quantization, want.Quantization)
	case got.Multi != want.Multi:
		return diff("Multi", got.Multi, want.Multi)
	}
	return nil
}

// sameLogShape checks a segment's header; the metric is not compared, since
// ChangeMetricKind changes it (the checkpoint that follows records it).
func sameLogShape(got wal.Config, want IndexConfig, file string) error {
	diff := func(field string, got, want any) error {
		return &opError{op: "OpenDurable", detail: fmt.Sprintf("%s: the log segment %s has %v, the configuration asks for %v", field, file, got, want), kind: ErrInvalidConfig}
	}
	switch {
	case got.Dimensions != uint64(want.Dimensions):
		return diff("Dimensions", got.Dimensions, want.Dimensions)
	case Quantization(got.Quantization) != want.Quantization:
		return diff("Quantization", Quantization(got.Quantization), want.Quantization)
	case got.Multi != want.Multi:
		return diff("Multi", got.Multi, want.Multi)
	}
	return nil
}

// replayer applies log records to an index no one else uses yet, on several threads:
// records of different keys commute (the content after them does not depend on their
// order), so a batch is split by key over the threads, each applying its keys' records in
// log order. Clear, and a Rename whose two keys fall to different threads, are applied
// alone between batches.
type replayer struct {
	b       *base
	threads int
	batch   []replayItem
	bufs    [][]uint64
}

type replayItem struct {
	path string
	r    wal.Record
}

const replayBatch = 1 << 13

func (p *replayer) owner(k Key) int { return int(((k * 0x9E3779B97F4A7C15) >> 40) % uint64(p.threads)) }

// ownerOf is the thread of a record, or -1 for one that must run alone.
func (p *replayer) ownerOf(r wal.Record) int {
	switch {
	case r.Type == wal.RecClear:
		return -1
	case r.Type == wal.RecRename && len(r.Payload) == 16:
		a, b := p.owner(binary.LittleEndian.Uint64(r.Payload)), p.owner(binary.LittleEndian.Uint64(r.Payload[8:]))
		if a != b {
			return -1
		}
		return a
	case len(r.Payload) >= 8:
		return p.owner(binary.LittleEndian.Uint64(r.Payload))
	}
	return -1 // malformed: replay reports it
}

func (p *replayer) push(path string, r wal.Record) error {
	if r.Type == wal.RecCheckpoint {
		return nil
	}
	if p.ownerOf(r) < 0 {
		if err := p.flush(); err != nil {
			return err
		}
		return p.apply(0, replayItem{path, r})
	}
	p.batch = append(p.batch, replayItem{path, r})
	if len(p.batch) >= replayBatch {
		return p.flush()
	}
	return nil
}

func (p *replayer) apply(thread int, it replayItem) error {
	for len(p.bufs) <= thread {
		p.bufs = append(p.bufs, nil)
	}
	if err := p.b.replay(it.r, &p.bufs[thread]); err != nil {
		return &wal.CorruptError{File: it.path, Offset: it.r.Offset, Reason: fmt.Sprintf("%s record %d cannot be replayed: %v", wal.TypeName(it.r.Type), it.r.Seq, err)}
	}
	return nil
}

// flush applies the batch and reports the failure of the earliest record that failed.
func (p *replayer) flush() error {
	batch := p.batch
	p.batch = p.batch[:0]
	if len(batch) == 0 {
		return nil
	}
	if p.threads == 1 || len(batch) < 64 {
		for _, it := range batch {
			if err := p.apply(0, it); err != nil {
				return err
			}
		}
		return nil
	}
	for len(p.bufs) < p.threads {
		p.bufs = append(p.bufs, nil)
	}
	failedAt := make([]int, p.threads)
	errs := make([]error, p.threads)
	var wg sync.WaitGroup
	for t := 0; t < p.threads; t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, it := range batch {
				if p.ownerOf(it.r) != t {
					continue
				}
				if err := p.apply(t, it); err != nil {
					failedAt[t], errs[t] = i, err
					return
				}
			}
		}()
	}
	wg.Wait()
	first := -1
	for t, err := range errs {
		if err != nil && (first < 0 || failedAt[t] < failedAt[first]) {
			first = t
		}
	}
	if first >= 0 {
		return errs[first]
	}
	return nil
}

// replay applies one log record to the index; buf is the thread's aligned scratch.
func (b *base) replay(r wal.Record, buf *[]uint64) error {
	p := r.Payload
	var need int
	switch r.Type {
	case wal.RecAdd:
		need = 9
	case wal.RecRemove:
		need = 8
	case wal.RecRename:
		need = 16
	case wal.RecCheckpoint:
		need = 20
	}
	if len(p) < need || (r.Type != wal.RecAdd && len(p) != need) {
		return fmt.Errorf("payload of %d bytes", len(p))
	}
	h := b.h
	var st status
	switch r.Type {
	case wal.RecAdd:
		key, kind := binary.LittleEndian.Uint64(p), Quantization(p[8])
		vec := p[9:]
		if int(kind) >= len(quantizationNames) || uint(len(vec)) != kind.bytesPerVector(b.config.Dimensions) {
			return fmt.Errorf("a vector of %d bytes of kind %d", len(vec), kind)
		}
		// Copied to an aligned buffer: the record's bytes sit at any offset.
		if len(*buf)*8 < len(vec) || len(*buf) == 0 {
			*buf = make([]uint64, len(vec)/8+1)
		}
		aligned := unsafe.Slice((*byte)(unsafe.Pointer(&(*buf)[0])), len(*buf)*8)
		copy(aligned, vec)
		st = coreAdd(h, key, unsafe.Pointer(&(*buf)[0]), kind)
	case wal.RecRemove:
		_, st = coreRemove(h, binary.LittleEndian.Uint64(p))
	case wal.RecRename:
		_, st = coreRename(h, binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:]))
	case wal.RecClear:
		st = coreClear(h, false)
	}
	if !st.ok() {
		return fmt.Errorf("%w: %s", st.kind, st.msg)
	}
	return nil
}

func fileCRC(path string) (uint64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	h := crc32.New(wal.Castagnoli)
	n, err := io.Copy(h, f)
	return uint64(n), h.Sum32(), err
}

func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeSegments deletes the segments a checkpoint covers, oldest first.
func removeSegments(dir string, segs []uint64, covered uint64) error {
	for _, n := range segs {
		if n > covered {
			break
		}
		if err := os.Remove(filepath.Join(dir, wal.SegmentName(n))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// ---- writes ----

func (d *durable) stripe(k Key) *sync.Mutex { return &d.stripes[(k*0x9E3779B97F4A7C15)>>54] }

func (d *durable) brokenError(op string) error {
	return &opError{op: op, detail: "the write-ahead log failed earlier (" + errString(d.log.Err()) + "); reopen the index", kind: ErrIO}
}

func errString(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

// logged finishes a write whose record was appended as seq: it waits for the disk under
// SyncAlways (unless wait is false: AddBatch syncs once at its end) and may start an
// automatic checkpoint.
func (d *durable) logged(op string, seq uint64, err error, wait bool) error {
	if err == nil && wait && d.opts.Sync == SyncAlways {
		err = d.log.WaitSynced(seq)
	}
	if err != nil {
		d.broken.Store(true)
		return &opError{op: op, detail: "the write-ahead log failed: " + err.Error(), kind: ErrIO}
	}
	if d.log.Total() >= d.limit {
		d.request()
	}
	return nil
}

// durableAdd applies and logs one add; the caller holds the write lock and has checked the
// input. vec holds size bytes of kind q.
func (b *base) durableAdd(h handle, op string, key Key, vec unsafe.Pointer, q Quantization, size int) error {
	d := b.durable
	if d.broken.Load() {
		return d.brokenError(op)
	}
	if size > int(maxRecordBody(b.config.Dimensions))-18 {
		return &opError{op: op, detail: fmt.Sprintf("a vector of %d bytes is too large for a log record", size), kind: ErrInvalidArgument}
	}
	// A write that will wait for the disk is announced from before its graph insert until
	// its record is appended: a sync leader that sees it in flight may wait for it, so that
	// one sync covers both (group commit; internal/wal/wal.go, Writer). Rows of a batch
	// sync once at its end and are not announced.
	wait := op != "AddBatch"
	announce := wait && d.opts.Sync == SyncAlways
	if announce {
		d.log.Begin()
	}
	m := d.stripe(key)
	m.Lock()
	if st := b.add(h, key, vec, q); !st.ok() {
		m.Unlock()
		if announce {
			d.log.End()
		}
		return b.callError(op, st, fmt.Sprintf("key %d", key))
	}
	b.live.Add(1)
	var head [9]byte
	binary.LittleEndian.PutUint64(head[:], key)
	head[8] = byte(q)
	seq, err := d.log.Append(wal.RecAdd, head[:], unsafe.Slice((*byte)(vec), size))
	m.Unlock()
	if announce {
		d.log.End()
	}
	return d.logged(op, seq, err, wait)
}

// durableRemove applies and logs a Remove. Removing an absent key is not logged, but still
// waits until every earlier record is on disk, so that what the caller saw is durable.
func (b *base) durableRemove(h handle, key Key) error {
	const op = "Remove"
	d := b.durable
	if d.broken.Load() {
		return d.brokenError(op)
	}
	announce := d.opts.Sync == SyncAlways
	if announce {
		d.log.Begin()
	}
	m := d.stripe(key)
	m.Lock()
	n, st := coreRemove(h, key)
	if !st.ok() {
		m.Unlock()
		if announce {
			d.log.End()
		}
		return statusError(op, st, fmt.Sprintf("key %d", key))
	}
	b.live.Add(-int64(n))
	var seq uint64
	var err error
	if n > 0 {
		var rec [8]byte
		binary.LittleEndian.PutUint64(rec[:], key)
		seq, err = d.log.Append(wal.RecRemove, rec[:])
	} else {
		seq = d.log.LastSeq()
	}
	m.Unlock()
	if announce {
		d.log.End()
	}
	return d.logged(op, seq, err, true)
}

// durableRename applies and logs a Rename, holding the stripes of both keys.
func (b *base) durableRename(h handle, from, to Key) error {
	const op = "Rename"
	d := b.durable
	if d.broken.Load() {
		return d.brokenError(op)
	}
	announce := d.opts.Sync == SyncAlways
	if announce {
		d.log.Begin()
	}
	m1, m2 := d.stripe(from), d.stripe(to)
	if uintptr(unsafe.Pointer(m1)) > uintptr(unsafe.Pointer(m2)) {
		m1, m2 = m2, m1
	}
	m1.Lock()
	if m2 != m1 {
		m2.Lock()
	}
	unlock := func() {
		if m2 != m1 {
			m2.Unlock()
		}
		m1.Unlock()
		if announce {
			d.log.End()
		}
	}
	n, st := coreRename(h, from, to)
	if !st.ok() {
		unlock()
		return statusError(op, st, fmt.Sprintf("%d to %d", from, to))
	}
	var seq uint64
	var err error
	if n > 0 {
		var rec [16]byte
		binary.LittleEndian.PutUint64(rec[:], from)
		binary.LittleEndian.PutUint64(rec[8:], to)
		seq, err = d.log.Append(wal.RecRename, rec[:])
	} else {
		seq = d.log.LastSeq()
	}
	unlock()
	return d.logged(op, seq, err, true)
}

// logClear logs a Clear; the caller holds the index exclusively and has applied it.
func (d *durable) logClear() error {
	seq, err := d.log.Append(wal.RecClear)
	return d.logged("Clear", seq, err, true)
}

// syncBatch makes the rows of an AddBatch durable once, at its end.
func (d *durable) syncBatch(err error) error {
	if d.opts.Sync != SyncAlways || d.broken.Load() {
		return err
	}
	if serr := d.log.Sync(); serr != nil {
		d.broken.Store(true)
		return errors.Join(err, &opError{op: "AddBatch", detail: "the write-ahead log failed: " + serr.Error(), kind: ErrIO})
	}
	return err
}

// refuse is the error of a call a durable index does not allow.
func (d *durable) refuse(op, why string) error {
	return &opError{op: op, detail: "refused on a durable index: " + why, kind: ErrUnsupported}
}

func (d *durable) refuseLoad(op string) error {
	return d.refuse(op, "its content comes from its directory's checkpoint and log (close it, or load into a plain index)")
}

// checkSavePath refuses a Save into the durable directory, whose checkpoint must stay the
// one the log's records describe.
func (d *durable) checkSavePath(path string) error {
	a, err1 := os.Stat(filepath.Dir(path))
	c, err2 := os.Stat(d.dir)
	if err1 == nil && err2 == nil && os.SameFile(a, c) {
		return d.refuse("Save", "saving into the index's own directory would replace files its log depends on; use Checkpoint")
	}
	return nil
}

// checkpointAfter runs a checkpoint once a call that changed the index in a way the log does
// not record (Compact, ChangeMetricKind) succeeded.
func (d *durable) checkpointAfter(b *base, op string, err *error) {
	if *err != nil {
		return
	}
	if cerr := d.checkpoint(b, op); cerr != nil {
		*err = &opError{op: op, detail: "done in memory, but the checkpoint after it failed: " + cerr.Error(), kind: ErrIO}
	}
}

// ---- checkpoints ----

func (d *durable) request() {
	select {
	case d.trigger <- struct{}{}:
	default:
	}
}

func (d *durable) background(b *base) {
	defer close(d.done)
	for {
		select {
		case <-d.stop:
			return
		case <-d.trigger:
			// Writers keep asking while a checkpoint runs; the log it started is small.
			if !d.force.Swap(false) && d.log.Total() < d.limit {
				continue
			}
			if err := d.checkpoint(b, "automatic checkpoint"); err != nil && !d.closing.Load() {
				slog.Warn("usearch: automatic checkpoint failed; the log keeps growing until one succeeds", "dir", d.dir, "error", err)
			}
		}
	}
}

// checkpoint: under the gate (writers wait, searches go on) switch the log to a new segment
// and start a snapshot of the index (csrc/index.hpp, dense_index::snapshot); then, with the
// gate open, stream the snapshot's image to a temporary file while writes go on (each keeps a
// copy of what it changes of the snapshot's nodes), end the snapshot, sync the file, record
// it in the log, rename it over index.usearch and remove the segments it covers. The image
// holds exactly the writes logged in the segments before the switch, because every writer
// holds the gate from applying its write until its record is appended. Writers wait only
// for the switch (a clone of the index under the gate used to make them wait 2 s at 1M x 96;
// bench/gobench, BenchmarkDurableCheckpointWriters, measures it).
func (d *durable) checkpoint(b *base, op string) error {
	d.ckptMu.Lock()
	defer d.ckptMu.Unlock()
	if d.closing.Load() && op != "OpenDurable" {
		return closedError(op)
	}
	if d.broken.Load() {
		return d.brokenError(op)
	}
	_ = d.log.Sync() // most of the sync Rotate does, before writers wait for it
	b.gate.lock()
	h, rt, err := b.read(op)
	if err != nil {
		b.gate.unlock()
		return err
	}
	covered, err := d.log.Rotate()
	st := status{}
	if err == nil {
		st = coreSnapshotBegin(h)
	}
	b.gate.unlock()
	if err != nil {
		b.mu.runlock(rt)
		d.broken.Store(true)
		return &opError{op: op, detail: "switching to a new log segment: " + err.Error(), kind: ErrIO}
	}
	if !st.ok() {
		b.mu.runlock(rt)
		return statusError(op, st, "starting a snapshot of the index")
	}
	// The read lock is held while the image streams: Close, Compact and the other calls
	// that replace or free the content wait for it.
	stream := func(w io.Writer) error {
		var cursor saveCursor
		chunk := make([]byte, saveChunkBytes)
		for {
			n, st := coreSnapshotChunk(h, &cursor, chunk)
			if !st.ok() {
				return statusError(op, st, "copying the index")
			}
			if n == 0 {
				return nil
			}
			if _, err := w.Write(chunk[:n]); err != nil {
				return err
			}
		}
	}
	end := sync.OnceFunc(func() {
		// Ended with no write running (under the gate), which takes the gate before the
		// read lock like every writer; the copies are freed after.
		b.mu.runlock(rt)
		b.gate.lock()
		free := func() {}
		if h2, rt2, err := b.read(op); err == nil {
			free = coreSnapshotEnd(h2)
			b.mu.runlock(rt2)
		}
		b.gate.unlock()
		free()
	})
	defer end()
	return d.writeCheckpoint(op, stream, end, covered)
}

// pacedWriter syncs the file every checkpointSyncBytes: a checkpoint of hundreds of MB left
// to one final sync queued the log's own syncs (SyncAlways writers) behind all of it.
type pacedWriter struct {
	f       *os.File
	pending int
}

const checkpointSyncBytes = 16 << 20

func (p *pacedWriter) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	if p.pending += n; err == nil && p.pending >= checkpointSyncBytes {
		p.pending, err = 0, p.f.Sync()
	}
	return n, err
}

// crcWriter counts and checksums what passes through it.
type crcWriter struct {
	w   io.Writer
	crc hash.Hash32
	n   uint64
}

func (c *crcWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.crc.Write(p[:n])
	c.n += uint64(n)
	return n, err
}

// writeCheckpoint writes the image stream gives into the checkpoint's temporary file, calls
// done (the image is complete) and makes the file the checkpoint.
func (d *durable) writeCheckpoint(op string, stream func(io.Writer) error, done func(), covered uint64) error {
	ioErr := func(what string, err error) error {
		return &opError{op: op, detail: what + ": " + err.Error(), kind: ErrIO}
	}
	tmp := filepath.Join(d.dir, checkpointTemp)
	os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return ioErr("creating the checkpoint", err)
	}
	cw := &crcWriter{w: &pacedWriter{f: f}, crc: crc32.New(wal.Castagnoli)}
	err = stream(cw)
	done()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = wal.SyncDir(d.dir) // the temporary file exists for sure before the log says it does
	}
	if err != nil {
		os.Remove(tmp)
		return ioErr("writing the checkpoint", err)
	}
	// The record goes to disk before the rename: a reopen that finds the segments it covers
	// still present tells by the file's checksum whether the rename happened.
	var rec [20]byte
	binary.LittleEndian.PutUint64(rec[:], covered)
	binary.LittleEndian.PutUint64(rec[8:], cw.n)
	binary.LittleEndian.PutUint32(rec[16:], cw.crc.Sum32())
	seq, err := d.log.Append(wal.RecCheckpoint, rec[:])
	if err == nil {
		err = d.log.WaitSynced(seq)
	}
	if err != nil {
		d.broken.Store(true)
		os.Remove(tmp)
		return ioErr("recording the checkpoint in the log", err)
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, checkpointName)); err != nil {
		os.Remove(tmp)
		return ioErr("renaming the checkpoint", err)
	}
	if err := wal.SyncDir(d.dir); err != nil {
		return ioErr("syncing the directory", err)
	}
	segs, err := wal.Segments(d.dir)
	if err == nil {
		err = removeSegments(d.dir, segs, covered)
	}
	if err == nil {
		err = wal.SyncDir(d.dir)
	}
	if err != nil {
		return ioErr("removing the log segments the checkpoint covers", err)
	}
	return nil
}

// close stops the automatic checkpoints, waits for a running one, closes the index and
// then syncs and closes the log and releases the directory.
func (d *durable) close(b *base) error {
	d.closeOnce.Do(func() {
		close(d.stop)
		<-d.done
		d.ckptMu.Lock()
		d.closing.Store(true)
		d.ckptMu.Unlock()
		err := b.Close() // waits for writes in flight, which finish their records
		if lerr := d.log.Close(); err == nil && lerr != nil {
			err = &opError{op: "Close", detail: "syncing the write-ahead log: " + lerr.Error(), kind: ErrIO}
		}
		if uerr := d.unlock(); err == nil && uerr != nil {
			err = &opError{op: "Close", detail: "releasing the directory lock: " + uerr.Error(), kind: ErrIO}
		}
		d.closeErr = err
	})
	return d.closeErr
}
