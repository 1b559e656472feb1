package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/usearch-go/usearch/internal/wal"
)

// dirInfo is what usearch info reports about a durable index directory (OpenDurable; see
// docs/durability.md): its checkpoint and the log after it.
type dirInfo struct {
	Dir        string         `json:"dir"`
	Checkpoint *fileInfo      `json:"checkpoint"` // nil before the first checkpoint
	Segments   []segmentInfo  `json:"segments"`
	LogBytes   int64          `json:"log_bytes"`
	Records    map[string]int `json:"records"` // by type: add, remove, rename, clear, checkpoint
	Locked     bool           `json:"locked"`  // an index has the directory open now
}

type segmentInfo struct {
	File     string `json:"file"`
	Bytes    int64  `json:"bytes"`
	Records  int    `json:"records"`
	FirstSeq uint64 `json:"first_seq"`
	Strict   bool   `json:"synced_per_record"`
	Torn     string `json:"torn,omitempty"` // why the tail would be dropped on reopen
}

// describeDir reads a durable directory without opening it (so it works while a process
// has it open): the checkpoint as describe reports a file, and every log segment's records.
func describeDir(dir string, load bool) (dirInfo, error) {
	info := dirInfo{Dir: dir, Records: map[string]int{}}
	maxBody := uint32(math.MaxUint32)
	ckpt := filepath.Join(dir, "index.usearch")
	if _, err := os.Stat(ckpt); err == nil {
		fi, err := describe(ckpt, load)
		if err != nil {
			return info, err
		}
		info.Checkpoint = &fi
		maxBody = uint32(min(18+8*uint64(fi.Dimensions), math.MaxUint32))
	}
	segs, err := wal.Segments(dir)
	if err != nil {
		return info, err
	}
	if info.Checkpoint == nil && len(segs) == 0 {
		return info, fmt.Errorf("%s: neither an index file nor a durable index directory (no index.usearch, no log segments)", dir)
	}
	for i, n := range segs {
		path := filepath.Join(dir, wal.SegmentName(n))
		s, err := wal.ReadSegment(path, i == len(segs)-1, maxBody, func(r wal.Record) error {
			info.Records[wal.TypeName(r.Type)]++
			return nil
		})
		if err != nil {
			return info, err
		}
		si := segmentInfo{File: wal.SegmentName(n), Bytes: s.Size, Records: s.Records, FirstSeq: s.Header.FirstSeq, Strict: s.Header.Strict}
		if s.Torn {
			si.Torn = fmt.Sprintf("%d bytes from offset %d: %s", s.Size-s.ValidEnd, s.ValidEnd, s.TornWhy)
		}
		info.Segments = append(info.Segments, si)
		info.LogBytes += s.Size
	}
	// A probe of the lock: taking it succeeds only when no index has the directory open.
	if release, err := wal.Lock(dir); err == nil {
		release()
	} else {
		info.Locked = true
	}
	return info, nil
}

func printDirInfo(w io.Writer, in dirInfo) {
	fmt.Fprintf(w, "%s (durable index directory)\n", in.Dir)
	if in.Locked {
		fmt.Fprintf(w, "  open:          yes, an index has it open now (the log may be growing)\n")
	}
	if in.Checkpoint == nil {
		fmt.Fprintf(w, "  checkpoint:    none yet\n")
	} else {
		fmt.Fprintf(w, "  checkpoint:    index.usearch, %s, %d vectors\n", bytesText(uint64(in.Checkpoint.FileBytes)), in.Checkpoint.Vectors)
	}
	total := 0
	for _, n := range in.Records {
		total += n
	}
	fmt.Fprintf(w, "  log:           %d segments, %s, %d records", len(in.Segments), bytesText(uint64(in.LogBytes)), total)
	for _, t := range []string{"add", "remove", "rename", "clear", "checkpoint"} {
		if in.Records[t] > 0 {
			fmt.Fprintf(w, ", %d %s", in.Records[t], t)
		}
	}
	fmt.Fprintln(w)
	for _, s := range in.Segments {
		fmt.Fprintf(w, "    %s  %12s  %8d records from #%d", s.File, bytesText(uint64(s.Bytes)), s.Records, s.FirstSeq)
		if s.Torn != "" {
			fmt.Fprintf(w, "  torn tail: %s", s.Torn)
		}
		fmt.Fprintln(w)
	}
	if in.Checkpoint != nil {
		fmt.Fprintln(w)
		printInfo(w, *in.Checkpoint)
	}
}

// infoPath describes path: an index file, or a durable index directory.
func infoPath(path string, load, asJSON bool, enc *json.Encoder, stdout io.Writer) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		info, err := describeDir(path, load)
		if err != nil {
			return err
		}
		if asJSON {
			return enc.Encode(info)
		}
		printDirInfo(stdout, info)
		return nil
	}
	info, err := describe(path, load)
	if err != nil {
		return err
	}
	if asJSON {
		return enc.Encode(info)
	}
	printInfo(stdout, info)
	return nil
}
