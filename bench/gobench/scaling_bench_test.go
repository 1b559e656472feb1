package gobench

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkSearchScaling measures how search throughput grows with the number of goroutines
// calling Search on one index at once (1, 2, ... up to GOMAXPROCS), each on its own slice
// of the queries so that nothing but the index is shared. Every sub-benchmark reruns the
// one-goroutine case first and reports, in the same run:
//
//	qps       aggregate searches per second with g goroutines
//	speedup   qps(g) / qps(1): 2.0 means perfect scaling on two goroutines
//	cpu/wall  process CPU time over wall time: above g means threads other than the
//	          searching ones burn CPU (the Go runtime around cgo calls)
//
//	go test -run '^$' -bench SearchScaling -benchtime 20000x ./bench/gobench
func BenchmarkSearchScaling(b *testing.B) {
	benchEachDim(b, func(b *testing.B, s *benchData) {
		idx := s.built(b)
		run := func(goroutines, total int) (qps, cpuPerWall float64) {
			per := total / goroutines
			var wg sync.WaitGroup
			cpu0 := cpuTime()
			start := time.Now()
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for i := g * per; i < (g+1)*per; i++ {
						if _, _, err := idx.Search(s.query(i), benchK); err != nil {
							b.Error(err)
							return
						}
					}
				}(g)
			}
			wg.Wait()
			wall := time.Since(start)
			return float64(per*goroutines) / wall.Seconds(), (cpuTime() - cpu0).Seconds() / wall.Seconds()
		}
		for g := 1; g <= runtime.GOMAXPROCS(0); g *= 2 {
			b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
				total := max(b.N, 1000)
				run(1, total/10) // warm the contexts and caches
				one, _ := run(1, total)
				qps, cpu := run(g, total)
				b.ReportMetric(qps, "qps")
				b.ReportMetric(qps/one, "speedup")
				b.ReportMetric(cpu, "cpu/wall")
				b.ReportMetric(0, "ns/op")
			})
		}
	})
}
