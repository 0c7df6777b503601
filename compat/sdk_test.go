package compat_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	cphsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/cphtest"
	"github.com/opencph/opencph/internal/poll"
)

// env is a running cphd with an access key of one user (the bootstrap
// user unless made by account).
type env struct {
	srv *controlplane.Server
	// url is the endpoint the SDK talks to: a proxy in front of cphd that
	// checks every exchange against the API's OpenAPI document.
	url       string
	ak, sk    string
	projectID string
	domainID  string
	// token is a project-scoped IAM token of the same user, for the
	// OpenCPH extension endpoints (buckets, image creation).
	token string
}

// setup starts cphd and creates an access key over the IAM API.
func setup(t *testing.T) *env { return setupWith(t, nil) }

// setupWith starts cphd (package cphtest: 2 simulated servers of 3 phones,
// 50 ms boots, the account of package cptest and an access key of its
// user) with its configuration adjusted by mutate.
func setupWith(t *testing.T, mutate func(*controlplane.Config)) *env {
	t.Helper()
	s := cphtest.New(t, cphtest.Options{Servers: 2, PhonesPerServer: 3, BootTime: 50 * time.Millisecond,
		Domain: cptest.Domain, User: cptest.User, Password: cptest.Password, Project: cptest.Project, Configure: mutate})
	tok, err := s.Client().Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: s.ControlPlane, url: checkingProxy(t, s.Endpoint), ak: s.AK, sk: s.SK,
		projectID: s.ProjectID, domainID: tok.DomainID, token: s.Token}
}

// login logs a user in over the IAM API, creates an access key for it and
// returns its env.
func login(t *testing.T, srv *controlplane.Server, domain, user, password, project string) *env {
	t.Helper()
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"` + user + `","password":"` + password +
		`","domain":{"name":"` + domain + `"}}}},"scope":{"project":{"name":"` + project + `"}}}}`
	resp, err := http.Post(srv.URL()+"/v3/auth/tokens", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Token struct {
			User struct {
				ID     string
				Domain struct{ ID string } `json:"domain"`
			} `json:"user"`
			Project struct{ ID string } `json:"project"`
		} `json:"token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	token := resp.Header.Get("X-Subject-Token")
	if resp.StatusCode != http.StatusCreated || token == "" {
		t.Fatalf("login %s/%s: %d", domain, user, resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", srv.URL()+"/v3.0/OS-CREDENTIAL/credentials",
		bytes.NewBufferString(`{"credential":{"user_id":"`+tok.Token.User.ID+`"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cred struct {
		Credential struct{ Access, Secret string } `json:"credential"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&cred); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create access key: %d %v", resp.StatusCode, err)
	}
	return &env{srv: srv, url: checkingProxy(t, srv.URL()), ak: cred.Credential.Access, sk: cred.Credential.Secret,
		projectID: tok.Token.Project.ID, domainID: tok.Token.User.Domain.ID, token: token}
}

// regionClient is the SDK configured by region with no project id: it
// looks the project id up through OpenCPH's IAM API.
func (e *env) regionClient(t *testing.T) *cphsdk.CphClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(e.ak).WithSk(e.sk).WithIamEndpointOverride(e.url).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := cphsdk.CphClientBuilder().WithRegion(region.NewRegion(cptest.Project, e.url)).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return cphsdk.NewCphClient(hc)
}

// endpointClient is the SDK configured with an endpoint and a project id.
func (e *env) endpointClient(t *testing.T, sk string) *cphsdk.CphClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(e.ak).WithSk(sk).WithProjectId(e.projectID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := cphsdk.CphClientBuilder().WithEndpoints([]string{e.url}).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return cphsdk.NewCphClient(hc)
}

// wantError checks that err is the SDK's ServiceResponseError with the
// given status and code, and a request id.
func wantError(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	se, ok := err.(*sdkerr.ServiceResponseError)
	if !ok {
		t.Errorf("%s: error %T %v, want *sdkerr.ServiceResponseError", what, err, err)
		return
	}
	if se.StatusCode != status || se.ErrorCode != code || se.RequestId == "" || se.ErrorMessage == "" {
		t.Errorf("%s: %d %s %q (request %q), want %d %s", what, se.StatusCode, se.ErrorCode, se.ErrorMessage, se.RequestId, status, code)
	}
}

func ptr[T any](v T) *T { return &v }

// TestQuickStart drives the CPH quick start through the SDK: list phones,
// restart one, poll its job until it is final.
func TestQuickStart(t *testing.T) {
	e := setup(t)
	c := e.regionClient(t)
	list, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{Offset: ptr(int32(0)), Limit: ptr(int32(100))})
	if err != nil {
		t.Fatal(err)
	}
	if *list.Count != 6 || len(*list.Phones) != 6 || list.RequestId == nil {
		t.Fatalf("ListCloudPhones: count %v, %d phones", *list.Count, len(*list.Phones))
	}
	phone := (*list.Phones)[0]
	restart, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		Phones: []model.PhoneProperty{{PhoneId: *phone.PhoneId}}}})
	if err != nil {
		t.Fatal(err)
	}
	jobs := *restart.Jobs
	if len(jobs) != 1 || jobs[0].JobId == nil || *jobs[0].PhoneId != *phone.PhoneId {
		t.Fatalf("RestartCloudPhone jobs = %+v", jobs)
	}
	poll.Within(t, 20*time.Second, "the restart job to end", func() bool {
		lj, err := c.ListJobs(&model.ListJobsRequest{RequestId: restart.RequestId})
		if err != nil {
			t.Fatal(err)
		}
		if len(*lj.Jobs) != 1 {
			t.Fatalf("ListJobs: %d jobs", len(*lj.Jobs))
		}
		st := *(*lj.Jobs)[0].Status
		if st != 1 && st != 2 {
			t.Fatalf("job ended with status %d", st)
		}
		return st != 1
	})
	job, err := c.ShowJob(&model.ShowJobRequest{JobId: *jobs[0].JobId})
	if err != nil || *job.Status != 2 || job.EndTime == nil || *job.PhoneId != *phone.PhoneId {
		t.Fatalf("ShowJob = %+v, %v", job, err)
	}
	detail, err := c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: *phone.PhoneId})
	if err != nil || *detail.Status != 2 || *detail.PhoneName != *phone.PhoneName || len(*detail.AccessInfos) == 0 {
		t.Fatalf("ShowCloudPhoneDetail = %+v, %v", detail, err)
	}
}

// TestPhoneLifecycle stops, starts (restart) and resets a phone through the SDK.
func TestPhoneLifecycle(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	list, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{Limit: ptr(int32(1))})
	if err != nil {
		t.Fatal(err)
	}
	id := *(*list.Phones)[0].PhoneId
	waitStatus := func(want int32) {
		t.Helper()
		var status int32
		if !poll.Wait(t, 20*time.Second, func() bool {
			d, err := c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: id})
			if err != nil {
				t.Fatal(err)
			}
			status = *d.Status
			return status == want
		}) {
			t.Fatalf("phone status %d, want %d", status, want)
		}
	}
	stop, err := c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: []string{id}}})
	if err != nil || (*stop.Jobs)[0].JobId == nil {
		t.Fatalf("StopCloudPhone = %+v, %v", stop, err)
	}
	waitStatus(8)
	if _, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		Phones: []model.PhoneProperty{{PhoneId: id}}}}); err != nil {
		t.Fatal(err)
	}
	waitStatus(2)
	reset, err := c.ResetCloudPhone(&model.ResetCloudPhoneRequest{Body: &model.ResetCloudPhoneRequestBody{
		Phones: []model.PhoneProperty{{PhoneId: id}}}})
	if err != nil || (*reset.Jobs)[0].JobId == nil {
		t.Fatalf("ResetCloudPhone = %+v, %v", reset, err)
	}
	waitStatus(2)

	servers, err := c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	if err != nil || *servers.Count != 2 {
		t.Fatalf("ListCloudPhoneServers = %+v, %v", servers, err)
	}
	sid := *(*servers.Servers)[0].ServerId
	sd, err := c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: sid})
	if err != nil || *sd.ServerId != sid {
		t.Fatalf("ShowCloudPhoneServerDetail = %+v, %v", sd, err)
	}
}

// TestErrors checks that the SDK surfaces each documented error with its
// status, code and request id.
func TestErrors(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	_, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{Limit: ptr(int32(0))})
	wantError(t, "limit 0", err, 400, "CPS.0002")
	_, err = c.ListCloudPhones(&model.ListCloudPhonesRequest{Status: ptr(int32(5))})
	wantError(t, "status 5", err, 400, "CPS.0010")
	_, err = c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: "0123456789abcdef0123456789abcdef"})
	wantError(t, "unknown phone", err, 404, "CPS.0005")
	_, err = c.ShowJob(&model.ShowJobRequest{JobId: "0123456789abcdef0123456789abcdef"})
	wantError(t, "unknown job", err, 404, "CPS.9002")
	_, err = c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{Phones: []model.PhoneProperty{}}})
	wantError(t, "empty phones", err, 400, "CPS.0009")
	_, err = c.ListJobs(&model.ListJobsRequest{})
	wantError(t, "no request id", err, 400, "CPS.9003")

	// Per-item refusals come back inside a 200.
	r, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		Phones: []model.PhoneProperty{{PhoneId: "ffffffffffffffffffffffffffffffff"}}}})
	if err != nil || (*r.Jobs)[0].ErrorCode == nil || *(*r.Jobs)[0].ErrorCode != "CPS.0005" {
		t.Errorf("unknown phone in a batch: %+v, %v", r, err)
	}

	bad := e.endpointClient(t, "wrong-secret-key-0000000000000000000000")
	_, err = bad.ListCloudPhones(&model.ListCloudPhonesRequest{})
	wantError(t, "wrong secret key", err, 401, "APIGW.0301")
}
