package cptest

import (
	"context"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
)

// CreateAccount creates a further account (domain) with an admin user and
// one project on srv, in one transaction, and returns the project's id.
// Account administration over HTTP does not exist yet; this writes through
// the store.
func CreateAccount(t testing.TB, srv *controlplane.Server, domain, user, password, project string) string {
	t.Helper()
	hash, err := iam.HashPassword(password)
	if err != nil {
		t.Fatalf("hash password: %v", err)
	}
	d := &cph.Domain{ID: cph.NewID(), Name: domain, Enabled: true}
	u := &cph.User{ID: cph.NewID(), DomainID: d.ID, Name: user, PasswordHash: hash, Enabled: true, IsAdmin: true}
	p := &cph.Project{ID: cph.NewID(), DomainID: d.ID, Name: project, Enabled: true, Description: "test account"}
	err = srv.DB().Tx(context.Background(), func(tx *sqlstore.Tx) error {
		if err := tx.CreateDomain(context.Background(), d); err != nil {
			return err
		}
		if err := tx.CreateUser(context.Background(), u); err != nil {
			return err
		}
		return tx.CreateProject(context.Background(), p)
	})
	if err != nil {
		t.Fatalf("create account %s: %v", domain, err)
	}
	return p.ID
}

// GiveServer moves one of srv's simulated servers, with its phones, to the
// project projectID (for instance one made by CreateAccount), so that a
// further account has phones of its own.
func GiveServer(t testing.TB, srv *controlplane.Server, serverID, projectID string) {
	t.Helper()
	err := srv.DB().Tx(context.Background(), func(tx *sqlstore.Tx) error {
		return tx.ReassignServer(context.Background(), serverID, projectID)
	})
	if err != nil {
		t.Fatalf("give server %s to project %s: %v", serverID, projectID, err)
	}
}
