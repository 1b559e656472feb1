//go:build !plot

package main

// plotAvailable tells bench whether -plot can be honoured; plot.go (built with -tags plot)
// draws the plot.
const plotAvailable = false

func plotSweep(string, string, int, []config, [][]sweepPoint) error { return errNoPlot }
