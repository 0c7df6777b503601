package compat_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	cphsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"

	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/openapitest"
)

// Seeded catalogue of test control planes (see cph.PhoneModels,
// cph.ServerModels and the default images).
const (
	image11  = "a1b2c3d4e5f60718293a4b5c6d7e8f11" // public, the phones' default
	image12  = "a1b2c3d4e5f60718293a4b5c6d7e8f12" // public
	unknown  = "0123456789abcdef0123456789abcdef" // no such phone, server, job or image
	vpcID    = "2a7e3b4c-1d2e-4f5a-8b9c-0d1e2f3a4b5c"
	subnetID = "3b8f4c5d-2e3f-4a6b-9c0d-1e2f3a4b5c6d"
)

// checkingProxy returns the URL of a reverse proxy to target that checks
// every exchange against the API's OpenAPI document (package openapitest)
// and fails t on a mismatch. The Host header is kept, since the SDK signs
// it.
func checkingProxy(t *testing.T, target string) string {
	t.Helper()
	v, err := openapitest.Shared()
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		Transport: v.Transport(t, nil),
	}
	ps := httptest.NewServer(proxy)
	t.Cleanup(ps.Close)
	return ps.URL
}

// ok fails the test at once if err is not nil, showing the SDK's error
// in full (a ServiceResponseError with status 200 is a response the SDK
// could not parse).
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if se, isSE := err.(*sdkerr.ServiceResponseError); isSE {
		t.Fatalf("%s: %d %s %q (request %s)", what, se.StatusCode, se.ErrorCode, se.ErrorMessage, se.RequestId)
	}
	t.Fatalf("%s: %T %v", what, err, err)
}

// str returns *p, or "<nil>".
func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// num returns *p, or -1000.
func num(p *int32) int32 {
	if p == nil {
		return -1000
	}
	return *p
}

// jobString describes a job for failure messages.
func jobString(j model.Job) string {
	return "job " + str(j.JobId) + " phone " + str(j.PhoneId) + " server " + str(j.ServerId) +
		" status " + itoa(num(j.Status)) + " " + str(j.ErrorCode) + " " + str(j.ErrorMsg) + " output " + strings.TrimSpace(str(j.ExecuteMsg))
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// waitJobs polls ListJobs until every job of the request is final (status
// 2 or -1) and returns them.
func waitJobs(t *testing.T, c *cphsdk.CphClient, requestID *string) []model.Job {
	t.Helper()
	if requestID == nil || *requestID == "" {
		t.Fatal("no request_id to wait for")
	}
	var jobs []model.Job
	poll.Within(t, 30*time.Second, "the jobs of request "+*requestID, func() bool {
		r, err := c.ListJobs(&model.ListJobsRequest{RequestId: requestID})
		ok(t, "ListJobs", err)
		if r.Jobs == nil {
			return false
		}
		jobs = *r.Jobs
		for _, j := range jobs {
			if num(j.Status) == 1 {
				return false
			}
		}
		return true
	})
	return jobs
}

// waitJob polls ShowJob until the job is final and returns it.
func waitJob(t *testing.T, c *cphsdk.CphClient, jobID *string) *model.ShowJobResponse {
	t.Helper()
	if jobID == nil || *jobID == "" {
		t.Fatal("no job_id to wait for")
	}
	var j *model.ShowJobResponse
	poll.Within(t, 30*time.Second, "job "+*jobID, func() bool {
		var err error
		j, err = c.ShowJob(&model.ShowJobRequest{JobId: *jobID})
		ok(t, "ShowJob", err)
		return num(j.Status) != 1
	})
	if str(j.JobId) != *jobID || j.BeginTime == nil || j.EndTime == nil || j.RequestId == nil {
		t.Errorf("ShowJob %s = %+v", *jobID, j)
	}
	return j
}

// succeeded fails the test unless every job succeeded.
func succeeded(t *testing.T, what string, jobs []model.Job) {
	t.Helper()
	if len(jobs) == 0 {
		t.Fatalf("%s: no jobs", what)
	}
	for _, j := range jobs {
		if num(j.Status) != 2 || j.EndTime == nil || j.BeginTime == nil || j.JobId == nil {
			t.Fatalf("%s: %s", what, jobString(j))
		}
	}
}

// failedWith checks that the only job failed with code.
func failedWith(t *testing.T, what string, jobs []model.Job, code string) model.Job {
	t.Helper()
	if len(jobs) != 1 {
		t.Fatalf("%s: %d jobs, want 1", what, len(jobs))
	}
	j := jobs[0]
	if num(j.Status) != -1 || str(j.ErrorCode) != code || j.ErrorMsg == nil || *j.ErrorMsg == "" {
		t.Errorf("%s: %s, want status -1 and %s", what, jobString(j), code)
	}
	return j
}

// phoneJob returns the job id of the only entry of a phone batch answer,
// failing the test if it was refused.
func phoneJob(t *testing.T, what string, jobs *[]model.PhoneJob) string {
	t.Helper()
	if jobs == nil || len(*jobs) != 1 || (*jobs)[0].JobId == nil || (*jobs)[0].ErrorCode != nil {
		t.Fatalf("%s: answer %s, want one accepted job", what, dump(jobs))
	}
	return *(*jobs)[0].JobId
}

// serverJob is phoneJob for server batches.
func serverJob(t *testing.T, what string, jobs *[]model.ServerJob) string {
	t.Helper()
	if jobs == nil || len(*jobs) != 1 || (*jobs)[0].JobId == nil || (*jobs)[0].ErrorCode != nil || (*jobs)[0].ServerId == nil {
		t.Fatalf("%s: answer %s, want one accepted job", what, dump(jobs))
	}
	return *(*jobs)[0].JobId
}

// refusedPhone checks a per-item refusal of a phone batch.
func refusedPhone(t *testing.T, what string, j model.PhoneJob, phoneID, code string) {
	t.Helper()
	if str(j.PhoneId) != phoneID || str(j.ErrorCode) != code || j.ErrorMsg == nil || j.JobId != nil {
		t.Errorf("%s: entry %s, want phone %s refused with %s", what, dump(j), phoneID, code)
	}
}

// refusedServer checks a per-item refusal of a server batch.
func refusedServer(t *testing.T, what string, j model.ServerJob, serverID, code string) {
	t.Helper()
	if str(j.ServerId) != serverID || str(j.ErrorCode) != code || j.ErrorMsg == nil || j.JobId != nil {
		t.Errorf("%s: entry %s, want server %s refused with %s", what, dump(j), serverID, code)
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// phones returns the project's phones (of one server if serverID is not
// empty), ordered by server and name.
func phones(t *testing.T, c *cphsdk.CphClient, serverID string) []model.Phone {
	t.Helper()
	req := &model.ListCloudPhonesRequest{Limit: ptr(int32(200))}
	if serverID != "" {
		req.ServerId = &serverID
	}
	r, err := c.ListCloudPhones(req)
	ok(t, "ListCloudPhones", err)
	list := *r.Phones
	sort.Slice(list, func(i, j int) bool {
		if *list[i].ServerId != *list[j].ServerId {
			return *list[i].ServerId < *list[j].ServerId
		}
		return *list[i].PhoneName < *list[j].PhoneName
	})
	return list
}

// servers returns the project's servers by name.
func servers(t *testing.T, c *cphsdk.CphClient) map[string]model.Server {
	t.Helper()
	r, err := c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	ok(t, "ListCloudPhoneServers", err)
	out := map[string]model.Server{}
	for _, s := range *r.Servers {
		out[*s.ServerName] = s
	}
	return out
}

// phone returns the detail of one phone.
func phone(t *testing.T, c *cphsdk.CphClient, id string) *model.ShowCloudPhoneDetailResponse {
	t.Helper()
	d, err := c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: id})
	ok(t, "ShowCloudPhoneDetail", err)
	return d
}

// server returns the detail of one server.
func server(t *testing.T, c *cphsdk.CphClient, id string) *model.ShowCloudPhoneServerDetailResponse {
	t.Helper()
	d, err := c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: id})
	ok(t, "ShowCloudPhoneServerDetail", err)
	return d
}

// shell runs an ADB shell command on one phone through RunShellCommand and
// returns its final job.
func shell(t *testing.T, c *cphsdk.CphClient, phoneID, content string) model.Job {
	t.Helper()
	r, err := c.RunShellCommand(&model.RunShellCommandRequest{Body: &model.RunShellCommandRequestBody{
		Command: "shell", Content: content, PhoneIds: &[]string{phoneID}}})
	ok(t, "RunShellCommand "+content, err)
	phoneJob(t, "RunShellCommand "+content, r.Jobs)
	jobs := waitJobs(t, c, r.RequestId)
	if len(jobs) != 1 {
		t.Fatalf("shell %q: %d jobs", content, len(jobs))
	}
	return jobs[0]
}

// output runs a shell command that must succeed and returns its output.
func output(t *testing.T, c *cphsdk.CphClient, phoneID, content string) string {
	t.Helper()
	j := shell(t, c, phoneID, content)
	succeeded(t, "shell "+content, []model.Job{j})
	if j.ExecuteMsg == nil {
		return ""
	}
	return *j.ExecuteMsg
}

// openCPH calls an OpenCPH extension endpoint (outside the CPH API, so not
// in the SDK) with the env's token and returns the status and body.
func (e *env) openCPH(t *testing.T, method, path string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+"/opencph/v1/"+e.projectID+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", e.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// putObject stores an object in the OpenCPH object store, for the CPH
// operations that name obs://bucket/key.
func (e *env) putObject(t *testing.T, bucket, key string, data []byte) {
	t.Helper()
	if status, raw := e.openCPH(t, "PUT", "/buckets/"+bucket+"/objects/"+key, bytes.NewReader(data)); status != http.StatusOK {
		t.Fatalf("put obs://%s/%s: %d %s", bucket, key, status, raw)
	}
}

// objects lists the keys and sizes of a bucket's objects under prefix.
func (e *env) objects(t *testing.T, bucket, prefix string) map[string]int64 {
	t.Helper()
	status, raw := e.openCPH(t, "GET", "/buckets/"+bucket+"/objects?prefix="+url.QueryEscape(prefix), nil)
	if status != http.StatusOK {
		t.Fatalf("list obs://%s/%s: %d %s", bucket, prefix, status, raw)
	}
	var list struct {
		Objects []struct {
			Key  string `json:"key"`
			Size int64  `json:"size"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, o := range list.Objects {
		out[o.Key] = o.Size
	}
	return out
}

// createImage captures a phone as a private image (OpenCPH extension: CPH
// has no operation that creates custom images) and returns its id.
func (e *env) createImage(t *testing.T, name, phoneID string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"image_name": name, "phone_id": phoneID})
	status, raw := e.openCPH(t, "POST", "/images", bytes.NewReader(body))
	var r struct {
		ImageID string `json:"image_id"`
	}
	if err := json.Unmarshal(raw, &r); status != http.StatusOK || err != nil || r.ImageID == "" {
		t.Fatalf("create image: %d %s", status, raw)
	}
	return r.ImageID
}

// apk returns an APK-like zip whose plain-text manifest names pkg.
func apk(t *testing.T, pkg string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"AndroidManifest.xml", `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="` + pkg + `" android:versionName="1.0"/>`},
		{"classes.dex", "dex\n035"},
	} {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarball returns a tar archive of the files, by path.
func tarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[n]))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// jsonString decodes a string that holds a JSON document.
func jsonString(s string, v any) error { return json.Unmarshal([]byte(s), v) }
