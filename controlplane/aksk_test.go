package controlplane_test

import (
	"bytes"
	"github.com/opencph/opencph/controlplane/cptest"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/aksk"
)

// signed sends a request signed with an access key, as the official SDK does.
func signed(t *testing.T, method, url, ak, sk, projectID string, body string) *response {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body + "\n") // the SDK's JSON encoder ends bodies with a newline
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	if projectID != "" {
		req.Header.Set("X-Project-Id", projectID)
	}
	aksk.Sign(req, b, ak, sk, time.Now())
	return send(t, req)
}

func TestAccessKeysAndSignedRequests(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	_, tokResp := login(t, srv, testPassword)
	userID := tokResp.body["token"].(map[string]any)["user"].(map[string]any)["id"].(string)
	creds := srv.URL() + "/v3.0/OS-CREDENTIAL/credentials"

	created := do(t, "POST", creds, token, map[string]any{"credential": map[string]any{"user_id": userID, "description": "ci"}})
	if created.status != 201 {
		t.Fatalf("create key: %d %s", created.status, created.raw)
	}
	cred := created.body["credential"].(map[string]any)
	ak, sk := cred["access"].(string), cred["secret"].(string)
	if len(ak) != 20 || len(sk) != 40 || cred["status"] != "active" || cred["user_id"] != userID {
		t.Fatalf("credential = %v", cred)
	}
	// The secret is never shown again, and is not stored in the clear.
	for _, r := range []*response{do(t, "GET", creds, token, nil), do(t, "GET", creds+"/"+ak, token, nil)} {
		if r.status != 200 || strings.Contains(string(r.raw), sk) || !strings.Contains(string(r.raw), ak) {
			t.Errorf("list/show: %d %s", r.status, r.raw)
		}
	}

	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	list := signed(t, "GET", api+"/phones?offset=0&limit=100&phone_name=sim%20", ak, sk, pid, "")
	if list.status != 200 {
		t.Fatalf("signed list: %d %s", list.status, list.raw)
	}
	if list.body["count"] != float64(0) { // no phone name contains "sim " with a space
		t.Errorf("count = %v", list.body["count"])
	}
	list = signed(t, "GET", api+"/phones", ak, sk, pid, "")
	id := list.body["phones"].([]any)[0].(map[string]any)["phone_id"].(string)
	restart := signed(t, "POST", api+"/phones/batch-restart", ak, sk, pid, `{"phones":[{"phone_id":"`+id+`"}]}`)
	if restart.status != 200 || restart.body["jobs"].([]any)[0].(map[string]any)["job_id"] == nil {
		t.Fatalf("signed restart: %d %s", restart.status, restart.raw)
	}
	if r := signed(t, "GET", srv.URL()+"/v3/projects?name=cn-north-4", ak, sk, "", ""); r.status != 200 || len(r.body["projects"].([]any)) != 1 {
		t.Errorf("signed project lookup: %d %s", r.status, r.raw)
	}

	cases := []struct {
		name           string
		url, ak, sk    string
		project        string
		status         int
		code, contains string
	}{
		{"wrong secret", api + "/phones", ak, strings.Repeat("x", 40), pid, 401, "APIGW.0301", "verify aksk signature fail"},
		{"unknown key", api + "/phones", "NOSUCHKEY00000000000", sk, pid, 401, "APIGW.0301", "not exist"},
		{"other project", srv.URL() + "/v1/0123456789abcdef0123456789abcdef/cloud-phone/phones", ak, sk, "0123456789abcdef0123456789abcdef", 403, "APIGW.0302", ""},
		{"X-Project-Id differs from the path", api + "/phones", ak, sk, "0123456789abcdef0123456789abcdef", 403, "APIGW.0302", ""},
	}
	for _, c := range cases {
		r := signed(t, "GET", c.url, c.ak, c.sk, c.project, "")
		if r.status != c.status || r.body["error_code"] != c.code || !strings.Contains(string(r.raw), c.contains) || r.header.Get("X-Request-Id") == "" {
			t.Errorf("%s: %d %s", c.name, r.status, r.raw)
		}
	}
	// A replayed signature from 20 minutes ago is refused.
	req, _ := http.NewRequest("GET", api+"/phones", nil)
	req.Header.Set("X-Sdk-Date", time.Now().Add(-20*time.Minute).UTC().Format(aksk.DateLayout))
	aksk.Sign(req, nil, ak, sk, time.Now())
	resp, err := cptest.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), "signature expired") {
		t.Errorf("old signature: %d %s", resp.StatusCode, b)
	}

	// An inactive key stops working at once; reactivated, it works again.
	if r := do(t, "PUT", creds+"/"+ak, token, map[string]any{"credential": map[string]any{"status": "inactive"}}); r.status != 200 {
		t.Fatalf("deactivate: %d %s", r.status, r.raw)
	}
	if r := signed(t, "GET", api+"/phones", ak, sk, pid, ""); r.status != 401 {
		t.Errorf("inactive key: %d", r.status)
	}
	do(t, "PUT", creds+"/"+ak, token, map[string]any{"credential": map[string]any{"status": "active"}})
	if r := signed(t, "GET", api+"/phones", ak, sk, pid, ""); r.status != 200 {
		t.Errorf("reactivated key: %d", r.status)
	}
	if r := do(t, "GET", creds+"/"+ak, token, nil); r.body["credential"].(map[string]any)["last_use_time"] == "" {
		t.Errorf("last_use_time not recorded: %s", r.raw)
	}
	// Two keys per user at most.
	do(t, "POST", creds, token, map[string]any{"credential": map[string]any{"user_id": userID}})
	third := do(t, "POST", creds, token, map[string]any{"credential": map[string]any{"user_id": userID}})
	if code, msg := keystone(t, third); third.status != 400 || code != 400 || msg != "akSkNumExceed" {
		t.Errorf("third key: %d %s", third.status, third.raw)
	}
	if r := do(t, "DELETE", creds+"/"+ak, token, nil); r.status != 204 {
		t.Errorf("delete: %d", r.status)
	}
	if r := signed(t, "GET", api+"/phones", ak, sk, pid, ""); r.status != 401 {
		t.Errorf("deleted key: %d", r.status)
	}
	if r := do(t, "POST", creds, "", map[string]any{"credential": map[string]any{"user_id": userID}}); r.status != 401 {
		t.Errorf("create without auth: %d", r.status)
	}
}
