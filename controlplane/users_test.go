package controlplane_test

import (
	"net/http"
	"testing"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// acmeLogin gets a project-scoped token of user (in account acme) from srv.
func acmeLogin(t *testing.T, srv *controlplane.Server, user, password string) (string, *response) {
	t.Helper()
	return loginAs(t, srv, "acme", user, password, "cn-north-4")
}

func mustLoginAs(t *testing.T, srv *controlplane.Server, user, password string) string {
	t.Helper()
	tok, r := acmeLogin(t, srv, user, password)
	if r.status != http.StatusCreated {
		t.Fatalf("login %s: %d %s", user, r.status, r.raw)
	}
	return tok
}

func createUser(t *testing.T, srv *controlplane.Server, token, name, role string) string {
	t.Helper()
	r := do(t, "POST", srv.URL()+"/v3/users", token, map[string]any{"user": map[string]any{"name": name, "password": "first-Passw0rd", "role": role}})
	if r.status != http.StatusCreated {
		t.Fatalf("create user %s: %d %s", name, r.status, r.raw)
	}
	return r.body["user"].(map[string]any)["id"].(string)
}

// TestUserChangesReachEveryReplica disables, re-enables, changes the
// password of and deletes a user through one replica and checks that the
// user's token stops working on the other, which had it cached, well
// before the token cache's minute; and that deleting a user deletes its
// access keys.
func TestUserChangesReachEveryReplica(t *testing.T) {
	t.Parallel()
	a, b := startReplicas(t)
	admin, pid := mustLogin(t, a)
	viewerID := createUser(t, a, admin, "viewer", "readonly")
	phonesOn := func(srv *controlplane.Server, token string) int {
		return do(t, "GET", srv.URL()+"/v1/"+pid+"/cloud-phone/phones", token, nil).status
	}
	// The viewer's token works on B, and B caches its check.
	tok := mustLoginAs(t, a, "viewer", "first-Passw0rd")
	for range 3 {
		if st := phonesOn(b, tok); st != http.StatusOK {
			t.Fatalf("viewer's token on B: %d", st)
		}
	}
	refusedOnB := func(what, token string) {
		t.Helper()
		poll.Until(t, what+": the token refused on the other replica", func() bool { return phonesOn(b, token) == http.StatusUnauthorized })
	}

	// Disable through A.
	r := do(t, "PATCH", a.URL()+"/v3/users/"+viewerID, admin, map[string]any{"user": map[string]any{"enabled": false}})
	if r.status != http.StatusOK || r.body["user"].(map[string]any)["enabled"] != false {
		t.Fatalf("disable: %d %s", r.status, r.raw)
	}
	refusedOnB("disabled", tok)
	if _, r := acmeLogin(t, b, "viewer", "first-Passw0rd"); r.status != http.StatusUnauthorized {
		t.Errorf("a disabled user logged in on B: %d", r.status)
	}
	// Enable through B: a new login works (the old token stays revoked).
	if r := do(t, "PATCH", b.URL()+"/v3/users/"+viewerID, admin, map[string]any{"user": map[string]any{"enabled": true}}); r.status != http.StatusOK {
		t.Fatalf("enable: %d %s", r.status, r.raw)
	}
	if st := phonesOn(b, tok); st != http.StatusUnauthorized {
		t.Errorf("the token revoked by disabling works again after enabling: %d", st)
	}
	tok = mustLoginAs(t, a, "viewer", "first-Passw0rd")
	for range 3 {
		phonesOn(b, tok)
	}

	// The viewer changes its own password through A (needs the original).
	pw := a.URL() + "/v3/users/" + viewerID + "/password"
	if r := do(t, "PUT", pw, tok, map[string]any{"user": map[string]any{"password": "second-Passw0rd"}}); r.status != http.StatusBadRequest {
		t.Errorf("own password without the original: %d %s", r.status, r.raw)
	}
	if r := do(t, "PUT", pw, tok, map[string]any{"user": map[string]any{"original_password": "not-it", "password": "second-Passw0rd"}}); r.status != http.StatusBadRequest {
		t.Errorf("own password with a wrong original: %d %s", r.status, r.raw)
	}
	if r := do(t, "PUT", pw, tok, map[string]any{"user": map[string]any{"original_password": "first-Passw0rd", "password": "short"}}); r.status != http.StatusBadRequest {
		t.Errorf("a 5-character password: %d %s", r.status, r.raw)
	}
	if r := do(t, "PUT", pw, tok, map[string]any{"user": map[string]any{"original_password": "first-Passw0rd", "password": "second-Passw0rd"}}); r.status != http.StatusNoContent {
		t.Fatalf("own password change: %d %s", r.status, r.raw)
	}
	refusedOnB("password changed", tok)
	if _, r := acmeLogin(t, b, "viewer", "first-Passw0rd"); r.status != http.StatusUnauthorized {
		t.Errorf("the old password still logs in: %d", r.status)
	}
	tok = mustLoginAs(t, b, "viewer", "second-Passw0rd")

	// A read-only user changes nobody else.
	opsID := createUser(t, a, admin, "ops", "admin")
	for _, req := range []struct{ method, path string }{
		{"PATCH", "/v3/users/" + opsID}, {"DELETE", "/v3/users/" + opsID}, {"PUT", "/v3/users/" + opsID + "/password"},
	} {
		body := map[string]any{"user": map[string]any{"enabled": false, "password": "third-Passw0rd"}}
		if req.method == "PATCH" {
			body = map[string]any{"user": map[string]any{"enabled": false}}
		}
		if r := do(t, req.method, a.URL()+req.path, tok, body); r.status != http.StatusForbidden {
			t.Errorf("read-only user: %s %s: %d %s", req.method, req.path, r.status, r.raw)
		}
	}
	// An admin sets the viewer's password (POST, as Keystone has it) without the original.
	if r := do(t, "POST", pw, admin, map[string]any{"user": map[string]any{"password": "third-Passw0rd"}}); r.status != http.StatusNoContent {
		t.Fatalf("admin sets a password: %d %s", r.status, r.raw)
	}
	refusedOnB("password set by an admin", tok)
	tok = mustLoginAs(t, a, "viewer", "third-Passw0rd")
	for range 3 {
		phonesOn(b, tok)
	}

	// Admins of another account do not see the viewer.
	cptest.CreateAccount(t, a, "bravo", "bravo", "bravo-Passw0rd", "cn-south-1")
	bravo, _ := loginAs(t, a, "bravo", "bravo", "bravo-Passw0rd", "cn-south-1")
	if r := do(t, "DELETE", a.URL()+"/v3/users/"+viewerID, bravo, nil); r.status != http.StatusNotFound {
		t.Errorf("another account's admin deletes the viewer: %d %s", r.status, r.raw)
	}

	// Delete through A: the token stops on B, the access key goes too.
	creds := a.URL() + "/v3.0/OS-CREDENTIAL/credentials"
	k := do(t, "POST", creds, admin, map[string]any{"credential": map[string]any{"user_id": viewerID, "description": "ci"}})
	if k.status != http.StatusCreated {
		t.Fatalf("create access key: %d %s", k.status, k.raw)
	}
	ak := k.body["credential"].(map[string]any)["access"].(string)
	if r := do(t, "DELETE", a.URL()+"/v3/users/"+viewerID, admin, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	refusedOnB("deleted", tok)
	if r := do(t, "GET", creds+"/"+ak, admin, nil); r.status != http.StatusNotFound {
		t.Errorf("the deleted user's access key: %d %s", r.status, r.raw)
	}
	if r := do(t, "DELETE", b.URL()+"/v3/users/"+viewerID, admin, nil); r.status != http.StatusNotFound {
		t.Errorf("delete again: %d %s", r.status, r.raw)
	}

	// The last enabled admin stays.
	if r := do(t, "PATCH", b.URL()+"/v3/users/"+opsID, admin, map[string]any{"user": map[string]any{"enabled": false}}); r.status != http.StatusOK {
		t.Fatalf("disable one of two admins: %d %s", r.status, r.raw)
	}
	users := do(t, "GET", a.URL()+"/v3/users?name=acme", admin, nil).body["users"].([]any)
	self := users[0].(map[string]any)["id"].(string)
	for _, method := range []string{"PATCH", "DELETE"} {
		r := do(t, method, a.URL()+"/v3/users/"+self, admin, map[string]any{"user": map[string]any{"enabled": false}})
		if code, msg := keystone(t, r); r.status != http.StatusConflict || code != http.StatusConflict ||
			msg != "The last enabled admin of an account cannot be disabled or deleted." {
			t.Errorf("%s the last enabled admin: %d %s", method, r.status, r.raw)
		}
	}
	if st := phonesOn(b, admin); st != http.StatusOK {
		t.Errorf("the last admin's token after the refused changes: %d", st)
	}
	// Bad bodies change nothing.
	for _, body := range []string{`{"user":{"enabled":null}}`, `{"user":{"enabled":"no"}}`, `{"user":{"name":"x"}}`, `{"user":{}}`, `{}`} {
		if r := do(t, "PATCH", a.URL()+"/v3/users/"+opsID, admin, body); r.status != http.StatusBadRequest {
			t.Errorf("PATCH %s: %d %s", body, r.status, r.raw)
		}
	}
}
