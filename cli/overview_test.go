package cli

import (
	"encoding/json"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane/cptest"
)

// TestJobsRecentAndOverview restarts two phones, one of which fails, and
// finds the jobs with "jobs recent" (filters, paging, JSON) and the
// failure and the fleet with "overview".
func TestJobsRecentAndOverview(t *testing.T) {
	t.Parallel()
	srv, env := startLoggedIn(t)
	phones := listPhones(t, env)
	p1, p2 := phones[0], phones[1]
	cptest.InjectFailure(t, srv, p2, "kernel panic")
	if r := run(t, env, "", "phones", "restart", p1.ID, p2.ID, "--wait", "--interval", "10ms"); r.code != ExitFailure {
		t.Fatalf("restart --wait with a failing phone: %+v", r)
	}

	recent := func(args ...string) []cph.JobDoc {
		t.Helper()
		r := run(t, env, "", append([]string{"jobs", "recent", "-o", "json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("jobs recent %v: %+v", args, r)
		}
		var jobs []cph.JobDoc
		if err := json.Unmarshal([]byte(r.stdout), &jobs); err != nil {
			t.Fatalf("jobs recent %v: %v %q", args, err, r.stdout)
		}
		return jobs
	}
	jobs := recent()
	if len(jobs) != 2 || jobs[0].PhoneID != p1.ID || jobs[1].PhoneID != p2.ID || jobs[0].RequestID == "" ||
		jobs[0].RequestID != jobs[1].RequestID || jobs[1].Status != cph.JobFailed || jobs[0].Kind != cph.OpRestartPhone {
		t.Fatalf("recent jobs %+v", jobs)
	}
	if failed := recent("--status", "failed"); len(failed) != 1 || failed[0].ID != jobs[1].ID {
		t.Errorf("failed jobs %+v", failed)
	}
	if mine := recent("--phone", p1.ID); len(mine) != 1 || mine[0].ID != jobs[0].ID {
		t.Errorf("jobs of %s: %+v", p1.ID, mine)
	}
	if onServer := recent("--server", p2.ServerID, "--request-id", jobs[0].RequestID); len(onServer) == 0 {
		t.Errorf("no jobs on server %s", p2.ServerID)
	}
	r := run(t, env, "", "jobs", "recent", "--limit", "1")
	if r.code != 0 || !strings.Contains(r.stdout, jobs[0].ID) || strings.Contains(r.stdout, jobs[1].ID) ||
		!strings.Contains(r.stdout, "restart_phone") || !strings.Contains(r.stderr, "more jobs: --marker "+jobs[0].ID) {
		t.Errorf("first page of one job: %+v", r)
	}
	if all := recent("--limit", "1", "--all"); len(all) != 2 {
		t.Errorf("--all with pages of one: %+v", all)
	}
	if r := run(t, env, "", "jobs", "recent", "-q", "--marker", jobs[0].ID); r.code != 0 || r.stdout != jobs[1].ID+"\n" {
		t.Errorf("ids after the marker: %+v", r)
	}
	for _, bad := range [][]string{{"--limit", "0"}, {"--limit", "101"}, {"--status", "broken"}} {
		if r := run(t, env, "", append([]string{"jobs", "recent"}, bad...)...); r.code != 2 {
			t.Errorf("jobs recent %v: exit %d, want the usage error's 2; %s", bad, r.code, r.stderr)
		}
	}

	r = run(t, env, "", "overview", "-o", "json")
	var sum cph.FleetSummary
	if err := json.Unmarshal([]byte(r.stdout), &sum); r.code != 0 || err != nil {
		t.Fatalf("overview -o json: %v %+v", err, r)
	}
	if sum.Phones != len(listPhones(t, env)) || sum.JobsFailedLastHour != 1 || sum.Servers == 0 {
		t.Errorf("overview %+v", sum)
	}
	r = run(t, env, "", "overview")
	if r.code != 0 || !strings.Contains(r.stdout, "jobs_failed_last_hour") || !strings.Contains(r.stdout, "PHONE_STATUS") ||
		!strings.Contains(r.stdout, "5 normal") {
		t.Errorf("overview table: %+v", r)
	}
}
