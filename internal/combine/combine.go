// Package combine runs calls that arrive together as one batch: while a
// batch runs, the calls that arrive wait, and the next batch takes them
// all. One of the waiting callers runs each batch, so there is no
// goroutine to start or stop, and a lone call runs at once.
//
// The job engine uses it to claim the operations of many agents in one
// statement, and to apply the results of many agents in one set of
// statements, instead of a statement (and a savepoint) per agent.
package combine

import (
	"context"
	"sync"
)

// Batcher combines calls of one kind. Its zero value is not usable: make
// it with New or NewLanes.
type Batcher[Req, Res any] struct {
	run   func(ctx context.Context, reqs []Req) []Res
	max   int
	lanes int

	mu      sync.Mutex
	queue   []*call[Req, Res]
	running int // batches running or about to
}

type call[Req, Res any] struct {
	ctx  context.Context
	req  Req
	res  Res
	done chan struct{}
	// lead is closed when this call, taken off the queue, must run the
	// next batch.
	lead chan struct{}
}

// New returns a Batcher whose batches of at most size calls run run, one
// batch at a time. run gets the requests in arrival order and returns one
// result per request, in the same order. Its context is that of the
// caller running the batch, without its cancellation: a batch that
// started runs to its end.
func New[Req, Res any](size int, run func(ctx context.Context, reqs []Req) []Res) *Batcher[Req, Res] {
	return NewLanes(size, 1, run)
}

// NewLanes is New with up to lanes batches running at the same time: a
// call that arrives while fewer run starts a batch at once, the others
// wait for the next batch of a lane that ends.
func NewLanes[Req, Res any](size, lanes int, run func(ctx context.Context, reqs []Req) []Res) *Batcher[Req, Res] {
	return &Batcher[Req, Res]{run: run, max: max(size, 1), lanes: max(lanes, 1)}
}

// Do runs req in the next batch and returns its result. If ctx ends
// before the batch that holds req starts, Do returns ctx's error; once
// the batch started, Do waits for its end.
func (b *Batcher[Req, Res]) Do(ctx context.Context, req Req) (Res, error) {
	c := &call[Req, Res]{ctx: ctx, req: req, done: make(chan struct{}), lead: make(chan struct{})}
	b.mu.Lock()
	if b.running < b.lanes {
		b.running++
		b.mu.Unlock()
		b.lead(c)
		return c.res, nil
	}
	b.queue = append(b.queue, c)
	b.mu.Unlock()
	select {
	case <-c.done:
		return c.res, nil
	case <-c.lead:
		b.lead(c)
		return c.res, nil
	case <-ctx.Done():
	}
	// Leave the queue, unless a batch, or the lead of one, took the call
	// already.
	b.mu.Lock()
	for i, q := range b.queue {
		if q == c {
			b.queue = append(b.queue[:i], b.queue[i+1:]...)
			b.mu.Unlock()
			var zero Res
			return zero, ctx.Err()
		}
	}
	b.mu.Unlock()
	select {
	case <-c.done:
	case <-c.lead:
		b.lead(c)
	}
	return c.res, nil
}

// lead runs one batch, me's call first and then the calls waiting, up to
// the bound; then it hands the lane to the first call still waiting, if
// any. me is in no queue.
func (b *Batcher[Req, Res]) lead(me *call[Req, Res]) {
	b.mu.Lock()
	n := min(len(b.queue), b.max-1)
	batch := make([]*call[Req, Res], 0, n+1)
	batch = append(batch, me)
	batch = append(batch, b.queue[:n]...)
	b.queue = append(b.queue[:0], b.queue[n:]...)
	b.mu.Unlock()

	reqs := make([]Req, len(batch))
	for i, c := range batch {
		reqs[i] = c.req
	}
	res := b.run(context.WithoutCancel(me.ctx), reqs)
	for i, c := range batch {
		if i < len(res) {
			c.res = res[i]
		}
		close(c.done)
	}

	b.mu.Lock()
	if len(b.queue) == 0 {
		b.running--
		b.mu.Unlock()
		return
	}
	next := b.queue[0]
	b.queue = append(b.queue[:0], b.queue[1:]...)
	b.mu.Unlock()
	close(next.lead)
}
