package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// style gives each engine a colour family and each storage a shade and marker, and draws
// two-thread curves dashed, so the legend is readable at a glance.
func style(k curveKey) (color.Color, draw.GlyphDrawer, []vg.Length) {
	shade := map[string]uint8{"f32": 0, "f16": 70, "u8": 130}[k.variant]
	var c color.Color
	switch k.engine {
	case "ours":
		c = color.RGBA{R: 200, G: shade, B: shade / 2, A: 255} // reds
	case "hnswlib":
		c = color.RGBA{R: shade / 2, G: 60 + shade, B: 200, A: 255} // blues
	default:
		c = color.RGBA{R: shade / 2, G: 140, B: 40 + shade, A: 255} // greens
	}
	var glyph draw.GlyphDrawer = draw.CircleGlyph{}
	switch k.variant {
	case "f16":
		glyph = draw.TriangleGlyph{}
	case "u8":
		glyph = draw.SquareGlyph{}
	}
	var dashes []vg.Length
	if k.threads > 1 {
		dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	}
	return c, glyph, dashes
}

// plotSet draws recall@10 (x) against QPS (y, log scale), one line per engine, storage
// and thread count with a point per ef: up and to the right is better.
func plotSet(path, set string, keys []curveKey, curves map[curveKey]*best) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: recall@10 vs queries per second (best of repetitions; dashed = 2+ threads)", set)
	p.X.Label.Text = "recall@10"
	p.Y.Label.Text = "queries per second (log)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	p.Legend.Top = true // curves fall to the right: the top right corner stays free
	p.Add(plotter.NewGrid())
	drawn := 0
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
		if len(xy) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		c, glyph, dashes := style(k)
		line.Color, line.Dashes, line.Width = c, dashes, vg.Points(1.5)
		points.Color, points.Shape = c, glyph
		p.Add(line, points)
		p.Legend.Add(k.label(), line, points)
		drawn++
	}
	if drawn == 0 {
		return nil
	}
	p.Y.Max *= 2.5 // headroom on the log axis for the legend in the top right corner
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return p.Save(10*vg.Inch, 6*vg.Inch, path)
}

// logTicks labels 1, 2 and 5 times each power of ten: QPS curves often span less than a
// decade, where plot.LogTicks would label nothing.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 3, 5, 7} {
			v := m * math.Pow(10, e)
			if v < min || v > max {
				continue
			}
			label := ""
			if m != 3 && m != 7 {
				label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			out = append(out, plot.Tick{Value: v, Label: label})
		}
	}
	return out
}
