package openapispec

// faults is the OpenCPH extension for fault injection (docs/faults.md).
const faults = "/opencph/v1/{project_id}/faults"

// FaultRouteOperations are the operation names of the fault-injection
// routes, which no rule may name.
var FaultRouteOperations = []string{"CreateFault", "ListFaults", "ShowFault", "DeleteFault"}

// faultSchema is a fault-injection rule as answered.
func faultSchema() M {
	return obj("fault_id hex32!; operation string!; phone_ids []string!; server_ids []string!; effect string!; "+
		"error_code string; error_msg string; status int32; delay_ms int64; count int32; remaining int32; "+
		"probability number!; applied int64!; expires_at ?time; created_at time!",
		"effect", enum("string", "fail", "hang", "delay", "http_error"))
}

// faultOperations are the routes of fault-injection rules.
func faultOperations() []operation {
	body := obj("operation string!; phone_ids []string; server_ids []string; effect string!; error_code string; error_msg string; "+
		"status int32; delay_ms int64; count int32; probability number; expires_at time",
		"effect", enum("string", "fail", "hang", "delay", "http_error"),
		"status", with(typ("int32"), "minimum", 400, "maximum", 599),
		"delay_ms", with(typ("int64"), "minimum", 0, "maximum", 3600000),
		"count", with(typ("int32"), "minimum", 1, "maximum", 1000000),
		"probability", with(typ("number"), "minimum", 0, "maximum", 1),
		"error_msg", with(typ("string"), "maxLength", 512),
		"phone_ids", with(typ("[]string"), "maxItems", 100),
		"server_ids", with(typ("[]string"), "maxItems", 100))
	return []operation{
		{method: "POST", path: faults, id: "CreateFault", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: add a fault-injection rule to the project (project admins only). operation is an API operation name " +
				"(effects delay, http_error) or job:<type> with type restart, reset, stop, update_property, expand_volume, import_traffic, " +
				"export, import, command, shell, install, uninstall or push (effects fail, hang, delay). An invalid rule is 400 CPS.9018, " +
				"more than 100 rules 409 CPS.9019.",
			body: body, status: 201, resp: faultSchema()},
		{method: "GET", path: faults, id: "ListFaults", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: the project's fault-injection rules, oldest first, with what remains of their counts (any user of the project).",
			resp:    obj("request_id hex32!; count int32!; faults []object!", "faults", M{"type": "array", "items": faultSchema()})},
		{method: "GET", path: faults + "/{fault_id}", id: "ShowFault", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: one fault-injection rule. Unknown rule: 404 CPS.9017.",
			params:  ps(path("fault_id", "Rule id.")), resp: faultSchema()},
		{method: "DELETE", path: faults + "/{fault_id}", id: "DeleteFault", tag: "opencph", fam: cphFamily, extension: true,
			summary: "OpenCPH extension: delete a fault-injection rule (project admins only); 204. The jobs a hang of it holds run at once. Unknown rule: 404 CPS.9017.",
			params:  ps(path("fault_id", "Rule id.")), status: 204},
	}
}
