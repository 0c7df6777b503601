package controlplane_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// rawDo sends body as it is (no JSON encoding) and decodes the answer.
func rawDo(t *testing.T, method, url, token string, body []byte) *response {
	t.Helper()
	return send(t, newRequest(t, method, url, token, bytes.NewReader(body)))
}

// TestMalformedBodiesAreRefusedWhole: a body that is not well-formed JSON
// text (null, invalid UTF-8, a lone surrogate escape) is 400 APIGW.0201
// before any field is looked at, and changes nothing.
func TestMalformedBodiesAreRefusedWhole(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	phones := do(t, "GET", api+"/phones", token, nil)
	id := phones.body["phones"].([]any)[0].(map[string]any)["phone_id"].(string)

	bodies := map[string]func(field string) []byte{
		"null":                func(string) []byte { return []byte(" null ") },
		"invalid UTF-8":       func(f string) []byte { return []byte(fmt.Sprintf(`{%s:["%s`+"\xff"+`"]}`, f, id)) },
		"lone high surrogate": func(f string) []byte { return []byte(fmt.Sprintf(`{%s:["%s\ud800"]}`, f, id)) },
		"lone low surrogate":  func(f string) []byte { return []byte(fmt.Sprintf(`{%s:["\udc00%s"]}`, f, id)) },
		"reversed pair":       func(f string) []byte { return []byte(fmt.Sprintf(`{%s:["\udc00\ud800%s"]}`, f, id)) },
	}
	for name, body := range bodies {
		for _, c := range []struct{ path, field string }{
			{"/phones/batch-stop", `"phone_ids"`},
			{"/phones/batch-connection", `"client_type":"ANDROID","phone_ids"`},
			{"/phones/commands", `"command":"shell","content":"id","phone_ids"`},
		} {
			r := rawDo(t, "POST", api+c.path, token, body(c.field))
			if r.status != 400 || r.body["error_code"] != "APIGW.0201" {
				t.Errorf("%s to %s: %d %s", name, c.path, r.status, r.raw)
			}
		}
	}
	if st := do(t, "GET", api+"/phones/"+id, token, nil).body["status"]; st != float64(2) {
		t.Errorf("a refused body changed the phone: status %v", st)
	}
	// A surrogate pair is a character like any other: the body parses.
	r := rawDo(t, "POST", api+"/phones/batch-stop", token, []byte(`{"phone_ids":["\ud83d\ude00"]}`))
	if r.status != 200 {
		t.Errorf("surrogate pair: %d %s", r.status, r.raw)
	}
}

// TestLoginBodies: login answers a malformed body with the Keystone 400
// "not valid JSON" and a body over 1 MiB with 413, before any password is
// checked.
func TestLoginBodies(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	tokens := srv.URL() + "/v3/auth/tokens"
	login := func(password string) string {
		return `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"acme","password":"` + password +
			`","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`
	}
	for name, body := range map[string]string{
		"null":           "null",
		"invalid UTF-8":  login("\xff" + testPassword),
		"lone surrogate": login(`\ud800`),
	} {
		r := rawDo(t, "POST", tokens, "", []byte(body))
		e, _ := r.body["error"].(map[string]any)
		if r.status != 400 || e == nil || e["message"] != "The request body is not valid JSON." {
			t.Errorf("login with %s: %d %s", name, r.status, r.raw)
		}
	}
	big := login(testPassword)
	big = big[:len(big)-1] + `,"pad":"` + strings.Repeat("x", 1<<20) + `"}`
	r := rawDo(t, "POST", tokens, "", []byte(big))
	if e, _ := r.body["error"].(map[string]any); r.status != 413 || e == nil || e["code"] != float64(413) {
		t.Errorf("oversize login: %d %.200s", r.status, r.raw)
	}
	if r := rawDo(t, "POST", tokens, "", []byte(login(testPassword))); r.status != 201 {
		t.Errorf("good login: %d %s", r.status, r.raw)
	}
}
