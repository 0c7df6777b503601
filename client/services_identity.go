package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	cph "github.com/opencph/opencph"
)

var _ cph.IdentityService = (*Services)(nil)

// identityError gives an IAM error in the Keystone shape, which carries
// no code on the wire, the code the in-process service returns: the IAM
// API's codes are IAM.0 followed by the HTTP status (IAM.0400, IAM.0401,
// IAM.0403, IAM.0404, IAM.0409, IAM.0415, IAM.0429); a 5xx is CPS.0003.
// Errors that carry a code, and errors that are not the server's, are
// returned as they are.
func identityError(err error) error {
	var e *APIError
	if !errors.As(err, &e) || e.Code != "" {
		return err
	}
	code := cph.CodeInternal
	switch {
	case e.StatusCode >= 400 && e.StatusCode < 500:
		code = fmt.Sprintf("IAM.0%d", e.StatusCode)
	case e.StatusCode < 500:
		return err
	}
	return &codedError{err: err, code: &cph.Error{Status: e.StatusCode, Code: code, Message: e.Message}}
}

// codedError is err with the code of an IAM error: errors.As finds the
// code's *cph.Error first, then err's chain (its *APIError).
type codedError struct {
	err  error
	code *cph.Error
}

func (e *codedError) Error() string   { return e.err.Error() }
func (e *codedError) Unwrap() []error { return []error{e.code, e.err} }

// tokenDoc is the token of a Keystone token answer.
type tokenDoc struct {
	ExpiresAt string    `json:"expires_at"`
	IssuedAt  string    `json:"issued_at"`
	User      scopedRef `json:"user"`
	Project   *struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Domain ref    `json:"domain"`
	} `json:"project"`
	Domain *ref  `json:"domain"`
	Roles  []ref `json:"roles"`
}

// tokenInfo converts a token answer's body.
func tokenInfo(body []byte) (*cph.TokenInfo, error) {
	var out struct {
		Token tokenDoc `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decode token response: %w", err)
	}
	t := out.Token
	info := &cph.TokenInfo{
		User:   cph.User{ID: t.User.ID, Name: t.User.Name, DomainID: t.User.Domain.ID, Enabled: true},
		Domain: cph.Domain{ID: t.User.Domain.ID, Name: t.User.Domain.Name, Enabled: true},
	}
	for _, r := range t.Roles {
		if r.Name == "te_admin" {
			info.User.IsAdmin = true
		}
	}
	if t.Project != nil {
		info.Project = &cph.Project{ID: t.Project.ID, Name: t.Project.Name, DomainID: t.Project.Domain.ID, Enabled: true}
	} else if t.Domain != nil {
		info.ScopeDomain = &cph.Domain{ID: t.Domain.ID, Name: t.Domain.Name, Enabled: true}
	}
	var err error
	if info.ExpiresAt, err = time.Parse(time.RFC3339Nano, t.ExpiresAt); err != nil {
		return nil, fmt.Errorf("token expires_at: %w", err)
	}
	if info.IssuedAt, err = time.Parse(time.RFC3339Nano, t.IssuedAt); err != nil {
		return nil, fmt.Errorf("token issued_at: %w", err)
	}
	return info, nil
}

// Login implements cph.IdentityService: POST /v3/auth/tokens with l's
// credentials and scope (l.ClientAddr is the client's own address). The
// Client's own token is neither used nor replaced.
func (s *Services) Login(ctx context.Context, l cph.PasswordLogin) (string, *cph.TokenInfo, error) {
	user := map[string]any{"password": l.Password}
	if l.UserID != "" {
		user["id"] = l.UserID
	}
	if l.UserName != "" {
		user["name"] = l.UserName
	}
	if l.DomainID != "" || l.DomainName != "" {
		user["domain"] = ref{ID: l.DomainID, Name: l.DomainName}
	}
	auth := map[string]any{"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": user}}}
	switch {
	case l.ProjectID != "" || l.ProjectName != "":
		auth["scope"] = map[string]any{"project": ref{ID: l.ProjectID, Name: l.ProjectName}}
	case l.ScopeDomainID != "" || l.ScopeDomainName != "":
		auth["scope"] = map[string]any{"domain": ref{ID: l.ScopeDomainID, Name: l.ScopeDomainName}}
	}
	body, err := json.Marshal(map[string]any{"auth": auth})
	if err != nil {
		return "", nil, fmt.Errorf("login: encode request: %w", err)
	}
	resp, data, err := s.c.send(ctx, httpRequest{Method: http.MethodPost, Path: "/v3/auth/tokens", Query: url.Values{"nocatalog": {"true"}}, Body: body})
	if err != nil {
		return "", nil, identityError(fmt.Errorf("login: %w", err))
	}
	token := resp.Header.Get("X-Subject-Token")
	if token == "" {
		return "", nil, errors.New("login: the answer has no X-Subject-Token header")
	}
	info, err := tokenInfo(data)
	if err != nil {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	return token, info, nil
}

// subjectCall sends a token call (GET or DELETE /v3/auth/tokens) on
// subject as the caller whose token is auth.
func (s *Services) subjectCall(ctx context.Context, method, auth, subject string) ([]byte, error) {
	hdr := http.Header{}
	hdr.Set("X-Auth-Token", auth)
	if subject != "" {
		hdr.Set("X-Subject-Token", subject)
	}
	_, data, err := s.c.send(ctx, httpRequest{Method: method, Path: "/v3/auth/tokens", Query: url.Values{"nocatalog": {"true"}}, Header: hdr})
	return data, err
}

// Authenticate implements cph.IdentityService: the token examines itself
// (GET /v3/auth/tokens). A token the server refuses is APIGW.0301, as in
// process.
func (s *Services) Authenticate(ctx context.Context, token string) (*cph.Principal, error) {
	if token == "" {
		return nil, cph.ErrUnauthenticated()
	}
	data, err := s.subjectCall(ctx, http.MethodGet, token, token)
	var e *APIError
	if errors.As(err, &e) && (e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusNotFound) {
		return nil, fmt.Errorf("authenticate: %w", &APIError{StatusCode: http.StatusUnauthorized, RequestID: e.RequestID,
			Code: cph.CodeUnauthorized, Message: "Incorrect IAM authentication information: " + e.Message})
	} else if err != nil {
		return nil, identityError(fmt.Errorf("authenticate: %w", err))
	}
	info, err := tokenInfo(data)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	sum := sha256.Sum256([]byte(token))
	p := &cph.Principal{User: info.User, Domain: info.Domain, TokenHash: hex.EncodeToString(sum[:]), ExpiresAt: info.ExpiresAt}
	if info.Project != nil {
		p.ProjectID = info.Project.ID
	}
	return p, nil
}

// AuthenticateSigned implements cph.IdentityService. A signed request is
// checked where it is received: over HTTP there is nothing to call, and
// it always fails (APIGW.0101).
func (s *Services) AuthenticateSigned(ctx context.Context, r *http.Request, projectID string) (cph.SignedRequest, error) {
	return nil, cph.Errorf(http.StatusNotImplemented, cph.CodeNoSuchAPI, "Signed requests are checked by the server that receives them.")
}

// ShowToken implements cph.IdentityService (GET /v3/auth/tokens).
func (s *Services) ShowToken(ctx context.Context, subject string) (*cph.TokenInfo, error) {
	tok, err := s.c.Token(ctx)
	if err != nil {
		return nil, err
	}
	data, err := s.subjectCall(ctx, http.MethodGet, tok.Value, subject)
	if err != nil {
		return nil, identityError(fmt.Errorf("show token: %w", err))
	}
	return tokenInfo(data)
}

// RevokeToken implements cph.IdentityService (DELETE /v3/auth/tokens).
func (s *Services) RevokeToken(ctx context.Context, subject string) error {
	tok, err := s.c.Token(ctx)
	if err != nil {
		return err
	}
	if _, err := s.subjectCall(ctx, http.MethodDelete, tok.Value, subject); err != nil {
		return identityError(fmt.Errorf("revoke token: %w", err))
	}
	return nil
}

func domainOf(d Domain) *cph.Domain { return &cph.Domain{ID: d.ID, Name: d.Name, Enabled: d.Enabled} }

func userOf(u User) *cph.User {
	return &cph.User{ID: u.ID, Name: u.Name, DomainID: u.DomainID, Enabled: u.Enabled, IsAdmin: u.Role == RoleAdmin}
}

func projectOf(p Project) *cph.Project {
	return &cph.Project{ID: p.ID, Name: p.Name, DomainID: p.DomainID, Enabled: p.Enabled, Description: p.Description}
}

// CreateAccount implements cph.IdentityService.
func (s *Services) CreateAccount(ctx context.Context, a cph.CreateAccountParams) (*cph.Account, error) {
	acct, err := s.c.CreateAccount(ctx, NewAccount{Domain: a.Domain, User: a.User, Password: a.Password, Project: a.Project})
	if err != nil {
		return nil, identityError(err)
	}
	out := &cph.Account{Domain: domainOf(acct.Domain), User: userOf(acct.User)}
	if acct.Project != nil {
		out.Project = projectOf(*acct.Project)
	}
	return out, nil
}

// ListDomains implements cph.IdentityService.
func (s *Services) ListDomains(ctx context.Context, f cph.DomainFilter) ([]*cph.Domain, error) {
	list, err := s.c.ListDomains(ctx)
	if err != nil {
		return nil, identityError(err)
	}
	out := []*cph.Domain{}
	for _, d := range list {
		if f.Name == "" || f.Name == d.Name {
			out = append(out, domainOf(d))
		}
	}
	return out, nil
}

// ListProjects implements cph.IdentityService.
func (s *Services) ListProjects(ctx context.Context, f cph.ProjectFilter) ([]*cph.Project, error) {
	q := url.Values{}
	for k, v := range map[string]string{"name": f.Name, "domain_id": f.DomainID, "parent_id": f.ParentID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Enabled != nil {
		q.Set("enabled", strconv.FormatBool(*f.Enabled))
	}
	if f.IsDomain {
		q.Set("is_domain", "true")
	}
	var body struct {
		Projects []Project `json:"projects"`
	}
	if _, err := s.c.Do(ctx, Request{Method: http.MethodGet, Path: "/v3/projects", Query: q, Out: &body}); err != nil {
		return nil, identityError(fmt.Errorf("list projects: %w", err))
	}
	out := make([]*cph.Project, len(body.Projects))
	for i, p := range body.Projects {
		out[i] = projectOf(p)
	}
	return out, nil
}

// ShowProject implements cph.IdentityService.
func (s *Services) ShowProject(ctx context.Context, id string) (*cph.Project, error) {
	var body struct {
		Project *Project `json:"project"`
	}
	if _, err := s.c.Do(ctx, Request{Method: http.MethodGet, Path: "/v3/projects/" + url.PathEscape(id), Out: &body}); err != nil {
		return nil, identityError(fmt.Errorf("show project %s: %w", id, err))
	}
	if body.Project == nil {
		return nil, fmt.Errorf("show project %s: the answer has no project", id)
	}
	return projectOf(*body.Project), nil
}

// CreateProject implements cph.IdentityService.
func (s *Services) CreateProject(ctx context.Context, p cph.CreateProjectParams) (*cph.Project, error) {
	proj, err := s.c.CreateProject(ctx, NewProject{Name: p.Name, DomainID: p.DomainID, Description: p.Description})
	if err != nil {
		return nil, identityError(err)
	}
	return projectOf(*proj), nil
}

// CreateUser implements cph.IdentityService.
func (s *Services) CreateUser(ctx context.Context, u cph.CreateUserParams) (*cph.User, error) {
	role := RoleReadOnly
	if u.Admin {
		role = RoleAdmin
	}
	out, err := s.c.CreateUser(ctx, NewUser{Name: u.Name, Password: u.Password, DomainID: u.DomainID, Role: role})
	if err != nil {
		return nil, identityError(err)
	}
	return userOf(*out), nil
}

// ListUsers implements cph.IdentityService.
func (s *Services) ListUsers(ctx context.Context, f cph.UserFilter) ([]*cph.User, error) {
	list, err := s.c.ListUsers(ctx, f.DomainID)
	if err != nil {
		return nil, identityError(err)
	}
	out := []*cph.User{}
	for _, u := range list {
		if f.Name == "" || f.Name == u.Name {
			out = append(out, userOf(u))
		}
	}
	return out, nil
}

// UpdateUser implements cph.IdentityService.
func (s *Services) UpdateUser(ctx context.Context, id string, u cph.UserUpdate) (*cph.User, error) {
	change := map[string]any{}
	if u.Enabled != nil {
		change["enabled"] = *u.Enabled
	}
	var body struct {
		User User `json:"user"`
	}
	if _, err := s.c.Do(ctx, Request{Method: http.MethodPatch, Path: userPath(id), In: map[string]any{"user": change}, Out: &body}); err != nil {
		return nil, identityError(fmt.Errorf("update user %s: %w", id, err))
	}
	return userOf(body.User), nil
}

// ChangePassword implements cph.IdentityService. c.ClientAddr is the
// client's own address.
func (s *Services) ChangePassword(ctx context.Context, c cph.PasswordChange) error {
	return identityError(s.c.ChangePassword(ctx, c.UserID, c.Original, c.Password))
}

// DeleteUser implements cph.IdentityService.
func (s *Services) DeleteUser(ctx context.Context, id string) error {
	return identityError(s.c.DeleteUser(ctx, id))
}

// accessKeyOf converts an access key. The answer names no account: its
// DomainID is empty.
func accessKeyOf(k *AccessKey) *cph.AccessKey {
	return &cph.AccessKey{Access: k.Access, UserID: k.UserID, Status: k.Status, Description: k.Description,
		CreatedAt: k.CreateTime, LastUsedAt: k.LastUseTime}
}

// CreateAccessKey implements cph.IdentityService.
func (s *Services) CreateAccessKey(ctx context.Context, c cph.CreateAccessKeyParams) (*cph.CreatedAccessKey, error) {
	k, err := s.c.CreateAccessKey(ctx, c.UserID, c.Description)
	if err != nil {
		return nil, identityError(err)
	}
	return &cph.CreatedAccessKey{AccessKey: *accessKeyOf(k), Secret: k.Secret}, nil
}

// ListAccessKeys implements cph.IdentityService.
func (s *Services) ListAccessKeys(ctx context.Context, f cph.AccessKeyFilter) ([]*cph.AccessKey, error) {
	list, err := s.c.ListAccessKeys(ctx, f.UserID)
	if err != nil {
		return nil, identityError(err)
	}
	out := make([]*cph.AccessKey, len(list))
	for i := range list {
		out[i] = accessKeyOf(&list[i])
	}
	return out, nil
}

// ShowAccessKey implements cph.IdentityService.
func (s *Services) ShowAccessKey(ctx context.Context, access string) (*cph.AccessKey, error) {
	k, err := s.c.ShowAccessKey(ctx, access)
	if err != nil {
		return nil, identityError(err)
	}
	return accessKeyOf(k), nil
}

// UpdateAccessKey implements cph.IdentityService.
func (s *Services) UpdateAccessKey(ctx context.Context, access string, u cph.AccessKeyUpdate) (*cph.AccessKey, error) {
	k, err := s.c.UpdateAccessKey(ctx, access, u.Status, u.Description)
	if err != nil {
		return nil, identityError(err)
	}
	return accessKeyOf(k), nil
}

// DeleteAccessKey implements cph.IdentityService.
func (s *Services) DeleteAccessKey(ctx context.Context, access string) error {
	return identityError(s.c.DeleteAccessKey(ctx, access))
}

// CreateEnrollmentToken implements cph.IdentityService.
func (s *Services) CreateEnrollmentToken(ctx context.Context, t cph.CreateEnrollmentTokenParams) (*cph.EnrollmentToken, error) {
	return s.c.CreateEnrollmentToken(ctx, NewEnrollmentToken{Description: t.Description, ExpiresAt: t.ExpiresAt})
}

// ListEnrollmentTokens implements cph.IdentityService.
func (s *Services) ListEnrollmentTokens(ctx context.Context) ([]*cph.EnrollmentToken, error) {
	list, err := s.c.ListEnrollmentTokens(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*cph.EnrollmentToken, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out, nil
}

// DeleteEnrollmentToken implements cph.IdentityService.
func (s *Services) DeleteEnrollmentToken(ctx context.Context, id string) error {
	return s.c.RevokeEnrollmentToken(ctx, id)
}

// ListAuditEvents implements cph.IdentityService. Offset and Limit are
// sent as they are, so that the server judges them.
func (s *Services) ListAuditEvents(ctx context.Context, f cph.AuditFilter) (*cph.AuditPage, error) {
	q := url.Values{"offset": {strconv.Itoa(f.Offset)}, "limit": {strconv.Itoa(f.Limit)}}
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
	var body AuditPage
	if _, err := s.c.Do(ctx, Request{Method: http.MethodGet, Path: auditEventsPath, Query: q, Out: &body}); err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	page := &cph.AuditPage{Events: make([]*cph.AuditEvent, len(body.Events)), NextMarker: body.NextMarker}
	for i, e := range body.Events {
		at, err := time.Parse(time.RFC3339Nano, e.Time)
		if err != nil {
			return nil, fmt.Errorf("list audit events: event %s time: %w", e.ID, err)
		}
		page.Events[i] = &cph.AuditEvent{ID: e.ID, At: at, DomainID: e.DomainID, ProjectID: e.ProjectID, UserID: e.UserID,
			UserName: e.UserName, Source: e.SourceIP, Operation: e.Operation, TargetIDs: e.TargetIDs, RequestID: e.RequestID,
			Status: e.Status, ErrorCode: e.ErrorCode}
	}
	return page, nil
}
