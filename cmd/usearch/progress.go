package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// plainInterval is how often a progress line is printed when stderr is not a terminal.
var plainInterval = 5 * time.Second

// barInterval is how often the bar is redrawn on a terminal.
const barInterval = 200 * time.Millisecond

// progress reports long work on stderr: a bar redrawn in place with rate and ETA on a
// terminal, a plain line every plainInterval otherwise (logs and CI), nothing with -quiet.
// Add is safe from any number of goroutines: it only counts; one goroutine draws. The
// drawing is done here rather than by a progress-bar library so that the command's default
// build compiles nothing beyond the library and the standard library.
type progress struct {
	w     io.Writer
	label string
	total int
	bar   bool // redraw one line in place (a terminal)
	width int  // length of the bar line last drawn, to blank it out
	done  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// isTerminal tells whether w is a character device such as a terminal (os.ModeCharDevice,
// without a terminal library; /dev/null counts too, where the bar costs nothing).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, quiet bool, label string, total int) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now()}
	if quiet || w == nil {
		return p
	}
	p.bar = isTerminal(w)
	interval := plainInterval
	if p.bar {
		interval = barInterval
	}
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				if p.bar {
					p.drawBar()
				} else {
					p.line()
				}
			}
		}
	}()
	return p
}

// rateAndETA returns the rows per second so far and the time left at that rate.
func (p *progress) rateAndETA(done int) (float64, string) {
	rate := float64(done) / time.Since(p.start).Seconds()
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.total-done)/rate) * time.Second).Round(time.Second).String()
	}
	return rate, eta
}

// line prints one plain progress line.
func (p *progress) line() {
	done := int(p.done.Load())
	rate, eta := p.rateAndETA(done)
	fmt.Fprintf(p.w, "%s: %d/%d rows (%.0f%%), %.0f rows/s, ETA %s\n",
		p.label, done, p.total, 100*float64(done)/float64(max(p.total, 1)), rate, eta)
}

// drawBar redraws the bar line in place: a carriage return, the line, and spaces over
// whatever the previous line had beyond it (no escape sequences, which not every Windows
// console interprets). Only the drawing goroutine calls it.
func (p *progress) drawBar() {
	const width = 30
	done := int(p.done.Load())
	frac := float64(done) / float64(max(p.total, 1))
	filled := min(width, int(frac*width))
	rate, eta := p.rateAndETA(done)
	line := fmt.Sprintf("%s %3.0f%% [%s%s] %d/%d rows, %.0f rows/s, ETA %s",
		p.label, 100*frac, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, p.total, rate, eta)
	fmt.Fprint(p.w, "\r"+line+strings.Repeat(" ", max(0, p.width-len(line))))
	p.width = len(line)
}

// Add records n more rows done.
func (p *progress) Add(n int) { p.done.Add(int64(n)) }

// set records that done rows are done in all; for batch progress callbacks, which are
// never called concurrently and never go back.
func (p *progress) set(done int) {
	if d := int64(done) - p.done.Load(); d > 0 {
		p.Add(int(d))
	}
}

// Finish stops the reporting and prints the final count and rate (on a terminal, in place
// of the bar).
func (p *progress) Finish() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.stop = nil
	el := time.Since(p.start)
	prefix := ""
	if p.bar && p.width > 0 {
		prefix = "\r" + strings.Repeat(" ", p.width) + "\r"
	}
	fmt.Fprintf(p.w, "%s%s: %d rows in %s (%.0f rows/s)\n", prefix, p.label, p.done.Load(),
		el.Round(time.Millisecond), float64(p.done.Load())/el.Seconds())
}
