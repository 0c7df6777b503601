package iam_test

import (
	"context"
	"path/filepath"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
)

// TestUserChangesFromAnotherProcess changes users through a second store
// on the same SQLite file, as "cphd admin" does while cphd runs: the
// first store's cached token checks follow at the next check.
func TestUserChangesFromAnotherProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cph.db")
	open := func() *sqlstore.DB {
		db, err := sqlstore.OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	running, admin := open(), open()
	svc, err := iam.New(running, iam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	adminSvc, err := iam.New(admin, iam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := adminSvc.CreateAccount(ctx, nil, iam.NewAccount{Domain: "acme", Password: fixturePassword, Project: "cn-north-4"}); err != nil {
		t.Fatal(err)
	}
	viewer, err := adminSvc.CreateUser(ctx, nil, cph.CreateUserParams{DomainID: mustDomain(t, admin, "acme"), Name: "viewer", Password: "viewer-password"})
	if err != nil {
		t.Fatal(err)
	}
	login := iam.PasswordLogin{UserName: "viewer", DomainName: "acme", Password: "viewer-password", ClientAddr: "192.0.2.1"}
	for _, change := range []struct {
		name string
		do   func() error
	}{
		{"disable", func() error { _, err := adminSvc.SetUserEnabled(ctx, nil, viewer.ID, false); return err }},
		{"password", func() error {
			return adminSvc.ChangePassword(ctx, nil, iam.PasswordChange{UserID: viewer.ID, Password: "viewer-password"})
		}},
		{"delete", func() error { return adminSvc.DeleteUser(ctx, nil, viewer.ID) }},
	} {
		if change.name != "disable" {
			if _, err := adminSvc.SetUserEnabled(ctx, nil, viewer.ID, true); err != nil {
				t.Fatal(err)
			}
		}
		token, _, err := svc.Login(ctx, login)
		if err != nil {
			t.Fatalf("%s: login: %v", change.name, err)
		}
		for range 3 { // cached from the second check on
			if _, _, st, err := svc.Lookup(ctx, token); err != nil || st != iam.TokenValid {
				t.Fatalf("%s: fresh token: %v, %v", change.name, st, err)
			}
		}
		if err := change.do(); err != nil {
			t.Fatalf("%s: %v", change.name, err)
		}
		if _, _, st, err := svc.Lookup(ctx, token); err != nil || st != iam.TokenUnknown {
			t.Errorf("%s in another process: the running store still accepts the token (%v, %v)", change.name, st, err)
		}
	}
}

func mustDomain(t *testing.T, db *sqlstore.DB, name string) string {
	t.Helper()
	d, err := db.DomainByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}
