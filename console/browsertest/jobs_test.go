package browsertest

import (
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
)

// TestJobsListLive checks that the jobs page shows a running job's
// status change without a reload.
func TestJobsListLive(t *testing.T) {
	srv := startConsole(t, func(c *controlplane.Config) { c.SimBootTime = 2 * time.Second })
	ctx := adminContext(t, srv)
	phone := listPhones(t, ctx, srv, cph.PhoneFilter{Limit: 1}).Phones[0]
	b := newTab(t, srv)
	b.loginAdmin()
	b.open("/console/jobs")
	eval[bool](b, `window.sameDocument = true`)

	res, err := srv.Services().BatchPhones(ctx, cph.BatchPhonesParams{Kind: cph.OpRestartPhone, Phones: []cph.PhoneRef{{PhoneID: phone.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	job := res.Jobs[0].JobID
	row := `document.querySelector('tr[data-job="` + job + `"] .status')`
	b.waitFor("the new job to show running", row+` !== null && `+row+`.dataset.status === 'running'`)
	b.waitFor("the job to show succeeded", row+`.dataset.status === 'succeeded'`)
	if !eval[bool](b, `window.sameDocument === true`) {
		t.Errorf("the jobs page was loaded again: the updates were not live")
	}
}
