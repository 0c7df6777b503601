// Package consoletest drives the web console over HTTP for tests: a
// browser-like client with a cookie jar that logs in through the login
// form and sends every action with the page's CSRF token.
package consoletest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Client is one browser session of the console at Base.
type Client struct {
	Base string
	HTTP *http.Client
	// CSRF is the session's CSRF token, read from the last page.
	CSRF string
}

// New returns a client without a session.
func New(t testing.TB, base string) *Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Base: strings.TrimSuffix(base, "/"), HTTP: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}}
}

var (
	reNonce = regexp.MustCompile(`name="nonce" value="([^"]*)"`)
	reCSRF  = regexp.MustCompile(`data-csrf="([^"]*)"`)
)

// Login logs in through the login form; project may be empty. It fails
// the test unless the console answers with a page of the session.
func Login(t testing.TB, base, account, user, password, project string) *Client {
	t.Helper()
	c := New(t, base)
	status, body := c.TryLogin(t, account, user, password, project)
	if status != http.StatusOK || c.CSRF == "" {
		t.Fatalf("log in to the console as %s/%s: status %d, no session in %.300s", account, user, status, body)
	}
	return c
}

// TryLogin submits the login form and returns the answer (after the
// redirect of a successful login).
func (c *Client) TryLogin(t testing.TB, account, user, password, project string) (int, string) {
	t.Helper()
	_, page := c.Get(t, "/console/login")
	m := reNonce.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the login page has no nonce: %.300s", page)
	}
	return c.Post(t, "/console/login", url.Values{"nonce": {m[1]}, "account": {account}, "user": {user},
		"password": {password}, "project": {project}})
}

// Get fetches path and returns the status and body; a page of the
// session updates CSRF.
func (c *Client) Get(t testing.TB, path string) (int, string) {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil, nil)
}

// GetLive fetches path as the page's script does (it does not count as
// activity).
func (c *Client) GetLive(t testing.TB, path string) (int, string) {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil, http.Header{"X-Console-Live": {"1"}})
}

// Post submits a form to path as it is, without adding a CSRF token.
func (c *Client) Post(t testing.TB, path string, form url.Values) (int, string) {
	t.Helper()
	return c.do(t, http.MethodPost, path, form, nil)
}

// Action submits a form to path with the session's CSRF token.
func (c *Client) Action(t testing.TB, path string, form url.Values) (int, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.CSRF)
	return c.Post(t, path, form)
}

// Cookie returns the value of the console's cookie name, or "".
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.Base + "/console/")
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func (c *Client) do(t testing.TB, method, path string, form url.Values, h http.Header) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, path, err)
	}
	if m := reCSRF.FindSubmatch(b); m != nil {
		c.CSRF = string(m[1])
	}
	return res.StatusCode, string(b)
}

// Field returns the value of the first input named name in page, or "".
func Field(page, name string) string {
	m := regexp.MustCompile(fmt.Sprintf(`name="%s" value="([^"]*)"`, regexp.QuoteMeta(name))).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}
