package engine

import (
	"context"
	"errors"

	"github.com/opencph/opencph/sqlstore"
)

// The agents of a fleet call at the same time: a batch spread over a
// hundred servers wakes a hundred polls, and their results come back
// together. Claims and results that arrive while earlier ones are being
// written are combined (internal/combine) and written by one set of
// statements, in one savepoint of a shared transaction, instead of a
// statement and a savepoint per agent. A combined write commits, or fails,
// as one: an accepted result is acknowledged to its agent only after its
// transaction committed, as before.

// Bounds of one combined write.
const (
	maxCombinedClaims     = 256 // polls, each of one server
	maxCombinedResults    = 64  // result posts, each of up to 100 results
	maxCombinedHeartbeats = 512
)

// combinedLanes is how many combined claims, and how many combined result
// writes, run at the same time: one on SQLite, which has one writer
// anyway; on PostgreSQL as many as the store has committers. Measured on
// PostgreSQL with a fleet of a million phones (a spread fan-out of 10,000
// operations over a thousand servers, 2 CPUs), claims made one statement
// per poll, as before, gave 900 to 1,240 operations/s; combined claims in
// four lanes 1,410 to 1,930. Grouped fan-outs (a hundred operations a
// claim) moved within the runs' noise.
func combinedLanes(db *sqlstore.DB) int {
	if db.Engine() == sqlstore.Postgres {
		return sqlstore.PostgresCommitters
	}
	return 1
}

// touched is the outcome of one combined heartbeat: whether the session is
// still its server's current one.
type touched struct {
	current bool
	err     error
}

// touchTogether writes the heartbeats of several agent sessions in one
// statement.
func (e *Engine) touchTogether(ctx context.Context, sessions []sqlstore.AgentSession) []touched {
	out := make([]touched, len(sessions))
	current, err := e.db.TouchAgents(ctx, sessions)
	for i := range out {
		if err != nil {
			out[i].err = err
			continue
		}
		out[i].current = current[i]
	}
	return out
}

// claim claims the operations a poll asks for, combined with the claims
// of other polls made at the same time.
func (e *Engine) claim(ctx context.Context, r sqlstore.ClaimRequest) ([]*sqlstore.OperationRecord, error) {
	c, err := e.claims.Do(ctx, r)
	if err == nil {
		err = c.err
	}
	return c.ops, err
}

// claimed is what a combined claim hands one poll.
type claimed struct {
	ops []*sqlstore.OperationRecord
	err error
}

// claimTogether claims the operations of the polls reqs, one statement for
// all servers (a second one for a server polled twice in the batch, as by
// an old and a new session of its agent).
func (e *Engine) claimTogether(ctx context.Context, reqs []sqlstore.ClaimRequest) []claimed {
	out := make([]claimed, len(reqs))
	pending := make([]int, len(reqs))
	for i := range reqs {
		pending[i] = i
	}
	for len(pending) > 0 {
		var round []sqlstore.ClaimRequest
		var idx, later []int
		inRound := map[string]bool{}
		for _, i := range pending {
			if inRound[reqs[i].ServerID] {
				later = append(later, i)
				continue
			}
			inRound[reqs[i].ServerID] = true
			round = append(round, reqs[i])
			idx = append(idx, i)
		}
		var got map[string][]*sqlstore.OperationRecord
		var err error
		if until := e.db.Now().Add(e.cfg.Lease); len(round) == 1 {
			// One server (a lone poll, or the grouped layout's one
			// busy server): the plain statement, without the combined
			// one's window over the servers.
			var ops []*sqlstore.OperationRecord
			ops, err = e.db.ClaimOperations(ctx, round[0].ServerID, round[0].SessionID, until, round[0].Max)
			got = map[string][]*sqlstore.OperationRecord{round[0].ServerID: ops}
		} else {
			got, err = e.db.ClaimOperationsFor(ctx, round, until)
		}
		for k, i := range idx {
			if err != nil {
				out[i].err = err
				continue
			}
			out[i].ops = got[round[k].ServerID]
		}
		pending = later
	}
	return out
}

// resultBatch is one agent's post of results.
type resultBatch struct {
	serverID, sessionID string
	results             []OpResult
}

// appliedResults is the outcome of one post: an error per result, or err
// for the whole post.
type appliedResults struct {
	errs []error
	err  error
}

// errNotCombinable undoes a combined write whose results cannot be
// applied together (a result naming an operation that another session of
// the batch holds); each post is then applied alone.
var errNotCombinable = errors.New("engine: results cannot be combined")

// applyTogether applies the posts of several agents in one savepoint of a
// shared transaction. When that fails for any reason, the posts are
// applied one by one (applyResultsAlone), so that one agent's bad result
// cannot fail another's.
func (e *Engine) applyTogether(ctx context.Context, posts []resultBatch) []appliedResults {
	out := make([]appliedResults, len(posts))
	if len(posts) > 1 {
		if errs, err := e.applyCombined(ctx, posts); err == nil {
			for i := range posts {
				out[i].errs = errs[i]
			}
			return out
		} else if !errors.Is(err, errNotCombinable) && !sqlstore.IsInvalidData(err) {
			e.log.Debug("combined results failed; applying them one post at a time", "posts", len(posts), "err", err)
		}
	}
	for i, p := range posts {
		out[i].errs, out[i].err = e.applyResultsAlone(ctx, p.serverID, p.sessionID, p.results)
	}
	return out
}

// applyCombined writes the results of posts with one statement per
// table: the operations completed, the jobs succeeded, the phones moved
// back from their transient status; results that record more go through
// finish one by one, in the same transaction.
func (e *Engine) applyCombined(ctx context.Context, posts []resultBatch) ([][]error, error) {
	errs := make([][]error, len(posts))
	ctx, t := withTally(ctx)
	err := e.db.GroupTx(ctx, func(tx *sqlstore.Tx) error {
		t.reset()
		var ids, sessions []string
		seenSession := map[string]bool{}
		for i, p := range posts {
			errs[i] = make([]error, len(p.results))
			if !seenSession[p.sessionID] {
				seenSession[p.sessionID] = true
				sessions = append(sessions, p.sessionID)
			}
			for _, r := range p.results {
				ids = append(ids, r.OperationID)
			}
		}
		done, err := tx.CompleteClaimedBy(ctx, sessions, ids)
		if err != nil {
			return err
		}
		ops := make(map[string]*sqlstore.OperationRecord, len(done))
		for _, op := range done {
			ops[op.ID] = op
		}
		w := e.newResultWriter(tx, t)
		for i, p := range posts {
			for k, r := range p.results {
				op := ops[r.OperationID]
				if op == nil {
					errs[i][k] = ErrNotClaimed
					continue
				}
				if op.SessionID != p.sessionID || op.ServerID != p.serverID {
					// Completed for another post's session: undo it all.
					return errNotCombinable
				}
				delete(ops, op.ID) // a result repeated applies once
				if err := w.apply(ctx, op, r.Result); err != nil {
					return err
				}
			}
		}
		if len(ops) > 0 {
			return errNotCombinable // completed but named by no post of its session
		}
		return w.flush(ctx)
	})
	if err != nil {
		return nil, err
	}
	e.emit(t)
	return errs, nil
}
