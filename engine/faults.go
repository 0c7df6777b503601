package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Fault injection on jobs (docs/faults.md). A rule whose operation is
// "job:<type>" acts where a batch is accepted, in its transaction: fail
// ends the job at once (its operation never reaches the agent), hang and
// delay take the operation out of the queue (state held) until the rule
// goes, its time passes or, for a delay, the delay passes; the sweep
// (sweepHolds) ends holds. Everything is in the database, so a restart of
// cphd during a hold changes nothing.

// Fault rule cache bounds.
const (
	faultCacheEntries = 1024
	faultCacheTTL     = 10 * time.Second
)

// FaultRules returns the rules of projectID, cached while no rule has
// changed (sqlstore.DB.FaultsVersion). The slice and its rules are shared:
// callers must not change them.
func (e *Engine) FaultRules(ctx context.Context, projectID string) ([]*cph.Fault, error) {
	version, ok := e.db.FaultsVersion()
	if ok {
		if rules, hit := e.faults.Get(projectID, version); hit {
			return rules, nil
		}
	}
	rules, err := e.db.Faults(ctx, projectID)
	if err != nil {
		return nil, fmt.Errorf("engine: fault rules: %w", err)
	}
	if ok {
		e.faults.Put(projectID, version, rules)
	}
	return rules, nil
}

// Chance reports whether a match of a rule of probability p applies.
func Chance(p float64) bool {
	switch {
	case p >= 1:
		return true
	case p <= 0:
		return false
	}
	return rand.Float64() < p
}

// jobFaults returns the live job rules of b's project that may apply to
// its operations.
func (e *Engine) jobFaults(ctx context.Context, b PhoneBatch) ([]*cph.Fault, error) {
	rules, err := e.FaultRules(ctx, b.ProjectID)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	var command string
	if b.Kind == cph.OpADBCommand && len(b.Args) > 0 {
		var a cph.CommandArgs
		if err := json.Unmarshal(b.Args, &a); err == nil {
			command = a.Command
		}
	}
	now := e.db.Now()
	var out []*cph.Fault
	for _, f := range rules {
		if t, ok := f.Job(); ok && t.MatchesJob(b.Kind, command) && f.Live(now) {
			out = append(out, f)
		}
	}
	return out, nil
}

// faultCode returns the code and message a failing rule gives a job.
func faultCode(f *cph.Fault) (string, string) {
	code := f.ErrorCode
	if code == "" {
		code = cph.CodeJobFailed
	}
	msg := f.ErrorMsg
	if msg == "" {
		_, msg = cph.Refuse(code)
	}
	return code, msg
}

// applyJobFaults applies rules to the operations just queued in tx (their
// jobs created too): the first rule that matches an operation and whose
// chance and count allow it acts on it.
func (e *Engine) applyJobFaults(ctx context.Context, tx *sqlstore.Tx, rules []*cph.Fault, ops []*cph.Operation) error {
	if len(rules) == 0 {
		return nil
	}
	for _, op := range ops {
		for _, f := range rules {
			if !f.Targets(op.PhoneID, op.ServerID) || !Chance(f.Probability) {
				continue
			}
			applied, err := tx.ApplyFault(ctx, f.ID)
			if err != nil {
				return err
			}
			if !applied {
				continue
			}
			if err := e.applyJobFault(ctx, tx, f, op); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

func (e *Engine) applyJobFault(ctx context.Context, tx *sqlstore.Tx, f *cph.Fault, op *cph.Operation) error {
	e.log.Info("fault injected into a job", "injected_fault", f.ID, "effect", f.Effect, "job_id", op.JobID,
		"phone_id", op.PhoneID, "server_id", op.ServerID, "kind", op.Kind)
	cph.NoteInjectedFault(ctx, f.ID)
	switch f.Effect {
	case cph.FaultFail:
		done, err := tx.CompleteOperation(ctx, op.ID, sqlstore.OpPending, "")
		if err != nil || !done {
			return err
		}
		code, msg := faultCode(f)
		return e.finish(ctx, tx, &sqlstore.OperationRecord{Operation: *op, State: sqlstore.OpDone}, Result{ErrorCode: code, ErrorMsg: msg})
	case cph.FaultHang, cph.FaultDelay:
		var until time.Time
		if f.DelayMillis > 0 {
			until = tx.Now().Add(time.Duration(f.DelayMillis) * time.Millisecond)
		}
		return tx.HoldOperations(ctx, []string{op.ID}, f.ID, until)
	}
	return nil
}

// DeleteFault deletes rule id of projectID; the operations a hang or
// delay of it holds are queued again at once. It reports whether there
// was such a rule.
func (e *Engine) DeleteFault(ctx context.Context, projectID, id string) (bool, error) {
	var found bool
	var servers []string
	err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		var err error
		if found, err = tx.DeleteFault(ctx, projectID, id); err != nil || !found {
			return err
		}
		if servers, err = tx.ReleaseHeld(ctx, id); err != nil {
			return err
		}
		for _, s := range servers {
			if err := tx.NotifyServer(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if len(servers) > 0 {
		e.log.Info("fault rule deleted; its held operations are queued again", "fault_id", id, "servers", len(servers))
	}
	e.hub.wakeAll(servers)
	return found, nil
}

// sweepHolds ends the holds that are over: an operation whose rule is
// gone or expired, or whose delay passed, is queued again; one whose hang
// timed out fails with the rule's code and message.
func (e *Engine) sweepHolds(ctx context.Context, now time.Time) error {
	held, err := e.db.EndedHolds(ctx, now, 500)
	if err != nil {
		return err
	}
	for _, h := range held {
		f := h.Fault
		if f != nil && f.Effect == cph.FaultHang && (f.ExpiresAt.IsZero() || f.ExpiresAt.After(now)) {
			if err := e.failHeld(ctx, h); err != nil {
				return err
			}
			continue
		}
		var released bool
		err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
			var err error
			if released, err = tx.ReleaseOperation(ctx, h.ID); err != nil || !released {
				return err
			}
			return tx.NotifyServer(ctx, h.ServerID)
		})
		if err != nil {
			return err
		}
		if released {
			e.log.Info("held operation queued again", "injected_fault", h.FaultID, "operation_id", h.ID, "job_id", h.JobID)
			e.hub.wake(h.ServerID)
		}
	}
	return nil
}

// failHeld fails the job of a held operation whose hang timed out.
func (e *Engine) failHeld(ctx context.Context, h *sqlstore.HeldOperation) error {
	ctx, t := withTally(ctx)
	err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		t.reset()
		done, err := tx.CompleteOperation(ctx, h.ID, sqlstore.OpHeld, "")
		if err != nil || !done {
			return err
		}
		e.log.Warn("hung operation timed out; job failed by a fault rule", "injected_fault", h.FaultID, "operation_id", h.ID, "job_id", h.JobID)
		code, msg := faultCode(h.Fault)
		return e.finish(ctx, tx, h.OperationRecord, Result{ErrorCode: code, ErrorMsg: msg})
	})
	if err == nil {
		e.emit(t)
	}
	return err
}
