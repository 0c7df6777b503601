package compat_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	cphsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/cphtest"
	"github.com/opencph/opencph/internal/poll"
)

// TestStandInExample is how a project that uses the official Huawei
// Cloud Go SDK tests its code against OpenCPH: cphtest.New starts a
// stand-in in the test, the SDK is pointed at it by region endpoint with
// its access key, and the code under test (here: restart every phone and
// wait for the jobs) runs unchanged.
func TestStandInExample(t *testing.T) {
	t.Parallel()
	srv := cphtest.New(t, cphtest.Options{Servers: 1, PhonesPerServer: 3})

	c := standInClient(t, srv)

	list, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{Limit: ptr(int32(100))})
	ok(t, "ListCloudPhones", err)
	if list.Phones == nil || len(*list.Phones) != 3 {
		t.Fatalf("ListCloudPhones: %s, want 3 phones", dump(list.Phones))
	}
	var phones []model.PhoneProperty
	for _, p := range *list.Phones {
		phones = append(phones, model.PhoneProperty{PhoneId: *p.PhoneId})
	}
	restart, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{Phones: phones}})
	ok(t, "RestartCloudPhone", err)
	if restart.Jobs == nil || len(*restart.Jobs) != 3 || restart.RequestId == nil {
		t.Fatalf("RestartCloudPhone: %s", dump(restart))
	}

	// The jobs of the request, by ListJobs, until none is running (1).
	var jobs []model.Job
	poll.Within(t, 30*time.Second, "the restart jobs to end", func() bool {
		r, err := c.ListJobs(&model.ListJobsRequest{RequestId: restart.RequestId})
		ok(t, "ListJobs", err)
		jobs = *r.Jobs
		for _, j := range jobs {
			if num(j.Status) == 1 {
				return false
			}
		}
		return len(jobs) == 3
	})
	for _, j := range jobs {
		shown, err := c.ShowJob(&model.ShowJobRequest{JobId: str(j.JobId)})
		ok(t, "ShowJob", err)
		if num(shown.Status) != 2 || shown.EndTime == nil {
			t.Errorf("job of phone %s: %s, want status 2", str(j.PhoneId), dump(shown))
		}
	}
}

// restartUntilRunning is code under test, as a user of the SDK writes it:
// it restarts the phones, and restarts again those whose job failed, up
// to tries times. It returns the failed jobs' error codes it met.
func restartUntilRunning(t *testing.T, c *cphsdk.CphClient, ids []string, tries int) (codes []string, err error) {
	for range tries {
		var phones []model.PhoneProperty
		for _, id := range ids {
			phones = append(phones, model.PhoneProperty{PhoneId: id})
		}
		restart, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{Phones: phones}})
		if err != nil {
			return codes, err
		}
		var failed []string
		poll.Within(t, 30*time.Second, "the restart jobs to end", func() bool {
			r, err := c.ListJobs(&model.ListJobsRequest{RequestId: restart.RequestId})
			if err != nil {
				return false
			}
			failed = nil
			for _, j := range *r.Jobs {
				switch num(j.Status) {
				case 1:
					return false
				case -1:
					failed = append(failed, str(j.PhoneId))
					codes = append(codes, str(j.ErrorCode))
				}
			}
			return len(*r.Jobs) == len(ids)
		})
		if len(failed) == 0 {
			return codes, nil
		}
		ids = failed
	}
	return codes, fmt.Errorf("phones %v still failing after %d tries", ids, tries)
}

// TestStandInInjectedFailure is how a project tests its handling of a
// failure it cannot provoke on Huawei Cloud: cphtest.AddFault makes one
// restart job fail with CPS.9004, and the code under test must retry
// that phone.
func TestStandInInjectedFailure(t *testing.T) {
	t.Parallel()
	srv := cphtest.New(t, cphtest.Options{Servers: 1, PhonesPerServer: 3})
	c := standInClient(t, srv)
	list, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{})
	ok(t, "ListCloudPhones", err)
	var ids []string
	for _, p := range *list.Phones {
		ids = append(ids, *p.PhoneId)
	}

	srv.AddFault(t, cph.CreateFaultParams{Operation: "job:restart", PhoneIDs: ids[1:2], Effect: "fail",
		ErrorCode: cph.CodeJobFailed, ErrorMsg: "the phone's disk is full", Count: cphtest.Times(1)})
	codes, err := restartUntilRunning(t, c, ids, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 1 || codes[0] != cph.CodeJobFailed {
		t.Errorf("the code under test met failures %v, want one %s (the injected one)", codes, cph.CodeJobFailed)
	}

	// Without the rule, the same code meets no failure.
	codes, err = restartUntilRunning(t, c, ids, 1)
	if err != nil || len(codes) != 0 {
		t.Errorf("a restart without a rule: %v, failures %v", err, codes)
	}
}

// standInClient is the official SDK's CPH client pointed at srv, as a
// project's test configures it: the region's endpoint and the access key.
func standInClient(t *testing.T, srv *cphtest.Server) *cphsdk.CphClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(srv.AK).WithSk(srv.SK).WithProjectId(srv.ProjectID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := cphsdk.CphClientBuilder().WithRegion(region.NewRegion(srv.Region, srv.Endpoint)).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return cphsdk.NewCphClient(hc)
}
