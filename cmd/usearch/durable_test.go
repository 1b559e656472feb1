package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/usearch-go/usearch"
)

func TestInfoDurable(t *testing.T) {
	dir := t.TempDir()
	conf := usearch.IndexConfig{Dimensions: 4, Metric: usearch.L2sq}
	idx, err := usearch.OpenDurable(dir, conf, usearch.DurableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k := usearch.Key(0); k < 30; k++ {
		if err := idx.Add(k, []float32{float32(k), 1, 2, 3}); err != nil {
			t.Fatal(err)
		}
	}
	if err := idx.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	for k := usearch.Key(30); k < 42; k++ {
		if err := idx.Add(k, []float32{float32(k), 1, 2, 3}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []usearch.Key{1, 2, 3} {
		if err := idx.Remove(k); err != nil {
			t.Fatal(err)
		}
	}
	if err := idx.Rename(4, 400); err != nil {
		t.Fatal(err)
	}

	out, _ := mustCLI(t, "info", "-json", dir)
	var open dirInfo
	if err := json.Unmarshal([]byte(out), &open); err != nil {
		t.Fatal(err)
	}
	if !open.Locked {
		t.Errorf("an open directory is reported closed: %+v", open)
	}
	idx.Close()

	out, _ = mustCLI(t, "info", "-json", dir)
	var in dirInfo
	if err := json.Unmarshal([]byte(out), &in); err != nil {
		t.Fatal(err)
	}
	// The checkpoint holds the first 30; the log after it the 12 adds, 3 removes, the rename
	// and the checkpoint's own record.
	if in.Locked || in.Checkpoint == nil || in.Checkpoint.Vectors != 30 || in.Checkpoint.Dimensions != 4 {
		t.Errorf("checkpoint: %+v", in)
	}
	want := map[string]int{"add": 12, "remove": 3, "rename": 1, "checkpoint": 1}
	for k, n := range want {
		if in.Records[k] != n {
			t.Errorf("records %v, want %v", in.Records, want)
			break
		}
	}
	if len(in.Segments) != 1 || in.LogBytes != in.Segments[0].Bytes || in.Segments[0].Records != 17 || !in.Segments[0].Strict {
		t.Errorf("segments %+v", in.Segments)
	}

	text, _ := mustCLI(t, "info", dir)
	for _, w := range []string{"durable index directory", "checkpoint:    index.usearch", "17 records, 12 add, 3 remove, 1 rename, 1 checkpoint", "wal-", "30 live"} {
		if !strings.Contains(text, w) {
			t.Errorf("info output lacks %q:\n%s", w, text)
		}
	}
	if code, _, errs := cli(t, "info", t.TempDir()); code != 1 || !strings.Contains(errs, "durable index directory") {
		t.Errorf("an empty directory: exit %d, %q", code, errs)
	}
}
