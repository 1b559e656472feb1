//go:build plot

package main

// The recall-against-QPS plot needs gonum/plot and its fonts, PDF and image stack, about
// half of what a cold build of the command compiles; it is built only with -tags plot
// (noplot.go stands in otherwise), so the first `go run ./cmd/usearch` stays short.

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plotAvailable tells bench whether -plot can be honoured.
const plotAvailable = true

// plotSweep draws recall@k (x) against queries per second (y), one line per
// configuration with a point per expansion, the usual ann-benchmarks view: up and to the
// right is better. The format follows the extension (.png, .svg, .pdf).
func plotSweep(path, title string, k int, configs []config, curves [][]sweepPoint) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = fmt.Sprintf("recall@%d", k)
	p.Y.Label.Text = "queries per second"
	p.Legend.Top = false
	p.Legend.Left = true
	var lines []any
	for i, c := range configs {
		xy := make(plotter.XYs, len(curves[i]))
		for j, pt := range curves[i] {
			xy[j].X, xy[j].Y = pt.recall, pt.qps
		}
		lines = append(lines, c.String(), xy)
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return err
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format == "" {
		format = "png"
	}
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, format)
	if err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error { _, err := wt.WriteTo(w); return err })
}
