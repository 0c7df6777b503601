package openapispec

import "strconv"

// eventOperations are the scheduled events: the tenant's three CPH
// operations (SDK release 0.1.215) and the operator's announcements.
func eventOperations() []operation {
	const events = v1 + "/scheduled-events"
	const admin = "/opencph/v1/admin/scheduled-events"
	state := enum("string", "inquiring", "scheduled", "executing", "completed", "failed", "canceled")
	evType := enum("string", "localdisk-recovery", "system-maintenance")
	event := obj("event_id string!; server_id string!; server_name string!; server_model_name string!; server_state int32; "+
		"type string!; authorization_type string; state string!; publish_time time!; start_time time; finish_time time; "+
		"not_before time; not_after time; not_before_deadline time!; description string!; project_id string",
		"type", evType, "state", state, "authorization_type", enum("string", "maintenance", "redeploy"))
	page := obj("request_id hex32!; count int32!; scheduled_events []object!; page_info object!",
		"scheduled_events", M{"type": "array", "items": event}, "page_info", obj("next_marker string"))
	timeQuery := func(name, desc string) param {
		return query(name, typ("time"), desc+" Inclusive; YYYY-MM-DDTHH:MM:SSZ (else 400 CPS.9011).")
	}
	filters := func(max, def int) []param {
		return ps(
			query("limit", with(typ("int32"), "minimum", 1, "maximum", max), "Page size, 1-"+strconv.Itoa(max)+", default "+strconv.Itoa(def)+" (else 400 CPS.0002)."),
			query("marker", typ("string"), "next_marker of the previous page: the page starts after that event; one that names no event is 400 CPS.9011."),
			query("event_id", typ("string"), "Only this event (an unknown id lists nothing)."),
			query("server_id", typ("string"), "Only the events of this server."),
			timeQuery("publish_since", "Lower bound of publish_time."),
			timeQuery("publish_until", "Upper bound of publish_time."),
			param{in: "query", name: "state", schema: M{"type": "array", "items": typ("string")},
				desc: "Any of these states (inquiring, scheduled, executing, completed, failed, canceled): repeat the parameter or separate values with commas; another value is 400 CPS.9011."},
			param{in: "query", name: "type", schema: M{"type": "array", "items": typ("string")},
				desc: "Any of these types (localdisk-recovery, system-maintenance), as state."},
		)
	}
	eventIDPath := path("event_id", "Scheduled event id; an unknown one (or another project's) is 404 CPS.9023.")
	notBefore := with(typ("string"), "description", "Planned start, YYYY-MM-DDTHH:MM:SSZ, more than 5 minutes from now and not after not_before_deadline; \"\" is now.")
	one := obj("request_id hex32!; scheduled_event object!", "scheduled_event", event)
	return []operation{
		cph("GET", events, "ListScheduledEvents", "servers",
			"The project's scheduled events (maintenance announced for its servers), newest publish_time first, paged by marker. "+
				"Filters combine with AND, the values of state and type with OR. count is every match; page_info is {} on the last page.",
			filters(100, 10), nil, page),
		cph("POST", events+"/{event_id}/authorize", "AuthorizeScheduledEvent", "servers",
			"Authorise an event in state inquiring (else 400 CPS.9001): it becomes scheduled and runs at not_before (now when absent or \"\"), "+
				"restarting every phone of its server. A bad authorization_type or not_before (too soon, past the deadline, or set with redeploy) is 400 CPS.9011. "+
				"No body reads as {}.",
			ps(eventIDPath), obj("authorization_type string!; not_before string", "authorization_type", enum("string", "maintenance", "redeploy"), "not_before", notBefore), requestIDOnly),
		cph("PUT", events+"/{event_id}", "UpdateScheduledEvent", "servers",
			"Move the planned start of a scheduled event (else 400 CPS.9001), under the rules of AuthorizeScheduledEvent; \"\" runs it now.",
			ps(eventIDPath), obj("not_before string!", "not_before", notBefore), requestIDOnly),
		{method: "GET", path: admin, id: "ListAllScheduledEvents", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: every project's scheduled events (operators only, else 403 CPS.0001), with project_id; " +
				"the filters and paging of ListScheduledEvents, limit up to 1000, and project_id.",
			params: append(filters(1000, 10), query("project_id", typ("string"), "Only this project's events.")), resp: page},
		{method: "POST", path: admin, id: "AnnounceScheduledEvent", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: announce a scheduled event for a server of any project (operators only); 201 with the event, in state inquiring. " +
				"not_before_deadline defaults to 7 days after now (at most 90 days), duration (a Go duration or whole seconds, 1 minute to 7 days) to 2h. " +
				"A bad field is 400 CPS.9011; an unknown server 404 CPS.0016.",
			body:   obj("server_id string!; type string!; description string; not_before_deadline string; duration string", "type", evType),
			status: 201, resp: one},
		{method: "POST", path: admin + "/{event_id}/withdraw", id: "WithdrawScheduledEvent", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: withdraw an event that has not started (operators only): it becomes canceled. " +
				"Unknown: 404 CPS.9023; executing or ended: 400 CPS.9001.",
			params: ps(path("event_id", "Scheduled event id.")), resp: one},
	}
}
