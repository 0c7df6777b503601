package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// The tests below run the command against a real control plane (cphd
// started in process by cptest.Start): 2 simulated servers of 3 phones
// each, account cptest.Domain / cptest.User / cptest.Password, project
// cptest.Project.

// result is the outcome of one run of Main.
type result struct {
	code           int
	stdout, stderr string
}

// run runs Main with args, stdin and the environment env.
func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] })
	return result{code, out.String(), errOut.String()}
}

// closeIdleConnectionsAtEnd closes the command's connections before the
// server shuts down: a connection dialled but never used would hold up
// the shutdown.
func closeIdleConnectionsAtEnd(t *testing.T) {
	if tr, ok := http.DefaultTransport.(*http.Transport); ok {
		t.Cleanup(tr.CloseIdleConnections)
	}
}

// testEnv returns an environment for srv's account with a fresh cache
// directory.
func testEnv(t *testing.T, srv *controlplane.Server) map[string]string {
	closeIdleConnectionsAtEnd(t)
	return map[string]string{
		EnvEndpoint: srv.URL(),
		EnvDomain:   cptest.Domain,
		EnvUser:     cptest.User,
		EnvCacheDir: t.TempDir(),
	}
}

// startLoggedIn starts a control plane and logs in to it with the
// bootstrap user's password, returning the server and the environment.
func startLoggedIn(t *testing.T) (*controlplane.Server, map[string]string) {
	t.Helper()
	srv := cptest.Start(t, nil)
	env := testEnv(t, srv)
	login(t, env)
	return srv, env
}

// login logs in through the command and fails the test otherwise.
func login(t *testing.T, env map[string]string) {
	t.Helper()
	if r := run(t, env, "", "login", "--password", cptest.Password); r.code != 0 {
		t.Fatalf("login: exit %d, stderr %q", r.code, r.stderr)
	}
}

// cachedToken returns the value of the one token in the cache directory.
func cachedToken(t *testing.T, env map[string]string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(env[EnvCacheDir], "*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files = %v, want 1", files)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var tok client.Token
	if err := json.Unmarshal(data, &tok); err != nil || tok.Value == "" {
		t.Fatalf("cache file %s: %v", data, err)
	}
	return tok.Value
}

// listPhones returns the project's 6 phones, listed by the command.
func listPhones(t *testing.T, env map[string]string) []cph.Phone {
	t.Helper()
	r := run(t, env, "", "phones", "list", "--all", "-o", "json")
	var list client.PhoneList
	if err := json.Unmarshal([]byte(r.stdout), &list); r.code != 0 || err != nil {
		t.Fatalf("phones list: %+v, %v", r, err)
	}
	if len(list.Phones) != 6 {
		t.Fatalf("%d phones, want 6", len(list.Phones))
	}
	return list.Phones
}

// showPhone returns a phone's details, shown by the command.
func showPhone(t *testing.T, env map[string]string, id string) cph.PhoneDetail {
	t.Helper()
	r := run(t, env, "", "phones", "show", id, "-o", "json")
	var d cph.PhoneDetail
	if err := json.Unmarshal([]byte(r.stdout), &d); r.code != 0 || err != nil {
		t.Fatalf("phones show %s: %+v, %v", id, r, err)
	}
	return d
}

// waitPhone polls a phone (up to 20 s) until cond holds for its details.
func waitPhone(t *testing.T, env map[string]string, id, what string, cond func(cph.PhoneDetail) bool) {
	t.Helper()
	var d cph.PhoneDetail
	if !poll.Wait(t, 20*time.Second, func() bool { d = showPhone(t, env, id); return cond(d) }) {
		t.Fatalf("timed out waiting for phone %s to be %s: %+v", id, what, d)
	}
}

func TestSettingsPrecedence(t *testing.T) {
	t.Parallel()
	resolve := func(env map[string]string, args ...string) settings {
		t.Helper()
		a := &app{getenv: func(k string) string { return env[k] }}
		root := a.rootCommand()
		cmd, rest, err := root.Find(append([]string{"phones", "list"}, args...))
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Fatal(err)
		}
		s, err := a.settings(cmd)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	env := map[string]string{
		EnvEndpoint: "http://env:1", EnvDomain: "envdom", EnvUser: "envuser",
		EnvPassword: "envpw", EnvProject: "envproj", EnvCacheDir: "/env/cache", "HOME": "/home/u",
	}

	got := resolve(map[string]string{"HOME": "/home/u"})
	want := settings{Endpoint: DefaultEndpoint, Project: DefaultProject, Output: "table", CacheDir: "/home/u/.cache/opencph"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
	got = resolve(map[string]string{"HOME": "/home/u", EnvDomain: "acme"})
	if got.CacheDir != filepath.Join("/home/u", ".cache", "opencph") || got.User != "acme" {
		t.Errorf("cache dir %q, user %q: want ~/.cache/opencph and the domain", got.CacheDir, got.User)
	}
	got = resolve(map[string]string{"HOME": "/home/u", "XDG_CACHE_HOME": "/xdg"})
	if got.CacheDir != filepath.Join("/xdg", "opencph") {
		t.Errorf("cache dir = %q, want /xdg/opencph", got.CacheDir)
	}

	got = resolve(env)
	want = settings{Endpoint: "http://env:1", Domain: "envdom", User: "envuser", Password: "envpw",
		Project: "envproj", CacheDir: "/env/cache", Output: "table"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("environment (-want +got):\n%s", d)
	}

	got = resolve(env, "--endpoint", "http://flag:2", "--domain", "flagdom", "--user", "flaguser",
		"--password", "flagpw", "--project", "flagproj", "--cache-dir", "/flag/cache", "-o", "json")
	want = settings{Endpoint: "http://flag:2", Domain: "flagdom", User: "flaguser", Password: "flagpw",
		Project: "flagproj", CacheDir: "/flag/cache", Output: "json"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("flags (-want +got):\n%s", d)
	}

	// The user defaults to the domain of the flag, and an explicitly empty
	// --password overrides the environment.
	got = resolve(env, "--domain", "flagdom", "--password", "")
	if got.User != "envuser" || got.Password != "" {
		t.Errorf("user %q password %q", got.User, got.Password)
	}
	delete(env, EnvUser)
	if got = resolve(env, "--domain", "flagdom"); got.User != "flagdom" {
		t.Errorf("user = %q, want the domain flagdom", got.User)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	env := testEnv(t, srv)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `unknown command "nope" for "cph"`},
		{[]string{"phones", "nope"}, `unknown command "nope" for "cph phones"`},
		{[]string{"phones", "list", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"phones", "list", "--limit", "x"}, `invalid argument "x"`},
		{[]string{"phones", "list", "-o", "yaml"}, `invalid --output "yaml"`},
		{[]string{"phones", "list", "--status", "sleeping"}, `invalid --status "sleeping"`},
		{[]string{"phones", "list", "--all", "--limit", "5"}, "--all cannot be combined"},
		{[]string{"phones", "list", "--limit", "500"}, "invalid --limit 500: the page size is 1 to 200"},
		{[]string{"servers", "list", "--limit", "0"}, "invalid --limit 0: the page size is 1 to "},
		{[]string{"jobs", "list", "--request-id", "r", "--offset", "-1"}, "invalid --offset -1"},
		{[]string{"phones", "list", "--endpoint", "127.0.0.1:8080"}, `invalid endpoint "127.0.0.1:8080": it has no scheme; did you mean http://127.0.0.1:8080`},
		{[]string{"phnes", "list"}, `unknown command "phnes" for "cph"; did you mean "phones"?`},
		{[]string{"phones", "restat", "p1"}, `unknown command "restat" for "cph phones"; did you mean "reset" or "restart"?`},
		{[]string{"jobs", "wait", "r", "--wait-timeout", "-1s"}, "invalid --wait-timeout"},
		{[]string{"phones", "show"}, "accepts 1 arg(s), received 0"},
		{[]string{"phones", "restart"}, "requires at least 1 arg(s)"},
		{[]string{"phones", "restart", "p1", "--property", "[1]"}, "invalid --property"},
		{[]string{"phones", "stop", "p1", "--wait", "--interval", "0s"}, "invalid --interval"},
		{[]string{"phones", "stop", "p1", "--image", "x"}, "unknown flag: --image"},
		{[]string{"jobs", "list"}, "--request-id or --request-ids is required"},
		{[]string{"jobs", "wait"}, "accepts 1 arg(s), received 0"},
		{[]string{"phones", "list", "--domain", ""}, "no account: set --domain or CPH_DOMAIN"},
		{[]string{"phones", "list", "--endpoint", "localhost:8080"}, "invalid endpoint"},
		{[]string{"login"}, "no password: use --password, CPH_PASSWORD or --password-stdin"},
		{[]string{"login", "--password", "x", "--password-stdin"}, "mutually exclusive"},
	} {
		r := run(t, env, "", tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
	for _, args := range [][]string{{}, {"--help"}, {"phones"}, {"phones", "restart", "--help"}} {
		r := run(t, env, "", args...)
		if r.code != ExitOK || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want help", args, r.code, r.stdout, r.stderr)
		}
	}
	// No usage error logged in or cached anything.
	if files, _ := filepath.Glob(filepath.Join(env[EnvCacheDir], "*")); len(files) != 0 {
		t.Errorf("cache files = %v", files)
	}
}

func TestLoginThenCachedToken(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	env := testEnv(t, srv)
	pid := srv.Bootstrap().ProjectID
	r := run(t, env, "", "login", "--password", cptest.Password)
	if r.code != 0 || !strings.Contains(r.stdout, pid) || !strings.Contains(r.stdout, "expires_at") {
		t.Fatalf("login: %+v", r)
	}
	files, _ := filepath.Glob(filepath.Join(env[EnvCacheDir], "*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files = %v", files)
	}
	if st, err := os.Stat(files[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("cache file: %v, %v; want mode 0600", st.Mode(), err)
	}
	tok := cachedToken(t, env)
	if strings.Contains(r.stdout, tok) {
		t.Error("login printed the token")
	}

	// No password: the cached token is used.
	r = run(t, env, "", "phones", "list")
	if r.code != 0 {
		t.Fatalf("phones list: %+v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[0], "PHONE_ID") || !strings.Contains(lines[1], "2 running") {
		t.Errorf("phones list output:\n%s", r.stdout)
	}
	r = run(t, env, "", "phones", "list", "-o", "json", "--limit", "2")
	var list client.PhoneList
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || list.Count != 6 || len(list.Phones) != 2 {
		t.Errorf("json list: %v, %+v, stdout %s", err, list, r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("json list stderr = %q, want nothing", r.stderr)
	}
	r = run(t, env, "", "phones", "list", "--offset", "1", "--limit", "1")
	if r.code != 0 || r.stderr != "showing phones 2-2 of 6; use --offset and --limit, or --all\n" {
		t.Errorf("paged list: %+v", r)
	}
	// Still the token of the login: no other login happened.
	if got := cachedToken(t, env); got != tok {
		t.Errorf("cached token changed from %q to %q", tok, got)
	}

	// Logout deletes the token; then the command needs a password.
	if r = run(t, env, "", "logout"); r.code != 0 || !strings.Contains(r.stdout, "Logged out") {
		t.Fatalf("logout: %+v", r)
	}
	if files, _ = filepath.Glob(filepath.Join(env[EnvCacheDir], "*.json")); len(files) != 0 {
		t.Errorf("cache files after logout = %v", files)
	}
	if r = run(t, env, "", "logout"); r.code != 0 || !strings.Contains(r.stdout, "No cached token") {
		t.Errorf("second logout: %+v", r)
	}
	r = run(t, env, "", "phones", "list")
	if r.code != ExitAPI || !strings.Contains(r.stderr, "not logged in") || !strings.Contains(r.stderr, "cph login") {
		t.Errorf("after logout: %+v", r)
	}
	// A password in the environment is enough.
	env[EnvPassword] = cptest.Password
	if r = run(t, env, "", "phones", "list"); r.code != 0 {
		t.Errorf("phones list with CPH_PASSWORD: %+v", r)
	}
}

func TestLoginPasswordStdinAndWrongPassword(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	env := testEnv(t, srv)
	if r := run(t, env, cptest.Password+"\n", "login", "--password-stdin", "-o", "json"); r.code != 0 {
		t.Fatalf("login: %+v", r)
	} else {
		var info loginInfo
		if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || info.ProjectID != srv.Bootstrap().ProjectID ||
			info.ProjectName != cptest.Project || info.UserName != cptest.User || info.DomainName != cptest.Domain ||
			info.Endpoint != srv.URL() || info.ExpiresAt.Sub(info.IssuedAt) != 24*time.Hour {
			t.Errorf("login json: %v %+v", err, info)
		}
	}
	r := run(t, env, "", "login", "--password", "wrong")
	if r.code != ExitAPI || !strings.Contains(r.stderr, "error: HTTP 401: The username or password is wrong. (request ") {
		t.Errorf("wrong password: %+v", r)
	}
}

func TestAPIErrorOutput(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	r := run(t, env, "", "phones", "show", cptest.UnknownPhone)
	want := "error: CPS.0005: Phone is not found. (request "
	if r.code != ExitAPI || !strings.HasPrefix(r.stderr, want) || r.stdout != "" {
		t.Errorf("show unknown phone: %+v; want exit 3 and %q", r, want)
	}

}

func TestPhoneShow(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	var id string
	for _, p := range listPhones(t, env) {
		if p.Name == "sim-server-01-0001" {
			id = p.ID
		}
	}
	if id == "" {
		t.Fatal("no phone sim-server-01-0001")
	}
	r := run(t, env, "", "phones", "show", id)
	if r.code != 0 || !strings.Contains(r.stdout, "phone_id           "+id+"\n") ||
		!strings.Contains(r.stdout, "phone_name         sim-server-01-0001\n") ||
		!strings.Contains(r.stdout, "status             2 running\n") ||
		!strings.Contains(r.stdout, "ACCESS  PHONE_IP  LISTEN_PORT") {
		t.Errorf("show: %+v", r)
	}
}

func TestBatchWithoutWait(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	phones := listPhones(t, env)
	p1, p2, p3 := phones[0].ID, phones[1].ID, phones[2].ID

	r := run(t, env, "", "phones", "stop", p1, p2)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "request_id: ") || strings.Count(r.stdout, "\n") != 4 || r.stderr != "" {
		t.Errorf("stop: %+v", r)
	}
	for _, id := range []string{p1, p2} {
		waitPhone(t, env, id, "stopped", func(d cph.PhoneDetail) bool { return d.Status == cph.PhoneStopped })
	}

	r = run(t, env, "", "phones", "restart", p3, "ffff", "--image", cptest.Android12, "--property", `{"persist.sys.locale":"en-US"}`)
	if r.code != ExitFailure || !strings.Contains(r.stdout, "ffff") ||
		!strings.Contains(r.stderr, "failed: ffff: CPS.0005: Phone not found.\n") ||
		!strings.Contains(r.stderr, "error: 1 of 2 phones refused") {
		t.Errorf("restart with unknown phone: %+v", r)
	}
	// The known phone was restarted with the image and the property.
	waitPhone(t, env, p3, "restarted with the image", func(d cph.PhoneDetail) bool {
		return d.Status == cph.PhoneRunning && d.ImageID == cptest.Android12
	})
	if d := showPhone(t, env, p3); d.Property != `{"persist.sys.locale":"en-US"}` {
		t.Errorf("property after restart = %q", d.Property)
	}

	// Restart starts a stopped phone.
	if r = run(t, env, "", "phones", "restart", p1); r.code != 0 || r.stderr != "" {
		t.Errorf("restart of a stopped phone: %+v", r)
	}
	waitPhone(t, env, p1, "running", func(d cph.PhoneDetail) bool { return d.Status == cph.PhoneRunning })
}

func TestBatchWait(t *testing.T) {
	t.Parallel()
	srv, env := startLoggedIn(t)
	phones := listPhones(t, env)
	p1, p2 := phones[0].ID, phones[1].ID

	r := run(t, env, "", "phones", "restart", p1, p2, "--wait", "--interval", "10ms")
	if r.code != 0 {
		t.Fatalf("restart --wait: %+v", r)
	}
	progress := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	reProgress := regexp.MustCompile(`^waiting: [0-2]/2 done, 0 failed$`)
	for _, line := range progress {
		if !reProgress.MatchString(line) {
			t.Errorf("progress line %q", line)
		}
	}
	if last := progress[len(progress)-1]; last != "waiting: 2/2 done, 0 failed" {
		t.Errorf("last progress line = %q, want all done", last)
	}
	if !strings.HasPrefix(r.stdout, "request_id: ") || !strings.Contains(r.stdout, "JOB_ID") || strings.Count(r.stdout, "2 succeeded") != 2 {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	for _, id := range []string{p1, p2} {
		if d := showPhone(t, env, id); d.Status != cph.PhoneRunning {
			t.Errorf("phone %s status %v after restart --wait", id, d.Status)
		}
	}

	// The next restart of p2 fails in the runtime.
	cptest.InjectFailure(t, srv, phones[1], "kernel panic")
	r = run(t, env, "", "phones", "restart", p1, p2, "nope", "--wait", "--interval", "10ms", "-o", "json")
	if r.code != ExitFailure {
		t.Fatalf("restart --wait: %+v", r)
	}
	var out waitOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Jobs) != 3 || len(out.Results) != 2 {
		t.Fatalf("json: %v, %+v\n%s", err, out, r.stdout)
	}
	if out.Results[0].PhoneID != p1 || out.Results[0].Status != cph.JobSucceeded ||
		out.Results[1].PhoneID != p2 || out.Results[1].Status != cph.JobFailed {
		t.Errorf("results = %+v", out.Results)
	}
	// With -o json, stderr holds JSON lines only: one per failure, then
	// the error.
	errLines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(errLines) != 3 {
		t.Fatalf("stderr: %d lines, want 3:\n%s", len(errLines), r.stderr)
	}
	var f1, f2 map[string]jsonFailure
	var e jsonError
	if err := errors.Join(json.Unmarshal([]byte(errLines[0]), &f1), json.Unmarshal([]byte(errLines[1]), &f2),
		json.Unmarshal([]byte(errLines[2]), &e)); err != nil {
		t.Fatalf("stderr: %v\n%s", err, r.stderr)
	}
	if want := (jsonFailure{Target: "nope", Code: "CPS.0005", Message: "Phone not found."}); f1["failed"] != want {
		t.Errorf("first failure = %+v, want %+v", f1, want)
	}
	if got := f2["failed"]; got.Target != p2 || got.JobID != out.Results[1].ID || got.Code != "CPS.9004" ||
		!strings.HasPrefix(got.Message, "Job execution failed: phone restart failed: ") || !strings.Contains(got.Message, "kernel panic") {
		t.Errorf("second failure = %+v", got)
	}
	if want := (jsonErrorBody{Code: "cli.failed", Message: "2 of 3 phones failed", ExitCode: ExitFailure}); e.Error != want {
		t.Errorf("error = %+v, want %+v", e.Error, want)
	}
	if d := showPhone(t, env, p2); d.Status != cph.PhoneRestartFailed {
		t.Errorf("phone status after failed restart = %v, want %v", d.Status, cph.PhoneRestartFailed)
	}

	// jobs wait, list and show on a finished request.
	r = run(t, env, "", "jobs", "wait", out.RequestID, "--interval", "10ms")
	if r.code != ExitFailure || strings.Count(r.stdout, "\n") != 3 || !strings.Contains(r.stderr, "error: 1 of 2 jobs failed") ||
		!strings.Contains(r.stderr, "failed: "+p2+" (job "+out.Results[1].ID+"): CPS.9004: ") {
		t.Errorf("jobs wait: %+v", r)
	}
	r = run(t, env, "", "jobs", "list", "--request-id", out.RequestID, "-o", "json")
	var jl client.JobList
	if err := json.Unmarshal([]byte(r.stdout), &jl); r.code != 0 || err != nil || len(jl.Jobs) != 2 {
		t.Errorf("jobs list: %+v %v", r, err)
	}
	r = run(t, env, "", "jobs", "show", out.Results[1].ID)
	if r.code != 0 || !strings.Contains(r.stdout, "-1 failed") || !strings.Contains(r.stdout, "CPS.9004") || !strings.Contains(r.stdout, p2) {
		t.Errorf("jobs show: %+v", r)
	}
}

func TestServersAndProjects(t *testing.T) {
	t.Parallel()
	srv, env := startLoggedIn(t)
	r := run(t, env, "", "servers", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "SERVER_ID") ||
		strings.Count(r.stdout, "5 normal") != 2 || !strings.Contains(r.stdout, "sim-server-01") {
		t.Errorf("servers list: %+v", r)
	}
	r = run(t, env, "", "projects", "list")
	if r.code != 0 || !strings.Contains(r.stdout, srv.Bootstrap().ProjectID+"  cn-north-4  true") {
		t.Errorf("projects list: %+v", r)
	}
}

// wantTable fails the test unless tb writes want.
func wantTable(t *testing.T, name string, tb *table, want string) {
	t.Helper()
	var b bytes.Buffer
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("%s table (-want +got):\n%s", name, d)
	}
}

func TestTables(t *testing.T) {
	t.Parallel()
	created := cph.NewTime(mustTime(t, "2025-03-14T09:10:02Z"))
	ended := cph.NewTime(mustTime(t, "2025-03-14T09:10:49Z"))
	phones := []cph.Phone{
		{ID: "8c1e4b7a", Name: "farm-a-0001", ServerID: "5f0c2a9e", Status: cph.PhoneRunning, ImageID: "6b8d0f2a"},
		{ID: "3d7f9a1c", Name: "farm\ta\n2", ServerID: "5f0c2a9e", Status: cph.PhoneRestartFailed},
	}
	wantTable(t, "phones", phonesTable(phones),
		"PHONE_ID  NAME         SERVER    STATUS             IMAGE\n"+
			"8c1e4b7a  farm-a-0001  5f0c2a9e  2 running          6b8d0f2a\n"+
			"3d7f9a1c  farm a 2     5f0c2a9e  -6 restart-failed  -\n")

	jobs := []cph.Job{
		{ID: "71b3", PhoneID: "8c1e", Status: cph.JobSucceeded, BeginTime: created, EndTime: ended},
		{ID: "9c2e", ServerID: "5f0c", Status: cph.JobFailed, BeginTime: created, EndTime: ended,
			ErrorCode: new("CPS.9004"), ErrorMsg: new("Job execution failed.")},
		{ID: "0d2f", PhoneID: "3d7f", Status: cph.JobRunning, BeginTime: created},
	}
	wantTable(t, "jobs", jobsTable(jobs),
		"JOB_ID  TARGET  STATUS       ERROR_CODE  ERROR_MSG              BEGIN                 END\n"+
			"71b3    8c1e    2 succeeded  -           -                      2025-03-14T09:10:02Z  2025-03-14T09:10:49Z\n"+
			"9c2e    5f0c    -1 failed    CPS.9004    Job execution failed.  2025-03-14T09:10:02Z  2025-03-14T09:10:49Z\n"+
			"0d2f    3d7f    1 running    -           -                      2025-03-14T09:10:02Z  -\n")

	wantTable(t, "batch", batchTable([]cph.PhoneJob{{PhoneID: "p1", JobID: "j1"}, {PhoneID: "p2", ErrorCode: "CPS.0005", ErrorMsg: "Phone not found."}}),
		"PHONE_ID  JOB_ID  ERROR_CODE  ERROR_MSG\n"+
			"p1        j1      -           -\n"+
			"p2        -       CPS.0005    Phone not found.\n")

	if got := serverStatus(cph.ServerShuttingDown); got != "11 shutting-down" {
		t.Errorf("serverStatus = %q", got)
	}
	if got := progressLine(jobs); got != "waiting: 2/3 done, 1 failed" {
		t.Errorf("progressLine = %q", got)
	}
}

func TestParsePhoneStatus(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]cph.PhoneStatus{"2": 2, "-6": -6, "99": 99, "Running": 2, "stop-failed": -9} {
		if got, err := parsePhoneStatus(in); err != nil || got != want {
			t.Errorf("parsePhoneStatus(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parsePhoneStatus("x"); err == nil {
		t.Error("parsePhoneStatus(x) succeeded")
	}
}

func TestInterrupted(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	code := Main(ctx, []string{"phones", "list"}, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	if code != ExitInterrupted || !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWaitWithoutJobs(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	// Every phone is refused: nothing to wait for. The jobs are never
	// polled, since the first poll would print a progress line.
	r := run(t, env, "", "phones", "restart", "ffff", "--wait")
	if r.code != ExitFailure || strings.Contains(r.stderr, "waiting:") ||
		!strings.Contains(r.stderr, "failed: ffff: CPS.0005: Phone not found.") {
		t.Errorf("restart --wait of an unknown phone: %+v", r)
	}
	r = run(t, env, "", "jobs", "wait", "00000000000000000000000000000000")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "has no jobs") {
		t.Errorf("jobs wait of an unknown request: %+v", r)
	}
}

// TestEnrollmentTokensCommands creates, lists and revokes an enrollment
// token through the command.
func TestEnrollmentTokensCommands(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	r := run(t, env, "", "enrollment-tokens", "create", "--description", "rack-7", "--expires-in", "24h")
	secret := strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(secret, "cphe_") || !strings.Contains(r.stderr, "shown only this once") {
		t.Fatalf("create: %+v", r)
	}
	r = run(t, env, "", "enrollment-tokens", "list", "-o", "json")
	var list []cph.EnrollmentToken
	if err := json.Unmarshal([]byte(r.stdout), &list); r.code != 0 || err != nil || len(list) != 1 || list[0].Description != "rack-7" ||
		list[0].ExpiresAt.IsZero() || list[0].Token != "" {
		t.Fatalf("list: %+v (%v)", r, err)
	}
	if r := run(t, env, "", "enrollment-tokens", "list"); r.code != 0 || !strings.Contains(r.stdout, list[0].ID) || strings.Contains(r.stdout, secret) {
		t.Errorf("list table: %+v", r)
	}
	if r := run(t, env, "", "enrollment-tokens", "revoke", list[0].ID); r.code != 0 {
		t.Fatalf("revoke: %+v", r)
	}
	if r := run(t, env, "", "enrollment-tokens", "revoke", list[0].ID); r.code == 0 || !strings.Contains(r.stderr, "CPS.9014") {
		t.Errorf("second revoke: %+v", r)
	}
}
