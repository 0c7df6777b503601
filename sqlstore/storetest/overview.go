package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// testRecentJobs: a project's jobs newest first, a request's jobs in
// their order, filtered and paged by marker and offset.
func testRecentJobs(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	f := newFixture(t, db, "acme", 3)
	other := newFixture(t, db, "globex", 1)
	r1 := submit(t, db, f, "req1", f.phones[:1])
	advance(time.Second)
	r2 := submit(t, db, f, "req2", f.phones)
	submit(t, db, other, "req2", other.phones)
	advance(time.Second)
	shot := &cph.Job{ID: cph.NewID(), RequestID: "shot", ProjectID: f.project.ID, Kind: cph.OpScreenshot,
		PhoneID: f.phones[0].ID, ServerID: f.server.ID, Status: cph.JobRunning, BeginTime: cph.NewTime(db.Now())}
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.CreateJob(ctx, shot) })
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		_, err := tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: r2[1].ID, Status: cph.JobFailed})
		return err
	})
	recent := func(fl cph.RecentJobFilter) ([]string, bool) {
		t.Helper()
		if fl.Limit == 0 {
			fl.Limit = 100
		}
		jobs, more, err := db.RecentJobs(ctx, f.project.ID, fl)
		if err != nil {
			t.Fatal(err)
		}
		return jobIDs(jobs), more
	}
	all := append(jobIDs(r2), jobIDs(r1)...)
	for _, c := range []struct {
		name string
		f    cph.RecentJobFilter
		want []string
		more bool
	}{
		{"all", cph.RecentJobFilter{}, all, false},
		{"first page", cph.RecentJobFilter{Limit: 2}, all[:2], true},
		{"after a marker", cph.RecentJobFilter{Marker: all[1], Limit: 1}, all[2:3], true},
		{"offset after a marker", cph.RecentJobFilter{Marker: all[1], Offset: 1, Limit: 2}, all[3:], false},
		{"offset", cph.RecentJobFilter{Offset: 3}, all[3:], false},
		{"failed", cph.RecentJobFilter{Status: cph.JobFailed}, []string{r2[1].ID}, false},
		{"running", cph.RecentJobFilter{Status: cph.JobRunning}, []string{r2[0].ID, r2[2].ID, r1[0].ID}, false},
		{"request", cph.RecentJobFilter{RequestID: "req2"}, jobIDs(r2), false},
		{"phone", cph.RecentJobFilter{PhoneID: f.phones[0].ID}, []string{r2[0].ID, r1[0].ID}, false},
		{"server", cph.RecentJobFilter{ServerID: f.server.ID, Status: cph.JobRunning, Marker: r2[0].ID}, []string{r2[2].ID, r1[0].ID}, false},
		{"another project's server", cph.RecentJobFilter{ServerID: other.server.ID}, nil, false},
	} {
		got, more := recent(c.f)
		if diff := cmp.Diff(c.want, got); diff != "" || more != c.more {
			t.Errorf("%s: more %v, want %v; jobs (-want +got):\n%s", c.name, more, c.more, diff)
		}
	}
	for _, marker := range []string{other.phones[0].ID, shot.ID} {
		_, _, err := db.RecentJobs(ctx, f.project.ID, cph.RecentJobFilter{Marker: marker, Limit: 10})
		if !errors.Is(err, sqlstore.ErrNotFound) {
			t.Errorf("marker %s, no listed job of the project: %v, want ErrNotFound", marker, err)
		}
	}
}

// testProjectFleet: the counts of one project, with "failed since" and
// "seen since" at the store's clock.
func testProjectFleet(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	f := newFixture(t, db, "acme", 4)
	other := newFixture(t, db, "globex", 2)
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		if _, err := tx.SetPhoneStatus(ctx, f.phones[0].ID, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneStopped); err != nil {
			return err
		}
		_, err := tx.StartAgentSession(ctx, f.server.ID, "session-1")
		return err
	})
	fail := func(jobs []*cph.Job) {
		t.Helper()
		mustTx(t, db, func(tx *sqlstore.Tx) error {
			for _, j := range jobs {
				if _, err := tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: j.ID, Status: cph.JobFailed}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	fail(submit(t, db, f, "old", f.phones[:1]))
	fail(submit(t, db, other, "other", other.phones))
	advance(90 * time.Minute)
	fail(submit(t, db, f, "recent", f.phones[1:3]))
	submit(t, db, f, "running", f.phones[3:])
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		for i, st := range []cph.JobStatus{cph.JobRunning, cph.JobFailed} {
			j := &cph.Job{ID: cph.NewID(), RequestID: "shot", ProjectID: f.project.ID, Position: i, Kind: cph.OpScreenshot,
				PhoneID: f.phones[i].ID, ServerID: f.server.ID, Status: cph.JobRunning, BeginTime: cph.NewTime(tx.Now())}
			if err := tx.CreateJob(ctx, j); err != nil {
				return err
			}
			if st == cph.JobFailed {
				if _, err := tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: j.ID, Status: st}); err != nil {
					return err
				}
			}
		}
		return nil
	}) // screenshot jobs, not counted

	t0 := db.Now()
	pf, err := db.ProjectFleet(ctx, f.project.ID, t0.Add(-time.Minute), t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := &sqlstore.ProjectFleet{
		PhonesByStatus:  map[cph.PhoneStatus]int{cph.PhoneRunning: 3, cph.PhoneStopped: 1},
		ServersByStatus: map[cph.ServerStatus]int{cph.ServerNormal: 1},
		AgentsConnected: 0, // its agent was last seen 90 minutes ago
		JobsRunning:     1,
		JobsFailed:      2, // the failure of 90 minutes ago is not counted
	}
	if diff := cmp.Diff(want, pf); diff != "" {
		t.Errorf("project fleet (-want +got):\n%s", diff)
	}
	pf, err = db.ProjectFleet(ctx, f.project.ID, t0.Add(-2*time.Hour), t0.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if pf.AgentsConnected != 1 || pf.JobsFailed != 3 {
		t.Errorf("two hours back: %d agents connected, %d jobs failed; want 1 and 3", pf.AgentsConnected, pf.JobsFailed)
	}
}
