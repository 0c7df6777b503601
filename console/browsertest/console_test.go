package browsertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// jsString quotes s for a script.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// jsStrings quotes ss as a script's array.
func jsStrings(ss []string) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

// phoneIDs returns the ids of phones.
func phoneIDs(phones []*cph.Phone) []string {
	ids := make([]string, len(phones))
	for i, p := range phones {
		ids[i] = p.ID
	}
	return ids
}

// phoneNames returns the names of phones.
func phoneNames(phones []*cph.Phone) []string {
	names := make([]string, len(phones))
	for i, p := range phones {
		names[i] = p.Name
	}
	return names
}

// shownNames returns the names of the phones the list page shows, in
// order.
func (b *tab) shownNames() []string {
	b.t.Helper()
	return eval[[]string](b, `[...document.querySelectorAll("#phones-live tr[data-phone]")].map(tr => tr.querySelector('a[href^="/console/phones/"]').textContent.trim())`)
}

// statusesAre is a script that is true when the list shows every phone of
// ids with status.
func statusesAre(ids []string, status string) string {
	return fmt.Sprintf(`%s.every(id => document.querySelector('tr[data-phone="' + id + '"] .status')?.dataset.status === %s)`, jsStrings(ids), jsString(status))
}

// selectPhones ticks the checkboxes of the phones ids on the list page.
func (b *tab) selectPhones(ids []string) {
	b.t.Helper()
	for _, id := range ids {
		box := `input[name=phone][value="` + id + `"]`
		b.click("select phone "+id, box, `document.querySelector(`+jsString(box)+`)?.checked === true`)
	}
	if n := b.text("[data-selected-count]"); n != fmt.Sprint(len(ids)) {
		b.t.Fatalf("the selection count shows %q after selecting %d phones", n, len(ids))
	}
}

// batchDone is a script that is true once the batch panel says the batch
// is done.
const batchDone = `document.querySelector("#batch")?.dataset.final === "true"`

func TestLogin(t *testing.T) {
	srv := startConsole(t, nil)
	b := newTab(t, srv)

	b.open("/console/login")
	b.screenshot("login")
	b.login(cptest.Domain, cptest.User, "not-the-password", cptest.Project)
	if p := b.path(); p != "/console/login" {
		t.Fatalf("a wrong password led to %s", p)
	}
	if code := b.text("#login-error code"); code != cph.CodeIAMUnauthenticated {
		t.Errorf("the login error shows code %q, want %s; page: %s", code, cph.CodeIAMUnauthenticated, b.pageText())
	}
	if msg := b.text("#login-error"); !strings.Contains(msg, "Wrong account, user name or password") {
		t.Errorf("the login error says %q", msg)
	}
	if n := b.count("header.top"); n != 0 {
		t.Errorf("the refused login shows the console's header")
	}

	b.loginAdmin()
	if p := b.path(); p != "/console/" {
		t.Errorf("the login led to %s, want the overview /console/", p)
	}
	if h := b.text("main h1"); h != "Overview" {
		t.Errorf("the page after login is headed %q, want Overview", h)
	}
	if who := b.text("header .who span"); !strings.Contains(who, cptest.Domain+" / "+cptest.User) || strings.Contains(who, "read-only") {
		t.Errorf("the header says %q, want the account and user without a read-only badge", who)
	}
	b.screenshot("overview")
}

func TestPhoneListShowsFleet(t *testing.T) {
	srv := startConsole(t, nil)
	want := listPhones(t, adminContext(t, srv), srv, cph.PhoneFilter{Limit: 100})
	if want.Total != 6 {
		t.Fatalf("the test fleet has %d phones, want 6", want.Total)
	}
	b := newTab(t, srv)
	b.loginAdmin()
	b.open("/console/phones")

	got := b.shownNames()
	if !slices.Equal(got, phoneNames(want.Phones)) {
		t.Errorf("the list shows %q, want %q (the services' order)", got, phoneNames(want.Phones))
	}
	if total := b.text("#phones-total"); total != "6" {
		t.Errorf("the total shows %q, want 6", total)
	}
	if info := b.text(".pager-info"); info != "Phones 1–6 of 6" {
		t.Errorf("the pager says %q", info)
	}
	if n := b.count(`#phones-live .status[data-status="running"]`); n != 6 {
		t.Errorf("%d phones show running, want 6", n)
	}
}

func TestBatchRestartLive(t *testing.T) {
	// A boot long enough for "restarting" to be seen before "running".
	srv := startConsole(t, func(c *controlplane.Config) { c.SimBootTime = 2 * time.Second })
	phones := listPhones(t, adminContext(t, srv), srv, cph.PhoneFilter{Limit: 100}).Phones
	chosen, others := phoneIDs(phones[:3]), phoneIDs(phones[3:])
	b := newTab(t, srv)
	b.loginAdmin()
	b.open("/console/phones")

	b.selectPhones(chosen)
	b.submit("click Restart", chromedp.Click(chromedp.ID("action-restart")))
	// From here on the page is not loaded again: a reload would drop
	// this mark.
	eval[bool](b, `window.sameDocument = true`)
	b.waitFor("the three phones to show restarting", statusesAre(chosen, "restarting"))
	if !eval[bool](b, statusesAre(others, "running")) {
		t.Errorf("phones not selected changed status: %s", b.pageText())
	}
	if h := strings.Join(strings.Fields(b.text("#batch-h")), " "); !strings.HasSuffix(h, ": in progress") || b.text("#batch .counts .busy") != "3 running" {
		t.Errorf("while the phones restart the batch panel is headed %q and counts %q", h, b.text("#batch .counts"))
	}
	b.screenshot("phones-batch")

	b.waitFor("the three phones to show running again, live", statusesAre(chosen, "running"))
	b.waitFor("the batch panel to say done", batchDone)
	if h := strings.Join(strings.Fields(b.text("#batch-h")), " "); h != "Restart of 3 phones: done" {
		t.Errorf("the batch panel is headed %q, want %q", h, "Restart of 3 phones: done")
	}
	if ok, bad := b.text("#batch .counts .ok"), b.text("#batch .counts .bad"); ok != "3 succeeded" || bad != "0 failed" {
		t.Errorf("the batch panel counts %q and %q, want 3 succeeded and 0 failed", ok, bad)
	}
	if !eval[bool](b, `window.sameDocument === true`) {
		t.Errorf("the page was loaded again: the updates were not live")
	}
	if p := b.path(); !strings.Contains(p, "batch=") || !strings.HasPrefix(p, "/console/phones?") {
		t.Errorf("after the action the address is %s, want the list following the batch (a reload must not send the form again)", p)
	}
	b.screenshot("phones-batch-done")
}

func TestBatchFailureShown(t *testing.T) {
	srv := startConsole(t, nil)
	phones := listPhones(t, adminContext(t, srv), srv, cph.PhoneFilter{Limit: 100}).Phones
	failing := phones[1]
	cptest.InjectFailure(t, srv, *failing, "disk full")
	b := newTab(t, srv)
	b.loginAdmin()
	b.open("/console/phones")

	b.selectPhones(phoneIDs(phones[:3]))
	b.submit("click Restart", chromedp.Click(chromedp.ID("action-restart")))
	b.waitFor("the batch panel to say done", batchDone)

	if ok, bad := b.text("#batch .counts .ok"), b.text("#batch .counts .bad"); ok != "2 succeeded" || bad != "1 failed" {
		t.Errorf("the batch panel counts %q and %q, want 2 succeeded and 1 failed", ok, bad)
	}
	rows := eval[[][]string](b, `[...document.querySelectorAll("#batch .failures tbody tr")].map(tr => [tr.dataset.phone, ...[...tr.cells].map(td => td.textContent.trim())])`)
	meaning := ""
	if d, ok := cph.LookupError(cph.CodeJobFailed); ok {
		meaning = strings.ToUpper(d.Meaning[:1]) + d.Meaning[1:]
	}
	if len(rows) != 1 {
		t.Fatalf("the failures table has %d rows, want 1: %q", len(rows), rows)
	}
	r := rows[0]
	if r[0] != failing.ID || r[1] != failing.ID || r[2] != cph.CodeJobFailed || meaning == "" || r[3] != meaning || !strings.Contains(r[4], "disk full") {
		t.Errorf("the failure row is %q, want phone %s, code %s, %q and a message with the injected %q", r, failing.ID, cph.CodeJobFailed, meaning, "disk full")
	}
	if s := b.text(`tr[data-phone="` + failing.ID + `"] .status`); s != "restart-failed" {
		t.Errorf("the failed phone shows %q, want restart-failed", s)
	}
}

func TestReadOnlyUserHasNoControls(t *testing.T) {
	srv := startConsole(t, nil)
	admin := adminContext(t, srv)
	const viewer = "viewer"
	if _, err := srv.Services().CreateUser(admin, cph.CreateUserParams{Name: viewer, Password: cptest.Password}); err != nil {
		t.Fatalf("create the read-only user: %v", err)
	}
	phones := listPhones(t, admin, srv, cph.PhoneFilter{Limit: 100}).Phones
	b := newTab(t, srv)
	b.login(cptest.Domain, viewer, cptest.Password, cptest.Project)
	if p := b.path(); p != "/console/" {
		t.Fatalf("the read-only user's login led to %s: %s", p, b.pageText())
	}
	if badge := b.text("header .who .badge"); badge != "read-only" {
		t.Errorf("the header's badge is %q, want read-only", badge)
	}

	b.open("/console/phones")
	if got := b.shownNames(); len(got) != len(phones) {
		t.Fatalf("the read-only user sees %d phones, want %d", len(got), len(phones))
	}
	for _, css := range []string{"input[name=phone]", "[data-select-all]", "#phone-actions", "#action-restart", "#action-reset", "#action-stop"} {
		if n := b.count(css); n != 0 {
			t.Errorf("the read-only user's phone list has %d %s", n, css)
		}
	}

	b.open("/console/phones/" + phones[0].ID)
	if h := b.text("main h1"); h != phones[0].Name {
		t.Fatalf("the phone page is headed %q, want %q", h, phones[0].Name)
	}
	for _, css := range []string{"#shell-form", "#shell-command", `form[action$="/install"]`, `form[action$="/properties"]`, `form[action$="/rename"]`} {
		if n := b.count(css); n != 0 {
			t.Errorf("the read-only user's phone page has %d %s", n, css)
		}
	}

	// The services refuse the action even when the page's own token
	// comes with it: hiding the controls is not the only defence.
	status := eval[int](b, `fetch("/console/phones/batch", {method: "POST", headers: {"X-CSRF-Token": document.body.dataset.csrf},
		body: new URLSearchParams({action: "restart", phone: `+jsString(phones[0].ID)+`})}).then(r => r.status)`)
	if status != http.StatusForbidden {
		t.Errorf("a read-only user's restart with the CSRF token got HTTP %d, want 403", status)
	}
}

func TestPostWithoutCSRFTokenRefused(t *testing.T) {
	srv := startConsole(t, nil)
	phones := listPhones(t, adminContext(t, srv), srv, cph.PhoneFilter{Limit: 100}).Phones
	b := newTab(t, srv)
	b.loginAdmin()
	b.open("/console/phones")
	if b.count("#phones-form input[name=csrf]") != 1 || eval[string](b, `document.body.dataset.csrf`) == "" {
		t.Fatalf("the phone list has no CSRF token in its form and body")
	}
	restart := func(header string) int {
		return eval[int](b, `fetch("/console/phones/batch", {method: "POST", headers: `+header+`,
			body: new URLSearchParams({action: "restart", phone: `+jsString(phones[0].ID)+`})}).then(r => r.status)`)
	}
	if s := restart(`{}`); s != http.StatusForbidden {
		t.Errorf("a POST from the page without the CSRF token got HTTP %d, want 403", s)
	}
	if s := restart(`{"X-CSRF-Token": "` + strings.Repeat("x", 43) + `"}`); s != http.StatusForbidden {
		t.Errorf("a POST from the page with a wrong CSRF token got HTTP %d, want 403", s)
	}
	if s := restart(`{"X-CSRF-Token": document.body.dataset.csrf}`); s != http.StatusOK {
		t.Errorf("a POST from the page with its CSRF token got HTTP %d, want 200", s)
	}

	// Another program with the session cookie but no token: refused too.
	form := url.Values{"action": {"restart"}, "phone": {phones[1].ID}}
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/console/phones/batch", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", b.cookieHeader())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !bytes.Contains(body, []byte("CSRF token")) {
		t.Errorf("a POST with the session cookie and no CSRF token got HTTP %d: %.300s", resp.StatusCode, body)
	}
}

func TestShellShowsGetprop(t *testing.T) {
	srv := startConsole(t, nil)
	ph := listPhones(t, adminContext(t, srv), srv, cph.PhoneFilter{Limit: 1}).Phones[0]
	res, err := srv.SimDriver(ph.ServerID).Shell(t.Context(), ph.ID, "getprop ro.product.model")
	if err != nil {
		t.Fatal(err)
	}
	model := strings.TrimSpace(res.Output)
	b := newTab(t, srv)
	b.loginAdmin()
	b.open("/console/phones/" + ph.ID)

	b.do("enter getprop", chromedp.SetValue(chromedp.ID("shell-command"), "getprop"))
	b.submit("run the command", chromedp.Click(chromedp.CSS("#shell-form button[type=submit]")))
	out := eval[string](b, `document.querySelector("#shell-output")?.textContent ?? ""`)
	if want := "[ro.product.model]: [" + model + "]"; model == "" || !strings.Contains(out, want) {
		t.Errorf("the shell box shows %q, want a line %q", out, want)
	}
	if v := eval[string](b, `document.querySelector("#shell-command").value`); v != "getprop" {
		t.Errorf("the command box holds %q after the run, want the command run", v)
	}
	b.screenshot("phone")
}

func TestScreenshotShown(t *testing.T) {
	srv := startConsole(t, nil)
	ph := listPhones(t, adminContext(t, srv), srv, cph.PhoneFilter{Limit: 1}).Phones[0]
	b := newTab(t, srv)
	b.loginAdmin()

	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/console/phones/"+ph.ID+"/screenshot", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", b.cookieHeader())
	req.Header.Set("X-Console-Live", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		t.Skip("GET /console/phones/{id}/screenshot answers 404: the console's screenshot endpoint is not there yet")
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the screenshot: HTTP %d: %.300s", resp.StatusCode, body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the screenshot (%s, %d bytes) is not a PNG: %v", resp.Header.Get("Content-Type"), len(body), err)
	}
	if r := img.Bounds(); r.Dx() == 0 || r.Dy() == 0 {
		t.Fatalf("the screenshot is %v", r)
	}

	b.open("/console/phones/" + ph.ID)
	b.waitFor("the phone's screen to show", `(() => { const i = document.querySelector("#screenshot");
		return i.src.startsWith("blob:") && i.complete && i.naturalWidth > 0 && !i.classList.contains("stale"); })()`)
}
