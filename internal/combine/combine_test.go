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
