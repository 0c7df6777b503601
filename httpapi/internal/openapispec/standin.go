package openapispec

// standInOperations are the OpenCPH extensions for tests that use OpenCPH
// in place of CPH: simulated boot times, the wait for jobs and the
// project reset.
func standInOperations() []operation {
	const o = "/opencph/v1/{project_id}"
	const snapshots = "/opencph/v1/admin/snapshots"
	snapshot := obj("name string!; created_at time!; schema_version int32!; rows object",
		"rows", M{"type": "object", "additionalProperties": typ("int32")})
	settings := obj("request_id hex32!; sim_settings object!", "sim_settings", obj("boot_time_ms ?int64!; effective_boot_time_ms ?int64"))
	setBody := obj("boot_time_ms ?int64")
	timeout := query("timeout", typ("string"), "How long to wait at most: a duration (30s, 1m) or whole seconds; default 30s, at most 60s.")
	return []operation{
		{method: "GET", path: o + "/sim-settings", id: "ShowSimSettings", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the project's simulated-runtime settings (any user of the project). " +
				"boot_time_ms is null when the project sets none (the runtime's own --sim-boot-time applies).",
			resp: settings},
		{method: "PUT", path: o + "/sim-settings", id: "UpdateSimSettings", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: set the boot time of the project's simulated phones in milliseconds (0: instant; null clears), " +
				"for restarts and resets queued from now on (project admins only). Simulated runtime only: other runtimes' phones boot as they boot. " +
				"Out of 0..3600000: 400 CPS.9011.",
			body: setBody, resp: settings},
		{method: "GET", path: o + "/cloud-phone/phones/{phone_id}/sim-settings", id: "ShowPhoneSimSettings", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: one phone's simulated-runtime settings, with the boot time its next restart gets " +
				"(effective_boot_time_ms: its own, else its project's, null when neither is set). Malformed id: 400 CPS.0004; unknown phone: 404 CPS.0005.",
			params: ps(path("phone_id", "Phone id.")), resp: settings},
		{method: "PUT", path: o + "/cloud-phone/phones/{phone_id}/sim-settings", id: "UpdatePhoneSimSettings", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: set one phone's simulated boot time (milliseconds, null clears), which wins over its project's (project admins only).",
			params:  ps(path("phone_id", "Phone id.")), body: setBody, resp: settings},
		{method: "GET", path: o + "/jobs/wait", id: "WaitForJobs", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: wait until the job, or every job of the request, is final, then answer with them (final true); " +
				"when the timeout passes first, answer with the jobs as they are (final false). Give job_id or request_id, not both (else 400 CPS.9003). " +
				"An unknown request has no jobs: final true, count 0 at once; an unknown job is 404 CPS.9002. A bad timeout is 400 CPS.9011; " +
				"more than 16 waits of one user at once on one replica are 429 CPS.9009.",
			params: ps(query("request_id", typ("string"), "The asynchronous request whose jobs to wait for."),
				query("job_id", typ("string"), "The job to wait for."), timeout),
			resp: obj("request_id hex32!; final bool!; count int32!; jobs []@RecentJob!")},
		{method: "POST", path: o + "/reset", id: "ResetProject", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: reset the project to its initial fleet (project admins only): its final jobs, its buckets and their objects are removed " +
				"(counts in cleared), then every phone is reset to its image with the image's default properties (reset jobs of one request, " +
				"request_id and jobs as in batch-reset; a phone whose status refuses a reset carries CPS.9001). " +
				"With wait=true the answer comes once those jobs are final or the timeout passed (final, final_jobs).",
			params: ps(query("wait", typ("bool"), "Wait for the phone resets."), timeout),
			resp: obj("request_id hex32!; cleared object!; jobs []@PhoneJob!; final bool; final_jobs []@RecentJob",
				"cleared", M{"type": "object", "additionalProperties": typ("int32")})},
		{method: "GET", path: snapshots, id: "ListSnapshots", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the fleet snapshots of the installation, by name (operators only: admins of the bootstrap account; others get 403 CPS.0001).",
			resp:    obj("request_id hex32!; count int32!; snapshots []object!", "snapshots", M{"type": "array", "items": snapshot})},
		{method: "PUT", path: snapshots + "/{name}", id: "SaveSnapshot", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: save the fleet state (servers, phones, jobs, images, buckets, ...; not identity, the audit trail or the objects' files) " +
				"as snapshot name, in one transaction (operators only). A bad name is 400 CPS.9011; a name taken, without replace=true, 409 CPS.9021.",
			params: ps(path("name", "Snapshot name: 1 to 64 letters, digits, '.', '_' or '-'."), query("replace", typ("bool"), "Replace a snapshot of that name.")),
			resp:   obj("request_id hex32!; snapshot object!", "snapshot", snapshot)},
		{method: "POST", path: snapshots + "/{name}/restore", id: "RestoreSnapshot", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: replace the fleet state by the snapshot's, in one transaction, while the agents stay connected; " +
				"operations the snapshot has open go back to the queue (operators only). Unknown snapshot: 404 CPS.9020; " +
				"one taken at another schema version: 409 CPS.9022.",
			params: ps(path("name", "Snapshot name.")),
			resp:   obj("request_id hex32!; snapshot object!", "snapshot", snapshot)},
		{method: "DELETE", path: snapshots + "/{name}", id: "DeleteSnapshot", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: delete a fleet snapshot (operators only); 204. Unknown snapshot: 404 CPS.9020.",
			params:  ps(path("name", "Snapshot name.")), status: 204},
	}
}
