package controlplane_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// TestMarkerPagingOnTheWire pages ListCloudPhoneImages and
// ListCloudPhoneServerModels by marker over plain HTTP, on both engines:
// a request without marker or limit (as SDK v0.1.207 sends) gets the whole
// list with "page_info": {}, limit 1 walks it item by item, and a bad
// limit or marker is refused.
func TestMarkerPagingOnTheWire(t *testing.T) {
	t.Parallel()
	onBothEngines(t, func(t *testing.T, srv *controlplane.Server) {
		token, pid := mustLogin(t, srv)
		api := srv.URL() + "/v1/" + pid + "/cloud-phone"
		for _, l := range []struct{ path, items, key string }{
			{"/phone-images", "phone_images", "image_id"},
			{"/server-models", "server_models", "server_model_name"},
		} {
			whole := do(t, "GET", api+l.path, token, nil)
			if whole.status != http.StatusOK {
				t.Fatalf("%s: %d %s", l.path, whole.status, whole.raw)
			}
			all := whole.body[l.items].([]any)
			if pi, ok := whole.body["page_info"].(map[string]any); !ok || len(pi) != 0 || len(all) < 2 {
				t.Fatalf("%s without paging: page_info %v, %d items", l.path, whole.body["page_info"], len(all))
			}
			var walked []any
			marker := ""
			for range len(all) + 1 {
				r := do(t, "GET", api+l.path+"?limit=1&marker="+marker, token, nil)
				if r.status != http.StatusOK {
					t.Fatalf("%s after %q: %d %s", l.path, marker, r.status, r.raw)
				}
				page := r.body[l.items].([]any)
				walked = append(walked, page...)
				pi := r.body["page_info"].(map[string]any)
				next, _ := pi["next_marker"].(string)
				if next == "" {
					if len(pi) != 0 {
						t.Errorf("%s: last page_info %v", l.path, pi)
					}
					break
				}
				if len(page) != 1 || page[0].(map[string]any)[l.key] != next {
					t.Fatalf("%s: next_marker %q after %v", l.path, next, page)
				}
				marker = next
			}
			if len(walked) != len(all) {
				t.Errorf("%s: %d items page by page, %d at once", l.path, len(walked), len(all))
			}
			for i := range walked {
				if walked[i].(map[string]any)[l.key] != all[i].(map[string]any)[l.key] {
					t.Errorf("%s: item %d differs page by page", l.path, i)
				}
			}
			for _, q := range []string{"limit=0", "limit=abc", "limit=", "limit=-1"} {
				if r := do(t, "GET", api+l.path+"?"+q, token, nil); r.status != http.StatusBadRequest || r.body["error_code"] != "CPS.0002" {
					t.Errorf("%s?%s: %d %s", l.path, q, r.status, r.raw)
				}
			}
			r := do(t, "GET", api+l.path+"?marker=no-such-item", token, nil)
			if msg, _ := r.body["error_msg"].(string); r.status != http.StatusBadRequest || r.body["error_code"] != "CPS.9011" || !strings.Contains(msg, "marker") {
				t.Errorf("%s with an unknown marker: %d %s", l.path, r.status, r.raw)
			}
		}
		for path, max := range map[string]string{"/phone-images": "501", "/server-models": "101", "/images/" + strings.Repeat("a", 32) + "/members": "101"} {
			if r := do(t, "GET", api+path+"?limit="+max, token, nil); r.status != http.StatusBadRequest || r.body["error_code"] != "CPS.0002" {
				t.Errorf("%s?limit=%s: %d %s", path, max, r.status, r.raw)
			}
		}
	})
}

// TestChangedPhoneOperationsOnTheWire sends the fields SDK 0.1.215 added
// to phone operations as plain JSON, on both engines: custom_property with
// "property": "", factory_reset_enabled, and 2048 bytes of shell content.
func TestChangedPhoneOperationsOnTheWire(t *testing.T) {
	t.Parallel()
	onBothEngines(t, func(t *testing.T, srv *controlplane.Server) {
		token, pid := mustLogin(t, srv)
		api := srv.URL() + "/v1/" + pid + "/cloud-phone"
		phoneID := do(t, "GET", api+"/phones", token, nil).body["phones"].([]any)[0].(map[string]any)["phone_id"].(string)
		wait := func(r *response) {
			t.Helper()
			jobs, _ := r.body["jobs"].([]any)
			if r.status != http.StatusOK || len(jobs) != 1 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			job := jobs[0].(map[string]any)
			id, _ := job["job_id"].(string)
			if id == "" {
				t.Fatalf("refused: %s", r.raw)
			}
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				j := do(t, "GET", api+"/jobs/"+id, token, nil)
				if st, _ := j.body["status"].(float64); st == 2 {
					return
				} else if st == -1 {
					t.Fatalf("job failed: %s", j.raw)
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Fatalf("job %s did not end", id)
		}
		detail := func() map[string]any {
			t.Helper()
			return do(t, "GET", api+"/phones/"+phoneID, token, nil).body
		}
		if _, ok := detail()["custom_property"]; ok {
			t.Errorf("a phone without custom properties shows custom_property: %v", detail())
		}
		wait(do(t, "POST", api+"/phones/batch-update-property", token, map[string]any{"phones": []any{
			map[string]any{"phone_id": phoneID, "property": "", "custom_property": map[string]any{"app.channel": "beta", "gone": "x"}}}}))
		wait(do(t, "POST", api+"/phones/batch-update-property", token, map[string]any{"phones": []any{
			map[string]any{"phone_id": phoneID, "property": `{"sys.prop.writewifissid":"lab"}`, "custom_property": map[string]any{"gone": ""}}}}))
		d := detail()
		if c, _ := d["custom_property"].(map[string]any); len(c) != 1 || c["app.channel"] != "beta" || d["property"] != `{"sys.prop.writewifissid":"lab"}` {
			t.Errorf("after the updates: property %v, custom_property %v", d["property"], d["custom_property"])
		}
		wait(do(t, "POST", api+"/phones/batch-reset", token, map[string]any{"phones": []any{
			map[string]any{"phone_id": phoneID, "factory_reset_enabled": false}}}))
		if d := detail(); d["property"] != `{"sys.prop.writewifissid":"lab"}` || d["custom_property"] == nil {
			t.Errorf("after a reset: property %v, custom_property %v", d["property"], d["custom_property"])
		}
		wait(do(t, "POST", api+"/phones/batch-reset", token, map[string]any{"phones": []any{
			map[string]any{"phone_id": phoneID, "factory_reset_enabled": true}}}))
		if d := detail(); d["property"] != "{}" || d["custom_property"] != nil {
			t.Errorf("after a factory reset: property %v, custom_property %v", d["property"], d["custom_property"])
		}

		shell := func(content string) *response {
			return do(t, "POST", api+"/phones/commands", token, map[string]any{"command": "shell", "content": content, "phone_ids": []string{phoneID}})
		}
		wait(shell("echo " + strings.Repeat("a", 2043)))
		wait(shell("getprop | grep -c = && echo ok || echo none"))
		for _, content := range []string{"echo " + strings.Repeat("a", 2044), "echo `id`"} {
			if r := shell(content); r.status != http.StatusBadRequest || r.body["error_code"] != "CPS.0118" {
				t.Errorf("shell of %d bytes: %d %s", len(content), r.status, r.raw)
			}
		}
	})
}

// TestElasticCloudPhoneTagsOnTheWire calls the five tag operations with
// the resource type elastic-cloud-phone, and with a type there is none of,
// on both engines.
func TestElasticCloudPhoneTagsOnTheWire(t *testing.T) {
	t.Parallel()
	onBothEngines(t, func(t *testing.T, srv *controlplane.Server) {
		token, pid := mustLogin(t, srv)
		base := srv.URL() + "/v1/" + pid
		e := base + "/elastic-cloud-phone"
		r := do(t, "GET", e+"/tags", token, nil)
		if tags, ok := r.body["tags"].([]any); r.status != http.StatusOK || !ok || len(tags) != 0 || r.body["total_count"] != 0.0 {
			t.Errorf("ListProjectTags: %d %s", r.status, r.raw)
		}
		r = do(t, "POST", e+"/resource_instances/action", token, map[string]any{"action": "filter"})
		if res, ok := r.body["resources"].([]any); r.status != http.StatusOK || !ok || len(res) != 0 || r.body["total_count"] != 0.0 {
			t.Errorf("ListResourceInstances filter: %d %s", r.status, r.raw)
		}
		r = do(t, "POST", e+"/resource_instances/action", token, map[string]any{"action": "count"})
		if _, listed := r.body["resources"]; r.status != http.StatusOK || listed || r.body["total_count"] != 0.0 {
			t.Errorf("ListResourceInstances count: %d %s", r.status, r.raw)
		}
		id := strings.Repeat("b", 32)
		for _, c := range []struct {
			method, url string
			body        any
		}{
			{"GET", e + "/" + id + "/tags", nil},
			{"POST", e + "/" + id + "/tags/action", map[string]any{"action": "create", "tags": []any{map[string]any{"key": "k", "value": "v"}}}},
			{"POST", e + "/" + id + "/tags/action", map[string]any{"action": "delete", "tags": []any{map[string]any{"key": "k"}}}},
		} {
			if r := do(t, c.method, c.url, token, c.body); r.status != http.StatusNotFound || r.body["error_code"] != "CPS.0005" {
				t.Errorf("%s %s: %d %s", c.method, c.url, r.status, r.raw)
			}
		}
		for _, c := range []struct{ method, url string }{
			{"GET", base + "/cph-phone/tags"},
			{"GET", base + "/cph-phone/" + id + "/tags"},
			{"POST", base + "/cph-phone/" + id + "/tags/action"},
			{"POST", base + "/cph-phone/resource_instances/action"},
		} {
			if r := do(t, c.method, c.url, token, map[string]any{"action": "count"}); r.status != http.StatusBadRequest || r.body["error_code"] != "CPS.9011" {
				t.Errorf("%s %s: %d %s", c.method, c.url, r.status, r.raw)
			}
		}
		if r := do(t, "GET", base+"/cph-server/tags", token, nil); r.status != http.StatusOK {
			t.Errorf("server tags: %d %s", r.status, r.raw)
		}
	})
}

// TestPushShareAppsStrictLimit: with StrictPushShareApps (cphd's
// --push-share-apps-strict) a PushShareApps call takes at most 20
// servers; without it up to 100, on both engines.
func TestPushShareAppsStrictLimit(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, strict := range []bool{true, false} {
			name := engine + "/default"
			if strict {
				name = engine + "/strict"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				var dbURL string
				if engine == "postgres" {
					dbURL = postgresURL(t)
				}
				srv := startServer(t, func(c *controlplane.Config) {
					c.DatabaseURL = dbURL
					c.StrictPushShareApps = strict
				})
				token, pid := mustLogin(t, srv)
				push := func(n int) *response {
					ids := make([]string, n)
					for i := range ids {
						ids[i] = strings.Repeat(string(rune('a'+i%26)), 31) + string(rune('a'+i/26))
					}
					return do(t, "POST", srv.URL()+"/v1/"+pid+"/cloud-phone/phones/share-apps", token, map[string]any{
						"package_name": "com.example.shared", "bucket_name": "apps", "object_path": "shared/app.tar", "server_ids": ids})
				}
				if r := push(20); r.status != http.StatusOK {
					t.Errorf("20 servers: %d %s", r.status, r.raw)
				}
				r := push(21)
				if strict && (r.status != http.StatusBadRequest || r.body["error_code"] != "CPS.9010") {
					t.Errorf("21 servers, strict: %d %s", r.status, r.raw)
				}
				if !strict && r.status != http.StatusOK {
					t.Errorf("21 servers: %d %s", r.status, r.raw)
				}
				if r := push(101); r.status != http.StatusBadRequest || r.body["error_code"] != "CPS.9010" {
					t.Errorf("101 servers: %d %s", r.status, r.raw)
				}
			})
		}
	}
}

// TestCustomPropertyBoundUnderConcurrency: updates of one phone's custom
// properties that each fit but together exceed the phone's 7800 bytes,
// sent at once, leave at most 7800 bytes, and exactly the accepted ones
// are recorded, on both engines.
func TestCustomPropertyBoundUnderConcurrency(t *testing.T) {
	t.Parallel()
	onBothEngines(t, func(t *testing.T, srv *controlplane.Server) {
		token, pid := mustLogin(t, srv)
		api := srv.URL() + "/v1/" + pid + "/cloud-phone"
		phones := do(t, "GET", api+"/phones", token, nil).body["phones"].([]any)
		a, b := phones[0].(map[string]any)["phone_id"].(string), phones[1].(map[string]any)["phone_id"].(string)
		const n = 6
		value := strings.Repeat("v", cph.MaxCustomPropertyValue)
		hc := cptest.HTTPClient(t)
		results := make(chan *response, n)
		for i := range n {
			go func() {
				custom := map[string]any{}
				for k := range 30 { // about 3.1 KB: two fit, three do not
					custom[fmt.Sprintf("u%d.k%02d", i, k)] = value
				}
				// Both phones in each request, in alternating order.
				items := []any{map[string]any{"phone_id": a, "property": "", "custom_property": custom},
					map[string]any{"phone_id": b, "property": "", "custom_property": custom}}
				if i%2 == 1 {
					items[0], items[1] = items[1], items[0]
				}
				results <- doQuiet(hc, api+"/phones/batch-update-property", token, map[string]any{"phones": items})
			}()
		}
		accepted := map[string]int{}
		for range n {
			r := <-results
			if r == nil || r.status != http.StatusOK {
				t.Fatalf("an update: %+v", r)
			}
			for _, j := range r.body["jobs"].([]any) {
				j := j.(map[string]any)
				if id, _ := j["job_id"].(string); id != "" {
					accepted[j["phone_id"].(string)]++
				} else if j["error_code"] != "CPS.9011" {
					t.Errorf("refusal %v", j)
				}
			}
		}
		for _, id := range []string{a, b} {
			d := do(t, "GET", api+"/phones/"+id, token, nil).body
			custom, _ := d["custom_property"].(map[string]any)
			enc, _ := json.Marshal(custom)
			if accepted[id] != 2 || len(custom) != 30*accepted[id] || len(enc) > cph.MaxCustomPropertyBytes {
				t.Errorf("phone %s: %d updates accepted, %d keys, %d bytes", id, accepted[id], len(custom), len(enc))
			}
		}
	})
}

// doQuiet is do for a goroutine: it reports a failure as nil instead of
// failing the test.
func doQuiet(hc *http.Client, url, token string, body any) *response {
	buf, err := json.Marshal(body)
	if err != nil {
		return nil
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(buf))
	if err != nil {
		return nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", token)
	res, err := hc.Do(req)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	r := &response{status: res.StatusCode, header: res.Header}
	r.raw, _ = io.ReadAll(res.Body)
	if json.Unmarshal(r.raw, &r.body) != nil {
		return nil
	}
	return r
}
