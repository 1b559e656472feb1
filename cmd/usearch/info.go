package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/usearch-go/usearch"
)

// fileInfo is what usearch info reports about one index file (also its -json form).
type fileInfo struct {
	File            string `json:"file"`
	FileBytes       int64  `json:"file_bytes"`
	Metric          string `json:"metric"`
	Quantization    string `json:"quantization"`
	Dimensions      uint   `json:"dimensions"`
	Connectivity    uint   `json:"connectivity"`
	Multi           bool   `json:"multi"`
	Vectors         uint   `json:"vectors"`
	Removed         uint   `json:"removed"`
	Nodes           uint   `json:"nodes"`
	Edges           uint   `json:"edges"`
	MaxLevel        int    `json:"max_level"`
	LevelNodes      []uint `json:"level_nodes"`
	LevelEdges      []uint `json:"level_edges"`
	ExpansionAdd    uint   `json:"expansion_add"`
	ExpansionSearch uint   `json:"expansion_search"`
	MemoryBytes     uint   `json:"memory_bytes"`
	Loaded          bool   `json:"loaded"` // MemoryBytes is for a loaded index, not a memory-mapped view
}

func runInfo(args []string, stdout, stderr io.Writer) error {
	var asJSON, load bool
	fs := newFlags("info", "[-json] [-load] FILE|DIR...", stderr)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object per file")
	fs.BoolVar(&load, "load", false, "load each file into memory (instead of memory-mapping it) to report the memory a loaded index takes")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErrorf(fs, "name at least one index FILE")
	}
	enc := json.NewEncoder(stdout)
	for i, path := range fs.Args() {
		if i > 0 && !asJSON {
			fmt.Fprintln(stdout)
		}
		if err := infoPath(path, load, asJSON, enc, stdout); err != nil {
			return err
		}
	}
	return nil
}

// describe reads the configuration from the header first (Metadata does not load the
// file), then memory-maps (or loads) the file for the graph statistics.
func describe(path string, load bool) (fileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return fileInfo{}, pathError(path, err)
	}
	conf, err := usearch.Metadata(path)
	if err != nil {
		return fileInfo{}, fileErr(path, err)
	}
	info := fileInfo{
		File: path, FileBytes: st.Size(), Metric: conf.Metric.String(), Quantization: strings.ToLower(conf.Quantization.String()),
		Dimensions: conf.Dimensions, Multi: conf.Multi, Loaded: load,
	}
	idx, err := usearch.NewIndex(conf)
	if err != nil {
		return fileInfo{}, fileErr(path, err)
	}
	defer idx.Close()
	if load {
		err = idx.Load(path)
	} else {
		err = idx.View(path)
	}
	if err != nil {
		return fileInfo{}, fileErr(path, err)
	}
	stats, err := indexStats(idx)
	if err != nil {
		return fileInfo{}, fileErr(path, err)
	}
	info.Vectors, _ = idx.Len()
	info.Connectivity, _ = idx.Connectivity()
	info.ExpansionAdd, _ = idx.ExpansionAdd()
	info.ExpansionSearch, _ = idx.ExpansionSearch()
	info.Removed, info.Nodes, info.Edges = stats.Removed, stats.Nodes, stats.Edges
	info.MaxLevel, info.LevelNodes, info.LevelEdges = stats.MaxLevel, stats.LevelNodes, stats.LevelEdges
	info.MemoryBytes = stats.MemoryBytes
	return info, nil
}

func printInfo(w io.Writer, in fileInfo) {
	multi := ""
	if in.Multi {
		multi = ", several vectors per key"
	}
	fmt.Fprintf(w, "%s\n", in.File)
	fmt.Fprintf(w, "  file:          %s\n", bytesText(uint64(in.FileBytes)))
	fmt.Fprintf(w, "  configuration: %s, %s, %d dimensions, connectivity %d%s\n", in.Metric, in.Quantization, in.Dimensions, in.Connectivity, multi)
	fmt.Fprintf(w, "  vectors:       %d live, %d removed (still in the graph)\n", in.Vectors, in.Removed)
	avg := 0.0
	if in.Nodes > 0 {
		avg = float64(in.Edges) / float64(in.Nodes)
	}
	fmt.Fprintf(w, "  graph:         %d nodes, %d edges (%.1f per node), top level %d\n", in.Nodes, in.Edges, avg, in.MaxLevel)
	for l := range in.LevelNodes {
		fmt.Fprintf(w, "    level %-2d     %10d nodes %12d edges\n", l, in.LevelNodes[l], in.LevelEdges[l])
	}
	how := "memory-mapped view"
	if in.Loaded {
		how = "loaded"
	}
	fmt.Fprintf(w, "  memory:        %s (%s)\n", bytesText(uint64(in.MemoryBytes)), how)
	fmt.Fprintf(w, "  expansion:     not stored in index files; a search uses %d (the default; search -expansion sets it), an add %d\n", in.ExpansionSearch, in.ExpansionAdd)
}

func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB (%d bytes)", float64(n)/(1<<30), n)
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB (%d bytes)", float64(n)/(1<<20), n)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB (%d bytes)", float64(n)/(1<<10), n)
	}
	return fmt.Sprintf("%d bytes", n)
}

// indexStats is the graph walk; kept here with the other library calls' wrappers.
func indexStats(idx *usearch.Index) (usearch.IndexStats, error) { return idx.Stats() }
