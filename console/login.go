package console

import (
	"crypto/hmac"
	"errors"
	"net/http"
	"strconv"
	"strings"

	cph "github.com/opencph/opencph"
)

// loginForm is what the login page shows.
type loginForm struct {
	Account, User, Project string
	// Projects, when set, are the user's projects to choose among.
	Projects []*cph.Project
	Next     string
	Notice   string // why the user is here (a session that ended)
	Error    string
	Code     string
	Nonce    string
}

// loginOperation is the audit trail's operation name of a login: the
// API's, since a console login issues an IAM token like the API's.
const loginOperation = "KeystoneCreateUserTokenByPassword"

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := c.session(r); err == nil {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	c.renderLogin(w, r, http.StatusOK, loginForm{Next: r.URL.Query().Get("next")})
}

// renderLogin renders the login page with a new login nonce.
func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, f loginForm) {
	f.Nonce = newNonce()
	f.Next = safeNext(f.Next)
	http.SetCookie(w, c.cookie(r, loginCookie, f.Nonce, 600))
	c.render(w, r, nil, status, "login", "Log in", f)
}

// safeNext returns next if it is a console path, else the overview.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, Prefix+"login") || strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "//") {
		return Prefix
	}
	return next
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		c.renderServiceError(w, r, nil, err)
		return
	}
	f := loginForm{Account: strings.TrimSpace(r.PostFormValue("account")), User: strings.TrimSpace(r.PostFormValue("user")),
		Project: strings.TrimSpace(r.PostFormValue("project")), Next: r.PostFormValue("next")}
	password := r.PostFormValue("password")
	ck, err := r.Cookie(loginCookie)
	if err != nil || !sameOrigin(r) || !hmac.Equal([]byte(ck.Value), []byte(r.PostFormValue("nonce"))) {
		f.Error = "The login form has expired or did not come from this console. Please try again."
		c.renderLogin(w, r, http.StatusForbidden, f)
		return
	}
	if f.Account == "" || f.User == "" || password == "" {
		f.Error = "Enter the account, the user name and the password."
		c.renderLogin(w, r, http.StatusBadRequest, f)
		return
	}
	addr := c.cfg.ClientAddr(r)
	l := cph.PasswordLogin{DomainName: f.Account, UserName: f.User, Password: password, ClientAddr: addr}
	projectID := strings.TrimSpace(r.PostFormValue("project_id"))
	if f.Project == "" && projectID == "" {
		// Which projects may the user choose among? A login scoped to the
		// account can list them; its token is revoked at once.
		projects, err := c.projectsOf(r, l)
		if err != nil {
			c.loginFailed(w, r, f, err)
			return
		}
		switch len(projects) {
		case 0:
			f.Error = "This user's account has no enabled project to work in."
			c.renderLogin(w, r, http.StatusForbidden, f)
			return
		case 1:
			projectID = projects[0].ID
		default:
			f.Projects = projects
			f.Notice = "This account has several projects: choose one, and enter the password again."
			c.renderLogin(w, r, http.StatusOK, f)
			return
		}
	}
	if projectID != "" {
		l.ProjectID = projectID
	} else {
		l.ProjectName = f.Project
	}
	token, info, err := c.cfg.Identity.Login(r.Context(), l)
	if err != nil {
		c.loginFailed(w, r, f, err)
		return
	}
	projectID = ""
	if info.Project != nil {
		projectID = info.Project.ID
	}
	c.audit(&cph.AuditEvent{Source: addr, Operation: loginOperation, UserID: info.User.ID, UserName: info.User.Name,
		DomainID: info.Domain.ID, ProjectID: projectID, Status: http.StatusCreated}, "")
	http.SetCookie(w, c.cookie(r, loginCookie, "", -1))
	c.setSession(w, r, token, c.cfg.Now())
	http.Redirect(w, r, safeNext(f.Next), http.StatusSeeOther)
}

// projectsOf returns the enabled projects of the user l logs in as.
func (c *Console) projectsOf(r *http.Request, l cph.PasswordLogin) ([]*cph.Project, error) {
	l.ScopeDomainName = l.DomainName
	token, _, err := c.cfg.Identity.Login(r.Context(), l)
	if err != nil {
		return nil, err
	}
	p, err := c.cfg.Identity.Authenticate(r.Context(), token)
	if err != nil {
		return nil, err
	}
	ctx := cph.NewCallerContext(r.Context(), p)
	defer func() {
		if err := c.cfg.Identity.RevokeToken(ctx, token); err != nil {
			c.log.Warn("revoke the console's account-scoped login token", "err", err)
		}
	}()
	enabled := true
	return c.cfg.Identity.ListProjects(ctx, cph.ProjectFilter{Enabled: &enabled})
}

func (c *Console) loginFailed(w http.ResponseWriter, r *http.Request, f loginForm, err error) {
	e := cph.AsError(err)
	f.Code = e.Code
	status := e.Status
	c.log.Info("console login refused", "account", f.Account, "user", f.User, "code", e.Code, "err", err)
	switch e.Code {
	case cph.CodeIAMUnauthenticated:
		f.Error = "Wrong account, user name or password (or a project this user may not use)."
	case cph.CodeIAMThrottled:
		f.Error = "Too many failed logins."
		if e.RetryAfter > 0 {
			f.Error += " Try again in " + strconv.Itoa(int(e.RetryAfter.Seconds()+0.5)) + " seconds."
			w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.5)))
		}
	default:
		f.Error = plainError(err)
		var ce *cph.Error
		if !errors.As(err, &ce) {
			c.log.Error("console login", "err", err)
		}
	}
	c.audit(&cph.AuditEvent{Source: c.cfg.ClientAddr(r), Operation: loginOperation, UserName: f.User, Status: status, ErrorCode: e.Code}, f.Account)
	c.renderLogin(w, r, status, f)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.cfg.Identity.RevokeToken(s.ctx(r), s.token); err != nil {
		return err
	}
	c.clearSession(w, r)
	c.renderLogin(w, r, http.StatusOK, loginForm{Notice: "You are logged out."})
	return nil
}

// audit records e if the console has an audit trail.
func (c *Console) audit(e *cph.AuditEvent, domainName string) {
	if c.cfg.Audit != nil {
		e.ID = cph.NewOrderedID()
		c.cfg.Audit.RecordAudit(e, domainName)
	}
}
