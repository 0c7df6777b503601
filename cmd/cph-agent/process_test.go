package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/internal/cphdcmd"
	"github.com/opencph/opencph/internal/poll"
)

// The test binary is cph-agent itself when CPH_AGENT_TEST_ROLE=agent, and
// cphd when it is cphd, so that the tests run both as real processes.
func TestMain(m *testing.M) {
	switch os.Getenv("CPH_AGENT_TEST_ROLE") {
	case "agent":
		main()
		os.Exit(0)
	case "cphd":
		os.Exit(cphdcmd.Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// proc is a started process with its stderr kept.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	stdout bytes.Buffer // what the process printed, line by line
	done   chan struct{}
	url    string
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.Write(b)
}
func (p *proc) log() string { p.mu.Lock(); defer p.mu.Unlock(); return p.stderr.String() }

var listenRE = regexp.MustCompile(`listening on (https?://\S+)`)

// startProc runs this test binary in role with args and extra environment.
func startProc(t *testing.T, role string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(os.Args[0], args...), done: make(chan struct{})}
	p.cmd.Env = append(append(os.Environ(), "CPH_AGENT_TEST_ROLE="+role, "CPH_ENROLL_TOKEN=", "CPH_ENROLL_TOKEN_FILE="), env...)
	p.cmd.Stderr = p
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		if t.Failed() {
			t.Logf("--- stderr of %s %v:\n%s", role, args, p.log())
		}
	})
	if role == "cphd" {
		select {
		case p.url = <-urls:
		case <-p.done:
			t.Fatalf("cphd exited:\n%s", p.log())
		case <-time.After(30 * time.Second):
			t.Fatalf("cphd did not start:\n%s", p.log())
		}
	}
	return p
}

// exited waits up to limit for p to end and returns its exit status.
func (p *proc) exited(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		t.Fatalf("process still running after %s:\n%s", limit, p.log())
		return 0
	}
}

// startFleetless starts a real cphd without a built-in fleet and returns
// it with a client logged in as its bootstrap admin.
func startFleetless(t *testing.T) (*proc, *client.Client) {
	t.Helper()
	cphd := startProc(t, "cphd", []string{"CPH_BOOTSTRAP_DOMAIN=acme", "CPH_BOOTSTRAP_PASSWORD=agent-test-pw"},
		"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--sim-servers", "0", "--log-level", "warn")
	c, err := client.New(client.Config{Endpoint: cphd.url, Domain: "acme", User: "acme", Password: "agent-test-pw", Project: "cn-north-4"})
	if err != nil {
		t.Fatal(err)
	}
	return cphd, c
}

// waitServer waits until the project has a normal server named name and
// returns it.
func waitServer(t *testing.T, c *client.Client, name string) cph.Server {
	t.Helper()
	var servers []cph.Server
	i := -1
	if !poll.Wait(t, 30*time.Second, func() bool {
		list, err := c.ListServers(context.Background(), client.ListServersOptions{})
		if err != nil {
			t.Fatal(err)
		}
		servers = list.Servers
		i = slices.IndexFunc(servers, func(s cph.Server) bool { return s.Name == name && s.Status == cph.ServerNormal })
		return i >= 0
	}) {
		t.Fatalf("no normal server %q: %+v", name, servers)
	}
	return servers[i]
}

func agentArgs(cphd *proc, name, stateDir string, extra ...string) []string {
	return append([]string{"--control-plane", cphd.url, "--name", name, "--state-dir", stateDir,
		"--sim-phones", "2", "--sim-boot-time", "50ms"}, extra...)
}

// TestAgentReadsEnrollmentTokenFromFileOrEnvironment enrolls real
// cph-agent processes with a project's enrollment token read from a file
// and from CPH_ENROLL_TOKEN, without --project: both servers join the
// token's project.
func TestAgentReadsEnrollmentTokenFromFileOrEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx := context.Background()
	cphd, c := startFleetless(t)
	tok, err := c.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{Description: "agent test"})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "enroll-token")
	if err := os.WriteFile(file, []byte(tok.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startProc(t, "agent", nil, agentArgs(cphd, "from-file", t.TempDir(), "--enroll-token-file", file)...)
	startProc(t, "agent", []string{"CPH_ENROLL_TOKEN=" + tok.Token}, agentArgs(cphd, "from-env", t.TempDir())...)
	// The servers are listed in the token's project (the client's).
	for _, name := range []string{"from-file", "from-env"} {
		waitServer(t, c, name)
	}
	// A wrong token in the file: the agent says so and exits 1.
	if err := os.WriteFile(file, []byte("cphe_wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := startProc(t, "agent", nil, agentArgs(cphd, "wrong-token", t.TempDir(), "--enroll-token-file", file)...)
	if code := bad.exited(t, 30*time.Second); code != 1 || !bytes.Contains([]byte(bad.log()), []byte("Wrong enrollment token")) {
		t.Errorf("agent with a wrong token: exit %d, stderr %q", code, bad.log())
	}
}

// TestAgentOfDeletedServerExits deletes, through the API, the server of a
// running cph-agent process: the agent must say that its server was
// deleted and exit with status 3 instead of retrying forever.
func TestAgentOfDeletedServerExits(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx := context.Background()
	cphd, c := startFleetless(t)
	tok, err := c.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{})
	if err != nil {
		t.Fatal(err)
	}
	stateDir := t.TempDir()
	ag := startProc(t, "agent", []string{"CPH_ENROLL_TOKEN=" + tok.Token}, agentArgs(cphd, "doomed", stateDir)...)
	srv := waitServer(t, c, "doomed")
	if _, err := c.DeleteServers(ctx, []string{srv.ID}); err != nil {
		t.Fatal(err)
	}
	code := ag.exited(t, 30*time.Second)
	want := fmt.Sprintf("server doomed (%s) was deleted from the control plane", srv.ID)
	if code != exitServerDeleted || !bytes.Contains([]byte(ag.log()), []byte(want)) {
		t.Errorf("agent of a deleted server: exit %d, want %d with %q in:\n%s", code, exitServerDeleted, want, ag.log())
	}
	if _, err := os.Stat(filepath.Join(stateDir, "sim")); !os.IsNotExist(err) {
		t.Errorf("the simulated phones' state of a deleted server is left: %v", err)
	}
}

// agentShell runs a shell command on a phone through the API and returns
// the finished job.
func agentShell(t *testing.T, c *client.Client, phoneID, content string) cph.Job {
	t.Helper()
	ctx := context.Background()
	res, err := c.RunCommand(ctx, client.Command{Command: cph.CommandShell, Content: content, PhoneIDs: []string{phoneID}})
	if err != nil || len(res.Jobs) != 1 {
		t.Fatalf("shell %q: %+v, %v", content, res, err)
	}
	var job *cph.Job
	if !poll.Wait(t, 30*time.Second, func() bool {
		job, err = c.ShowJob(ctx, res.Jobs[0].JobID)
		return err == nil && (job.Status == cph.JobSucceeded || job.Status == cph.JobFailed)
	}) {
		t.Fatalf("shell %q: job not finished: %+v, %v", content, job, err)
	}
	return *job
}

// TestSimulatedPhonesSurviveAgentKill kills a cph-agent --runtime sim
// process with SIGKILL and starts it again on its state dir: the file
// and property set on its phone are still there.
func TestSimulatedPhonesSurviveAgentKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx := context.Background()
	cphd, c := startFleetless(t)
	tok, err := c.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{})
	if err != nil {
		t.Fatal(err)
	}
	stateDir := t.TempDir()
	ag := startProc(t, "agent", []string{"CPH_ENROLL_TOKEN=" + tok.Token}, agentArgs(cphd, "keeper", stateDir)...)
	srv := waitServer(t, c, "keeper")
	var phone cph.Phone
	if !poll.Wait(t, 30*time.Second, func() bool {
		list, err := c.ListAllPhones(ctx, client.ListPhonesOptions{ServerID: srv.ID})
		if err != nil || len(list.Phones) == 0 || list.Phones[0].Status != cph.PhoneRunning {
			return false
		}
		phone = list.Phones[0]
		return true
	}) {
		t.Fatal("no running phone on the agent's server")
	}
	for _, cmd := range []string{"touch /data/local/tmp/kept", "setprop persist.kept yes"} {
		if j := agentShell(t, c, phone.ID, cmd); j.Status != cph.JobSucceeded {
			t.Fatalf("%s: %+v", cmd, j)
		}
	}
	if err := ag.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	ag.exited(t, 30*time.Second)

	startProc(t, "agent", nil, agentArgs(cphd, "keeper", stateDir)...)
	for cmd, want := range map[string]string{"ls /data/local/tmp": "kept\n", "getprop persist.kept": "yes\n"} {
		var j cph.Job
		if !poll.Wait(t, 30*time.Second, func() bool {
			j = agentShell(t, c, phone.ID, cmd)
			return j.Status == cph.JobSucceeded && j.ExecuteMsg != nil && *j.ExecuteMsg == want
		}) {
			t.Errorf("after the agent's restart, %s: %+v, want %q", cmd, j, want)
		}
	}
}
