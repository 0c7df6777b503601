package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/cphdcmd"
	"github.com/opencph/opencph/internal/poll"
)

// When the test binary runs with CPHD_RUN_MAIN=1 it is cphd itself, so
// the crash tests can start and kill -9 the real program.
func TestMain(m *testing.M) {
	if os.Getenv("CPHD_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is a running cphd.
type process struct {
	cmd *exec.Cmd
	url string
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// startCPHD starts cphd on a random port with the given data dir.
func startCPHD(t *testing.T, dataDir string, extra ...string) *process {
	t.Helper()
	args := append([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir, "--sim-servers", "2",
		"--sim-phones-per-server", "4", "--sim-boot-time", "1s", "--log-level", "warn"}, extra...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CPHD_RUN_MAIN=1", "CPH_BOOTSTRAP_DOMAIN=acme", "CPH_BOOTSTRAP_PASSWORD=crash-test-pw")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd}
	t.Cleanup(func() { p.kill() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case p.url = <-found:
	case <-time.After(30 * time.Second):
		t.Fatalf("cphd did not start; stderr:\n%s", stderr.String())
	}
	return p
}

// kill sends SIGKILL: no shutdown code runs.
func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

func call(t *testing.T, method, url, token, body string, out any) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := cptest.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return resp.StatusCode, resp.Header
}

type phoneList struct {
	Count  int `json:"count"`
	Phones []struct {
		ID     string `json:"phone_id"`
		Status int    `json:"status"`
	} `json:"phones"`
}

type jobList struct {
	Jobs []struct {
		ID        string  `json:"job_id"`
		PhoneID   string  `json:"phone_id"`
		Status    int     `json:"status"`
		ErrorCode *string `json:"error_code"`
	} `json:"jobs"`
}

// TestKillDuringRestartLosesNoJob kills cphd with SIGKILL while a batch
// restart is in flight, at several moments, restarts it on the same data
// dir, and checks that every accepted job reaches a final status and no
// phone is left restarting.
func TestKillDuringRestartLosesNoJob(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real processes")
	}
	dataDir := t.TempDir()
	p := startCPHD(t, dataDir)
	var tok struct {
		Token struct {
			Project struct{ ID string } `json:"project"`
		} `json:"token"`
	}
	status, hdr := call(t, "POST", p.url+"/v3/auth/tokens", "", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"acme","password":"crash-test-pw","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`, &tok)
	if status != 201 {
		t.Fatalf("login: %d", status)
	}
	token := hdr.Get("X-Subject-Token")
	pid := tok.Token.Project.ID

	for round, delay := range []time.Duration{0, 300 * time.Millisecond, 900 * time.Millisecond} {
		api := p.url + "/v1/" + pid + "/cloud-phone"
		var phones phoneList
		call(t, "GET", api+"/phones", token, "", &phones)
		if phones.Count != 8 {
			t.Fatalf("round %d: %d phones, want 8", round, phones.Count)
		}
		var refs []string
		for _, ph := range phones.Phones {
			refs = append(refs, fmt.Sprintf(`{"phone_id":%q}`, ph.ID))
		}
		var accepted struct {
			RequestID string `json:"request_id"`
			Jobs      []struct {
				JobID     string `json:"job_id"`
				ErrorCode string `json:"error_code"`
			} `json:"jobs"`
		}
		if status, _ := call(t, "POST", api+"/phones/batch-restart", token, `{"phones":[`+strings.Join(refs, ",")+`]}`, &accepted); status != 200 {
			t.Fatalf("round %d: restart: %d", round, status)
		}
		for _, j := range accepted.Jobs {
			if j.JobID == "" {
				t.Fatalf("round %d: phone refused: %+v", round, j)
			}
		}
		time.Sleep(delay)
		p.kill()

		p = startCPHD(t, dataDir)
		api = p.url + "/v1/" + pid + "/cloud-phone"
		var jobs jobList
		running := 0
		if !poll.Wait(t, 30*time.Second, func() bool {
			jobs = jobList{}
			if status, _ := call(t, "GET", api+"/jobs?request_id="+accepted.RequestID, token, "", &jobs); status != 200 {
				t.Fatalf("round %d: list jobs after restart: %d (token must survive restarts)", round, status)
			}
			running = 0
			for _, j := range jobs.Jobs {
				if j.Status == 1 {
					running++
				}
			}
			return running == 0
		}) {
			t.Fatalf("round %d: %d jobs still running 30 s after the restart", round, running)
		}
		if len(jobs.Jobs) != 8 {
			t.Fatalf("round %d: %d jobs after restart, want all 8 accepted jobs", round, len(jobs.Jobs))
		}
		for _, j := range jobs.Jobs {
			if j.Status != 2 {
				t.Errorf("round %d: job %s ended %d (%v); a re-delivered restart should succeed", round, j.ID, j.Status, j.ErrorCode)
			}
		}
		var after phoneList
		call(t, "GET", api+"/phones", token, "", &after)
		for _, ph := range after.Phones {
			if ph.Status != 2 {
				t.Errorf("round %d: phone %s status %d after recovery, want 2", round, ph.ID, ph.Status)
			}
		}
	}
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	env := func(string) string { return "" }
	var out bytes.Buffer
	ctx := t.Context()
	runOK := func(args ...string) string {
		t.Helper()
		out.Reset()
		if err := cphdcmd.Run(ctx, append([]string{"admin"}, args...), env, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	runOK("create-account", "--data-dir", dir, "--domain", "bravo", "--password", "bravo-password", "--project", "cn-south-1")
	runOK("create-user", "--data-dir", dir, "--domain", "bravo", "--user", "viewer", "--password", "viewer-password")
	runOK("create-project", "--data-dir", dir, "--domain", "bravo", "--project", "cn-east-3")
	if got := runOK("list-accounts", "--data-dir", dir); !strings.Contains(got, "bravo  users=2 projects=cn-east-3,cn-south-1") {
		t.Errorf("list-accounts = %q", got)
	}
	if err := cphdcmd.Run(ctx, []string{"admin", "create-account", "--data-dir", dir, "--domain", "bravo", "--password", "long-enough"}, env, io.Discard, io.Discard); err == nil {
		t.Error("duplicate account accepted")
	}
	if err := cphdcmd.Run(ctx, []string{"admin", "create-user", "--data-dir", dir, "--domain", "nope", "--user", "u", "--password", "long-enough"}, env, io.Discard, io.Discard); err == nil {
		t.Error("user in a missing account accepted")
	}
	// The account works against a cphd on that data dir.
	p := startCPHD(t, dir)
	status, _ := call(t, "POST", p.url+"/v3/auth/tokens", "", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"viewer","password":"viewer-password","domain":{"name":"bravo"}}}},"scope":{"project":{"name":"cn-east-3"}}}}`, nil)
	if status != 201 {
		t.Errorf("login as the created user: %d", status)
	}
	// User changes while cphd runs: the next login sees them.
	viewerLogin := func(password string) int {
		t.Helper()
		status, _ := call(t, "POST", p.url+"/v3/auth/tokens", "", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"viewer","password":"`+password+`","domain":{"name":"bravo"}}}}}}`, nil)
		return status
	}
	runOK("set-password", "--data-dir", dir, "--domain", "bravo", "--user", "viewer", "--password", "new-viewer-password")
	if old, new := viewerLogin("viewer-password"), viewerLogin("new-viewer-password"); old != 401 || new != 201 {
		t.Errorf("after set-password: old password %d, new %d; want 401, 201", old, new)
	}
	runOK("disable-user", "--data-dir", dir, "--domain", "bravo", "--user", "viewer")
	if st := viewerLogin("new-viewer-password"); st != 401 {
		t.Errorf("login of a disabled user: %d", st)
	}
	runOK("enable-user", "--data-dir", dir, "--domain", "bravo", "--user", "viewer")
	if st := viewerLogin("new-viewer-password"); st != 201 {
		t.Errorf("login of a re-enabled user: %d", st)
	}
	runOK("delete-user", "--data-dir", dir, "--domain", "bravo", "--user", "viewer")
	if st := viewerLogin("new-viewer-password"); st != 401 {
		t.Errorf("login of a deleted user: %d", st)
	}
	for _, cmd := range []string{"disable-user", "delete-user"} {
		err := cphdcmd.Run(ctx, []string{"admin", cmd, "--data-dir", dir, "--domain", "bravo", "--user", "bravo"}, env, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "last enabled admin") {
			t.Errorf("%s of the last admin: %v", cmd, err)
		}
	}
}

// TestDowntimeLongerThanAgentTTLLosesNoJob kills cphd with SIGKILL during
// a batch restart and keeps it down for longer than --agent-ttl before it
// starts again on the same data dir: the downtime must not count as
// silence of the agents, so every job succeeds, every phone is back to 2
// and every server is normal (5).
func TestDowntimeLongerThanAgentTTLLosesNoJob(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real processes")
	}
	const ttl = 3 * time.Second
	dataDir := t.TempDir()
	p := startCPHD(t, dataDir, "--agent-ttl", ttl.String())
	token, pid := login(t, p.url)
	api := p.url + "/v1/" + pid + "/cloud-phone"
	var phones phoneList
	call(t, "GET", api+"/phones", token, "", &phones)
	var refs []string
	for _, ph := range phones.Phones {
		refs = append(refs, fmt.Sprintf(`{"phone_id":%q}`, ph.ID))
	}
	var accepted struct {
		RequestID string `json:"request_id"`
	}
	if status, _ := call(t, "POST", api+"/phones/batch-restart", token, `{"phones":[`+strings.Join(refs, ",")+`]}`, &accepted); status != 200 {
		t.Fatalf("restart: %d", status)
	}
	time.Sleep(300 * time.Millisecond) // the operations are claimed, the phones booting
	p.kill()
	killed := time.Now()
	// A real process stays down for longer than the TTL (a real wait of a
	// few seconds: what is tested is the real program's restart).
	time.Sleep(ttl + time.Second - time.Since(killed))

	p = startCPHD(t, dataDir, "--agent-ttl", ttl.String())
	api = p.url + "/v1/" + pid + "/cloud-phone"
	var jobs jobList
	poll.Within(t, 30*time.Second, "jobs to end", func() bool {
		jobs = jobList{}
		call(t, "GET", api+"/jobs?request_id="+accepted.RequestID, token, "", &jobs)
		for _, j := range jobs.Jobs {
			if j.Status == 1 {
				return false
			}
		}
		return len(jobs.Jobs) > 0
	})
	if len(jobs.Jobs) != len(refs) {
		t.Fatalf("%d jobs, want %d", len(jobs.Jobs), len(refs))
	}
	for _, j := range jobs.Jobs {
		if j.Status != 2 {
			t.Errorf("job %s ended %d (%s); downtime of cphd must not fail it", j.ID, j.Status, strOr(j.ErrorCode))
		}
	}
	var after phoneList
	call(t, "GET", api+"/phones", token, "", &after)
	for _, ph := range after.Phones {
		if ph.Status != 2 {
			t.Errorf("phone %s status %d after the restart, want 2", ph.ID, ph.Status)
		}
	}
	var servers struct {
		Servers []struct {
			ID     string `json:"server_id"`
			Status int    `json:"status"`
		} `json:"servers"`
	}
	call(t, "GET", api+"/servers", token, "", &servers)
	if len(servers.Servers) != 2 {
		t.Fatalf("%d servers, want 2", len(servers.Servers))
	}
	for _, s := range servers.Servers {
		if s.Status != 5 {
			t.Errorf("server %s status %d after the restart, want 5", s.ID, s.Status)
		}
	}
}

// login gets a token of the bootstrap user and its project id.
func login(t *testing.T, url string) (token, projectID string) {
	t.Helper()
	var tok struct {
		Token struct {
			Project struct{ ID string } `json:"project"`
		} `json:"token"`
	}
	status, hdr := call(t, "POST", url+"/v3/auth/tokens", "", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"acme","password":"crash-test-pw","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`, &tok)
	if status != 201 {
		t.Fatalf("login: %d", status)
	}
	return hdr.Get("X-Subject-Token"), tok.Token.Project.ID
}

func strOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestSecondCPHDOnOneDataDirRefused starts a second cphd on the data dir
// of a running one: it must refuse to start, say why and exit non-zero.
// After the first is killed with SIGKILL, a new one starts on the same
// data dir: the lock dies with its process.
func TestSecondCPHDOnOneDataDirRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real processes")
	}
	dataDir := t.TempDir()
	first := startCPHD(t, dataDir)
	second := exec.Command(os.Args[0], "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn")
	second.Env = append(os.Environ(), "CPHD_RUN_MAIN=1", "CPH_BOOTSTRAP_DOMAIN=acme", "CPH_BOOTSTRAP_PASSWORD=crash-test-pw")
	var stderr bytes.Buffer
	second.Stderr = &stderr
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		if err == nil || second.ProcessState.ExitCode() == 0 {
			t.Fatalf("second cphd exited with %v, want a non-zero status", err)
		}
	case <-time.After(30 * time.Second):
		second.Process.Kill()
		t.Fatalf("second cphd on the same data dir kept running; stderr:\n%s", stderr.String())
	}
	want := fmt.Sprintf("in use by another cphd (dirlock: directory in use by another process: process %d holds", first.cmd.Process.Pid)
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr of the second cphd = %q, want it to contain %q", stderr.String(), want)
	}
	// The first one still serves.
	if status, _ := call(t, "GET", first.url+"/healthz", "", "", nil); status != 200 {
		t.Errorf("first cphd after the refused start: healthz %d", status)
	}
	first.kill()
	again := startCPHD(t, dataDir)
	if status, _ := call(t, "GET", again.url+"/healthz", "", "", nil); status != 200 {
		t.Errorf("cphd after kill -9 of the previous one: healthz %d", status)
	}
}
