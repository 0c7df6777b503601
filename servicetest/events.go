package servicetest

import (
	"testing"
	"time"

	cph "github.com/opencph/opencph"
)

// testEvents: the operator announces events, the tenant lists, authorises
// and moves them; refusals, isolation and the read-only user. (Their
// execution on a movable clock is tested in controlplane.)
func testEvents(t *testing.T, env *Env) {
	a, ro, o := env.Admin, env.ReadOnly, env.Other
	servers, err := a.S.ListServers(a.Ctx, cph.ServerFilter{ProjectID: env.ProjectID, Limit: 100})
	if err != nil || len(servers.Servers) == 0 {
		t.Fatalf("servers: %v", err)
	}
	srv := servers.Servers[0].ID
	ev, err := a.S.AnnounceScheduledEvent(a.Ctx, cph.AnnounceEventParams{ServerID: srv, Type: cph.EventSystemMaintenance, Description: "firmware"})
	if err != nil {
		t.Fatal(err)
	}
	if ev.State != cph.EventInquiring || ev.ServerID != srv || ev.ProjectID != env.ProjectID || len(ev.EventID) != 36 || ev.NotBeforeDeadline == nil {
		t.Errorf("announced: %+v", ev)
	}
	second, err := a.S.AnnounceScheduledEvent(a.Ctx, cph.AnnounceEventParams{ServerID: srv, Type: cph.EventLocalDiskRecovery, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	page, err := a.S.ListScheduledEvents(a.Ctx, cph.EventFilter{})
	if err != nil || page.Count != 2 || len(page.Events) != 2 || page.NextMarker != "" {
		t.Fatalf("list: %v, %+v", err, page)
	}
	if got := page.Events[0]; got.ProjectID != "" || got.ServerName == "" || got.ServerState == nil {
		t.Errorf("listed: %+v", got)
	}
	page, err = a.S.ListScheduledEvents(a.Ctx, cph.EventFilter{Page: cph.MarkerPage{Limit: 1}})
	if err != nil || len(page.Events) != 1 || page.NextMarker != page.Events[0].EventID {
		t.Fatalf("first page: %v, %+v", err, page)
	}
	rest, err := a.S.ListScheduledEvents(a.Ctx, cph.EventFilter{Page: cph.MarkerPage{Limit: 1, Marker: page.NextMarker}})
	if err != nil || len(rest.Events) != 1 || rest.NextMarker != "" || rest.Events[0].EventID == page.Events[0].EventID {
		t.Errorf("second page: %v, %+v", err, rest)
	}
	if p, err := a.S.ListScheduledEvents(a.Ctx, cph.EventFilter{Types: []string{cph.EventLocalDiskRecovery}}); err != nil || p.Count != 1 || p.Events[0].EventID != second.EventID {
		t.Errorf("by type: %v, %+v", err, p)
	}
	_, err = a.S.ListScheduledEvents(a.Ctx, cph.EventFilter{States: []string{"done"}})
	wantCode(t, "a bad state", err, cph.CodeInvalidParameter)
	_, err = a.S.ListScheduledEvents(a.Ctx, cph.EventFilter{Page: cph.MarkerPage{Marker: "nope"}})
	wantCode(t, "a bad marker", err, cph.CodeInvalidParameter)
	_, err = a.S.ListScheduledEvents(a.Ctx, cph.EventFilter{Page: cph.MarkerPage{Limit: cph.MaxEventPage + 1}})
	wantCode(t, "a bad limit", err, cph.CodeInvalidPaging)

	maintenance, redeploy := cph.AuthorizeMaintenance, cph.AuthorizeRedeploy
	soon := cph.NewTime(time.Now().Add(time.Minute)).Format(cph.TimeLayout)
	later := cph.NewTime(time.Now().Add(time.Hour)).Format(cph.TimeLayout)
	wantCode(t, "authorize without a type", a.S.AuthorizeScheduledEvent(a.Ctx, ev.EventID, cph.AuthorizeEventParams{}), cph.CodeInvalidParameter)
	wantCode(t, "authorize too soon", a.S.AuthorizeScheduledEvent(a.Ctx, ev.EventID, cph.AuthorizeEventParams{AuthorizationType: &maintenance, NotBefore: &soon}), cph.CodeInvalidParameter)
	wantCode(t, "redeploy at a time", a.S.AuthorizeScheduledEvent(a.Ctx, ev.EventID, cph.AuthorizeEventParams{AuthorizationType: &redeploy, NotBefore: &later}), cph.CodeInvalidParameter)
	wantCode(t, "authorize an unknown event", a.S.AuthorizeScheduledEvent(a.Ctx, "nope", cph.AuthorizeEventParams{AuthorizationType: &maintenance}), cph.CodeEventNotFound)
	wantCode(t, "update an inquiring event", a.S.UpdateScheduledEvent(a.Ctx, ev.EventID, &later), cph.CodeStatusNotAllowed)
	wantCode(t, "read-only authorize", ro.S.AuthorizeScheduledEvent(ro.Ctx, ev.EventID, cph.AuthorizeEventParams{AuthorizationType: &maintenance}), cph.CodeForbidden)
	wantCode(t, "read-only update", ro.S.UpdateScheduledEvent(ro.Ctx, ev.EventID, &later), cph.CodeForbidden)
	wantCode(t, "another project's event", o.S.AuthorizeScheduledEvent(o.Ctx, ev.EventID, cph.AuthorizeEventParams{AuthorizationType: &maintenance}), cph.CodeEventNotFound)
	if p, err := o.S.ListScheduledEvents(o.Ctx, cph.EventFilter{}); err != nil || p.Count != 0 || len(p.Events) != 0 {
		t.Errorf("another project's list: %v, %+v", err, p)
	}
	if p, err := ro.S.ListScheduledEvents(ro.Ctx, cph.EventFilter{}); err != nil || p.Count != 2 {
		t.Errorf("read-only list: %v, %+v", err, p)
	}
	for _, c := range []Caller{ro, o} {
		_, err := c.S.AnnounceScheduledEvent(c.Ctx, cph.AnnounceEventParams{ServerID: srv, Type: cph.EventSystemMaintenance})
		wantCode(t, "announce by a tenant", err, cph.CodeForbidden)
		_, err = c.S.WithdrawScheduledEvent(c.Ctx, ev.EventID)
		wantCode(t, "withdraw by a tenant", err, cph.CodeForbidden)
		_, err = c.S.ListAllScheduledEvents(c.Ctx, cph.EventFilter{})
		wantCode(t, "list all by a tenant", err, cph.CodeForbidden)
	}

	if err := a.S.AuthorizeScheduledEvent(a.Ctx, ev.EventID, cph.AuthorizeEventParams{AuthorizationType: &maintenance, NotBefore: &later}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "authorize twice", a.S.AuthorizeScheduledEvent(a.Ctx, ev.EventID, cph.AuthorizeEventParams{AuthorizationType: &maintenance}), cph.CodeStatusNotAllowed)
	evenLater := cph.NewTime(time.Now().Add(2 * time.Hour)).Format(cph.TimeLayout)
	if err := a.S.UpdateScheduledEvent(a.Ctx, ev.EventID, &evenLater); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "update without not_before", a.S.UpdateScheduledEvent(a.Ctx, ev.EventID, nil), cph.CodeInvalidParameter)
	p, err := a.S.ListScheduledEvents(a.Ctx, cph.EventFilter{EventID: ev.EventID})
	if err != nil || len(p.Events) != 1 {
		t.Fatalf("the event: %v", err)
	}
	if got := p.Events[0]; got.State != cph.EventScheduled || got.AuthorizationType != maintenance || got.NotBefore == nil ||
		got.NotBefore.Format(cph.TimeLayout) != evenLater || got.NotAfter.Sub(got.NotBefore.Time) != cph.DefaultEventDuration {
		t.Errorf("rescheduled: %+v", got)
	}

	// The operator lists every project's and withdraws.
	all, err := a.S.ListAllScheduledEvents(a.Ctx, cph.EventFilter{ProjectID: env.ProjectID})
	if err != nil || all.Count != 2 || all.Events[0].ProjectID != env.ProjectID {
		t.Errorf("list all: %v, %+v", err, all)
	}
	w, err := a.S.WithdrawScheduledEvent(a.Ctx, ev.EventID)
	if err != nil || w.State != cph.EventCanceled || w.FinishTime == nil {
		t.Errorf("withdraw: %v, %+v", err, w)
	}
	_, err = a.S.WithdrawScheduledEvent(a.Ctx, ev.EventID)
	wantCode(t, "withdraw twice", err, cph.CodeStatusNotAllowed)
	_, err = a.S.AnnounceScheduledEvent(a.Ctx, cph.AnnounceEventParams{ServerID: "ffffffffffffffffffffffffffffffff", Type: cph.EventSystemMaintenance})
	wantCode(t, "announce for an unknown server", err, cph.CodeInvalidServerID)
	_, err = a.S.AnnounceScheduledEvent(a.Ctx, cph.AnnounceEventParams{ServerID: srv, Type: "reboot"})
	wantCode(t, "announce a bad type", err, cph.CodeInvalidParameter)

	// A project reset removes the project's events.
	res, err := a.S.ResetProject(a.Ctx, cph.ProjectReset{})
	if err != nil || res.Cleared["scheduled_events"] != 2 {
		t.Errorf("reset: %v, %+v", err, res)
	}
	if p, err := a.S.ListScheduledEvents(a.Ctx, cph.EventFilter{}); err != nil || p.Count != 0 {
		t.Errorf("after the reset: %v, %+v", err, p)
	}
}
