package jobretention_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/jobretention"
	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// clock is the store's injected clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func newClock(db *sqlstore.DB) *clock {
	c := &clock{now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	db.Now = c.Now
	return c
}
func openSQLite(t *testing.T) *sqlstore.DB { return open(t, "") }

func open(t *testing.T, url string) *sqlstore.DB {
	t.Helper()
	var db *sqlstore.DB
	var err error
	if url != "" {
		db, err = sqlstore.OpenPostgres(context.Background(), url)
	} else {
		db, err = sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cph.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// jobs creates n jobs of one request, each with its operation; final ones
// are finished at once, with their operation done.
func jobs(t *testing.T, db *sqlstore.DB, request string, n int, final bool) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		for i := range n {
			j := &cph.Job{ID: cph.NewID(), RequestID: request, ProjectID: "p1", Position: i, Kind: cph.OpRestartPhone,
				PhoneID: fmt.Sprintf("phone-%d", i), ServerID: "s1", Status: cph.JobRunning, BeginTime: cph.NewTime(tx.Now())}
			if err := tx.CreateJob(ctx, j); err != nil {
				return err
			}
			op := &cph.Operation{ID: cph.NewID(), JobID: j.ID, ServerID: "s1", PhoneID: j.PhoneID, Kind: cph.OpRestartPhone, Args: []byte(`{}`)}
			if err := tx.CreateOperation(ctx, op); err != nil {
				return err
			}
			if final {
				if _, err := tx.CompleteOperation(ctx, op.ID, sqlstore.OpPending, ""); err != nil {
					return err
				}
				if _, err := tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: j.ID, Status: cph.JobFailed}); err != nil {
					return err
				}
			}
			ids = append(ids, j.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func listed(t *testing.T, db *sqlstore.DB, request string) int {
	t.Helper()
	js, err := db.ListJobs(context.Background(), "p1", []string{request}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(js)
}

func TestPrunesOldFinalJobsInBatches(t *testing.T) {
	for name, url := range map[string]string{"sqlite": "", "postgres": "pg"} {
		t.Run(name, func(t *testing.T) {
			if url != "" {
				url = storetest.PostgresURL(t)
			}
			db := open(t, url)
			c := newClock(db)
			jobs(t, db, "old-final", 7, true)
			jobs(t, db, "old-running", 2, false)
			c.Advance(29 * 24 * time.Hour)
			jobs(t, db, "recent", 3, true)
			c.Advance(2 * 24 * time.Hour) // old ones ended 31 days ago, recent ones 2

			// Two replicas prune at once, in batches of 2.
			var wg sync.WaitGroup
			counts := make([]int, 2)
			errs := make([]error, 2)
			for i := range 2 {
				p := jobretention.New(db, jobretention.Config{MaxAge: 30 * 24 * time.Hour, Batch: 2, Pause: -1})
				wg.Go(func() { counts[i], errs[i] = p.Prune(context.Background()) })
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatal(errs)
			}
			if counts[0]+counts[1] != 7 {
				t.Errorf("pruned %v jobs, want 7 in all", counts)
			}
			if n := listed(t, db, "old-final"); n != 0 {
				t.Errorf("ListJobs shows %d old final jobs after pruning, want 0", n)
			}
			if n := listed(t, db, "old-running"); n != 2 {
				t.Errorf("ListJobs shows %d old running jobs, want 2", n)
			}
			if n := listed(t, db, "recent"); n != 3 {
				t.Errorf("ListJobs shows %d recent jobs, want 3", n)
			}
			if has, err := db.HasPendingOperations(context.Background(), "s1"); err != nil || !has {
				t.Errorf("the running jobs' operations: pending = %v, %v", has, err)
			}
		})
	}
}

func TestZeroKeepsForever(t *testing.T) {
	if p := jobretention.New(openSQLite(t), jobretention.Config{}); p != nil {
		t.Error("New with MaxAge 0 returned a pruner")
	}
}

// TestPrunesEndedEvents: ended scheduled events go with the retention
// age, but stay at least seven days; open ones stay.
func TestPrunesEndedEvents(t *testing.T) {
	for name, url := range map[string]string{"sqlite": "", "postgres": "pg"} {
		t.Run(name, func(t *testing.T) {
			if url != "" {
				url = storetest.PostgresURL(t)
			}
			db := open(t, url)
			c := newClock(db)
			ctx := context.Background()
			srv := &cph.Server{ID: "s1", ProjectID: "p1", Name: "s1", ModelName: "m"}
			announce := func(id string, withdraw bool) {
				t.Helper()
				err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
					if err := tx.CreateEvent(ctx, id, srv, cph.EventSystemMaintenance, "", tx.Now().Add(24*time.Hour), time.Hour); err != nil {
						return err
					}
					if withdraw {
						_, err := tx.WithdrawEvent(ctx, id)
						return err
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			announce("old-ended", true)
			announce("old-open", false)
			c.Advance(5 * 24 * time.Hour)
			announce("recent-ended", true)
			c.Advance(3 * 24 * time.Hour) // the old one ended 8 days ago, the recent one 3

			// A retention of an hour still keeps events seven days.
			p := jobretention.New(db, jobretention.Config{MaxAge: time.Hour, Batch: 1, Pause: -1})
			if n, err := p.PruneEvents(ctx); err != nil || n != 1 {
				t.Errorf("pruned %d events (%v), want 1", n, err)
			}
			list, _, err := db.ListEvents(ctx, sqlstore.EventQuery{ProjectID: "p1", Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, e := range list {
				left = append(left, e.ID)
			}
			if fmt.Sprint(left) != "[recent-ended old-open]" {
				t.Errorf("events left %v, want the recent ended one and the open one", left)
			}
		})
	}
}
