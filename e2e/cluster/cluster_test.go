// Package cluster_test runs OpenCPH as a real deployment: several cphd
// replicas on one PostgreSQL database and cph-agent processes, all built
// from this repository, started and killed as separate processes.
package cluster_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph/aksk"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/internal/proctest"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// bin holds the cphd and cph-agent binaries built for the tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "opencph-cluster-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := proctest.Build(dir, "cphd", "cph-agent"); err != nil {
		fmt.Fprintln(os.Stderr, "the cluster tests build cphd and cph-agent:", err)
		os.Exit(1)
	}
	bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a started process.
type proc = proctest.Proc

// replicaEnv is the environment of cphd replicas that share a new
// PostgreSQL database and a server key, with the bootstrap account acme.
func replicaEnv(t *testing.T, password string) []string {
	key := make([]byte, 32)
	rand.Read(key)
	return []string{"CPH_BOOTSTRAP_DOMAIN=acme", "CPH_BOOTSTRAP_PASSWORD=" + password,
		"CPH_DATABASE_URL=" + storetest.PostgresURL(t), "CPH_SERVER_KEY=" + hex.EncodeToString(key)}
}

// start runs a binary; for cphd it waits until it listens and records its URL.
func start(t *testing.T, name, binary string, env []string, args ...string) *proc {
	t.Helper()
	p := proctest.Start(t, name, filepath.Join(bin, binary), env, args...)
	if binary == "cphd" {
		p.WaitURL(t, 60*time.Second)
	}
	return p
}

// api is a tiny JSON-over-HTTP helper.
func api(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0 // the replica may be down; callers decide
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		json.Unmarshal(b, out)
	}
	return resp.StatusCode
}

type phone struct {
	ID       string `json:"phone_id"`
	ServerID string `json:"server_id"`
	Status   int    `json:"status"`
}

type job struct {
	ID        string  `json:"job_id"`
	PhoneID   string  `json:"phone_id"`
	Status    int     `json:"status"`
	ErrorCode *string `json:"error_code"`
}

// TestReplicasAndAgents runs two cphd replicas on one PostgreSQL database
// with two cph-agent processes attached to different replicas. It checks
// that batches span agents of both replicas, that killing a replica
// mid-batch loses no job, and that killing an agent makes its server and
// phones abnormal and fails its jobs, until the restarted agent (same
// identity) brings them back.
func TestReplicasAndAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real processes")
	}
	cphdEnv := replicaEnv(t, "cluster-password")
	replica := func(name string) *proc {
		return start(t, name, "cphd", cphdEnv, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(),
			"--sim-servers", "0", "--agent-ttl", "2s", "--log-level", "warn")
	}
	// Both replicas start at once on the empty database.
	var a, b *proc
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = replica("replica-a") }()
	go func() { defer wg.Done(); b = replica("replica-b") }()
	wg.Wait()
	if t.Failed() {
		return
	}

	var tok struct {
		Token struct {
			Project struct{ ID string } `json:"project"`
		} `json:"token"`
	}
	req, _ := http.NewRequest("POST", a.URL+"/v3/auth/tokens", strings.NewReader(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"acme","password":"cluster-password","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("login: %v %v", resp, err)
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	token := resp.Header.Get("X-Subject-Token")
	pid := tok.Token.Project.ID
	path := "/v1/" + pid + "/cloud-phone"

	// The project's admin creates an enrollment token on replica A; the
	// agents read it from a file and from the environment (never from
	// their command line) and need no --project: the token names it.
	var enroll struct {
		Token struct{ Token string } `json:"enrollment_token"`
	}
	if st := api(t, "POST", a.URL+"/opencph/v1/"+pid+"/enrollment-tokens", token, `{"enrollment_token":{"description":"cluster test"}}`, &enroll); st != 201 || enroll.Token.Token == "" {
		t.Fatalf("create enrollment token on A: %d", st)
	}
	tokenFile := filepath.Join(t.TempDir(), "enroll-token")
	if err := os.WriteFile(tokenFile, []byte(enroll.Token.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	agentDir1, agentDir2 := t.TempDir(), t.TempDir()
	agent := func(name, dir string, env []string, tokenArgs []string, urls ...string) *proc {
		args := append([]string{"--control-plane", strings.Join(urls, ","), "--name", name, "--state-dir", dir,
			"--sim-phones", "3", "--sim-boot-time", "300ms", "--log-level", "info"}, tokenArgs...)
		return start(t, name, "cph-agent", env, args...)
	}
	agent1 := agent("node1", agentDir1, nil, []string{"--enroll-token-file", tokenFile}, a.URL, b.URL)
	agent2 := agent("node2", agentDir2, []string{"CPH_ENROLL_TOKEN=" + enroll.Token.Token}, nil, b.URL, a.URL)

	phones := func(base string) []phone {
		var l struct{ Phones []phone }
		api(t, "GET", base+path+"/phones", token, "", &l)
		return l.Phones
	}
	// The tokens issued by replica A work on replica B; both agents enroll.
	poll.Within(t, 30*time.Second, "both agents to enroll their phones", func() bool { return len(phones(b.URL)) == 6 })
	servers := map[string][]string{} // server id -> phone ids
	for _, ph := range phones(b.URL) {
		servers[ph.ServerID] = append(servers[ph.ServerID], ph.ID)
	}
	if len(servers) != 2 {
		t.Fatalf("phones on %d servers, want 2", len(servers))
	}

	restartAll := func(base string, ids []string) string {
		t.Helper()
		var refs []string
		for _, id := range ids {
			refs = append(refs, fmt.Sprintf(`{"phone_id":%q}`, id))
		}
		var acc struct {
			RequestID string `json:"request_id"`
			Jobs      []job  `json:"jobs"`
		}
		poll.Within(t, 20*time.Second, "the restart to be accepted", func() bool {
			acc.RequestID = ""
			return api(t, "POST", base+path+"/phones/batch-restart", token, `{"phones":[`+strings.Join(refs, ",")+`]}`, &acc) == 200
		})
		for _, j := range acc.Jobs {
			if j.ID == "" {
				t.Fatalf("phone refused: %+v", acc.Jobs)
			}
		}
		return acc.RequestID
	}
	finalJobs := func(step, base, requestID string, n int) []job {
		t.Helper()
		var jobs []job
		began := time.Now()
		defer func() {
			// Recovery must not wait for a long-poll or a lease to run out.
			if took := time.Since(began); took > 15*time.Second {
				t.Errorf("%s: jobs took %s to be final", step, took.Round(time.Second))
			}
		}()
		poll.Within(t, 30*time.Second, step+": jobs of "+requestID+" to be final", func() bool {
			var l struct{ Jobs []job }
			if api(t, "GET", base+path+"/jobs?request_id="+requestID, token, "", &l) != 200 || len(l.Jobs) != n {
				return false
			}
			for _, j := range l.Jobs {
				if j.Status == 1 {
					return false
				}
			}
			jobs = l.Jobs
			return true
		})
		return jobs
	}
	var all []string
	for _, ids := range servers {
		all = append(all, ids...)
	}

	// An access key created on replica A signs requests that replica B accepts.
	var me struct {
		Token struct {
			User struct{ ID string } `json:"user"`
		} `json:"token"`
	}
	req, _ = http.NewRequest("GET", a.URL+"/v3/auth/tokens", nil)
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("X-Subject-Token", token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		json.NewDecoder(resp.Body).Decode(&me)
		resp.Body.Close()
	}
	var cred struct {
		Credential struct{ Access, Secret string } `json:"credential"`
	}
	if st := api(t, "POST", a.URL+"/v3.0/OS-CREDENTIAL/credentials", token, `{"credential":{"user_id":"`+me.Token.User.ID+`"}}`, &cred); st != 201 {
		t.Fatalf("create access key on A: %d", st)
	}
	signed, _ := http.NewRequest("GET", b.URL+path+"/phones", nil)
	aksk.Sign(signed, nil, cred.Credential.Access, cred.Credential.Secret, time.Now())
	if resp, err := http.DefaultClient.Do(signed); err != nil || resp.StatusCode != 200 {
		t.Fatalf("signed request on replica B: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// 1. A batch accepted by replica A spans both agents (one attached to B).
	for _, j := range finalJobs("batch across replicas", b.URL, restartAll(a.URL, all), 6) {
		if j.Status != 2 {
			t.Errorf("job %s ended %d", j.ID, j.Status)
		}
	}

	// 2. Replica A is killed right after accepting a batch: nothing is lost.
	reqID := restartAll(a.URL, all)
	a.Kill()
	for _, j := range finalJobs("replica A killed", b.URL, reqID, 6) {
		if j.Status != 2 {
			t.Errorf("after replica A died, job %s ended %d (%v)", j.ID, j.Status, j.ErrorCode)
		}
	}

	// 3. An agent is killed during a restart of its phones.
	var node1 string
	for sid, ids := range servers {
		var detail struct {
			Name string `json:"server_name"`
		}
		api(t, "GET", b.URL+path+"/servers/"+sid, token, "", &detail)
		if detail.Name == "node1" {
			node1 = sid
			_ = ids
		}
	}
	if node1 == "" {
		t.Fatal("no server named node1")
	}
	reqID = restartAll(b.URL, servers[node1])
	agent1.Kill()
	for _, j := range finalJobs("agent killed", b.URL, reqID, 3) {
		if j.Status != -1 || j.ErrorCode == nil || *j.ErrorCode != "CPS.9013" {
			t.Errorf("job of the dead agent: %+v", j)
		}
	}
	poll.Within(t, 20*time.Second, "node1's phones to be abnormal", func() bool {
		for _, ph := range phones(b.URL) {
			if ph.ServerID == node1 && ph.Status != -7 {
				return false
			}
		}
		return true
	})
	var srv struct{ Status int }
	api(t, "GET", b.URL+path+"/servers/"+node1, token, "", &srv)
	if srv.Status != 2 {
		t.Errorf("node1 server status %d, want 2 (abnormal)", srv.Status)
	}
	for _, ph := range phones(b.URL) {
		if ph.ServerID != node1 && ph.Status != 2 {
			t.Errorf("node2's phone %s status %d: a dead agent must not affect others", ph.ID, ph.Status)
		}
	}
	// Work for the dead agent's phones is refused per item, not queued.
	var refused struct{ Jobs []job }
	api(t, "POST", b.URL+path+"/phones/batch-reset", token, fmt.Sprintf(`{"phones":[{"phone_id":%q}]}`, servers[node1][0]), &refused)
	if len(refused.Jobs) != 1 || refused.Jobs[0].ID != "" {
		t.Errorf("work for a down server: %+v", refused.Jobs)
	}

	// 4. The agent comes back with the same identity (no enrollment token).
	start(t, "node1-again", "cph-agent", nil, "--control-plane", b.URL, "--state-dir", agentDir1, "--sim-boot-time", "300ms", "--log-level", "warn")
	poll.Within(t, 20*time.Second, "node1 to be normal again", func() bool {
		api(t, "GET", b.URL+path+"/servers/"+node1, token, "", &srv)
		return srv.Status == 5
	})
	for _, j := range finalJobs("agent back", b.URL, restartAll(b.URL, servers[node1]), 3) {
		if j.Status != 2 {
			t.Errorf("restart after recovery: job %s ended %d", j.ID, j.Status)
		}
	}
	var count struct{ Count int }
	api(t, "GET", b.URL+path+"/servers", token, "", &count)
	if count.Count != 2 {
		t.Errorf("%d servers: the restarted agent must keep its identity", count.Count)
	}
	_ = agent2
}
