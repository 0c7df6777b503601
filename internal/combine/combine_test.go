package combine_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/opencph/opencph/internal/combine"
)

// TestEveryCallGetsItsResult runs many concurrent calls through a batcher
// whose batches double their inputs; every call must get its own input
// doubled, and the calls must have been combined into fewer batches.
func TestEveryCallGetsItsResult(t *testing.T) {
	t.Parallel()
	var batches atomic.Int64
	release := make(chan struct{})
	b := combine.New(16, func(_ context.Context, reqs []int) []int {
		if batches.Add(1) == 1 {
			<-release // hold the first batch so that the others queue
		}
		out := make([]int, len(reqs))
		for i, r := range reqs {
			out[i] = 2 * r
		}
		return out
	})
	const calls = 200
	var wg sync.WaitGroup
	errs := make(chan string, calls)
	started := make(chan struct{}, calls)
	for i := range calls {
		wg.Go(func() {
			started <- struct{}{}
			got, err := b.Do(context.Background(), i)
			if err != nil || got != 2*i {
				errs <- "wrong result"
			}
		})
	}
	for range calls {
		<-started
	}
	close(release)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if n := batches.Load(); n >= calls {
		t.Errorf("%d calls ran in %d batches: nothing was combined", calls, n)
	}
}

// TestBatchSizeBound checks that no batch holds more than max calls.
func TestBatchSizeBound(t *testing.T) {
	t.Parallel()
	// In the bubble the batch's sleep moves a fake clock while the other
	// calls queue.
	synctest.Test(t, func(t *testing.T) {
		var biggest atomic.Int64
		b := combine.New(5, func(_ context.Context, reqs []int) []int {
			if n := int64(len(reqs)); n > biggest.Load() {
				biggest.Store(n)
			}
			time.Sleep(time.Millisecond)
			return make([]int, len(reqs))
		})
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() { _, _ = b.Do(context.Background(), 1) })
		}
		wg.Wait()
		if n := biggest.Load(); n != 5 {
			t.Fatalf("biggest batch %d, want the bound 5", n)
		}
	})
}

// TestCanceledBeforeItsBatch checks that a call whose context ends while it
// waits for its batch leaves the queue and is never run.
func TestCanceledBeforeItsBatch(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var ran []int
		var mu sync.Mutex
		b := combine.New(10, func(_ context.Context, reqs []int) []int {
			mu.Lock()
			ran = append(ran, reqs...)
			mu.Unlock()
			if reqs[0] == 1 {
				<-release
			}
			return make([]int, len(reqs))
		})
		go func() { _, _ = b.Do(context.Background(), 1) }()
		synctest.Wait() // call 1 runs and holds its batch
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { _, err := b.Do(ctx, 2); errc <- err }()
		synctest.Wait() // call 2 waits in the queue
		cancel()
		if err := <-errc; err != context.Canceled {
			t.Fatalf("canceled call returned %v", err)
		}
		close(release)
		_, _ = b.Do(context.Background(), 3)
		mu.Lock()
		defer mu.Unlock()
		for _, r := range ran {
			if r == 2 {
				t.Fatalf("the canceled call ran: %v", ran)
			}
		}
	})
}

// TestLanesRunSideBySide checks that a batcher of two lanes runs two
// batches at the same time, never three, and that every call still gets
// its own result.
func TestLanesRunSideBySide(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var running, most atomic.Int64
		b := combine.NewLanes(4, 2, func(_ context.Context, reqs []int) []int {
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			out := make([]int, len(reqs))
			for i, r := range reqs {
				out[i] = r + 1
			}
			return out
		})
		var wg sync.WaitGroup
		var wrong atomic.Int64
		for i := range 50 {
			wg.Go(func() {
				if got, err := b.Do(context.Background(), i); err != nil || got != i+1 {
					wrong.Add(1)
				}
			})
		}
		wg.Wait()
		if n := wrong.Load(); n > 0 {
			t.Fatalf("%d calls got a wrong result", n)
		}
		if n := most.Load(); n != 2 {
			t.Fatalf("at most %d batches ran at once, want the 2 lanes", n)
		}
	})
}
