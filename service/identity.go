package service

import (
	"context"
	"net/http"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/iam"
)

var (
	_ cph.IdentityService = (*Services)(nil)
	_ cph.SignedRequest   = (*iam.SignedRequest)(nil)
)

// identityCaller returns the caller of ctx, whoever it is: identity
// methods decide themselves what each caller may do (iam's rules:
// operators, account admins, the user itself). A caller is never nil
// here, so iam never takes the call for the system's.
// Errors: APIGW.0301 (no caller).
func identityCaller(ctx context.Context) (*cph.Principal, error) {
	p, ok := cph.CallerFrom(ctx)
	if !ok {
		return nil, cph.ErrUnauthenticated()
	}
	return p, nil
}

// Login implements cph.IdentityService.
func (s *Services) Login(ctx context.Context, l cph.PasswordLogin) (string, *cph.TokenInfo, error) {
	return s.iam.Login(ctx, l)
}

// Authenticate implements cph.IdentityService.
func (s *Services) Authenticate(ctx context.Context, token string) (*cph.Principal, error) {
	if token == "" {
		return nil, cph.ErrUnauthenticated()
	}
	p, info, state, err := s.iam.Lookup(ctx, token)
	if err != nil {
		return nil, err
	}
	switch state {
	case iam.TokenExpired:
		return nil, cph.ErrBadCredential("token expires, expires_at: " + info.ExpiresAt.UTC().Format(time.RFC3339))
	case iam.TokenUnknown:
		return nil, cph.ErrBadCredential("decrypt token fail")
	}
	return p, nil
}

// AuthenticateSigned implements cph.IdentityService. Nothing here reads
// r.Body.
func (s *Services) AuthenticateSigned(ctx context.Context, r *http.Request, projectID string) (cph.SignedRequest, error) {
	sr, err := s.iam.BeginSigned(ctx, r)
	if err != nil {
		return nil, err
	}
	if projectID == "" {
		return sr, nil
	}
	// A signed request may use any enabled project of the key's account;
	// X-Project-Id, when sent, must name the same project.
	p := sr.Principal()
	if v := r.Header.Get("X-Project-Id"); v != "" && v != projectID {
		return nil, cph.ErrNotAuthorized()
	}
	proj, err := s.db.ProjectByID(ctx, projectID)
	if err != nil || proj.DomainID != p.Domain.ID || !proj.Enabled {
		return nil, cph.ErrNotAuthorized()
	}
	p.ProjectID = proj.ID
	return sr, nil
}

// subjectToken resolves the token subject that the caller examines: its
// own, or, for an admin, one of its account's users'.
func (s *Services) subjectToken(ctx context.Context, subject string) (*cph.TokenInfo, error) {
	caller, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	if subject == "" {
		return nil, cph.Ef(cph.CodeIAMBadRequest, "Missing X-Subject-Token.")
	}
	sp, info, state, err := s.iam.Lookup(ctx, subject)
	if err != nil {
		return nil, err
	}
	if state != iam.TokenValid {
		return nil, cph.Ef(cph.CodeIAMNotFound, "The token could not be found.")
	}
	if sp.User.ID != caller.User.ID && !(caller.User.IsAdmin && caller.Domain.ID == sp.Domain.ID) {
		return nil, cph.Ef(cph.CodeIAMForbidden, "You are not authorized to perform the requested action.")
	}
	return info, nil
}

// ShowToken implements cph.IdentityService.
func (s *Services) ShowToken(ctx context.Context, subject string) (*cph.TokenInfo, error) {
	return s.subjectToken(ctx, subject)
}

// RevokeToken implements cph.IdentityService.
func (s *Services) RevokeToken(ctx context.Context, subject string) error {
	if _, err := s.subjectToken(ctx, subject); err != nil {
		return err
	}
	_, err := s.iam.Revoke(ctx, subject)
	return err
}

// CreateAccount implements cph.IdentityService.
func (s *Services) CreateAccount(ctx context.Context, a cph.CreateAccountParams) (*cph.Account, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	d, u, proj, err := s.iam.CreateAccount(ctx, p, a)
	if err != nil {
		return nil, err
	}
	return &cph.Account{Domain: d, User: u, Project: proj}, nil
}

// ListDomains implements cph.IdentityService.
func (s *Services) ListDomains(ctx context.Context, f cph.DomainFilter) ([]*cph.Domain, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	own := p.Domain
	domains := []*cph.Domain{&own}
	if s.iam.IsOperator(ctx, p) {
		if domains, err = s.db.ListDomains(ctx); err != nil {
			return nil, err
		}
	}
	out := []*cph.Domain{}
	for _, d := range domains {
		if f.Name == "" || f.Name == d.Name {
			out = append(out, d)
		}
	}
	return out, nil
}

// ListProjects implements cph.IdentityService.
func (s *Services) ListProjects(ctx context.Context, f cph.ProjectFilter) ([]*cph.Project, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	projects, err := s.db.ListProjects(ctx, p.Domain.ID, f.Name)
	if err != nil {
		return nil, err
	}
	out := []*cph.Project{}
	for _, pr := range projects {
		switch {
		case f.DomainID != "" && f.DomainID != pr.DomainID,
			f.ParentID != "" && f.ParentID != pr.DomainID,
			f.Enabled != nil && *f.Enabled != pr.Enabled,
			f.IsDomain:
			continue
		}
		out = append(out, pr)
	}
	return out, nil
}

// ShowProject implements cph.IdentityService.
func (s *Services) ShowProject(ctx context.Context, id string) (*cph.Project, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	pr, err := s.db.ProjectByID(ctx, id)
	if err != nil || pr.DomainID != p.Domain.ID {
		return nil, cph.Ef(cph.CodeIAMNotFound, "Could not find project: %s.", id)
	}
	return pr, nil
}

// CreateProject implements cph.IdentityService.
func (s *Services) CreateProject(ctx context.Context, c cph.CreateProjectParams) (*cph.Project, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	if c.DomainID == "" {
		c.DomainID = p.Domain.ID
	}
	return s.iam.CreateProject(ctx, p, c.DomainID, c.Name, c.Description)
}

// CreateUser implements cph.IdentityService.
func (s *Services) CreateUser(ctx context.Context, c cph.CreateUserParams) (*cph.User, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	if c.DomainID == "" {
		c.DomainID = p.Domain.ID
	}
	return s.iam.CreateUser(ctx, p, c)
}

// ListUsers implements cph.IdentityService.
func (s *Services) ListUsers(ctx context.Context, f cph.UserFilter) ([]*cph.User, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	if f.DomainID == "" {
		f.DomainID = p.Domain.ID
	}
	users, err := s.iam.ListUsers(ctx, p, f.DomainID)
	if err != nil {
		return nil, err
	}
	out := []*cph.User{}
	for _, u := range users {
		if f.Name == "" || f.Name == u.Name {
			out = append(out, u)
		}
	}
	return out, nil
}

// UpdateUser implements cph.IdentityService.
func (s *Services) UpdateUser(ctx context.Context, id string, u cph.UserUpdate) (*cph.User, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	if u.Enabled == nil {
		return nil, cph.Ef(cph.CodeIAMBadRequest, "Only enabled can be changed here.")
	}
	return s.iam.SetUserEnabled(ctx, p, id, *u.Enabled)
}

// ChangePassword implements cph.IdentityService.
func (s *Services) ChangePassword(ctx context.Context, c cph.PasswordChange) error {
	p, err := identityCaller(ctx)
	if err != nil {
		return err
	}
	return s.iam.ChangePassword(ctx, p, c)
}

// DeleteUser implements cph.IdentityService.
func (s *Services) DeleteUser(ctx context.Context, id string) error {
	p, err := identityCaller(ctx)
	if err != nil {
		return err
	}
	return s.iam.DeleteUser(ctx, p, id)
}
