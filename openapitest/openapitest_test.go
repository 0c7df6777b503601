package openapitest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
		{"fault inside one batch element answered 200", "POST", "/v1/" + project + "/cloud-phone/phones/batch-storage",
			`{"storage_infos":[{"phone_id":"p1","include_files":null,"bucket_name":"b","object_path":"o"}]}`, 200,
			`{"request_id":"` + reqID + `","jobs":[{"phone_id":"p1","error_code":"CPS.9011","error_msg":"Parameter: include_files is invalid."}]}`, ""},
		{"whole batch body refused answered 200", "POST", "/v1/" + project + "/cloud-phone/phones/batch-storage", `{"storage_infos":null}`, 200,
			`{"request_id":"` + reqID + `","jobs":[]}`, "refuses the request"},
		{"object key with slashes", "DELETE", "/opencph/v1/" + project + "/buckets/media/objects/a/b.txt", "", 200,
			`{"request_id":"` + reqID + `"}`, ""},
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

// TestSpecificationExamples checks the JSON examples of Huawei's CPH
// documentation (error bodies and the quick-start operations ListCloudPhones,
// RestartCloudPhone, ListJobs and ShowJob, copied to testdata/spec) against
// the document.
func TestSpecificationExamples(t *testing.T) {
	v1 := "/v1/" + project + "/cloud-phone"
	cases := []struct {
		file, method, path, body string
		status                   int
	}{
		{"error-envelope", "GET", v1 + "/phones", "", 400},
		{"error-paging", "GET", v1 + "/phones?limit=500", "", 400},
		{"ListCloudPhones", "GET", v1 + "/phones?offset=0&limit=2&status=2", "", 200},
		{"RestartCloudPhone", "POST", v1 + "/phones/batch-restart",
			`{"image_id":"6b8d0f2a4c6e4b8a9d1f3a5c7e9b1d3f","phones":[{"phone_id":"8c1e4b7a2f9d4e3a9b6c0d5e7f1a2b3c","property":"{\"sys.prop.writephonenum\":\"13900000001\"}"},{"phone_id":"ffffffffffffffffffffffffffffffff"}]}`, 200},
		{"ListJobs-running", "GET", v1 + "/jobs?request_id=b7e2d4f6a8c04e1b9d3f5a7c9e1b3d5f", "", 200},
		{"ListJobs-finished", "GET", v1 + "/jobs?request_ids=b7e2d4f6a8c04e1b9d3f5a7c9e1b3d5f,c1d3e5f7a9b14c2e8f0a2b4d6e8f0a1c&offset=0&limit=50", "", 200},
		{"ShowJob", "GET", v1 + "/jobs/71b3d5f7a9c14e2b8d6f0a2c4e6b8d1f", "", 200},
		{"ShowJob-adb", "GET", v1 + "/jobs/0d2f4b6a8c1e4a3c5e7f9b1d3a5c7e9f", "", 200},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			answer, err := os.ReadFile(filepath.Join("testdata", "spec", c.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := exchange(t, c.method, c.path, c.body, c.status, string(answer)); err != nil {
				t.Error(err)
			}
		})
	}
}
