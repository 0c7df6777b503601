package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// testPruneJobs: final jobs that ended before the cutoff go with their
// operations, in batches; running jobs and recent final jobs stay.
func testPruneJobs(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	f := newFixture(t, db, "acme", 6)
	finish := func(jobs []*cph.Job) {
		t.Helper()
		mustTx(t, db, func(tx *sqlstore.Tx) error {
			for _, j := range jobs {
				ops, err := tx.OpenOperations(ctx, j.ServerID)
				if err != nil {
					return err
				}
				for _, op := range ops {
					if op.JobID != j.ID {
						continue
					}
					if _, err := tx.CompleteOperation(ctx, op.ID, sqlstore.OpPending, ""); err != nil {
						return err
					}
				}
				if _, err := tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: j.ID, Status: cph.JobSucceeded}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	old := submit(t, db, f, "old", f.phones[:3])
	finish(old[:2]) // old[2] keeps running, its operation pending
	advance(40 * 24 * time.Hour)
	recent := submit(t, db, f, "recent", f.phones[3:])
	finish(recent)
	cutoff := db.Now().Add(-30 * 24 * time.Hour)

	for i, want := range []int{1, 1, 0} {
		n, err := db.PruneJobs(ctx, cutoff, 1)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("prune %d deleted %d jobs, want %d", i, n, want)
		}
	}
	left, err := db.ListJobs(ctx, f.project.ID, []string{"old", "recent"}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, j := range left {
		ids = append(ids, j.ID)
	}
	want := []string{old[2].ID, recent[0].ID, recent[1].ID, recent[2].ID}
	if len(ids) != len(want) {
		t.Fatalf("jobs left = %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Errorf("jobs left = %v, want %v", ids, want)
			break
		}
	}
	for _, j := range old[:2] {
		if _, err := db.JobByID(ctx, f.project.ID, j.ID); err == nil {
			t.Errorf("pruned job %s still found", j.ID)
		}
	}
	// The running job's operation is still queued for the agent.
	if has, err := db.HasPendingOperations(ctx, f.server.ID); err != nil || !has {
		t.Errorf("pending operation of the running job: %v, %v", has, err)
	}
	// Everything that ended before the cutoff is gone, so a prune with a
	// later cutoff takes the recent ones, and never the running one.
	advance(31 * 24 * time.Hour)
	if n, err := db.PruneJobs(ctx, db.Now().Add(-30*24*time.Hour), 500); err != nil || n != 3 {
		t.Errorf("second prune = %d, %v; want 3", n, err)
	}
	if j, err := db.JobByID(ctx, f.project.ID, old[2].ID); err != nil || j.Status != cph.JobRunning {
		t.Errorf("running job after pruning = %+v, %v", j, err)
	}
	if _, err := db.PruneJobs(ctx, cutoff, 0); err == nil {
		t.Error("PruneJobs with a batch of 0 did not fail")
	}
}
