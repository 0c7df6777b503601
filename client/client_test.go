package client

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// The tests below run against a real control plane (cphd started in
// process by cptest.Start): 2 simulated servers of 3 phones each, account
// cptest.Domain / cptest.User / cptest.Password, project cptest.Project.

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// loginCounter is a FileTokenCache that counts the tokens stored in it:
// the client stores every token it obtains by logging in, so the count is
// the number of logins the client made.
type loginCounter struct {
	FileTokenCache
	stores atomic.Int32
}

func (lc *loginCounter) Store(key string, t *Token) error {
	lc.stores.Add(1)
	return lc.FileTokenCache.Store(key, t)
}

func (lc *loginCounter) logins() int { return int(lc.stores.Load()) }

// startClient starts a control plane and returns it with a client for
// its bootstrap account.
func startClient(t *testing.T) (*controlplane.Server, *Client) {
	t.Helper()
	srv := cptest.Start(t, nil)
	return srv, newTestClient(t, srv, cptest.Password, nil)
}

// newTestClient returns a client of srv for the bootstrap account, with
// cache as its token cache.
func newTestClient(tb testing.TB, srv *controlplane.Server, password string, cache TokenCache) *Client {
	tb.Helper()
	c, err := New(Config{
		Endpoint:   srv.URL() + "/",
		Domain:     cptest.Domain,
		User:       cptest.User,
		Password:   password,
		Project:    cptest.Project,
		TokenCache: cache,
		HTTPClient: cptest.HTTPClient(tb),
	})
	if err != nil {
		tb.Fatal(err)
	}
	// Close the client's connections before the server shuts down: a
	// connection dialled but never used would hold up the shutdown.
	tb.Cleanup(c.http.CloseIdleConnections)
	return c
}

// revoke revokes token on srv (DELETE /v3/auth/tokens, the token revoking
// itself).
func revoke(t *testing.T, srv *controlplane.Server, token string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, srv.URL()+"/v3/auth/tokens", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("X-Subject-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke token: HTTP %d, want 204", resp.StatusCode)
	}
}

// allPhones returns the phones of the project, failing the test if there
// are not the 6 of a test control plane.
func allPhones(t *testing.T, c *Client) []cph.Phone {
	t.Helper()
	list, err := c.ListAllPhones(context.Background(), ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Phones) != 6 {
		t.Fatalf("%d phones, want 6", len(list.Phones))
	}
	return list.Phones
}

// phoneIDs returns the ids of phones.
func phoneIDs(phones []cph.Phone) []string {
	var ids []string
	for _, p := range phones {
		ids = append(ids, p.ID)
	}
	return ids
}

// waitJobs waits (up to 20 s) for the jobs of requestID.
func waitJobs(t *testing.T, c *Client, requestID string) []cph.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	jobs, err := c.WaitJobs(ctx, requestID, WaitOptions{Interval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// phoneStatus returns the status of a phone.
func phoneStatus(t *testing.T, c *Client, id string) cph.PhoneStatus {
	t.Helper()
	d, err := c.ShowPhone(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Status
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{},
		{Endpoint: "127.0.0.1:8080", Domain: "d", Project: "p"},
		{Endpoint: "ftp://host", Domain: "d", Project: "p"},
		{Endpoint: "http://host?x=1", Domain: "d", Project: "p"},
		{Endpoint: "http://host", Project: "p"},
		{Endpoint: "http://host", Domain: "d"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
	c, err := New(Config{Endpoint: "http://host:1/", Domain: "acme", Project: "cn-north-4"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.user, "acme"; got != want {
		t.Errorf("user = %q, want %q (the domain)", got, want)
	}
	if got, want := c.Endpoint(), "http://host:1"; got != want {
		t.Errorf("Endpoint() = %q, want %q", got, want)
	}
}

func TestLoginRequestAndCache(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	dir := filepath.Join(t.TempDir(), "cache")
	c := newTestClient(t, srv, cptest.Password, FileTokenCache{Dir: dir})
	tok, err := c.Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Value == "" || tok.ProjectID != srv.Bootstrap().ProjectID || tok.ProjectName != cptest.Project ||
		tok.UserName != cptest.User || tok.DomainName != cptest.Domain ||
		!hex32.MatchString(tok.UserID) || !hex32.MatchString(tok.DomainID) {
		t.Errorf("token = %+v", tok)
	}
	if d := tok.ExpiresAt.Sub(tok.IssuedAt); d != 24*time.Hour {
		t.Errorf("validity = %v, want 24h", d)
	}
	if d := time.Since(tok.IssuedAt); d < -time.Minute || d > time.Minute {
		t.Errorf("issued_at = %v, not now", tok.IssuedAt)
	}

	// The cache file and directory are private.
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o700 {
		t.Errorf("cache dir mode = %v, want 0700", got)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 || filepath.Base(files[0]) != c.cacheKey+".json" {
		t.Fatalf("cache files = %v", files)
	}
	st, err = os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("cache file mode = %v, want 0600", got)
	}
	cached, ok := c.CachedToken()
	if !ok || !cached.ExpiresAt.Equal(tok.ExpiresAt) || cached.Value != tok.Value {
		t.Errorf("cached token = %+v, %v; want %+v", cached, ok, tok)
	}
	// The server accepts the token.
	if _, err := c.ListPhones(context.Background(), ListPhonesOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestLoginScopesByProjectID(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	pid := srv.Bootstrap().ProjectID
	// No user: the domain's name is the user's.
	c, err := New(Config{Endpoint: srv.URL(), Domain: cptest.Domain, Password: cptest.Password, Project: pid})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.ProjectID != pid || tok.ProjectName != cptest.Project || tok.UserName != cptest.Domain {
		t.Errorf("token = %+v", tok)
	}
	// An id no project has is refused, so the id was really the scope.
	c, err = New(Config{Endpoint: srv.URL(), Domain: cptest.Domain, Password: cptest.Password, Project: cptest.UnknownPhone})
	if err != nil {
		t.Fatal(err)
	}
	var apiErr *APIError
	if _, err := c.Login(context.Background()); !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Errorf("login scoped to an unknown project id: %v", err)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	c := newTestClient(t, srv, "wrong", FileTokenCache{Dir: t.TempDir()})
	_, err := c.Login(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "" ||
		apiErr.Message != "The username or password is wrong." || !hex32.MatchString(apiErr.RequestID) {
		t.Fatalf("Login error = %#v", err)
	}
	if _, ok := c.CachedToken(); ok {
		t.Error("a token was cached")
	}
}

func TestCachedTokenIsReusedWithoutPassword(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	cache := &loginCounter{FileTokenCache: FileTokenCache{Dir: t.TempDir()}}
	ctx := context.Background()
	tok, err := newTestClient(t, srv, cptest.Password, cache).Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, srv, "", cache)
	list, err := c.ListPhones(ctx, ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if list.Count != 6 || len(list.Phones) != 6 || !hex32.MatchString(list.RequestID) {
		t.Errorf("list = %+v", list)
	}
	if _, err := c.ListPhones(ctx, ListPhonesOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Token(ctx); err != nil || got.Value != tok.Value {
		t.Errorf("token of the second client = %+v, %v; want the cached %q", got, err, tok.Value)
	}
	if n := cache.logins(); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
}

func TestNotLoggedIn(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	c := newTestClient(t, srv, "", FileTokenCache{Dir: t.TempDir()})
	_, err := c.ListPhones(context.Background(), ListPhonesOptions{})
	var apiErr *APIError
	if !errors.Is(err, ErrNotLoggedIn) || errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want ErrNotLoggedIn without a server answer", err)
	}
	if _, err := c.Login(context.Background()); !errors.Is(err, ErrNotLoggedIn) || errors.As(err, &apiErr) {
		t.Fatalf("Login error = %v, want ErrNotLoggedIn without a server answer", err)
	}
}

func TestTokenValidAtMargin(t *testing.T) {
	t.Parallel()
	exp := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	tok := &Token{Value: "t", ProjectID: "p", ExpiresAt: exp}
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{exp.Add(-24 * time.Hour), true},
		{exp.Add(-ExpiryMargin - time.Second), true},
		{exp.Add(-ExpiryMargin), false},
		{exp.Add(-time.Minute), false},
		{exp.Add(time.Hour), false},
	} {
		if got := tok.ValidAt(tc.now); got != tc.want {
			t.Errorf("ValidAt(expiry%v) = %v, want %v", tc.now.Sub(exp), got, tc.want)
		}
	}
	if (*Token)(nil).ValidAt(exp) || (&Token{ExpiresAt: exp}).ValidAt(exp.Add(-time.Hour)) {
		t.Error("nil or empty token is valid")
	}
}

func TestTokenRenewedNearExpiry(t *testing.T) {
	t.Parallel()
	// Tokens live 6 minutes: a new one is reused for its first minute.
	srv := cptest.Start(t, func(c *controlplane.Config) { c.IAM.TokenTTL = 6 * time.Minute })
	dir := t.TempDir()
	cache := &loginCounter{FileTokenCache: FileTokenCache{Dir: dir}}
	c := newTestClient(t, srv, cptest.Password, cache)
	ctx := context.Background()
	tok1, err := c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := tok1.ExpiresAt.Sub(tok1.IssuedAt); d != 6*time.Minute {
		t.Fatalf("validity = %v, want the server's 6m", d)
	}
	// More than 5 minutes left: reused.
	if _, err := c.ListPhones(ctx, ListPhonesOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := cache.logins(); n != 1 {
		t.Fatalf("logins = %d, want 1", n)
	}
	// Two minutes later (on the client's clock) the token is within the
	// margin: renewed, and the cache holds the new token, which the server
	// accepts.
	later := time.Now().Add(2 * time.Minute)
	c.now = func() time.Time { return later }
	if _, err := c.ListPhones(ctx, ListPhonesOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := cache.logins(); n != 2 {
		t.Fatalf("logins = %d, want 2", n)
	}
	tok2, ok := c.CachedToken()
	if !ok || tok2.Value == tok1.Value || !tok2.ExpiresAt.After(tok1.ExpiresAt) {
		t.Errorf("cached token = %+v, want a new one", tok2)
	}
	// A client without password and with a near-expiry cached token is
	// not logged in.
	c2 := newTestClient(t, srv, "", cache)
	c2.now = func() time.Time { return tok2.ExpiresAt.Add(-time.Minute) }
	if _, err := c2.ProjectID(ctx); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("error = %v, want ErrNotLoggedIn", err)
	}
}

func TestShortLivedTokenRenewedAtOnce(t *testing.T) {
	t.Parallel()
	// Tokens live 4 minutes, less than the margin: every call needs a new
	// one.
	srv := cptest.Start(t, func(c *controlplane.Config) { c.IAM.TokenTTL = 4 * time.Minute })
	cache := &loginCounter{FileTokenCache: FileTokenCache{Dir: t.TempDir()}}
	c := newTestClient(t, srv, cptest.Password, cache)
	ctx := context.Background()
	tok1, err := c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListPhones(ctx, ListPhonesOptions{}); err != nil {
		t.Fatal(err)
	}
	tok2, ok := c.CachedToken()
	if !ok || tok2.Value == tok1.Value || cache.logins() != 2 {
		t.Errorf("cached token %+v after %d logins; want a second token", tok2, cache.logins())
	}
}

func TestRefusedCachedTokenIsRenewedOnce(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	cache := &loginCounter{FileTokenCache: FileTokenCache{Dir: t.TempDir()}}
	ctx := context.Background()
	c := newTestClient(t, srv, cptest.Password, cache)
	tok1, err := c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	revoke(t, srv, tok1.Value)
	list, err := c.ListPhones(ctx, ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Phones) != 6 {
		t.Errorf("phones = %d, want 6", len(list.Phones))
	}
	tok2, ok := c.CachedToken()
	if !ok || tok2.Value == tok1.Value {
		t.Errorf("cached token = %+v, want a new one", tok2)
	}
	if n := cache.logins(); n != 2 {
		t.Errorf("logins = %d, want 2", n)
	}

	// Without a password the refused token is dropped and the error
	// matches both ErrNotLoggedIn and the *APIError.
	revoke(t, srv, tok2.Value)
	c2 := newTestClient(t, srv, "", cache)
	_, err = c2.ListPhones(ctx, ListPhonesOptions{})
	var apiErr *APIError
	if !errors.Is(err, ErrNotLoggedIn) || !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "APIGW.0301" {
		t.Fatalf("error = %v", err)
	}
	if cph.ErrorCode(err) != "APIGW.0301" {
		t.Errorf("cph.ErrorCode = %q", cph.ErrorCode(err))
	}
	if _, ok := c2.CachedToken(); ok {
		t.Error("refused token is still cached")
	}
	if n := cache.logins(); n != 2 {
		t.Errorf("logins = %d, want 2", n)
	}
}

func TestFreshTokenRefusedIsNotRetried(t *testing.T) {
	t.Parallel()
	// Tokens expire as soon as they are issued, so the server refuses even
	// a token the client has just obtained.
	srv := cptest.Start(t, func(c *controlplane.Config) { c.IAM.TokenTTL = time.Nanosecond })
	cache := &loginCounter{FileTokenCache: FileTokenCache{Dir: t.TempDir()}}
	c := newTestClient(t, srv, cptest.Password, cache)
	_, err := c.ShowPhone(context.Background(), cptest.UnknownPhone)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "APIGW.0301" ||
		!strings.Contains(apiErr.Message, "token expires") || errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("error = %v", err)
	}
	if n := cache.logins(); n != 1 {
		t.Errorf("logins = %d, want 1 (no retry)", n)
	}
}

func TestAPIErrorShapes(t *testing.T) {
	t.Parallel()
	srv, c := startClient(t)
	ctx := context.Background()
	check := func(name string, err error, status int, code, msg string) *APIError {
		t.Helper()
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Errorf("%s: error %v is not an *APIError", name, err)
			return nil
		}
		if apiErr.StatusCode != status || apiErr.Code != code || apiErr.Message != msg || !hex32.MatchString(apiErr.RequestID) {
			t.Errorf("%s: got %+v, want HTTP %d %q %q and a request id", name, *apiErr, status, code, msg)
		}
		var ce *cph.Error
		if !errors.As(err, &ce) || ce.Status != status || ce.Code != code {
			t.Errorf("%s: unwrapped = %+v", name, ce)
		}
		return apiErr
	}

	// CPH envelope.
	_, err := c.ListPhones(ctx, ListPhonesOptions{Limit: new(0)})
	check("limit 0", err, 400, cph.CodeInvalidPaging, "Parameter: offset or limit is invalid.")
	_, err = c.ListPhones(ctx, ListPhonesOptions{Status: new(cph.PhoneStatus(99))})
	check("bad status", err, 400, cph.CodeInvalidStatus, "Parameter: status is invalid.")
	_, err = c.ShowPhone(ctx, cptest.UnknownPhone)
	e := check("unknown phone", err, 404, cph.CodePhoneNotFound, "Phone is not found.")
	if e != nil {
		if got, want := e.Error(), "CPS.0005: Phone is not found. (request "+e.RequestID+")"; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
	if cph.ErrorCode(err) != cph.CodePhoneNotFound {
		t.Errorf("cph.ErrorCode = %q", cph.ErrorCode(err))
	}
	_, err = c.ShowPhone(ctx, "nope")
	check("unknown short phone id", err, 404, cph.CodePhoneNotFound, "Phone is not found.")
	_, err = c.ShowPhone(ctx, "bad_id")
	check("malformed phone id", err, 400, cph.CodeInvalidPhoneID, "Invalid phone id.")
	_, err = c.ShowJob(ctx, cptest.UnknownPhone)
	check("unknown job", err, 404, cph.CodeJobNotFound, "Job is not found.")

	// Keystone shape of IAM: no code.
	_, err = newTestClient(t, srv, "wrong", nil).Login(ctx)
	e = check("wrong password", err, 401, "", "The username or password is wrong.")
	if e != nil {
		if got, want := e.Error(), "HTTP 401: The username or password is wrong. (request "+e.RequestID+")"; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
}

func TestParseAPIErrorFallbacks(t *testing.T) {
	t.Parallel()
	// Shapes a proxy in front of the server may answer: a pure unit test
	// of the parser.
	for _, tc := range []struct {
		name   string
		status int
		header string
		body   string
		want   APIError
	}{
		{"cph without header", 400, "", `{"error_code":"CPS.0002","error_msg":"bad","request_id":"b1"}`,
			APIError{400, "b1", "CPS.0002", "bad", 0}},
		{"code message", 403, "h3", `{"code":"X.1","message":"m"}`, APIError{403, "h3", "X.1", "m", 0}},
		{"text", 502, "", "bad gateway\n", APIError{502, "", "", "bad gateway", 0}},
		{"empty", 503, "", "", APIError{503, "", "", "Service Unavailable", 0}},
		{"retry after", 429, "h5", `{"error_code":"CPS.9009","error_msg":"slow down"}`, APIError{429, "h5", "CPS.9009", "slow down", 7 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
			if tc.header != "" {
				resp.Header.Set("X-Request-Id", tc.header)
			}
			if tc.status == 429 {
				resp.Header.Set("Retry-After", "7")
			}
			got := parseAPIError(resp, []byte(tc.body))
			if *got != tc.want {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestShowPhone(t *testing.T) {
	t.Parallel()
	_, c := startClient(t)
	p := allPhones(t, c)[0]
	d, err := c.ShowPhone(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != p.ID || d.Name != p.Name || d.ServerID != p.ServerID || d.Status != cph.PhoneRunning ||
		!hex32.MatchString(d.RequestID) || len(d.AccessInfos) == 0 {
		t.Errorf("ShowPhone = %+v", d)
	}
}

func TestListPhonesQuery(t *testing.T) {
	t.Parallel()
	_, c := startClient(t)
	ctx := context.Background()
	all := allPhones(t, c)
	server0 := all[0].ServerID
	running, stopped := cph.PhoneRunning, cph.PhoneStopped
	for _, tc := range []struct {
		name        string
		opts        ListPhonesOptions
		count, page int
	}{
		{"none", ListPhonesOptions{}, 6, 6},
		{"offset and limit", ListPhonesOptions{Offset: new(0), Limit: new(5)}, 6, 5},
		{"last page", ListPhonesOptions{Offset: new(5), Limit: new(5)}, 6, 1},
		{"name", ListPhonesOptions{Name: "0002"}, 2, 2},
		{"name with a space", ListPhonesOptions{Name: "a b"}, 0, 0},
		{"server", ListPhonesOptions{ServerID: server0}, 3, 3},
		{"running", ListPhonesOptions{Status: &running}, 6, 6},
		{"stopped", ListPhonesOptions{Status: &stopped}, 0, 0},
		{"type", ListPhonesOptions{Type: new(int32(0))}, 6, 6},
		{"all filters", ListPhonesOptions{Offset: new(0), Limit: new(5), Name: "0001", ServerID: server0, Status: &running, Type: new(int32(0))}, 1, 1},
	} {
		list, err := c.ListPhones(ctx, tc.opts)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if list.Count != tc.count || len(list.Phones) != tc.page {
			t.Errorf("%s: count %d, %d phones; want %d, %d", tc.name, list.Count, len(list.Phones), tc.count, tc.page)
		}
		for _, p := range list.Phones {
			if tc.opts.ServerID != "" && p.ServerID != tc.opts.ServerID || !strings.Contains(p.Name, tc.opts.Name) {
				t.Errorf("%s: phone %+v does not match", tc.name, p)
			}
		}
	}
}

func TestListAllPhonesPages(t *testing.T) {
	t.Parallel()
	_, c := startClient(t)
	ctx := context.Background()
	// Pages of 2 walk through the 6 phones in list order.
	var paged []string
	for offset := 0; offset < 8; offset += 2 {
		page, err := c.ListPhones(ctx, ListPhonesOptions{Offset: new(offset), Limit: new(2)})
		if err != nil {
			t.Fatal(err)
		}
		if page.Count != 6 || len(page.Phones) != min(2, max(0, 6-offset)) {
			t.Errorf("offset %d: count %d, %d phones", offset, page.Count, len(page.Phones))
		}
		paged = append(paged, phoneIDs(page.Phones)...)
	}
	// ListAllPhones ignores the limit and returns every phone once.
	list, err := c.ListAllPhones(ctx, ListPhonesOptions{Limit: new(2)})
	if err != nil {
		t.Fatal(err)
	}
	if list.Count != 6 || len(list.Phones) != 6 || !hex32.MatchString(list.RequestID) {
		t.Errorf("got %d phones, count %d, request %q", len(list.Phones), list.Count, list.RequestID)
	}
	if d := cmp.Diff(paged, phoneIDs(list.Phones)); d != "" {
		t.Errorf("ListAllPhones ids (-pages +all):\n%s", d)
	}
	seen := map[string]bool{}
	for _, id := range paged {
		if seen[id] {
			t.Errorf("phone %s listed twice", id)
		}
		seen[id] = true
	}
}

func TestListAllPhonesManyPages(t *testing.T) {
	t.Parallel()
	// 202 phones: two pages of MaxPhonePageSize.
	srv := cptest.Start(t, func(c *controlplane.Config) { c.SimPhonesPerServer = 101 })
	c := newTestClient(t, srv, cptest.Password, nil)
	ctx := context.Background()
	list, err := c.ListAllPhones(ctx, ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if list.Count != 202 || len(list.Phones) != 202 {
		t.Fatalf("got %d phones, count %d; want 202", len(list.Phones), list.Count)
	}
	seen := map[string]bool{}
	for _, p := range list.Phones {
		if seen[p.ID] {
			t.Errorf("phone %s listed twice", p.ID)
		}
		seen[p.ID] = true
	}
	// The second page is the server's, in the same order.
	last, err := c.ListPhones(ctx, ListPhonesOptions{Offset: new(200), Limit: new(200)})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(phoneIDs(last.Phones), phoneIDs(list.Phones[200:])); d != "" {
		t.Errorf("last page (-server +ListAllPhones):\n%s", d)
	}
}

func TestBatchBodies(t *testing.T) {
	t.Parallel()
	_, c := startClient(t)
	ctx := context.Background()
	phones := allPhones(t, c)
	p0, p1 := phones[0].ID, phones[1].ID

	// Stop: the phone stops; the unknown one is refused.
	res, err := c.StopPhones(ctx, []string{p0, cptest.UnknownPhone})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 2 {
		t.Fatalf("stop result = %+v", res)
	}
	want := []cph.PhoneJob{
		{PhoneID: p0, JobID: res.Jobs[0].JobID},
		{PhoneID: cptest.UnknownPhone, ErrorCode: cph.CodePhoneNotFound, ErrorMsg: "Phone not found."},
	}
	if d := cmp.Diff(want, res.Jobs); d != "" || !hex32.MatchString(res.RequestID) || !hex32.MatchString(res.Jobs[0].JobID) {
		t.Errorf("stop result %+v (-want +got):\n%s", res, d)
	}
	if jobs := waitJobs(t, c, res.RequestID); len(jobs) != 1 || jobs[0].Status != cph.JobSucceeded || jobs[0].PhoneID != p0 {
		t.Errorf("stop jobs = %+v", jobs)
	}
	if st := phoneStatus(t, c, p0); st != cph.PhoneStopped {
		t.Errorf("status after stop = %v, want %v", st, cph.PhoneStopped)
	}

	// Restart with an image and a property: the phone runs again with
	// both.
	res, err = c.RestartPhones(ctx, RestartPhonesRequest{ImageID: cptest.Android12,
		Phones: []cph.PhoneRef{{PhoneID: p0, Property: `{"sys.prop.writewifissid":"lab_wifi"}`}}})
	if err != nil {
		t.Fatal(err)
	}
	if jobs := waitJobs(t, c, res.RequestID); len(jobs) != 1 || jobs[0].Status != cph.JobSucceeded {
		t.Errorf("restart jobs = %+v", jobs)
	}
	d, err := c.ShowPhone(ctx, p0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != cph.PhoneRunning || d.ImageID != cptest.Android12 || d.Property != `{"sys.prop.writewifissid":"lab_wifi"}` {
		t.Errorf("after restart: status %v, image %q, property %q", d.Status, d.ImageID, d.Property)
	}

	// Reset: the phone resets, then runs.
	res, err = c.ResetPhones(ctx, ResetPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: p1}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 1 || res.Jobs[0].PhoneID != p1 || res.Jobs[0].JobID == "" {
		t.Fatalf("reset result = %+v", res)
	}
	if st := phoneStatus(t, c, p1); st != cph.PhoneResetting && st != cph.PhoneRunning {
		t.Errorf("status right after reset = %v", st)
	}
	if jobs := waitJobs(t, c, res.RequestID); len(jobs) != 1 || jobs[0].Status != cph.JobSucceeded {
		t.Errorf("reset jobs = %+v", jobs)
	}
	if st := phoneStatus(t, c, p1); st != cph.PhoneRunning {
		t.Errorf("status after reset = %v, want %v", st, cph.PhoneRunning)
	}

	// Whole-request errors.
	if _, err = c.StopPhones(ctx, nil); cph.ErrorCode(err) != cph.CodeEmptyPhoneList {
		t.Errorf("empty stop error = %v", err)
	}
	if _, err = c.ResetPhones(ctx, ResetPhonesRequest{ImageID: cptest.UnknownPhone, Phones: []cph.PhoneRef{{PhoneID: p1}}}); cph.ErrorCode(err) != cph.CodeInvalidImageID {
		t.Errorf("unknown image error = %v", err)
	}
}

func TestWaitJobs(t *testing.T) {
	t.Parallel()
	srv, c := startClient(t)
	ctx := context.Background()
	phones := allPhones(t, c)
	ids := phoneIDs(phones[:2])
	res, err := c.RestartPhones(ctx, RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: ids[0]}, {PhoneID: ids[1]}}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var progress []int // final jobs at each poll
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	jobs, err := c.WaitJobs(wctx, res.RequestID, WaitOptions{Interval: 10 * time.Millisecond, Progress: func(js []cph.Job) {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, j := range js {
			if j.Status.Final() {
				n++
			}
		}
		if len(js) != 2 {
			t.Errorf("progress with %d jobs, want 2", len(js))
		}
		progress = append(progress, n)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 {
		t.Fatalf("jobs = %+v", jobs)
	}
	for i, j := range jobs {
		if j.PhoneID != ids[i] || j.ID != res.Jobs[i].JobID || j.Status != cph.JobSucceeded || j.EndTime.IsZero() {
			t.Errorf("job %d = %+v", i, j)
		}
		if st := phoneStatus(t, c, j.PhoneID); st != cph.PhoneRunning {
			t.Errorf("phone %s status %v after restart", j.PhoneID, st)
		}
	}
	mu.Lock()
	if len(progress) == 0 || progress[len(progress)-1] != 2 {
		t.Errorf("progress = %v, want it to end with 2 final jobs", progress)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i] < progress[i-1] {
			t.Errorf("progress = %v, goes backwards", progress)
		}
	}
	mu.Unlock()

	// A failed job: the next restart of phone 2 fails in the runtime.
	cptest.InjectFailure(t, srv, phones[2], "kernel panic")
	res, err = c.RestartPhones(ctx, RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: phones[2].ID}}})
	if err != nil {
		t.Fatal(err)
	}
	jobs = waitJobs(t, c, res.RequestID)
	if len(jobs) != 1 || jobs[0].Status != cph.JobFailed || jobs[0].ErrorCode == nil || *jobs[0].ErrorCode != cph.CodeJobFailed ||
		jobs[0].ErrorMsg == nil || !strings.Contains(*jobs[0].ErrorMsg, "kernel panic") || jobs[0].EndTime.IsZero() {
		t.Errorf("failed job = %+v", jobs)
	}
	if st := phoneStatus(t, c, phones[2].ID); st != cph.PhoneRestartFailed {
		t.Errorf("phone status after failed restart = %v, want %v", st, cph.PhoneRestartFailed)
	}

	// A request without jobs is done at once.
	jobs, err = c.WaitJobs(ctx, "unknown", WaitOptions{})
	if err != nil || len(jobs) != 0 {
		t.Errorf("WaitJobs(unknown) = %v, %v", jobs, err)
	}
	res, err = c.StopPhones(ctx, []string{cptest.UnknownPhone})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err = c.WaitJobs(ctx, res.RequestID, WaitOptions{})
	if err != nil || len(jobs) != 0 {
		t.Errorf("WaitJobs(every phone refused) = %v, %v", jobs, err)
	}
}

func TestWaitJobsContextEnds(t *testing.T) {
	t.Parallel()
	// Phones take an hour to boot: the job stays running.
	srv := cptest.Start(t, func(c *controlplane.Config) { c.SimBootTime = time.Hour })
	c := newTestClient(t, srv, cptest.Password, nil)
	ctx := context.Background()
	p := allPhones(t, c)[0]
	res, err := c.RestartPhones(ctx, RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: p.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	// The context ends after the first poll.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs, err := c.WaitJobs(cctx, res.RequestID, WaitOptions{Interval: time.Millisecond, Progress: func([]cph.Job) { cancel() }})
	if !errors.Is(err, context.Canceled) || len(jobs) != 1 || jobs[0].Status != cph.JobRunning {
		t.Errorf("WaitJobs = %+v, %v; want 1 running job and context.Canceled", jobs, err)
	}
}

func TestListJobsNeedsRequestID(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Endpoint: "http://127.0.0.1:1", Domain: "d", Project: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListJobs(context.Background(), ListJobsOptions{}); err == nil {
		t.Error("ListJobs without request id succeeded")
	}
	q := ListJobsOptions{RequestID: "a", RequestIDs: []string{"b", "c"}, Limit: new(7)}.query().Encode()
	if want := "limit=7&request_id=a&request_ids=b%2Cc"; q != want {
		t.Errorf("query = %q, want %q", q, want)
	}
}

func TestListJobsOfRequests(t *testing.T) {
	t.Parallel()
	_, c := startClient(t)
	ctx := context.Background()
	ids := phoneIDs(allPhones(t, c))
	r1, err := c.RestartPhones(ctx, RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: ids[0]}, {PhoneID: ids[1]}}})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.RestartPhones(ctx, RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: ids[2]}}})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListJobs(ctx, ListJobsOptions{RequestIDs: []string{r1.RequestID, r2.RequestID}})
	if err != nil || len(list.Jobs) != 3 || !hex32.MatchString(list.RequestID) {
		t.Fatalf("ListJobs(two requests) = %+v, %v", list, err)
	}
	list, err = c.ListJobs(ctx, ListJobsOptions{RequestID: r1.RequestID, Offset: new(1), Limit: new(1)})
	if err != nil || len(list.Jobs) != 1 || list.Jobs[0].ID != r1.Jobs[1].JobID {
		t.Errorf("ListJobs(second page of one) = %+v, %v", list, err)
	}
	j, err := c.ShowJob(ctx, r2.Jobs[0].JobID)
	if err != nil || j.ID != r2.Jobs[0].JobID || j.PhoneID != ids[2] {
		t.Errorf("ShowJob = %+v, %v", j, err)
	}
	_, err = c.ListJobs(ctx, ListJobsOptions{RequestID: r1.RequestID, Limit: new(101)})
	if cph.ErrorCode(err) != cph.CodeInvalidPaging {
		t.Errorf("limit 101: %v", err)
	}
}

func TestDoSubstitutesProjectAndDecodes(t *testing.T) {
	t.Parallel()
	srv, c := startClient(t)
	ctx := context.Background()
	pid := srv.Bootstrap().ProjectID
	var out struct {
		Projects []Project `json:"projects"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v3/projects", Out: &out}); err != nil {
		t.Fatal(err)
	}
	if len(out.Projects) != 1 || out.Projects[0].ID != pid {
		t.Errorf("projects = %+v", out.Projects)
	}
	ps, err := c.ListProjects(ctx, cptest.Project)
	if err != nil || len(ps) != 1 || ps[0].ID != pid || ps[0].Name != cptest.Project || !ps[0].Enabled {
		t.Fatalf("ListProjects = %+v, %v", ps, err)
	}
	if ps, err := c.ListProjects(ctx, "cn-south-1"); err != nil || len(ps) != 0 {
		t.Errorf("ListProjects(other name) = %+v, %v", ps, err)
	}
	// {project_id} is the token's project.
	var list PhoneList
	reqID, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/{project_id}/cloud-phone/phones", Out: &list})
	if err != nil || list.Count != 6 || reqID != list.RequestID {
		t.Errorf("Do(phones) = %q, %+v, %v", reqID, list, err)
	}
	_, err = c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/{project_id}/cloud-phone/nothing"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != cph.CodeNoSuchAPI ||
		apiErr.Message != "The API does not exist or has not been published in the environment." {
		t.Errorf("error = %#v", err)
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "v1/x"}); err == nil {
		t.Error("relative path accepted")
	}
}

func TestFileTokenCache(t *testing.T) {
	t.Parallel()
	fc := FileTokenCache{Dir: filepath.Join(t.TempDir(), "a", "b")}
	key := CacheKey("http://h", "d", "u", "p")
	if len(key) != 32 || key == CacheKey("http://h", "d", "u", "q") || key == CacheKey("http://h", "du", "", "p") {
		t.Errorf("weak cache key %q", key)
	}
	if _, ok := fc.Load(key); ok {
		t.Error("Load of a missing key succeeded")
	}
	if err := fc.Delete(key); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
	tok := &Token{Value: "v", ExpiresAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), ProjectID: "p"}
	if err := fc.Store(key, tok); err != nil {
		t.Fatal(err)
	}
	got, ok := fc.Load(key)
	if !ok || *got != *tok {
		t.Errorf("Load = %+v, %v", got, ok)
	}
	var raw map[string]any
	data, _ := os.ReadFile(filepath.Join(fc.Dir, key+".json"))
	if err := json.Unmarshal(data, &raw); err != nil || raw["token"] != "v" {
		t.Errorf("file = %s", data)
	}
	if err := fc.Store("../evil", tok); err == nil {
		t.Error("Store accepted a key with a path")
	}
	if err := fc.Delete(key); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(fc.Dir, key+".json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file still there: %v", err)
	}
	entries, _ := os.ReadDir(fc.Dir)
	if len(entries) != 0 {
		t.Errorf("leftover files: %v", entries)
	}
	// A corrupt file is a miss.
	if err := os.WriteFile(filepath.Join(fc.Dir, key+".json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := fc.Load(key); ok {
		t.Error("corrupt file loaded")
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("CPH_CACHE_DIR", "/x/y")
	if d, err := DefaultCacheDir(); err != nil || d != "/x/y" {
		t.Errorf("DefaultCacheDir = %q, %v", d, err)
	}
	t.Setenv("CPH_CACHE_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	t.Setenv("HOME", "/home/u")
	d, err := DefaultCacheDir()
	if err != nil || filepath.Base(d) != "opencph" {
		t.Errorf("DefaultCacheDir = %q, %v", d, err)
	}
}

func TestConcurrentCallsLogInOnce(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	cache := &loginCounter{FileTokenCache: FileTokenCache{Dir: t.TempDir()}}
	c := newTestClient(t, srv, cptest.Password, cache)
	var wg sync.WaitGroup
	tokens := make([]string, 8)
	for i := range tokens {
		wg.Go(func() {
			if _, err := c.ListPhones(context.Background(), ListPhonesOptions{}); err != nil {
				t.Error(err)
				return
			}
			tok, err := c.Token(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i] = tok.Value
		})
	}
	wg.Wait()
	for i, v := range tokens {
		if v == "" || v != tokens[0] {
			t.Errorf("caller %d has token %q, caller 0 %q; want one token for all", i, v, tokens[0])
		}
	}
	if n := cache.logins(); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
}
