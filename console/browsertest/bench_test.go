package browsertest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// BenchmarkConsolePhonesPage compares the console's phone list, the whole
// page of HTML for a logged-in session (GET /console/phones), with the
// API's first page of the same 50 phones (ListCloudPhones, GET
// /v1/{project}/cloud-phone/phones?offset=0&limit=50), one request at a
// time over loopback HTTP, on one fleet of 100,000 phones (1,000 with
// -short). The target: the page takes at most twice the API's time.
// page=console-live is the part of the page the console's script fetches
// again on every change of the fleet.
func BenchmarkConsolePhonesPage(b *testing.B) {
	servers, perServer := bigServers, bigPerServer
	if testing.Short() {
		servers, perServer = 2, 500
	}
	srv := startBigFleet(b, servers, perServer)
	total := servers * perServer
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	b.Cleanup(hc.CloseIdleConnections)
	ctx := context.Background()

	b.Run("page=console", func(b *testing.B) {
		jar := consoleSession(b, srv, hc.Transport)
		c := &http.Client{Transport: hc.Transport, Jar: jar}
		want := fmt.Sprintf("of <span id=\"phones-total\">%s</span>", thousands(total))
		get(b, ctx, c, srv.URL()+"/console/phones", nil, want)
		b.ResetTimer()
		for b.Loop() {
			get(b, ctx, c, srv.URL()+"/console/phones", nil, "")
		}
	})

	// The live part alone, as the script re-fetches it on every change.
	b.Run("page=console-live", func(b *testing.B) {
		jar := consoleSession(b, srv, hc.Transport)
		c := &http.Client{Transport: hc.Transport, Jar: jar}
		u := srv.URL() + "/console/phones?fragment=live"
		h := http.Header{"X-Console-Live": {"1"}}
		get(b, ctx, c, u, h, fmt.Sprintf("of <span id=\"phones-total\">%s</span>", thousands(total)))
		b.ResetTimer()
		for b.Loop() {
			get(b, ctx, c, u, h, "")
		}
	})

	b.Run("page=api", func(b *testing.B) {
		cl, err := client.New(client.Config{Endpoint: srv.URL(), Domain: cptest.Domain, User: cptest.User,
			Password: cptest.Password, Project: cptest.Project})
		if err != nil {
			b.Fatal(err)
		}
		tok, err := cl.Login(ctx)
		if err != nil {
			b.Fatal(err)
		}
		u := srv.URL() + "/v1/" + tok.ProjectID + "/cloud-phone/phones?offset=0&limit=50"
		h := http.Header{"X-Auth-Token": {tok.Value}}
		get(b, ctx, hc, u, h, fmt.Sprintf(`"count":%d`, total))
		b.ResetTimer()
		for b.Loop() {
			get(b, ctx, hc, u, h, "")
		}
	})
}

// get sends one GET and reads its answer, failing b unless it is 200 and,
// if want is set, holds want.
func get(b *testing.B, ctx context.Context, c *http.Client, u string, h http.Header, want string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		b.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || (want != "" && !strings.Contains(string(body), want)) {
		b.Fatalf("GET %s: HTTP %d, %v, want %q in: %.500s", u, resp.StatusCode, err, want, body)
	}
}

// nonceField finds the login form's nonce.
var nonceField = regexp.MustCompile(`name="nonce" value="([^"]+)"`)

// consoleSession logs in to srv's console as the bootstrap user with a
// plain HTTP client, as the login form does, and returns the cookie jar
// holding the session.
func consoleSession(b *testing.B, srv *controlplane.Server, tr http.RoundTripper) http.CookieJar {
	b.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	c := &http.Client{Transport: tr, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.URL() + "/console/login")
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := nonceField.FindSubmatch(page)
	if m == nil {
		b.Fatalf("no nonce in the login page: %.500s", page)
	}
	resp, err = c.PostForm(srv.URL()+"/console/login", url.Values{"nonce": {string(m[1])}, "account": {cptest.Domain},
		"user": {cptest.User}, "password": {cptest.Password}, "project": {cptest.Project}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("console login: HTTP %d", resp.StatusCode)
	}
	return jar
}

// thousands formats n as the console does (100,000).
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
