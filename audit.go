package cph

import "time"

// AuditEvent is one event of the audit trail: a mutating API call or a
// login, with its outcome.
type AuditEvent struct {
	ID        string // time-ordered (UUID v7)
	At        time.Time
	DomainID  string // empty when the account is not known
	ProjectID string // empty for an account-level event
	UserID    string
	UserName  string
	Source    string // client address
	Operation string // SDK operation name
	TargetIDs []string
	RequestID string
	Status    int    // HTTP status
	ErrorCode string // empty on success
	// InjectedFaults are the fault-injection rules applied to the call
	// (docs/faults.md).
	InjectedFaults []string
}

// MaxAuditTargets is the most target ids an audit event keeps.
const MaxAuditTargets = 100

// MaxAuditPage is the largest page of audit events.
const MaxAuditPage = 100

// AuditFilter selects audit events.
type AuditFilter struct {
	// ProjectID and DomainID select a project's events and its account's
	// account-level events (those with no project). ListAuditEvents
	// sets them to the caller's.
	ProjectID, DomainID string
	Since, Until        time.Time // zero: unbounded; Until is exclusive
	User                string    // user id or name
	Operation           string
	// Result is "success" (status below 400), "failure" (400 and above)
	// or empty (both).
	Result string
	// Marker is the id of the last event of the previous page: the page
	// starts after it. Offset skips events after the marker.
	Marker        string
	Offset, Limit int
}

// AuditPage is one page of audit events, newest first.
type AuditPage struct {
	Events []*AuditEvent
	// NextMarker, when more events follow, is the Marker of the next page.
	NextMarker string
}

// AuditEventDoc is an audit event as it is shown: the items of the audit
// event list and the lines of the audit file.
type AuditEventDoc struct {
	ID        string   `json:"id"`
	Time      string   `json:"time"` // RFC 3339, UTC, microseconds
	DomainID  string   `json:"domain_id"`
	ProjectID string   `json:"project_id"`
	UserID    string   `json:"user_id"`
	UserName  string   `json:"user_name"`
	Source    string   `json:"source_ip"`
	Operation string   `json:"operation"`
	TargetIDs []string `json:"target_ids"`
	RequestID string   `json:"request_id"`
	Status    int      `json:"status"`
	ErrorCode string   `json:"error_code"`
	// InjectedFaults is set when fault-injection rules were applied to
	// the call.
	InjectedFaults []string `json:"injected_faults,omitempty"`
}

// Doc returns e as it is shown.
func (e *AuditEvent) Doc() AuditEventDoc {
	targets := e.TargetIDs
	if targets == nil {
		targets = []string{}
	}
	return AuditEventDoc{ID: e.ID, Time: e.At.UTC().Format("2006-01-02T15:04:05.000000Z"), DomainID: e.DomainID, ProjectID: e.ProjectID,
		UserID: e.UserID, UserName: e.UserName, Source: e.Source, Operation: e.Operation, TargetIDs: targets,
		RequestID: e.RequestID, Status: e.Status, ErrorCode: e.ErrorCode, InjectedFaults: e.InjectedFaults}
}
