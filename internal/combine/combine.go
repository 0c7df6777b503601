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
// it with New.
type Batcher[Req, Res any] struct {
	run func(ctx context.Context, reqs []Req) []Res
	max int

	mu      sync.Mutex
	queue   []*call[Req, Res]
	running bool
}

type call[Req, Res any] struct {
	ctx  context.Context
	req  Req
	res  Res
	done chan struct{}
	// lead is closed when this call must run the next batch.
	lead chan struct{}
}

// New returns a Batcher whose batches of at most max calls run run. run
// gets the requests in arrival order and returns one result per request,
// in the same order. Its context is that of the caller running the batch,
// without its cancellation: a batch that started runs to its end.
func New[Req, Res any](max int, run func(ctx context.Context, reqs []Req) []Res) *Batcher[Req, Res] {
	if max < 1 {
		max = 1
	}
	return &Batcher[Req, Res]{run: run, max: max}
}

// Do runs req in the next batch and returns its result. If ctx ends
// before the batch that holds req starts, Do returns ctx's error; once
// the batch started, Do waits for its end.
func (b *Batcher[Req, Res]) Do(ctx context.Context, req Req) (Res, error) {
	c := &call[Req, Res]{ctx: ctx, req: req, done: make(chan struct{}), lead: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if !b.running {
		b.running = true
		b.mu.Unlock()
		b.lead(c)
	} else {
		b.mu.Unlock()
	}
	select {
	case <-c.done:
		return c.res, nil
	case <-c.lead:
		b.lead(c)
		<-c.done
		return c.res, nil
	case <-ctx.Done():
	}
	// Leave the queue, unless a batch took the call already.
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
		<-c.done
	}
	return c.res, nil
}

// lead runs batches from the queue on behalf of me until me's call is
// done, then hands the lead to the first call still waiting, if any.
func (b *Batcher[Req, Res]) lead(me *call[Req, Res]) {
	for {
		b.mu.Lock()
		n := min(len(b.queue), b.max)
		batch := make([]*call[Req, Res], n)
		copy(batch, b.queue)
		b.queue = append(b.queue[:0], b.queue[n:]...)
		b.mu.Unlock()

		reqs := make([]Req, len(batch))
		for i, c := range batch {
			reqs[i] = c.req
		}
		var res []Res
		if len(reqs) > 0 {
			res = b.run(context.WithoutCancel(me.ctx), reqs)
		}
		mine := false
		for i, c := range batch {
			if i < len(res) {
				c.res = res[i]
			}
			if c == me {
				mine = true
				continue
			}
			close(c.done)
		}

		b.mu.Lock()
		if len(b.queue) == 0 {
			b.running = false
			b.mu.Unlock()
			if mine {
				close(me.done)
			}
			return
		}
		if mine {
			next := b.queue[0]
			b.mu.Unlock()
			close(next.lead)
			close(me.done)
			return
		}
		b.mu.Unlock()
	}
}
