package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// curveKey names one line of the plot: an engine and storage at a thread count.
type curveKey struct {
	set, engine, variant string
	threads              int
}

func (c curveKey) label() string {
	return fmt.Sprintf("%s %s T=%d", c.engine, c.variant, c.threads)
}

// best is what the report keeps of the repetitions of one curve: the fastest build and,
// per expansion, the fastest search (its recall and counts come from that same run).
type best struct {
	build  *point
	search map[int]*point
	builds int
}

// recallFloor is the recall at which the goals compare engines.
func recallFloor(set string) float64 {
	if strings.HasPrefix(set, "fashion") {
		return 0.997
	}
	return 0.99
}

func report(out string, refEF int, minRecall float64) error {
	files, _ := filepath.Glob(filepath.Join(out, "results", "*.jsonl"))
	if len(files) == 0 {
		return fmt.Errorf("no results in %s/results", out)
	}
	var points []*point
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var p point
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				fh.Close()
				return fmt.Errorf("%s: %w", f, err)
			}
			points = append(points, &p)
		}
		fh.Close()
	}
	if err := tieAwareRecall(out, points); err != nil {
		return err
	}

	curves := map[curveKey]*best{}
	var exact []*point
	for _, p := range points {
		if p.Phase == "exact" {
			exact = append(exact, p)
			continue
		}
		key := curveKey{p.Set, p.Engine, p.Variant, p.Threads}
		b := curves[key]
		if b == nil {
			b = &best{search: map[int]*point{}}
			curves[key] = b
		}
		switch p.Phase {
		case "build":
			b.builds++
			if b.build == nil || p.Seconds < b.build.Seconds {
				b.build = p
			}
		case "search":
			if o := b.search[p.EF]; o == nil || p.QPS > o.QPS {
				b.search[p.EF] = p
			}
		}
	}
	keys := make([]curveKey, 0, len(curves))
	for k := range curves {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.set != b.set {
			return setOrder(a.set) < setOrder(b.set)
		}
		if a.engine != b.engine {
			return engineOrder(a.engine) < engineOrder(b.engine)
		}
		if a.variant != b.variant {
			return a.variant < b.variant
		}
		return a.threads < b.threads
	})

	var md strings.Builder
	fmt.Fprintf(&md, "# Benchmark results\n\nFrom %s. Best of the repetitions per point (build: fastest; search: fastest per ef). "+
		"recall@k counts ties with the k-th true distance as hits. cpu = process CPU seconds per wall second.\n", out)
	if m, err := os.ReadFile(filepath.Join(out, "machine.txt")); err == nil {
		fmt.Fprintf(&md, "\n```\n%s```\n", m)
	}
	sets := []string{}
	for _, k := range keys {
		if !slices.Contains(sets, k.set) {
			sets = append(sets, k.set)
		}
	}
	for _, set := range sets {
		writeSetTable(&md, set, keys, curves, refEF)
		png := filepath.Join(out, "report", "recall-qps-"+set+".png")
		if err := plotSet(png, set, keys, curves); err != nil {
			return fmt.Errorf("plot %s: %w", set, err)
		}
		fmt.Fprintf(&md, "\nPlot: `%s`\n", png)
	}
	if len(exact) > 0 {
		writeExact(&md, exact)
	}
	if err := os.MkdirAll(filepath.Join(out, "report"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "report", "table.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	if err := writePoints(filepath.Join(out, "report"), points); err != nil {
		return err
	}
	fmt.Print(md.String())
	fmt.Printf("\nwrote %s/report/{table.md,points.csv,points.json,recall-qps-*.png}\n", out)
	var low []string
	for _, k := range keys {
		top := 0.0
		for _, p := range curves[k].search {
			top = max(top, p.Recall)
		}
		if len(curves[k].search) == 0 || top < minRecall {
			low = append(low, fmt.Sprintf("%s %s (best recall %.4f)", k.set, k.label(), top))
		}
	}
	if minRecall > 0 && len(low) > 0 {
		return fmt.Errorf("curves below -min-recall %g or without search points: %s", minRecall, strings.Join(low, "; "))
	}
	return nil
}

func setOrder(s string) int {
	for i, p := range []string{"fashion", "syn100k", "syn1m"} {
		if strings.HasPrefix(s, p) {
			return i
		}
	}
	return 9
}

func engineOrder(e string) int {
	switch e {
	case "hnswlib":
		return 0
	case "npm":
		return 1
	case "ours":
		return 2
	}
	return 3
}

// sweep returns a curve's best search points by increasing ef.
func (b *best) sweep() []*point {
	var out []*point
	for _, p := range b.search {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EF < out[j].EF })
	return out
}

// qpsAtRecall interpolates the QPS of a curve at recall r, linearly between the two sweep
// points around it. ok is false when no point reaches r; exact tells that the first point
// already exceeds r (then its QPS is a lower bound).
func qpsAtRecall(pts []*point, r float64) (qps float64, ok, lower bool) {
	for i, p := range pts {
		if p.Recall >= r {
			if i == 0 {
				return p.QPS, true, true
			}
			a := pts[i-1]
			if p.Recall == a.Recall {
				return p.QPS, true, false
			}
			t := (r - a.Recall) / (p.Recall - a.Recall)
			return a.QPS + t*(p.QPS-a.QPS), true, false
		}
	}
	return 0, false, false
}

func writeSetTable(md *strings.Builder, set string, keys []curveKey, curves map[curveKey]*best, refEF int) {
	floor := recallFloor(set)
	fmt.Fprintf(md, "\n## %s\n\n", set)
	writeIssueTable(md, set, keys, curves, refEF, floor)
	md.WriteString("\nPer thread count:\n\n")
	fmt.Fprintf(md, "| engine | storage | threads | build s | build cpu | RSS +MB | index MB | QPS ef=%d | recall@10 ef=%d | dist/query ef=%d | search cpu | QPS at recall %.3f |\n",
		refEF, refEF, refEF, floor)
	md.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, k := range keys {
		if k.set != set {
			continue
		}
		b := curves[k]
		row := []string{k.engine, k.variant, strconv.Itoa(k.threads), "-", "-", "-", "-", "-", "-", "-", "-", "-"}
		if b.build != nil {
			row[3] = fmt.Sprintf("%.2f", b.build.Seconds)
			row[4] = fmt.Sprintf("%.2f", b.build.CPU)
			row[5] = fmt.Sprintf("%.0f", b.build.RSSMB)
			if b.build.IndexMB > 0 {
				row[6] = fmt.Sprintf("%.0f", b.build.IndexMB)
			}
		}
		if p := b.search[refEF]; p != nil {
			row[7] = fmt.Sprintf("%.0f", p.QPS)
			row[8] = fmt.Sprintf("%.4f", p.Recall)
			if p.Dist >= 0 {
				row[9] = fmt.Sprintf("%.0f", p.Dist)
			}
			row[10] = fmt.Sprintf("%.2f", p.CPU)
		}
		if q, ok, lower := qpsAtRecall(b.sweep(), floor); ok {
			row[11] = fmt.Sprintf("%.0f", q)
			if lower {
				row[11] = "≥" + row[11]
			}
		}
		fmt.Fprintf(md, "| %s |\n", strings.Join(row, " | "))
	}

	// Ratios of ours to hnswlib, same thread count, from this run.
	fmt.Fprintf(md, "\nRatios ours / hnswlib (same run, same threads):\n\n")
	for _, k := range keys {
		if k.set != set || k.engine != "ours" {
			continue
		}
		ref := curves[curveKey{set, "hnswlib", "f32", k.threads}]
		if ref == nil {
			continue
		}
		b := curves[k]
		var parts []string
		if q, ok, _ := qpsAtRecall(b.sweep(), floor); ok {
			if r, ok2, _ := qpsAtRecall(ref.sweep(), floor); ok2 {
				parts = append(parts, fmt.Sprintf("search at recall %.3f **%.2f**", floor, q/r))
			}
		} else {
			parts = append(parts, fmt.Sprintf("recall %.3f not reached", floor))
		}
		for _, ef := range []int{refEF, 256} {
			if p, r := b.search[ef], ref.search[ef]; p != nil && r != nil {
				parts = append(parts, fmt.Sprintf("search at ef=%d %.2f (recall %.4f vs %.4f)", ef, p.QPS/r.QPS, p.Recall, r.Recall))
			}
		}
		if b.build != nil && ref.build != nil {
			parts = append(parts, fmt.Sprintf("build time %.2f", b.build.Seconds/ref.build.Seconds))
		}
		fmt.Fprintf(md, "- ours %s T=%d: %s\n", k.variant, k.threads, strings.Join(parts, "; "))
	}
	// Scaling from one to two threads.
	for _, k := range keys {
		if k.set != set || k.threads != 1 {
			continue
		}
		two := curves[curveKey{set, k.engine, k.variant, 2}]
		if two == nil {
			continue
		}
		one := curves[k]
		if p, q := one.search[refEF], two.search[refEF]; p != nil && q != nil {
			fmt.Fprintf(md, "- scaling 1→2 threads, %s %s, QPS at ef=%d: %.2f×\n", k.engine, k.variant, refEF, q.QPS/p.QPS)
		}
	}

	fmt.Fprintf(md, "\n<details><summary>sweep</summary>\n\n| engine | storage | threads | ef | QPS | recall@10 | dist/query | cpu |\n|---|---|---|---|---|---|---|---|\n")
	for _, k := range keys {
		if k.set != set {
			continue
		}
		for _, p := range curves[k].sweep() {
			d := "-"
			if p.Dist >= 0 {
				d = fmt.Sprintf("%.0f", p.Dist)
			}
			fmt.Fprintf(md, "| %s | %s | %d | %d | %.0f | %.4f | %s | %.2f |\n", k.engine, k.variant, k.threads, p.EF, p.QPS, p.Recall, d, p.CPU)
		}
	}
	md.WriteString("\n</details>\n")
}

func writeExact(md *strings.Builder, exact []*point) {
	type key struct {
		set, engine, variant string
		threads              int
	}
	bestOf := map[key]*point{}
	var order []key
	for _, p := range exact {
		k := key{p.Set, p.Engine, p.Variant, p.Threads}
		if o, ok := bestOf[k]; !ok {
			order = append(order, k)
			bestOf[k] = p
		} else if p.QPS > o.QPS {
			bestOf[k] = p
		}
	}
	md.WriteString("\n## Exact search (brute force, all queries in one call)\n\n| set | engine | storage | threads | QPS | recall@10 | cpu | ratio to faiss |\n|---|---|---|---|---|---|---|---|\n")
	for _, k := range order {
		p := bestOf[k]
		ratio := "-"
		if f := bestOf[key{k.set, "faiss", "f32", k.threads}]; f != nil && k.engine != "faiss" {
			ratio = fmt.Sprintf("%.2f", p.QPS/f.QPS)
		}
		fmt.Fprintf(md, "| %s | %s | %s | %d | %.0f | %.4f | %.2f | %s |\n", k.set, k.engine, k.variant, k.threads, p.QPS, p.Recall, p.CPU, ratio)
	}
}

func writePoints(dir string, points []*point) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(points, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "points.json"), b, 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "points.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"set", "engine", "variant", "threads", "repeat", "phase", "ef", "queries", "seconds", "cpu_per_wall",
		"qps", "recall", "dist_per_query", "rss_delta_mb", "index_mb", "note"})
	ff := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, p := range points {
		w.Write([]string{p.Set, p.Engine, p.Variant, strconv.Itoa(p.Threads), strconv.Itoa(p.Repeat), p.Phase, strconv.Itoa(p.EF),
			strconv.Itoa(p.Queries), ff(p.Seconds), ff(p.CPU), ff(p.QPS), ff(p.Recall), ff(p.Dist), ff(p.RSSMB), ff(p.IndexMB), p.Note})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// tieAwareRecall recomputes the recall of every search point whose result keys were saved:
// a returned row counts as a hit when it is one of the true k or lies no farther than the
// k-th true distance (ties in the data, such as duplicate images, make several rows equally
// right). The drivers' own figures (by key identity only) are replaced.
func tieAwareRecall(out string, points []*point) error {
	type data struct {
		m             setMeta
		base, queries []float32
		gt            []uint32
		gtDist        []float32
	}
	cache := map[string]*data{}
	for _, p := range points {
		if p.IDs == "" {
			continue
		}
		d := cache[p.Set]
		if d == nil {
			dir := filepath.Join(out, "data", p.Set)
			m, err := readMeta(dir)
			if err != nil {
				return fmt.Errorf("tie-aware recall of %s: %w", p.Set, err)
			}
			d = &data{m: m}
			if d.base, _, _, err = readBin[float32](filepath.Join(dir, "base.fbin")); err != nil {
				return err
			}
			if d.queries, _, _, err = readBin[float32](filepath.Join(dir, "queries.fbin")); err != nil {
				return err
			}
			if d.gt, _, _, err = readBin[uint32](filepath.Join(dir, "gt.ibin")); err != nil {
				return err
			}
			if d.gtDist, _, _, err = readBin[float32](filepath.Join(dir, "gt_dist.fbin")); err != nil {
				return err
			}
			cache[p.Set] = d
		}
		ids, rows, k, err := readBin[uint32](p.IDs)
		if err != nil {
			return err
		}
		if k != d.m.K || rows != d.m.Queries {
			return fmt.Errorf("%s: %d x %d results, want %d x %d", p.IDs, rows, k, d.m.Queries, d.m.K)
		}
		dims, n := d.m.Dims, d.m.N
		hits := 0
		for i := range rows {
			q := d.queries[i*dims : (i+1)*dims]
			truth := d.gt[i*k : (i+1)*k]
			kth := float64(d.gtDist[i*k+k-1])
			tol := 1e-4*math.Abs(kth) + 1e-6
			seen := map[uint32]bool{}
			for _, id := range ids[i*k : (i+1)*k] {
				if int(id) >= n || seen[id] {
					continue
				}
				seen[id] = true
				if slices.Contains(truth, id) || distance(d.m.Metric, q, d.base[int(id)*dims:(int(id)+1)*dims]) <= kth+tol {
					hits++
				}
			}
		}
		p.Recall = float64(hits) / float64(rows*k)
	}
	return nil
}

func distance(metric string, a, b []float32) float64 {
	var s, aa, bb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		if metric == "cos" {
			s += x * y
			aa += x * x
			bb += y * y
		} else {
			s += (x - y) * (x - y)
		}
	}
	if metric == "cos" {
		if aa == 0 || bb == 0 {
			return 1
		}
		return 1 - s/math.Sqrt(aa*bb)
	}
	return s
}

// writeIssueTable is the compact view of issue 11: one row per engine and storage, the
// thread counts side by side ("1 / 2").
func writeIssueTable(md *strings.Builder, set string, keys []curveKey, curves map[curveKey]*best, refEF int, floor float64) {
	type row struct{ engine, variant string }
	var rows []row
	threads := []int{}
	for _, k := range keys {
		if k.set != set {
			continue
		}
		if r := (row{k.engine, k.variant}); !slices.Contains(rows, r) {
			rows = append(rows, r)
		}
		if !slices.Contains(threads, k.threads) {
			threads = append(threads, k.threads)
		}
	}
	slices.Sort(threads)
	ts := make([]string, len(threads))
	for i, t := range threads {
		ts[i] = strconv.Itoa(t)
	}
	tl := strings.Join(ts, " / ")
	fmt.Fprintf(md, "| engine | build s, %s threads | QPS at ef=%d, %s | recall@10 at ef=%d | QPS at recall %.3f, %s | dist/query | cpu/wall search, %s |\n",
		tl, refEF, tl, refEF, floor, tl, tl)
	md.WriteString("|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		var build, qps, rec, atFloor, cpu []string
		dist := "-"
		for _, t := range threads {
			b := curves[curveKey{set, r.engine, r.variant, t}]
			cell := func(ok bool, format string, v float64) string {
				if !ok {
					return "-"
				}
				return fmt.Sprintf(format, v)
			}
			if b == nil {
				build, qps, atFloor, cpu = append(build, "-"), append(qps, "-"), append(atFloor, "-"), append(cpu, "-")
				continue
			}
			if b.build != nil {
				build = append(build, fmt.Sprintf("%.2f", b.build.Seconds))
			} else {
				build = append(build, "-")
			}
			p := b.search[refEF]
			if p != nil {
				qps, cpu = append(qps, fmt.Sprintf("%.0f", p.QPS)), append(cpu, fmt.Sprintf("%.2f", p.CPU))
				if len(rec) == 0 { // the recall at the fewest threads (builds differ a little)
					rec = append(rec, fmt.Sprintf("%.4f", p.Recall))
				}
				if p.Dist >= 0 && dist == "-" {
					dist = fmt.Sprintf("%.0f", p.Dist)
				}
			} else {
				qps, cpu = append(qps, "-"), append(cpu, "-")
			}
			q, ok, lower := qpsAtRecall(b.sweep(), floor)
			c := cell(ok, "%.0f", q)
			if ok && lower {
				c = "≥" + c
			}
			atFloor = append(atFloor, c)
		}
		name := fmt.Sprintf("%s %s", r.engine, r.variant)
		if r.engine == "ours" {
			name = "**" + name + "**"
		}
		if len(rec) == 0 {
			rec = []string{"-"}
		}
		fmt.Fprintf(md, "| %s | %s | %s | %s | %s | %s | %s |\n", name, strings.Join(build, " / "), strings.Join(qps, " / "),
			rec[0], strings.Join(atFloor, " / "), dist, strings.Join(cpu, " / "))
	}
}
