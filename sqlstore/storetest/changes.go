package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/sqlstore"
)

// waitLive waits until db follows changes (on PostgreSQL, once Listen is
// connected) and returns a function that stops listening.
func waitLive(t *testing.T, db *sqlstore.DB) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { db.Listen(ctx, nil, func(string) {}); close(done) }()
	if !poll.Wait(t, 10*time.Second, func() bool { _, ok := db.PhonesVersion(); return ok }) {
		cancel()
		t.Fatal("the store does not follow changes 10 s after Listen started")
	}
	return func() { cancel(); <-done }
}

// testChangeVersions checks that committed writes move the version of
// what they touched, and nothing else does.
func testChangeVersions(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	defer waitLive(t, db)()
	f := newFixture(t, db, "versions", 2)
	phones := func() uint64 { v, _ := db.PhonesVersion(); return v }
	auth := func() uint64 { v, _ := db.AuthVersion(); return v }

	p0, a0 := phones(), auth()
	if _, _, err := db.ListPhones(ctx, cph.PhoneFilter{ProjectID: f.project.ID, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TokenIdentityByHash(ctx, "none"); err == nil {
		t.Fatal("unknown token found")
	}
	if phones() != p0 || auth() != a0 {
		t.Errorf("reads moved the versions: phones %d -> %d, auth %d -> %d", p0, phones(), a0, auth())
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		_, err := tx.SetPhoneStatus(ctx, f.phones[0].ID, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneStopped)
		return err
	})
	if phones() == p0 {
		t.Error("a committed phone change did not move the phones version")
	}
	if auth() != a0 {
		t.Error("a phone change moved the auth version")
	}
	p1 := phones()
	failed := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		if _, err := tx.SetPhoneStatus(ctx, f.phones[1].ID, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneStopped); err != nil {
			return err
		}
		return context.Canceled // roll back
	})
	if failed == nil {
		t.Fatal("the transaction did not fail")
	}
	if phones() != p1 {
		t.Error("a rolled-back phone change moved the phones version")
	}
	now := db.Now()
	if err := db.CreateToken(ctx, &cph.Token{Hash: "v1", UserID: f.user.ID, DomainID: f.domain.ID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if auth() == a0 {
		t.Error("a new token did not move the auth version")
	}
	a1 := auth()
	if _, err := db.RevokeToken(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if auth() == a1 {
		t.Error("a revocation did not move the auth version")
	}
}

// testChangedSignal checks that Changed is closed by a committed write to
// phones or jobs and not by a rolled-back one, and that job writes move the
// jobs version only.
func testChangedSignal(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	defer waitLive(t, db)()
	f := newFixture(t, db, "signal", 1)
	closed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	jobs := func() uint64 { v, _ := db.JobsVersion(); return v }
	phones := func() uint64 { v, _ := db.PhonesVersion(); return v }

	ch := db.Changed()
	failed := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		if _, err := tx.SetPhoneStatus(ctx, f.phones[0].ID, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneStopped); err != nil {
			return err
		}
		return context.Canceled // roll back
	})
	if failed == nil {
		t.Fatal("the transaction did not fail")
	}
	if closed(ch) {
		t.Error("a rolled-back write closed the Changed channel")
	}
	j0, p0 := jobs(), phones()
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		return tx.CreateJob(ctx, &cph.Job{ID: cph.NewID(), RequestID: cph.NewID(), ProjectID: f.project.ID, Kind: cph.OpRestartPhone,
			PhoneID: f.phones[0].ID, ServerID: f.phones[0].ServerID, Status: cph.JobRunning, BeginTime: cph.NewTime(tx.Now())})
	})
	if !closed(ch) {
		t.Error("a committed job did not close the Changed channel")
	}
	if jobs() == j0 {
		t.Error("a committed job did not move the jobs version")
	}
	if phones() != p0 {
		t.Error("a job write moved the phones version")
	}
	ch = db.Changed()
	if closed(ch) {
		t.Error("a new Changed channel is closed before any change")
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		_, err := tx.SetPhoneStatus(ctx, f.phones[0].ID, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneStopped)
		return err
	})
	if !closed(ch) {
		t.Error("a committed phone change did not close the Changed channel")
	}
}

// testGroupTx runs many GroupTx calls at once, some failing and one
// panicking: each failure undoes only its own changes.
func testGroupTx(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "group", 40)
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, len(f.phones))
	for i, p := range f.phones {
		wg.Go(func() {
			errs[i] = db.GroupTx(ctx, func(tx *sqlstore.Tx) error {
				if _, err := tx.SetPhoneStatus(ctx, p.ID, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneStopped); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errBoom
				case 7:
					panic("boom")
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, p := range f.phones {
		got, err := db.PhoneByID(ctx, f.project.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch i % 10 {
		case 3, 7:
			if errs[i] == nil || got.Status != cph.PhoneRunning {
				t.Errorf("call %d failed: error %v, phone status %d; want an error and the change undone", i, errs[i], got.Status)
			}
			if i%10 == 3 && !errors.Is(errs[i], errBoom) {
				t.Errorf("call %d: error %v, want its own", i, errs[i])
			}
		default:
			if errs[i] != nil || got.Status != cph.PhoneStopped {
				t.Errorf("call %d: error %v, phone status %d; want committed", i, errs[i], got.Status)
			}
		}
	}
}

// testPhoneStatusLog checks the status changes a cached phone list is
// brought up to date with: the changes of a committed status update are
// known from the version before it, a savepoint rolled back
// leaves none, and any other phone write is a barrier after which the
// list must be read again.
func testPhoneStatusLog(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	defer waitLive(t, db)()
	f := newFixture(t, db, "statuslog", 3)
	phones := func() uint64 { v, _ := db.PhonesVersion(); return v }
	v0 := phones()
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		_, err := tx.SetPhonesStatus(ctx, []string{f.phones[0].ID, f.phones[1].ID}, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneRestarting)
		return err
	})
	// A grouped call that fails is undone with its savepoint: its status
	// change must not be reported.
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = db.GroupTx(ctx, func(tx *sqlstore.Tx) error {
			if _, err := tx.SetPhoneStatus(ctx, f.phones[2].ID, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneStopped); err != nil {
				return err
			}
			return errors.New("undo")
		})
	})
	wg.Go(func() {
		_ = db.GroupTx(ctx, func(tx *sqlstore.Tx) error {
			_, err := tx.SetPhoneStatus(ctx, f.phones[0].ID, []cph.PhoneStatus{cph.PhoneRestarting}, cph.PhoneRunning)
			return err
		})
	})
	wg.Wait()
	v1 := phones()
	changes, ok := db.PhoneStatusChangesSince(v0, v1)
	if !ok {
		t.Fatalf("status changes from version %d to %d not known", v0, v1)
	}
	final := map[string]cph.PhoneStatus{}
	for _, c := range changes {
		final[c.ID] = c.Status
	}
	want := map[string]cph.PhoneStatus{f.phones[0].ID: cph.PhoneRunning, f.phones[1].ID: cph.PhoneRestarting}
	if len(final) != len(want) || final[f.phones[0].ID] != want[f.phones[0].ID] || final[f.phones[1].ID] != want[f.phones[1].ID] {
		t.Fatalf("status changes %+v end in %v, want %v (the undone change of the third phone must be absent)", changes, final, want)
	}
	for id, st := range want {
		p, err := db.PhoneByID(ctx, f.project.ID, id)
		if err != nil || p.Status != st {
			t.Fatalf("phone %s in the database: %+v, %v; the log says %d", id, p, err, st)
		}
	}
	// Another phone write is a barrier.
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		return tx.SetPhoneImageAndProperty(ctx, f.phones[1].ID, "img1", "AOSP 11.0", `{"a":"b"}`)
	})
	v2 := phones()
	if _, ok := db.PhoneStatusChangesSince(v1, v2); ok {
		t.Error("a change of a phone's image and properties was reported as status changes only")
	}
	if _, ok := db.PhoneStatusChangesSince(v0, v2); ok {
		t.Error("changes across a barrier were reported")
	}
}

// testPhoneStatusLogOrder changes the status of the same phones from
// many transactions at once and checks that the status log ends each
// phone in the status the database holds: changes of one phone are
// logged in the order they committed, also where transactions commit
// side by side (PostgreSQL).
func testPhoneStatusLogOrder(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	defer waitLive(t, db)()
	f := newFixture(t, db, "statuslog-order", 4)
	ids := make([]string, len(f.phones))
	for i, p := range f.phones {
		ids[i] = p.ID
	}
	all := []cph.PhoneStatus{cph.PhoneRunning, cph.PhoneRestarting, cph.PhoneStopped, cph.PhoneResetting}
	// Rounds of 8 transactions started together; after each round the
	// log must end every phone where the database has it.
	for round := range 30 {
		v0, _ := db.PhonesVersion()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range 8 {
			wg.Go(func() {
				<-start
				to := all[(w+round)%len(all)]
				// One phone alone or all of them, one after the other
				// (rows locked in one order: no deadlock), so that
				// transactions wait for each other's rows.
				which := ids
				if w%2 == 1 {
					which = ids[(w+round)%len(ids) : (w+round)%len(ids)+1]
				}
				before, _ := db.PhonesVersion()
				if err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
					for _, id := range which {
						if _, err := tx.SetPhonesStatus(ctx, []string{id}, all, to); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
				// Once Tx returns, its changes are in the versions: a
				// read after one's own commit sees it.
				after, _ := db.PhonesVersion()
				changes, ok := db.PhoneStatusChangesSince(before, after)
				mine := 0
				for _, c := range changes {
					if c.ID == which[0] && c.Status == to {
						mine++
					}
				}
				if !ok || mine == 0 {
					t.Errorf("round %d: the versions after a committed Tx (%d → %d, known %v) do not hold its change of %s to %d", round, before, after, ok, which[0], to)
				}
			})
		}
		close(start)
		wg.Wait()
		v1, _ := db.PhonesVersion()
		changes, ok := db.PhoneStatusChangesSince(v0, v1)
		if !ok {
			t.Fatalf("round %d: status changes from version %d to %d not known", round, v0, v1)
		}
		final := map[string]cph.PhoneStatus{}
		for _, c := range changes {
			final[c.ID] = c.Status
		}
		for _, id := range ids {
			p, err := db.PhoneByID(ctx, f.project.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if st, changed := final[id]; changed && st != p.Status {
				t.Fatalf("round %d, phone %s: the status log ends in %d, the database holds %d", round, id, st, p.Status)
			}
		}
	}
}

// testCombinedAgentCalls checks the statements that serve many agents at
// once: the claim of several servers' queues, and the heartbeats of
// several sessions (a replaced session is refused, a session named with
// another server's id is refused and touches nothing).
func testCombinedAgentCalls(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	a := newFixture(t, db, "combined-a", 3)
	b := newFixture(t, db, "combined-b", 2)
	submit(t, db, a, "req-a", a.phones)
	submit(t, db, b, "req-b", b.phones)
	for _, s := range []struct{ server, session string }{{a.server.ID, "sa"}, {b.server.ID, "sb"}} {
		mustTx(t, db, func(tx *sqlstore.Tx) error { _, err := tx.StartAgentSession(ctx, s.server, s.session); return err })
	}
	got, err := db.ClaimOperationsFor(ctx, []sqlstore.ClaimRequest{
		{ServerID: a.server.ID, SessionID: "sa", Max: 2}, {ServerID: b.server.ID, SessionID: "sb", Max: 10}}, db.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got[a.server.ID]) != 2 || len(got[b.server.ID]) != 2 {
		t.Fatalf("claimed %d of a (max 2) and %d of b (2 queued)", len(got[a.server.ID]), len(got[b.server.ID]))
	}
	for server, ops := range got {
		for _, op := range ops {
			want := "sa"
			if server == b.server.ID {
				want = "sb"
			}
			if op.ServerID != server || op.SessionID != want || op.State != sqlstore.OpClaimed || op.Attempt != 1 {
				t.Errorf("claimed operation %+v for server %s, want its own, claimed by %s, first attempt", op, server, want)
			}
		}
	}
	rest, _ := db.ClaimOperationsFor(ctx, []sqlstore.ClaimRequest{{ServerID: a.server.ID, SessionID: "sa", Max: 10}, {ServerID: b.server.ID, SessionID: "sb", Max: 10}}, db.Now().Add(time.Hour))
	if len(rest[a.server.ID]) != 1 || len(rest[b.server.ID]) != 0 {
		t.Errorf("second claim: %d of a (1 left), %d of b (none left)", len(rest[a.server.ID]), len(rest[b.server.ID]))
	}

	mustTx(t, db, func(tx *sqlstore.Tx) error { _, err := tx.StartAgentSession(ctx, b.server.ID, "sb2"); return err })
	ok, err := db.TouchAgents(ctx, []sqlstore.AgentSession{{ServerID: a.server.ID, SessionID: "sa"}, {ServerID: b.server.ID, SessionID: "sb"}, {ServerID: b.server.ID, SessionID: "sb2"}})
	if err != nil {
		t.Fatal(err)
	}
	if !ok[0] || ok[1] || !ok[2] {
		t.Errorf("heartbeats of a current, a replaced and a new session: %v, want [true false true]", ok)
	}
	ok, err = db.TouchAgents(ctx, []sqlstore.AgentSession{{ServerID: b.server.ID, SessionID: "sa"}, {ServerID: b.server.ID, SessionID: "sb2"}})
	if err != nil {
		t.Fatal(err)
	}
	if ok[0] || !ok[1] {
		t.Errorf("heartbeats of a's session named with b's id, and of b's own: %v, want [false true]", ok)
	}
}
