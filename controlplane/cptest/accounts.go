package cptest

import (
	"context"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
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

// ClientFor returns a client of srv that logs in as user of domain with
// password, scoped to project.
func ClientFor(t testing.TB, srv *controlplane.Server, domain, user, password, project string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: srv.URL(), Domain: domain, User: user, Password: password,
		Project: project, HTTPClient: HTTPClient(t)})
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

// Client returns a client of srv logged in as the bootstrap account.
func Client(t testing.TB, srv *controlplane.Server) *client.Client {
	t.Helper()
	return ClientFor(t, srv, Domain, User, Password, Project)
}
