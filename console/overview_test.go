package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/console/consoletest"
	"github.com/opencph/opencph/controlplane/cptest"
)

func TestOverviewAndJobs(t *testing.T) {
	srv := cptest.Start(t, nil)
	admin := adminOf(t, srv)
	ctx := cph.NewCallerContext(context.Background(), admin)
	cl := consoletest.Login(t, srv.URL(), cptest.Domain, cptest.User, cptest.Password, "")

	status, page := cl.Get(t, "/console/")
	// cptest.Start: 2 servers of 3 phones, all running.
	if status != http.StatusOK || !strings.Contains(page, `id="phones-count">6<`) || !strings.Contains(page, `data-phone-status="running">6<`) {
		t.Errorf("overview: status %d, want 6 running phones: %.600s", status, page)
	}
	if !strings.Contains(page, `id="agents-connected">2<`) {
		t.Errorf("overview: want 2 connected agents")
	}

	// Stop one phone from the phones page: the overview and the jobs
	// list show it.
	_, list := cl.Get(t, "/console/phones")
	id := consoletest.Field(list, "phone")
	status, answer := cl.Action(t, "/console/phones/batch", url.Values{"action": {"stop"}, "phone": {id}})
	if status != http.StatusOK || !strings.Contains(answer, "Stop of 1 phones") {
		t.Fatalf("stop: status %d: %.400s", status, answer)
	}
	waitStatus(t, srv, ctx, id, cph.PhoneStopped)
	_, page = cl.Get(t, "/console/")
	if !strings.Contains(page, `data-phone-status="stopped">1<`) || !strings.Contains(page, `data-phone-status="running">5<`) {
		t.Errorf("overview after a stop: want 5 running and 1 stopped: %.900s", page)
	}
	status, jobs := cl.Get(t, "/console/jobs?status=succeeded")
	if status != http.StatusOK || !strings.Contains(jobs, "/console/phones/"+id) || !strings.Contains(jobs, "stop_phone") {
		t.Errorf("jobs?status=succeeded: status %d, lacks the stop of %s: %.600s", status, id, jobs)
	}
	if _, failed := cl.Get(t, "/console/jobs?status=failed"); strings.Contains(failed, "/console/phones/"+id) {
		t.Errorf("jobs?status=failed lists the succeeded stop")
	}
	if status, _ := cl.Get(t, "/console/jobs?status=bogus"); status != http.StatusBadRequest {
		t.Errorf("jobs?status=bogus: status %d, want 400", status)
	}
	_, detail := cl.Get(t, "/console/phones/"+id)
	if !strings.Contains(detail, "stop_phone") {
		t.Errorf("the phone's page does not list its stop job")
	}
}
