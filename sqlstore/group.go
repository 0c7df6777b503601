package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Group commit. The job engine's writes are many and small (a claim of a
// few operations, the results of a few phones), and each transaction pays
// for its commit: with SQLite, one writer at a time writes every changed
// page to the WAL. GroupTx lets the calls that arrive while a transaction
// runs share the next one: each runs in its own savepoint, so one that
// fails is undone alone, and all commit together.

// maxGroup is the most calls that share one transaction; maxBulk the most
// of them made with BulkTx.
const (
	maxGroup = 64
	maxBulk  = 1
)

// PostgresCommitters is the number of group-commit transactions that run
// side by side on PostgreSQL (on SQLite, one).
const PostgresCommitters = 4

// errClosed is returned by GroupTx once the store is closed.
var errClosed = errors.New("sqlstore: store closed")

// groupCall is one GroupTx call waiting for its turn.
type groupCall struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// grouper runs GroupTx calls on committer goroutines.
type grouper struct {
	once     sync.Once
	stopOnce sync.Once
	calls    chan *groupCall
	bulk     chan *groupCall
	stop     chan struct{}
	wg       sync.WaitGroup
}

// GroupTx runs fn in a transaction like Tx, but the transaction may be
// shared with other GroupTx calls made at the same time: fn runs in a
// savepoint of its own (an error undoes only fn's changes) and its changes
// commit together with theirs. GroupTx returns fn's error, or the error
// of the shared commit. fn must not keep anything from tx past its return.
func (db *DB) GroupTx(ctx context.Context, fn func(*Tx) error) error {
	return db.queue(ctx, fn, false)
}

// BulkTx is GroupTx for a call that writes much (a batch of a hundred
// phones): at most a couple of them share a transaction, so that the
// small calls in it (claims, results) are not held up long.
func (db *DB) BulkTx(ctx context.Context, fn func(*Tx) error) error {
	return db.queue(ctx, fn, true)
}

func (db *DB) queue(ctx context.Context, fn func(*Tx) error, bulk bool) error {
	g := &db.group
	g.once.Do(func() { db.startGroup() })
	if g.calls == nil {
		return errClosed // closed before the first call
	}
	c := &groupCall{ctx: ctx, fn: fn, done: make(chan error, 1)}
	ch := g.calls
	if bulk {
		ch = g.bulk
	}
	select {
	case ch <- c:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.stop:
		return errClosed
	}
	// Once queued the call runs (or is skipped if ctx ends first): wait
	// for it, so that the caller knows whether it committed.
	return <-c.done
}

// startGroup starts the committers: one on SQLite, which has one writer
// at a time anyway; a few on PostgreSQL.
func (db *DB) startGroup() {
	g := &db.group
	g.calls = make(chan *groupCall)
	g.bulk = make(chan *groupCall)
	g.stop = make(chan struct{})
	n := 1
	if db.engine == Postgres {
		n = PostgresCommitters
	}
	for range n {
		g.wg.Go(db.commit)
	}
}

// stopGroup stops the committers, after the calls they hold.
func (db *DB) stopGroup() {
	g := &db.group
	g.once.Do(func() {}) // no committers after Close
	g.stopOnce.Do(func() {
		if g.stop != nil {
			close(g.stop)
			g.wg.Wait()
		}
	})
}

// commit runs queued calls, as many as are waiting, in one transaction at
// a time, until the store is closed.
//
// On SQLite, after a transaction that held a bulk call, the small calls
// waiting then get a transaction without one: they are mostly the claims
// and results of the operations it accepted, and with the next bulk call
// in their transaction they would wait for its hundred phones' rows too.
// A bulk call waits for at most that one small transaction. PostgreSQL's
// committers run side by side, and there a transaction of small calls
// costs a round trip per statement: at a million phones a thousand
// agents' small calls kept the bulk calls waiting (a spread fan-out fell
// from about 700 to 250 operations/s), so every transaction may hold one.
func (db *DB) commit() {
	g := &db.group
	afterBulk := false
	smallFirst := db.engine == SQLite
	for {
		var batch []*groupCall
		bulk, maxBulkHere := 0, maxBulk
		if afterBulk {
			select {
			case c := <-g.calls:
				batch = append(batch, c)
				maxBulkHere = 0
			default:
			}
		}
		if len(batch) == 0 {
			select {
			case c := <-g.calls:
				batch = append(batch, c)
			case c := <-g.bulk:
				batch = append(batch, c)
				bulk++
			case <-g.stop:
				return
			}
		}
	more:
		for len(batch) < maxGroup {
			select {
			case c := <-g.calls:
				batch = append(batch, c)
				continue
			default:
			}
			if bulk >= maxBulkHere {
				break
			}
			select {
			case c := <-g.bulk:
				batch = append(batch, c)
				bulk++
			default:
				break more
			}
		}
		afterBulk = smallFirst && bulk > 0
		db.runGroup(batch)
	}
}

// runGroup runs batch in one transaction and hands each call its outcome.
func (db *DB) runGroup(batch []*groupCall) {
	errs := make([]error, len(batch))
	if len(batch) == 1 {
		c := batch[0]
		if err := c.ctx.Err(); err != nil {
			c.done <- err
			return
		}
		c.done <- db.Tx(context.WithoutCancel(c.ctx), func(tx *Tx) error { return call(c.fn, tx) })
		return
	}
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *Tx) error {
		for i, c := range batch {
			if err := c.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			tx.now = db.Now().UTC() // each call's own time, as in a Tx of its own
			if _, err := tx.tx.ExecContext(ctx, `SAVEPOINT grouped`); err != nil {
				return fmt.Errorf("sqlstore: savepoint: %w", err)
			}
			status := len(tx.tx.status)
			if errs[i] = call(c.fn, tx); errs[i] != nil {
				if _, err := tx.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT grouped`); err != nil {
					return fmt.Errorf("sqlstore: roll back to savepoint: %w", err)
				}
				tx.tx.status = tx.tx.status[:status] // undone with the savepoint
			}
			if _, err := tx.tx.ExecContext(ctx, `RELEASE SAVEPOINT grouped`); err != nil {
				return fmt.Errorf("sqlstore: release savepoint: %w", err)
			}
		}
		return nil
	})
	for i, c := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		c.done <- errs[i]
	}
}

// call runs fn, turning a panic into an error so that one call cannot
// take the committer, and the other calls, down with it.
func call(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlstore: panic in a grouped transaction: %v", p)
		}
	}()
	return fn(tx)
}
