package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// plainInterval is how often a progress line is printed when stderr is not a terminal.
var plainInterval = 5 * time.Second

// progress reports long work on stderr: a bar with rate and ETA on a terminal, a plain line
// every plainInterval otherwise (logs and CI), nothing with -quiet. Add is safe from any
// number of goroutines.
type progress struct {
	bar   *progressbar.ProgressBar
	w     io.Writer
	label string
	total int
	done  atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newProgress(w io.Writer, quiet bool, label string, total int) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now()}
	if quiet || w == nil {
		return p
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("rows"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
		return p
	}
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(plainInterval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.line()
			}
		}
	}()
	return p
}

// line prints one plain progress line.
func (p *progress) line() {
	done := int(p.done.Load())
	el := time.Since(p.start).Seconds()
	rate := float64(done) / el
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.total-done)/rate) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "%s: %d/%d rows (%.0f%%), %.0f rows/s, ETA %s\n",
		p.label, done, p.total, 100*float64(done)/float64(max(p.total, 1)), rate, eta)
}

// Add records n more rows done.
func (p *progress) Add(n int) {
	p.done.Add(int64(n))
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

// set records that done rows are done in all; for batch progress callbacks, which are
// never called concurrently and never go back.
func (p *progress) set(done int) {
	if d := int64(done) - p.done.Load(); d > 0 {
		p.Add(int(d))
	}
}

// Finish stops the reporting; with a plain reporter it prints the final count and rate.
func (p *progress) Finish() {
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
		p.stop = nil
		el := time.Since(p.start)
		fmt.Fprintf(p.w, "%s: %d rows in %s (%.0f rows/s)\n", p.label, p.done.Load(),
			el.Round(time.Millisecond), float64(p.done.Load())/el.Seconds())
	}
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}
