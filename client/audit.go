package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// auditEventsPath is the OpenCPH extension for a project's audit trail.
const auditEventsPath = "/opencph/v1/{project_id}/audit-events"

// AuditEvent is one event of the audit trail: a mutating call or a login.
type AuditEvent struct {
	ID        string   `json:"id"`
	Time      string   `json:"time"` // RFC 3339, UTC
	DomainID  string   `json:"domain_id"`
	ProjectID string   `json:"project_id"` // empty for an account-level event
	UserID    string   `json:"user_id"`
	UserName  string   `json:"user_name"`
	SourceIP  string   `json:"source_ip"`
	Operation string   `json:"operation"`
	TargetIDs []string `json:"target_ids"`
	RequestID string   `json:"request_id"`
	Status    int      `json:"status"`
	ErrorCode string   `json:"error_code"`
	// InjectedFaults are the fault-injection rules applied to the call.
	InjectedFaults []string `json:"injected_faults,omitempty"`
}

// AuditFilter selects audit events; zero fields select all.
type AuditFilter struct {
	Since, Until time.Time
	User         string // id or name
	Operation    string // e.g. RestartCloudPhone
	Result       string // "success", "failure" or empty
	Marker       string // NextMarker of the previous page
	Offset       int
	Limit        int // 1-100; 0: 100
}

// AuditPage is one page of audit events, newest first.
type AuditPage struct {
	Events []AuditEvent `json:"audit_events"`
	// NextMarker, when set, is the Marker of the next page.
	NextMarker string `json:"next_marker,omitempty"`
}

// ListAuditEvents returns a page of the project's audit trail (project
// admins only: 403 CPS.0001 otherwise).
func (c *Client) ListAuditEvents(ctx context.Context, f AuditFilter) (*AuditPage, error) {
	q := url.Values{}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	for k, v := range map[string]string{"user": f.User, "operation": f.Operation, "result": f.Result, "marker": f.Marker} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Offset > 0 {
		q.Set("offset", strconv.Itoa(f.Offset))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out AuditPage
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: auditEventsPath, Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return &out, nil
}
