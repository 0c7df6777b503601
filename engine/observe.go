package engine

import (
	"context"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Observer is told what the engine did, once it is committed: jobs
// accepted and finished, operations claimed and completed. cphd's metrics
// implement it; nil observes nothing.
type Observer interface {
	JobsAccepted(kind cph.OpKind, n int)
	JobFinished(kind cph.OpKind, success bool)
	// OperationClaimed is told how long the operation waited in the queue.
	OperationClaimed(kind cph.OpKind, waited time.Duration)
	// OperationRan is told how long the agent held the operation, from
	// its claim to its result.
	OperationRan(kind cph.OpKind, ran time.Duration)
}

// tally collects what a transaction did, to be told to the Observer only
// if the transaction commits. It travels in the context of the
// transaction's function, so that helpers shared by several transactions
// (finish, queueServerOp) add to it.
type tally struct {
	accepted []cph.OpKind
	finished []finishedJob
	ran      []ranOp
}

type finishedJob struct {
	kind    cph.OpKind
	success bool
}

type ranOp struct {
	kind cph.OpKind
	ran  time.Duration
}

type tallyKey struct{}

// withTally returns ctx carrying a new, empty tally.
func withTally(ctx context.Context) (context.Context, *tally) {
	t := &tally{}
	return context.WithValue(ctx, tallyKey{}, t), t
}

// tallyOf returns the tally of ctx, or nil.
func tallyOf(ctx context.Context) *tally {
	t, _ := ctx.Value(tallyKey{}).(*tally)
	return t
}

func (t *tally) reset() {
	if t != nil {
		t.accepted, t.finished, t.ran = t.accepted[:0], t.finished[:0], t.ran[:0]
	}
}

func (t *tally) accept(kind cph.OpKind) {
	if t != nil {
		t.accepted = append(t.accepted, kind)
	}
}

func (t *tally) finish(kind cph.OpKind, success bool) {
	if t != nil {
		t.finished = append(t.finished, finishedJob{kind, success})
	}
}

func (t *tally) run(kind cph.OpKind, d time.Duration) {
	if t != nil {
		t.ran = append(t.ran, ranOp{kind, d})
	}
}

// emit tells the observer what t holds; call it once the transaction
// committed.
func (e *Engine) emit(t *tally) {
	o := e.cfg.Observer
	if o == nil || t == nil {
		return
	}
	counts := map[cph.OpKind]int{}
	for _, k := range t.accepted {
		counts[k]++
	}
	for k, n := range counts {
		o.JobsAccepted(k, n)
	}
	for _, f := range t.finished {
		o.JobFinished(f.kind, f.success)
	}
	for _, r := range t.ran {
		o.OperationRan(r.kind, r.ran)
	}
}

// observedTx is db.Tx whose function gets a context carrying a tally,
// told to the observer once the transaction commits.
func (e *Engine) observedTx(ctx context.Context, fn func(ctx context.Context, tx *sqlstore.Tx) error) error {
	ctx, t := withTally(ctx)
	err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		t.reset()
		return fn(ctx, tx)
	})
	if err == nil {
		e.emit(t)
	}
	return err
}
