package dataset

import (
	"sync"
	"sync/atomic"
)

// AddParallel calls add(i) for every i in [0, rows) from `workers` goroutines that take the
// next row as they finish one, and returns the first error any of them met.
func AddParallel(workers, rows int, add func(i int) error) error {
	if workers < 1 {
		workers = 1
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < rows; i = int(next.Add(1) - 1) {
				if err := add(i); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
