package cph

// EnrollmentToken is a project's agent enrollment token, as the OpenCPH
// extension /opencph/v1/{project_id}/enrollment-tokens shows it. A
// cph-agent that presents the token enrolls a new server into that
// project, and into no other.
type EnrollmentToken struct {
	ID          string `json:"id"`
	ProjectID   string `json:"project_id"`
	Description string `json:"description"`
	CreatedBy   string `json:"created_by"` // user id
	CreatedAt   Time   `json:"created_at"`
	ExpiresAt   Time   `json:"expires_at"`   // null: never expires
	LastUsedAt  Time   `json:"last_used_at"` // null: never used
	// Token is the secret. Only the answer to the creation carries it;
	// the control plane keeps its SHA-256 hash alone.
	Token string `json:"token,omitempty"`
}

// Limits of enrollment tokens.
const (
	// MaxEnrollmentTokens is the most enrollment tokens one project holds.
	MaxEnrollmentTokens = 20
	// MaxEnrollmentTokenDescription is the longest description, in bytes.
	MaxEnrollmentTokenDescription = 255
)
