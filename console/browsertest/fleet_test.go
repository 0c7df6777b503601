package browsertest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// Fleet of the paging test: 100 built-in servers of 1,000 phones, created
// by the control plane at start in one transaction, then by the agents of
// the 100 servers in their simulated runtimes: 6 to 10 s on 2 CPUs, of
// which about 5 s are the transaction.
const (
	bigServers   = 100
	bigPerServer = 1000
	bigFleet     = bigServers * bigPerServer
)

// startBigFleet starts a control plane with servers × perServer phones.
func startBigFleet(tb testing.TB, servers, perServer int) *controlplane.Server {
	tb.Helper()
	start := time.Now()
	srv := cptest.Start(tb, func(c *controlplane.Config) { c.SimServers, c.SimPhonesPerServer = servers, perServer })
	tb.Logf("a control plane with %d phones started in %s", servers*perServer, time.Since(start).Round(time.Millisecond))
	return srv
}

func TestPagingAndFiltersAt100000Phones(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no fleet of 100,000 phones")
	}
	if raceDetector {
		// Creating the fleet takes over two minutes under -race (the
		// store's SQLite is instrumented too); the other tests drive the
		// same pages under -race on small fleets.
		t.Skip("-race: no fleet of 100,000 phones")
	}
	sharedBrowser(t) // skip before building the fleet
	srv := startBigFleet(t, bigServers, bigPerServer)
	admin := adminContext(t, srv)
	b := newTab(t, srv)
	b.loginAdmin()
	b.open("/console/phones")

	if total := b.text("#phones-total"); total != "100,000" {
		t.Fatalf("the total shows %q, want 100,000", total)
	}
	if info := b.text(".pager-info"); info != "Phones 1–50 of 100,000" {
		t.Errorf("the first page says %q", info)
	}
	first := listPhones(t, admin, srv, cph.PhoneFilter{Offset: 0, Limit: 50})
	if got := b.shownNames(); !slices.Equal(got, phoneNames(first.Phones)) {
		t.Errorf("the first page shows %d phones %q…, want the services' first 50", len(got), got[:min(3, len(got))])
	}

	// Next page: phones 51–100.
	b.submit("click Next", chromedp.Click(chromedp.ID("next-page")))
	if p := b.path(); p != "/console/phones?offset=50" {
		t.Errorf("Next led to %s", p)
	}
	if info := b.text(".pager-info"); info != "Phones 51–100 of 100,000" {
		t.Errorf("the second page says %q", info)
	}
	second := listPhones(t, admin, srv, cph.PhoneFilter{Offset: 50, Limit: 50})
	if got := b.shownNames(); !slices.Equal(got, phoneNames(second.Phones)) {
		t.Errorf("the second page shows %d phones %q…, want the services' phones 51–100", len(got), got[:min(3, len(got))])
	}

	// A name filter: phones 0001–0099 of one server.
	const name = "sim-server-42-00"
	b.do("filter by name", chromedp.SetValue(chromedp.CSS(`form.filters input[name=name]`), name))
	b.submit("click Filter", chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
	if total := b.text("#phones-total"); total != "99" {
		t.Fatalf("the name filter %q shows a total of %q, want 99", name, total)
	}
	named := b.shownNames()
	if len(named) != 50 || slices.ContainsFunc(named, func(n string) bool { return !strings.Contains(n, name) }) {
		t.Errorf("the name filter %q shows %q", name, named)
	}

	// A status filter: stop two phones from the list (Stop asks first),
	// then list the stopped phones of the whole fleet.
	dialogs := b.acceptDialogs()
	rows := eval[[]string](b, `[...document.querySelectorAll("#phones-live tr[data-phone]")].slice(0, 2).map(tr => tr.dataset.phone)`)
	b.selectPhones(rows)
	b.submit("click Stop", chromedp.Click(chromedp.ID("action-stop")))
	if got := dialogs(); !slices.Equal(got, []string{"Stop the phones?"}) {
		t.Errorf("Stop asked %q, want one confirmation", got)
	}
	b.waitFor("the stop to be done", batchDone)
	if ok := b.text("#batch .counts .ok"); ok != "2 succeeded" {
		t.Errorf("the stop's batch panel counts %q, want 2 succeeded", ok)
	}
	b.waitFor("the two phones to show stopped", statusesAre(rows, "stopped"))

	b.open("/console/phones")
	b.do("filter by status stopped", chromedp.SetValue(chromedp.CSS(`form.filters select[name=status]`), fmt.Sprint(int(cph.PhoneStopped))))
	b.submit("click Filter", chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
	if p := b.path(); p != fmt.Sprintf("/console/phones?name=&server=&status=%d", cph.PhoneStopped) {
		t.Errorf("the status filter led to %s", p)
	}
	if total := b.text("#phones-total"); total != "2" {
		t.Errorf("the status filter shows a total of %q, want 2", total)
	}
	stopped := eval[[]string](b, `[...document.querySelectorAll("#phones-live tr[data-phone]")].map(tr => tr.dataset.phone)`)
	slices.Sort(stopped)
	slices.Sort(rows)
	if !slices.Equal(stopped, rows) {
		t.Errorf("the stopped phones listed are %q, want the two stopped %q", stopped, rows)
	}
}
