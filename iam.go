package cph

import (
	"context"
	"net/http"
	"time"
)

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

// PasswordLogin is a password authentication request.
type PasswordLogin struct {
	UserID     string // the user by id, or
	UserName   string // the user by name, in the domain given by
	DomainID   string // id or
	DomainName string // name
	Password   string

	// Scope: a project by id, or by name (in the user's domain); or a
	// domain by id or name; or nothing (unscoped).
	ProjectID       string
	ProjectName     string
	ScopeDomainID   string
	ScopeDomainName string

	// ClientAddr is the caller's network address, for throttling.
	ClientAddr string
}

// TokenInfo describes an issued token.
type TokenInfo struct {
	User        User
	Domain      Domain
	Project     *Project // project-scoped tokens
	ScopeDomain *Domain  // domain-scoped tokens
	IssuedAt    time.Time
	ExpiresAt   time.Time
}

// SignedRequest is a request signed with an access key (SDK-HMAC-SHA256)
// whose key, owner, date, signed headers and project are checked, and,
// when the payload hash is declared, its signature; the body may remain
// to be checked (NeedsBody, VerifyBody).
type SignedRequest interface {
	// Principal is the key's owner, scoped to the project of the call.
	// The request is authenticated once NeedsBody is false or
	// VerifyBody succeeded.
	Principal() *Principal
	// SignatureChecked reports whether the signature is verified
	// already, so that only the body's hash remains to compare.
	SignatureChecked() bool
	// NeedsBody reports whether VerifyBody must still be called with
	// the SHA-256 of the body.
	NeedsBody() bool
	// VerifyBody finishes authentication with the SHA-256 of the body
	// received. Errors: APIGW.0301.
	VerifyBody(ctx context.Context, sum []byte) error
}

// Access key statuses.
const (
	KeyActive   = "active"
	KeyInactive = "inactive"
)

// AccessKey is a permanent access key (AK/SK) of a user.
type AccessKey struct {
	Access      string
	UserID      string
	DomainID    string
	SecretEnc   string // the encrypted secret key, as the store keeps it
	Status      string // KeyActive or KeyInactive
	Description string
	CreatedAt   time.Time
	LastUsedAt  time.Time // zero if never used
}

// CreatedAccessKey is a new access key with its secret, shown once.
type CreatedAccessKey struct {
	AccessKey
	Secret string
}

// EnrollmentTokenPrefix starts every project enrollment token, so that
// secret scanners and people can tell what it is.
const EnrollmentTokenPrefix = "cphe_"

// Account is a new account: its domain, first user and, if one was
// asked for, first project.
type Account struct {
	Domain  *Domain
	User    *User
	Project *Project // nil when none was created
}

// CreateAccountParams describes an account to create with its first
// (admin) user and, optionally, its first project.
type CreateAccountParams struct {
	Domain   string
	User     string // defaults to Domain
	Password string
	Project  string // optional region name
}

// DomainFilter selects accounts; zero fields do not filter.
type DomainFilter struct {
	Name string // exact
}

// CreateUserParams describes a user to create.
type CreateUserParams struct {
	DomainID string // empty: the caller's account
	Name     string
	Password string
	// Admin users may change their project's resources; the others may
	// only read them.
	Admin bool
}

// UserFilter selects users; zero fields do not filter.
type UserFilter struct {
	DomainID string // empty: the caller's account
	Name     string // exact
}

// UserUpdate changes a user; nil fields keep their value.
type UserUpdate struct {
	Enabled *bool
}

// PasswordChange is a change of a user's password.
type PasswordChange struct {
	UserID string
	// Original is the current password. Users changing their own password
	// must give it; admins setting another user's password need not.
	Original string
	Password string
	// ClientAddr is the caller's network address: checks of Original are
	// throttled like logins.
	ClientAddr string
}

// CreateProjectParams describes a project to create.
type CreateProjectParams struct {
	DomainID    string // empty: the caller's account
	Name        string // a region id such as cn-north-4
	Description string
}

// ProjectFilter selects projects of the caller's account; zero fields do
// not filter.
type ProjectFilter struct {
	Name     string // exact
	DomainID string // exact
	ParentID string // exact (a project's parent is its account)
	Enabled  *bool
	// IsDomain true selects nothing: no project is an account.
	IsDomain bool
}

// CreateAccessKeyParams describes an access key to create.
type CreateAccessKeyParams struct {
	UserID      string
	Description string
}

// AccessKeyFilter selects access keys.
type AccessKeyFilter struct {
	UserID string // empty: the caller's own
}

// AccessKeyUpdate changes an access key; nil fields keep their value.
type AccessKeyUpdate struct {
	Status      *string // KeyActive or KeyInactive
	Description *string
}

// CreateEnrollmentTokenParams describes an enrollment token to create.
type CreateEnrollmentTokenParams struct {
	Description string
	ExpiresAt   time.Time // zero: never expires
}

// IdentityService is the IAM of OpenCPH: tokens, accounts, users,
// projects, access keys, enrollment tokens and the audit trail.
//
// Login and the two Authenticate methods take no caller: they make one.
// Every other method acts for the caller in the context and decides
// itself what the caller may do: an operator (an admin of the account
// created at bootstrap) administers every account, an account's admins
// their own account, every user its own password and access keys.
// Without a caller they fail with APIGW.0301.
type IdentityService interface {
	// Login checks a password and issues a token, returned with its
	// description. Wrong credentials of any kind give the same error.
	// Errors: IAM.0401 (wrong credentials, a scope the user may not
	// use), IAM.0429 (too many failed logins: RetryAfter says when to
	// try again, and the password is not checked).
	Login(ctx context.Context, l PasswordLogin) (string, *TokenInfo, error)
	// Authenticate resolves a token to its caller.
	// Errors: APIGW.0301 (no token, an unknown, revoked or expired
	// token, a disabled user or account).
	Authenticate(ctx context.Context, token string) (*Principal, error)
	// AuthenticateSigned checks a request signed with an access key
	// without reading its body: the key (active, owner and account
	// enabled), the date, the signed headers and, when projectID is not
	// empty, the project of the call (an enabled project of the key's
	// account, and the one X-Project-Id names if it is sent). The caller
	// finishes with the body's hash if NeedsBody.
	// Errors: APIGW.0301 (a key, date or signature refused), APIGW.0302
	// (a project the key may not use).
	AuthenticateSigned(ctx context.Context, r *http.Request, projectID string) (SignedRequest, error)

	// ShowToken describes the token subject: the caller's own, or, for
	// an admin, one of its account's users.
	// Errors: IAM.0400 (no subject), IAM.0404 (an unknown, revoked or
	// expired subject), IAM.0403 (another user's token).
	ShowToken(ctx context.Context, subject string) (*TokenInfo, error)
	// RevokeToken revokes the token subject, as ShowToken may show it.
	// Errors: those of ShowToken.
	RevokeToken(ctx context.Context, subject string) error

	// CreateAccount creates an account with its first (admin) user and,
	// optionally, a project. Operators only.
	// Errors: IAM.0403 (not an operator), IAM.0400 (a name or password
	// refused), IAM.0409 (the account exists).
	CreateAccount(ctx context.Context, a CreateAccountParams) (*Account, error)
	// ListDomains lists every account to an operator, the caller's own
	// to anyone else.
	// Errors: APIGW.0301 (no caller).
	ListDomains(ctx context.Context, f DomainFilter) ([]*Domain, error)

	// ListProjects lists the projects of the caller's account.
	// Errors: APIGW.0301 (no caller).
	ListProjects(ctx context.Context, f ProjectFilter) ([]*Project, error)
	// ShowProject returns a project of the caller's account.
	// Errors: IAM.0404 (no such project in the account).
	ShowProject(ctx context.Context, id string) (*Project, error)
	// CreateProject creates a project (named for a region) in an account
	// the caller administers.
	// Errors: IAM.0403, IAM.0400 (a name or description refused),
	// IAM.0404 (no such account), IAM.0409 (the project exists).
	CreateProject(ctx context.Context, p CreateProjectParams) (*Project, error)

	// CreateUser creates a user in an account the caller administers.
	// Errors: IAM.0403, IAM.0400 (a name or password refused), IAM.0404
	// (no such account), IAM.0409 (the user exists).
	CreateUser(ctx context.Context, u CreateUserParams) (*User, error)
	// ListUsers lists the users of the caller's account (an operator's:
	// any account).
	// Errors: IAM.0403 (another account).
	ListUsers(ctx context.Context, f UserFilter) ([]*User, error)
	// UpdateUser enables or disables a user (admins of its account). A
	// disabled user's tokens are revoked at once.
	// Errors: IAM.0400 (nothing to change), IAM.0403, IAM.0404 (no such
	// user in the account), IAM.0409 (the account's last enabled admin).
	UpdateUser(ctx context.Context, id string, u UserUpdate) (*User, error)
	// ChangePassword sets a user's password and revokes its tokens: its
	// own (giving the original), or, for an admin, any of its account's
	// users'.
	// Errors: IAM.0400 (a password refused, a wrong original), IAM.0403,
	// IAM.0404, IAM.0429 (too many wrong originals).
	ChangePassword(ctx context.Context, c PasswordChange) error
	// DeleteUser deletes a user with its tokens and access keys (admins
	// of its account).
	// Errors: IAM.0403, IAM.0404, IAM.0409 (the account's last enabled
	// admin).
	DeleteUser(ctx context.Context, id string) error

	// CreateAccessKey creates an access key of the caller or, for an
	// admin, of a user of its account. The secret is in the answer only.
	// Errors: IAM.0400 (a description refused, too many keys:
	// "akSkNumExceed"), IAM.0403, IAM.0404 (no such user in the account).
	CreateAccessKey(ctx context.Context, k CreateAccessKeyParams) (*CreatedAccessKey, error)
	// ListAccessKeys lists a user's access keys, without secrets.
	// Errors: IAM.0403, IAM.0404.
	ListAccessKeys(ctx context.Context, f AccessKeyFilter) ([]*AccessKey, error)
	// ShowAccessKey returns an access key the caller may manage.
	// Errors: IAM.0403, IAM.0404 (no such key in the account).
	ShowAccessKey(ctx context.Context, access string) (*AccessKey, error)
	// UpdateAccessKey changes an access key's status or description.
	// Errors: IAM.0400 (a status or description refused), IAM.0403,
	// IAM.0404.
	UpdateAccessKey(ctx context.Context, access string, u AccessKeyUpdate) (*AccessKey, error)
	// DeleteAccessKey deletes an access key: its signatures stop
	// verifying at once.
	// Errors: IAM.0403, IAM.0404.
	DeleteAccessKey(ctx context.Context, access string) error

	// CreateEnrollmentToken creates an enrollment token of the caller's
	// project; the answer's Token is the secret, shown only this once.
	// Project admins only.
	// Errors: APIGW.0302, CPS.0001 (not an admin), CPS.9011 (a
	// description or expiry refused), CPS.9010 (the project holds
	// MaxEnrollmentTokens).
	CreateEnrollmentToken(ctx context.Context, t CreateEnrollmentTokenParams) (*EnrollmentToken, error)
	// ListEnrollmentTokens lists the caller's project's enrollment
	// tokens, oldest first, without secrets. Project admins only.
	// Errors: APIGW.0302, CPS.0001.
	ListEnrollmentTokens(ctx context.Context) ([]*EnrollmentToken, error)
	// DeleteEnrollmentToken revokes an enrollment token of the caller's
	// project: it enrolls no more servers. Project admins only.
	// Errors: APIGW.0302, CPS.0001, CPS.9014 (no such token).
	DeleteEnrollmentToken(ctx context.Context, id string) error

	// ListAuditEvents returns a page of the audit trail of the caller's
	// project and of its account's account-level events. Project admins
	// only.
	// Errors: APIGW.0302, CPS.0001, CPS.0002 (offset < 0, limit outside
	// 1..MaxAuditPage), CPS.9011 (a result other than success or
	// failure, text that is too long or not valid).
	ListAuditEvents(ctx context.Context, f AuditFilter) (*AuditPage, error)
}
