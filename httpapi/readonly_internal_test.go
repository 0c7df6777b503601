package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestOnlyQueryRoutesAreReadOnly audits every route of the OpenAPI
// document: a route lets read-only users through exactly when it is a GET
// or HEAD, or the one POST that only queries (listing servers by tag).
func TestOnlyQueryRoutesAreReadOnly(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	queries := map[string]bool{"POST /v1/{project_id}/{resource_type}/resource_instances/action": true}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	s := New(Config{})
	checked := 0
	for path, ops := range doc.Paths {
		for method := range ops {
			method = strings.ToUpper(method)
			switch method {
			case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH":
			default:
				continue
			}
			concrete := strings.ReplaceAll(path, "{resource_type}", "cph-server")
			concrete = param.ReplaceAllString(concrete, "x")
			h, _ := s.mux.Handler(httptest.NewRequest(method, concrete, nil))
			rt, ok := h.(*route)
			if !ok {
				continue // documented but not served
			}
			checked++
			want := method == "GET" || method == "HEAD" || queries[method+" "+path]
			if rt.readOnly != want {
				t.Errorf("%s %s: read-only %v, want %v", method, path, rt.readOnly, want)
			}
		}
	}
	if checked < 40 {
		t.Errorf("only %d routes checked", checked)
	}
}
