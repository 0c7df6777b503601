package cphtest_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/aksk"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/cphtest"
	"github.com/opencph/opencph/internal/poll"
)

// TestStandIn restarts every phone of a default stand-in and checks that
// the jobs end at once, and that the access key and the token it hands
// out are accepted by the CPH API.
func TestStandIn(t *testing.T) {
	t.Parallel()
	srv := cphtest.New(t, cphtest.Options{})
	ctx := context.Background()
	if !strings.HasPrefix(srv.Endpoint, "http://127.0.0.1:") || len(srv.ProjectID) != 32 || srv.Region != cphtest.DefaultProject ||
		srv.Domain != cphtest.DefaultDomain || srv.AK == "" || srv.SK == "" || srv.Token == "" || srv.ControlPlane == nil {
		t.Fatalf("stand-in: %+v", srv)
	}
	list, err := srv.Client().ListAllPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Phones) != cphtest.DefaultServers*cphtest.DefaultPhonesPerServer {
		t.Fatalf("%d phones, want %d", len(list.Phones), cphtest.DefaultServers*cphtest.DefaultPhonesPerServer)
	}
	var refs []cph.PhoneRef
	for _, p := range list.Phones {
		if p.Status != cph.PhoneRunning {
			t.Errorf("phone %s has status %d, want running", p.Name, p.Status)
		}
		refs = append(refs, cph.PhoneRef{PhoneID: p.ID})
	}
	res, err := srv.Client().RestartPhones(ctx, client.RestartPhonesRequest{Phones: refs})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := srv.WaitJobs(ctx, res.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != len(refs) {
		t.Fatalf("%d jobs, want %d", len(jobs), len(refs))
	}
	for _, j := range jobs {
		if j.Status != cph.JobSucceeded {
			t.Errorf("job of phone %s: %+v, want status 2", j.PhoneID, j)
		}
	}

	// The access key signs a request as the SDKs do; the token is sent as
	// X-Auth-Token.
	path := "/v1/" + srv.ProjectID + "/cloud-phone/phones"
	signed, _ := http.NewRequest(http.MethodGet, srv.Endpoint+path, nil)
	signed.Header.Set("Content-Type", "application/json")
	aksk.Sign(signed, nil, srv.AK, srv.SK, time.Now())
	withToken, _ := http.NewRequest(http.MethodGet, srv.Endpoint+path, nil)
	withToken.Header.Set("X-Auth-Token", srv.Token)
	for name, req := range map[string]*http.Request{"AK/SK": signed, "token": withToken} {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Count int `json:"count"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || body.Count != len(refs) {
			t.Errorf("list phones with the %s: %d, count %d, %v", name, resp.StatusCode, body.Count, err)
		}
	}
}

// TestOptions checks that the fleet, the account and the boot time follow
// the options: with an hour's boot time a restart does not end, and
// WaitJobs gives up when its context ends.
func TestOptions(t *testing.T) {
	t.Parallel()
	srv := cphtest.New(t, cphtest.Options{Servers: 2, PhonesPerServer: 2, BootTime: time.Hour,
		Domain: "acme", Password: "acme-Passw0rd", Project: "cn-south-1"})
	ctx := context.Background()
	if srv.Domain != "acme" || srv.User != "acme" || srv.Password != "acme-Passw0rd" || srv.Project != "cn-south-1" || srv.Region != "cn-south-1" {
		t.Errorf("account: %+v", srv)
	}
	list, err := srv.Client().ListAllPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	servers := map[string]bool{}
	for _, p := range list.Phones {
		servers[p.ServerID] = true
	}
	if len(list.Phones) != 4 || len(servers) != 2 {
		t.Fatalf("%d phones on %d servers, want 4 on 2", len(list.Phones), len(servers))
	}
	res, err := srv.Client().RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: list.Phones[0].ID}}})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	jobs, err := srv.WaitJobs(short, res.RequestID)
	if err == nil || len(jobs) != 1 || jobs[0].Status != cph.JobRunning {
		t.Errorf("WaitJobs of a phone booting for an hour: %+v, %v; want the running job and an error", jobs, err)
	}
}

// TestNoFlagsAdded checks that importing cphtest registers no
// command-line flag: every flag of this test binary is one of package
// testing's.
func TestNoFlagsAdded(t *testing.T) {
	flag.VisitAll(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Name, "test.") {
			t.Errorf("flag -%s is registered by a package cphtest imports", f.Name)
		}
	})
}

// TestExample runs the test the package example shows.
func TestExample(t *testing.T) {
	t.Parallel()
	restartAll(t)
}

// TestAddFault checks that a rule added with AddFault fails the next
// restart of a phone, and only that one.
func TestAddFault(t *testing.T) {
	srv := cphtest.New(t, cphtest.Options{})
	ctx := context.Background()
	c := srv.Client()
	phones, err := c.ListPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv.AddFault(t, cph.CreateFaultParams{Operation: "job:restart", Effect: "fail", ErrorCode: cph.CodeJobFailed,
		ErrorMsg: "disk full", Count: cphtest.Times(1)})
	for i, want := range []cph.JobStatus{cph.JobFailed, cph.JobSucceeded} {
		res, err := c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: phones.Phones[0].ID}}})
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := srv.WaitJobs(ctx, res.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 1 || jobs[0].Status != want {
			t.Errorf("restart %d: jobs %+v, want one %v", i+1, jobs, want)
		}
	}
}

// TestBootTimeAndReset checks that SetBootTime keeps one phone booting
// while the others are running again, and that Reset brings back the
// initial fleet and removes the test's fault rules.
func TestBootTimeAndReset(t *testing.T) {
	srv := cphtest.New(t, cphtest.Options{})
	ctx := context.Background()
	c := srv.Client()
	list, err := c.ListPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	slow := list.Phones[0].ID
	// Long enough to be seen restarting once the others are running
	// again; a boot in progress keeps the time it started with.
	srv.SetBootTime(t, slow, 10*time.Second)
	var refs []cph.PhoneRef
	for _, p := range list.Phones {
		refs = append(refs, cph.PhoneRef{PhoneID: p.ID})
	}
	res, err := c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: refs})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the fast phones' restarts to succeed", func() bool {
		jobs, err := c.ListJobs(ctx, client.ListJobsOptions{RequestID: res.RequestID})
		if err != nil {
			return false
		}
		done := 0
		for _, j := range jobs.Jobs {
			if j.Status == cph.JobSucceeded {
				done++
			}
		}
		return done == len(refs)-1
	})
	if d, err := c.ShowPhone(ctx, slow); err != nil || d.Status != cph.PhoneRestarting {
		t.Fatalf("the phone with a 10 s boot: %v, status %v, want restarting", err, d.Status)
	}

	srv.AddFault(t, cph.CreateFaultParams{Operation: "ListCloudPhones", Effect: "http_error", Status: 503, ErrorCode: cph.CodeInternal})
	srv.SetBootTime(t, slow, 0)
	poll.Within(t, time.Minute, "the slow phone to settle", func() bool {
		d, err := c.ShowPhone(ctx, slow)
		return err == nil && !d.Status.Transient()
	})
	srv.Reset(t)
	after, err := c.ListPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatalf("ListCloudPhones after the reset (its fault rule must be gone): %v", err)
	}
	for _, p := range after.Phones {
		if p.Status != cph.PhoneRunning {
			t.Errorf("phone %s after the reset: status %v", p.Name, p.Status)
		}
	}
}
