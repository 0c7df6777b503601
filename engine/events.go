package engine

import (
	"context"
	"errors"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Scheduled events run in the sweep, on every replica at once:
//
//  1. an event still inquiring at its deadline is scheduled for then, as
//     maintenance;
//  2. a scheduled event whose not_before has come is executed: every
//     phone of its server gets a restart (a batch of the event's project,
//     as a server restart moves its phones 4 → 2 or -6), and in the same
//     transaction the event is claimed by a conditional update (scheduled
//     and due → executing, with the batch's request id). Of two replicas
//     that try at once, one claim changes the row and the other's batch
//     rolls back with it, so an event runs once;
//  3. an executing event whose restarts are all final ends, completed if
//     every restart succeeded, failed otherwise.
//
// A crash leaves nothing half done: the claim and the restarts commit
// together, the restarts are ordinary jobs the engine recovers, and step 3
// ends the event at the first sweep after its last job, whenever that is.

// maxDueEvents bounds the events one sweep starts.
const maxDueEvents = 100

// errEventTaken rolls back the batch of an event another sweep claimed.
var errEventTaken = errors.New("engine: the event was claimed by another sweep")

// sweepEvents runs the steps above.
func (e *Engine) sweepEvents(ctx context.Context) error {
	overdue, err := e.db.HasOverdueEvents(ctx, e.db.Now())
	if err != nil {
		return err
	}
	if overdue {
		if err := e.promoteOverdue(ctx); err != nil {
			return err
		}
	}
	due, err := e.db.DueEvents(ctx, e.db.Now(), maxDueEvents)
	if err != nil {
		return err
	}
	for _, ev := range due {
		if err := e.executeEvent(ctx, ev); err != nil {
			if ctx.Err() != nil {
				return err
			}
			// The next sweep tries again; the other events go on.
			e.log.Error("scheduled event not started", "event_id", ev.ID, "err", err)
		}
	}
	return e.finishEvents(ctx)
}

// promoteOverdue schedules the events whose deadline has come.
func (e *Engine) promoteOverdue(ctx context.Context) error {
	return e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		promoted, err := tx.PromoteOverdueEvents(ctx)
		if promoted > 0 {
			e.log.Info("scheduled events reached their deadline: scheduled", "events", promoted)
		}
		return err
	})
}

// finishEvents ends the executing events whose restarts are all final.
// The jobs and the event are read and written by separate statements (see
// sqlstore's eventCols); a job that is final stays final, and the event's
// update is conditional, so concurrent sweeps end an event once.
func (e *Engine) finishEvents(ctx context.Context) error {
	executing, err := e.db.ExecutingEvents(ctx)
	if err != nil {
		return err
	}
	for _, ev := range executing {
		open, failed, err := e.db.RequestJobCounts(ctx, ev.ProjectID, ev.RequestID)
		if err != nil {
			return err
		}
		if open > 0 {
			continue
		}
		state := cph.EventCompleted
		if failed > 0 || ev.RefusedPhones > 0 {
			state = cph.EventFailed
		}
		var ended bool
		if err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
			var err error
			ended, err = tx.FinishEvent(ctx, ev.ID, state)
			return err
		}); err != nil {
			return err
		}
		if ended {
			e.log.Info("scheduled event ended", "event_id", ev.ID, "state", state, "failed_restarts", failed, "refused_phones", ev.RefusedPhones)
		}
	}
	return nil
}

// executeEvent claims a due event and restarts its server's phones, in one
// transaction; a server without phones completes the event at once.
func (e *Engine) executeEvent(ctx context.Context, ev *sqlstore.Event) error {
	phones, err := e.db.PhonesByServer(ctx, ev.ServerID)
	if err != nil {
		return err
	}
	if len(phones) == 0 {
		var claimed bool
		err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
			var err error
			claimed, err = tx.ClaimEvent(ctx, ev.ID, "", 0, true)
			return err
		})
		if err == nil && claimed {
			e.log.Info("scheduled event ended", "event_id", ev.ID, "state", cph.EventCompleted, "phones", 0)
		}
		return err
	}
	refs := make([]cph.PhoneRef, len(phones))
	for i, p := range phones {
		refs[i] = cph.PhoneRef{PhoneID: p.ID}
	}
	acc, err := e.SubmitPhones(ctx, PhoneBatch{ProjectID: ev.ProjectID, Kind: cph.OpRestartPhone, Phones: refs, Unbounded: true,
		Within: func(ctx context.Context, tx *sqlstore.Tx, acc *Accepted) error {
			refused := 0
			for _, j := range acc.Jobs {
				if j.JobID == "" {
					refused++
				}
			}
			claimed, err := tx.ClaimEvent(ctx, ev.ID, acc.RequestID, refused, false)
			if err != nil {
				return err
			}
			if !claimed {
				return errEventTaken
			}
			return nil
		}})
	if errors.Is(err, errEventTaken) {
		return nil
	}
	if err != nil {
		return err
	}
	e.log.Info("scheduled event executing", "event_id", ev.ID, "server_id", ev.ServerID, "request_id", acc.RequestID, "phones", len(phones))
	return nil
}
