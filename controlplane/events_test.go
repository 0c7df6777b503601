package controlplane_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// eventEnv is a control plane on a movable clock, for scheduled events:
// the bootstrap admin (the operator, and a tenant of project pid) and its
// two servers.
type eventEnv struct {
	srv     *controlplane.Server
	clock   *skewedClock
	token   string
	pid     string
	servers []string
}

// startEventEnv starts a control plane on engine ("sqlite" or
// "postgres", or the URL of a PostgreSQL database shared with other
// replicas) whose clock the test moves. The agents' TTL, the leases and
// the pending timeout are a day, so that moving the clock by minutes
// marks no agent silent.
func startEventEnv(t *testing.T, engine string, mutate func(*controlplane.Config)) *eventEnv {
	t.Helper()
	clock := new(skewedClock)
	var dbURL string
	switch engine {
	case "sqlite":
	case "postgres":
		dbURL = postgresURL(t)
	default:
		dbURL = engine
	}
	srv := startServer(t, func(c *controlplane.Config) {
		c.Now = clock.Now
		c.DatabaseURL = dbURL
		c.Engine.AgentTTL, c.Engine.Lease, c.Engine.PendingTimeout = 24*time.Hour, 24*time.Hour, 24*time.Hour
		if mutate != nil {
			mutate(c)
		}
	})
	e := &eventEnv{srv: srv, clock: clock}
	e.token, e.pid = mustLogin(t, srv)
	r := do(t, "GET", srv.URL()+"/v1/"+e.pid+"/cloud-phone/servers", e.token, nil)
	for _, s := range r.body["servers"].([]any) {
		e.servers = append(e.servers, s.(map[string]any)["server_id"].(string))
	}
	sort.Strings(e.servers)
	if len(e.servers) != 2 {
		t.Fatalf("servers: %s", r.raw)
	}
	return e
}

func (e *eventEnv) events() string {
	return e.srv.URL() + "/v1/" + e.pid + "/cloud-phone/scheduled-events"
}
func (e *eventEnv) admin() string { return e.srv.URL() + "/opencph/v1/admin/scheduled-events" }

// announce announces an event as the operator and returns its id.
func (e *eventEnv) announce(t *testing.T, body map[string]any) string {
	t.Helper()
	r := do(t, "POST", e.admin(), e.token, body)
	if r.status != http.StatusCreated {
		t.Fatalf("announce %v: %d %s", body, r.status, r.raw)
	}
	ev := r.body["scheduled_event"].(map[string]any)
	if ev["state"] != cph.EventInquiring || ev["project_id"] != e.pid {
		t.Fatalf("announced: %s", r.raw)
	}
	return ev["event_id"].(string)
}

// event returns the event with that id as ListScheduledEvents shows it.
func (e *eventEnv) event(t *testing.T, id string) map[string]any {
	t.Helper()
	r := do(t, "GET", e.events()+"?event_id="+url.QueryEscape(id), e.token, nil)
	list, _ := r.body["scheduled_events"].([]any)
	if r.status != 200 || len(list) != 1 {
		t.Fatalf("event %s: %d %s", id, r.status, r.raw)
	}
	return list[0].(map[string]any)
}

// waitState waits for the event to reach state and returns it.
func (e *eventEnv) waitState(t *testing.T, id, state string) map[string]any {
	t.Helper()
	var ev map[string]any
	waitFor(t, "event "+id+" to be "+state, func() bool {
		ev = e.event(t, id)
		return ev["state"] == state
	})
	return ev
}

// serverRestarts returns the restart jobs of a server's phones.
func (e *eventEnv) serverRestarts(t *testing.T, serverID string) []map[string]any {
	t.Helper()
	r := do(t, "GET", e.srv.URL()+"/opencph/v1/"+e.pid+"/jobs?server_id="+serverID, e.token, nil)
	var out []map[string]any
	for _, j := range r.body["jobs"].([]any) {
		if m := j.(map[string]any); m["kind"] == string(cph.OpRestartPhone) {
			out = append(out, m)
		}
	}
	return out
}

func wantError(t *testing.T, what string, r *response, status int, code string) {
	t.Helper()
	if r.status != status || r.body["error_code"] != code {
		t.Errorf("%s: %d %s, want %d %s", what, r.status, r.raw, status, code)
	}
}

func evTime(t time.Time) string { return t.UTC().Format(cph.TimeLayout) }

// TestScheduledEventsListAndErrors pages through the events and checks
// every documented refusal, tenant isolation and the read-only user.
func TestScheduledEventsListAndErrors(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testScheduledEventsListAndErrors(t, startEventEnv(t, engine, nil))
		})
	}
}

func testScheduledEventsListAndErrors(t *testing.T, e *eventEnv) {
	// Five events, one a second: the newest is listed first.
	var ids []string
	first := e.clock.Now().UTC().Truncate(time.Second)
	for i := range 5 {
		typ := cph.EventSystemMaintenance
		if i%2 == 1 {
			typ = cph.EventLocalDiskRecovery
		}
		ids = append(ids, e.announce(t, map[string]any{"server_id": e.servers[i%2], "type": typ, "description": fmt.Sprintf("event %d", i)}))
		e.clock.Advance(time.Second)
	}
	// Paging by marker to the end.
	var got []string
	marker := ""
	for pages := 0; ; pages++ {
		q := "?limit=2"
		if marker != "" {
			q += "&marker=" + url.QueryEscape(marker)
		}
		r := do(t, "GET", e.events()+q, e.token, nil)
		if r.status != 200 || r.body["count"] != float64(5) {
			t.Fatalf("page %d: %d %s", pages, r.status, r.raw)
		}
		for _, ev := range r.body["scheduled_events"].([]any) {
			got = append(got, ev.(map[string]any)["event_id"].(string))
		}
		pi := r.body["page_info"].(map[string]any)
		next, _ := pi["next_marker"].(string)
		if next == "" {
			if len(pi) != 0 {
				t.Errorf("last page_info: %v", pi)
			}
			break
		}
		marker = next
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("paged %v, want newest first %v", got, want)
	}
	ev := e.event(t, ids[0])
	if ev["server_id"] != e.servers[0] || ev["server_name"] == "" || ev["server_model_name"] == "" || ev["server_state"] != float64(5) ||
		ev["type"] != cph.EventSystemMaintenance || ev["description"] != "event 0" || ev["publish_time"] != evTime(first) ||
		ev["not_before_deadline"] != evTime(first.Add(7*24*time.Hour)) || ev["authorization_type"] != nil || ev["not_before"] != nil {
		t.Errorf("event: %v", ev)
	}

	// Filters.
	count := func(q string) int {
		t.Helper()
		r := do(t, "GET", e.events()+q, e.token, nil)
		if r.status != 200 {
			t.Fatalf("list %s: %d %s", q, r.status, r.raw)
		}
		if n := len(r.body["scheduled_events"].([]any)); n != int(r.body["count"].(float64)) {
			t.Errorf("list %s: %d listed, count %v", q, n, r.body["count"])
		}
		return len(r.body["scheduled_events"].([]any))
	}
	for q, n := range map[string]int{
		"?server_id=" + e.servers[0]: 3, "?server_id=" + cptest.UnknownPhone: 0, "?event_id=nope": 0,
		"?type=localdisk-recovery": 2, "?type=localdisk-recovery,system-maintenance": 5,
		"?state=inquiring": 5, "?state=scheduled": 0, "?state=scheduled&state=inquiring": 5, "?state=scheduled,completed&state=failed": 0,
		"?publish_since=" + evTime(first.Add(time.Second)): 4, "?publish_until=" + evTime(first.Add(time.Second)): 2,
		"?publish_since=" + evTime(first.Add(time.Second)) + "&publish_until=" + evTime(first.Add(time.Second)): 1,
		"?publish_since=" + evTime(first.Add(3*time.Second)) + "&publish_until=" + evTime(first):                0,
		"?server_id=" + e.servers[1] + "&type=localdisk-recovery&state=inquiring":                               2,
	} {
		if got := count(q); got != n {
			t.Errorf("list %s: %d events, want %d", q, got, n)
		}
	}
	for _, q := range []string{"?state=running", "?state=inquiring,bogus", "?type=reboot", "?publish_since=2026-01-01",
		"?publish_until=2026-01-01T00:00:00.5Z", "?publish_since=2026-01-01T00:00:00%2B08:00", "?marker=nope", "?marker=" + url.QueryEscape(ids[0]+"x")} {
		wantError(t, "list "+q, do(t, "GET", e.events()+q, e.token, nil), 400, cph.CodeInvalidParameter)
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=x", "?limit=-1"} {
		wantError(t, "list "+q, do(t, "GET", e.events()+q, e.token, nil), 400, cph.CodeInvalidPaging)
	}
	if n := count("?limit=100"); n != 5 {
		t.Errorf("limit 100: %d", n)
	}

	// Authorisation's refusals change nothing.
	authURL := func(id string) string { return e.events() + "/" + url.PathEscape(id) + "/authorize" }
	now := e.clock.Now().UTC()
	for _, c := range []struct {
		what string
		body any
		code string
	}{
		{"no body", nil, cph.CodeInvalidParameter},
		{"empty object", map[string]any{}, cph.CodeInvalidParameter},
		{"unknown type", map[string]any{"authorization_type": "reboot"}, cph.CodeInvalidParameter},
		{"empty type", map[string]any{"authorization_type": ""}, cph.CodeInvalidParameter},
		{"too soon", map[string]any{"authorization_type": "maintenance", "not_before": evTime(now.Add(4 * time.Minute))}, cph.CodeInvalidParameter},
		{"past", map[string]any{"authorization_type": "maintenance", "not_before": evTime(now.Add(-time.Hour))}, cph.CodeInvalidParameter},
		{"past the deadline", map[string]any{"authorization_type": "maintenance", "not_before": evTime(now.Add(8 * 24 * time.Hour))}, cph.CodeInvalidParameter},
		{"redeploy with a time", map[string]any{"authorization_type": "redeploy", "not_before": evTime(now.Add(time.Hour))}, cph.CodeInvalidParameter},
		{"bad time", map[string]any{"authorization_type": "maintenance", "not_before": "tomorrow"}, cph.CodeInvalidParameter},
		{"malformed JSON", `{"authorization_type":`, cph.CodeBadRequest},
	} {
		r := do(t, "POST", authURL(ids[0]), e.token, c.body)
		wantError(t, "authorize: "+c.what, r, 400, c.code)
	}
	if r := do(t, "POST", authURL(ids[0]), e.token, nil); r.body["error_msg"] != "Parameter: authorization_type is invalid." {
		t.Errorf("authorize without a body: %s", r.raw)
	}
	if ev := e.event(t, ids[0]); ev["state"] != cph.EventInquiring {
		t.Errorf("after refused authorisations: %v", ev)
	}
	for _, id := range []string{cptest.UnknownPhone, "3c9b5a1e-7d2f-4e8a-9b6c-0d1e2f3a4b5c", "x", "0123456789012345678901234567890123456789"} {
		wantError(t, "authorize unknown "+id, do(t, "POST", authURL(id), e.token, map[string]any{"authorization_type": "maintenance"}), 404, cph.CodeEventNotFound)
		wantError(t, "update unknown "+id, do(t, "PUT", e.events()+"/"+id, e.token, map[string]any{"not_before": ""}), 404, cph.CodeEventNotFound)
	}
	wantError(t, "update an inquiring event", do(t, "PUT", e.events()+"/"+ids[0], e.token, map[string]any{"not_before": evTime(now.Add(time.Hour))}), 400, cph.CodeStatusNotAllowed)

	// The read-only user lists but may not authorise or update.
	viewer := viewerToken(t, e.srv, e.token)
	if r := do(t, "GET", e.events(), viewer, nil); r.status != 200 || r.body["count"] != float64(5) {
		t.Errorf("viewer list: %d %s", r.status, r.raw)
	}
	wantError(t, "viewer authorize", do(t, "POST", authURL(ids[0]), viewer, map[string]any{"authorization_type": "maintenance"}), 403, cph.CodeForbidden)
	wantError(t, "viewer update", do(t, "PUT", e.events()+"/"+ids[0], viewer, map[string]any{"not_before": ""}), 403, cph.CodeForbidden)
	wantError(t, "viewer announce", do(t, "POST", e.admin(), viewer, map[string]any{"server_id": e.servers[0], "type": cph.EventSystemMaintenance}), 403, cph.CodeForbidden)

	// Another project sees none of them, and they are unknown to it; its
	// admin is no operator.
	cptest.CreateAccount(t, e.srv, "globex", "globex", testPassword, "cn-east-3")
	other, lr := loginAs(t, e.srv, "globex", "globex", testPassword, "cn-east-3")
	opid := lr.body["token"].(map[string]any)["project"].(map[string]any)["id"].(string)
	otherEvents := e.srv.URL() + "/v1/" + opid + "/cloud-phone/scheduled-events"
	if r := do(t, "GET", otherEvents, other, nil); r.status != 200 || r.body["count"] != float64(0) || len(r.body["scheduled_events"].([]any)) != 0 {
		t.Errorf("other project's list: %d %s", r.status, r.raw)
	}
	wantError(t, "other's marker", do(t, "GET", otherEvents+"?marker="+ids[1], other, nil), 400, cph.CodeInvalidParameter)
	wantError(t, "other authorize", do(t, "POST", otherEvents+"/"+ids[0]+"/authorize", other, map[string]any{"authorization_type": "maintenance"}), 404, cph.CodeEventNotFound)
	wantError(t, "other update", do(t, "PUT", otherEvents+"/"+ids[0], other, map[string]any{"not_before": ""}), 404, cph.CodeEventNotFound)
	wantError(t, "tenant announce", do(t, "POST", e.admin(), other, map[string]any{"server_id": e.servers[0], "type": cph.EventSystemMaintenance}), 403, cph.CodeForbidden)
	wantError(t, "tenant withdraw", do(t, "POST", e.admin()+"/"+ids[0]+"/withdraw", other, nil), 403, cph.CodeForbidden)
	wantError(t, "tenant admin list", do(t, "GET", e.admin(), other, nil), 403, cph.CodeForbidden)

	// Authorise at a chosen time, move it, and the refusals of a
	// scheduled event.
	nb := now.Add(time.Hour).Truncate(time.Second)
	if r := do(t, "POST", authURL(ids[0]), e.token, map[string]any{"authorization_type": "maintenance", "not_before": evTime(nb)}); r.status != 200 || len(r.body) != 1 || r.body["request_id"] == "" {
		t.Fatalf("authorize: %d %s", r.status, r.raw)
	}
	ev = e.event(t, ids[0])
	if ev["state"] != cph.EventScheduled || ev["authorization_type"] != "maintenance" || ev["not_before"] != evTime(nb) || ev["not_after"] != evTime(nb.Add(2*time.Hour)) {
		t.Errorf("authorized: %v", ev)
	}
	wantError(t, "authorize twice", do(t, "POST", authURL(ids[0]), e.token, map[string]any{"authorization_type": "maintenance"}), 400, cph.CodeStatusNotAllowed)
	wantError(t, "update too soon", do(t, "PUT", e.events()+"/"+ids[0], e.token, map[string]any{"not_before": evTime(now.Add(time.Minute))}), 400, cph.CodeInvalidParameter)
	wantError(t, "update past the deadline", do(t, "PUT", e.events()+"/"+ids[0], e.token, map[string]any{"not_before": evTime(now.Add(30 * 24 * time.Hour))}), 400, cph.CodeInvalidParameter)
	wantError(t, "update without not_before", do(t, "PUT", e.events()+"/"+ids[0], e.token, nil), 400, cph.CodeInvalidParameter)
	wantError(t, "update malformed", do(t, "PUT", e.events()+"/"+ids[0], e.token, "[1,"), 400, cph.CodeBadRequest)
	nb2 := nb.Add(3 * time.Hour)
	if r := do(t, "PUT", e.events()+"/"+ids[0], e.token, map[string]any{"not_before": evTime(nb2)}); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.raw)
	}
	if ev := e.event(t, ids[0]); ev["state"] != cph.EventScheduled || ev["not_before"] != evTime(nb2) || ev["not_after"] != evTime(nb2.Add(2*time.Hour)) {
		t.Errorf("updated: %v", ev)
	}
	// A redeploy authorisation takes only "now" afterwards.
	if r := do(t, "POST", authURL(ids[1]), e.token, map[string]any{"authorization_type": "redeploy", "not_before": ""}); r.status != 200 {
		t.Fatalf("authorize redeploy: %d %s", r.status, r.raw)
	}

	// The operator withdraws an event; a canceled one cannot be withdrawn
	// again, nor authorised.
	r := do(t, "POST", e.admin()+"/"+ids[2]+"/withdraw", e.token, nil)
	if ev, _ := r.body["scheduled_event"].(map[string]any); r.status != 200 || ev["state"] != cph.EventCanceled || ev["finish_time"] == nil {
		t.Errorf("withdraw: %d %s", r.status, r.raw)
	}
	wantError(t, "withdraw twice", do(t, "POST", e.admin()+"/"+ids[2]+"/withdraw", e.token, nil), 400, cph.CodeStatusNotAllowed)
	wantError(t, "withdraw unknown", do(t, "POST", e.admin()+"/nope/withdraw", e.token, nil), 404, cph.CodeEventNotFound)
	wantError(t, "authorize canceled", do(t, "POST", authURL(ids[2]), e.token, map[string]any{"authorization_type": "maintenance"}), 400, cph.CodeStatusNotAllowed)
	// The operator's announcement refuses bad fields.
	for _, body := range []map[string]any{
		{"server_id": e.servers[0], "type": "reboot"},
		{"server_id": "", "type": cph.EventSystemMaintenance},
		{"server_id": e.servers[0], "type": cph.EventSystemMaintenance, "not_before_deadline": evTime(now.Add(-time.Hour))},
		{"server_id": e.servers[0], "type": cph.EventSystemMaintenance, "not_before_deadline": "soon"},
		{"server_id": e.servers[0], "type": cph.EventSystemMaintenance, "duration": "-1h"},
		{"server_id": e.servers[0], "type": cph.EventSystemMaintenance, "duration": "30d"},
	} {
		wantError(t, fmt.Sprint("announce ", body), do(t, "POST", e.admin(), e.token, body), 400, cph.CodeInvalidParameter)
	}
	wantError(t, "announce for an unknown server", do(t, "POST", e.admin(), e.token, map[string]any{"server_id": cptest.UnknownPhone, "type": cph.EventSystemMaintenance}), 404, cph.CodeInvalidServerID)
	// The audit trail names the operations and their events; the metrics
	// count the list.
	for _, op := range []string{"AuthorizeScheduledEvent", "UpdateScheduledEvent", "WithdrawScheduledEvent", "AnnounceScheduledEvent"} {
		waitFor(t, "the audit events of "+op, func() bool {
			r := do(t, "GET", e.srv.URL()+"/opencph/v1/"+e.pid+"/audit-events?operation="+op, e.token, nil)
			list, _ := r.body["audit_events"].([]any)
			for _, ev := range list {
				if op == "AnnounceScheduledEvent" || strings.Contains(fmt.Sprint(ev.(map[string]any)["target_ids"]), ids[0]) ||
					strings.Contains(fmt.Sprint(ev.(map[string]any)["target_ids"]), ids[2]) {
					return true
				}
			}
			return false
		})
	}
	if m := send(t, newRequest(t, "GET", e.srv.URL()+"/metrics", "", nil)); !strings.Contains(string(m.raw), `operation="ListScheduledEvents"`) {
		t.Error("the metrics do not count ListScheduledEvents")
	}
	// The operator's list shows every project's events with their project.
	if r := do(t, "GET", e.admin()+"?limit=1000&project_id="+e.pid, e.token, nil); r.status != 200 || r.body["count"] != float64(5) {
		t.Errorf("operator's list: %d %s", r.status, r.raw)
	}
}

// TestScheduledEventLifecycle runs events on the movable clock:
// authorised for later, then run and completed with every phone of the
// server restarted; run at its deadline without authorisation; run at
// once; failed when a restart fails; canceled when its server is deleted.
func TestScheduledEventLifecycle(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testScheduledEventLifecycle(t, startEventEnv(t, engine, nil))
		})
	}
}

func testScheduledEventLifecycle(t *testing.T, e *eventEnv) {
	s0, s1 := e.servers[0], e.servers[1]
	// Authorised for in ten minutes: nothing runs before.
	later := e.announce(t, map[string]any{"server_id": s0, "type": cph.EventLocalDiskRecovery, "duration": "30m"})
	nb := e.clock.Now().UTC().Add(10 * time.Minute).Truncate(time.Second)
	if r := do(t, "POST", e.events()+"/"+later+"/authorize", e.token, map[string]any{"authorization_type": "maintenance", "not_before": evTime(nb)}); r.status != 200 {
		t.Fatalf("authorize: %d %s", r.status, r.raw)
	}
	if ev := e.event(t, later); ev["state"] != cph.EventScheduled || ev["not_after"] != evTime(nb.Add(30*time.Minute)) {
		t.Errorf("scheduled: %v", ev)
	}
	// The deadline of another passes in fifteen minutes without its
	// authorisation.
	deadline := e.clock.Now().UTC().Add(15 * time.Minute).Truncate(time.Second)
	overdue := e.announce(t, map[string]any{"server_id": s1, "type": cph.EventSystemMaintenance, "not_before_deadline": evTime(deadline)})
	before := len(e.serverRestarts(t, s0))

	e.clock.Advance(11 * time.Minute)
	ev := e.waitState(t, later, cph.EventCompleted)
	if ev["start_time"] == nil || ev["finish_time"] == nil || ev["start_time"].(string) < evTime(nb) {
		t.Errorf("completed: %v", ev)
	}
	restarts := e.serverRestarts(t, s0)
	if len(restarts)-before != 3 {
		t.Errorf("the event restarted %d phones of the server, want 3", len(restarts)-before)
	}
	for _, j := range restarts[:3] {
		if j["status"] != float64(cph.JobSucceeded) {
			t.Errorf("restart job: %v", j)
		}
	}
	if ev := e.event(t, overdue); ev["state"] != cph.EventInquiring {
		t.Errorf("the event before its deadline: %v", ev)
	}

	e.clock.Advance(5 * time.Minute)
	ev = e.waitState(t, overdue, cph.EventCompleted)
	if ev["authorization_type"] != "maintenance" || ev["not_before"] != evTime(deadline) || ev["not_after"] != evTime(deadline.Add(2*time.Hour)) {
		t.Errorf("run at its deadline: %v", ev)
	}
	if n := len(e.serverRestarts(t, s1)); n != 3 {
		t.Errorf("the overdue event restarted %d phones, want 3", n)
	}

	// Authorised "now" with one restart failing: the event fails.
	createFault(t, e.srv, e.token, e.pid, map[string]any{"operation": "job:restart", "effect": "fail", "count": 1, "server_ids": []string{s0}})
	failing := e.announce(t, map[string]any{"server_id": s0, "type": cph.EventSystemMaintenance})
	if r := do(t, "POST", e.events()+"/"+failing+"/authorize", e.token, map[string]any{"authorization_type": "redeploy"}); r.status != 200 {
		t.Fatalf("authorize now: %d %s", r.status, r.raw)
	}
	ev = e.waitState(t, failing, cph.EventFailed)
	if ev["authorization_type"] != "redeploy" || ev["start_time"] == nil || ev["finish_time"] == nil {
		t.Errorf("failed: %v", ev)
	}

	// Moved to "now" after an authorisation for later: it runs at once.
	moved := e.announce(t, map[string]any{"server_id": s0, "type": cph.EventSystemMaintenance})
	inAnHour := evTime(e.clock.Now().Add(time.Hour))
	if r := do(t, "POST", e.events()+"/"+moved+"/authorize", e.token, map[string]any{"authorization_type": "maintenance", "not_before": inAnHour}); r.status != 200 {
		t.Fatalf("authorize: %d %s", r.status, r.raw)
	}
	if r := do(t, "PUT", e.events()+"/"+moved, e.token, map[string]any{"not_before": ""}); r.status != 200 {
		t.Fatalf("update to now: %d %s", r.status, r.raw)
	}
	if ev := e.waitState(t, moved, cph.EventCompleted); ev["not_before"].(string) >= inAnHour {
		t.Errorf("moved to now: %v", ev)
	}

	// The server deleted: its events not started are canceled.
	gone := e.announce(t, map[string]any{"server_id": s1, "type": cph.EventSystemMaintenance})
	waitFor(t, "the phones of the server to run", func() bool {
		r := do(t, "GET", e.srv.URL()+"/v1/"+e.pid+"/cloud-phone/phones?server_id="+s1, e.token, nil)
		for _, p := range r.body["phones"].([]any) {
			if p.(map[string]any)["status"] != float64(cph.PhoneRunning) {
				return false
			}
		}
		return true
	})
	if r := do(t, "DELETE", e.srv.URL()+"/v2/"+e.pid+"/cloud-phone/servers", e.token, map[string]any{"server_ids": []string{s1}}); r.status != 200 {
		t.Fatalf("delete server: %d %s", r.status, r.raw)
	}
	ev = e.waitState(t, gone, cph.EventCanceled)
	if ev["finish_time"] == nil || ev["server_state"] != nil || ev["server_name"] == "" {
		t.Errorf("canceled with its server: %v", ev)
	}
	// Ended events stay listed.
	if r := do(t, "GET", e.events()+"?state=completed,failed,canceled", e.token, nil); r.body["count"] != float64(5) {
		t.Errorf("ended events: %s", r.raw)
	}
}

// TestScheduledEventSurvivesRestart stops the control plane while an
// event executes (its restarts held by a fault rule) and starts another
// on the same data: the event is still executing, and ends completed once
// its restarts finish.
func TestScheduledEventSurvivesRestart(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	e := startEventEnv(t, "sqlite", func(c *controlplane.Config) { c.DataDir = dataDir })
	fault := createFault(t, e.srv, e.token, e.pid, map[string]any{"operation": "job:restart", "effect": "hang", "server_ids": []string{e.servers[0]}})
	id := e.announce(t, map[string]any{"server_id": e.servers[0], "type": cph.EventSystemMaintenance})
	if r := do(t, "POST", e.events()+"/"+id+"/authorize", e.token, map[string]any{"authorization_type": "maintenance", "not_before": ""}); r.status != 200 {
		t.Fatalf("authorize: %d %s", r.status, r.raw)
	}
	e.waitState(t, id, cph.EventExecuting)
	e.srv.Close()

	e2 := startEventEnv(t, "sqlite", func(c *controlplane.Config) { c.DataDir = dataDir })
	if ev := e2.event(t, id); ev["state"] != cph.EventExecuting {
		t.Errorf("after the restart: %v", ev)
	}
	if r := do(t, "DELETE", e2.srv.URL()+"/opencph/v1/"+e2.pid+"/faults/"+fault, e2.token, nil); r.status != 204 {
		t.Fatalf("delete fault: %d %s", r.status, r.raw)
	}
	e2.waitState(t, id, cph.EventCompleted)
	if n := len(e2.serverRestarts(t, e2.servers[0])); n != 3 {
		t.Errorf("%d restarts, want 3", n)
	}
}

// TestScheduledEventRunsOnceOnTwoReplicas: two control planes on one
// PostgreSQL database sweep the same events; each event restarts its
// server's phones once.
func TestScheduledEventRunsOnceOnTwoReplicas(t *testing.T) {
	t.Parallel()
	dbURL, objects := postgresURL(t), t.TempDir()
	mutate := func(c *controlplane.Config) { c.ObjectsDir = objects }
	a := startEventEnv(t, dbURL, mutate)
	b := startEventEnv(t, dbURL, mutate)
	var ids []string
	for _, s := range a.servers {
		id := a.announce(t, map[string]any{"server_id": s, "type": cph.EventSystemMaintenance})
		ids = append(ids, id)
	}
	// Both due at the same moment, for both replicas' sweeps.
	for _, id := range ids {
		nb := evTime(a.clock.Now().Add(6 * time.Minute))
		if r := do(t, "POST", a.events()+"/"+id+"/authorize", a.token, map[string]any{"authorization_type": "maintenance", "not_before": nb}); r.status != 200 {
			t.Fatalf("authorize: %d %s", r.status, r.raw)
		}
	}
	a.clock.Advance(7 * time.Minute)
	b.clock.Advance(7 * time.Minute)
	for _, id := range ids {
		b.waitState(t, id, cph.EventCompleted)
	}
	for _, s := range a.servers {
		if n := len(a.serverRestarts(t, s)); n != 3 {
			t.Errorf("server %s: %d restarts, want 3", s, n)
		}
	}
}
