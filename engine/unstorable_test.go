package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// TestUnstorableResultFailsJobAtOnce: an agent's result holding text the
// store refuses (a NUL byte, invalid UTF-8) fails its job at once with a
// message that says so, on both engines, while the other results of the
// same report are applied.
func TestUnstorableResultFailsJobAtOnce(t *testing.T) {
	t.Parallel()
	open := map[string]func(t *testing.T) *sqlstore.DB{
		"sqlite":   storetest.OpenSQLite,
		"postgres": storetest.OpenPostgres,
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			db := open[name](t)
			c := storetest.Fixed(db, time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC))
			e := newEnvOn(t, db, c, engine.Config{})
			ctx := context.Background()
			acc, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone,
				Phones: refs(e.phones[0], e.phones[1], e.phones[2])})
			if err != nil {
				t.Fatal(err)
			}
			session := e.session(t)
			byPhone := e.pollOps(t, session, 3)
			errs, err := e.eng.ApplyResults(ctx, e.server, session, []engine.OpResult{
				{OperationID: byPhone[e.phones[0]], Result: engine.Result{Success: true, ExecuteMsg: "boot\x00log"}},
				{OperationID: byPhone[e.phones[1]], Result: engine.Result{Success: true}},
			})
			if err != nil || errs[0] != nil || errs[1] != nil {
				t.Fatalf("ApplyResults = %v, %v", errs, err)
			}
			if err := e.eng.ApplyResult(ctx, e.server, session, byPhone[e.phones[2]], engine.Result{ErrorMsg: "bad \xff byte"}); err != nil {
				t.Fatalf("ApplyResult: %v", err)
			}
			for _, i := range []int{0, 2} {
				j := e.job(t, acc.Jobs[i].JobID)
				if j.Status != cph.JobFailed || j.ErrorCode == nil || *j.ErrorCode != cph.CodeJobFailed ||
					!strings.Contains(*j.ErrorMsg, "could not be stored") {
					t.Errorf("job of phone %d = status %d code %v msg %v; want -1 CPS.9004 \"... could not be stored ...\"", i, j.Status, deref(j.ErrorCode), deref(j.ErrorMsg))
				}
				if p := e.phone(t, e.phones[i]); p.Status != cph.PhoneRestartFailed {
					t.Errorf("phone %d status %d, want %d", i, p.Status, cph.PhoneRestartFailed)
				}
			}
			if j := e.job(t, acc.Jobs[1].JobID); j.Status != cph.JobSucceeded {
				t.Errorf("job with a good result in the same report: status %d", j.Status)
			}
			// A key pair update accepted with a name the database cannot
			// hold (as the API allowed before names were checked): its
			// success cannot be recorded, so the job fails at once.
			sacc, err := e.eng.SubmitServers(ctx, engine.ServerBatch{ProjectID: e.project, Kind: cph.OpUpdateKeypair,
				ServerIDs: []string{e.server}, Args: []byte(`{"keypair_name":"\u0000"}`)})
			if err != nil {
				t.Fatal(err)
			}
			sops, err := e.eng.Poll(ctx, e.server, session, 0, 10)
			if err != nil || len(sops) != 1 {
				t.Fatalf("Poll = %d ops, %v", len(sops), err)
			}
			if err := e.eng.ApplyResult(ctx, e.server, session, sops[0].ID, engine.Result{Success: true}); err != nil {
				t.Fatalf("ApplyResult of the key pair update: %v", err)
			}
			if j := e.job(t, sacc.Jobs[0].JobID); j.Status != cph.JobFailed || j.ErrorMsg == nil || !strings.Contains(*j.ErrorMsg, "could not be stored") {
				t.Errorf("key pair job = status %d msg %v; want -1 \"... could not be stored ...\"", j.Status, deref(j.ErrorMsg))
			}
			// Nothing is left for the agent to report again.
			if _, err := e.eng.ApplyResults(ctx, e.server, session, []engine.OpResult{
				{OperationID: byPhone[e.phones[0]], Result: engine.Result{Success: true, ExecuteMsg: "boot\x00log"}}}); err != nil {
				t.Errorf("a repeated report: %v", err)
			}
		})
	}
}
