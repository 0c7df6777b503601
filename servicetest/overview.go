package servicetest

import (
	"slices"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane/cptest"
)

// testRecentJobs checks the list of a project's jobs without request ids:
// two restarts, the second with a phone that fails, listed newest first.
func testRecentJobs(t *testing.T, env *Env) {
	a := env.Admin
	ph1, ph2 := twoRunningPhones(t, a)
	restart := func(phones ...*cph.Phone) *cph.BatchResult {
		t.Helper()
		var refs []cph.PhoneRef
		for _, p := range phones {
			refs = append(refs, cph.PhoneRef{PhoneID: p.ID})
		}
		res, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: cph.OpRestartPhone, Phones: refs})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range res.Jobs {
			if j.ErrorCode != "" {
				t.Fatalf("restart refused: %+v", res.Jobs)
			}
		}
		untilTrue(t, "the restart's jobs to end", func() (bool, error) {
			jobs, err := a.S.ListJobs(a.Ctx, cph.JobFilter{RequestIDs: []string{res.RequestID}, Limit: cph.MaxJobPage})
			return err == nil && len(jobs) == len(phones) && !slices.ContainsFunc(jobs, func(j *cph.Job) bool { return !j.Status.Final() }), err
		})
		return res
	}
	first := restart(ph1)
	cptest.InjectFailure(t, env.ControlPlane, *ph2, "injected restart failure")
	second := restart(ph1, ph2)
	firstJob, okJob, failedJob := first.Jobs[0].JobID, second.Jobs[0].JobID, second.Jobs[1].JobID
	// A screenshot runs a job that no job list shows.
	untilTrue(t, "the phone to run again", func() (bool, error) {
		d, err := a.S.ShowPhone(a.Ctx, ph1.ID)
		return err == nil && d.Status == cph.PhoneRunning, err
	})
	if _, err := a.S.ShowPhoneScreenshot(a.Ctx, ph1.ID); err != nil {
		t.Fatal(err)
	}

	list := func(c Caller, f cph.RecentJobFilter) *cph.JobPage {
		t.Helper()
		if f.Limit == 0 {
			f.Limit = cph.MaxJobPage
		}
		page, err := c.S.ListRecentJobs(c.Ctx, f)
		if err != nil {
			t.Fatalf("list recent jobs %+v: %v", f, err)
		}
		return page
	}
	jobIDs := func(p *cph.JobPage) []string {
		out := make([]string, len(p.Jobs))
		for i, j := range p.Jobs {
			out[i] = j.ID
		}
		return out
	}

	t.Run("newest first, a request's jobs in their order", func(t *testing.T) {
		page := list(a, cph.RecentJobFilter{})
		got := jobIDs(page)
		if len(got) < 3 || !slices.Equal(got[:3], []string{okJob, failedJob, firstJob}) {
			t.Fatalf("recent jobs %v, want %s %s %s first", got, okJob, failedJob, firstJob)
		}
		j := page.Jobs[1]
		if j.PhoneID != ph2.ID || j.ServerID != ph2.ServerID || j.RequestID != second.RequestID || j.Kind != cph.OpRestartPhone ||
			j.Status != cph.JobFailed || j.ErrorCode == nil || j.BeginTime.IsZero() || j.EndTime.IsZero() {
			t.Errorf("the failed job: %+v", j)
		}
		for _, j := range page.Jobs {
			if j.Kind == cph.OpScreenshot {
				t.Errorf("a screenshot job is listed: %+v", j)
			}
		}
		if page.Jobs[0].Status != cph.JobSucceeded || page.Jobs[2].Status != cph.JobSucceeded {
			t.Errorf("the restarts of %s: %+v, %+v", ph1.ID, page.Jobs[0], page.Jobs[2])
		}
	})
	t.Run("filters", func(t *testing.T) {
		if got := jobIDs(list(a, cph.RecentJobFilter{RequestID: second.RequestID})); !slices.Equal(got, []string{okJob, failedJob}) {
			t.Errorf("by request: %v", got)
		}
		if got := jobIDs(list(a, cph.RecentJobFilter{PhoneID: ph1.ID})); len(got) < 2 || !slices.Equal(got[:2], []string{okJob, firstJob}) ||
			slices.Contains(got, failedJob) {
			t.Errorf("by phone %s: %v", ph1.ID, got)
		}
		failed := list(a, cph.RecentJobFilter{Status: cph.JobFailed})
		if len(failed.Jobs) == 0 || failed.Jobs[0].ID != failedJob {
			t.Errorf("failed jobs: %v", jobIDs(failed))
		}
		for _, j := range failed.Jobs {
			if j.Status != cph.JobFailed {
				t.Errorf("a %s job among the failed ones: %+v", j.Status, j)
			}
		}
		succeeded := jobIDs(list(a, cph.RecentJobFilter{Status: cph.JobSucceeded, PhoneID: ph1.ID}))
		if len(succeeded) < 2 || !slices.Equal(succeeded[:2], []string{okJob, firstJob}) {
			t.Errorf("succeeded jobs of %s: %v", ph1.ID, succeeded)
		}
		if got := jobIDs(list(a, cph.RecentJobFilter{Status: cph.JobRunning, RequestID: second.RequestID})); len(got) != 0 {
			t.Errorf("running jobs of a finished request: %v", got)
		}
		byServer := list(a, cph.RecentJobFilter{ServerID: ph2.ServerID})
		if !slices.Contains(jobIDs(byServer), failedJob) {
			t.Errorf("jobs of server %s: %v, want %s among them", ph2.ServerID, jobIDs(byServer), failedJob)
		}
		for _, j := range byServer.Jobs {
			if j.ServerID != ph2.ServerID {
				t.Errorf("a job of server %s among those of %s", j.ServerID, ph2.ServerID)
			}
		}
		if got := jobIDs(list(a, cph.RecentJobFilter{PhoneID: cph.NewID()})); len(got) != 0 {
			t.Errorf("jobs of an unknown phone: %v", got)
		}
	})
	t.Run("paging", func(t *testing.T) {
		want := jobIDs(list(a, cph.RecentJobFilter{Limit: 3}))
		var got []string
		marker := ""
		for range 3 {
			page := list(a, cph.RecentJobFilter{Marker: marker, Limit: 1})
			got = append(got, jobIDs(page)...)
			if page.NextMarker == "" {
				t.Fatalf("page %d has no next marker", len(got))
			}
			marker = page.NextMarker
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages of one job %v, want %v", got, want)
		}
		if got := jobIDs(list(a, cph.RecentJobFilter{Offset: 2, Limit: 1})); !slices.Equal(got, want[2:3]) {
			t.Errorf("offset 2: %v, want %v", got, want[2:3])
		}
		if got := jobIDs(list(a, cph.RecentJobFilter{Marker: okJob, Offset: 1, Limit: 1})); !slices.Equal(got, []string{firstJob}) {
			t.Errorf("offset 1 after the marker %s: %v, want %s", okJob, got, firstJob)
		}
		last := list(a, cph.RecentJobFilter{RequestID: second.RequestID, Limit: 2})
		if last.NextMarker != "" {
			t.Errorf("the whole list has a next marker %q", last.NextMarker)
		}
	})
	t.Run("read-only users list them", func(t *testing.T) {
		if got := jobIDs(list(env.ReadOnly, cph.RecentJobFilter{Limit: 3})); !slices.Equal(got, []string{okJob, failedJob, firstJob}) {
			t.Errorf("read-only list %v", got)
		}
	})
	t.Run("other accounts see none of them", func(t *testing.T) {
		o := env.Other
		for _, f := range []cph.RecentJobFilter{{}, {RequestID: second.RequestID}, {PhoneID: ph1.ID}, {ServerID: ph1.ServerID}} {
			page := list(o, f)
			for _, j := range page.Jobs {
				if j.ProjectID == env.ProjectID || j.ID == okJob || j.ID == failedJob || j.ID == firstJob || j.PhoneID == ph1.ID {
					t.Errorf("another account lists job %+v with %+v", j, f)
				}
			}
		}
		_, err := o.S.ListRecentJobs(o.Ctx, cph.RecentJobFilter{Marker: okJob, Limit: 10})
		wantCode(t, "another account's job as marker", err, cph.CodeInvalidParameter)
	})
	t.Run("refusals", func(t *testing.T) {
		refusals(t, a.Ctx, a.S.ListRecentJobs, []refusal[cph.RecentJobFilter]{
			{"limit 0", cph.RecentJobFilter{}, cph.CodeInvalidPaging},
			{"limit over the maximum", cph.RecentJobFilter{Limit: cph.MaxJobPage + 1}, cph.CodeInvalidPaging},
			{"negative offset", cph.RecentJobFilter{Offset: -1, Limit: 10}, cph.CodeInvalidPaging},
			{"unknown status", cph.RecentJobFilter{Status: 5, Limit: 10}, cph.CodeInvalidStatus},
			{"overlong request id", cph.RecentJobFilter{RequestID: strings.Repeat("a", 65), Limit: 10}, cph.CodeInvalidRequestID},
			{"malformed phone id", cph.RecentJobFilter{PhoneID: "not a phone!", Limit: 10}, cph.CodeInvalidParameter},
			{"malformed server id", cph.RecentJobFilter{ServerID: "not a server!", Limit: 10}, cph.CodeInvalidParameter},
			{"unknown marker", cph.RecentJobFilter{Marker: cph.NewID(), Limit: 10}, cph.CodeInvalidParameter},
		})
	})
}

// testFleetSummary checks the fleet summary against the lists, and that
// it follows a stopped phone and a failed job.
func testFleetSummary(t *testing.T, env *Env) {
	a := env.Admin
	settled(t, a)
	summary := func(c Caller) *cph.FleetSummary {
		t.Helper()
		s, err := c.S.FleetSummary(c.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	phoneCount := func(s *cph.FleetSummary, st cph.PhoneStatus) int {
		for _, c := range s.PhonesByStatus {
			if c.Status == st {
				return c.Count
			}
		}
		t.Fatalf("summary without phone status %d: %+v", st, s.PhonesByStatus)
		return 0
	}
	before := summary(a)
	t.Run("counts match the lists", func(t *testing.T) {
		all, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if before.Phones != all.Total || before.Phones == 0 {
			t.Errorf("phones %d, the list has %d", before.Phones, all.Total)
		}
		if len(before.PhonesByStatus) < len(cph.PhoneStatuses()) {
			t.Errorf("phone statuses %+v, want every one of %v", before.PhonesByStatus, cph.PhoneStatuses())
		}
		for _, st := range cph.PhoneStatuses() {
			page, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{Status: &st, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if n := phoneCount(before, st); n != page.Total {
				t.Errorf("phones of status %d: %d, the list has %d", st, n, page.Total)
			}
		}
		servers, err := a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, c := range before.ServersByStatus {
			sum += c.Count
		}
		if before.Servers != servers.Total || sum != servers.Total || len(before.ServersByStatus) < len(cph.ServerStatuses()) {
			t.Errorf("servers %d (by status %+v), the list has %d", before.Servers, before.ServersByStatus, servers.Total)
		}
		if before.AgentsConnected < 1 || before.AgentsConnected+before.AgentsDisconnected != before.Servers {
			t.Errorf("agents connected %d, disconnected %d, of %d servers", before.AgentsConnected, before.AgentsDisconnected, before.Servers)
		}
		failed := recentPage(t, a, cph.RecentJobFilter{Status: cph.JobFailed, Limit: cph.MaxJobPage})
		if before.JobsFailedLastHour != len(failed.Jobs) || before.JobsFailedLastHour == 0 || before.JobsRunning != 0 {
			t.Errorf("jobs running %d, failed in the last hour %d; the list has %d failed jobs, the fleet has settled",
				before.JobsRunning, before.JobsFailedLastHour, len(failed.Jobs))
		}
	})
	t.Run("a stopped phone is counted", func(t *testing.T) {
		ph := runningPhone(t, a)
		res, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: cph.OpStopPhone, Phones: []cph.PhoneRef{{PhoneID: ph.ID}}})
		if err != nil || len(res.Jobs) != 1 || res.Jobs[0].ErrorCode != "" {
			t.Fatalf("stop: %v, %+v", err, res)
		}
		untilTrue(t, "the phone to stop", func() (bool, error) {
			d, err := a.S.ShowPhone(a.Ctx, ph.ID)
			return err == nil && d.Status == cph.PhoneStopped, err
		})
		settled(t, a)
		after := summary(a)
		if got, want := phoneCount(after, cph.PhoneStopped), phoneCount(before, cph.PhoneStopped)+1; got != want {
			t.Errorf("stopped phones %d, want %d", got, want)
		}
		if got, want := phoneCount(after, cph.PhoneRunning), phoneCount(before, cph.PhoneRunning)-1; got != want {
			t.Errorf("running phones %d, want %d", got, want)
		}
		if after.Phones != before.Phones || after.JobsRunning != 0 {
			t.Errorf("after the stop: %d phones (before %d), %d jobs running", after.Phones, before.Phones, after.JobsRunning)
		}
	})
	t.Run("read-only users read it; other accounts count their own", func(t *testing.T) {
		if ro := summary(env.ReadOnly); ro.Phones != before.Phones || ro.Servers != before.Servers {
			t.Errorf("read-only summary %+v, admin's %+v", ro, before)
		}
		o := env.Other
		other := summary(o)
		page, err := o.S.ListPhones(o.Ctx, cph.PhoneFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if other.Phones != page.Total || other.JobsFailedLastHour != 0 {
			t.Errorf("another account's summary %+v, its list has %d phones", other, page.Total)
		}
	})
}

// twoRunningPhones returns two running phones of c's project.
func twoRunningPhones(t *testing.T, c Caller) (*cph.Phone, *cph.Phone) {
	t.Helper()
	var found []*cph.Phone
	untilTrue(t, "two running phones", func() (bool, error) {
		running := cph.PhoneRunning
		page, err := c.S.ListPhones(c.Ctx, cph.PhoneFilter{Limit: 2, Status: &running})
		found = page.Phones
		return err == nil && len(found) == 2, err
	})
	return found[0], found[1]
}

// settled waits until no phone of c's project is in a transient status
// and no job runs.
func settled(t *testing.T, c Caller) {
	t.Helper()
	untilTrue(t, "the fleet to settle", func() (bool, error) {
		page, err := c.S.ListPhones(c.Ctx, cph.PhoneFilter{Limit: cph.MaxPhonePage})
		if err != nil {
			return false, err
		}
		if slices.ContainsFunc(page.Phones, func(p *cph.Phone) bool { return p.Status.Transient() }) {
			return false, nil
		}
		running, err := c.S.ListRecentJobs(c.Ctx, cph.RecentJobFilter{Status: cph.JobRunning, Limit: 1})
		return err == nil && len(running.Jobs) == 0, err
	})
}

// recentPage returns a page of c's recent jobs.
func recentPage(t *testing.T, c Caller, f cph.RecentJobFilter) *cph.JobPage {
	t.Helper()
	page, err := c.S.ListRecentJobs(c.Ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	return page
}
