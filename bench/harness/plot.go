package main

import (
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plotSet draws recall@10 (x) against QPS (y, log scale), one line per engine, storage
// and thread count with a point per ef: up and to the right is better.
func plotSet(path, set string, keys []curveKey, curves map[curveKey]*best) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: recall@10 vs queries per second (best of repetitions)", set)
	p.X.Label.Text = "recall@10"
	p.Y.Label.Text = "queries per second (log)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = false
	p.Legend.Left = true
	var lines []any
	for _, k := range keys {
		if k.set != set {
			continue
		}
		var xy plotter.XYs
		for _, pt := range curves[k].sweep() {
			if pt.QPS > 0 {
				xy = append(xy, plotter.XY{X: pt.Recall, Y: pt.QPS})
			}
		}
		if len(xy) > 0 {
			lines = append(lines, k.label(), xy)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return p.Save(10*vg.Inch, 6*vg.Inch, path)
}
