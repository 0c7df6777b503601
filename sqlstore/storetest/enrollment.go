package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

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
