package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// testAuditEvents covers the audit trail: events stored in a batch, read
// per project (with the account's account-level events, never another
// account's), filtered, paged by marker and offset, bounded, and pruned
// in batches by age.
func testAuditEvents(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	base := db.Now()
	ev := func(i int, domain, project, user, op string, status int) *sqlstore.AuditEvent {
		return &sqlstore.AuditEvent{ID: fmt.Sprintf("%032x", i+1), // ordered like the time-ordered ids
			At: base.Add(time.Duration(i) * time.Minute), DomainID: domain, ProjectID: project,
			UserID: "u-" + user, UserName: user, Source: "192.0.2.1", Operation: op, TargetIDs: []string{"phone-" + user},
			RequestID: cph.NewID(), Status: status}
	}
	var events []*sqlstore.AuditEvent
	for i := range 5 {
		events = append(events, ev(i, "dom-a", "proj-a", "alice", "RestartCloudPhone", 200))
	}
	failed := ev(5, "dom-a", "proj-a", "bob", "StopCloudPhone", 403)
	failed.ErrorCode = cph.CodeForbidden
	login := ev(6, "dom-a", "", "bob", "KeystoneCreateUserTokenByPassword", 401)
	other := ev(7, "dom-b", "proj-b", "eve", "RestartCloudPhone", 200)
	otherLogin := ev(8, "dom-b", "", "eve", "KeystoneCreateUserTokenByPassword", 201)
	// Client-chosen text of a refused login: NUL, invalid UTF-8, too long.
	odd := ev(9, "dom-a", "", "x\x00\xff"+strings.Repeat("é", 200), "KeystoneCreateUserTokenByPassword", 401)
	many := ev(10, "dom-a", "proj-a", "alice", "DeleteCloudPhoneServer", 200)
	for i := range 150 {
		many.TargetIDs = append(many.TargetIDs, cph.NewID()[:8]+string(rune('a'+i%26)))
	}
	events = append(events, failed, login, other, otherLogin, odd, many)
	if err := db.InsertAuditEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	all, more, err := db.AuditEvents(ctx, sqlstore.AuditFilter{ProjectID: "proj-a", DomainID: "dom-a"})
	if err != nil || more {
		t.Fatalf("list: %d, %v, %v", len(all), more, err)
	}
	if len(all) != 9 {
		t.Fatalf("project A sees %d events, want 9 (5 restarts, a refusal, 2 account-level logins, a deletion)", len(all))
	}
	for i, e := range all {
		if e.DomainID != "dom-a" {
			t.Errorf("event %d belongs to %q", i, e.DomainID)
		}
		if i > 0 && e.ID >= all[i-1].ID {
			t.Errorf("not newest first at %d", i)
		}
	}
	if got := all[0]; got.Operation != "DeleteCloudPhoneServer" || len(got.TargetIDs) != sqlstore.MaxAuditTargets {
		t.Errorf("newest = %s with %d targets, want DeleteCloudPhoneServer with %d", got.Operation, len(got.TargetIDs), sqlstore.MaxAuditTargets)
	}
	if got := all[1]; strings.Contains(got.UserName, "\x00") || len(got.UserName) > 128 || !strings.HasPrefix(got.UserName, "x") {
		t.Errorf("odd user name stored as %q", got.UserName)
	}
	if f := all[3]; f.Status != 403 || f.ErrorCode != cph.CodeForbidden || f.UserName != "bob" || f.Source != "192.0.2.1" ||
		len(f.TargetIDs) != 1 || f.TargetIDs[0] != "phone-bob" || !f.At.Equal(failed.At) || f.RequestID != failed.RequestID {
		t.Errorf("refusal read back as %+v", f)
	}
	count := func(f sqlstore.AuditFilter) int {
		t.Helper()
		f.ProjectID, f.DomainID = "proj-a", "dom-a"
		got, _, err := db.AuditEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if n := count(sqlstore.AuditFilter{User: "bob"}); n != 2 {
		t.Errorf("user bob: %d events, want 2", n)
	}
	if n := count(sqlstore.AuditFilter{User: "u-alice"}); n != 6 {
		t.Errorf("user id u-alice: %d events, want 6", n)
	}
	if n := count(sqlstore.AuditFilter{Operation: "RestartCloudPhone"}); n != 5 {
		t.Errorf("operation: %d events, want 5", n)
	}
	if n := count(sqlstore.AuditFilter{Result: "failure"}); n != 3 {
		t.Errorf("failures: %d, want 3", n)
	}
	if n := count(sqlstore.AuditFilter{Result: "success"}); n != 6 {
		t.Errorf("successes: %d, want 6", n)
	}
	if n := count(sqlstore.AuditFilter{Since: base.Add(2 * time.Minute), Until: base.Add(5 * time.Minute)}); n != 3 {
		t.Errorf("time range: %d, want 3", n)
	}
	// Pages by marker, then by offset.
	var paged []string
	marker := ""
	for {
		page, more, err := db.AuditEvents(ctx, sqlstore.AuditFilter{ProjectID: "proj-a", DomainID: "dom-a", Marker: marker, Limit: 4})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			paged = append(paged, e.ID)
		}
		if !more {
			break
		}
		marker = page[len(page)-1].ID
	}
	if len(paged) != 9 || paged[8] != all[8].ID {
		t.Errorf("paging by marker found %d events", len(paged))
	}
	if page, more, _ := db.AuditEvents(ctx, sqlstore.AuditFilter{ProjectID: "proj-a", DomainID: "dom-a", Offset: 7, Limit: 4}); len(page) != 2 || more || page[0].ID != all[7].ID {
		t.Errorf("offset 7: %d events, more %v", len(page), more)
	}
	// Pruning: in batches, only what is older than the cutoff.
	n, err := db.PruneAuditEvents(ctx, base.Add(3*time.Minute), 2)
	if err != nil || n != 2 {
		t.Fatalf("prune = %d, %v; want one full batch of 2", n, err)
	}
	if n, _ = db.PruneAuditEvents(ctx, base.Add(3*time.Minute), 2); n != 1 {
		t.Fatalf("second prune = %d, want the last 1", n)
	}
	if n := count(sqlstore.AuditFilter{}); n != 6 {
		t.Errorf("after pruning: %d events, want 6", n)
	}
}
