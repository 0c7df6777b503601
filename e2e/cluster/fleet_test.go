package cluster_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/internal/poll"
)

// TestBuiltinFleetFailsOver runs the built-in simulated fleet on two cphd
// replicas: replica A creates it (--sim-servers 2), replica B is started
// with --sim-servers 0. Killing A (SIGKILL) in the middle of a restart of
// every phone hands the fleet's agents to B, which must run all of them:
// the restart jobs succeed, the phones end running and the servers normal,
// well before the agent TTL could have failed anything for good.
func TestBuiltinFleetFailsOver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real processes")
	}
	env := replicaEnv(t, "fleet-password")
	replica := func(name, simServers, logLevel string) *proc {
		return start(t, name, "cphd", env, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(),
			"--sim-servers", simServers, "--sim-phones-per-server", "2", "--sim-boot-time", "3s",
			"--agent-ttl", "3s", "--log-level", logLevel)
	}
	// A creates the built-in fleet and takes the fleet lease; its debug log
	// tells when its agents have taken the operations.
	a := replica("replica-a", "2", "debug")
	b := replica("replica-b", "0", "info")

	token, pid := login(t, b.URL, "acme", "fleet-password")
	path := b.URL + "/v1/" + pid + "/cloud-phone"
	phones := func() []phone {
		var l struct{ Phones []phone }
		if api(t, "GET", path+"/phones", token, "", &l) != 200 {
			return nil
		}
		return l.Phones
	}
	allPhones := func(status int) func() bool {
		return func() bool {
			l := phones()
			for _, ph := range l {
				if ph.Status != status {
					return false
				}
			}
			return len(l) == 4
		}
	}
	poll.Within(t, 30*time.Second, "the built-in fleet's 4 phones to run", allPhones(2))

	var refs []string
	for _, ph := range phones() {
		refs = append(refs, fmt.Sprintf(`{"phone_id":%q}`, ph.ID))
	}
	var acc struct {
		RequestID string `json:"request_id"`
		Jobs      []job  `json:"jobs"`
	}
	if st := api(t, "POST", path+"/phones/batch-restart", token, `{"phones":[`+strings.Join(refs, ",")+`]}`, &acc); st != 200 || len(acc.Jobs) != 4 {
		t.Fatalf("batch restart: status %d, %+v", st, acc)
	}
	// The phones boot for 3 s: A dies while its agents run the restart.
	poll.Within(t, 10*time.Second, "replica A's agents to take the 4 restarts", func() bool {
		log := a.Log()
		for _, j := range acc.Jobs {
			if !regexp.MustCompile(`"operation queued".* job=` + j.ID).MatchString(log) {
				return false
			}
		}
		return true
	})
	a.Kill()

	var jobs []job
	poll.Within(t, 40*time.Second, "the restart jobs to end", func() bool {
		var l struct{ Jobs []job }
		if api(t, "GET", path+"/jobs?request_id="+acc.RequestID, token, "", &l) != 200 || len(l.Jobs) != 4 {
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
	for _, j := range jobs {
		if j.Status != 2 {
			code := ""
			if j.ErrorCode != nil {
				code = *j.ErrorCode
			}
			t.Errorf("job %s of phone %s ended %d %s, want 2", j.ID, j.PhoneID, j.Status, code)
		}
	}
	poll.Within(t, 20*time.Second, "the phones to run again", allPhones(2))
	var servers struct {
		Servers []struct {
			ID     string `json:"server_id"`
			Status int    `json:"status"`
		} `json:"servers"`
	}
	if st := api(t, "GET", path+"/servers", token, "", &servers); st != 200 || len(servers.Servers) != 2 {
		t.Fatalf("list servers: %d, %+v", st, servers)
	}
	for _, s := range servers.Servers {
		if s.Status != 5 {
			t.Errorf("server %s has status %d, want 5", s.ID, s.Status)
		}
	}
	if !strings.Contains(b.Log(), "this replica now runs the simulated fleet's agents") {
		t.Errorf("replica B never took the fleet lease")
	}
}

// login returns a project-scoped token of the bootstrap user and the
// project's id.
func login(t *testing.T, base, name, password string) (token, projectID string) {
	t.Helper()
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":%q,"password":%q,"domain":{"name":%q}}}},"scope":{"project":{"name":"cn-north-4"}}}}`, name, password, name)
	resp, err := http.Post(base+"/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	var tok struct {
		Token struct {
			Project struct{ ID string } `json:"project"`
		} `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatalf("login: %v", err)
	}
	return resp.Header.Get("X-Subject-Token"), tok.Token.Project.ID
}
