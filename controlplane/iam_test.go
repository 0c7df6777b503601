package controlplane_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

func keystone(t *testing.T, r *response) (int, string) {
	t.Helper()
	e, ok := r.body["error"].(map[string]any)
	if !ok {
		t.Fatalf("not a Keystone error body: %s", r.raw)
	}
	return int(e["code"].(float64)), e["message"].(string)
}

func TestLoginErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	url := srv.URL() + "/v3/auth/tokens"
	user := func(name, password, domain string) map[string]any {
		return map[string]any{"auth": map[string]any{"identity": map[string]any{"methods": []string{"password"},
			"password": map[string]any{"user": map[string]any{"name": name, "password": password, "domain": map[string]any{"name": domain}}}},
			"scope": map[string]any{"project": map[string]any{"name": "cn-north-4"}}}}
	}
	wrong := do(t, "POST", url, "", user("acme", "nope", "acme"))
	unknownUser := do(t, "POST", url, "", user("bob", "nope", "acme"))
	unknownDomain := do(t, "POST", url, "", user("acme", testPassword, "nodomain"))
	for name, r := range map[string]*response{"wrong password": wrong, "unknown user": unknownUser, "unknown domain": unknownDomain} {
		code, msg := keystone(t, r)
		if r.status != 401 || code != 401 || msg != "The username or password is wrong." || r.header.Get("X-Subject-Token") != "" {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	badScope := user("acme", testPassword, "acme")
	badScope["auth"].(map[string]any)["scope"] = map[string]any{"project": map[string]any{"name": "cn-south-1"}}
	if r := do(t, "POST", url, "", badScope); r.status != 401 {
		t.Errorf("unknown project scope: %d %s", r.status, r.raw)
	}
	for name, body := range map[string]any{
		"not json":     `{"auth":`,
		"no identity":  `{"auth":{}}`,
		"totp method":  `{"auth":{"identity":{"methods":["totp"]}}}`,
		"both scopes":  `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"acme","password":"x","domain":{"name":"acme"}}}},"scope":{"project":{"name":"a"},"domain":{"name":"acme"}}}}`,
		"user no name": `{"auth":{"identity":{"methods":["password"],"password":{"user":{"password":"x"}}}}}`,
	} {
		r := do(t, "POST", url, "", body)
		if code, _ := keystone(t, r); r.status != 400 || code != 400 {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	req, _ := http.NewRequest("POST", url, strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := cptest.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain login: %d, want 415", resp.StatusCode)
	}
	// Unscoped (scope null) and domain-scoped logins work too.
	unscoped := user("acme", testPassword, "acme")
	unscoped["auth"].(map[string]any)["scope"] = nil
	r := do(t, "POST", url, "", unscoped)
	if r.status != 201 || r.body["token"].(map[string]any)["project"] != nil {
		t.Errorf("unscoped login: %d %s", r.status, r.raw)
	}
	// An unscoped token is not good for the CPH API.
	pid := srv.Bootstrap().ProjectID
	if r := do(t, "GET", srv.URL()+"/v1/"+pid+"/cloud-phone/phones", r.header.Get("X-Subject-Token"), nil); r.status != 403 {
		t.Errorf("unscoped token on CPH: %d", r.status)
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	srv := startServer(t, func(c *controlplane.Config) { c.IAM.UserFailures = 3 })
	for i := 0; i < 3; i++ {
		if _, r := login(t, srv, "wrong"); r.status != 401 {
			t.Fatalf("attempt %d: %d", i, r.status)
		}
	}
	// Out of attempts: even the right password is refused, before it is checked.
	_, r := login(t, srv, testPassword)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("after 3 failures: %d (Retry-After %q): %s", r.status, r.header.Get("Retry-After"), r.raw)
	}
}

func TestTokenCheckAndRevoke(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	other, _ := mustLogin(t, srv)
	url := srv.URL() + "/v3/auth/tokens"
	call := func(method, caller, subject string) *response {
		t.Helper()
		req, _ := http.NewRequest(method, url, nil)
		if caller != "" {
			req.Header.Set("X-Auth-Token", caller)
		}
		if subject != "" {
			req.Header.Set("X-Subject-Token", subject)
		}
		resp, err := cptest.HTTPClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return &response{status: resp.StatusCode, header: resp.Header}
	}
	if r := do(t, "GET", url, "", nil); r.status != 401 {
		t.Errorf("GET without caller token: %d", r.status)
	}
	get := call("GET", token, other)
	if get.status != 200 || get.header.Get("X-Subject-Token") != other {
		t.Errorf("GET token: %d, X-Subject-Token %q", get.status, get.header.Get("X-Subject-Token"))
	}
	if r := call("HEAD", token, other); r.status != 200 {
		t.Errorf("HEAD token: %d", r.status)
	}
	if r := call("HEAD", token, "unknown"); r.status != 404 {
		t.Errorf("HEAD unknown subject: %d, want 404", r.status)
	}
	if r := call("GET", token, ""); r.status != 400 {
		t.Errorf("GET without subject: %d, want 400", r.status)
	}
	if r := call("DELETE", token, other); r.status != 204 {
		t.Errorf("DELETE token: %d, want 204", r.status)
	}
	if r := do(t, "GET", srv.URL()+"/v1/"+pid+"/cloud-phone/phones", other, nil); r.status != 401 {
		t.Errorf("revoked token on CPH: %d, want 401", r.status)
	}
	if r := call("HEAD", token, other); r.status != 404 {
		t.Errorf("HEAD revoked: %d, want 404", r.status)
	}
	if r := do(t, "GET", srv.URL()+"/v1/"+pid+"/cloud-phone/phones", token, nil); r.status != 200 {
		t.Errorf("the other token still works: %d", r.status)
	}
}

func TestProjects(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	r := do(t, "GET", srv.URL()+"/v3/projects?name=cn-north-4", token, nil)
	ps := r.body["projects"].([]any)
	if r.status != 200 || len(ps) != 1 || ps[0].(map[string]any)["id"] != pid {
		t.Errorf("projects?name: %d %s", r.status, r.raw)
	}
	if r := do(t, "GET", srv.URL()+"/v3/projects?name=cn-south-1", token, nil); len(r.body["projects"].([]any)) != 0 {
		t.Errorf("unknown name matched: %s", r.raw)
	}
	if r := do(t, "GET", srv.URL()+"/v3/projects/"+pid, token, nil); r.status != 200 || r.body["project"].(map[string]any)["name"] != "cn-north-4" {
		t.Errorf("project detail: %d %s", r.status, r.raw)
	}
	if r := do(t, "GET", srv.URL()+"/v3/projects", "", nil); r.status != 401 || r.body["error_code"] != "APIGW.0301" {
		t.Errorf("projects without token: %d %s", r.status, r.raw)
	}
}
