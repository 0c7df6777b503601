package openapitest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opencph/opencph/openapitest"
)

const (
	project = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	reqID   = "e4a1c7b93f2d4a6e8b0c5d7f1a3e9b26"
)

// exchange sends method url body to a server that answers status and
// answer, and returns what the validator says of the exchange.
func exchange(t *testing.T, method, path, body string, status int, answer string) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", reqID)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	defer srv.Close()
	v, err := openapitest.Shared()
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", "token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return v.Check(context.Background(), req, []byte(body), resp, raw)
}

const job = `{"phone_id":"p1","server_id":"s1","job_id":"71b3d5f7a9c14e2b8d6f0a2c4e6b8d1f","begin_time":"2025-03-14T09:10:02Z",
	"end_time":null,"status":1,"error_code":null,"error_msg":null,"execute_msg":null}`

func TestCheck(t *testing.T) {
	jobs := "/v1/" + project + "/cloud-phone/jobs"
	cases := []struct {
		name               string
		method, path, body string
		status             int
		answer             string
		wantErr            string // "" when the exchange agrees with the document
	}{
		{"running job", "GET", jobs + "?request_id=x", "", 200, `{"request_id":"` + reqID + `","jobs":[` + job + `]}`, ""},
		{"job without end_time", "GET", jobs + "?request_id=x", "", 200,
			`{"request_id":"` + reqID + `","jobs":[` + strings.Replace(job, `"end_time":null,`, "", 1) + `]}`, "end_time"},
		{"job status outside the enum", "GET", jobs + "?request_id=x", "", 200,
			`{"request_id":"` + reqID + `","jobs":[` + strings.Replace(job, `"status":1`, `"status":3`, 1) + `]}`, "status"},
		{"job end_time in another format", "GET", jobs + "?request_id=x", "", 200,
			`{"request_id":"` + reqID + `","jobs":[` + strings.Replace(job, `"end_time":null`, `"end_time":"2025-03-14 09:10:02"`, 1) + `]}`, "end_time"},
		{"error envelope", "GET", jobs, "", 400, `{"error_code":"CPS.9003","error_msg":"Parameter: request_id is invalid.","request_id":"` + reqID + `"}`, ""},
		{"error without error_msg", "GET", jobs, "", 400, `{"error_code":"CPS.9003","request_id":"` + reqID + `"}`, "error_msg"},
		{"refused request answered 200", "GET", jobs + "?request_id=x&limit=0", "", 200, `{"request_id":"` + reqID + `","jobs":[]}`, "refuses the request"},
		{"refused request answered 400", "GET", jobs + "?request_id=x&limit=0", "", 400,
			`{"error_code":"CPS.0002","error_msg":"Parameter: offset or limit is invalid.","request_id":"` + reqID + `"}`, ""},
		{"body without a required field answered 200", "POST", "/v1/" + project + "/cloud-phone/phones/batch-stop", `{}`, 200,
			`{"request_id":"` + reqID + `","jobs":[]}`, "refuses the request"},
		{"unknown route answered 200", "GET", "/v1/" + project + "/cloud-phone/nothing", "", 200, `{}`, "not in the document"},
		{"unknown route answered 404", "GET", "/v1/" + project + "/cloud-phone/nothing", "", 404,
			`{"error_code":"APIGW.0101","error_msg":"The API does not exist.","request_id":"` + reqID + `"}`, ""},
		{"undocumented success status", "DELETE", "/v1/" + project + "/cloud-phone/images/abc", "", 201, `{"request_id":"` + reqID + `"}`, "201"},
		{"literal segment wins over a parameter", "GET", "/v1/" + project + "/cloud-phone/servers/share-files?server_ids=a&path=/data", "", 200,
			`{"request_id":"` + reqID + `","jobs":[{"server_id":"a","job_id":"71b3d5f7a9c14e2b8d6f0a2c4e6b8d1f"}]}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := exchange(t, c.method, c.path, c.body, c.status, c.answer)
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("unexpected mismatch: %v", err)
			case c.wantErr != "" && err == nil:
				t.Errorf("no mismatch reported, want one about %q", c.wantErr)
			case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
				t.Errorf("mismatch %v, want one about %q", err, c.wantErr)
			}
		})
	}
}
