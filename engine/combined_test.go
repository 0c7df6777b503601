package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// fleetOn fills db with a project of servers servers of perServer running
// phones each; it returns the project, the server ids and the phone ids
// by server.
func fleetOn(t *testing.T, db *sqlstore.DB, servers, perServer int) (string, []string, map[string][]string) {
	t.Helper()
	ctx := context.Background()
	var project string
	var srvIDs []string
	phones := map[string][]string{}
	err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		d := &cph.Domain{ID: cph.NewID(), Name: "fleet-" + cph.NewID()[:8], Enabled: true}
		p := &cph.Project{ID: cph.NewID(), DomainID: d.ID, Name: "cn-north-4", Enabled: true}
		project = p.ID
		if err := tx.CreateDomain(ctx, d); err != nil {
			return err
		}
		if err := tx.CreateProject(ctx, p); err != nil {
			return err
		}
		for i := range servers {
			s := &cph.Server{ID: cph.NewID(), ProjectID: p.ID, Name: fmt.Sprintf("s%d", i), Status: cph.ServerNormal}
			if err := tx.CreateServer(ctx, s); err != nil {
				return err
			}
			srvIDs = append(srvIDs, s.ID)
			for j := range perServer {
				ph := &cph.Phone{ID: cph.NewID(), ProjectID: p.ID, ServerID: s.ID, Index: j + 1, Name: fmt.Sprintf("s%d-p%d", i, j),
					Status: cph.PhoneRunning, VNCEnable: "false", Property: "{}", ImageID: "img1", ImageVersion: "AOSP 11.0"}
				if err := tx.CreatePhone(ctx, ph); err != nil {
					return err
				}
				phones[s.ID] = append(phones[s.ID], ph.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return project, srvIDs, phones
}

func enginesUnderTest(t *testing.T) map[string]func(t *testing.T) *sqlstore.DB {
	dbs := map[string]func(t *testing.T) *sqlstore.DB{"sqlite": storetest.OpenSQLite}
	if os.Getenv("CPH_TEST_DATABASE_URL") != "" {
		dbs["postgres"] = storetest.OpenPostgres
	}
	return dbs
}

// TestAgentsClaimAndReportTogether runs a fan-out spread over many servers
// with every agent polling and reporting at the same time, so that claims
// and results are combined: each agent must get exactly its own server's
// operations, once, and every job and phone must end as if each agent had
// been served alone.
func TestAgentsClaimAndReportTogether(t *testing.T) {
	for name, open := range enginesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := open(t)
			const servers, perServer = 24, 5
			project, srvIDs, phones := fleetOn(t, db, servers, perServer)
			eng := engine.New(db, engine.Config{PollRecheck: 50 * time.Millisecond})
			ctx := context.Background()

			// Two batches, each with one phone of every server (spread).
			var jobs []string
			for b := range 2 {
				var refs []cph.PhoneRef
				for _, s := range srvIDs {
					refs = append(refs, cph.PhoneRef{PhoneID: phones[s][b]})
				}
				acc, err := eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: project, Kind: cph.OpRestartPhone, Phones: refs})
				if err != nil {
					t.Fatal(err)
				}
				for _, j := range acc.Jobs {
					if j.ErrorCode != "" {
						t.Fatalf("refused: %+v", j)
					}
					jobs = append(jobs, j.JobID)
				}
			}

			var wg sync.WaitGroup
			errs := make(chan error, servers)
			for _, s := range srvIDs {
				wg.Go(func() {
					session, err := eng.StartSession(ctx, s, nil)
					if err != nil {
						errs <- err
						return
					}
					got := 0
					for got < 2 {
						ops, err := eng.Poll(ctx, s, session, 2*time.Second, 100)
						if err != nil {
							errs <- err
							return
						}
						var results []engine.OpResult
						for _, op := range ops {
							if op.ServerID != s {
								errs <- fmt.Errorf("server %s was handed operation %s of server %s", s, op.ID, op.ServerID)
								return
							}
							results = append(results, engine.OpResult{OperationID: op.ID, Result: engine.Result{Success: true}})
						}
						if len(results) == 0 {
							continue
						}
						perResult, err := eng.ApplyResults(ctx, s, session, results)
						if err != nil {
							errs <- err
							return
						}
						for _, e := range perResult {
							if e != nil {
								errs <- fmt.Errorf("result refused: %w", e)
								return
							}
						}
						got += len(results)
					}
					if got != 2 {
						errs <- fmt.Errorf("server %s got %d operations, want 2", s, got)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for _, id := range jobs {
				j, err := db.JobByID(ctx, project, id)
				if err != nil {
					t.Fatal(err)
				}
				if j.Status != cph.JobSucceeded {
					t.Errorf("job %s: status %d, want succeeded", id, j.Status)
				}
			}
			for _, s := range srvIDs {
				for _, id := range phones[s] {
					p, err := db.PhoneByID(ctx, project, id)
					if err != nil {
						t.Fatal(err)
					}
					if p.Status != cph.PhoneRunning {
						t.Errorf("phone %s: status %d, want running", id, p.Status)
					}
				}
			}
		})
	}
}

// TestResultOfAnotherSessionIsRefused has an agent report an operation
// that another server's agent holds, at the same time as that agent
// reports its own results: the stranger's result must be refused and the
// holder's applied, whether or not the two posts were combined.
func TestResultOfAnotherSessionIsRefused(t *testing.T) {
	for name, open := range enginesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := open(t)
			project, srvIDs, phones := fleetOn(t, db, 2, 2)
			eng := engine.New(db, engine.Config{})
			ctx := context.Background()
			a, b := srvIDs[0], srvIDs[1]
			acc, err := eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: project, Kind: cph.OpRestartPhone,
				Phones: []cph.PhoneRef{{PhoneID: phones[a][0]}, {PhoneID: phones[b][0]}}})
			if err != nil {
				t.Fatal(err)
			}
			sa, _ := eng.StartSession(ctx, a, nil)
			sb, _ := eng.StartSession(ctx, b, nil)
			opsA, err := eng.Poll(ctx, a, sa, 0, 10)
			if err != nil || len(opsA) != 1 {
				t.Fatalf("poll a: %d, %v", len(opsA), err)
			}
			opsB, err := eng.Poll(ctx, b, sb, 0, 10)
			if err != nil || len(opsB) != 1 {
				t.Fatalf("poll b: %d, %v", len(opsB), err)
			}
			ok := engine.Result{Success: true}
			var wg sync.WaitGroup
			type outcome struct {
				errs []error
				err  error
			}
			stranger := make(chan outcome, 20)
			for range 20 { // many at once, so that some posts are combined
				wg.Go(func() {
					errs, err := eng.ApplyResults(ctx, a, sa, []engine.OpResult{{OperationID: opsB[0].ID, Result: ok}})
					stranger <- outcome{errs, err}
				})
			}
			wg.Wait()
			close(stranger)
			for o := range stranger {
				if o.err != nil || len(o.errs) != 1 || !errors.Is(o.errs[0], engine.ErrNotClaimed) {
					t.Fatalf("a result for another session's operation: %v, %v; want ErrNotClaimed", o.errs, o.err)
				}
			}
			var holderErrs []error
			var holderErr error
			wg.Go(func() {
				_, _ = eng.ApplyResults(ctx, a, sa, []engine.OpResult{{OperationID: opsB[0].ID, Result: ok}, {OperationID: opsA[0].ID, Result: ok}})
			})
			wg.Go(func() {
				holderErrs, holderErr = eng.ApplyResults(ctx, b, sb, []engine.OpResult{{OperationID: opsB[0].ID, Result: ok}})
			})
			wg.Wait()
			if holderErr != nil || len(holderErrs) != 1 || holderErrs[0] != nil {
				t.Fatalf("the holder's own result: %v, %v", holderErrs, holderErr)
			}
			for _, j := range acc.Jobs {
				job, err := db.JobByID(ctx, project, j.JobID)
				if err != nil {
					t.Fatal(err)
				}
				if job.Status != cph.JobSucceeded {
					t.Errorf("job of phone %s: status %d", j.PhoneID, job.Status)
				}
			}
		})
	}
}
