package controlplane_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// testPassword is the bootstrap password of test control planes.
const testPassword = cptest.Password

// startServer starts a real control plane (see cptest.Start).
func startServer(t *testing.T, mutate func(*controlplane.Config)) *controlplane.Server {
	t.Helper()
	return cptest.Start(t, mutate)
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// do sends a request with an optional JSON body and token.
func do(t *testing.T, method, url, token string, body any) *response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	r := send(t, newRequest(t, method, url, token, rd))
	if len(r.raw) > 0 && method != http.MethodHead {
		if err := json.Unmarshal(r.raw, &r.body); err != nil {
			t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, url, err, r.raw)
		}
	}
	return r
}

// newRequest makes a request with a JSON content type and, unless token
// is "", the token.
func newRequest(t *testing.T, method, url, token string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	return req
}

// send sends req and reads the answer, decoding its body where it is a
// JSON object.
func send(t *testing.T, req *http.Request) *response {
	t.Helper()
	resp, err := cptest.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && req.Method != http.MethodHead {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

// login gets a project-scoped token for the bootstrap user.
func login(t *testing.T, srv *controlplane.Server, password string) (string, *response) {
	t.Helper()
	r := do(t, "POST", srv.URL()+"/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "acme", "password": password, "domain": map[string]any{"name": "acme"}}}},
		"scope": map[string]any{"project": map[string]any{"name": "cn-north-4"}},
	}})
	return r.header.Get("X-Subject-Token"), r
}

// mustLogin returns a token and the project id, failing the test if login fails.
func mustLogin(t *testing.T, srv *controlplane.Server) (token, projectID string) {
	t.Helper()
	token, r := login(t, srv, testPassword)
	if r.status != http.StatusCreated || token == "" {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	return token, r.body["token"].(map[string]any)["project"].(map[string]any)["id"].(string)
}

// onBothEngines runs f in parallel subtests, named by engine, each on a
// control plane of its own on SQLite and on PostgreSQL (startServerOn).
func onBothEngines(t *testing.T, f func(t *testing.T, srv *controlplane.Server)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f(t, startServerOn(t, engine))
		})
	}
}

// startServerOn starts a control plane on engine: "sqlite" (a file in a
// temporary data dir) or "postgres" (a fresh database on the test server).
func startServerOn(t *testing.T, engine string) *controlplane.Server {
	t.Helper()
	if engine != "postgres" {
		return startServer(t, nil)
	}
	dbURL := postgresURL(t)
	return startServer(t, func(c *controlplane.Config) { c.DatabaseURL = dbURL })
}
