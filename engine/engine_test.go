package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

type env struct {
	db      *sqlstore.DB
	eng     *engine.Engine
	clock   *storetest.Clock
	project string
	server  string
	phones  []string
}

func newEnv(t *testing.T, cfg engine.Config) *env {
	t.Helper()
	db := storetest.OpenSQLite(t)
	c := storetest.Fixed(db, time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC))
	return newEnvOn(t, db, c, cfg)
}

// newEnvOn fills db with an account, a server and four phones.
func newEnvOn(t *testing.T, db *sqlstore.DB, c *storetest.Clock, cfg engine.Config) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{db: db, clock: c, eng: engine.New(db, cfg)}
	err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		d := &cph.Domain{ID: cph.NewID(), Name: "acme", Enabled: true}
		p := &cph.Project{ID: cph.NewID(), DomainID: d.ID, Name: "cn-north-4", Enabled: true}
		s := &cph.Server{ID: cph.NewID(), ProjectID: p.ID, Name: "s1", Status: cph.ServerNormal}
		e.project, e.server = p.ID, s.ID
		if err := tx.CreateDomain(ctx, d); err != nil {
			return err
		}
		if err := tx.CreateProject(ctx, p); err != nil {
			return err
		}
		if err := tx.CreateServer(ctx, s); err != nil {
			return err
		}
		if err := tx.CreateImage(ctx, &sqlstore.Image{ID: "img2", Name: "A12", Version: "AOSP 12.0", IsPublic: true}); err != nil {
			return err
		}
		for i, st := range []cph.PhoneStatus{cph.PhoneRunning, cph.PhoneRunning, cph.PhoneStopped, cph.PhoneCreating} {
			ph := &cph.Phone{ID: cph.NewID(), ProjectID: p.ID, ServerID: s.ID, Index: i + 1, Name: "p" + string(rune('a'+i)),
				Status: st, VNCEnable: "false", Property: "{}", ImageID: "img1", ImageVersion: "AOSP 11.0"}
			if err := tx.CreatePhone(ctx, ph); err != nil {
				return err
			}
			e.phones = append(e.phones, ph.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) phone(t *testing.T, id string) *cph.Phone {
	t.Helper()
	p, err := e.db.PhoneByID(context.Background(), e.project, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) job(t *testing.T, id string) *cph.Job {
	t.Helper()
	j, err := e.db.JobByID(context.Background(), e.project, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func (e *env) session(t *testing.T) string {
	t.Helper()
	s, err := e.eng.StartSession(context.Background(), e.server, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pollOps polls up to 10 operations of session, fails the test unless
// there are n, and returns their ids by phone.
func (e *env) pollOps(t *testing.T, session string, n int) map[string]string {
	t.Helper()
	ops, err := e.eng.Poll(context.Background(), e.server, session, 0, 10)
	if err != nil || len(ops) != n {
		t.Fatalf("Poll = %d ops, %v", len(ops), err)
	}
	byPhone := map[string]string{}
	for _, op := range ops {
		byPhone[op.PhoneID] = op.ID
	}
	return byPhone
}

func refs(ids ...string) []cph.PhoneRef {
	var out []cph.PhoneRef
	for _, id := range ids {
		out = append(out, cph.PhoneRef{PhoneID: id})
	}
	return out
}

func TestSubmitMovesPhonesAndRefusesPerItem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{})
	ctx := context.Background()
	acc, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone,
		Phones: append(refs(e.phones[0], e.phones[2], e.phones[3], "ffffffffffffffffffffffffffffffff", "not valid!", e.phones[0]),
			cph.PhoneRef{PhoneID: e.phones[1], Property: `{"no.such.key":1}`})})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes := []string{"", "", cph.CodeStatusNotAllowed, cph.CodePhoneNotFound, cph.CodeInvalidPhoneID, cph.CodeInvalidParameter}
	if len(acc.Jobs) != len(wantCodes) {
		t.Fatalf("got %d entries, want %d (duplicates answered once): %+v", len(acc.Jobs), len(wantCodes), acc.Jobs)
	}
	for i, want := range wantCodes {
		j := acc.Jobs[i]
		if j.ErrorCode != want || (want == "") != (j.JobID != "") {
			t.Errorf("entry %d = %+v, want error code %q", i, j, want)
		}
	}
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneRestarting {
		t.Errorf("running phone status %d, want 4", st)
	}
	if st := e.phone(t, e.phones[2]).Status; st != cph.PhoneRestarting {
		t.Errorf("stopped phone status %d, want 4 (restart starts it)", st)
	}
	if st := e.phone(t, e.phones[3]).Status; st != cph.PhoneCreating {
		t.Errorf("refused phone status changed to %d", st)
	}
	if st := e.phone(t, e.phones[1]).Status; st != cph.PhoneRunning {
		t.Errorf("phone with a bad property changed to %d", st)
	}
	jobs, _ := e.db.ListJobs(ctx, e.project, []string{acc.RequestID}, 0, 100)
	if len(jobs) != 2 {
		t.Errorf("request has %d jobs, want 2 (refused items have none)", len(jobs))
	}
	// A busy phone is refused, without a job.
	again, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0])})
	if err != nil {
		t.Fatal(err)
	}
	if again.Jobs[0].ErrorCode != cph.CodeStatusNotAllowed || again.Jobs[0].JobID != "" {
		t.Errorf("busy phone entry = %+v", again.Jobs[0])
	}
}

func TestWholeRequestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{MaxBatch: 2})
	ctx := context.Background()
	cases := []struct {
		name string
		b    engine.PhoneBatch
		code string
	}{
		{"empty", engine.PhoneBatch{Kind: cph.OpRestartPhone}, cph.CodeEmptyPhoneList},
		{"too many", engine.PhoneBatch{Kind: cph.OpRestartPhone, Phones: refs("a", "b", "c")}, cph.CodeTooManyItems},
		{"bad image", engine.PhoneBatch{Kind: cph.OpRestartPhone, ImageID: "nope", Phones: refs(e.phones[0])}, cph.CodeInvalidImageID},
	}
	for _, c := range cases {
		c.b.ProjectID = e.project
		_, err := e.eng.SubmitPhones(ctx, c.b)
		if got := cph.ErrorCode(err); got != c.code {
			t.Errorf("%s: error code %q, want %q", c.name, got, c.code)
		}
	}
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneRunning {
		t.Errorf("refused request changed a phone to %d", st)
	}
}

func TestResultSuccessAndFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{})
	ctx := context.Background()
	acc, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, ImageID: "img2",
		Phones: []cph.PhoneRef{{PhoneID: e.phones[0], Property: `{"sys.prop.writewifissid":"lab_wifi","com.cph.mainkeys":1}`}, {PhoneID: e.phones[1]}}})
	if err != nil {
		t.Fatal(err)
	}
	session := e.session(t)
	byPhone := e.pollOps(t, session, 2)
	if err := e.eng.ApplyResult(ctx, e.server, session, byPhone[e.phones[0]], engine.Result{Success: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.ApplyResult(ctx, e.server, session, byPhone[e.phones[1]], engine.Result{ErrorMsg: "boot loop"}); err != nil {
		t.Fatal(err)
	}
	// A second report of the same operation is refused.
	if err := e.eng.ApplyResult(ctx, e.server, session, byPhone[e.phones[1]], engine.Result{Success: true}); !errors.Is(err, engine.ErrNotClaimed) {
		t.Errorf("duplicate result: err = %v, want ErrNotClaimed", err)
	}
	p0, p1 := e.phone(t, e.phones[0]), e.phone(t, e.phones[1])
	if p0.Status != cph.PhoneRunning || p0.ImageID != "img2" || p0.ImageVersion != "AOSP 12.0" {
		t.Errorf("restarted phone = status %d image %s %s", p0.Status, p0.ImageID, p0.ImageVersion)
	}
	if p0.Property != `{"com.cph.mainkeys":1,"sys.prop.writewifissid":"lab_wifi"}` {
		t.Errorf("restarted phone property = %s", p0.Property)
	}
	if p1.Status != cph.PhoneRestartFailed || p1.ImageID != "img1" {
		t.Errorf("failed phone = status %d image %s, want -6 img1", p1.Status, p1.ImageID)
	}
	j0, j1 := e.job(t, acc.Jobs[0].JobID), e.job(t, acc.Jobs[1].JobID)
	if j0.Status != cph.JobSucceeded || j0.EndTime.IsZero() || j0.ErrorCode != nil {
		t.Errorf("succeeded job = %+v", j0)
	}
	if j1.Status != cph.JobFailed || j1.ErrorCode == nil || *j1.ErrorCode != cph.CodeJobFailed || *j1.ErrorMsg != "boot loop" {
		t.Errorf("failed job = %+v", j1)
	}
}

func TestStopThenRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{})
	ctx := context.Background()
	session := e.session(t)
	run := func(kind cph.OpKind, ok bool) {
		t.Helper()
		if _, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: kind, Phones: refs(e.phones[0])}); err != nil {
			t.Fatal(err)
		}
		ops, err := e.eng.Poll(ctx, e.server, session, 0, 10)
		if err != nil || len(ops) != 1 {
			t.Fatalf("Poll = %d, %v", len(ops), err)
		}
		if err := e.eng.ApplyResult(ctx, e.server, session, ops[0].ID, engine.Result{Success: ok}); err != nil {
			t.Fatal(err)
		}
	}
	run(cph.OpStopPhone, true)
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneStopped {
		t.Fatalf("after stop: %d, want 8", st)
	}
	acc, _ := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpStopPhone, Phones: refs(e.phones[0])})
	if acc.Jobs[0].ErrorCode != cph.CodeStatusNotAllowed {
		t.Errorf("stopping a stopped phone: %+v", acc.Jobs[0])
	}
	run(cph.OpRestartPhone, true)
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneRunning {
		t.Fatalf("after restart of a stopped phone: %d, want 2", st)
	}
	run(cph.OpResetPhone, false)
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneResetFailed {
		t.Fatalf("after failed reset: %d, want -5", st)
	}
}

func TestNewSessionRedeliversClaimedOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{})
	ctx := context.Background()
	acc, _ := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0])})
	old := e.session(t)
	ops, _ := e.eng.Poll(ctx, e.server, old, 0, 10)
	if len(ops) != 1 {
		t.Fatal("no operation")
	}
	// The agent restarts: its new session gets the operation again.
	fresh := e.session(t)
	if _, err := e.eng.Poll(ctx, e.server, old, 0, 10); !errors.Is(err, engine.ErrSessionGone) {
		t.Errorf("poll of the replaced session: err = %v, want ErrSessionGone", err)
	}
	again, err := e.eng.Poll(ctx, e.server, fresh, 0, 10)
	if err != nil || len(again) != 1 || again[0].ID != ops[0].ID {
		t.Fatalf("re-delivery = %v, %v", again, err)
	}
	if err := e.eng.ApplyResult(ctx, e.server, old, ops[0].ID, engine.Result{Success: true}); !errors.Is(err, engine.ErrNotClaimed) {
		t.Errorf("result from the old session: %v, want ErrNotClaimed", err)
	}
	if err := e.eng.ApplyResult(ctx, e.server, fresh, ops[0].ID, engine.Result{Success: true}); err != nil {
		t.Fatal(err)
	}
	if j := e.job(t, acc.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Errorf("job status %d", j.Status)
	}
}

func TestExpiredLeasesRequeueThenFail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{Lease: time.Minute, MaxAttempts: 2, AgentTTL: time.Hour})
	ctx := context.Background()
	acc, _ := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0])})
	session := e.session(t)
	for attempt := 1; attempt <= 2; attempt++ {
		ops, err := e.eng.Poll(ctx, e.server, session, 0, 10)
		if err != nil || len(ops) != 1 || ops[0].Attempt != attempt {
			t.Fatalf("attempt %d: ops %+v, %v", attempt, ops, err)
		}
		// The agent goes silent past the lease.
		e.clock.Add(2 * time.Minute)
		if err := e.eng.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	j := e.job(t, acc.Jobs[0].JobID)
	if j.Status != cph.JobFailed || j.ErrorCode == nil || *j.ErrorCode != cph.CodeJobFailed {
		t.Fatalf("job after %d silent attempts = %+v", 2, j)
	}
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneRestartFailed {
		t.Errorf("phone status %d, want -6 (never left in 4)", st)
	}
	if ops, _ := e.eng.Poll(ctx, e.server, session, 0, 10); len(ops) != 0 {
		t.Errorf("failed operation handed out again: %v", ops)
	}
}

func TestPendingTimeoutFailsJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{PendingTimeout: time.Minute, AgentTTL: time.Hour})
	ctx := context.Background()
	acc, _ := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpStopPhone, Phones: refs(e.phones[0])})
	if err := e.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if j := e.job(t, acc.Jobs[0].JobID); j.Status != cph.JobRunning {
		t.Fatalf("job failed before the timeout: %+v", j)
	}
	e.clock.Add(2 * time.Minute)
	if err := e.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if j := e.job(t, acc.Jobs[0].JobID); j.Status != cph.JobFailed {
		t.Fatalf("job not failed after the pending timeout: %+v", j)
	}
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneStopFailed {
		t.Errorf("phone status %d, want -9", st)
	}
}

func TestPollWakesOnSubmit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{PollRecheck: time.Hour})
	ctx := context.Background()
	session := e.session(t)
	got := make(chan int, 1)
	go func() {
		ops, _ := e.eng.Poll(ctx, e.server, session, time.Hour, 10)
		got <- len(ops)
	}()
	if _, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0])}); err != nil {
		t.Fatal(err)
	}
	// With an hour of wait and recheck, only the wake-up can end the poll.
	if n := <-got; n != 1 {
		t.Errorf("woken poll returned %d operations, want 1", n)
	}
}

// TestWakeAcrossReplicas parks a long-poll on one engine and submits work
// through another engine on the same PostgreSQL database: the database
// notification must end the poll (the re-check interval is an hour).
func TestWakeAcrossReplicas(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() *sqlstore.DB {
		db, err := sqlstore.OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a := newEnvOn(t, open(), nil, engine.Config{PollRecheck: time.Hour, SweepInterval: time.Hour})
	dbB := open()
	b := engine.New(dbB, engine.Config{PollRecheck: time.Hour, SweepInterval: time.Hour})
	go a.eng.Run(ctx)
	session := a.session(t)
	got := make(chan int, 1)
	go func() {
		ops, _ := a.eng.Poll(ctx, a.server, session, time.Hour, 10)
		got <- len(ops)
	}()
	// Submit through replica B until replica A's listener is connected and
	// the poll has returned; each submission targets another phone.
	for _, phone := range a.phones[:2] {
		if _, err := b.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: a.project, Kind: cph.OpRestartPhone, Phones: refs(phone)}); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-got:
			if n == 0 {
				t.Fatal("poll ended without operations")
			}
			return
		case <-time.After(2 * time.Second):
		}
	}
	t.Fatal("the other replica's submission did not wake the poll")
}

// TestSilentAgentMarksServerDown checks node liveness: a server whose agent
// stays silent past the TTL becomes abnormal with abnormal phones and
// failed jobs; new work for it is refused per item; when the agent starts
// a new session the server and phones come back.
func TestSilentAgentMarksServerDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{AgentTTL: 30 * time.Second, Lease: time.Hour})
	ctx := context.Background()
	session := e.session(t)
	acc, _ := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0])})
	if ops, _ := e.eng.Poll(ctx, e.server, session, 0, 10); len(ops) != 1 {
		t.Fatal("no operation claimed")
	}
	e.clock.Add(20 * time.Second)
	if err := e.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if st := e.phone(t, e.phones[1]).Status; st != cph.PhoneRunning {
		t.Fatalf("server marked down before the TTL (phone %d)", st)
	}
	e.clock.Add(20 * time.Second) // 40 s of silence
	if err := e.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	j := e.job(t, acc.Jobs[0].JobID)
	if j.Status != cph.JobFailed || j.ErrorCode == nil || *j.ErrorCode != cph.CodeAgentOffline {
		t.Errorf("in-flight job = %+v, want failed with %s", j, cph.CodeAgentOffline)
	}
	for i, id := range e.phones {
		if st := e.phone(t, id).Status; st != cph.PhoneAbnormal {
			t.Errorf("phone %d status %d, want -7", i, st)
		}
	}
	srv, err := e.db.ServerByID(ctx, e.project, e.server)
	if err != nil || srv.Status != cph.ServerAbnormal {
		t.Fatalf("server = %+v, %v", srv, err)
	}
	refused, _ := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpResetPhone, Phones: refs(e.phones[1])})
	if refused.Jobs[0].ErrorCode != cph.CodeServerUnavailable {
		t.Errorf("work for a down server: %+v", refused.Jobs[0])
	}
	// An agent that was only slow polls again in its old session: the
	// session is over, so that it starts a new one (and reports its
	// phones) instead of polling a down server forever.
	if _, err := e.eng.Poll(ctx, e.server, session, 0, 10); !errors.Is(err, engine.ErrSessionGone) {
		t.Errorf("poll of the marked-down session: %v, want ErrSessionGone", err)
	}
	// The agent returns; its runtime says phone 1 is stopped and knows
	// nothing of the others.
	if _, err := e.eng.StartSession(ctx, e.server, map[string]cph.PhoneStatus{e.phones[1]: cph.PhoneStopped}); err != nil {
		t.Fatal(err)
	}
	want := []cph.PhoneStatus{cph.PhoneRestartFailed, cph.PhoneStopped, cph.PhoneStopped, cph.PhoneCreating}
	for i, id := range e.phones {
		if st := e.phone(t, id).Status; st != want[i] {
			t.Errorf("phone %d after recovery: %d, want %d", i, st, want[i])
		}
	}
	if srv, _ := e.db.ServerByID(ctx, e.project, e.server); srv.Status != cph.ServerNormal {
		t.Errorf("server after recovery: %d", srv.Status)
	}
	again, _ := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0])})
	if again.Jobs[0].JobID == "" {
		t.Errorf("work after recovery refused: %+v", again.Jobs[0])
	}
}

// TestDowntimeOfTheControlPlaneFailsNothing restarts the control plane
// (a new engine on the same database) after it was down for longer than
// every sweep timeout: nothing is failed or marked down, the agent
// returns and its jobs complete normally. Once the restarted engine has
// served for the TTL, an agent that never came back is marked down.
func TestDowntimeOfTheControlPlaneFailsNothing(t *testing.T) {
	t.Parallel()
	cfg := engine.Config{AgentTTL: 30 * time.Second, Lease: 2 * time.Minute, PendingTimeout: 5 * time.Minute}
	e := newEnv(t, cfg)
	ctx := context.Background()
	session := e.session(t)
	claimed, _ := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0])})
	if ops, _ := e.eng.Poll(ctx, e.server, session, 0, 10); len(ops) != 1 {
		t.Fatal("no operation claimed")
	}
	pending, _ := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpStopPhone, Phones: refs(e.phones[1])})
	jobs := []string{claimed.Jobs[0].JobID, pending.Jobs[0].JobID}

	// The control plane is down for 10 minutes, then starts again.
	e.clock.Add(10 * time.Minute)
	restarted := engine.New(e.db, cfg)
	for range 3 {
		if err := restarted.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(5 * time.Second)
	}
	for i, id := range jobs {
		if j := e.job(t, id); j.Status != cph.JobRunning {
			t.Fatalf("job %d after the restart: status %d (%v %v), want still running", i, j.Status, deref(j.ErrorCode), deref(j.ErrorMsg))
		}
	}
	if srv, _ := e.db.ServerByID(ctx, e.project, e.server); srv.Status != cph.ServerNormal {
		t.Fatalf("server marked %d after the control plane's downtime", srv.Status)
	}

	// The agent comes back with a new session and completes both jobs.
	session = func() string {
		s, err := restarted.StartSession(ctx, e.server, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	ops, err := restarted.Poll(ctx, e.server, session, 0, 10)
	if err != nil || len(ops) != 2 {
		t.Fatalf("poll after the restart: %d operations, %v; want both again", len(ops), err)
	}
	for _, op := range ops {
		if err := restarted.ApplyResult(ctx, e.server, session, op.ID, engine.Result{Success: true}); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range jobs {
		if j := e.job(t, id); j.Status != cph.JobSucceeded {
			t.Errorf("job %d: status %d, want 2", i, j.Status)
		}
	}
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneRunning {
		t.Errorf("restarted phone: %d, want 2", st)
	}
	if st := e.phone(t, e.phones[1]).Status; st != cph.PhoneStopped {
		t.Errorf("stopped phone: %d, want 8", st)
	}

	// The restart masks a dead agent for one TTL only: silent for 31 s
	// while the engine served, the server is marked down.
	e.clock.Add(31 * time.Second)
	if err := restarted.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if srv, _ := e.db.ServerByID(ctx, e.project, e.server); srv.Status != cph.ServerAbnormal {
		t.Errorf("server of an agent silent for 31 s of service: %d, want 2", srv.Status)
	}
}

// TestStartingReplicaDoesNotMaskADeadAgent checks that each replica keeps
// its own start: a replica that starts late does not sweep the silent
// server yet, but the replica that kept running does.
func TestStartingReplicaDoesNotMaskADeadAgent(t *testing.T) {
	t.Parallel()
	cfg := engine.Config{AgentTTL: 30 * time.Second, Lease: time.Hour}
	t.Run("sqlite", func(t *testing.T) {
		e := newEnv(t, cfg)
		testStartingReplica(t, e, e.db, cfg)
	})
	t.Run("postgres", func(t *testing.T) {
		// Two replicas: two stores on one PostgreSQL database, one clock.
		url := storetest.PostgresURL(t)
		c := storetest.NewClock(time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC))
		open := func() *sqlstore.DB {
			db, err := sqlstore.OpenPostgres(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			db.Now = c.Now
			return db
		}
		e := newEnvOn(t, open(), c, cfg)
		testStartingReplica(t, e, open(), cfg)
	})
}

// testStartingReplica runs TestStartingReplicaDoesNotMaskADeadAgent with
// the running replica e and a replica that starts late on other.
func testStartingReplica(t *testing.T, e *env, other *sqlstore.DB, cfg engine.Config) {
	ctx := context.Background()
	e.session(t)
	e.clock.Add(40 * time.Second) // the agent dies; 40 s of silence
	late := engine.New(other, cfg)
	if err := late.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if srv, _ := e.db.ServerByID(ctx, e.project, e.server); srv.Status != cph.ServerNormal {
		t.Fatalf("the replica that just started marked the server %d", srv.Status)
	}
	if err := e.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if srv, _ := e.db.ServerByID(ctx, e.project, e.server); srv.Status != cph.ServerAbnormal {
		t.Errorf("the replica that kept running left the silent server at %d, want 2", srv.Status)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestPollCurrentSkipsTheSessionRead checks what a poll reads: a poll of
// a session the caller has just read as current does not read it again
// (one read, the queue's), a plain poll does (two), and either one of a
// replaced session whose heartbeat is due ends with ErrSessionGone.
func TestPollCurrentSkipsTheSessionRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{})
	ctx := context.Background()
	session := e.session(t)
	if _, err := e.eng.Poll(ctx, e.server, session, 0, 10); err != nil { // writes the heartbeat
		t.Fatal(err)
	}
	reads := func(poll func(context.Context, string, string, time.Duration, int) ([]*sqlstore.OperationRecord, error)) int64 {
		t.Helper()
		before := e.db.Statements()
		if ops, err := poll(ctx, e.server, session, 0, 10); err != nil || len(ops) != 0 {
			t.Fatalf("poll of an empty queue: %v, %v", ops, err)
		}
		return e.db.Statements() - before
	}
	if n := reads(e.eng.Poll); n != 2 {
		t.Errorf("plain poll: %d statements, want 2 (the session, the queue)", n)
	}
	if n := reads(e.eng.PollCurrent); n != 1 {
		t.Errorf("poll of a session just read as current: %d statements, want 1 (the queue)", n)
	}

	// A queued operation is still claimed.
	if _, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpRestartPhone, Phones: refs(e.phones[0])}); err != nil {
		t.Fatal(err)
	}
	if ops, err := e.eng.PollCurrent(ctx, e.server, session, 0, 10); err != nil || len(ops) != 1 {
		t.Fatalf("PollCurrent with an operation queued: %d operations, %v", len(ops), err)
	}

	// A new engine (no heartbeat recorded: due) of a replaced session.
	fresh := engine.New(e.db, engine.Config{})
	e.session(t)
	if _, err := fresh.PollCurrent(ctx, e.server, session, 0, 10); !errors.Is(err, engine.ErrSessionGone) {
		t.Errorf("PollCurrent of a replaced session with its heartbeat due: %v, want ErrSessionGone", err)
	}
}
