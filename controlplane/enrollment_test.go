package controlplane_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agent"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/controlplane/cptest/cpclient"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
)

// enroll enrolls a server with token into project through the agent
// protocol and returns the identity, or the control plane's refusal.
func enroll(t *testing.T, srv *controlplane.Server, token, project, name string) (*agent.Identity, *agent.ProtocolError) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := agent.Enroll(ctx, cptest.HTTPClient(t), []string{srv.URL()}, agentproto.EnrollRequest{
		Token: token, Project: project, Name: name, Phones: 1})
	var pe *agent.ProtocolError
	if errors.As(err, &pe) {
		return nil, pe
	}
	if err != nil {
		t.Fatalf("enroll %s: %v", name, err)
	}
	return id, nil
}

func serverNames(t *testing.T, c *client.Client) []string {
	t.Helper()
	list, err := c.ListServers(context.Background(), client.ListServersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list.Servers {
		names = append(names, s.Name)
	}
	return names
}

func errCode(err error) string {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// TestEnrollmentTokenEnrollsIntoItsProjectOnly checks per-project
// enrollment tokens: created, listed and revoked by the project's admins,
// a token enrolls into its own project and no other, and revoked, expired
// or wrong tokens enroll nothing.
func TestEnrollmentTokenEnrollsIntoItsProjectOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := cptest.Start(t, nil) // no installation token
	a := cpclient.New(t, srv)
	aProject, err := a.ProjectID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{Description: "rack 1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Token, "cphe_") || tok.ProjectID != aProject || tok.Description != "rack 1" || !tok.ExpiresAt.IsZero() {
		t.Fatalf("created token = %+v", tok)
	}
	list, err := a.ListEnrollmentTokens(ctx)
	if err != nil || len(list) != 1 || list[0].ID != tok.ID || list[0].Token != "" {
		t.Fatalf("list = %+v, %v; want the token without its secret", list, err)
	}

	// Another account's project: the token of project A does not enroll there.
	bProject := cptest.CreateAccount(t, srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	b := cpclient.For(t, srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	if _, pe := enroll(t, srv, tok.Token, bProject, "intruder"); pe == nil || pe.Status != http.StatusForbidden || pe.Code != agentproto.CodeEnrollWrongProject {
		t.Errorf("token of project A into project B: %v, want 403 %s", pe, agentproto.CodeEnrollWrongProject)
	}
	if names := serverNames(t, b); len(names) != 0 {
		t.Errorf("project B has servers %v after a refused enrollment", names)
	}
	// Without a project, or with the name both accounts use, the token
	// enrolls into its own project.
	for _, project := range []string{"", cptest.Project, aProject} {
		id, pe := enroll(t, srv, tok.Token, project, "node-"+strings.ReplaceAll(project, "-", ""))
		if pe != nil || id.ProjectID != aProject {
			t.Fatalf("enroll with project %q: %+v, %v; want project %s", project, id, pe, aProject)
		}
	}
	if list, _ := a.ListEnrollmentTokens(ctx); list[0].LastUsedAt.IsZero() {
		t.Error("last use of the token not recorded")
	}

	// Read-only users of the project may not see or create tokens.
	if _, err := a.CreateUser(ctx, client.NewUser{Name: "viewer", Password: "viewer-Passw0rd", Role: client.RoleReadOnly}); err != nil {
		t.Fatal(err)
	}
	viewer := cpclient.For(t, srv, cptest.Domain, "viewer", "viewer-Passw0rd", cptest.Project)
	if _, err := viewer.ListEnrollmentTokens(ctx); errCode(err) != cph.CodeForbidden {
		t.Errorf("read-only list: %v, want %s", err, cph.CodeForbidden)
	}
	if _, err := viewer.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{}); errCode(err) != cph.CodeForbidden {
		t.Errorf("read-only create: %v, want %s", err, cph.CodeForbidden)
	}
	// Project B's admin sees none of A's tokens and cannot revoke them.
	if list, err := b.ListEnrollmentTokens(ctx); err != nil || len(list) != 0 {
		t.Errorf("project B lists %+v, %v", list, err)
	}
	if err := b.RevokeEnrollmentToken(ctx, tok.ID); errCode(err) != cph.CodeEnrollmentTokenNotFound {
		t.Errorf("revoke through project B: %v, want %s", err, cph.CodeEnrollmentTokenNotFound)
	}

	// Revoked: enrolls nothing, at once.
	if err := a.RevokeEnrollmentToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, pe := enroll(t, srv, tok.Token, "", "after-revoke"); pe == nil || pe.Status != http.StatusUnauthorized || pe.Code != agentproto.CodeUnauthorized {
		t.Errorf("revoked token: %v, want 401 %s", pe, agentproto.CodeUnauthorized)
	}
	if err := a.RevokeEnrollmentToken(ctx, tok.ID); errCode(err) != cph.CodeEnrollmentTokenNotFound {
		t.Errorf("second revoke: %v, want %s", err, cph.CodeEnrollmentTokenNotFound)
	}

	// Expired (a fixture token stored with a past expiry): refused.
	expired := "cphe_expired-fixture"
	err = srv.DB().CreateEnrollmentToken(ctx, &sqlstore.EnrollmentToken{ID: cph.NewID(), ProjectID: aProject,
		SecretHash: iam.HashToken(expired), CreatedBy: "fixture", ExpiresAt: time.Now().Add(-time.Minute)}, cph.MaxEnrollmentTokens)
	if err != nil {
		t.Fatal(err)
	}
	if _, pe := enroll(t, srv, expired, "", "expired"); pe == nil || pe.Status != http.StatusUnauthorized || !strings.Contains(pe.Message, "expired") {
		t.Errorf("expired token: %v, want 401 saying it expired", pe)
	}
	// A token that expires in the future enrolls; one in the past cannot be created.
	soon, err := a.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil || soon.ExpiresAt.IsZero() {
		t.Fatalf("token with expiry: %+v, %v", soon, err)
	}
	if _, pe := enroll(t, srv, soon.Token, "", "before-expiry"); pe != nil {
		t.Errorf("token before its expiry: %v", pe)
	}
	if _, err := a.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{ExpiresAt: time.Now().Add(-time.Hour)}); errCode(err) != cph.CodeInvalidParameter {
		t.Errorf("expiry in the past: %v, want %s", err, cph.CodeInvalidParameter)
	}
	if _, pe := enroll(t, srv, "cphe_wrong", "", "wrong"); pe == nil || pe.Status != http.StatusUnauthorized {
		t.Errorf("wrong token: %v, want 401", pe)
	}

	// At most cph.MaxEnrollmentTokens per project (2 exist: the fixture and soon).
	for i := 2; i < cph.MaxEnrollmentTokens; i++ {
		if _, err := a.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{}); errCode(err) != cph.CodeTooManyItems {
		t.Errorf("token over the limit: %v, want %s", err, cph.CodeTooManyItems)
	}
}

// TestInstallationTokenIsExplicit checks the operator-level token: set
// explicitly, it enrolls into a project of any account; unset, nothing
// but projects' tokens enrolls.
func TestInstallationTokenIsExplicit(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, func(c *controlplane.Config) { c.AgentEnrollToken = "operator-secret" })
	bProject := cptest.CreateAccount(t, srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	if id, pe := enroll(t, srv, "operator-secret", bProject, "ops-node"); pe != nil || id.ProjectID != bProject {
		t.Errorf("installation token into another account's project: %+v, %v", id, pe)
	}
	plain := cptest.Start(t, nil)
	if _, pe := enroll(t, plain, "operator-secret", cptest.Project, "ops-node"); pe == nil || pe.Status != http.StatusUnauthorized {
		t.Errorf("installation token on a cphd without one: %v, want 401", pe)
	}
}
