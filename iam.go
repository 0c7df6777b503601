package cph

import "time"

// Domain is an account: the owner of users and projects.
type Domain struct {
	ID      string
	Name    string
	Enabled bool
}

// User is an IAM user of a domain.
type User struct {
	ID           string
	Name         string
	DomainID     string
	PasswordHash string
	Enabled      bool
	IsAdmin      bool
}

// Project is a tenant project of a domain; its name is a region id.
type Project struct {
	ID          string
	Name        string
	DomainID    string
	Enabled     bool
	Description string
}

// Token is an issued IAM token. Only a hash of the token string is kept.
type Token struct {
	Hash      string
	UserID    string
	DomainID  string
	ProjectID string // empty for unscoped and domain-scoped tokens
	IssuedAt  time.Time
	ExpiresAt time.Time
	Revoked   bool
}

// Principal is an authenticated caller of the API.
type Principal struct {
	User      User
	Domain    Domain
	ProjectID string // the project the credential is scoped to, if any
	TokenHash string // the token used, if token-authenticated
	AccessKey string // the access key used, if the request was signed
	ExpiresAt time.Time
}

// IdentityService is the IAM of OpenCPH: tokens, accounts, users,
// projects, access keys, enrollment tokens and the audit trail.
type IdentityService interface {
}
