package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// userFixture creates an account with the users named, admins first.
func userFixture(t *testing.T, db *sqlstore.DB, admins, readonly int) (*cph.Domain, []*cph.User) {
	t.Helper()
	ctx := context.Background()
	d := &cph.Domain{ID: cph.NewID(), Name: "acct-" + cph.NewID()[:8], Enabled: true}
	var users []*cph.User
	for i := range admins + readonly {
		users = append(users, &cph.User{ID: cph.NewID(), DomainID: d.ID, Name: "u" + cph.NewID()[:8], PasswordHash: "h", Enabled: true, IsAdmin: i < admins})
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		if err := tx.CreateDomain(ctx, d); err != nil {
			return err
		}
		for _, u := range users {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	return d, users
}

func giveToken(t *testing.T, db *sqlstore.DB, u *cph.User) string {
	t.Helper()
	now := db.Now()
	hash := "tok-" + cph.NewID()
	if err := db.CreateToken(context.Background(), &cph.Token{Hash: hash, UserID: u.ID, DomainID: u.DomainID, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return hash
}

// testUserChanges checks disabling, password changes and deletion: each
// revokes the user's tokens, and the last enabled admin of an account
// can be neither disabled nor deleted.
func testUserChanges(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	_, us := userFixture(t, db, 2, 1)
	a1, a2, ro := us[0], us[1], us[2]
	revoked := func(hash string) bool {
		t.Helper()
		tok, err := db.TokenByHash(ctx, hash)
		if err != nil {
			return true // deleted
		}
		return tok.Revoked
	}
	roTok, a1Tok, a2Tok := giveToken(t, db, ro), giveToken(t, db, a1), giveToken(t, db, a2)
	if u, err := db.SetUserEnabled(ctx, ro.ID, false); err != nil || u.Enabled {
		t.Fatalf("disable read-only user: %+v, %v", u, err)
	}
	if !revoked(roTok) || revoked(a1Tok) {
		t.Error("disabling a user did not revoke its token, or revoked another's")
	}
	if u, _ := db.UserByID(ctx, ro.ID); u.Enabled {
		t.Error("the user is still enabled")
	}
	if _, err := db.SetUserEnabled(ctx, a1.ID, false); err != nil {
		t.Fatalf("disable one of two admins: %v", err)
	}
	if _, err := db.SetUserEnabled(ctx, a2.ID, false); !errors.Is(err, sqlstore.ErrLastAdmin) {
		t.Errorf("disable the last enabled admin: %v, want ErrLastAdmin", err)
	}
	if err := db.DeleteUser(ctx, a2.ID); !errors.Is(err, sqlstore.ErrLastAdmin) {
		t.Errorf("delete the last enabled admin: %v, want ErrLastAdmin", err)
	}
	if u, _ := db.UserByID(ctx, a2.ID); u == nil || !u.Enabled || revoked(a2Tok) {
		t.Error("a refused change changed the last admin")
	}
	if _, err := db.SetUserEnabled(ctx, a1.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetUserPassword(ctx, a2.ID, "h2"); err != nil {
		t.Fatal(err)
	}
	if u, _ := db.UserByID(ctx, a2.ID); u.PasswordHash != "h2" || !revoked(a2Tok) {
		t.Errorf("password change: hash %q, token revoked %v", u.PasswordHash, revoked(a2Tok))
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		return tx.CreateAccessKey(ctx, &sqlstore.AccessKey{Access: "AKDEL" + cph.NewID()[:8], UserID: a2.ID, DomainID: a2.DomainID, SecretEnc: "x", Status: "active"}, 2)
	})
	giveToken(t, db, a2)
	if err := db.DeleteUser(ctx, a2.ID); err != nil {
		t.Fatalf("delete an admin while another is enabled: %v", err)
	}
	if _, err := db.UserByID(ctx, a2.ID); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("deleted user: %v", err)
	}
	if keys, _ := db.ListAccessKeys(ctx, a2.ID); len(keys) != 0 {
		t.Errorf("the deleted user's access keys remain: %d", len(keys))
	}
	if _, err := db.SetUserEnabled(ctx, a2.ID, false); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("disable a deleted user: %v", err)
	}
	if err := db.DeleteUser(ctx, "nosuchuser"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("delete an unknown user: %v", err)
	}
}

// testLastAdminConcurrently disables and deletes every admin of an
// account at once: exactly one stays.
func testLastAdminConcurrently(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	d, admins := userFixture(t, db, 6, 0)
	var wg sync.WaitGroup
	for i, u := range admins {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = db.SetUserEnabled(ctx, u.ID, false)
			} else {
				err = db.DeleteUser(ctx, u.ID)
			}
			if err != nil && !errors.Is(err, sqlstore.ErrLastAdmin) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	users, err := db.ListUsers(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	enabled := 0
	for _, u := range users {
		if u.Enabled && u.IsAdmin {
			enabled++
		}
	}
	if enabled != 1 {
		t.Errorf("after removing 6 admins at once, %d enabled admins remain, want 1", enabled)
	}
}
