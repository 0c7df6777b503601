package controlplane_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// TestErrorEnvelope checks that every refused request gets the documented
// status and CPH error code in the envelope, with request_id matching
// X-Request-Id, and that it changes nothing.
func TestErrorEnvelope(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	phones := do(t, "GET", api+"/phones", token, nil).body["phones"].([]any)
	phone := phones[0].(map[string]any)["phone_id"].(string)
	ids21 := strings.TrimSuffix(strings.Repeat("0123456789abcdef0123456789abcdef,", 21), ",")

	cases := []struct {
		name, method, url, token string
		body                     any
		status                   int
		code                     string
	}{
		{"no token", "GET", api + "/phones", "", nil, 401, "APIGW.0301"},
		{"unknown token", "GET", api + "/phones", "not-a-token", nil, 401, "APIGW.0301"},
		{"other project", "GET", srv.URL() + "/v1/0123456789abcdef0123456789abcdef/cloud-phone/phones", token, nil, 403, "APIGW.0302"},
		{"limit 0", "GET", api + "/phones?limit=0", token, nil, 400, "CPS.0002"},
		{"limit 201", "GET", api + "/phones?limit=201", token, nil, 400, "CPS.0002"},
		{"offset -1", "GET", api + "/phones?offset=-1", token, nil, 400, "CPS.0002"},
		{"offset abc", "GET", api + "/phones?offset=abc", token, nil, 400, "CPS.0002"},
		{"server limit 101", "GET", api + "/servers?limit=101", token, nil, 400, "CPS.0002"},
		{"status 5", "GET", api + "/phones?status=5", token, nil, 400, "CPS.0010"},
		{"status x", "GET", api + "/phones?status=x", token, nil, 400, "CPS.0010"},
		{"server status 7", "GET", api + "/servers?status=7", token, nil, 400, "CPS.0010"},
		{"empty phones", "POST", api + "/phones/batch-restart", token, `{"phones":[]}`, 400, "CPS.0009"},
		{"missing phones", "POST", api + "/phones/batch-restart", token, `{}`, 400, "CPS.0009"},
		{"empty stop", "POST", api + "/phones/batch-stop", token, `{"phone_ids":[]}`, 400, "CPS.0009"},
		{"malformed JSON", "POST", api + "/phones/batch-restart", token, `{"phones":[`, 400, "APIGW.0201"},
		{"empty body", "POST", api + "/phones/batch-restart", token, ``, 400, "APIGW.0201"},
		{"wrong JSON type", "POST", api + "/phones/batch-restart", token, `{"phones":"x"}`, 400, "APIGW.0201"},
		{"unknown image", "POST", api + "/phones/batch-restart", token, fmt.Sprintf(`{"image_id":"nope","phones":[{"phone_id":%q}]}`, phone), 400, "CPS.0030"},
		{"too many phones", "POST", api + "/phones/batch-restart", token, `{"phones":[` + strings.TrimSuffix(strings.Repeat(`{"phone_id":"a"},`, 101), ",") + `]}`, 400, "CPS.9010"},
		{"unknown job", "GET", api + "/jobs/0123456789abcdef0123456789abcdef", token, nil, 404, "CPS.9002"},
		{"no request id", "GET", api + "/jobs", token, nil, 400, "CPS.9003"},
		{"21 request ids", "GET", api + "/jobs?request_ids=" + ids21, token, nil, 400, "CPS.9003"},
		{"jobs limit 101", "GET", api + "/jobs?request_id=x&limit=101", token, nil, 400, "CPS.0002"},
		{"unknown phone", "GET", api + "/phones/0123456789abcdef0123456789abcdef", token, nil, 404, "CPS.0005"},
		{"malformed phone id", "GET", api + "/phones/bad!id", token, nil, 400, "CPS.0004"},
		{"unknown server", "GET", api + "/servers/0123456789abcdef0123456789abcdef", token, nil, 404, "CPS.0016"},
		{"unknown route", "GET", api + "/no-such-thing", token, nil, 404, "APIGW.0101"},
		{"unknown version", "GET", srv.URL() + "/v9/x", "", nil, 404, "APIGW.0101"},
		{"wrong method", "DELETE", api + "/phones", token, nil, 405, "APIGW.0101"},
		{"wrong method on restart", "PUT", api + "/phones/batch-restart", token, `{}`, 405, "APIGW.0101"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, c.method, c.url, c.token, c.body)
			if r.status != c.status || r.body["error_code"] != c.code {
				t.Fatalf("got %d %v, want %d %s: %s", r.status, r.body["error_code"], c.status, c.code, r.raw)
			}
			msg, _ := r.body["error_msg"].(string)
			if msg == "" {
				t.Error("empty error_msg")
			}
			if id := r.body["request_id"]; id == "" || id != r.header.Get("X-Request-Id") {
				t.Errorf("request_id %v, X-Request-Id %q", id, r.header.Get("X-Request-Id"))
			}
		})
	}
	// Nothing above changed any phone.
	after := do(t, "GET", api+"/phones?status=2", token, nil)
	if after.body["count"] != float64(len(phones)) {
		t.Errorf("running phones after refused requests: %v, want %d", after.body["count"], len(phones))
	}
}

// skewedClock is the current time moved forward by what Advance added.
type skewedClock struct{ skew atomic.Int64 }

func (c *skewedClock) Now() time.Time                  { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *skewedClock) Advance(d time.Duration)         { c.skew.Add(int64(d)) }
func (c *skewedClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

func TestExpiredToken(t *testing.T) {
	t.Parallel()
	clock := new(skewedClock)
	srv := startServer(t, func(c *controlplane.Config) { c.IAM.TokenTTL = 2 * time.Second; c.Now = clock.Now })
	token, r := login(t, srv, testPassword)
	if r.status != 201 {
		t.Fatalf("login: %d", r.status)
	}
	tok := r.body["token"].(map[string]any)
	pid := tok["project"].(map[string]any)["id"].(string)
	expires, err := time.Parse("2006-01-02T15:04:05.000000Z", tok["expires_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	// Used before its expires_at the token works; after it, it is refused
	// with the gateway's "token expires" message.
	if clock.Now().Before(expires) {
		r := do(t, "GET", srv.URL()+"/v1/"+pid+"/cloud-phone/phones", token, nil)
		if clock.Now().Before(expires) && r.status != 200 {
			t.Fatalf("token before its expiry: %d", r.status)
		}
	}
	clock.Advance(clock.Until(expires) + 50*time.Millisecond)
	r = do(t, "GET", srv.URL()+"/v1/"+pid+"/cloud-phone/phones", token, nil)
	if r.status != 401 || r.body["error_code"] != "APIGW.0301" || !strings.Contains(r.body["error_msg"].(string), "token expires") {
		t.Errorf("expired token: %d %s", r.status, r.raw)
	}
}

func TestPerItemRefusals(t *testing.T) {
	t.Parallel()
	srv := startServer(t, func(c *controlplane.Config) { c.SimBootTime = time.Hour })
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	phones := do(t, "GET", api+"/phones", token, nil).body["phones"].([]any)
	a := phones[0].(map[string]any)["phone_id"].(string)
	b := phones[1].(map[string]any)["phone_id"].(string)
	body := fmt.Sprintf(`{"phones":[{"phone_id":%q},{"phone_id":"ffffffffffffffffffffffffffffffff"},{"phone_id":"bad id!"},{"phone_id":%q},{"phone_id":%q,"property":"not json"}]}`, a, a, b)
	r := do(t, "POST", api+"/phones/batch-restart", token, body)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	jobs := r.body["jobs"].([]any)
	want := []struct{ phone, code string }{{a, ""}, {"ffffffffffffffffffffffffffffffff", "CPS.0005"}, {"bad id!", "CPS.0004"}, {b, "CPS.9011"}}
	if len(jobs) != len(want) {
		t.Fatalf("jobs = %v", jobs)
	}
	for i, w := range want {
		j := jobs[i].(map[string]any)
		code, _ := j["error_code"].(string)
		_, hasJob := j["job_id"]
		if j["phone_id"] != w.phone || code != w.code || hasJob != (w.code == "") {
			t.Errorf("entry %d = %v, want phone %s code %q", i, j, w.phone, w.code)
		}
	}
	// The busy phone (boot takes an hour) is refused without a job.
	again := do(t, "POST", api+"/phones/batch-restart", token, fmt.Sprintf(`{"phones":[{"phone_id":%q}]}`, a))
	j := again.body["jobs"].([]any)[0].(map[string]any)
	if j["error_code"] != "CPS.9001" || j["job_id"] != nil {
		t.Errorf("busy phone entry = %v", j)
	}
	if listed := do(t, "GET", api+"/jobs?request_id="+again.body["request_id"].(string), token, nil); len(listed.body["jobs"].([]any)) != 0 {
		t.Errorf("refused entries listed as jobs: %s", listed.raw)
	}
	if st := do(t, "GET", api+"/phones/"+b, token, nil).body["status"]; st != float64(2) {
		t.Errorf("refused phone status %v, want 2", st)
	}
}

func TestRestartFailureAndRecovery(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	p := do(t, "GET", api+"/phones?limit=1", token, nil).body["phones"].([]any)[0].(map[string]any)
	id, server := p["phone_id"].(string), p["server_id"].(string)
	if err := srv.SimDriver(server).InjectFailure(id, "restart", "kernel panic"); err != nil {
		t.Fatal(err)
	}
	restart := func() map[string]any {
		r := do(t, "POST", api+"/phones/batch-restart", token, fmt.Sprintf(`{"phones":[{"phone_id":%q}]}`, id))
		jobID := r.body["jobs"].([]any)[0].(map[string]any)["job_id"].(string)
		var job map[string]any
		poll.Until(t, "job "+jobID, func() bool {
			job = do(t, "GET", api+"/jobs/"+jobID, token, nil).body
			return job["status"] != float64(1)
		})
		return job
	}
	job := restart()
	if job["status"] != float64(-1) || job["error_code"] != "CPS.9004" || !strings.Contains(fmt.Sprint(job["error_msg"]), "kernel panic") || job["end_time"] == nil {
		t.Errorf("failed job = %v", job)
	}
	if st := do(t, "GET", api+"/phones/"+id, token, nil).body["status"]; st != float64(-6) {
		t.Errorf("phone after failed restart: %v, want -6", st)
	}
	// A phone whose restart failed can be restarted again.
	if job := restart(); job["status"] != float64(2) {
		t.Errorf("second restart job = %v", job)
	}
	if st := do(t, "GET", api+"/phones/"+id, token, nil).body["status"]; st != float64(2) {
		t.Errorf("phone after second restart: %v, want 2", st)
	}
}

func TestStopThenRestartStartsPhone(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	id := do(t, "GET", api+"/phones?limit=1", token, nil).body["phones"].([]any)[0].(map[string]any)["phone_id"].(string)
	status := func() any { return do(t, "GET", api+"/phones/"+id, token, nil).body["status"] }
	r := do(t, "POST", api+"/phones/batch-stop", token, fmt.Sprintf(`{"phone_ids":[%q]}`, id))
	if r.status != 200 || r.body["jobs"].([]any)[0].(map[string]any)["job_id"] == nil {
		t.Fatalf("stop: %d %s", r.status, r.raw)
	}
	poll.Until(t, "phone stopped", func() bool { return status() == float64(8) })
	r = do(t, "POST", api+"/phones/batch-restart", token, fmt.Sprintf(`{"phones":[{"phone_id":%q}]}`, id))
	if r.body["jobs"].([]any)[0].(map[string]any)["job_id"] == nil {
		t.Fatalf("restart of a stopped phone refused: %s", r.raw)
	}
	poll.Until(t, "phone running", func() bool { return status() == float64(2) })
}

func TestRestartWithImageAndProperty(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	p := do(t, "GET", api+"/phones?limit=1", token, nil).body["phones"].([]any)[0].(map[string]any)
	id := p["phone_id"].(string)
	body := fmt.Sprintf(`{"image_id":"a1b2c3d4e5f60718293a4b5c6d7e8f12","phones":[{"phone_id":%q,"property":"{\"sys.prop.writewifissid\":\"lab_wifi\",\"com.cph.mainkeys\":1}"}]}`, id)
	if r := do(t, "POST", api+"/phones/batch-restart", token, body); r.status != 200 || r.body["jobs"].([]any)[0].(map[string]any)["job_id"] == nil {
		t.Fatalf("restart: %d %s", r.status, r.raw)
	}
	var d map[string]any
	poll.Until(t, "restart", func() bool {
		d = do(t, "GET", api+"/phones/"+id, token, nil).body
		return d["status"] == float64(2) && d["image_version"] == "AOSP 12.0"
	})
	if d["image_id"] != "a1b2c3d4e5f60718293a4b5c6d7e8f12" || d["property"] != `{"com.cph.mainkeys":1,"sys.prop.writewifissid":"lab_wifi"}` {
		t.Errorf("detail after restart: image %v property %v", d["image_id"], d["property"])
	}
	info, err := srv.SimDriver(p["server_id"].(string)).Phone(t.Context(), id)
	if err != nil || info.ImageID != "a1b2c3d4e5f60718293a4b5c6d7e8f12" || info.Property["sys.prop.writewifissid"] != "lab_wifi" {
		t.Errorf("runtime phone = %+v, %v", info, err)
	}
}

func TestNoAgentFailsJobInsteadOfHanging(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServer(t, func(c *controlplane.Config) { c.DataDir = dir })
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	servers := do(t, "GET", api+"/servers", token, nil).body["servers"].([]any)
	var second string
	for _, s := range servers {
		if s.(map[string]any)["server_name"] == "sim-server-02" {
			second = s.(map[string]any)["server_id"].(string)
		}
	}
	cptest.Orphan(t, srv, second)
	srv.Close()
	// Restarted, sim-server-02 has no agent.
	srv = startServer(t, func(c *controlplane.Config) {
		c.DataDir = dir
		c.Engine.PendingTimeout = 300 * time.Millisecond
	})
	id := do(t, "GET", api2(srv, pid)+"/phones?server_id="+second+"&limit=1", token, nil).body["phones"].([]any)[0].(map[string]any)["phone_id"].(string)
	r := do(t, "POST", api2(srv, pid)+"/phones/batch-restart", token, fmt.Sprintf(`{"phones":[{"phone_id":%q}]}`, id))
	jobID := r.body["jobs"].([]any)[0].(map[string]any)["job_id"].(string)
	var job map[string]any
	poll.Until(t, "job to fail", func() bool {
		job = do(t, "GET", api2(srv, pid)+"/jobs/"+jobID, token, nil).body
		return job["status"] != float64(1)
	})
	if job["status"] != float64(-1) || job["error_code"] != "CPS.9004" {
		t.Errorf("job = %v", job)
	}
	if st := do(t, "GET", api2(srv, pid)+"/phones/"+id, token, nil).body["status"]; st != float64(-6) {
		t.Errorf("phone status %v, want -6 (not stuck in 4)", st)
	}
	_ = http.StatusOK
}

func api2(srv *controlplane.Server, pid string) string {
	return srv.URL() + "/v1/" + pid + "/cloud-phone"
}
