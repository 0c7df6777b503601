package controlplane_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/poll"
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestQuickStartOverHTTP walks the CPH quick start with plain HTTP and
// checks the exact shapes a curl user sees.
func TestQuickStartOverHTTP(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, r := login(t, srv, testPassword)
	if r.status != http.StatusCreated {
		t.Fatalf("token: status %d, want 201: %s", r.status, r.raw)
	}
	if token == "" {
		t.Fatal("no X-Subject-Token header")
	}
	tok := r.body["token"].(map[string]any)
	issued, err1 := time.Parse("2006-01-02T15:04:05.000000Z", tok["issued_at"].(string))
	expires, err2 := time.Parse("2006-01-02T15:04:05.000000Z", tok["expires_at"].(string))
	if err1 != nil || err2 != nil || expires.Sub(issued) != 24*time.Hour {
		t.Errorf("issued_at %v / expires_at %v: want 24 h apart (%v %v)", tok["issued_at"], tok["expires_at"], err1, err2)
	}
	if _, ok := tok["catalog"]; !ok {
		t.Error("token body has no catalog")
	}
	project := tok["project"].(map[string]any)
	pid := project["id"].(string)
	if !hex32.MatchString(pid) || project["name"] != "cn-north-4" {
		t.Errorf("project = %v", project)
	}
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"

	list := do(t, "GET", api+"/phones?offset=0&limit=100", token, nil)
	if list.status != 200 {
		t.Fatalf("list phones: %d %s", list.status, list.raw)
	}
	if list.body["count"] != float64(6) {
		t.Errorf("count = %v, want 6", list.body["count"])
	}
	phones := list.body["phones"].([]any)
	if len(phones) != 6 {
		t.Fatalf("%d phones, want 6", len(phones))
	}
	if id := list.body["request_id"].(string); !hex32.MatchString(id) || list.header.Get("X-Request-Id") != id {
		t.Errorf("request_id %q, header %q", id, list.header.Get("X-Request-Id"))
	}
	first := phones[0].(map[string]any)
	for _, field := range []string{"phone_name", "server_id", "phone_id", "phone_model_name", "image_id", "image_version",
		"vnc_enable", "status", "type", "imei", "traffic_type", "volume_mode", "availability_zone", "metadata", "has_encrypt", "create_time", "update_time"} {
		if _, ok := first[field]; !ok {
			t.Errorf("phone has no %q field", field)
		}
	}
	if ct, _ := first["create_time"].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(ct) {
		t.Errorf("create_time %q not in YYYY-MM-DDTHH:MM:SSZ", ct)
	}

	var ids []string
	for _, p := range phones[:2] {
		ids = append(ids, p.(map[string]any)["phone_id"].(string))
	}
	restart := do(t, "POST", api+"/phones/batch-restart", token,
		fmt.Sprintf(`{"phones":[{"phone_id":%q},{"phone_id":%q}]}`, ids[0], ids[1]))
	if restart.status != 200 {
		t.Fatalf("restart: %d %s", restart.status, restart.raw)
	}
	reqID := restart.body["request_id"].(string)
	if restart.header.Get("X-Request-Id") != reqID {
		t.Errorf("X-Request-Id %q != request_id %q", restart.header.Get("X-Request-Id"), reqID)
	}
	jobs := restart.body["jobs"].([]any)
	if len(jobs) != 2 {
		t.Fatalf("jobs = %v", jobs)
	}
	for i, j := range jobs {
		jm := j.(map[string]any)
		if jm["phone_id"] != ids[i] || !hex32.MatchString(fmt.Sprint(jm["job_id"])) {
			t.Errorf("job entry %d = %v", i, jm)
		}
	}
	// Right after acceptance the phones are restarting (or already back).
	detail := do(t, "GET", api+"/phones/"+ids[0], token, nil)
	if st := detail.body["status"]; st != float64(4) && st != float64(2) {
		t.Errorf("status right after restart = %v", st)
	}

	var final map[string]any
	poll.Until(t, "jobs to finish", func() bool {
		r := do(t, "GET", api+"/jobs?request_id="+reqID, token, nil)
		if r.status != 200 {
			t.Fatalf("list jobs: %d %s", r.status, r.raw)
		}
		for _, j := range r.body["jobs"].([]any) {
			if j.(map[string]any)["status"] == float64(1) {
				return false
			}
		}
		final = r.body
		return true
	})
	for _, j := range final["jobs"].([]any) {
		jm := j.(map[string]any)
		if jm["status"] != float64(2) || jm["end_time"] == nil || jm["error_code"] != nil {
			t.Errorf("final job = %v", jm)
		}
		if _, ok := jm["execute_msg"]; !ok {
			t.Error("job has no execute_msg field (null expected)")
		}
	}
	jobID := final["jobs"].([]any)[0].(map[string]any)["job_id"].(string)
	show := do(t, "GET", api+"/jobs/"+jobID, token, nil)
	if show.status != 200 || show.body["job_id"] != jobID || show.body["status"] != float64(2) || show.body["phone_id"] != ids[0] {
		t.Errorf("show job: %d %v", show.status, show.body)
	}
	for _, id := range ids {
		d := do(t, "GET", api+"/phones/"+id, token, nil)
		if d.body["status"] != float64(2) {
			t.Errorf("phone %s status %v after restart, want 2", id, d.body["status"])
		}
		if infos, _ := d.body["access_infos"].([]any); len(infos) == 0 {
			t.Errorf("phone detail without access_infos: %s", d.raw)
		}
	}
	servers := do(t, "GET", api+"/servers", token, nil)
	if servers.body["count"] != float64(2) {
		t.Errorf("servers count = %v", servers.body["count"])
	}
	sid := servers.body["servers"].([]any)[0].(map[string]any)["server_id"].(string)
	if d := do(t, "GET", api+"/servers/"+sid, token, nil); d.status != 200 || d.body["server_id"] != sid {
		t.Errorf("server detail: %d %s", d.status, d.raw)
	}
}

func TestListPhonesFilters(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	all := do(t, "GET", api+"/phones", token, nil).body["phones"].([]any)
	server0 := all[0].(map[string]any)["server_id"].(string)
	cases := []struct {
		query       string
		count, page int
	}{
		{"limit=2", 6, 2},
		{"offset=5&limit=200", 6, 1},
		{"offset=6", 6, 0},
		{"phone_name=0002", 2, 2},
		{"phone_name=SIM-SERVER-01", 3, 3},
		{"phone_name=nomatch", 0, 0},
		{"server_id=" + server0, 3, 3},
		{"server_id=ffffffffffffffffffffffffffffffff", 0, 0},
		{"status=2", 6, 6},
		{"status=8", 0, 0},
		{"status=0", 0, 0},
		{"type=0", 6, 6},
		{"status=2&phone_name=01-", 3, 3},
	}
	for _, c := range cases {
		r := do(t, "GET", api+"/phones?"+c.query, token, nil)
		if r.status != 200 || r.body["count"] != float64(c.count) || len(r.body["phones"].([]any)) != c.page {
			t.Errorf("?%s: status %d count %v page %d; want count %d page %d", c.query, r.status, r.body["count"],
				len(r.body["phones"].([]any)), c.count, c.page)
		}
	}
	// Newest first; phones of one server in name order.
	var names []string
	for _, p := range all {
		names = append(names, p.(map[string]any)["phone_name"].(string))
	}
	if !strings.HasPrefix(names[0], "sim-server-0") {
		t.Errorf("names = %v", names)
	}
}

func TestRestartKeepsStateAndFleet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := func(c *controlplane.Config) { c.DataDir = dir }
	srv := startServer(t, cfg)
	token, pid := mustLogin(t, srv)
	before := do(t, "GET", srv.URL()+"/v1/"+pid+"/cloud-phone/phones", token, nil)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv2 := startServer(t, cfg)
	if srv2.Bootstrap().Created {
		t.Error("second start created the account again")
	}
	// The token issued before the restart still works.
	after := do(t, "GET", srv2.URL()+"/v1/"+pid+"/cloud-phone/phones", token, nil)
	if after.status != 200 {
		t.Fatalf("token after restart: %d %s", after.status, after.raw)
	}
	if after.body["count"] != before.body["count"] {
		t.Errorf("phones after restart %v, before %v (no duplicate fleet expected)", after.body["count"], before.body["count"])
	}
	// A larger fleet setting adds servers, never duplicates.
	srv2.Close()
	srv3 := startServer(t, func(c *controlplane.Config) { c.DataDir = dir; c.SimServers = 3 })
	if n := do(t, "GET", srv3.URL()+"/v1/"+pid+"/cloud-phone/servers", token, nil).body["count"]; n != float64(3) {
		t.Errorf("servers after growing the fleet: %v, want 3", n)
	}
}

func TestGeneratedBootstrapPassword(t *testing.T) {
	t.Parallel()
	srv := startServer(t, func(c *controlplane.Config) { c.Bootstrap = controlplane.Bootstrap{} })
	b := srv.Bootstrap()
	if !b.Created || b.Domain != "opencph" || b.User != "opencph" || b.Project != "cn-north-4" || len(b.Password) < 16 || b.PasswordFile == "" {
		t.Fatalf("bootstrap = %+v", b)
	}
	r := do(t, "POST", srv.URL()+"/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "opencph", "password": b.Password, "domain": map[string]any{"name": "opencph"}}}},
		"scope": map[string]any{"project": map[string]any{"id": b.ProjectID}},
	}})
	if r.status != 201 {
		t.Errorf("login with the generated password: %d %s", r.status, r.raw)
	}
}

// TestPhoneListsFollowChanges reads the same list pages again and again
// around changes: every change shows in the next list (pages are cached
// between changes).
func TestPhoneListsFollowChanges(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	statusOf := func(id string) float64 {
		for _, p := range do(t, "GET", api+"/phones?limit=100", token, nil).body["phones"].([]any) {
			if m := p.(map[string]any); m["phone_id"] == id {
				return m["status"].(float64)
			}
		}
		t.Fatalf("phone %s not listed", id)
		return 0
	}
	first := do(t, "GET", api+"/phones?limit=1", token, nil).body["phones"].([]any)[0].(map[string]any)
	id, name := first["phone_id"].(string), first["phone_name"].(string)
	if statusOf(id) != 2 || statusOf(id) != 2 {
		t.Fatal("phone not running")
	}
	r := do(t, "POST", api+"/phones/batch-stop", token, map[string]any{"phone_ids": []string{id}})
	if r.status != 200 {
		t.Fatalf("stop: %d %s", r.status, r.raw)
	}
	if st := statusOf(id); st != 7 && st != 8 {
		t.Errorf("listed status right after the stop was accepted: %v, want 7 (stopping) or 8", st)
	}
	poll.Until(t, "the phone stopped in the list", func() bool { return statusOf(id) == 8 })
	r = do(t, "PUT", api+"/phones/"+id, token, map[string]any{"phone_name": "renamed-phone"})
	if r.status != 200 {
		t.Fatalf("rename: %d %s", r.status, r.raw)
	}
	page := do(t, "GET", api+"/phones?phone_name=renamed", token, nil)
	if page.body["count"] != float64(1) {
		t.Errorf("after renaming %s: list by the new name counts %v, want 1", name, page.body["count"])
	}
	if got := do(t, "GET", api+"/phones?phone_name="+name, token, nil).body["count"]; got != float64(0) {
		t.Errorf("after renaming: list by the old name counts %v, want 0", got)
	}
}
