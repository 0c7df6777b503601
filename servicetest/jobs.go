package servicetest

import (
	"testing"

	cph "github.com/opencph/opencph"
)

func testJobs(t *testing.T, env *Env) {
	a := env.Admin
	ph := runningPhone(t, a)
	res, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: cph.OpRestartPhone, Phones: []cph.PhoneRef{{PhoneID: ph.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.RequestID == "" || len(res.Jobs) != 1 || res.Jobs[0].PhoneID != ph.ID || res.Jobs[0].JobID == "" || res.Jobs[0].ErrorCode != "" {
		t.Fatalf("restart: %+v", res)
	}
	jobID := res.Jobs[0].JobID
	filter := cph.JobFilter{RequestIDs: []string{res.RequestID}, Limit: cph.MaxJobPage}

	t.Run("restart jobs become final", func(t *testing.T) {
		var jobs []*cph.Job
		untilTrue(t, "the restart job to end", func() (bool, error) {
			var err error
			jobs, err = a.S.ListJobs(a.Ctx, filter)
			return err == nil && len(jobs) == 1 && jobs[0].Status.Final(), err
		})
		j := jobs[0]
		if j.ID != jobID || j.PhoneID != ph.ID || j.Status != cph.JobSucceeded {
			t.Errorf("job %+v", j)
		}
		shown, err := a.S.ShowJob(a.Ctx, jobID)
		if err != nil {
			t.Fatal(err)
		}
		if shown.ID != jobID || shown.PhoneID != ph.ID || shown.Status != j.Status {
			t.Errorf("shown job %+v, listed %+v", shown, j)
		}
		untilTrue(t, "the phone to run again", func() (bool, error) {
			d, err := a.S.ShowPhone(a.Ctx, ph.ID)
			return err == nil && d.Status == cph.PhoneRunning, err
		})
	})
	t.Run("read-only users read them", func(t *testing.T) {
		ro := env.ReadOnly
		if jobs, err := ro.S.ListJobs(ro.Ctx, filter); err != nil || len(jobs) != 1 || jobs[0].ID != jobID {
			t.Errorf("list: %v, %+v", err, jobs)
		}
		if j, err := ro.S.ShowJob(ro.Ctx, jobID); err != nil || j.ID != jobID {
			t.Errorf("show: %v, %+v", err, j)
		}
	})
	t.Run("other accounts see none of them", func(t *testing.T) {
		o := env.Other
		_, err := o.S.ShowJob(o.Ctx, jobID)
		wantCode(t, "another account's job", err, cph.CodeJobNotFound)
		if jobs, err := o.S.ListJobs(o.Ctx, filter); err != nil || len(jobs) != 0 {
			t.Errorf("another account lists the request's jobs: %v, %+v", err, jobs)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		_, err := a.S.ShowJob(a.Ctx, cph.NewID())
		wantCode(t, "unknown job", err, cph.CodeJobNotFound)
		_, err = a.S.ShowJob(a.Ctx, "not a job!")
		wantCode(t, "malformed job id", err, cph.CodeJobNotFound)
		tooMany := make([]string, cph.MaxJobRequests+1)
		for i := range tooMany {
			tooMany[i] = cph.NewID()
		}
		refusals(t, a.Ctx, a.S.ListJobs, []refusal[cph.JobFilter]{
			{"no request id", cph.JobFilter{Limit: 10}, cph.CodeInvalidRequestID},
			{"too many request ids", cph.JobFilter{RequestIDs: tooMany, Limit: 10}, cph.CodeInvalidRequestID},
			{"limit 0", cph.JobFilter{RequestIDs: filter.RequestIDs}, cph.CodeInvalidPaging},
			{"limit over the maximum", cph.JobFilter{RequestIDs: filter.RequestIDs, Limit: cph.MaxJobPage + 1}, cph.CodeInvalidPaging},
			{"negative offset", cph.JobFilter{RequestIDs: filter.RequestIDs, Offset: -1, Limit: 10}, cph.CodeInvalidPaging},
		})
		if jobs, err := a.S.ListJobs(a.Ctx, cph.JobFilter{RequestIDs: []string{cph.NewID()}, Limit: 10}); err != nil || len(jobs) != 0 {
			t.Errorf("an unknown request: %v, %+v", err, jobs)
		}
	})
	t.Run("recent jobs", func(t *testing.T) { testRecentJobs(t, env) })
	t.Run("fleet summary", func(t *testing.T) { testFleetSummary(t, env) })
}
