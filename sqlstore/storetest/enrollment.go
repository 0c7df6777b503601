package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// testEnrollmentTokens covers a project's enrollment tokens: creation
// within a limit that holds under concurrency, lookup by hash, listing
// per project, revocation; and the credential of a deleted server.
func testEnrollmentTokens(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	a := newFixture(t, db, "acme", 1)
	b := newFixture(t, db, "bravo", 1)
	exp := db.Now().Add(time.Hour)
	tok := &sqlstore.EnrollmentToken{ID: cph.NewID(), ProjectID: a.project.ID, SecretHash: "hash-a", Description: "rack 1", CreatedBy: a.user.ID, ExpiresAt: exp}
	if err := db.CreateEnrollmentToken(ctx, tok, 5); err != nil {
		t.Fatal(err)
	}
	got, err := db.EnrollmentTokenByHash(ctx, "hash-a")
	if err != nil || got.ProjectID != a.project.ID || got.Description != "rack 1" || !got.ExpiresAt.Equal(exp) || !got.LastUsedAt.IsZero() {
		t.Fatalf("by hash = %+v, %v", got, err)
	}
	if err := db.TouchEnrollmentToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.EnrollmentTokenByHash(ctx, "hash-a"); got.LastUsedAt.IsZero() {
		t.Error("last use not recorded")
	}
	if list, _ := db.EnrollmentTokens(ctx, b.project.ID); len(list) != 0 {
		t.Errorf("project B lists %d tokens of project A", len(list))
	}
	if err := db.DeleteEnrollmentToken(ctx, b.project.ID, tok.ID); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("revoke through another project: %v, want ErrNotFound", err)
	}
	if err := db.DeleteEnrollmentToken(ctx, a.project.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnrollmentTokenByHash(ctx, "hash-a"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("revoked token still found: %v", err)
	}

	// 12 concurrent creations against a limit of 5 make exactly 5.
	const limit, tries = 5, 12
	var wg sync.WaitGroup
	errs := make([]error, tries)
	for i := range tries {
		wg.Go(func() {
			errs[i] = db.CreateEnrollmentToken(ctx, &sqlstore.EnrollmentToken{ID: cph.NewID(), ProjectID: b.project.ID,
				SecretHash: fmt.Sprintf("hash-b-%d", i), CreatedBy: b.user.ID}, limit)
		})
	}
	wg.Wait()
	refused := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, sqlstore.ErrEnrollmentTokenLimit):
			refused++
		case err != nil:
			t.Errorf("concurrent create: %v", err)
		}
	}
	if list, _ := db.EnrollmentTokens(ctx, b.project.ID); len(list) != limit || refused != tries-limit {
		t.Errorf("%d tokens, %d refused; want %d and %d", len(list), refused, limit, tries-limit)
	}

	// A deleted server's agent credential is remembered.
	if err := db.SetAgentTokenHash(ctx, a.server.ID, "agent-hash"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeletedAgentCredentialByHash(ctx, "agent-hash"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("credential of a live server reported deleted: %v", err)
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.DeleteServer(ctx, a.server.ID) })
	d, err := db.DeletedAgentCredentialByHash(ctx, "agent-hash")
	if err != nil || d.ServerID != a.server.ID || d.ServerName != a.server.Name || d.ProjectID != a.project.ID || d.DeletedAt.IsZero() {
		t.Errorf("deleted credential = %+v, %v", d, err)
	}
}

// testCreatePhonesAsCreatePhone: a server's 1,000 phones created at once
// (CreatePhones, as an enrolment does) are stored exactly as creating them
// one by one (CreatePhone) stores them, every column, and count the same
// in the project's phone count.
func testCreatePhonesAsCreatePhone(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	one := newFixture(t, db, "one", 0)
	bulk := newFixture(t, db, "bulk", 0)
	// Every column varies, none at its zero value, with text beyond ASCII.
	make1000 := func(f *fixture) []*cph.Phone {
		var ps []*cph.Phone
		for i := 1; i <= 1000; i++ {
			ps = append(ps, &cph.Phone{ID: fmt.Sprintf("%s%06d", f.project.ID[:10], i), ProjectID: f.project.ID, ServerID: f.server.ID,
				Index: i, Name: fmt.Sprintf("nœud-%04d", i), ModelName: fmt.Sprintf("model-%d", i%3), ImageID: fmt.Sprintf("img-%d", i%5),
				ImageVersion: "AOSP 11.0", VNCEnable: []string{"true", "false"}[i%2], Status: cph.PhoneStatus(1 + i%8), Type: int32(i % 2),
				IMEI: fmt.Sprintf("86%013d", i), TrafficType: "direct", VolumeMode: int32(i % 2), AvailabilityZone: "cn-north-4a",
				Metadata: cph.PhoneMetadata{OrderID: "CS0123456789ABCD", ProductID: "00301-232211-0--0"}, HasEncrypt: i%3 == 0,
				Property: fmt.Sprintf(`{"k":"v%d"}`, i), IP: fmt.Sprintf("10.0.%d.%d", i/250, i%250), DataVolumeType: "SSD",
				DataVolumeSize: int32(16 + i%4)})
		}
		return ps
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		for _, p := range make1000(one) {
			if err := tx.CreatePhone(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	created := make1000(bulk)
	before := db.Statements()
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.CreatePhones(ctx, created) })
	if n := db.Statements() - before; n > 20 {
		t.Errorf("CreatePhones of 1000 phones ran %d statements, want at most 20", n)
	}
	for _, p := range created {
		if !p.CreateTime.Time.Equal(db.Now()) || !p.UpdateTime.Time.Equal(db.Now()) {
			t.Fatalf("phone %s: create/update time %v/%v, want %v", p.Name, p.CreateTime, p.UpdateTime, db.Now())
		}
	}
	want, err := db.PhonesByServer(ctx, one.server.ID)
	if err != nil || len(want) != 1000 {
		t.Fatalf("phones created one by one: %d, %v", len(want), err)
	}
	got, err := db.PhonesByServer(ctx, bulk.server.ID)
	if err != nil || len(got) != 1000 {
		t.Fatalf("phones created at once: %d, %v", len(got), err)
	}
	for i := range want {
		w, g := *want[i], *got[i]
		if g.ID != fmt.Sprintf("%s%06d", bulk.project.ID[:10], i+1) || g.ProjectID != bulk.project.ID || g.ServerID != bulk.server.ID {
			t.Fatalf("phone %d: id %s project %s server %s", i+1, g.ID, g.ProjectID, g.ServerID)
		}
		g.ID, g.ProjectID, g.ServerID = w.ID, w.ProjectID, w.ServerID
		if diff := cmp.Diff(w, g); diff != "" {
			t.Fatalf("phone %d differs from one created by CreatePhone (-one +bulk):\n%s", i+1, diff)
		}
	}
	for _, f := range []*fixture{one, bulk} {
		if _, total, err := db.ListPhones(ctx, cph.PhoneFilter{ProjectID: f.project.ID, Limit: 1}); err != nil || total != 1000 {
			t.Errorf("project %s counts %d phones, %v; want 1000", f.domain.Name, total, err)
		}
	}
}

// testFailedCreatePhonesLeavesNothing: an enrolment whose phones cannot
// all be stored (a name the project already has, text the store refuses)
// fails as a whole: no server, no phone, the count unchanged.
func testFailedCreatePhonesLeavesNothing(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 3)
	for _, tc := range []struct {
		name string
		bad  func(ps []*cph.Phone)
		want error
	}{
		{"name taken", func(ps []*cph.Phone) { ps[999].Name = f.phones[1].Name }, sqlstore.ErrDuplicate},
		{"same name twice", func(ps []*cph.Phone) { ps[500].Name = ps[10].Name }, sqlstore.ErrDuplicate},
		{"id taken", func(ps []*cph.Phone) { ps[0].ID = f.phones[0].ID }, sqlstore.ErrDuplicate},
		{"NUL byte", func(ps []*cph.Phone) { ps[700].IMEI = "86\x00" }, sqlstore.ErrInvalidText},
	} {
		srv := &cph.Server{ID: cph.NewID(), ProjectID: f.project.ID, Name: "node", Status: cph.ServerNormal, NetworkVersion: "v1"}
		var ps []*cph.Phone
		for i := 1; i <= 1000; i++ {
			ps = append(ps, &cph.Phone{ID: cph.NewID(), ProjectID: f.project.ID, ServerID: srv.ID, Index: i, Name: fmt.Sprintf("node-%04d", i),
				Status: cph.PhoneRunning, VNCEnable: "false", Property: "{}"})
		}
		tc.bad(ps)
		err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
			if err := tx.CreateServer(ctx, srv); err != nil {
				return err
			}
			return tx.CreatePhones(ctx, ps)
		})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		if _, err := db.ServerByID(ctx, f.project.ID, srv.ID); !errors.Is(err, sqlstore.ErrNotFound) {
			t.Errorf("%s: the server stayed (%v)", tc.name, err)
		}
		if left, err := db.PhonesByServer(ctx, srv.ID); err != nil || len(left) != 0 {
			t.Errorf("%s: %d phones stayed, %v", tc.name, len(left), err)
		}
		if _, total, err := db.ListPhones(ctx, cph.PhoneFilter{ProjectID: f.project.ID, Limit: 1}); err != nil || total != 3 {
			t.Errorf("%s: project counts %d phones, %v; want 3", tc.name, total, err)
		}
	}
}
