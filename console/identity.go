package console

import (
	"net/http"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
)

// identityRoutes registers the access keys and enrollment tokens pages.
func (c *Console) identityRoutes() {
	c.mux.Handle("GET /console/access-keys", c.page(c.accessKeys))
	c.mux.Handle("POST /console/access-keys", c.action(c.createAccessKey))
	c.mux.Handle("POST /console/access-keys/{ak}/status", c.action(c.accessKeyStatus))
	c.mux.Handle("POST /console/access-keys/{ak}/delete", c.action(c.deleteAccessKey))

	c.mux.Handle("GET /console/enrollment-tokens", c.page(c.enrollmentTokens))
	c.mux.Handle("POST /console/enrollment-tokens", c.action(c.createEnrollmentToken))
	c.mux.Handle("POST /console/enrollment-tokens/{id}/delete", c.action(c.deleteEnrollmentToken))
}

// accessKeyRow is an access key as the page shows it.
type accessKeyRow struct{ *cph.AccessKey }

// Active reports whether the key signs requests.
func (k accessKeyRow) Active() bool { return k.Status == cph.KeyActive }

// Created is when the key was created.
func (k accessKeyRow) Created() string { return when(k.CreatedAt) }

// LastUsed says when the key last signed a request.
func (k accessKeyRow) LastUsed() string { return since(k.LastUsedAt) }

type accessKeysPage struct {
	Keys []accessKeyRow
	// Created is the key just created, with its secret: shown this once.
	Created *cph.CreatedAccessKey
}

func (c *Console) accessKeys(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderAccessKeys(w, r, s, nil, "", nil)
}

// renderAccessKeys renders the caller's access keys, with the key just
// created, a message or a refusal in plain words.
func (c *Console) renderAccessKeys(w http.ResponseWriter, r *http.Request, s *session, created *cph.CreatedAccessKey, flash string, failure error) error {
	keys, err := c.cfg.Identity.ListAccessKeys(s.ctx(r), cph.AccessKeyFilter{})
	if err != nil {
		return err
	}
	d := accessKeysPage{Created: created}
	for _, k := range keys {
		d.Keys = append(d.Keys, accessKeyRow{k})
	}
	v := view{Title: "Access keys", Session: s, Nav: "keys", Path: r.URL.RequestURI(), Data: d, Flash: flash, FlashOK: flash != ""}
	status := http.StatusOK
	if failure != nil {
		v.Flash, v.FlashCode, v.FlashOK = accessKeyError(failure), cph.ErrorCode(failure), false
		status = cph.AsError(failure).Status
	}
	// renderView answers with Cache-Control: no-store: the page with a new
	// secret is kept by no cache.
	c.renderView(w, r, status, "access_keys", v)
	return nil
}

// accessKeyError says in plain words why IAM refused a change of access
// keys.
func accessKeyError(err error) string {
	if e := cph.AsError(err); e.Code == cph.CodeIAMBadRequest && e.Message == "akSkNumExceed" {
		return "You have as many access keys as a user may have: delete one you no longer use first."
	}
	return plainError(err)
}

// createAccessKey creates an access key of the caller and shows its
// secret, this once.
func (c *Console) createAccessKey(w http.ResponseWriter, r *http.Request, s *session) error {
	desc := strings.TrimSpace(r.PostFormValue("description"))
	k, err := c.cfg.Identity.CreateAccessKey(s.ctx(r), cph.CreateAccessKeyParams{UserID: s.caller.User.ID, Description: desc})
	target := []string{s.caller.User.ID}
	if k != nil {
		target = []string{k.Access}
	}
	c.auditAction(r, s, "CreateCredential", target, "", err)
	if err != nil {
		return c.renderAccessKeys(w, r, s, nil, "", err)
	}
	return c.renderAccessKeys(w, r, s, k, "", nil)
}

// maxAccessKeyID bounds the access key ID of a path (IAM's are 20
// characters).
const maxAccessKeyID = 64

// accessKeyID returns the access key ID of the request's path, or
// refuses it as IAM refuses an unknown key.
func accessKeyID(r *http.Request) (string, error) {
	ak := r.PathValue("ak")
	if ak == "" || len(ak) > maxAccessKeyID {
		return "", cph.ErrIAMNotFound("access key", "")
	}
	return ak, nil
}

// accessKeyStatus enables or disables an access key.
func (c *Console) accessKeyStatus(w http.ResponseWriter, r *http.Request, s *session) error {
	ak, err := accessKeyID(r)
	if err != nil {
		return err
	}
	status := r.PostFormValue("status")
	_, err = c.cfg.Identity.UpdateAccessKey(s.ctx(r), ak, cph.AccessKeyUpdate{Status: &status})
	c.auditAction(r, s, "UpdateCredential", []string{ak}, "", err)
	if err != nil {
		return c.renderAccessKeys(w, r, s, nil, "", err)
	}
	msg := "The access key " + ak + " is disabled: requests it signs are refused."
	if status == cph.KeyActive {
		msg = "The access key " + ak + " is enabled."
	}
	return c.renderAccessKeys(w, r, s, nil, msg, nil)
}

// deleteAccessKey deletes an access key.
func (c *Console) deleteAccessKey(w http.ResponseWriter, r *http.Request, s *session) error {
	ak, err := accessKeyID(r)
	if err != nil {
		return err
	}
	err = c.cfg.Identity.DeleteAccessKey(s.ctx(r), ak)
	c.auditAction(r, s, "DeleteCredential", []string{ak}, "", err)
	if err != nil {
		return c.renderAccessKeys(w, r, s, nil, "", err)
	}
	return c.renderAccessKeys(w, r, s, nil, "The access key "+ak+" is deleted.", nil)
}

// enrollmentTTLs are the lifetimes the form offers for a new enrollment
// token, by form value.
var enrollmentTTLs = []struct {
	Value string
	Name  string
	ttl   time.Duration
}{
	{"", "never expires", 0},
	{"1h", "1 hour", time.Hour},
	{"24h", "1 day", 24 * time.Hour},
	{"168h", "7 days", 7 * 24 * time.Hour},
	{"720h", "30 days", 30 * 24 * time.Hour},
	{"2160h", "90 days", 90 * 24 * time.Hour},
}

// tokenRow is an enrollment token as the page shows it.
type tokenRow struct {
	*cph.EnrollmentToken
	now time.Time
}

// Expires says when the token expires.
func (t tokenRow) Expires() string {
	if t.ExpiresAt.IsZero() {
		return "never"
	}
	return when(t.ExpiresAt.Time)
}

// Expired reports whether the token no longer enrolls servers.
func (t tokenRow) Expired() bool { return !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(t.now) }

// LastUsed says when the token last enrolled a server.
func (t tokenRow) LastUsed() string { return since(t.LastUsedAt.Time) }

type enrollmentPage struct {
	Tokens []tokenRow
	// Refused is why the list cannot be shown (the service's refusal of
	// a user who is not an admin), Code its code.
	Refused   string
	Code      string
	Max       int
	MaxDesc   int
	TTLs      any
	Created   *cph.EnrollmentToken
	CanManage bool
}

func (c *Console) enrollmentTokens(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderEnrollmentTokens(w, r, s, nil, "", nil)
}

// renderEnrollmentTokens renders the project's enrollment tokens, with
// the token just created, a message or a refusal in plain words. A
// caller the service does not let list them sees why, on the page.
func (c *Console) renderEnrollmentTokens(w http.ResponseWriter, r *http.Request, s *session, created *cph.EnrollmentToken, flash string, failure error) error {
	d := enrollmentPage{Max: cph.MaxEnrollmentTokens, MaxDesc: cph.MaxEnrollmentTokenDescription, TTLs: enrollmentTTLs, Created: created}
	status := http.StatusOK
	list, err := c.cfg.Identity.ListEnrollmentTokens(s.ctx(r))
	switch {
	case cph.ErrorCode(err) == cph.CodeForbidden:
		d.Refused = "Only the project's admins may see and manage enrollment tokens."
		d.Code = cph.CodeForbidden
		status = http.StatusForbidden
	case err != nil:
		return err
	default:
		d.CanManage = s.CanWrite()
		now := c.cfg.Now()
		for _, t := range list {
			d.Tokens = append(d.Tokens, tokenRow{t, now})
		}
	}
	v := view{Title: "Enrollment tokens", Session: s, Nav: "enrollment", Path: r.URL.RequestURI(), Data: d, Flash: flash, FlashOK: flash != ""}
	if failure != nil {
		v.Flash, v.FlashCode, v.FlashOK = plainError(failure), cph.ErrorCode(failure), false
		status = cph.AsError(failure).Status
	}
	c.renderView(w, r, status, "enrollment_tokens", v)
	return nil
}

// createEnrollmentToken creates an enrollment token of the project and
// shows its secret, this once.
func (c *Console) createEnrollmentToken(w http.ResponseWriter, r *http.Request, s *session) error {
	p := cph.CreateEnrollmentTokenParams{Description: strings.TrimSpace(r.PostFormValue("description"))}
	ttl := r.PostFormValue("expires_in")
	found := false
	for _, o := range enrollmentTTLs {
		if o.Value == ttl {
			found = true
			if o.ttl > 0 {
				p.ExpiresAt = c.cfg.Now().Add(o.ttl)
			}
		}
	}
	if !found {
		return c.renderEnrollmentTokens(w, r, s, nil, "", userParamError("expires_at", "Choose how long the token stays valid from the list."))
	}
	t, err := c.cfg.Identity.CreateEnrollmentToken(s.ctx(r), p)
	var target []string
	if t != nil {
		target = []string{t.ID}
	}
	c.auditAction(r, s, "CreateEnrollmentToken", target, "", err)
	if err != nil {
		return c.renderEnrollmentTokens(w, r, s, nil, "", err)
	}
	return c.renderEnrollmentTokens(w, r, s, t, "", nil)
}

// deleteEnrollmentToken revokes an enrollment token.
func (c *Console) deleteEnrollmentToken(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	if !cph.ValidID(id) {
		return cph.ErrEnrollmentTokenNotFound()
	}
	err := c.cfg.Identity.DeleteEnrollmentToken(s.ctx(r), id)
	c.auditAction(r, s, "RevokeEnrollmentToken", []string{id}, "", err)
	if err != nil {
		return c.renderEnrollmentTokens(w, r, s, nil, "", err)
	}
	return c.renderEnrollmentTokens(w, r, s, nil, "The enrollment token "+id+" is revoked: it enrolls no more servers.", nil)
}

// userParamError is a form's refusal by the console, as the services
// refuse a bad parameter (CPS.9011), in plain words.
func userParamError(field, msg string) error {
	e := cph.ErrInvalidParameter(field)
	e.Message = msg
	return e
}
