package compat_test

import (
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	cphsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"

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

	cred, err := basic.NewCredentialsBuilder().WithAk(srv.AK).WithSk(srv.SK).WithProjectId(srv.ProjectID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := cphsdk.CphClientBuilder().WithRegion(region.NewRegion(srv.Region, srv.Endpoint)).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	c := cphsdk.NewCphClient(hc)

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
