package controlplane_test

import (
	"strings"
	"testing"
)

// TestObjectKeyClashes: over HTTP, a key that clashes with another
// object's folder is 409 CPS.9203, deleting a folder 404 CPS.9202, a
// segment longer than a file name 400 CPS.9011, and keys that start with
// ".tmp-" are stored and listed like any other.
func TestObjectKeyClashes(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	objects := srv.URL() + "/opencph/v1/" + pid + "/buckets/clash-test/objects/"
	for _, c := range []struct {
		method, key string
		status      int
		code        string
	}{
		{"PUT", "a", 200, ""},
		{"PUT", "a/b", 409, "CPS.9203"},
		{"PUT", "d/e", 200, ""},
		{"PUT", "d", 409, "CPS.9203"},
		{"DELETE", "d", 404, "CPS.9202"},
		{"GET", "d", 404, "CPS.9202"},
		{"GET", "a/b", 404, "CPS.9202"},
		{"DELETE", "a/b", 404, "CPS.9202"},
		{"PUT", "long/" + strings.Repeat("s", 300), 400, "CPS.9011"},
		{"PUT", ".tmp-upload", 200, ""},
		{"DELETE", "d/e", 200, ""},
		{"PUT", "d", 200, ""},
	} {
		var body any
		if c.method == "PUT" {
			body = "body of " + c.key
		}
		r := do(t, c.method, objects+c.key, token, body)
		if r.status != c.status || c.code != "" && r.body["error_code"] != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.key, r.status, r.raw, c.status, c.code)
		}
	}
	rc, _, err := srv.Objects().Get(t.Context(), "clash-test", ".tmp-upload")
	if err != nil {
		t.Errorf("get .tmp-upload: %v", err)
	} else {
		rc.Close()
	}
	list := do(t, "GET", strings.TrimSuffix(objects, "/"), token, nil)
	var keys []string
	for _, o := range list.body["objects"].([]any) {
		keys = append(keys, o.(map[string]any)["key"].(string))
	}
	if got, want := strings.Join(keys, ","), ".tmp-upload,a,d"; got != want {
		t.Errorf("listed keys %q, want %q", got, want)
	}
}
