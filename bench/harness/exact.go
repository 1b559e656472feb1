package main

import (
	"fmt"
	"path/filepath"
	"unsafe"

	"github.com/usearch-go/usearch"
)

// runExact times this library's brute-force search (usearch.ExactSearch, one call for
// every query, p.threads threads) on the data set: the comparison with FAISS IndexFlatL2
// (bench/faiss_exact.py). Variant u8 scans the exact pixels through ExactSearchUnsafe.
func runExact(p runParams) error {
	m, err := readMeta(p.dir)
	if err != nil {
		return err
	}
	gt, _, _, err := readBin[uint32](filepath.Join(p.dir, "gt.ibin"))
	if err != nil {
		return err
	}
	var call func() ([]usearch.Key, error)
	var q int
	switch p.variant {
	case "f32":
		base, n, d, err := readBin[float32](filepath.Join(p.dir, "base.fbin"))
		if err != nil {
			return err
		}
		queries, qs, _, err := readBin[float32](filepath.Join(p.dir, "queries.fbin"))
		if err != nil {
			return err
		}
		q = qs
		call = func() ([]usearch.Key, error) {
			keys, _, err := usearch.ExactSearch(base, queries, uint(n), uint(qs), 0, 0, uint(d), m.metric(), uint(m.K), uint(p.threads), 0, 0)
			return keys, err
		}
	case "u8":
		base, n, d, err := readBin[uint8](filepath.Join(p.dir, "base.u8bin"))
		if err != nil {
			return err
		}
		queries, qs, _, err := readBin[uint8](filepath.Join(p.dir, "queries.u8bin"))
		if err != nil {
			return err
		}
		q = qs
		call = func() ([]usearch.Key, error) {
			keys, _, err := usearch.ExactSearchUnsafe(unsafe.Pointer(&base[0]), unsafe.Pointer(&queries[0]), uint(n), uint(qs), 0, 0,
				uint(d), m.metric(), usearch.U8, uint(m.K), uint(p.threads), 0, 0)
			return keys, err
		}
	default:
		return fmt.Errorf("exact: unknown variant %q (want f32 or u8)", p.variant)
	}
	rec, err := openRecorder(p.out)
	if err != nil {
		return err
	}
	defer rec.close()
	mt := startMeter()
	var keys []usearch.Key
	passes := 0
	for {
		if keys, err = call(); err != nil {
			return fmt.Errorf("exact %s: %w", p.variant, err)
		}
		passes++
		if w, _ := mt.stop(); w >= p.minSeconds {
			break
		}
	}
	wall, cpu := mt.stop()
	ids := make([]uint32, len(keys))
	for i, k := range keys {
		ids[i] = uint32(k)
	}
	s := point{Set: m.Name, Engine: "ours", Variant: p.variant, Threads: p.threads, Repeat: p.repeat, Phase: "exact",
		Queries: passes * q, Seconds: wall, CPU: cpu, QPS: float64(passes*q) / wall, Recall: idRecall(ids, gt, m.K), Dist: -1,
		Note: "usearch.ExactSearch, all queries in one call"}
	if p.variant == "u8" {
		s.Note = "usearch.ExactSearchUnsafe(U8), all queries in one call"
	}
	if p.idsDir != "" {
		s.IDs = filepath.Join(p.idsDir, fmt.Sprintf("%s-ours-%s-exact-t%d-r%d.ibin", m.Name, p.variant, p.threads, p.repeat))
		if err := writeBin(s.IDs, q, m.K, ids); err != nil {
			return err
		}
	}
	fmt.Printf("%-8s %-7s %-4s T=%d exact %9.0f QPS  recall %.4f  cpu/wall %.2f\n", s.Set, s.Engine, s.Variant, s.Threads, s.QPS, s.Recall, s.CPU)
	return rec.add(s)
}
