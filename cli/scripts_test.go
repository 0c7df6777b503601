package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// The tests below check what scripts rely on: exit codes, messages that
// say what to do, JSON errors, ids-only output and completion.

// refusedEndpoint returns the URL of a loopback port where nothing
// listens.
func refusedEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// slowBoots starts a control plane whose phones take an hour to restart,
// so that a wait for their jobs cannot end by itself during a test.
func slowBoots(t *testing.T) (*controlplane.Server, map[string]string) {
	srv := cptest.Start(t, func(c *controlplane.Config) { c.SimBootTime = time.Hour })
	env := testEnv(t, srv)
	login(t, env)
	return srv, env
}

// decodeJSONError parses the one JSON error line that stderr must be.
func decodeJSONError(t *testing.T, stderr string) jsonErrorBody {
	t.Helper()
	var e jsonError
	dec := json.NewDecoder(strings.NewReader(stderr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("stderr is not one JSON error line: %v\n%s", err, stderr)
	}
	return e.Error
}

func TestExitCodesPerCause(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	phones := listPhones(t, env)
	refused := refusedEndpoint(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"ok", env, []string{"phones", "show", phones[0].ID}, ExitOK},
		{"item refused", env, []string{"phones", "stop", cptest.UnknownPhone}, ExitFailure},
		{"usage", env, []string{"phones", "list", "--bogus"}, ExitUsage},
		{"api", env, []string{"phones", "show", cptest.UnknownPhone}, ExitAPI},
		{"network", map[string]string{EnvEndpoint: refused, EnvDomain: cptest.Domain, EnvPassword: "x", EnvCacheDir: t.TempDir()}, []string{"phones", "list"}, ExitNetwork},
	} {
		if r := run(t, tc.env, "", tc.args...); r.code != tc.code {
			t.Errorf("%s: %q: exit %d, want %d; %+v", tc.name, tc.args, r.code, tc.code, r)
		}
	}
}

func TestUnreachableEndpointMessage(t *testing.T) {
	t.Parallel()
	endpoint := refusedEndpoint(t)
	env := map[string]string{EnvEndpoint: endpoint, EnvDomain: cptest.Domain, EnvPassword: "x", EnvCacheDir: t.TempDir()}
	r := run(t, env, "", "phones", "list")
	want := "error: cannot reach cphd at " + endpoint + ": connection refused\n" +
		"Is cphd running there? Set CPH_ENDPOINT or --endpoint to its address.\n"
	if r.code != ExitNetwork || r.stderr != want || r.stdout != "" {
		t.Errorf("exit %d, stderr %q; want exit 4 and %q", r.code, r.stderr, want)
	}
	r = run(t, env, "", "phones", "list", "-o", "json")
	e := decodeJSONError(t, r.stderr)
	if r.code != ExitNetwork || e.Code != "cli.network" || e.ExitCode != ExitNetwork || !strings.Contains(e.Message, "cannot reach cphd at "+endpoint) ||
		!strings.Contains(e.Hint, "is cphd running there?") {
		t.Errorf("json: exit %d, %+v", r.code, e)
	}
}

func TestEndpointWithoutScheme(t *testing.T) {
	t.Parallel()
	env := map[string]string{EnvEndpoint: "cph.example:8080", EnvDomain: cptest.Domain, EnvCacheDir: t.TempDir()}
	r := run(t, env, "", "phones", "list")
	if want := `error: invalid endpoint "cph.example:8080": it has no scheme; did you mean http://cph.example:8080`; r.code != ExitUsage ||
		!strings.HasPrefix(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, want)
	}
}

func TestJSONErrors(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	r := run(t, env, "", "phones", "show", cptest.UnknownPhone, "-o", "json")
	e := decodeJSONError(t, r.stderr)
	if r.code != ExitAPI || r.stdout != "" || e.Code != "CPS.0005" || e.Status != 404 || e.Message != "Phone is not found." ||
		!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(e.RequestID) || e.ExitCode != ExitAPI {
		t.Errorf("api error: exit %d, stdout %q, %+v", r.code, r.stdout, e)
	}
	r = run(t, env, "", "phones", "lst", "-o", "json")
	e = decodeJSONError(t, r.stderr)
	if r.code != ExitUsage || e.Code != "cli.usage" || e.ExitCode != ExitUsage ||
		e.Message != `unknown command "lst" for "cph phones"; did you mean "list"?` {
		t.Errorf("usage error: exit %d, %+v", r.code, e)
	}
	r = run(t, env, "", "phones", "list", "--limit", "999", "-o", "json")
	if e = decodeJSONError(t, r.stderr); r.code != ExitUsage || e.Message != "invalid --limit 999: the page size is 1 to 200" {
		t.Errorf("limit: exit %d, %+v", r.code, e)
	}
}

func TestLoginUnknownProject(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	env := testEnv(t, srv)
	r := run(t, env, "", "login", "--password", cptest.Password, "--project", "cn-east-3")
	if r.code != ExitAPI || !strings.Contains(r.stderr, `project "cn-east-3" is unknown (or disabled) in account "`+cptest.Domain+`"`) {
		t.Errorf("unknown project: %+v", r)
	}
	// A wrong password says nothing about the project.
	r = run(t, env, "", "login", "--password", "wrong", "--project", "cn-east-3")
	if r.code != ExitAPI || strings.Contains(r.stderr, "project") || !strings.Contains(r.stderr, "The username or password is wrong.") {
		t.Errorf("wrong password: %+v", r)
	}
}

func TestQuietListsIDs(t *testing.T) {
	t.Parallel()
	srv, env := startLoggedIn(t)
	var want []string
	for _, p := range listPhones(t, env) {
		want = append(want, p.ID)
	}
	r := run(t, env, "", "phones", "list", "--all", "-q")
	if got := strings.Fields(r.stdout); r.code != 0 || r.stdout != strings.Join(want, "\n")+"\n" || r.stderr != "" {
		t.Errorf("phones list -q: exit %d, ids %q, want %q; stderr %q", r.code, got, want, r.stderr)
	}
	if r = run(t, env, "", "projects", "list", "-q"); r.code != 0 || r.stdout != srv.Bootstrap().ProjectID+"\n" {
		t.Errorf("projects list -q: %+v", r)
	}
	r = run(t, env, "", "servers", "list", "-q", "-o", "json")
	if lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"); r.code != 0 || len(lines) != 2 ||
		!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(lines[0]) {
		t.Errorf("servers list -q: %+v", r)
	}
}

func TestCompletionOfPhoneIDs(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	env := testEnv(t, srv)
	// Before login: no token, no password: nothing, silently.
	r := run(t, env, "", "__complete", "phones", "restart", "")
	if r.code != 0 || r.stdout != ":4\n" {
		t.Errorf("completion without a token: %+v", r)
	}
	login(t, env)
	var want []string
	for _, p := range listPhones(t, env) {
		want = append(want, p.ID)
	}
	for _, args := range [][]string{
		{"__complete", "phones", "restart", ""},
		{"__complete", "phones", "restart", want[0], ""},
		{"__complete", "phones", "show", ""},
	} {
		r = run(t, env, "", args...)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		var got []string
		for _, l := range lines[:len(lines)-1] {
			id, _, _ := strings.Cut(l, "\t")
			got = append(got, id)
		}
		slices.Sort(got)
		slices.Sort(want)
		if r.code != 0 || !slices.Equal(got, want) || lines[len(lines)-1] != ":4" {
			t.Errorf("%q: ids %q, want %q; %+v", args, got, want, r)
		}
	}
	// "phones show" takes one id.
	if r = run(t, env, "", "__complete", "phones", "show", want[0], ""); r.stdout != ":4\n" {
		t.Errorf("second argument of show: %q", r.stdout)
	}
	r = run(t, env, "", "__complete", "phones", "list", "--status", "")
	if r.code != 0 || !strings.Contains(r.stdout, "running\t2\n") || !strings.Contains(r.stdout, "stopped\t8\n") {
		t.Errorf("--status: %+v", r)
	}
	r = run(t, env, "", "__complete", "servers", "list", "--status", "")
	if r.code != 0 || !strings.Contains(r.stdout, "5\tnormal\n") {
		t.Errorf("servers --status: %+v", r)
	}
	r = run(t, env, "", "__complete", "phones", "list", "-o", "")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "table\t") || !strings.Contains(r.stdout, "\njson\t") {
		t.Errorf("-o: %+v", r)
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if r = run(t, env, "", "completion", shell); r.code != 0 || !strings.Contains(r.stdout, "cph") || len(r.stdout) < 1000 {
			t.Errorf("completion %s: exit %d, %d bytes", shell, r.code, len(r.stdout))
		}
	}
}

func TestWaitTimeoutSaysHowToResume(t *testing.T) {
	t.Parallel()
	_, env := slowBoots(t)
	p := listPhones(t, env)[0]
	r := run(t, env, "", "phones", "restart", p.ID, "--wait", "--interval", "10ms", "--wait-timeout", "500ms")
	if r.code != ExitTimeout {
		t.Fatalf("exit %d, want 5: %+v", r.code, r)
	}
	reqID := regexp.MustCompile(`request_id: ([0-9a-f]{32})`).FindStringSubmatch(r.stdout)
	if reqID == nil {
		t.Fatalf("no request id in stdout %q", r.stdout)
	}
	// Not a terminal: plain progress lines, then the error and the hint.
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 3 || lines[0] != "waiting: 0/1 done, 0 failed" ||
		lines[1] != "error: gave up after 500ms waiting for the jobs of request "+reqID[1]+" (waiting: 0/1 done, 0 failed): timed out" ||
		lines[2] != "The jobs go on on the server; resume with 'cph jobs wait "+reqID[1]+"' or list them with 'cph jobs list --request-id "+reqID[1]+"'." {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	r = run(t, env, "", "jobs", "wait", reqID[1], "--interval", "10ms", "--wait-timeout", "50ms", "-o", "json")
	if e := decodeJSONError(t, r.stderr); r.code != ExitTimeout || e.Code != "cli.timeout" || e.RequestID != reqID[1] ||
		!strings.Contains(e.Hint, "cph jobs wait "+reqID[1]) {
		t.Errorf("jobs wait -o json: exit %d, %+v", r.code, e)
	}
}

// cancelOnWrite is a stderr that cancels a context when the command first
// writes text containing a marker.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(w.marker)) {
		w.cancel()
	}
	return w.buf.Write(p)
}

func TestInterruptedWaitSaysHowToResume(t *testing.T) {
	t.Parallel()
	_, env := slowBoots(t)
	p := listPhones(t, env)[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Ctrl-C while the wait shows its first progress line.
	errOut := &cancelOnWrite{marker: "waiting:", cancel: cancel}
	var out bytes.Buffer
	code := Main(ctx, []string{"phones", "restart", p.ID, "--wait", "--interval", "10ms"}, strings.NewReader(""), &out, errOut,
		func(k string) string { return env[k] })
	reqID := regexp.MustCompile(`request_id: ([0-9a-f]{32})`).FindStringSubmatch(out.String())
	if code != ExitInterrupted || reqID == nil {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.buf.String())
	}
	if want := "error: interrupted\nThe jobs go on on the server; resume with 'cph jobs wait " + reqID[1] + "'"; !strings.Contains(errOut.buf.String(), want) {
		t.Errorf("stderr %q lacks %q", errOut.buf.String(), want)
	}
}

func TestProgressCounts(t *testing.T) {
	t.Parallel()
	var w bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &progress{w: &w, tty: true, start: now, now: func() time.Time { return now.Add(3500 * time.Millisecond) }}
	p.update(nil)
	p.done()
	if want := "\r\x1b[Kjobs: 0 | running 0 | succeeded 0 | failed 0 (3s)\n"; w.String() != want {
		t.Errorf("terminal progress %q, want %q", w.String(), want)
	}
}

func TestHelpDocumentsExitCodes(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "", "--help")
	for _, code := range []int{ExitOK, ExitFailure, ExitUsage, ExitAPI, ExitNetwork, ExitTimeout, ExitInterrupted} {
		if !regexp.MustCompile(`(?m)^  ` + strconv.Itoa(code) + ` +\S`).MatchString(r.stdout) {
			t.Errorf("cph --help does not document exit code %d:\n%s", code, r.stdout)
		}
	}
}

func TestCompletionOfRequestAndJobIDs(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	if r := run(t, env, "", "__complete", "jobs", "wait", ""); r.stdout != ":4\n" {
		t.Errorf("no request yet: %q", r.stdout)
	}
	phones := listPhones(t, env)
	r := run(t, env, "", "phones", "stop", phones[0].ID, phones[1].ID, "-o", "json")
	var res client.BatchResult
	if err := json.Unmarshal([]byte(r.stdout), &res); r.code != 0 || err != nil || len(res.Jobs) != 2 {
		t.Fatalf("stop: %+v, %v", r, err)
	}
	for _, args := range [][]string{{"__complete", "jobs", "wait", ""}, {"__complete", "jobs", "list", "--request-id", ""}} {
		if r = run(t, env, "", args...); r.stdout != res.RequestID+"\n:4\n" {
			t.Errorf("%q: %q, want the request id %s", args, r.stdout, res.RequestID)
		}
	}
	r = run(t, env, "", "__complete", "jobs", "show", "")
	var got, want []string
	for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n:4\n"), "\n") {
		id, _, _ := strings.Cut(l, "\t")
		got = append(got, id)
	}
	for _, j := range res.Jobs {
		want = append(want, j.JobID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("jobs show: ids %q, want %q (%q)", got, want, r.stdout)
	}
}
