//go:build !unix

package usearch_test

import "time"

// cpuTime is not measured here (no getrusage); benchmarks then report a CPU time of zero.
func cpuTime() time.Duration { return 0 }
