package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/opencph/opencph"
)

// Account administration. These follow Keystone v3's shapes; the "role"
// of a user ("admin" or "readonly") and the account's first user and
// project in POST /v3/domains are OpenCPH extensions.

type userDoc struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	DomainID          string            `json:"domain_id"`
	Enabled           bool              `json:"enabled"`
	Role              string            `json:"role"`
	PasswordExpiresAt *string           `json:"password_expires_at"`
	Links             map[string]string `json:"links"`
}

func userBody(r *http.Request, u *cph.User) userDoc {
	role := "readonly"
	if u.IsAdmin {
		role = "admin"
	}
	return userDoc{ID: u.ID, Name: u.Name, DomainID: u.DomainID, Enabled: u.Enabled, Role: role,
		Links: map[string]string{"self": baseURL(r) + "/v3/users/" + u.ID}}
}

type domainDoc struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Enabled bool              `json:"enabled"`
	Links   map[string]string `json:"links"`
}

func domainBody(r *http.Request, d *cph.Domain) domainDoc {
	return domainDoc{ID: d.ID, Name: d.Name, Enabled: d.Enabled, Links: map[string]string{"self": baseURL(r) + "/v3/domains/" + d.ID}}
}

// createDomain is POST /v3/domains: an operator creates an account with
// its first admin user and, optionally, a project.
func (s *Server) createDomain(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req struct {
		Domain  *struct{ Name string } `json:"domain"`
		User    *struct{ Name, Password string }
		Project *struct{ Name string }
	}
	if err := decodeBody(r, &req); err != nil {
		return keystoneBodyError(err)
	}
	if req.Domain == nil || req.User == nil {
		return badRequest("The body needs domain.name and user.password (user.name defaults to the domain name).")
	}
	a := cph.CreateAccountParams{Domain: req.Domain.Name, User: req.User.Name, Password: req.User.Password}
	if req.Project != nil {
		a.Project = req.Project.Name
	}
	acct, err := s.cfg.Identity.CreateAccount(callerContext(r, p), a)
	if err != nil {
		return err
	}
	out := map[string]any{"domain": domainBody(r, acct.Domain), "user": userBody(r, acct.User)}
	if acct.Project != nil {
		out["project"] = projectBody(r, acct.Project)
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// listDomains is GET /v3/domains: every account for an operator, the
// caller's own otherwise.
func (s *Server) listDomains(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	domains, err := s.cfg.Identity.ListDomains(callerContext(r, p), cph.DomainFilter{Name: r.URL.Query().Get("name")})
	if err != nil {
		return err
	}
	out := []domainDoc{}
	for _, d := range domains {
		out = append(out, domainBody(r, d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"domains": out})
	return nil
}

// createUser is POST /v3/users.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req struct {
		User *struct {
			Name     string `json:"name"`
			Password string `json:"password"`
			DomainID string `json:"domain_id"`
			Role     string `json:"role"`
		} `json:"user"`
	}
	if err := decodeBody(r, &req); err != nil {
		return keystoneBodyError(err)
	}
	if req.User == nil {
		return badRequest("The body needs a user object.")
	}
	var admin bool
	switch req.User.Role {
	case "", "readonly":
	case "admin":
		admin = true
	default:
		return badRequest("user.role must be admin or readonly.")
	}
	u, err := s.cfg.Identity.CreateUser(callerContext(r, p), cph.CreateUserParams{DomainID: req.User.DomainID,
		Name: req.User.Name, Password: req.User.Password, Admin: admin})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": userBody(r, u)})
	return nil
}

// listUsers is GET /v3/users[?domain_id=].
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	users, err := s.cfg.Identity.ListUsers(callerContext(r, p), cph.UserFilter{DomainID: q.Get("domain_id"), Name: q.Get("name")})
	if err != nil {
		return err
	}
	out := []userDoc{}
	for _, u := range users {
		out = append(out, userBody(r, u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// createProject is POST /v3/projects.
func (s *Server) createProject(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req struct {
		Project *struct {
			Name        string `json:"name"`
			DomainID    string `json:"domain_id"`
			Description string `json:"description"`
		} `json:"project"`
	}
	if err := decodeBody(r, &req); err != nil {
		return keystoneBodyError(err)
	}
	if req.Project == nil {
		return badRequest("The body needs a project object.")
	}
	proj, err := s.cfg.Identity.CreateProject(callerContext(r, p), cph.CreateProjectParams{DomainID: req.Project.DomainID,
		Name: req.Project.Name, Description: req.Project.Description})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"project": projectBody(r, proj)})
	return nil
}

// changePassword is PUT (or POST, as Keystone has it)
// /v3/users/{user_id}/password with {"user":{"original_password","password"}}:
// users change their own password (giving the original), admins set
// their account's users' passwords. 204; the user's tokens are revoked.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req struct {
		User *struct {
			OriginalPassword string `json:"original_password"`
			Password         string `json:"password"`
		} `json:"user"`
	}
	if err := decodeBody(r, &req); err != nil || req.User == nil {
		return badRequest("The body needs a user object with password (and original_password for your own).")
	}
	err = s.cfg.Identity.ChangePassword(callerContext(r, p), cph.PasswordChange{UserID: r.PathValue("user_id"),
		Original: req.User.OriginalPassword, Password: req.User.Password, ClientAddr: clientAddr(r)})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// updateUser is PATCH /v3/users/{user_id} with {"user":{"enabled":bool}}
// (admins of the user's account). Disabling revokes the user's tokens.
// Passwords change through /v3/users/{user_id}/password.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req struct {
		User map[string]json.RawMessage `json:"user"`
	}
	if err := decodeBody(r, &req); err != nil || req.User == nil {
		return badRequest("The body needs a user object.")
	}
	var enabled bool
	raw, ok := req.User["enabled"]
	if !ok || len(req.User) != 1 || string(raw) == "null" || json.Unmarshal(raw, &enabled) != nil {
		return badRequest("The body must be {\"user\":{\"enabled\":true|false}}: only enabled can be changed here (passwords through /v3/users/{user_id}/password).")
	}
	u, err := s.cfg.Identity.UpdateUser(callerContext(r, p), r.PathValue("user_id"), cph.UserUpdate{Enabled: &enabled})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userBody(r, u)})
	return nil
}

// deleteUser is DELETE /v3/users/{user_id} (admins of the user's
// account): the user, its tokens and its access keys go. 204.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Identity.DeleteUser(callerContext(r, p), r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
