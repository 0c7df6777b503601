package console_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/console"
	"github.com/opencph/opencph/console/consoletest"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/iam"
)

// clock is a test clock that moves only when told.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func withClock(c *clock) func(*controlplane.Config) {
	return func(cfg *controlplane.Config) { cfg.Now = c.now }
}

// tokenOf returns the IAM token the session cookie of cl carries.
func tokenOf(t *testing.T, cl *consoletest.Client) string {
	t.Helper()
	v := cl.Cookie("opencph_console")
	token, _, ok := strings.Cut(v, ".")
	if !ok {
		t.Fatalf("no session cookie (%q)", v)
	}
	return token
}

// tokenValid reports whether the API still accepts token.
func tokenValid(t *testing.T, srv *controlplane.Server, token string) bool {
	t.Helper()
	_, _, state, err := srv.IAM().Lookup(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return state == iam.TokenValid
}

func TestSessions(t *testing.T) {
	var clk clock
	srv := cptest.Start(t, withClock(&clk))
	base := srv.URL()

	t.Run("wrong password", func(t *testing.T) {
		cl := consoletest.New(t, base)
		status, page := cl.TryLogin(t, cptest.Domain, cptest.User, "wrong-password", "")
		if status != http.StatusUnauthorized || !strings.Contains(page, "IAM.0401") || cl.Cookie("opencph_console") != "" {
			t.Errorf("wrong password: status %d, session cookie %q, page %.400s", status, cl.Cookie("opencph_console"), page)
		}
	})
	t.Run("forged login form", func(t *testing.T) {
		cl := consoletest.New(t, base)
		cl.Get(t, "/console/login")
		status, _ := cl.Post(t, "/console/login", url.Values{"nonce": {"guessed"}, "account": {cptest.Domain}, "user": {cptest.User}, "password": {cptest.Password}})
		if status != http.StatusForbidden || cl.Cookie("opencph_console") != "" {
			t.Errorf("a login without the form's nonce: status %d, cookie %q", status, cl.Cookie("opencph_console"))
		}
	})
	t.Run("cookie and headers", func(t *testing.T) {
		cl := consoletest.New(t, base)
		_, page := cl.Get(t, "/console/login")
		nonce := consoletest.Field(page, "nonce")
		form := url.Values{"nonce": {nonce}, "account": {cptest.Domain}, "user": {cptest.User}, "password": {cptest.Password}}
		req, _ := http.NewRequest(http.MethodPost, base+"/console/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		u, _ := url.Parse(base + "/console/")
		for _, ck := range cl.HTTP.Jar.Cookies(u) {
			req.AddCookie(ck)
		}
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: status %d, want 303", res.StatusCode)
		}
		var session *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == "opencph_console" && ck.Value != "" {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console/" || session.Secure {
			t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/console/, not Secure over plain HTTP", session)
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("Content-Security-Policy %q allows inline scripts or styles", csp)
		}
	})
	t.Run("logout revokes the token", func(t *testing.T) {
		cl := consoletest.Login(t, base, cptest.Domain, cptest.User, cptest.Password, "")
		token := tokenOf(t, cl)
		if !tokenValid(t, srv, token) {
			t.Fatal("the session's token is not valid after login")
		}
		status, _ := cl.Action(t, "/console/logout", nil)
		if status != http.StatusOK || tokenValid(t, srv, token) {
			t.Errorf("logout: status %d, token still valid: %v", status, tokenValid(t, srv, token))
		}
		if status, page := cl.Get(t, "/console/phones"); status != http.StatusUnauthorized || !strings.Contains(page, `name="password"`) {
			t.Errorf("after logout the phones page answers %d without the login form", status)
		}
	})
	t.Run("a tampered cookie is no session", func(t *testing.T) {
		cl := consoletest.Login(t, base, cptest.Domain, cptest.User, cptest.Password, "")
		token := tokenOf(t, cl)
		// Moving the last-activity time forward needs the MAC keyed by the
		// token; without it the cookie is refused.
		forged := token + "." + "99999999999" + "." + "AAAA"
		u, _ := url.Parse(base + "/console/")
		cl.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: "opencph_console", Value: forged, Path: "/console/"}})
		if status, _ := cl.Get(t, "/console/phones"); status != http.StatusUnauthorized {
			t.Errorf("a cookie with a forged time: status %d, want 401", status)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		cl := consoletest.Login(t, base, cptest.Domain, cptest.User, cptest.Password, "")
		token := tokenOf(t, cl)
		clk.advance(20 * time.Minute)
		// Live requests do not count as activity...
		if status, _ := cl.GetLive(t, "/console/phones?fragment=live"); status != http.StatusOK {
			t.Fatalf("live fragment after 20 min: %d", status)
		}
		clk.advance(11 * time.Minute)
		status, page := cl.Get(t, "/console/phones")
		if status != http.StatusUnauthorized || !strings.Contains(page, "without activity") {
			t.Errorf("31 minutes after the last page view: status %d, page %.300s", status, page)
		}
		if tokenValid(t, srv, token) {
			t.Error("the idle session's token was not revoked")
		}
	})
	t.Run("page views keep a session alive", func(t *testing.T) {
		cl := consoletest.Login(t, base, cptest.Domain, cptest.User, cptest.Password, "")
		for range 3 {
			clk.advance(20 * time.Minute)
			if status, _ := cl.Get(t, "/console/phones"); status != http.StatusOK {
				t.Fatalf("a page view 20 minutes after the last one: status %d", status)
			}
		}
	})
}

func TestActionsNeedCSRF(t *testing.T) {
	srv := cptest.Start(t, nil)
	cl := consoletest.Login(t, srv.URL(), cptest.Domain, cptest.User, cptest.Password, "")
	_, page := cl.Get(t, "/console/phones")
	id := consoletest.Field(page, "phone")
	if id == "" {
		t.Fatalf("the phones page has no phone checkbox: %.500s", page)
	}
	form := url.Values{"action": {"stop"}, "phone": {id}}
	if status, _ := cl.Post(t, "/console/phones/batch", form); status != http.StatusForbidden {
		t.Errorf("a stop without the CSRF token: status %d, want 403", status)
	}
	form.Set("csrf", "x"+cl.CSRF)
	if status, _ := cl.Post(t, "/console/phones/batch", form); status != http.StatusForbidden {
		t.Errorf("a stop with a wrong CSRF token: status %d, want 403", status)
	}
	// A request that the browser says another site sent is refused even
	// with the token.
	form.Set("csrf", cl.CSRF)
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/console/phones/batch", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	res, err := cl.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a stop from another origin: status %d, want 403", res.StatusCode)
	}
	ctx := cph.NewCallerContext(context.Background(), adminOf(t, srv))
	d, err := srv.Services().ShowPhone(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != cph.PhoneRunning {
		t.Errorf("the refused stops changed the phone: status %v", d.Status)
	}
	// With the token the stop goes through.
	status, page := cl.Action(t, "/console/phones/batch", url.Values{"action": {"stop"}, "phone": {id}})
	if status != http.StatusOK || !strings.Contains(page, `id="batch"`) {
		t.Errorf("a stop with the CSRF token: status %d, page %.300s", status, page)
	}
}

// adminOf returns the principal of the test account's admin.
func adminOf(t *testing.T, srv *controlplane.Server) *cph.Principal {
	t.Helper()
	ctx := context.Background()
	token, _, err := srv.IAM().Login(ctx, iam.PasswordLogin{DomainName: cptest.Domain, UserName: cptest.User, Password: cptest.Password, ProjectName: cptest.Project})
	if err != nil {
		t.Fatal(err)
	}
	p, _, _, err := srv.IAM().Lookup(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestChangeStream(t *testing.T) {
	srv := cptest.Start(t, nil)
	cl := consoletest.Login(t, srv.URL(), cptest.Domain, cptest.User, cptest.Password, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/console/events", nil)
	res, err := cl.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- name
			}
		}
	}()
	next := func(what string) string {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended before %s", what)
			}
			return e
		case <-ctx.Done():
			t.Fatalf("no event for %s", what)
		}
		return ""
	}
	if e := next("the connection"); e != "change" {
		t.Fatalf("first event %q, want change", e)
	}
	// A restart made through the API shows on the stream.
	admin := adminOf(t, srv)
	page, err := srv.Services().ListPhones(cph.NewCallerContext(context.Background(), admin), cph.PhoneFilter{ProjectID: admin.ProjectID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Services().BatchPhones(cph.NewCallerContext(context.Background(), admin), cph.BatchPhonesParams{Kind: cph.OpRestartPhone,
		Phones: []cph.PhoneRef{{PhoneID: page.Phones[0].ID}}}); err != nil {
		t.Fatal(err)
	}
	if e := next("the restart"); e != "change" {
		t.Errorf("event after a restart %q, want change", e)
	}
}

func TestChangeStreamsAreBounded(t *testing.T) {
	srv := cptest.Start(t, nil)
	cl := consoletest.Login(t, srv.URL(), cptest.Domain, cptest.User, cptest.Password, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/console/events", nil)
		res, err := cl.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			res.Body.Close()
		} else {
			t.Cleanup(func() { res.Body.Close() })
		}
		return res.StatusCode
	}
	for i := range console.MaxStreamsPerUser {
		if status := open(); status != http.StatusOK {
			t.Fatalf("stream %d: status %d", i+1, status)
		}
	}
	if status := open(); status != http.StatusTooManyRequests {
		t.Errorf("stream %d of one user: status %d, want 429", console.MaxStreamsPerUser+1, status)
	}
	// A second session of the same user counts toward the same limit.
	other := consoletest.Login(t, srv.URL(), cptest.Domain, cptest.User, cptest.Password, "")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/console/events", nil)
	res, err := other.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a second session of the same user: status %d, want 429 (the limit is per user)", res.StatusCode)
	}
}

func TestOversizedForms(t *testing.T) {
	srv := cptest.Start(t, nil)
	cl := consoletest.Login(t, srv.URL(), cptest.Domain, cptest.User, cptest.Password, "")
	big := url.Values{"action": {"stop"}, "phone": {strings.Repeat("a", 2<<20)}}
	if status, page := cl.Action(t, "/console/phones/batch", big); status != http.StatusRequestEntityTooLarge || !strings.Contains(page, "too large") {
		t.Errorf("an action over the body limit: status %d, %.200s", status, page)
	}
	anon := consoletest.New(t, srv.URL())
	if status, _ := anon.Post(t, "/console/login", big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a login over the body limit: status %d, want 413", status)
	}
}
