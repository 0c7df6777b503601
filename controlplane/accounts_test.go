package controlplane_test

import (
	"fmt"
	"testing"

	"github.com/opencph/opencph/controlplane"
)

// loginAs gets a project-scoped token for any user.
func loginAs(t *testing.T, srv *controlplane.Server, domain, user, password, project string) (string, *response) {
	t.Helper()
	r := do(t, "POST", srv.URL()+"/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": user, "password": password, "domain": map[string]any{"name": domain}}}},
		"scope": map[string]any{"project": map[string]any{"name": project}},
	}})
	return r.header.Get("X-Subject-Token"), r
}

func TestAccountAdministration(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	opToken, opProject := mustLogin(t, srv)

	// The operator (admin of the bootstrap account) creates an account.
	r := do(t, "POST", srv.URL()+"/v3/domains", opToken, map[string]any{
		"domain": map[string]any{"name": "bravo"}, "user": map[string]any{"name": "bob", "password": "bob-password"},
		"project": map[string]any{"name": "cn-south-1"}})
	if r.status != 201 || r.body["user"].(map[string]any)["role"] != "admin" {
		t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	bravoID := r.body["domain"].(map[string]any)["id"].(string)
	if r := do(t, "POST", srv.URL()+"/v3/domains", opToken, map[string]any{
		"domain": map[string]any{"name": "bravo"}, "user": map[string]any{"name": "x", "password": "long-enough"}}); r.status != 409 {
		t.Errorf("duplicate account: %d %s", r.status, r.raw)
	}

	bobToken, br := loginAs(t, srv, "bravo", "bob", "bob-password", "cn-south-1")
	if br.status != 201 {
		t.Fatalf("bob login: %d %s", br.status, br.raw)
	}
	bobProject := br.body["token"].(map[string]any)["project"].(map[string]any)["id"].(string)

	// Nothing of one account is visible from the other.
	if r := do(t, "GET", srv.URL()+"/v1/"+bobProject+"/cloud-phone/phones", bobToken, nil); r.status != 200 || r.body["count"] != float64(0) {
		t.Errorf("bravo's phones: %d %s", r.status, r.raw)
	}
	if r := do(t, "GET", srv.URL()+"/v1/"+opProject+"/cloud-phone/phones", bobToken, nil); r.status != 403 {
		t.Errorf("bravo token on acme's project: %d", r.status)
	}
	if r := do(t, "GET", srv.URL()+"/v3/projects", bobToken, nil); len(r.body["projects"].([]any)) != 1 {
		t.Errorf("bravo sees projects %s", r.raw)
	}
	if r := do(t, "GET", srv.URL()+"/v3/projects/"+opProject, bobToken, nil); r.status != 404 {
		t.Errorf("bravo shows acme's project: %d", r.status)
	}
	// Only operators create accounts.
	if r := do(t, "POST", srv.URL()+"/v3/domains", bobToken, map[string]any{
		"domain": map[string]any{"name": "charlie"}, "user": map[string]any{"password": "long-enough"}}); r.status != 403 {
		t.Errorf("non-operator created an account: %d", r.status)
	}
	// bob manages his own account: a project and a read-only user.
	if r := do(t, "POST", srv.URL()+"/v3/projects", bobToken, map[string]any{"project": map[string]any{"name": "cn-east-3"}}); r.status != 201 {
		t.Errorf("create project: %d %s", r.status, r.raw)
	}
	if r := do(t, "POST", srv.URL()+"/v3/projects", bobToken, map[string]any{"project": map[string]any{"name": "Not A Region"}}); r.status != 400 {
		t.Errorf("bad project name: %d", r.status)
	}
	if r := do(t, "POST", srv.URL()+"/v3/users", bobToken, map[string]any{"user": map[string]any{"name": "viewer", "password": "viewer-password", "role": "readonly"}}); r.status != 201 {
		t.Fatalf("create user: %d %s", r.status, r.raw)
	}
	if r := do(t, "POST", srv.URL()+"/v3/users", bobToken, map[string]any{"user": map[string]any{"name": "viewer", "password": "viewer-password"}}); r.status != 409 {
		t.Errorf("duplicate user: %d", r.status)
	}
	if r := do(t, "POST", srv.URL()+"/v3/users", bobToken, map[string]any{"user": map[string]any{"name": "short", "password": "x"}}); r.status != 400 {
		t.Errorf("short password: %d", r.status)
	}
	if r := do(t, "POST", srv.URL()+"/v3/users", bobToken, map[string]any{"user": map[string]any{"name": "intruder", "password": "long-enough", "domain_id": srv.Bootstrap().ProjectID}}); r.status != 403 && r.status != 404 {
		t.Errorf("user in another account: %d", r.status)
	}
	users := do(t, "GET", srv.URL()+"/v3/users", bobToken, nil)
	if len(users.body["users"].([]any)) != 2 {
		t.Errorf("users: %s", users.raw)
	}
	// The operator may add users to any account.
	if r := do(t, "POST", srv.URL()+"/v3/users", opToken, map[string]any{"user": map[string]any{"name": "ops", "password": "ops-password", "domain_id": bravoID, "role": "admin"}}); r.status != 201 {
		t.Errorf("operator adds a user to bravo: %d %s", r.status, r.raw)
	}
}

func TestReadOnlyUser(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	opToken, pid := mustLogin(t, srv)
	if r := do(t, "POST", srv.URL()+"/v3/users", opToken, map[string]any{"user": map[string]any{"name": "viewer", "password": "viewer-password"}}); r.status != 201 || r.body["user"].(map[string]any)["role"] != "readonly" {
		t.Fatalf("create viewer: %d %s", r.status, r.raw)
	}
	token, lr := loginAs(t, srv, "acme", "viewer", "viewer-password", "cn-north-4")
	if lr.status != 201 {
		t.Fatalf("viewer login: %d", lr.status)
	}
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	list := do(t, "GET", api+"/phones", token, nil)
	if list.status != 200 {
		t.Fatalf("viewer lists: %d", list.status)
	}
	id := list.body["phones"].([]any)[0].(map[string]any)["phone_id"].(string)
	if r := do(t, "GET", api+"/phones/"+id, token, nil); r.status != 200 {
		t.Errorf("viewer shows a phone: %d", r.status)
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/phones/batch-restart", fmt.Sprintf(`{"phones":[{"phone_id":%q}]}`, id)},
		{"POST", "/phones/batch-stop", fmt.Sprintf(`{"phone_ids":[%q]}`, id)},
	} {
		r := do(t, c.method, api+c.path, token, c.body)
		if r.status != 403 || r.body["error_code"] != "CPS.0001" {
			t.Errorf("viewer %s %s: %d %s", c.method, c.path, r.status, r.raw)
		}
	}
	if st := do(t, "GET", api+"/phones/"+id, token, nil).body["status"]; st != float64(2) {
		t.Errorf("refused restart changed the phone: %v", st)
	}
	if r := do(t, "POST", srv.URL()+"/v3/users", token, map[string]any{"user": map[string]any{"name": "x", "password": "long-enough"}}); r.status != 403 {
		t.Errorf("viewer creates users: %d", r.status)
	}
}
