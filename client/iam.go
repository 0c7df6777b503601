package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Account administration and access keys (IAM). The routes follow
// Keystone v3 (/v3/domains, /v3/users, /v3/projects) and Huawei's
// OS-CREDENTIAL API (/v3.0/OS-CREDENTIAL/credentials); a user's role and
// the first user and project of POST /v3/domains are OpenCPH extensions.
// The server answers errors on these routes in the Keystone shape, so the
// *APIError has the HTTP status in StatusCode and an empty Code, except for
// authentication failures, which carry a gateway code such as APIGW.0301.

// Roles of users.
const (
	// RoleAdmin may do everything in its account: change resources,
	// create users and projects, manage every user's access keys.
	RoleAdmin = "admin"
	// RoleReadOnly may list and show but not change anything; the CPH API
	// answers its changes 403 CPS.0001. It may manage its own access keys.
	RoleReadOnly = "readonly"
)

// Statuses of access keys.
const (
	// KeyActive is the status of a key whose signatures are accepted.
	KeyActive = "active"
	// KeyInactive is the status of a disabled key: requests signed with it
	// are answered 401.
	KeyInactive = "inactive"
)

// credentialsPath is the collection of access keys.
const credentialsPath = "/v3.0/OS-CREDENTIAL/credentials"

// Domain is an IAM domain: an account, which owns users, projects and
// everything in them.
type Domain struct {
	// ID is the account id, 32 hexadecimal characters.
	ID string `json:"id"`
	// Name is the account name users log in with.
	Name string `json:"name"`
	// Enabled reports whether the account can be used.
	Enabled bool `json:"enabled"`
}

// User is an IAM user of an account.
type User struct {
	// ID is the user id, 32 hexadecimal characters.
	ID string `json:"id"`
	// Name is the user name, unique in its account.
	Name string `json:"name"`
	// DomainID is the id of the user's account.
	DomainID string `json:"domain_id"`
	// Enabled reports whether the user can log in.
	Enabled bool `json:"enabled"`
	// Role is RoleAdmin or RoleReadOnly.
	Role string `json:"role"`
}

// Account is an account created by CreateAccount: the domain, its first
// user (an admin) and, when one was asked for, its first project.
type Account struct {
	// Domain is the new account.
	Domain Domain `json:"domain"`
	// User is the account's first user, with the role RoleAdmin.
	User User `json:"user"`
	// Project is the account's first project; nil when none was asked for.
	Project *Project `json:"project,omitempty"`
}

// NewAccount describes an account to create with CreateAccount.
type NewAccount struct {
	// Domain is the account name: 1 to 64 letters, digits, '_', '.' or '-'.
	Domain string
	// User is the name of the account's first user, an admin; the server
	// defaults it to Domain when empty.
	User string
	// Password is the first user's password, at least 8 characters.
	Password string
	// Project is the name of the account's first project, a region id such
	// as "cn-north-4"; empty for no project.
	Project string
}

// NewUser describes a user to create with CreateUser.
type NewUser struct {
	// Name is the user name: 1 to 64 letters, digits, '_', '.' or '-'.
	Name string
	// Password is the user's password, at least 8 characters.
	Password string
	// DomainID is the id of the account to create the user in; empty for
	// the caller's own. Only operators may name another account.
	DomainID string
	// Role is RoleAdmin or RoleReadOnly; the server defaults it to
	// RoleReadOnly when empty.
	Role string
}

// NewProject describes a project to create with CreateProject.
type NewProject struct {
	// Name is the project name, a region id such as "cn-south-1", unique in
	// its account.
	Name string
	// DomainID is the id of the account to create the project in; empty for
	// the caller's own. Only operators may name another account.
	DomainID string
	// Description is free text, at most 255 characters.
	Description string
}

// AccessKey is a permanent access key (AK/SK) of a user, as the
// OS-CREDENTIAL API shows it. Requests signed with it (SDK-HMAC-SHA256,
// see package aksk) act as its user.
type AccessKey struct {
	// Access is the access key id (AK), which also names the key in
	// ShowAccessKey, UpdateAccessKey and DeleteAccessKey.
	Access string `json:"access"`
	// Secret is the secret key (SK). Only CreateAccessKey returns it: the
	// server never shows it again.
	Secret string `json:"secret,omitempty"`
	// Status is KeyActive or KeyInactive.
	Status string `json:"status"`
	// UserID is the id of the user the key belongs to.
	UserID string `json:"user_id"`
	// Description is free text, at most 255 characters.
	Description string `json:"description"`
	// CreateTime is when the key was created.
	CreateTime time.Time `json:"create_time"`
	// LastUseTime is when a request signed with the key was last accepted
	// (coarse-grained). Only ShowAccessKey reports it; it is zero when the
	// key was never used or the answer did not report it.
	LastUseTime time.Time `json:"last_use_time,omitzero"`
}

// UnmarshalJSON decodes a credential object of the OS-CREDENTIAL API, in
// which the times are strings and last_use_time may be empty or absent.
func (k *AccessKey) UnmarshalJSON(data []byte) error {
	var w struct {
		Access      string `json:"access"`
		Secret      string `json:"secret"`
		Status      string `json:"status"`
		UserID      string `json:"user_id"`
		Description string `json:"description"`
		CreateTime  string `json:"create_time"`
		LastUseTime string `json:"last_use_time"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*k = AccessKey{Access: w.Access, Secret: w.Secret, Status: w.Status, UserID: w.UserID, Description: w.Description}
	var err error
	if k.CreateTime, err = parseIAMTime(w.CreateTime); err != nil {
		return fmt.Errorf("credential create_time: %w", err)
	}
	if k.LastUseTime, err = parseIAMTime(w.LastUseTime); err != nil {
		return fmt.Errorf("credential last_use_time: %w", err)
	}
	return nil
}

// parseIAMTime parses an IAM time such as "2024-05-01T08:00:00.000000Z";
// an empty string is the zero time.
func parseIAMTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// CreateAccount creates an account with its first user, an admin, and
// optionally its first project (POST /v3/domains). Only operators, the
// admins of the installation's bootstrap account, may create accounts:
// others are answered 403. The server answers 400 for an invalid name,
// password or project name and 409 when the account name is taken.
func (c *Client) CreateAccount(ctx context.Context, a NewAccount) (*Account, error) {
	type named struct {
		Name string `json:"name"`
	}
	in := struct {
		Domain  named  `json:"domain"`
		User    any    `json:"user"`
		Project *named `json:"project,omitempty"`
	}{
		Domain: named{a.Domain},
		User: struct {
			Name     string `json:"name,omitempty"`
			Password string `json:"password"`
		}{a.User, a.Password},
	}
	if a.Project != "" {
		in.Project = &named{a.Project}
	}
	var out Account
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/v3/domains", In: in, Out: &out}); err != nil {
		return nil, fmt.Errorf("create account %s: %w", a.Domain, err)
	}
	if out.Domain.ID == "" || out.User.ID == "" {
		return nil, errors.New("create account " + a.Domain + ": the answer has no domain or user")
	}
	return &out, nil
}

// ListDomains returns the accounts the caller may see (GET /v3/domains):
// every account for an operator, the caller's own otherwise.
func (c *Client) ListDomains(ctx context.Context) ([]Domain, error) {
	var out struct {
		Domains []Domain `json:"domains"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v3/domains", Out: &out}); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	if out.Domains == nil {
		out.Domains = []Domain{}
	}
	return out.Domains, nil
}

// CreateUser creates a user (POST /v3/users). The caller must be an admin
// of the account (or an operator); read-only users are answered 403. The
// server answers 400 for an invalid name, a password shorter than 8
// characters or an unknown role, 404 for an unknown account and 409 when
// the name is taken in the account.
func (c *Client) CreateUser(ctx context.Context, u NewUser) (*User, error) {
	in := struct {
		User struct {
			Name     string `json:"name"`
			Password string `json:"password"`
			DomainID string `json:"domain_id,omitempty"`
			Role     string `json:"role,omitempty"`
		} `json:"user"`
	}{}
	in.User.Name, in.User.Password, in.User.DomainID, in.User.Role = u.Name, u.Password, u.DomainID, u.Role
	var out struct {
		User *User `json:"user"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/v3/users", In: in, Out: &out}); err != nil {
		return nil, fmt.Errorf("create user %s: %w", u.Name, err)
	}
	if out.User == nil || out.User.ID == "" {
		return nil, errors.New("create user " + u.Name + ": the answer has no user")
	}
	return out.User, nil
}

// ListUsers returns the users of an account (GET /v3/users): of the
// caller's own when domainID is empty. Only operators may list the users of
// another account.
func (c *Client) ListUsers(ctx context.Context, domainID string) ([]User, error) {
	var q url.Values
	if domainID != "" {
		q = url.Values{"domain_id": {domainID}}
	}
	var out struct {
		Users []User `json:"users"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v3/users", Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if out.Users == nil {
		out.Users = []User{}
	}
	return out.Users, nil
}

// CreateProject creates a project, named for a region, in an account
// (POST /v3/projects). The caller must be an admin of the account (or an
// operator). The server answers 400 for a name that is not a region id or
// a description over 255 characters, 404 for an unknown account and 409
// when the account already has a project of that name.
func (c *Client) CreateProject(ctx context.Context, p NewProject) (*Project, error) {
	in := struct {
		Project struct {
			Name        string `json:"name"`
			DomainID    string `json:"domain_id,omitempty"`
			Description string `json:"description,omitempty"`
		} `json:"project"`
	}{}
	in.Project.Name, in.Project.DomainID, in.Project.Description = p.Name, p.DomainID, p.Description
	var out struct {
		Project *Project `json:"project"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/v3/projects", In: in, Out: &out}); err != nil {
		return nil, fmt.Errorf("create project %s: %w", p.Name, err)
	}
	if out.Project == nil || out.Project.ID == "" {
		return nil, errors.New("create project " + p.Name + ": the answer has no project")
	}
	return out.Project, nil
}

// CreateAccessKey creates a permanent access key for the user userID
// (POST /v3.0/OS-CREDENTIAL/credentials) and returns it with its Secret,
// which the server never shows again. Users may create keys for
// themselves (Token(ctx).UserID is the caller's id), admins for any user
// of their account. The server answers 400 "akSkNumExceed" when the user
// already has the maximum number of keys (2 by default), 403 when the
// caller may not manage the user's keys and 404 for an unknown user.
func (c *Client) CreateAccessKey(ctx context.Context, userID, description string) (*AccessKey, error) {
	if userID == "" {
		return nil, errors.New("create access key: a user id is required")
	}
	in := struct {
		Credential struct {
			UserID      string `json:"user_id"`
			Description string `json:"description,omitempty"`
		} `json:"credential"`
	}{}
	in.Credential.UserID, in.Credential.Description = userID, description
	k, err := c.credential(ctx, http.MethodPost, credentialsPath, in)
	if err != nil {
		return nil, fmt.Errorf("create access key: %w", err)
	}
	return k, nil
}

// ListAccessKeys returns the access keys of the user userID, without their
// secrets (GET /v3.0/OS-CREDENTIAL/credentials): the caller's own when
// userID is empty. Admins may list the keys of any user of their account.
func (c *Client) ListAccessKeys(ctx context.Context, userID string) ([]AccessKey, error) {
	var q url.Values
	if userID != "" {
		q = url.Values{"user_id": {userID}}
	}
	var out struct {
		Credentials []AccessKey `json:"credentials"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: credentialsPath, Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	if out.Credentials == nil {
		out.Credentials = []AccessKey{}
	}
	return out.Credentials, nil
}

// ShowAccessKey returns one access key, without its secret but with its
// LastUseTime (GET /v3.0/OS-CREDENTIAL/credentials/{access_key}). The
// server answers 404 for a key that is not in the caller's account.
func (c *Client) ShowAccessKey(ctx context.Context, access string) (*AccessKey, error) {
	if access == "" {
		return nil, fmt.Errorf("show access key: %w", errNoAccessKey)
	}
	k, err := c.credential(ctx, http.MethodGet, credentialPath(access), nil)
	if err != nil {
		return nil, fmt.Errorf("show access key %s: %w", access, err)
	}
	return k, nil
}

// UpdateAccessKey changes the status (KeyActive or KeyInactive) and/or the
// description of an access key (PUT
// /v3.0/OS-CREDENTIAL/credentials/{access_key}); a nil argument keeps the
// current value, and at least one must be given. Requests signed with an
// inactive key are answered 401 until the key is activated again. It
// returns the updated key.
func (c *Client) UpdateAccessKey(ctx context.Context, access string, status, description *string) (*AccessKey, error) {
	if access == "" {
		return nil, fmt.Errorf("update access key: %w", errNoAccessKey)
	}
	if status == nil && description == nil {
		return nil, fmt.Errorf("update access key %s: nothing to change: give a status or a description", access)
	}
	in := struct {
		Credential struct {
			Status      *string `json:"status,omitempty"`
			Description *string `json:"description,omitempty"`
		} `json:"credential"`
	}{}
	in.Credential.Status, in.Credential.Description = status, description
	k, err := c.credential(ctx, http.MethodPut, credentialPath(access), in)
	if err != nil {
		return nil, fmt.Errorf("update access key %s: %w", access, err)
	}
	return k, nil
}

// DeleteAccessKey deletes an access key (DELETE
// /v3.0/OS-CREDENTIAL/credentials/{access_key}); requests signed with it
// are refused at once. The server answers 404 for an unknown key.
func (c *Client) DeleteAccessKey(ctx context.Context, access string) error {
	if access == "" {
		return fmt.Errorf("delete access key: %w", errNoAccessKey)
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodDelete, Path: credentialPath(access)}); err != nil {
		return fmt.Errorf("delete access key %s: %w", access, err)
	}
	return nil
}

// credentialPath is the path of one access key.
func credentialPath(access string) string {
	return credentialsPath + "/" + url.PathEscape(access)
}

// errNoAccessKey is returned for an empty access key id.
var errNoAccessKey = errors.New("an access key id is required")

// credential sends a request whose answer is {"credential": {...}}.
func (c *Client) credential(ctx context.Context, method, path string, in any) (*AccessKey, error) {
	var out struct {
		Credential *AccessKey `json:"credential"`
	}
	if _, err := c.Do(ctx, Request{Method: method, Path: path, In: in, Out: &out}); err != nil {
		return nil, err
	}
	if out.Credential == nil || out.Credential.Access == "" {
		return nil, errors.New("the answer has no credential")
	}
	return out.Credential, nil
}
