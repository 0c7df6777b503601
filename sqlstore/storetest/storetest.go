// Package storetest is the conformance suite of sqlstore: every database
// engine the store supports must pass Run.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Opener returns a new, empty, migrated store for one test.
type Opener func(t *testing.T) *sqlstore.DB

// Run exercises every store method against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *sqlstore.DB)
	}{
		{"IdentitiesAndTokens", testIdentities},
		{"ListPhonesFiltersAndPages", testListPhones},
		{"PhonesAreProjectScoped", testPhoneScope},
		{"SetPhoneStatusIsConditional", testSetPhoneStatus},
		{"TxRollsBack", testRollback},
		{"JobsListedInRequestOrder", testListJobs},
		{"FinishJobOnlyOnce", testFinishJob},
		{"RecentJobsNewestFirst", testRecentJobs},
		{"ProjectFleetCounts", testProjectFleet},
		{"PruneJobs", testPruneJobs},
		{"ClaimHandsOutEachOperationOnce", testClaim},
		{"ConcurrentClaimsNeverShare", testConcurrentClaims},
		{"NewSessionRequeuesOldClaims", testSessions},
		{"LeasesExpireAndRequeue", testLeases},
		{"StalePendingOperations", testStalePending},
		{"MetaSetOnce", testMeta},
		{"AccessKeys", testAccessKeys},
		{"EnrollmentTokens", testEnrollmentTokens},
		{"CreatePhonesAsCreatePhone", testCreatePhonesAsCreatePhone},
		{"FailedCreatePhonesLeavesNothing", testFailedCreatePhonesLeavesNothing},
		{"RateLimitTokenBuckets", testTokenBuckets},
		{"RateLimitConcurrentTokens", testConcurrentTokens},
		{"RateLimitWindows", testWindows},
		{"RateLimitMarks", testMarks},
		{"UserChangesRevokeTokens", testUserChanges},
		{"LastAdminStaysConcurrently", testLastAdminConcurrently},
		{"RenamePhoneKeepsNamesUnique", testRenamePhone},
		{"PhoneAttributes", testPhoneAttributes},
		{"BucketsHaveOneOwner", testBuckets},
		{"ServerStatusAndDelete", testServerStatusAndDelete},
		{"ServerTags", testServerTags},
		{"EncodeServerStatus", testEncodeServerStatus},
		{"FleetServersKeepTheirRuntime", testFleetRuntime},
		{"ImageSharing", testImageSharing},
		{"ListImagesFilters", testListImagesFilters},
		{"ReassignServer", testReassignServer},
		{"ChangesMoveVersions", testChangeVersions},
		{"ChangedSignal", testChangedSignal},
		{"GroupTxUndoesOnlyFailures", testGroupTx},
		{"PhoneStatusLog", testPhoneStatusLog},
		{"PhoneStatusLogOrder", testPhoneStatusLogOrder},
		{"CombinedAgentCalls", testCombinedAgentCalls},
		{"ConcurrentAccessKeyLimit", testConcurrentAccessKeyLimit},
		{"ConcurrentTagLimit", testConcurrentTagLimit},
		{"ConcurrentImageMemberLimit", testConcurrentImageMemberLimit},
		{"ConcurrentRenamesKeepNamesUnique", testConcurrentRenames},
		{"ConcurrentDuplicateNames", testConcurrentDuplicateNames},
		{"ConcurrentPhoneNames", testConcurrentPhoneNames},
		{"PhoneNamesWhileRebuilding", testPhoneNamesWhileRebuilding},
		{"DeleteWhileAdding", testDeleteWhileAdding},
		{"InvalidTextRefused", testInvalidText},
		{"AuditEvents", testAuditEvents},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each test has a store of its own
			db := open(t)
			now := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
			var mu sync.Mutex
			db.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			tt.fn(t, db)
		})
	}
}

// fixture is one account with a project, a server and phones.
type fixture struct {
	domain  *cph.Domain
	user    *cph.User
	project *cph.Project
	server  *cph.Server
	phones  []*cph.Phone
}

func mustTx(t *testing.T, db *sqlstore.DB, fn func(*sqlstore.Tx) error) {
	t.Helper()
	if err := db.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// newFixture creates an account named name with one server of n phones.
func newFixture(t *testing.T, db *sqlstore.DB, name string, n int) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{
		domain: &cph.Domain{ID: cph.NewID(), Name: name, Enabled: true},
	}
	f.user = &cph.User{ID: cph.NewID(), DomainID: f.domain.ID, Name: name, PasswordHash: "x", Enabled: true, IsAdmin: true}
	f.project = &cph.Project{ID: cph.NewID(), DomainID: f.domain.ID, Name: "cn-north-4", Enabled: true}
	f.server = &cph.Server{ID: cph.NewID(), ProjectID: f.project.ID, Name: name + "-server", Status: cph.ServerNormal,
		Addresses: []cph.Address{{ServerIP: "10.0.0.1"}}, NetworkVersion: "v1", PhoneModelName: "m1"}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		if err := tx.CreateDomain(ctx, f.domain); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, f.user); err != nil {
			return err
		}
		if err := tx.CreateProject(ctx, f.project); err != nil {
			return err
		}
		if err := tx.CreateServer(ctx, f.server); err != nil {
			return err
		}
		for i := 1; i <= n; i++ {
			p := &cph.Phone{ID: cph.NewID(), ProjectID: f.project.ID, ServerID: f.server.ID, Index: i,
				Name: fmt.Sprintf("%s-%04d", name, i), Status: cph.PhoneRunning, VNCEnable: "false", Property: "{}"}
			if err := tx.CreatePhone(ctx, p); err != nil {
				return err
			}
			f.phones = append(f.phones, p)
		}
		return nil
	})
	return f
}

func testIdentities(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 0)
	d, err := db.DomainByName(ctx, "acme")
	if err != nil || d.ID != f.domain.ID {
		t.Fatalf("DomainByName = %v, %v; want %s", d, err, f.domain.ID)
	}
	u, err := db.UserByName(ctx, f.domain.ID, "acme")
	if err != nil || u.ID != f.user.ID || !u.IsAdmin {
		t.Fatalf("UserByName = %+v, %v", u, err)
	}
	if _, err := db.UserByName(ctx, f.domain.ID, "nobody"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("unknown user: err = %v, want ErrNotFound", err)
	}
	// A second user with the same name in the same domain is refused.
	err = db.Tx(ctx, func(tx *sqlstore.Tx) error {
		return tx.CreateUser(ctx, &cph.User{ID: cph.NewID(), DomainID: f.domain.ID, Name: "acme", PasswordHash: "y", Enabled: true})
	})
	if err == nil {
		t.Error("duplicate user name was accepted")
	}
	ps, err := db.ListProjects(ctx, f.domain.ID, "cn-north-4")
	if err != nil || len(ps) != 1 || ps[0].ID != f.project.ID {
		t.Fatalf("ListProjects(name) = %v, %v", ps, err)
	}
	if ps, _ := db.ListProjects(ctx, f.domain.ID, "cn-south-1"); len(ps) != 0 {
		t.Errorf("ListProjects(other name) = %v, want none", ps)
	}

	now := db.Now()
	tok := &cph.Token{Hash: "h1", UserID: f.user.ID, DomainID: f.domain.ID, ProjectID: f.project.ID,
		IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
	if err := db.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, err := db.TokenByHash(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("TokenByHash mismatch (-want +got):\n%s", diff)
	}
	id, err := db.TokenIdentityByHash(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tok, &id.Token); diff != "" || id.User.ID != f.user.ID || id.Domain.ID != f.domain.ID ||
		id.Project == nil || id.Project.ID != f.project.ID || id.Project.Name != f.project.Name {
		t.Errorf("TokenIdentityByHash = %+v (token diff %s)", id, diff)
	}
	unscoped := &cph.Token{Hash: "h3", UserID: f.user.ID, DomainID: f.domain.ID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.CreateToken(ctx, unscoped); err != nil {
		t.Fatal(err)
	}
	if id, err := db.TokenIdentityByHash(ctx, "h3"); err != nil || id.Project != nil || id.User.Name != f.user.Name {
		t.Errorf("unscoped TokenIdentityByHash = %+v, %v; want the user and no project", id, err)
	}
	if _, err := db.TokenIdentityByHash(ctx, "nope"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("unknown token: %v, want ErrNotFound", err)
	}
	if ok, err := db.RevokeToken(ctx, "h1"); err != nil || !ok {
		t.Fatalf("RevokeToken = %v, %v", ok, err)
	}
	if ok, _ := db.RevokeToken(ctx, "h1"); ok {
		t.Error("revoking twice reported a revocation")
	}
	if got, _ := db.TokenByHash(ctx, "h1"); !got.Revoked {
		t.Error("token not marked revoked")
	}
	old := &cph.Token{Hash: "h2", UserID: f.user.ID, DomainID: f.domain.ID, IssuedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(-24 * time.Hour)}
	if err := db.CreateToken(ctx, old); err != nil {
		t.Fatal(err)
	}
	if n, err := db.DeleteExpiredTokens(ctx, now); err != nil || n != 1 {
		t.Errorf("DeleteExpiredTokens = %d, %v; want 1", n, err)
	}
	if _, err := db.TokenByHash(ctx, "h2"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("expired token still there: %v", err)
	}
}

func names(ps []*cph.Phone) []string { return each(ps, func(p *cph.Phone) string { return p.Name }) }

// each returns f of every item, in order (nil for no items).
func each[E, T any](items []E, f func(E) T) []T {
	var out []T
	for _, it := range items {
		out = append(out, f(it))
	}
	return out
}

func testListPhones(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 5)
	all := cph.PhoneFilter{ProjectID: f.project.ID, Limit: 100}
	ps, total, err := db.ListPhones(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	if total != 5 || len(ps) != 5 {
		t.Fatalf("ListPhones: total %d, %d phones; want 5, 5", total, len(ps))
	}
	page := all
	page.Offset, page.Limit = 1, 2
	ps, total, _ = db.ListPhones(ctx, page)
	if diff := cmp.Diff([]string{"acme-0002", "acme-0003"}, names(ps)); diff != "" || total != 5 {
		t.Errorf("page 2: total %d, diff:\n%s", total, diff)
	}
	like := "0004"
	byName := all
	byName.NameLike = &like
	ps, total, _ = db.ListPhones(ctx, byName)
	if total != 1 || len(ps) != 1 || ps[0].Name != "acme-0004" {
		t.Errorf("name filter: %v (total %d)", names(ps), total)
	}
	wild := "%"
	byWild := all
	byWild.NameLike = &wild
	if _, total, _ := db.ListPhones(ctx, byWild); total != 0 {
		t.Errorf("name filter %%: total %d, want 0 (LIKE wildcards must be literal)", total)
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		_, err := tx.SetPhoneStatus(ctx, f.phones[0].ID, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneStopped)
		return err
	})
	stopped := cph.PhoneStopped
	byStatus := all
	byStatus.Status = &stopped
	ps, total, _ = db.ListPhones(ctx, byStatus)
	if total != 1 || ps[0].ID != f.phones[0].ID {
		t.Errorf("status filter: %v", names(ps))
	}
	other := "ffffffffffffffffffffffffffffffff"
	byServer := all
	byServer.ServerID = &other
	if _, total, _ := db.ListPhones(ctx, byServer); total != 0 {
		t.Errorf("unknown server filter: total %d", total)
	}
	byServer.ServerID = &f.server.ID
	if _, total, _ := db.ListPhones(ctx, byServer); total != 5 {
		t.Errorf("server filter: total %d", total)
	}
	ss, total, err := db.ListServers(ctx, cph.ServerFilter{ProjectID: f.project.ID, Limit: 10})
	if err != nil || total != 1 || ss[0].ID != f.server.ID || ss[0].Addresses[0].ServerIP != "10.0.0.1" {
		t.Errorf("ListServers = %+v, %d, %v", ss, total, err)
	}
	beyond := all
	beyond.Offset = 5
	if ps, total, err := db.ListPhones(ctx, beyond); err != nil || total != 5 || ps == nil || len(ps) != 0 {
		t.Errorf("page past the end: %v (total %d), %v; want an empty list of 5", names(ps), total, err)
	}

	// The unfiltered count follows phones that come and go, per project.
	g := newFixture(t, db, "bravo", 3)
	if _, total, _ := db.ListPhones(ctx, cph.PhoneFilter{ProjectID: g.project.ID, Limit: 1}); total != 3 {
		t.Errorf("second project: total %d, want 3", total)
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.DeleteServer(ctx, f.server.ID) })
	if ps, total, err := db.ListPhones(ctx, all); err != nil || total != 0 || len(ps) != 0 {
		t.Errorf("after deleting the server: %v (total %d), %v; want none", names(ps), total, err)
	}
	if _, total, _ := db.ListPhones(ctx, cph.PhoneFilter{ProjectID: g.project.ID, Limit: 1}); total != 3 {
		t.Errorf("second project after deleting the first one's server: total %d, want 3", total)
	}
	// The limit is part of the statement: only the limits a list allows.
	if ps, _, err := db.ListPhones(ctx, cph.PhoneFilter{ProjectID: g.project.ID, Limit: cph.MaxPhonePage}); err != nil || len(ps) != 3 {
		t.Errorf("limit %d: %d phones, %v", cph.MaxPhonePage, len(ps), err)
	}
	for _, limit := range []int{0, -1, cph.MaxPhonePage + 1} {
		if _, _, err := db.ListPhones(ctx, cph.PhoneFilter{ProjectID: g.project.ID, Limit: limit}); err == nil {
			t.Errorf("limit %d accepted", limit)
		}
	}
}

func testPhoneScope(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	a := newFixture(t, db, "acme", 1)
	b := newFixture(t, db, "bravo", 1)
	if _, err := db.PhoneByID(ctx, a.project.ID, b.phones[0].ID); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("phone of another project: err = %v, want ErrNotFound", err)
	}
	if p, err := db.PhoneByID(ctx, b.project.ID, b.phones[0].ID); err != nil || p.Name != "bravo-0001" {
		t.Errorf("own phone: %v, %v", p, err)
	}
	if _, total, _ := db.ListPhones(ctx, cph.PhoneFilter{ProjectID: a.project.ID, Limit: 10}); total != 1 {
		t.Errorf("project a sees %d phones, want 1", total)
	}
	if _, err := db.ServerByID(ctx, a.project.ID, b.server.ID); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("server of another project: err = %v", err)
	}
}

func testSetPhoneStatus(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 1)
	id := f.phones[0].ID
	var changed bool
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		changed, err = tx.SetPhoneStatus(ctx, id, []cph.PhoneStatus{cph.PhoneStopped}, cph.PhoneRestarting)
		return err
	})
	if changed {
		t.Error("status changed although the phone was not in a from-status")
	}
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		changed, err = tx.SetPhoneStatus(ctx, id, []cph.PhoneStatus{cph.PhoneRunning, cph.PhoneStopped}, cph.PhoneRestarting)
		return err
	})
	p, _ := db.PhoneByID(ctx, f.project.ID, id)
	if !changed || p.Status != cph.PhoneRestarting {
		t.Errorf("changed=%v status=%d; want true, 4", changed, p.Status)
	}
}

func testRollback(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 1)
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		if _, err := tx.SetPhoneStatus(ctx, f.phones[0].ID, []cph.PhoneStatus{cph.PhoneRunning}, cph.PhoneRestarting); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx error = %v, want boom", err)
	}
	if p, _ := db.PhoneByID(ctx, f.project.ID, f.phones[0].ID); p.Status != cph.PhoneRunning {
		t.Errorf("status after rollback = %d, want 2", p.Status)
	}
}

// submit creates, like the engine does, a job and an operation per phone.
func submit(t *testing.T, db *sqlstore.DB, f *fixture, requestID string, phones []*cph.Phone) []*cph.Job {
	t.Helper()
	ctx := context.Background()
	var jobs []*cph.Job
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		for i, p := range phones {
			j := &cph.Job{ID: cph.NewID(), RequestID: requestID, ProjectID: f.project.ID, Position: i, Kind: cph.OpRestartPhone,
				PhoneID: p.ID, ServerID: p.ServerID, Status: cph.JobRunning, BeginTime: cph.NewTime(tx.Now())}
			if err := tx.CreateJob(ctx, j); err != nil {
				return err
			}
			op := &cph.Operation{ID: cph.NewID(), JobID: j.ID, ServerID: p.ServerID, PhoneID: p.ID, Kind: cph.OpRestartPhone, Args: []byte(`{}`)}
			if err := tx.CreateOperation(ctx, op); err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return nil
	})
	return jobs
}

func jobIDs(js []*cph.Job) []string { return each(js, func(j *cph.Job) string { return j.ID }) }

func testListJobs(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 4)
	r1 := submit(t, db, f, "req1", f.phones[:2])
	r2 := submit(t, db, f, "req2", f.phones[2:])
	got, err := db.ListJobs(ctx, f.project.ID, []string{"req2", "req1"}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := append(jobIDs(r2), jobIDs(r1)...)
	if diff := cmp.Diff(want, jobIDs(got)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	got, _ = db.ListJobs(ctx, f.project.ID, []string{"req2", "req1"}, 1, 2)
	if diff := cmp.Diff(want[1:3], jobIDs(got)); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
	if got, _ := db.ListJobs(ctx, "otherproject", []string{"req1"}, 0, 100); len(got) != 0 {
		t.Errorf("jobs visible from another project: %d", len(got))
	}
	j, err := db.JobByID(ctx, f.project.ID, r1[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != cph.JobRunning || !j.EndTime.IsZero() || j.ErrorCode != nil || j.PhoneID != f.phones[0].ID {
		t.Errorf("new job = %+v", j)
	}
}

func testFinishJob(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 1)
	j := submit(t, db, f, "req", f.phones)[0]
	code, msg := cph.CodeJobFailed, "failed"
	var ok bool
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		ok, err = tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: j.ID, Status: cph.JobFailed, ErrorCode: &code, ErrorMsg: &msg})
		return err
	})
	if !ok {
		t.Fatal("FinishJob did not finish a running job")
	}
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		ok, err = tx.FinishJob(ctx, sqlstore.FinishJobParams{ID: j.ID, Status: cph.JobSucceeded})
		return err
	})
	if ok {
		t.Error("FinishJob changed a final job")
	}
	got, _ := db.JobByID(ctx, f.project.ID, j.ID)
	if got.Status != cph.JobFailed || got.ErrorCode == nil || *got.ErrorCode != code || got.EndTime.IsZero() {
		t.Errorf("finished job = %+v", got)
	}
}

func testClaim(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 3)
	g := newFixture(t, db, "bravo", 1)
	submit(t, db, f, "req", f.phones)
	submit(t, db, g, "req", g.phones)
	lease := db.Now().Add(time.Minute)
	first, err := db.ClaimOperations(ctx, f.server.ID, "s1", lease, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 {
		t.Fatalf("claimed %d, want 2", len(first))
	}
	for _, op := range first {
		if op.ServerID != f.server.ID || op.Attempt != 1 || op.State != sqlstore.OpClaimed {
			t.Errorf("claimed op = %+v", op)
		}
	}
	second, _ := db.ClaimOperations(ctx, f.server.ID, "s1", lease, 10)
	if len(second) != 1 {
		t.Fatalf("second claim got %d, want the 1 left", len(second))
	}
	if more, _ := db.ClaimOperations(ctx, f.server.ID, "s1", lease, 10); len(more) != 0 {
		t.Errorf("third claim got %d, want 0", len(more))
	}
	if has, _ := db.HasPendingOperations(ctx, g.server.ID); !has {
		t.Error("other server's operation was claimed")
	}
	// Completing needs the claiming session.
	var ok bool
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		ok, err = tx.CompleteOperation(ctx, first[0].ID, sqlstore.OpClaimed, "other-session")
		return err
	})
	if ok {
		t.Error("another session completed the operation")
	}
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		ok, err = tx.CompleteOperation(ctx, first[0].ID, sqlstore.OpClaimed, "s1")
		return err
	})
	if !ok {
		t.Error("the claiming session could not complete the operation")
	}
	// Released operations can be claimed again.
	if err := db.ReleaseOperations(ctx, "s1", []string{first[1].ID}); err != nil {
		t.Fatal(err)
	}
	again, _ := db.ClaimOperations(ctx, f.server.ID, "s1", lease, 10)
	if len(again) != 1 || again[0].ID != first[1].ID || again[0].Attempt != 2 {
		t.Errorf("after release claimed %+v", again)
	}
}

func testConcurrentClaims(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 40)
	submit(t, db, f, "req", f.phones)
	lease := db.Now().Add(time.Minute)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				ops, err := db.ClaimOperations(ctx, f.server.ID, fmt.Sprintf("s%d", w), lease, 3)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, op := range ops {
					seen[op.ID]++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Errorf("claimed %d distinct operations, want 40", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("operation %s claimed %d times", id, n)
		}
	}
}

func testSessions(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 2)
	submit(t, db, f, "req", f.phones)
	var n int64
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		n, err = tx.StartAgentSession(ctx, f.server.ID, "s1")
		return err
	})
	if n != 0 {
		t.Errorf("first session re-queued %d", n)
	}
	if ok, _ := db.TouchAgent(ctx, f.server.ID, "s1"); !ok {
		t.Error("current session not accepted")
	}
	claimed, _ := db.ClaimOperations(ctx, f.server.ID, "s1", db.Now().Add(time.Hour), 10)
	if len(claimed) != 2 {
		t.Fatalf("claimed %d", len(claimed))
	}
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		n, err = tx.StartAgentSession(ctx, f.server.ID, "s2")
		return err
	})
	if n != 2 {
		t.Errorf("new session re-queued %d, want 2", n)
	}
	if ok, _ := db.TouchAgent(ctx, f.server.ID, "s1"); ok {
		t.Error("replaced session still accepted")
	}
	again, _ := db.ClaimOperations(ctx, f.server.ID, "s2", db.Now().Add(time.Hour), 10)
	if len(again) != 2 {
		t.Errorf("new session claimed %d, want 2", len(again))
	}
	srv, session, err := db.ServerByAgentTokenHash(ctx, "nope")
	if !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("unknown credential: %v %v %v", srv, session, err)
	}
	if err := db.SetAgentTokenHash(ctx, f.server.ID, "cred"); err != nil {
		t.Fatal(err)
	}
	srv, session, err = db.ServerByAgentTokenHash(ctx, "cred")
	if err != nil || srv.ID != f.server.ID || session != "s2" {
		t.Errorf("ServerByAgentTokenHash = %v, %q, %v", srv, session, err)
	}
}

func testLeases(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 2)
	submit(t, db, f, "req", f.phones)
	now := db.Now()
	short, _ := db.ClaimOperations(ctx, f.server.ID, "s1", now.Add(time.Second), 1)
	long, _ := db.ClaimOperations(ctx, f.server.ID, "s1", now.Add(time.Hour), 1)
	if len(short) != 1 || len(long) != 1 {
		t.Fatal("claims failed")
	}
	later := now.Add(time.Minute)
	db.Now = func() time.Time { return later }
	exp, err := db.ExpiredLeases(ctx, later, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp) != 1 || exp[0].ID != short[0].ID {
		t.Fatalf("ExpiredLeases = %v, want only the short lease", exp)
	}
	var ok bool
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		ok, err = tx.RequeueOperation(ctx, long[0].ID)
		return err
	})
	if ok {
		t.Error("an operation with a live lease was re-queued")
	}
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		ok, err = tx.RequeueOperation(ctx, short[0].ID)
		return err
	})
	if !ok {
		t.Error("expired operation not re-queued")
	}
	again, _ := db.ClaimOperations(ctx, f.server.ID, "s2", later.Add(time.Minute), 10)
	if len(again) != 1 || again[0].ID != short[0].ID || again[0].Attempt != 2 {
		t.Errorf("re-claim = %+v", again)
	}
}

func testStalePending(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 3)
	submit(t, db, f, "req", f.phones[:2])
	start := db.Now()
	db.Now = func() time.Time { return start.Add(time.Hour) }
	submit(t, db, f, "req2", f.phones[2:])
	stale, err := db.StalePending(ctx, start.Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	var phones []string
	for _, op := range stale {
		phones = append(phones, op.PhoneID)
	}
	sort.Strings(phones)
	want := []string{f.phones[0].ID, f.phones[1].ID}
	sort.Strings(want)
	if diff := cmp.Diff(want, phones); diff != "" {
		t.Errorf("stale (-want +got):\n%s", diff)
	}
}

func testMeta(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	if _, err := db.Meta(ctx, "k"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
	var v string
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		v, err = tx.SetMetaIfAbsent(ctx, "k", "one")
		return err
	})
	mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
		v, err = tx.SetMetaIfAbsent(ctx, "k", "two")
		return err
	})
	if v != "one" {
		t.Errorf("second set returned %q, want the first value", v)
	}
}
