package openapispec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Document returns the OpenAPI 3 document of the API as indented JSON.
func Document() ([]byte, error) {
	paths := M{}
	for _, op := range operations() {
		item, _ := paths[op.path].(M)
		if item == nil {
			item = M{}
			paths[op.path] = item
		}
		method := strings.ToLower(op.method)
		if _, dup := item[method]; dup {
			return nil, fmt.Errorf("openapispec: %s %s defined twice", op.method, op.path)
		}
		item[method] = op.doc()
	}
	doc := M{
		"openapi": "3.0.3",
		"info": M{
			"title":   "OpenCPH API",
			"version": "1",
			"description": "Huawei Cloud Cloud Phone Host (CPH) API and IAM token service as served by OpenCPH. " +
				"All 59 CPH operations of the SDK up to release 0.1.215 are described, including those a given build may not serve yet " +
				"(they answer 404 APIGW.0101 until then). Operations list the CPH SDK operation names they serve in x-cph-operations. " +
				"Errors of CPH and authentication use the envelope {error_code, error_msg, request_id}; IAM business errors use the Keystone shape.",
		},
		"tags": []any{
			M{"name": "phones"}, M{"name": "servers"}, M{"name": "storage"}, M{"name": "images"},
			M{"name": "tags"}, M{"name": "jobs"}, M{"name": "iam"}, M{"name": "opencph", "description": "OpenCPH's own routes, not part of CPH."},
			M{"name": "billing", "description": "Stand-ins of the billing service (BSS) calls made around a server's lifecycle."},
		},
		"security": []any{M{"token": []any{}}},
		"paths":    paths,
		"components": M{
			"schemas": schemas(),
			"securitySchemes": M{
				"token": M{"type": "apiKey", "in": "header", "name": "X-Auth-Token",
					"description": "An IAM token from POST /v3/auth/tokens (its X-Subject-Token header), scoped to the project in the path."},
			},
			"headers": M{
				"X-Request-Id": M{"required": true, "schema": with(typ("hex32")), "description": "Id of the call; for accepted asynchronous requests, the handle for ListJobs."},
			},
			"responses": M{
				"Error": M{"description": "Error in the CPH / API gateway envelope.", "headers": requestIDHeader(),
					"content": M{"application/json": M{"schema": ref("Error")}}},
				"IAMError": M{"description": "IAM error: the Keystone shape, or the gateway envelope for authentication failures.", "headers": requestIDHeader(),
					"content": M{"application/json": M{"schema": M{"anyOf": []any{ref("KeystoneError"), ref("Error")}}}}},
			},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openapispec: encode: %w", err)
	}
	return buf.Bytes(), nil
}

func requestIDHeader() M {
	return M{"X-Request-Id": M{"$ref": "#/components/headers/X-Request-Id"}}
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// doc returns the OpenAPI operation object of op.
func (op operation) doc() M {
	d := M{"operationId": op.id, "summary": op.summary, "tags": []any{op.tag}}
	if len(op.names) > 0 {
		names := make([]any, len(op.names))
		for i, n := range op.names {
			names[i] = n
		}
		d["x-cph-operations"] = names
	}
	if op.extension {
		d["x-opencph-extension"] = true
	}
	declared := map[string]bool{}
	var params []any
	for _, p := range op.params {
		declared[p.in+":"+p.name] = true
	}
	for _, m := range pathParam.FindAllStringSubmatch(op.path, -1) {
		if !declared["path:"+m[1]] {
			desc := ""
			if m[1] == "project_id" {
				desc = "Project id; the token must be scoped to it."
			}
			params = append(params, path(m[1], desc).doc())
		}
	}
	for _, p := range op.params {
		params = append(params, p.doc())
	}
	if len(params) > 0 {
		d["parameters"] = params
	}
	if op.body != nil {
		d["requestBody"] = M{"required": true, "content": M{"application/json": M{"schema": op.body}}}
	}
	if op.rawBody != "" {
		d["description"] = "The request body is " + op.rawBody + ": raw bytes, whatever the Content-Type header says."
	}
	if op.restOfPath != "" {
		d["x-opencph-rest-of-path"] = op.restOfPath
	}
	status := op.status
	if status == 0 {
		status = 200
	}
	success := M{"description": "Success.", "headers": requestIDHeader()}
	for k, v := range op.respHeaders {
		success["headers"].(M)[k] = v
	}
	if op.resp != nil {
		ct := op.respContent
		if ct == "" {
			ct = "application/json"
		}
		success["content"] = M{ct: M{"schema": op.resp}}
	}
	responses := M{strconv.Itoa(status): success}
	errRef := M{"$ref": "#/components/responses/Error"}
	switch op.fam {
	case publicFamily:
		d["security"] = []any{}
		responses["default"] = errRef
	case iamFamily:
		if op.method == "POST" && !op.authenticated {
			d["security"] = []any{}
		}
		iamErr := M{"$ref": "#/components/responses/IAMError"}
		if op.method == "HEAD" {
			iamErr = M{"description": "Error (no body for HEAD).", "headers": requestIDHeader()}
		}
		for _, code := range []string{"400", "401", "403", "404"} {
			responses[code] = iamErr
		}
		responses["default"] = iamErr
	default:
		for _, code := range []string{"400", "401", "403", "404", "405", "413", "429", "500"} {
			responses[code] = errRef
		}
		responses["default"] = errRef
	}
	d["responses"] = responses
	return d
}

// RouteOperations returns the operation name of every route of the
// document, keyed by "METHOD path" (the path as the document writes it,
// e.g. "GET /v1/{project_id}/cloud-phone/phones"): the SDK operation name
// of a CPH route served by one SDK operation, else the operationId (which
// names the SDK operations a route shares, such as RunAdbCommand).
func RouteOperations() map[string]string {
	out := map[string]string{}
	for _, op := range operations() {
		name := op.id
		if len(op.names) == 1 {
			name = op.names[0]
		}
		out[op.method+" "+op.path] = name
	}
	return out
}
