package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestRoutesCarryTheirOperationNames checks that every route of the
// OpenAPI document that is served carries the document's operation name:
// the SDK's name for a route of one SDK operation, else the operationId.
func TestRoutesCarryTheirOperationNames(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]struct {
			ID    string   `json:"operationId"`
			Names []string `json:"x-cph-operations"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	s := New(Config{})
	checked := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			method = strings.ToUpper(method)
			// The tag routes are served once per resource type.
			for _, rt := range tagResourceTypes {
				concrete := param.ReplaceAllString(strings.ReplaceAll(path, "{resource_type}", rt), "x")
				h, _ := s.mux.Handler(httptest.NewRequest(method, concrete, nil))
				rt, ok := h.(*route)
				if !ok {
					continue // documented but not served (or /metrics, off here)
				}
				checked++
				want := op.ID
				if len(op.Names) == 1 {
					want = op.Names[0]
				}
				if rt.operation != want {
					t.Errorf("%s %s: operation %q, want %q", method, concrete, rt.operation, want)
				}
			}
		}
	}
	if checked < 60 {
		t.Errorf("only %d routes checked", checked)
	}
	h, _ := s.mux.Handler(httptest.NewRequest("POST", "/agent/v1/poll", nil))
	if rt := h.(*route); rt.operation != "AgentPoll" {
		t.Errorf("agent poll: operation %q", rt.operation)
	}
}

// TestAccessLogOf4xxIsInfo checks that a refused request is logged at
// info with its operation (unknown for a path no route serves).
func TestAccessLogOf4xxIsInfo(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := New(Config{Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/no/such/route", nil))
	var rec map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" {
			rec = m
		}
	}
	if rec == nil {
		t.Fatalf("no access-log record at info for a 404; log:\n%s", buf.String())
	}
	if rec["level"] != "INFO" || rec["status"] != float64(404) || rec["operation"] != "unknown" {
		t.Errorf("access log = %v", rec)
	}
}
