package engine_test

import (
	"context"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

// addFault stores a rule of e's project.
func (e *env) addFault(t *testing.T, f cph.Fault) string {
	t.Helper()
	f.ID, f.ProjectID, f.CreatedAt = cph.NewID(), e.project, cph.NewTime(e.db.Now())
	if f.Probability == 0 {
		f.Probability = 1
	}
	err := e.db.Tx(context.Background(), func(tx *sqlstore.Tx) error {
		_, err := tx.CreateFault(context.Background(), &f, cph.MaxFaultsPerProject)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second) // rules apply oldest first (created_at has seconds)
	return f.ID
}

func (e *env) sweep(t *testing.T, eng *engine.Engine) {
	t.Helper()
	if err := eng.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestHangOutlivesPendingTimeoutAndRestart checks that a held operation
// is not dispatched, is not failed by the pending timeout, survives a
// restart of the control plane, and runs once its rule is deleted.
func TestHangOutlivesPendingTimeoutAndRestart(t *testing.T) {
	t.Parallel()
	cfg := engine.Config{PendingTimeout: time.Minute, AgentTTL: time.Hour, Lease: time.Hour}
	e := newEnv(t, cfg)
	ctx := context.Background()
	session := e.session(t)
	rule := e.addFault(t, cph.Fault{Operation: "job:restart", Effect: cph.FaultHang})
	acc, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0])})
	if err != nil {
		t.Fatal(err)
	}
	jobID := acc.Jobs[0].JobID
	if ops, err := e.eng.Poll(ctx, e.server, session, 0, 10); err != nil || len(ops) != 0 {
		t.Fatalf("a held operation was dispatched: %d, %v", len(ops), err)
	}
	// Past the pending timeout, and through a restart of the control
	// plane, the job stays held.
	e.clock.Add(2 * time.Minute)
	e.sweep(t, e.eng)
	restarted := engine.New(e.db, cfg)
	e.clock.Add(2 * time.Minute)
	e.sweep(t, restarted)
	if j := e.job(t, jobID); j.Status != cph.JobRunning {
		t.Fatalf("held job: status %d (%s %s), want running", j.Status, deref(j.ErrorCode), deref(j.ErrorMsg))
	}
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneRestarting {
		t.Fatalf("held job's phone: %d, want 4", st)
	}
	// Deleted, the rule lets the job run; the pending timeout counts from
	// the release.
	if found, err := restarted.DeleteFault(ctx, e.project, rule); err != nil || !found {
		t.Fatalf("delete: %v %v", found, err)
	}
	e.sweep(t, restarted)
	session, err = restarted.StartSession(ctx, e.server, nil)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := restarted.Poll(ctx, e.server, session, 0, 10)
	if err != nil || len(ops) != 1 {
		t.Fatalf("after the delete: %d operations, %v", len(ops), err)
	}
	if err := restarted.ApplyResult(ctx, e.server, session, ops[0].ID, engine.Result{Success: true}); err != nil {
		t.Fatal(err)
	}
	if j := e.job(t, jobID); j.Status != cph.JobSucceeded {
		t.Errorf("job after the delete: %d", j.Status)
	}
}

// TestHangTimeoutAndDelay checks that a hang with a timeout fails its
// job with the rule's code once the store's clock passes it, that a
// delay releases its operation once it has passed, and that an operation
// whose rule is gone is released by the sweep.
func TestHangTimeoutAndDelay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{AgentTTL: time.Hour, Lease: time.Hour})
	ctx := context.Background()
	session := e.session(t)
	e.addFault(t, cph.Fault{Operation: "job:restart", Effect: cph.FaultHang, DelayMillis: 10_000, ErrorCode: cph.CodeAgentOffline, PhoneIDs: []string{e.phones[0]}})
	delay := e.addFault(t, cph.Fault{Operation: "job:restart", Effect: cph.FaultDelay, DelayMillis: 5_000})
	acc, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0], e.phones[1])})
	if err != nil {
		t.Fatal(err)
	}
	hung, delayed := acc.Jobs[0].JobID, acc.Jobs[1].JobID
	e.clock.Add(4 * time.Second)
	e.sweep(t, e.eng)
	if ops, _ := e.eng.Poll(ctx, e.server, session, 0, 10); len(ops) != 0 {
		t.Fatalf("dispatched before the delay passed: %d", len(ops))
	}
	e.clock.Add(2 * time.Second)
	e.sweep(t, e.eng)
	ops, err := e.eng.Poll(ctx, e.server, session, 0, 10)
	if err != nil || len(ops) != 1 || ops[0].JobID != delayed {
		t.Fatalf("after the delay: %d operations, %v", len(ops), err)
	}
	e.clock.Add(5 * time.Second)
	e.sweep(t, e.eng)
	j := e.job(t, hung)
	if j.Status != cph.JobFailed || deref(j.ErrorCode) != cph.CodeAgentOffline {
		t.Errorf("hung job after its timeout: %d %s %s", j.Status, deref(j.ErrorCode), deref(j.ErrorMsg))
	}
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneRestartFailed {
		t.Errorf("hung job's phone after its timeout: %d, want -6", st)
	}

	// A rule removed without releasing its operations (as by another
	// process): the next sweep releases them.
	if _, err := e.eng.DeleteFault(ctx, e.project, delay); err != nil {
		t.Fatal(err)
	}
	gone := e.addFault(t, cph.Fault{Operation: "job:restart", Effect: cph.FaultHang, PhoneIDs: []string{e.phones[2]}})
	if _, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[2])}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error { _, err := tx.DeleteFault(ctx, e.project, gone); return err }); err != nil {
		t.Fatal(err)
	}
	if ops, _ := e.eng.Poll(ctx, e.server, session, 0, 10); len(ops) != 0 {
		t.Fatalf("dispatched before the sweep: %d", len(ops))
	}
	e.sweep(t, e.eng)
	if ops, _ := e.eng.Poll(ctx, e.server, session, 0, 10); len(ops) != 1 || ops[0].PhoneID != e.phones[2] {
		t.Errorf("after the sweep, an operation whose rule is gone: %d operations", len(ops))
	}
}
