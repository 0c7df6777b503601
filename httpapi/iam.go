package httpapi

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"os"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/aksk"
)

// iamTimeLayout is the time format of IAM bodies.
const iamTimeLayout = "2006-01-02T15:04:05.000000Z"

type idName struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type authRequest struct {
	Auth *struct {
		Identity *struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User *struct {
					ID       string  `json:"id"`
					Name     string  `json:"name"`
					Password string  `json:"password"`
					Domain   *idName `json:"domain"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope *struct {
			Project *struct {
				ID     string  `json:"id"`
				Name   string  `json:"name"`
				Domain *idName `json:"domain"`
			} `json:"project"`
			Domain *idName `json:"domain"`
		} `json:"scope"`
	} `json:"auth"`
}

func badRequest(msg string) error {
	return cph.ErrIAMBadRequest("%s", msg)
}

// createToken is POST /v3/auth/tokens.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return cph.ErrIAMMediaType()
		}
	}
	var req authRequest
	if err := decodeBody(r, &req); err != nil {
		return keystoneBodyError(err)
	}
	a := req.Auth
	if a == nil || a.Identity == nil {
		return badRequest("Missing auth.identity.")
	}
	if len(a.Identity.Methods) != 1 || a.Identity.Methods[0] != "password" {
		return badRequest("Only the password method is supported.")
	}
	if a.Identity.Password == nil || a.Identity.Password.User == nil {
		return badRequest("Missing auth.identity.password.user.")
	}
	u := a.Identity.Password.User
	login := cph.PasswordLogin{UserID: u.ID, UserName: u.Name, Password: u.Password, ClientAddr: clientAddr(r)}
	if u.Domain != nil {
		login.DomainID, login.DomainName = u.Domain.ID, u.Domain.Name
	}
	if login.UserID == "" && (login.UserName == "" || (login.DomainID == "" && login.DomainName == "")) {
		return badRequest("The user needs an id, or a name and a domain.")
	}
	if a.Scope != nil {
		if a.Scope.Project != nil && a.Scope.Domain != nil {
			return badRequest("Scope to a project or a domain, not both.")
		}
		if p := a.Scope.Project; p != nil {
			if p.ID == "" && p.Name == "" {
				return badRequest("The project scope needs an id or a name.")
			}
			login.ProjectID, login.ProjectName = p.ID, p.Name
			if p.Domain != nil {
				if (p.Domain.ID != "" && login.DomainID != "" && p.Domain.ID != login.DomainID) ||
					(p.Domain.Name != "" && login.DomainName != "" && p.Domain.Name != login.DomainName) {
					return cph.ErrIAMUnauthenticated()
				}
			}
		}
		if d := a.Scope.Domain; d != nil {
			if d.ID == "" && d.Name == "" {
				return badRequest("The domain scope needs an id or a name.")
			}
			login.ScopeDomainID, login.ScopeDomainName = d.ID, d.Name
		}
	}
	token, info, err := s.cfg.Identity.Login(r.Context(), login)
	noteLogin(r, login, info)
	if err != nil {
		return err
	}
	w.Header().Set("X-Subject-Token", token)
	writeJSON(w, http.StatusCreated, tokenBody(r, info))
	return nil
}

type tokenUser struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Domain            idName `json:"domain"`
	PasswordExpiresAt string `json:"password_expires_at"`
}

type tokenProject struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Domain idName `json:"domain"`
}

type catalogEndpoint struct {
	ID        string `json:"id"`
	Interface string `json:"interface"`
	Region    string `json:"region"`
	RegionID  string `json:"region_id"`
	URL       string `json:"url"`
}

type catalogEntry struct {
	Type      string            `json:"type"`
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Endpoints []catalogEndpoint `json:"endpoints"`
}

type tokenDoc struct {
	ExpiresAt string         `json:"expires_at"`
	IssuedAt  string         `json:"issued_at"`
	Methods   []string       `json:"methods"`
	User      tokenUser      `json:"user"`
	Project   *tokenProject  `json:"project,omitempty"`
	Domain    *idName        `json:"domain,omitempty"`
	Roles     []idName       `json:"roles"`
	Catalog   []catalogEntry `json:"catalog,omitempty"`
}

func tokenBody(r *http.Request, info *cph.TokenInfo) map[string]tokenDoc {
	d := idName{ID: info.Domain.ID, Name: info.Domain.Name}
	role := "te_admin"
	if !info.User.IsAdmin {
		role = "readonly"
	}
	doc := tokenDoc{
		ExpiresAt: info.ExpiresAt.UTC().Format(iamTimeLayout),
		IssuedAt:  info.IssuedAt.UTC().Format(iamTimeLayout),
		Methods:   []string{"password"},
		User:      tokenUser{ID: info.User.ID, Name: info.User.Name, Domain: d},
		Roles:     []idName{{ID: "0", Name: role}},
	}
	base := baseURL(r)
	if info.Project != nil {
		doc.Project = &tokenProject{ID: info.Project.ID, Name: info.Project.Name, Domain: d}
	} else if info.ScopeDomain != nil {
		doc.Domain = &idName{ID: info.ScopeDomain.ID, Name: info.ScopeDomain.Name}
	}
	if r.URL.Query().Get("nocatalog") == "" {
		doc.Catalog = []catalogEntry{{
			Type: "iam", ID: "iam", Name: "iam",
			Endpoints: []catalogEndpoint{{ID: "iam-public", Interface: "public", Region: "*", RegionID: "*", URL: base + "/v3"}},
		}}
		if info.Project != nil {
			doc.Catalog = append(doc.Catalog, catalogEntry{
				Type: "cph", ID: "cph", Name: "cph",
				Endpoints: []catalogEndpoint{{ID: "cph-public", Interface: "public", Region: info.Project.Name, RegionID: info.Project.Name,
					URL: base + "/v1/" + info.Project.ID}},
			})
		}
	}
	return map[string]tokenDoc{"token": doc}
}

// keystoneUnauthorized is the 401 of IAM token endpoints.
func keystoneUnauthorized() error {
	return cph.ErrIAMUnauthenticated()
}

// tokenCaller authenticates the caller (X-Auth-Token) of the
// GET/HEAD/DELETE token calls, which refuse a token in the Keystone shape.
func (s *Server) tokenCaller(r *http.Request) (*http.Request, error) {
	caller, err := s.cfg.Identity.Authenticate(r.Context(), r.Header.Get("X-Auth-Token"))
	if cph.ErrorCode(err) == cph.CodeUnauthorized {
		return nil, keystoneUnauthorized()
	} else if err != nil {
		return nil, err
	}
	return r.WithContext(cph.NewCallerContext(r.Context(), caller)), nil
}

// showToken is GET /v3/auth/tokens.
func (s *Server) showToken(w http.ResponseWriter, r *http.Request) error {
	r, err := s.tokenCaller(r)
	if err != nil {
		return err
	}
	subject := r.Header.Get("X-Subject-Token")
	info, err := s.cfg.Identity.ShowToken(r.Context(), subject)
	if err != nil {
		return err
	}
	w.Header().Set("X-Subject-Token", subject)
	writeJSON(w, http.StatusOK, tokenBody(r, info))
	return nil
}

// checkToken is HEAD /v3/auth/tokens.
func (s *Server) checkToken(w http.ResponseWriter, r *http.Request) error {
	r, err := s.tokenCaller(r)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Identity.ShowToken(r.Context(), r.Header.Get("X-Subject-Token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// revokeToken is DELETE /v3/auth/tokens.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	r, err := s.tokenCaller(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Identity.RevokeToken(r.Context(), r.Header.Get("X-Subject-Token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type projectDoc struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	DomainID    string            `json:"domain_id"`
	ParentID    string            `json:"parent_id"`
	Enabled     bool              `json:"enabled"`
	IsDomain    bool              `json:"is_domain"`
	Description string            `json:"description"`
	Links       map[string]string `json:"links"`
}

func projectBody(r *http.Request, p *cph.Project) projectDoc {
	return projectDoc{ID: p.ID, Name: p.Name, DomainID: p.DomainID, ParentID: p.DomainID, Enabled: p.Enabled,
		Description: p.Description, Links: map[string]string{"self": baseURL(r) + "/v3/projects/" + p.ID}}
}

// listProjects is GET /v3/projects, limited to the caller's domain.
func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) error {
	pr, err := s.authenticate(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := cph.ProjectFilter{Name: q.Get("name"), DomainID: q.Get("domain_id"), ParentID: q.Get("parent_id"), IsDomain: q.Get("is_domain") == "true"}
	if v := q.Get("enabled"); v != "" {
		f.Enabled = new(v == "true")
	}
	projects, err := s.cfg.Identity.ListProjects(callerContext(r, pr), f)
	if err != nil {
		return err
	}
	out := []projectDoc{}
	for _, p := range projects {
		out = append(out, projectBody(r, p))
	}
	self := baseURL(r) + "/v3/projects"
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"links":    map[string]any{"self": self, "previous": nil, "next": nil},
		"projects": out,
	})
	return nil
}

// showProject is GET /v3/projects/{project_id}.
func (s *Server) showProject(w http.ResponseWriter, r *http.Request) error {
	pr, err := s.authenticate(r)
	if err != nil {
		return err
	}
	p, err := s.cfg.Identity.ShowProject(callerContext(r, pr), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"project": projectBody(r, p)})
	return nil
}

// authenticate resolves the caller of a CPH or IAM management call from its
// X-Auth-Token or its access-key signature. Failures are gateway-shaped
// 401s. It never reads the body of a token request, nor of a
// signed one before its key, date and signed headers have been checked.
func (s *Server) authenticate(r *http.Request) (*cph.Principal, error) {
	p, err := s.authenticateIn(r, "")
	noteCaller(r, p)
	return p, err
}

// authenticateIn is authenticate for a call on project (empty: none);
// a signed request is checked against the project before its body is read.
func (s *Server) authenticateIn(r *http.Request, project string) (*cph.Principal, error) {
	if authz := r.Header.Get("Authorization"); aksk.IsSigned(authz) {
		return s.authenticateSigned(r, project)
	}
	p, err := s.cfg.Identity.Authenticate(r.Context(), r.Header.Get("X-Auth-Token"))
	if err != nil {
		return nil, asAuthError(err)
	}
	return p, nil
}

// withProject authenticates a CPH call and checks that the token is scoped
// to the project in the path.
func (s *Server) withProject(h func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticateIn(r, r.PathValue("project_id"))
		if err != nil {
			return err
		}
		noteCaller(r, p)
		denied := errNotAuthorized()
		pathProject := r.PathValue("project_id")
		if p.ProjectID == "" || p.ProjectID != pathProject {
			return denied
		}
		// Read-only users may call only the routes registered as changing
		// nothing (see handle); the path itself never decides.
		if !p.User.IsAdmin && !routeReadOnly(r) {
			return cph.ErrForbidden()
		}
		ctx, notes := cph.NewFaultNotesContext(cph.NewCallerContext(r.Context(), p))
		if info := infoOf(r); info != nil {
			info.faults = notes
		}
		r = r.WithContext(ctx)
		if err := s.injectCallFault(r); err != nil {
			return err
		}
		return h(w, r, p)
	}
}

// errNotAuthorized is the 403 of a call on a project the caller may not use.
func errNotAuthorized() error {
	return authError{err: cph.ErrNotAuthorized()}
}

// authenticateSigned authenticates an access-key request without holding
// its body in memory: the key, its owner, the date, the signed headers and
// the project come first, then the signature when the payload hash is
// declared (X-Sdk-Content-Sha256). The body is then hashed as it streams:
// an object upload with a declared hash is checked as the store writes it
// (a mismatch fails the upload and stores nothing); any other body whose
// hash must be known is spooled (memory up to a few KiB, the rest in a
// temporary file) and hashed before the handler sees it.
func (s *Server) authenticateSigned(r *http.Request, project string) (*cph.Principal, error) {
	sr, err := s.cfg.Identity.AuthenticateSigned(r.Context(), r, project)
	if err != nil {
		return nil, asAuthError(err)
	}
	p := sr.Principal()
	if !sr.NeedsBody() {
		return p, nil
	}
	src, replace := rawBody(r)
	if sr.SignatureChecked() && r.Method == http.MethodPut && isObjectUpload(r.URL.Path) {
		ctx := r.Context()
		replace(newHashCheck(src, func(sum []byte) error { return asAuthError(sr.VerifyBody(ctx, sum)) }), nil)
		return p, nil
	}
	sp, sum, err := spool(src, s.cfg.SpoolDir)
	if err != nil {
		var maxErr *http.MaxBytesError
		var pathErr *os.PathError
		if errors.As(err, &maxErr) || errors.As(err, &pathErr) || errors.Is(err, errSlowBody) {
			return nil, err
		}
		return nil, cph.ErrMalformedBody()
	}
	replace(sp, sp)
	if err := sr.VerifyBody(r.Context(), sum); err != nil {
		return nil, asAuthError(err)
	}
	return p, nil
}

// callerContext returns r's context carrying p as the caller.
func callerContext(r *http.Request, p *cph.Principal) context.Context {
	return cph.NewCallerContext(r.Context(), p)
}

// asAuthError marks a CPH error as an authentication failure.
func asAuthError(err error) error {
	var e *cph.Error
	if errors.As(err, &e) {
		return authError{err: e}
	}
	return err
}
