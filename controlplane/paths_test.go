package controlplane_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// TestNonCanonicalPathsAnswerInTheEnvelope: a path with "..", "//" or "."
// segments, or one that lacks the trailing slash of a route, is answered 404 APIGW.0101 in the CPH envelope, never with a
// redirect, and the request changes nothing.
func TestNonCanonicalPathsAnswerInTheEnvelope(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	objects := srv.URL() + "/opencph/v1/" + pid + "/buckets/apps/objects/"
	for _, c := range []struct{ method, url, body string }{
		{"GET", api + "/../cloud-phone/phones", ""},
		{"GET", api + "//phones", ""},
		{"GET", api + "/phones/.", ""},
		{"GET", srv.URL() + "//v1/" + pid + "/cloud-phone/phones", ""},
		{"POST", api + "/phones/x/../batch-stop", `{"phone_ids":["x"]}`},
		{"PUT", objects + "a//b", "bytes"},
		{"PUT", objects + "a/../b", "bytes"},
		{"GET", srv.URL() + "/v3/auth/../auth/tokens", ""},
		{"GET", srv.URL() + "/healthz/", ""},
		{"GET", srv.URL() + "/agent/v1/objects/apps", ""}, // ServeMux would add the trailing slash
	} {
		var body io.Reader
		if c.body != "" {
			body = bytes.NewBufferString(c.body)
		}
		req, err := http.NewRequest(c.method, c.url, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Auth-Token", token)
		resp := send(t, req)
		var env struct {
			ErrorCode string `json:"error_code"`
			ErrorMsg  string `json:"error_msg"`
			RequestID string `json:"request_id"`
		}
		if resp.status != 404 || json.Unmarshal(resp.raw, &env) != nil || env.ErrorCode != "APIGW.0101" || env.RequestID == "" {
			t.Errorf("%s %s: %d %q", c.method, c.url, resp.status, resp.raw)
		}
		if loc := resp.header.Get("Location"); loc != "" {
			t.Errorf("%s %s: redirects to %s", c.method, c.url, loc)
		}
		if ct := resp.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.url, ct)
		}
	}
	// Neither upload stored anything.
	for _, key := range []string{"a/b", "b", "a//b"} {
		if rc, _, err := srv.Objects().Get(t.Context(), "apps", key); err == nil {
			rc.Close()
			t.Errorf("object %q was stored through a non-canonical path", key)
		}
	}
}
