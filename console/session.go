package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
)

// Cookies of the console. Both are HttpOnly, SameSite=Strict, limited to
// the console's path, and Secure when the client came over HTTPS.
const (
	// sessionCookie carries the session: the IAM token, the time of the
	// last page view or action, and a MAC of that time keyed by the token
	// (so that the time cannot be moved without the token).
	sessionCookie = "opencph_console"
	// loginCookie carries the random value the login form must send back
	// (a login cannot be forged by another site).
	loginCookie = "opencph_console_login"
	// csrfField is the form field (and csrfHeader the header, for the
	// script's requests) that carries an action's CSRF token.
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
	// liveHeader marks the script's background requests, which do not
	// count as activity for the idle timeout.
	liveHeader = "X-Console-Live"
	// touchEvery is how stale the session's time may get before a page
	// view writes it again.
	touchEvery = time.Minute
)

// session is an authenticated console session.
type session struct {
	token    string
	caller   *cph.Principal
	lastSeen time.Time
	csrf     string
	// version is the version of the fleet's phones and jobs before the
	// request read anything (0 if unknown): the page's change stream
	// waits for a later one, so no change between the reads and the
	// stream is missed.
	version uint64
}

// CanWrite reports whether the session's user may act (see
// cph.Principal.CanWrite); templates hide action controls otherwise.
func (s *session) CanWrite() bool { return s.caller.CanWrite() }

// mac returns the base64url HMAC-SHA256 of msg keyed by the token.
func mac(token, msg string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfToken is the CSRF token of the session with token: only a page of
// the console, which the session's browser read, knows it.
func csrfToken(token string) string { return mac(token, "csrf") }

func sessionValue(token string, lastSeen time.Time) string {
	ts := strconv.FormatInt(lastSeen.Unix(), 10)
	return token + "." + ts + "." + mac(token, "seen|"+ts)
}

// parseSession splits a session cookie into token and time; ok is false
// for a malformed value or a MAC that does not match.
func parseSession(v string) (token string, lastSeen time.Time, ok bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || len(parts[0]) == 0 || len(parts[0]) > 512 {
		return "", time.Time{}, false
	}
	sec, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !hmac.Equal([]byte(parts[2]), []byte(mac(parts[0], "seen|"+parts[1]))) {
		return "", time.Time{}, false
	}
	return parts[0], time.Unix(sec, 0), true
}

func (c *Console) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.cfg.IsHTTPS(r), MaxAge: maxAge}
}

func (c *Console) setSession(w http.ResponseWriter, r *http.Request, token string, at time.Time) {
	http.SetCookie(w, c.cookie(r, sessionCookie, sessionValue(token, at), 0))
}

func (c *Console) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, c.cookie(r, sessionCookie, "", -1))
}

// errNoSession says why a request has no session: the login page shows
// the reason.
type errNoSession struct{ reason string }

func (e errNoSession) Error() string { return e.reason }

// session returns the request's session, or an errNoSession. A session
// idle for longer than the idle timeout is over: its token is revoked.
func (c *Console) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoSession{}
	}
	token, seen, ok := parseSession(ck.Value)
	if !ok {
		return nil, errNoSession{"Your session is not valid any more. Please log in again."}
	}
	now := c.cfg.Now()
	if now.Sub(seen) > c.cfg.IdleTimeout {
		if p, err := c.cfg.Identity.Authenticate(r.Context(), token); err == nil {
			ctx := cph.NewCallerContext(r.Context(), p)
			if err := c.cfg.Identity.RevokeToken(ctx, token); err != nil {
				c.log.Warn("revoke an idle console session's token", "err", err)
			}
		}
		return nil, errNoSession{"Your session ended after " + c.cfg.IdleTimeout.String() + " without activity. Please log in again."}
	}
	p, err := c.cfg.Identity.Authenticate(r.Context(), token)
	if err != nil {
		if cph.ErrorCode(err) == cph.CodeUnauthorized {
			return nil, errNoSession{"Your session has ended (logged out, expired or revoked). Please log in again."}
		}
		return nil, err
	}
	if p.ProjectID == "" {
		return nil, errNoSession{"Your session has no project. Please log in again."}
	}
	return &session{token: token, caller: p, lastSeen: seen, csrf: csrfToken(token)}, nil
}

// touch writes the session's time again after a page view or an action,
// unless it is recent.
func (c *Console) touch(w http.ResponseWriter, r *http.Request, s *session) {
	if now := c.cfg.Now(); now.Sub(s.lastSeen) >= touchEvery {
		c.setSession(w, r, s.token, now)
	}
}

// authenticated runs h with the request's session; without one, a page
// view goes to the login page, and anything else is answered 401.
func (c *Console) authenticated(h handler, touch bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.session(r)
		var none errNoSession
		switch {
		case errors.As(err, &none):
			c.clearSession(w, r)
			if r.Method == http.MethodGet && r.Header.Get(liveHeader) == "" {
				c.renderLogin(w, r, http.StatusUnauthorized, loginForm{Notice: none.reason, Next: r.URL.RequestURI()})
				return
			}
			c.renderError(w, r, nil, http.StatusUnauthorized, "You are not logged in.", "")
			return
		case err != nil:
			c.renderError(w, r, nil, http.StatusInternalServerError, "The console could not check your session.", cph.ErrorCode(err))
			c.log.Error("console session", "err", err)
			return
		}
		if touch && r.Header.Get(liveHeader) == "" {
			c.touch(w, r, s)
			if ch, err := c.cfg.Changes.CurrentChange(s.ctx(r)); err == nil && ch.Live {
				s.version = ch.Version
			}
		}
		if err := h(w, r, s); err != nil {
			c.renderServiceError(w, r, s, err)
		}
	})
}

// page serves a page view (it counts as activity).
func (c *Console) page(h handler) http.Handler { return c.authenticated(h, true) }

// live serves a background request of the script (it does not count as
// activity): the change stream, screenshots.
func (c *Console) live(h handler) http.Handler { return c.authenticated(h, false) }

// action serves a POST that changes something: it must carry the
// session's CSRF token, in the form or in a header, and must not come
// from another site.
func (c *Console) action(h handler) http.Handler {
	return c.authenticated(func(w http.ResponseWriter, r *http.Request, s *session) error {
		if err := parseForm(r); err != nil {
			return err
		}
		if !sameOrigin(r) || !validCSRF(r, s.csrf) {
			c.renderError(w, r, s, http.StatusForbidden, "The request was refused: it did not come from a page of this console (its CSRF token is missing or wrong). Reload the page and try again.", "")
			return nil
		}
		return h(w, r, s)
	}, true)
}

// parseForm reads the form of r, refusing a body over the request body
// limit (413) or one that is not a form (400) in plain words.
func parseForm(r *http.Request) error {
	err := r.ParseForm()
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooLarge):
		return userError{http.StatusRequestEntityTooLarge, "The form is too large."}
	default:
		return userError{http.StatusBadRequest, "The form could not be read."}
	}
}

// validCSRF reports whether r carries want as its CSRF token.
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && hmac.Equal([]byte(got), []byte(want))
}

// sameOrigin refuses requests that the browser says another site made.
// Browsers that send neither header are judged by the CSRF token alone.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		host := strings.TrimPrefix(strings.TrimPrefix(o, "https://"), "http://")
		return host == r.Host
	}
	return true
}

// newNonce returns a random value for the login form.
func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Caller is the session's caller (for the pages' header).
func (s *session) Caller() *cph.Principal { return s.caller }
