package servicetest

import (
	"context"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// Front ends the behaviour suite runs through.
const (
	InProcess = "in-process" // the services of package service, called directly
	OverHTTP  = "http"       // client.Services against the control plane's listener
)

// Engines the behaviour suite runs on.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// The read-only user StartEnv creates in the bootstrap account, and the
// other account.
const (
	Viewer         = "viewer"
	OtherDomain    = "globex"
	OtherProject   = "cn-east-3"
	ViewerPassword = cptest.Password
)

// StartEnv starts a control plane on the database engine and returns
// the behaviour suite's Env, whose callers use the front end front.
// PostgreSQL needs CPH_TEST_DATABASE_URL (the test is skipped without).
func StartEnv(t *testing.T, engine, front string) *Env {
	t.Helper()
	var dbURL string
	if engine == Postgres {
		dbURL = storetest.PostgresURL(t)
	}
	deployment := deploymentConfig(t)
	srv := cptest.Start(t, func(c *controlplane.Config) {
		c.DatabaseURL = dbURL
		deployment(c)
	})
	ctx := context.Background()
	admin := principal(t, srv, cptest.Domain, cptest.User, cptest.Password, cptest.Project)
	if _, err := srv.IAM().CreateUser(ctx, admin, cph.CreateUserParams{DomainID: admin.Domain.ID, Name: Viewer, Password: ViewerPassword}); err != nil {
		t.Fatalf("create the read-only user: %v", err)
	}
	cptest.CreateAccount(t, srv, OtherDomain, OtherDomain, cptest.Password, OtherProject)
	env := &Env{ProjectID: admin.ProjectID, ControlPlane: srv}
	callers := []struct {
		c                               *Caller
		domain, user, password, project string
	}{
		{&env.Admin, cptest.Domain, cptest.User, cptest.Password, cptest.Project},
		{&env.ReadOnly, cptest.Domain, Viewer, ViewerPassword, cptest.Project},
		{&env.Other, OtherDomain, OtherDomain, cptest.Password, OtherProject},
	}
	for _, c := range callers {
		switch front {
		case InProcess:
			p := principal(t, srv, c.domain, c.user, c.password, c.project)
			*c.c = Caller{Ctx: cph.NewCallerContext(ctx, p), S: srv.Services()}
		case OverHTTP:
			cl, err := client.New(client.Config{Endpoint: srv.URL(), Domain: c.domain, User: c.user, Password: c.password,
				Project: c.project, HTTPClient: cptest.HTTPClient(t)})
			if err != nil {
				t.Fatal(err)
			}
			*c.c = Caller{Ctx: ctx, S: cl.Services()}
		default:
			t.Fatalf("unknown front end %q", front)
		}
	}
	return env
}

// principal logs in through IAM and returns the token's principal.
func principal(t *testing.T, srv *controlplane.Server, domain, user, password, project string) *cph.Principal {
	t.Helper()
	ctx := context.Background()
	token, _, err := srv.IAM().Login(ctx, iam.PasswordLogin{DomainName: domain, UserName: user, Password: password, ProjectName: project})
	if err != nil {
		t.Fatalf("log in %s/%s: %v", domain, user, err)
	}
	p, _, state, err := srv.IAM().Lookup(ctx, token)
	if err != nil || state != iam.TokenValid {
		t.Fatalf("look up the token of %s/%s: %v (state %v)", domain, user, err, state)
	}
	return p
}
