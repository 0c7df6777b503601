package controlplane_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/sqlstore"
)

// scrape reads the metrics at url: through the client that checks the
// API's answers against its OpenAPI document when they are served on the
// API's listener.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	return scrapeWith(t, cptest.HTTPClient(t), url)
}

func scrapeWith(t *testing.T, client *http.Client, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return fams
}

// value returns the value of the series of name whose labels include
// labels (counter, gauge, or a histogram's count), 0 if there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	sum := 0.0
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// restartAll restarts the phones through the API and waits until their
// jobs are final; it returns the phone ids and the request id.
func restartAll(t *testing.T, srv *controlplane.Server, token, project string, n int) ([]string, string) {
	t.Helper()
	api := srv.URL() + "/v1/" + project + "/cloud-phone"
	r := do(t, "GET", api+"/phones?limit=100", token, nil)
	var ids []string
	var phones []map[string]any
	for _, p := range r.body["phones"].([]any)[:n] {
		id := p.(map[string]any)["phone_id"].(string)
		ids = append(ids, id)
		phones = append(phones, map[string]any{"phone_id": id})
	}
	r = do(t, "POST", api+"/phones/batch-restart", token, map[string]any{"phones": phones})
	if r.status != 200 {
		t.Fatalf("restart: %d %s", r.status, r.raw)
	}
	req := r.body["request_id"].(string)
	poll.Until(t, "the restarts to finish", func() bool {
		jobs := do(t, "GET", api+"/jobs?request_id="+req, token, nil).body["jobs"].([]any)
		for _, j := range jobs {
			if j.(map[string]any)["status"].(float64) == 1 {
				return false
			}
		}
		return len(jobs) == n
	})
	return ids, req
}

// TestMetricsAgreeWithTheAPI restarts N phones through the API and checks
// that the job, operation and request counters moved by exactly N (and
// the request counter by one), that failed logins are counted, and that
// no label carries an id.
func TestMetricsAgreeWithTheAPI(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, project := mustLogin(t, srv)
	before := scrape(t, srv.MetricsURL())
	if got := value(before, "cph_phones"); got != 6 {
		t.Errorf("cph_phones sums to %v, want the 6 phones", got)
	}
	if got := value(before, "cph_servers", "status", "5"); got != 2 {
		t.Errorf("cph_servers{status=5} = %v, want 2", got)
	}
	if got := value(before, "cph_agents_connected"); got != 2 {
		t.Errorf("cph_agents_connected = %v, want 2", got)
	}
	if _, r := login(t, srv, "wrong-password"); r.status != 401 {
		t.Fatalf("bad login: %d", r.status)
	}
	const n = 4
	ids, _ := restartAll(t, srv, token, project, n)
	after := scrape(t, srv.MetricsURL())
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"cph_jobs_accepted_total", []string{"type", "restart_phone"}, n},
		{"cph_jobs_finished_total", []string{"type", "restart_phone", "status", "success"}, n},
		{"cph_jobs_finished_total", []string{"type", "restart_phone", "status", "failure"}, 0},
		{"cph_operation_dispatch_seconds", []string{"type", "restart_phone"}, n},
		{"cph_operation_run_seconds", []string{"type", "restart_phone"}, n},
		{"cph_http_requests_total", []string{"operation", "RestartCloudPhone", "code", "200"}, 1},
		{"cph_http_request_duration_seconds", []string{"operation", "RestartCloudPhone"}, 1},
		{"cph_logins_failed_total", nil, 1},
	} {
		if d := value(after, c.name, c.labels...) - value(before, c.name, c.labels...); d != c.want {
			t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, d, c.want)
		}
	}
	if value(after, "cph_db_transaction_duration_seconds", "result", "commit") == 0 {
		t.Error("no database transaction observed")
	}
	if value(after, "go_goroutines") == 0 || value(after, "process_resident_memory_bytes") == 0 {
		t.Error("Go runtime or process collectors missing")
	}
	secret := append([]string{project}, ids...)
	for name, f := range after {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				for _, s := range secret {
					if strings.Contains(l.GetValue(), s) {
						t.Errorf("%s has label %s=%q, an id", name, l.GetName(), l.GetValue())
					}
				}
			}
		}
	}
}

// TestMetricsListenerOfTheirOwn serves the metrics on a listener of their
// own: the API's listener has no /metrics then; "off" serves none.
func TestMetricsListenerOfTheirOwn(t *testing.T) {
	t.Parallel()
	srv := startServer(t, func(c *controlplane.Config) { c.MetricsListen = "127.0.0.1:0" })
	if !strings.HasPrefix(srv.MetricsURL(), "http://127.0.0.1:") || strings.HasPrefix(srv.MetricsURL(), srv.URL()) {
		t.Fatalf("metrics URL %q", srv.MetricsURL())
	}
	if value(scrapeWith(t, &http.Client{}, srv.MetricsURL()), "cph_servers") != 2 {
		t.Error("no servers counted on the metrics listener")
	}
	if r := do(t, "GET", srv.URL()+"/metrics", "", nil); r.status != 404 {
		t.Errorf("API listener /metrics: %d, want 404", r.status)
	}
	off := startServer(t, func(c *controlplane.Config) { c.MetricsListen = controlplane.MetricsOff })
	if off.MetricsURL() != "" || off.Metrics() != nil {
		t.Error("metrics not off")
	}
	if r := do(t, "GET", off.URL()+"/metrics", "", nil); r.status != 404 {
		t.Errorf("/metrics with metrics off: %d, want 404", r.status)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAuditTrail records mutating calls and logins (success and refusal)
// with who, from where, what, on which ids and with which result; lists
// them to the project's admins only, with filters and paging; keeps
// reads and secrets out; writes the file; and loses nothing at a graceful
// shutdown.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	auditFile := filepath.Join(t.TempDir(), "audit.jsonl")
	var logs syncBuffer
	var dataDir string
	srv := startServer(t, func(c *controlplane.Config) {
		dataDir = c.DataDir
		c.AuditFile = auditFile
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	if _, r := login(t, srv, "wrong-password"); r.status != 401 {
		t.Fatalf("bad login: %d", r.status)
	}
	token, project := mustLogin(t, srv)
	viewer := viewerToken(t, srv, token)
	ids, _ := restartAll(t, srv, token, project, 2)
	api := srv.URL() + "/v1/" + project + "/cloud-phone"
	refused := do(t, "POST", api+"/phones/batch-stop", viewer, map[string]any{"phone_ids": ids[:1]})
	if refused.status != 403 {
		t.Fatalf("viewer stop: %d", refused.status)
	}
	events := srv.URL() + "/opencph/v1/" + project + "/audit-events"
	if r := do(t, "GET", events, viewer, nil); r.status != 403 || r.body["error_code"] != "CPS.0001" {
		t.Fatalf("viewer lists audit events: %d %s", r.status, r.raw)
	}
	list := func(query string) []map[string]any {
		t.Helper()
		r := do(t, "GET", events+query, token, nil)
		if r.status != 200 {
			t.Fatalf("list %s: %d %s", query, r.status, r.raw)
		}
		var out []map[string]any
		for _, e := range r.body["audit_events"].([]any) {
			out = append(out, e.(map[string]any))
		}
		return out
	}
	var all []map[string]any
	poll.Until(t, "the audit events to be stored", func() bool {
		all = list("")
		for _, e := range all {
			if e["operation"] == "StopCloudPhone" {
				return true
			}
		}
		return false
	})
	byOp := map[string][]map[string]any{}
	for _, e := range all {
		byOp[e["operation"].(string)] = append(byOp[e["operation"].(string)], e)
	}
	restart := byOp["RestartCloudPhone"]
	if len(restart) != 1 {
		t.Fatalf("%d restart events, want 1; events: %v", len(restart), all)
	}
	e := restart[0]
	targets := fmt.Sprint(e["target_ids"])
	if e["user_name"] != cptest.User || e["source_ip"] != "127.0.0.1" || e["status"] != float64(200) || e["project_id"] != project ||
		e["error_code"] != "" || targets != fmt.Sprint([]any{ids[0], ids[1]}) || e["request_id"] == "" {
		t.Errorf("restart event = %v (targets %s, want %v)", e, targets, ids)
	}
	if stop := byOp["StopCloudPhone"]; len(stop) != 1 || stop[0]["status"] != float64(403) || stop[0]["error_code"] != "CPS.0001" ||
		stop[0]["user_name"] != "viewer" || stop[0]["request_id"] != refused.header.Get("X-Request-Id") {
		t.Errorf("refused stop events = %v", stop)
	}
	logins := byOp["KeystoneCreateUserTokenByPassword"]
	var ok, failed int
	for _, l := range logins {
		switch l["status"] {
		case float64(201):
			ok++
		case float64(401):
			failed++
			if l["user_name"] != cptest.User || l["project_id"] != "" || l["domain_id"] == "" {
				t.Errorf("refused login event = %v", l)
			}
		}
	}
	if ok < 2 || failed != 1 { // the admin's and the viewer's logins
		t.Errorf("logins: %d successful, %d refused; events %v", ok, failed, logins)
	}
	if len(byOp["KeystoneCreateUser"]) != 1 {
		t.Errorf("user creation events: %v", byOp["KeystoneCreateUser"])
	}
	for _, read := range []string{"ListCloudPhones", "ListJobs", "ListAuditEvents"} {
		if len(byOp[read]) != 0 {
			t.Errorf("read %s was recorded", read)
		}
	}
	// Filters and paging.
	if got := list("?operation=RestartCloudPhone"); len(got) != 1 {
		t.Errorf("operation filter: %d events", len(got))
	}
	if got := list("?result=failure"); len(got) != 2 {
		t.Errorf("failures: %d events, want the refused login and stop", len(got))
	}
	if got := list("?user=viewer"); len(got) < 2 {
		t.Errorf("user filter: %d events", len(got))
	}
	page := do(t, "GET", events+"?limit=2", token, nil)
	marker, _ := page.body["next_marker"].(string)
	if len(page.body["audit_events"].([]any)) != 2 || marker == "" {
		t.Fatalf("first page: %s", page.raw)
	}
	if next := list("?limit=100&marker=" + marker); len(next) != len(all)-2 {
		t.Errorf("after the marker: %d events, want %d", len(next), len(all)-2)
	}
	for _, bad := range []string{"?result=maybe", "?since=yesterday", "?limit=101", "?offset=-1"} {
		if r := do(t, "GET", events+bad, token, nil); r.status != 400 {
			t.Errorf("%s: %d, want 400", bad, r.status)
		}
	}
	// The access log names the user and the operation.
	found := false
	for _, line := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" && m["operation"] == "RestartCloudPhone" {
			found = m["user"] == cptest.User && m["user_id"] != ""
		}
	}
	if !found {
		t.Error("no access-log record of the restart with its user")
	}
	// A burst of calls right before a graceful shutdown is stored whole.
	for i := range 20 {
		do(t, "PUT", api+"/phones/"+ids[0], token, map[string]any{"phone_name": fmt.Sprintf("burst-%d", i)})
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dataDir, "cph.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	renames, _, err := db.AuditEvents(context.Background(), sqlstore.AuditFilter{ProjectID: project, Operation: "UpdatePhoneName"})
	if err != nil || len(renames) != 20 {
		t.Errorf("after shutdown: %d rename events stored, want 20 (%v)", len(renames), err)
	}
	// The file has every stored event, and no secret.
	f, err := os.Open(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, _ := io.ReadAll(f)
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit file line %q: %v", sc.Text(), err)
		}
		lines++
	}
	if lines < len(all)+20 {
		t.Errorf("audit file has %d lines, want at least %d", lines, len(all)+20)
	}
	for _, secret := range []string{testPassword, "wrong-password", "viewer-password", token} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("audit file holds a secret %q", secret)
		}
	}
}
