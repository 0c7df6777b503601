package client

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	cph "github.com/opencph/opencph"
)

// newTestClient returns a client of f with a file cache in a temporary
// directory, and that directory.
func newTestClient(tb testing.TB, f *fakeServer, password string, dir string) *Client {
	tb.Helper()
	c, err := New(Config{
		Endpoint:   f.URL + "/",
		Domain:     testDomain,
		User:       testUser,
		Password:   password,
		Project:    "cn-north-4",
		TokenCache: FileTokenCache{Dir: dir},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestNewValidates(t *testing.T) {
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
	f := newFakeServer(t, 1)
	dir := filepath.Join(t.TempDir(), "cache")
	c := newTestClient(t, f, testPassword, dir)
	tok, err := c.Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Value != "tok-1" || tok.ProjectID != testProjectID || tok.ProjectName != "cn-north-4" ||
		tok.UserName != testUser || tok.DomainName != testDomain || tok.UserID != "u1" || tok.DomainID != "d1" {
		t.Errorf("token = %+v", tok)
	}
	if d := tok.ExpiresAt.Sub(tok.IssuedAt); d != 24*time.Hour {
		t.Errorf("validity = %v, want 24h", d)
	}

	r := f.reqs()[0]
	if r.Path != "/v3/auth/tokens" || r.Query != "nocatalog=true" || r.CT != "application/json" {
		t.Errorf("login request = %+v", r)
	}
	want := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []any{"password"}, "password": map[string]any{"user": map[string]any{
			"name": testUser, "password": testPassword, "domain": map[string]any{"name": testDomain}}}},
		"scope": map[string]any{"project": map[string]any{"name": "cn-north-4"}},
	}}
	if d := cmp.Diff(want, f.lastLogin); d != "" {
		t.Errorf("login body (-want +got):\n%s", d)
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
}

func TestLoginScopesByProjectID(t *testing.T) {
	f := newFakeServer(t, 0)
	c, err := New(Config{Endpoint: f.URL, Domain: testDomain, Password: testPassword, Project: testProjectID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	scope := f.lastLogin["auth"].(map[string]any)["scope"]
	if d := cmp.Diff(map[string]any{"project": map[string]any{"id": testProjectID}}, scope); d != "" {
		t.Errorf("scope (-want +got):\n%s", d)
	}
	user := f.lastLogin["auth"].(map[string]any)["identity"].(map[string]any)["password"].(map[string]any)["user"].(map[string]any)
	if user["name"] != testDomain {
		t.Errorf("user name = %v, want the domain %q", user["name"], testDomain)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	f := newFakeServer(t, 0)
	c := newTestClient(t, f, "wrong", t.TempDir())
	_, err := c.Login(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "" ||
		apiErr.Message != "The username or password is wrong." || apiErr.RequestID == "" {
		t.Fatalf("Login error = %#v", err)
	}
}

func TestCachedTokenIsReusedWithoutPassword(t *testing.T) {
	f := newFakeServer(t, 3)
	dir := t.TempDir()
	ctx := context.Background()
	if _, err := newTestClient(t, f, testPassword, dir).Login(ctx); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, f, "", dir)
	list, err := c.ListPhones(ctx, ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if list.Count != 3 || len(list.Phones) != 3 || list.RequestID == "" {
		t.Errorf("list = %+v", list)
	}
	if _, err := c.ListPhones(ctx, ListPhonesOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := f.loginCount(); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
	for _, r := range f.reqs()[1:] {
		if r.Token != "tok-1" || r.CT != "application/json" ||
			r.Path != "/v1/"+testProjectID+"/cloud-phone/phones" {
			t.Errorf("request = %+v", r)
		}
	}
}

func TestNotLoggedIn(t *testing.T) {
	f := newFakeServer(t, 0)
	c := newTestClient(t, f, "", t.TempDir())
	_, err := c.ListPhones(context.Background(), ListPhonesOptions{})
	if !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("error = %v, want ErrNotLoggedIn", err)
	}
	if _, err := c.Login(context.Background()); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("Login error = %v, want ErrNotLoggedIn", err)
	}
	if n := len(f.reqs()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestTokenValidAtMargin(t *testing.T) {
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
	f := newFakeServer(t, 1)
	dir := t.TempDir()
	c := newTestClient(t, f, testPassword, dir)
	now := time.Now()
	c.now = func() time.Time { return now }
	ctx := context.Background()
	if _, err := c.ListPhones(ctx, ListPhonesOptions{}); err != nil {
		t.Fatal(err)
	}
	// 23h54m later: more than 5 minutes left, reused.
	now = now.Add(24*time.Hour - ExpiryMargin - time.Minute)
	if _, err := c.ListPhones(ctx, ListPhonesOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := f.loginCount(); n != 1 {
		t.Fatalf("logins = %d, want 1", n)
	}
	// Within the margin: renewed, and the cache holds the new token.
	now = now.Add(2 * time.Minute)
	if _, err := c.ListPhones(ctx, ListPhonesOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := f.loginCount(); n != 2 {
		t.Fatalf("logins = %d, want 2", n)
	}
	if tok, ok := c.CachedToken(); !ok || tok.Value != "tok-2" {
		t.Errorf("cached token = %+v", tok)
	}
	// A client without password and with a near-expiry cached token is
	// not logged in.
	c2 := newTestClient(t, f, "", dir)
	c2.now = func() time.Time { return now.Add(24*time.Hour - time.Minute) }
	if _, err := c2.ProjectID(ctx); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("error = %v, want ErrNotLoggedIn", err)
	}
}

func TestRefusedCachedTokenIsRenewedOnce(t *testing.T) {
	f := newFakeServer(t, 2)
	dir := t.TempDir()
	ctx := context.Background()
	c := newTestClient(t, f, testPassword, dir)
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	f.revokeAll()
	list, err := c.ListPhones(ctx, ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Phones) != 2 {
		t.Errorf("phones = %d, want 2", len(list.Phones))
	}
	var paths []string
	for _, r := range f.reqs() {
		paths = append(paths, r.Method+" "+r.Path+" "+r.Token)
	}
	want := []string{
		"POST /v3/auth/tokens ",
		"GET /v1/" + testProjectID + "/cloud-phone/phones tok-1",
		"POST /v3/auth/tokens ",
		"GET /v1/" + testProjectID + "/cloud-phone/phones tok-2",
	}
	if d := cmp.Diff(want, paths); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}

	// Without a password the refused token is dropped and the error
	// matches both ErrNotLoggedIn and the *APIError.
	f.revokeAll()
	c2 := newTestClient(t, f, "", dir)
	_, err = c2.ListPhones(ctx, ListPhonesOptions{})
	var apiErr *APIError
	if !errors.Is(err, ErrNotLoggedIn) || !errors.As(err, &apiErr) || apiErr.Code != "APIGW.0301" {
		t.Fatalf("error = %v", err)
	}
	if cph.ErrorCode(err) != "APIGW.0301" {
		t.Errorf("cph.ErrorCode = %q", cph.ErrorCode(err))
	}
	if _, ok := c2.CachedToken(); ok {
		t.Error("refused token is still cached")
	}
}

func TestFreshTokenRefusedIsNotRetried(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v3/auth/tokens" {
			w.Header().Set("X-Subject-Token", "t")
			w.WriteHeader(201)
			_, _ = w.Write([]byte(`{"token":{"expires_at":"2999-01-01T00:00:00.000000Z","project":{"id":"p1"}}}`))
			return
		}
		w.Header().Set("X-Request-Id", "r1")
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"error_code":"APIGW.0301","error_msg":"nope","request_id":"r1"}`))
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, Domain: "d", Password: "p", Project: "x"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ShowPhone(context.Background(), "abc")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("error = %v", err)
	}
}

func TestAPIErrorShapes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header string
		body   string
		want   APIError
	}{
		{"cph", 404, "h1", `{"error_code":"CPS.0005","error_msg":"Phone is not found.","request_id":"b1"}`,
			APIError{404, "h1", "CPS.0005", "Phone is not found."}},
		{"cph without header", 400, "", `{"error_code":"CPS.0002","error_msg":"bad","request_id":"b1"}`,
			APIError{400, "b1", "CPS.0002", "bad"}},
		{"keystone", 401, "h2", `{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}`,
			APIError{401, "h2", "", "The username or password is wrong."}},
		{"code message", 403, "h3", `{"code":"X.1","message":"m"}`, APIError{403, "h3", "X.1", "m"}},
		{"text", 502, "", "bad gateway\n", APIError{502, "", "", "bad gateway"}},
		{"empty", 503, "", "", APIError{503, "", "", "Service Unavailable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
			if tc.header != "" {
				resp.Header.Set("X-Request-Id", tc.header)
			}
			got := parseAPIError(resp, []byte(tc.body))
			if *got != tc.want {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
	e := &APIError{StatusCode: 404, RequestID: "r", Code: "CPS.0005", Message: "Phone is not found."}
	if got, want := e.Error(), "CPS.0005: Phone is not found. (request r)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var ce *cph.Error
	if !errors.As(error(e), &ce) || ce.Status != 404 || ce.Code != "CPS.0005" {
		t.Errorf("unwrapped = %+v", ce)
	}
}

func TestShowPhoneNotFound(t *testing.T) {
	f := newFakeServer(t, 1)
	c := newTestClient(t, f, testPassword, t.TempDir())
	ctx := context.Background()
	d, err := c.ShowPhone(ctx, f.phones[0].ID)
	if err != nil || d.ID != f.phones[0].ID || d.RequestID == "" {
		t.Fatalf("ShowPhone = %+v, %v", d, err)
	}
	_, err = c.ShowPhone(ctx, "nope")
	if cph.ErrorCode(err) != cph.CodePhoneNotFound {
		t.Fatalf("error = %v", err)
	}
}

func TestListPhonesQuery(t *testing.T) {
	f := newFakeServer(t, 0)
	c := newTestClient(t, f, testPassword, t.TempDir())
	st := cph.PhoneStopped
	_, err := c.ListPhones(context.Background(), ListPhonesOptions{
		Offset: new(0), Limit: new(5), Name: "a b", ServerID: "s1", Status: &st, Type: new(int32(0)),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := f.reqs()[1].Query
	if want := "limit=5&offset=0&phone_name=a+b&server_id=s1&status=8&type=0"; got != want {
		t.Errorf("query = %q, want %q", got, want)
	}
}

func TestListAllPhonesPages(t *testing.T) {
	f := newFakeServer(t, 450)
	c := newTestClient(t, f, testPassword, t.TempDir())
	list, err := c.ListAllPhones(context.Background(), ListPhonesOptions{Limit: new(3)})
	if err != nil {
		t.Fatal(err)
	}
	if list.Count != 450 || len(list.Phones) != 450 || list.Phones[449].ID != f.phones[449].ID {
		t.Errorf("got %d phones, count %d", len(list.Phones), list.Count)
	}
	var queries []string
	for _, r := range f.reqs()[1:] {
		queries = append(queries, r.Query)
	}
	want := []string{"limit=200&offset=0", "limit=200&offset=200", "limit=200&offset=400"}
	if d := cmp.Diff(want, queries); d != "" {
		t.Errorf("queries (-want +got):\n%s", d)
	}
}

func TestBatchBodies(t *testing.T) {
	f := newFakeServer(t, 2)
	c := newTestClient(t, f, testPassword, t.TempDir())
	ctx := context.Background()
	p0, p1 := f.phones[0].ID, f.phones[1].ID

	res, err := c.StopPhones(ctx, []string{p0, "ffff"})
	if err != nil {
		t.Fatal(err)
	}
	want := []cph.PhoneJob{
		{PhoneID: p0, JobID: res.Jobs[0].JobID},
		{PhoneID: "ffff", ErrorCode: cph.CodePhoneNotFound, ErrorMsg: "Phone not found."},
	}
	if d := cmp.Diff(want, res.Jobs); d != "" || res.RequestID == "" || res.Jobs[0].JobID == "" {
		t.Errorf("stop result (-want +got):\n%s", d)
	}
	if _, err := c.RestartPhones(ctx, RestartPhonesRequest{ImageID: "img", Phones: []cph.PhoneRef{{PhoneID: p0, Property: `{"a":1}`}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResetPhones(ctx, ResetPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: p1}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.StopPhones(ctx, nil)
	if cph.ErrorCode(err) != cph.CodeEmptyPhoneList {
		t.Errorf("empty stop error = %v", err)
	}

	var got []string
	for _, r := range f.reqs()[1:] {
		got = append(got, r.Method+" "+strings.TrimPrefix(r.Path, "/v1/"+testProjectID)+" "+r.Body)
	}
	wantReqs := []string{
		`POST /cloud-phone/phones/batch-stop {"phone_ids":["` + p0 + `","ffff"]}`,
		`POST /cloud-phone/phones/batch-restart {"image_id":"img","phones":[{"phone_id":"` + p0 + `","property":"{\"a\":1}"}]}`,
		`POST /cloud-phone/phones/batch-reset {"phones":[{"phone_id":"` + p1 + `"}]}`,
		`POST /cloud-phone/phones/batch-stop {"phone_ids":[]}`,
	}
	if d := cmp.Diff(wantReqs, got); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

func TestWaitJobs(t *testing.T) {
	f := newFakeServer(t, 2)
	c := newTestClient(t, f, testPassword, t.TempDir())
	ctx := context.Background()
	res, err := c.RestartPhones(ctx, RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: f.phones[0].ID}, {PhoneID: f.phones[1].ID}}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var progress []int
	jobs, err := c.WaitJobs(ctx, res.RequestID, WaitOptions{Interval: time.Millisecond, Progress: func(js []cph.Job) {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, j := range js {
			if j.Status.Final() {
				n++
			}
		}
		progress = append(progress, n)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].Status != cph.JobSucceeded || jobs[1].Status != cph.JobSucceeded || jobs[0].EndTime.IsZero() {
		t.Errorf("jobs = %+v", jobs)
	}
	if d := cmp.Diff([]int{0, 0, 2}, progress); d != "" {
		t.Errorf("progress (-want +got):\n%s", d)
	}
	if q := f.reqs()[2].Query; q != "limit=100&offset=0&request_id="+res.RequestID {
		t.Errorf("ListJobs query = %q", q)
	}

	// A context that ends first stops the wait.
	res, err = c.StopPhones(ctx, []string{f.phones[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.finishAt = 1 << 30
	f.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	jobs, err = c.WaitJobs(cctx, res.RequestID, WaitOptions{Interval: time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) || len(jobs) != 1 {
		t.Errorf("WaitJobs = %v, %v; want 1 job and DeadlineExceeded", jobs, err)
	}

	// A request without jobs is done at once.
	jobs, err = c.WaitJobs(ctx, "unknown", WaitOptions{})
	if err != nil || len(jobs) != 0 {
		t.Errorf("WaitJobs(unknown) = %v, %v", jobs, err)
	}
}

func TestListJobsNeedsRequestID(t *testing.T) {
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

func TestDoSubstitutesProjectAndDecodes(t *testing.T) {
	f := newFakeServer(t, 0)
	c := newTestClient(t, f, testPassword, t.TempDir())
	var out struct {
		Projects []Project `json:"projects"`
	}
	if _, err := c.Do(context.Background(), http.MethodGet, "/v3/projects", nil, nil, &out); err != nil {
		t.Fatal(err)
	}
	ps, err := c.ListProjects(context.Background(), "cn-north-4")
	if err != nil || len(ps) != 1 || ps[0].ID != testProjectID {
		t.Fatalf("ListProjects = %+v, %v", ps, err)
	}
	if q := f.reqs()[2].Query; q != "name=cn-north-4" {
		t.Errorf("query = %q", q)
	}
	_, err = c.Do(context.Background(), http.MethodGet, "/v1/{project_id}/cloud-phone/nothing", nil, nil, nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Message != "404 page not found" {
		t.Errorf("error = %#v", err)
	}
	if p := f.reqs()[3].Path; p != "/v1/"+testProjectID+"/cloud-phone/nothing" {
		t.Errorf("path = %q", p)
	}
	if _, err := c.Do(context.Background(), http.MethodGet, "v1/x", nil, nil, nil); err == nil {
		t.Error("relative path accepted")
	}
}

func TestFileTokenCache(t *testing.T) {
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
	f := newFakeServer(t, 1)
	c := newTestClient(t, f, testPassword, t.TempDir())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.ListPhones(context.Background(), ListPhonesOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.loginCount(); n != 1 {
		t.Errorf("logins = %d, want 1", n)
	}
}
