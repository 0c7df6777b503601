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
}

// MaxAuditTargets is the most target ids an audit event keeps.
const MaxAuditTargets = 100
