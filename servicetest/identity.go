package servicetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane/cptest"
)

// IAM error codes.
const (
	codeIAMBadRequest   = cph.CodeIAMBadRequest
	codeIAMUnauthorized = cph.CodeIAMUnauthenticated
	codeIAMForbidden    = cph.CodeIAMForbidden
	codeIAMNotFound     = cph.CodeIAMNotFound
)

func testIdentity(t *testing.T, env *Env) {
	a, ro, o := env.Admin, env.ReadOnly, env.Other
	login := func(user, password string) (string, error) {
		tok, info, err := a.S.Login(a.Ctx, cph.PasswordLogin{DomainName: cptest.Domain, UserName: user, Password: password,
			ProjectName: cptest.Project})
		if err == nil && (tok == "" || info == nil || info.User.Name != user || info.Project == nil || info.Project.ID != env.ProjectID) {
			t.Errorf("login of %s: token %q, info %+v", user, tok, info)
		}
		return tok, err
	}
	userID := func(c Caller, name string) string {
		t.Helper()
		users, err := c.S.ListUsers(c.Ctx, cph.UserFilter{Name: name})
		if err != nil || len(users) != 1 {
			t.Fatalf("find user %s: %v, %d users", name, err, len(users))
		}
		return users[0].ID
	}

	t.Run("login", func(t *testing.T) {
		if _, err := login(Viewer, ViewerPassword); err != nil {
			t.Fatalf("right password: %v", err)
		}
		_, err := login(Viewer, "not-the-password")
		wantCode(t, "wrong password", err, codeIAMUnauthorized)
		_, err = login("nobody", ViewerPassword)
		wantCode(t, "unknown user", err, codeIAMUnauthorized)
	})

	t.Run("tokens", func(t *testing.T) {
		tok, err := login(Viewer, ViewerPassword)
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.S.Authenticate(a.Ctx, tok)
		if err != nil || p.User.Name != Viewer || p.ProjectID != env.ProjectID || p.User.IsAdmin {
			t.Fatalf("authenticate the viewer's token: %+v, %v", p, err)
		}
		info, err := a.S.ShowToken(a.Ctx, tok)
		if err != nil || info.User.Name != Viewer || info.Project == nil || info.Project.ID != env.ProjectID {
			t.Fatalf("an admin shows a token of its account: %+v, %v", info, err)
		}
		_, err = o.S.ShowToken(o.Ctx, tok)
		wantCode(t, "another account shows the token", err, codeIAMForbidden)
		adminTok, err := login(cptest.User, cptest.Password)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ro.S.ShowToken(ro.Ctx, adminTok)
		wantCode(t, "a read-only user shows the admin's token", err, codeIAMForbidden)
		err = ro.S.RevokeToken(ro.Ctx, adminTok)
		wantCode(t, "a read-only user revokes the admin's token", err, codeIAMForbidden)
		_, err = a.S.ShowToken(a.Ctx, "")
		wantCode(t, "show no token", err, codeIAMBadRequest)

		if err := a.S.RevokeToken(a.Ctx, tok); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		_, err = a.S.ShowToken(a.Ctx, tok)
		wantCode(t, "show a revoked token", err, codeIAMNotFound)
		_, err = a.S.Authenticate(a.Ctx, tok)
		wantCode(t, "authenticate with a revoked token", err, cph.CodeUnauthorized)
		_, err = a.S.Authenticate(a.Ctx, "no-such-token")
		wantCode(t, "authenticate with an unknown token", err, cph.CodeUnauthorized)
		if _, err := a.S.Authenticate(a.Ctx, adminTok); err != nil {
			t.Errorf("the admin's token after refused revocations: %v", err)
		}
	})

	t.Run("projects", func(t *testing.T) {
		list, err := a.S.ListProjects(a.Ctx, cph.ProjectFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(list, func(p *cph.Project) bool { return p.ID == env.ProjectID && p.Name == cptest.Project }) {
			t.Errorf("the admin's projects %v lack %s", list, env.ProjectID)
		}
		if byName, err := a.S.ListProjects(a.Ctx, cph.ProjectFilter{Name: "no-such-region"}); err != nil || len(byName) != 0 {
			t.Errorf("projects named no-such-region: %v, %v", byName, err)
		}
		if p, err := ro.S.ShowProject(ro.Ctx, env.ProjectID); err != nil || p.Name != cptest.Project {
			t.Errorf("a read-only user shows its project: %+v, %v", p, err)
		}
		others, err := o.S.ListProjects(o.Ctx, cph.ProjectFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(others, func(p *cph.Project) bool { return p.ID == env.ProjectID }) {
			t.Error("another account lists the project")
		}
		_, err = o.S.ShowProject(o.Ctx, env.ProjectID)
		wantCode(t, "another account shows the project", err, codeIAMNotFound)
	})

	t.Run("users", func(t *testing.T) {
		const name, first, second = "alice", "first-Passw0rd", "second-Passw0rd"
		_, err := ro.S.CreateUser(ro.Ctx, cph.CreateUserParams{Name: "mallory", Password: first})
		wantCode(t, "a read-only user creates a user", err, codeIAMForbidden)
		_, err = a.S.CreateUser(a.Ctx, cph.CreateUserParams{Name: name, Password: "short"})
		wantCode(t, "a short password", err, codeIAMBadRequest)
		u, err := a.S.CreateUser(a.Ctx, cph.CreateUserParams{Name: name, Password: first})
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == "" || u.Name != name || u.IsAdmin || !u.Enabled {
			t.Errorf("created user %+v", u)
		}
		_, err = a.S.CreateUser(a.Ctx, cph.CreateUserParams{Name: name, Password: first})
		wantCode(t, "a second user of the name", err, cph.CodeIAMConflict)
		if _, err := login(name, first); err != nil {
			t.Fatalf("the new user logs in: %v", err)
		}
		if id := userID(ro, name); id != u.ID {
			t.Errorf("a read-only user finds %s as %s, want %s", name, id, u.ID)
		}

		err = ro.S.ChangePassword(ro.Ctx, cph.PasswordChange{UserID: u.ID, Password: second})
		wantCode(t, "a read-only user sets another user's password", err, codeIAMForbidden)
		if err := a.S.ChangePassword(a.Ctx, cph.PasswordChange{UserID: u.ID, Password: second}); err != nil {
			t.Fatalf("change password: %v", err)
		}
		_, err = login(name, first)
		wantCode(t, "log in with the old password", err, codeIAMUnauthorized)
		if _, err := login(name, second); err != nil {
			t.Fatalf("log in with the new password: %v", err)
		}

		_, err = ro.S.UpdateUser(ro.Ctx, u.ID, cph.UserUpdate{Enabled: new(false)})
		wantCode(t, "a read-only user disables a user", err, codeIAMForbidden)
		off, err := a.S.UpdateUser(a.Ctx, u.ID, cph.UserUpdate{Enabled: new(false)})
		if err != nil || off.Enabled {
			t.Fatalf("disable: %+v, %v", off, err)
		}
		_, err = login(name, second)
		wantCode(t, "a disabled user logs in", err, codeIAMUnauthorized)

		err = ro.S.DeleteUser(ro.Ctx, u.ID)
		wantCode(t, "a read-only user deletes a user", err, codeIAMForbidden)
		if err := a.S.DeleteUser(a.Ctx, u.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		users, err := a.S.ListUsers(a.Ctx, cph.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(users, func(x *cph.User) bool { return x.ID == u.ID }) {
			t.Error("the deleted user is listed")
		}
		err = a.S.DeleteUser(a.Ctx, u.ID)
		wantCode(t, "delete a deleted user", err, codeIAMNotFound)
	})

	t.Run("access keys", func(t *testing.T) {
		adminID := userID(a, cptest.User)
		_, err := ro.S.CreateAccessKey(ro.Ctx, cph.CreateAccessKeyParams{UserID: adminID})
		wantCode(t, "a read-only user creates a key of the admin", err, codeIAMForbidden)
		k, err := a.S.CreateAccessKey(a.Ctx, cph.CreateAccessKeyParams{UserID: adminID, Description: "ci"})
		if err != nil {
			t.Fatal(err)
		}
		if k.Access == "" || len(k.Secret) != 40 || k.Status != cph.KeyActive || k.UserID != adminID || k.Description != "ci" {
			t.Errorf("created key %+v (secret of %d characters)", k.AccessKey, len(k.Secret))
		}
		keys, err := a.S.ListAccessKeys(a.Ctx, cph.AccessKeyFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(keys, func(x *cph.AccessKey) bool { return x.Access == k.Access && x.Status == cph.KeyActive }) {
			t.Errorf("the admin's keys %v lack %s", keys, k.Access)
		}
		_, err = ro.S.ListAccessKeys(ro.Ctx, cph.AccessKeyFilter{UserID: adminID})
		wantCode(t, "a read-only user lists the admin's keys", err, codeIAMForbidden)
		_, err = ro.S.UpdateAccessKey(ro.Ctx, k.Access, cph.AccessKeyUpdate{Status: new(cph.KeyInactive)})
		wantCode(t, "a read-only user disables the admin's key", err, codeIAMForbidden)

		_, err = o.S.ShowAccessKey(o.Ctx, k.Access)
		wantCode(t, "another account shows the key", err, codeIAMNotFound)
		_, err = o.S.ListAccessKeys(o.Ctx, cph.AccessKeyFilter{UserID: adminID})
		wantCode(t, "another account lists the admin's keys", err, codeIAMNotFound)
		err = o.S.DeleteAccessKey(o.Ctx, k.Access)
		wantCode(t, "another account deletes the key", err, codeIAMNotFound)

		_, err = a.S.UpdateAccessKey(a.Ctx, k.Access, cph.AccessKeyUpdate{Status: new("paused")})
		wantCode(t, "an unknown status", err, codeIAMBadRequest)
		off, err := a.S.UpdateAccessKey(a.Ctx, k.Access, cph.AccessKeyUpdate{Status: new(cph.KeyInactive)})
		if err != nil || off.Status != cph.KeyInactive {
			t.Fatalf("disable: %+v, %v", off, err)
		}
		if shown, err := a.S.ShowAccessKey(a.Ctx, k.Access); err != nil || shown.Status != cph.KeyInactive || shown.Description != "ci" {
			t.Errorf("the disabled key: %+v, %v", shown, err)
		}
		if err := a.S.DeleteAccessKey(a.Ctx, k.Access); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err = a.S.ShowAccessKey(a.Ctx, k.Access)
		wantCode(t, "show a deleted key", err, codeIAMNotFound)
	})

	t.Run("enrollment tokens", func(t *testing.T) {
		_, err := ro.S.CreateEnrollmentToken(ro.Ctx, cph.CreateEnrollmentTokenParams{Description: "ro"})
		wantCode(t, "a read-only user creates a token", err, cph.CodeForbidden)
		_, err = ro.S.ListEnrollmentTokens(ro.Ctx)
		wantCode(t, "a read-only user lists tokens", err, cph.CodeForbidden)
		_, err = a.S.CreateEnrollmentToken(a.Ctx, cph.CreateEnrollmentTokenParams{ExpiresAt: time.Now().Add(-time.Hour)})
		wantCode(t, "a token expired at its creation", err, cph.CodeInvalidParameter)
		tok, err := a.S.CreateEnrollmentToken(a.Ctx, cph.CreateEnrollmentTokenParams{Description: "rack 7"})
		if err != nil {
			t.Fatal(err)
		}
		if tok.ID == "" || !strings.HasPrefix(tok.Token, cph.EnrollmentTokenPrefix) || tok.ProjectID != env.ProjectID || tok.Description != "rack 7" {
			t.Errorf("created token %+v", tok)
		}
		list, err := a.S.ListEnrollmentTokens(a.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(list, func(x *cph.EnrollmentToken) bool { return x.ID == tok.ID })
		if i < 0 {
			t.Fatalf("the tokens %v lack %s", list, tok.ID)
		}
		if list[i].Token != "" {
			t.Error("a listed token shows its secret")
		}
		others, err := o.S.ListEnrollmentTokens(o.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(others, func(x *cph.EnrollmentToken) bool { return x.ID == tok.ID }) {
			t.Error("another account lists the token")
		}
		err = o.S.DeleteEnrollmentToken(o.Ctx, tok.ID)
		wantCode(t, "another account deletes the token", err, cph.CodeEnrollmentTokenNotFound)
		err = ro.S.DeleteEnrollmentToken(ro.Ctx, tok.ID)
		wantCode(t, "a read-only user deletes the token", err, cph.CodeForbidden)
		if err := a.S.DeleteEnrollmentToken(a.Ctx, tok.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		err = a.S.DeleteEnrollmentToken(a.Ctx, tok.ID)
		wantCode(t, "delete a deleted token", err, cph.CodeEnrollmentTokenNotFound)
	})

	t.Run("another account sees no users of the project", func(t *testing.T) {
		adminUsers, err := a.S.ListUsers(a.Ctx, cph.UserFilter{})
		if err != nil || len(adminUsers) == 0 {
			t.Fatalf("the admin's users: %v, %v", adminUsers, err)
		}
		domainID := adminUsers[0].DomainID
		_, err = o.S.ListUsers(o.Ctx, cph.UserFilter{DomainID: domainID})
		wantCode(t, "another account lists the account's users", err, codeIAMForbidden)
		users, err := o.S.ListUsers(o.Ctx, cph.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.DomainID == domainID {
				t.Errorf("another account lists user %s", u.Name)
			}
		}
		err = o.S.DeleteUser(o.Ctx, userID(a, Viewer))
		wantCode(t, "another account deletes the viewer", err, codeIAMNotFound)
	})

	t.Run("audit events", func(t *testing.T) {
		_, err := ro.S.ListAuditEvents(ro.Ctx, cph.AuditFilter{Limit: 10})
		wantCode(t, "a read-only user lists audit events", err, cph.CodeForbidden)
		_, err = a.S.ListAuditEvents(a.Ctx, cph.AuditFilter{Limit: 0})
		wantCode(t, "limit 0", err, cph.CodeInvalidPaging)
		_, err = a.S.ListAuditEvents(a.Ctx, cph.AuditFilter{Limit: 10, Result: "maybe"})
		wantCode(t, "an unknown result", err, cph.CodeInvalidParameter)

		// The API records what its callers change: make a change through it.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cl, err := client.New(client.Config{Endpoint: env.ControlPlane.URL(), Domain: cptest.Domain, User: cptest.User,
			Password: cptest.Password, Project: cptest.Project, HTTPClient: cptest.HTTPClient(t)})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cl.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{Description: "audited"})
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.RevokeEnrollmentToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		for {
			page, err := a.S.ListAuditEvents(a.Ctx, cph.AuditFilter{Limit: cph.MaxAuditPage, Result: "success"})
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(page.Events, func(e *cph.AuditEvent) bool {
				return slices.Contains(e.TargetIDs, tok.ID) && e.UserName == cptest.User && e.ProjectID == env.ProjectID && e.Status < 400
			}) {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("no audit event of the revocation of %s in %d events", tok.ID, len(page.Events))
			case <-time.After(20 * time.Millisecond):
			}
		}
		others, err := o.S.ListAuditEvents(o.Ctx, cph.AuditFilter{Limit: cph.MaxAuditPage})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range others.Events {
			if e.ProjectID == env.ProjectID || slices.Contains(e.TargetIDs, tok.ID) {
				t.Errorf("another account sees event %+v", e)
			}
		}
	})
}
