package controlplane_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/poll"
)

// TestShareFilesystemsWire drives the shared file system, shared-app
// snapshot and offering routes as a Huawei SDK client would, on both
// databases: the wire shapes, the errors of paging and bodies, the jobs
// in ListJobs, and the audit trail of the attach and the detach.
func TestShareFilesystemsWire(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			host := t.TempDir()
			if err := os.MkdirAll(filepath.Join(host, "common"), 0o755); err != nil {
				t.Fatal(err)
			}
			var dbURL string
			if engine == "postgres" {
				dbURL = postgresURL(t)
			}
			srv := startServer(t, func(c *controlplane.Config) {
				c.DatabaseURL = dbURL
				c.ShareFilesystems = []cph.ShareFilesystem{{ID: "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b", HostPath: host}}
				c.ShareFilesystemMountRoot = "/mnt/shared"
			})
			token, project := mustLogin(t, srv)
			base := srv.URL() + "/v1/" + project
			servers := do(t, "GET", base+"/cloud-phone/servers?offset=0&limit=10", token, nil)
			if servers.status != 200 {
				t.Fatalf("list servers: %d %s", servers.status, servers.raw)
			}
			serverID := servers.body["servers"].([]any)[0].(map[string]any)["server_id"].(string)
			const fsID = "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b"

			wantError := func(what string, r *response, status int, code, msg string) {
				t.Helper()
				if r.status != status || r.body["error_code"] != code || msg != "" && r.body["error_msg"] != msg {
					t.Errorf("%s: %d %s, want %d %s %q", what, r.status, r.raw, status, code, msg)
				}
			}
			wantError("attach without a body", do(t, "POST", base+"/servers/attach-share-filesystem", token, nil), 400, "CPS.9011", "Parameter: type is invalid.")
			wantError("attach of an unknown file system", do(t, "POST", base+"/servers/attach-share-filesystem", token,
				map[string]any{"type": "sfs_turbo", "id": "nope", "server_ids": []string{serverID}}), 404, "CPS.9024", "Shared file system is not found.")
			wantError("attach with a malformed body", do(t, "POST", base+"/servers/attach-share-filesystem", token, "{"), 400, "APIGW.0201", "")

			attach := do(t, "POST", base+"/servers/attach-share-filesystem", token,
				map[string]any{"type": "sfs_turbo", "id": fsID, "server_ids": []string{serverID}, "path": "/common"})
			if attach.status != 200 {
				t.Fatalf("attach: %d %s", attach.status, attach.raw)
			}
			jobs := attach.body["jobs"].([]any)
			job := jobs[0].(map[string]any)
			if len(jobs) != 1 || job["server_id"] != serverID || job["job_id"] == "" || attach.body["request_id"] == "" {
				t.Fatalf("attach = %s", attach.raw)
			}
			var final map[string]any
			poll.Until(t, "the attach job to end", func() bool {
				r := do(t, "GET", base+"/cloud-phone/jobs/"+job["job_id"].(string), token, nil)
				final = r.body
				return r.status == 200 && r.body["status"] != float64(1)
			})
			if final["status"] != float64(2) || final["execute_msg"] != "mounted "+fsID+":/common" || final["server_id"] != serverID {
				t.Errorf("attach job = %v", final)
			}
			if l := do(t, "GET", base+"/cloud-phone/jobs?request_id="+attach.body["request_id"].(string), token, nil); l.status != 200 || len(l.body["jobs"].([]any)) != 1 {
				t.Errorf("ListJobs of the attach: %d %s", l.status, l.raw)
			}
			mounts := do(t, "GET", srv.URL()+"/opencph/v1/"+project+"/servers/"+serverID+"/share-filesystems", token, nil)
			if mounts.status != 200 || !strings.Contains(string(mounts.raw), `"mount_point":"/mnt/shared/`+fsID+`"`) {
				t.Errorf("mounts: %d %s", mounts.status, mounts.raw)
			}
			detach := do(t, "POST", base+"/servers/detach-share-filesystem", token,
				map[string]any{"type": "sfs_turbo", "id": fsID, "server_ids": []string{serverID}})
			if detach.status != 200 {
				t.Fatalf("detach: %d %s", detach.status, detach.raw)
			}

			snap := do(t, "GET", base+"/servers/"+serverID+"/share-apps-snapshot", token, nil)
			if snap.status != 200 || !regexp.MustCompile(`"collect_time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"`).Match(snap.raw) ||
				!strings.Contains(string(snap.raw), `"share_apps":[]`) || !strings.Contains(string(snap.raw), `"page_info":{}`) {
				t.Errorf("snapshot: %d %s", snap.status, snap.raw)
			}
			wantError("snapshot of an unknown server", do(t, "GET", base+"/servers/"+cph.NewID()+"/share-apps-snapshot", token, nil), 404, "CPS.0016", "")
			wantError("snapshot with limit abc", do(t, "GET", base+"/servers/"+serverID+"/share-apps-snapshot?limit=abc", token, nil), 400, "CPS.0002", "")
			wantError("snapshot with an unknown marker", do(t, "GET", base+"/servers/"+serverID+"/share-apps-snapshot?marker=com.x.y", token, nil), 400, "CPS.9011", "Parameter: marker is invalid.")

			first := do(t, "GET", base+"/server-model-offerings?limit=1", token, nil)
			var page struct {
				Count  int                       `json:"count"`
				Models []cph.ServerModelOffering `json:"models"`
				Info   map[string]string         `json:"page_info"`
			}
			if err := json.Unmarshal(first.raw, &page); err != nil || first.status != 200 || len(page.Models) != 1 || page.Info["next_marker"] == "" ||
				page.Count != len(cph.ServerModels()) || page.Models[0].AvailableZone != "cn-north-4a" {
				t.Errorf("offerings: %d %s", first.status, first.raw)
			}
			wantError("offerings with limit 0", do(t, "GET", base+"/server-model-offerings?limit=0", token, nil), 400, "CPS.0002", "")
			wantError("offerings with a bad marker", do(t, "GET", base+"/server-model-offerings?marker=zzz", token, nil), 400, "CPS.9011", "Parameter: marker is invalid.")
			// The tag routes are still there beside the new ones.
			if r := do(t, "GET", base+"/cph-server/"+serverID+"/tags", token, nil); r.status != 200 {
				t.Errorf("tags of a server: %d %s", r.status, r.raw)
			}

			fams := scrape(t, srv.URL()+"/metrics")
			for _, op := range []string{"AttachShareFilesystem", "DetachShareFilesystem", "ListShareAppsSnapshot", "ListCloudPhoneServerModelOfferings"} {
				if value(fams, "cph_http_requests_total", "operation", op) == 0 {
					t.Errorf("the metrics count no %s requests", op)
				}
			}
			seen := map[string]bool{}
			poll.Until(t, "the attach and detach in the audit trail", func() bool {
				r := do(t, "GET", srv.URL()+"/opencph/v1/"+project+"/audit-events?limit=100", token, nil)
				for _, e := range r.body["audit_events"].([]any) {
					seen[e.(map[string]any)["operation"].(string)] = true
				}
				return seen["AttachShareFilesystem"] && seen["DetachShareFilesystem"]
			})
		})
	}
}
