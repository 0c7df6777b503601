package controlplane_test

import (
	"fmt"
	"testing"

	"github.com/opencph/opencph/controlplane"
)

// TestBatchItemLimitsBeforeWork: a batch body with more items than its
// documented limit is refused with CPS.9010 before the handler looks
// anything up or writes anything for its items, on both engines. Before,
// 1,000 tag deletions ran 1,000 DELETEs (and deleted what they named),
// 1,000 tag creations inserted every row before the limit refused them,
// and 1,000 storage or volume items were looked up one by one before the
// batch limit answered.
func TestBatchItemLimitsBeforeWork(t *testing.T) {
	t.Parallel()
	onBothEngines(t, func(t *testing.T, srv *controlplane.Server) {
		token, r := login(t, srv, testPassword)
		pid := r.body["token"].(map[string]any)["project"].(map[string]any)["id"].(string)
		api := srv.URL() + "/v1/" + pid + "/cloud-phone"
		serverID := do(t, "GET", api+"/servers", token, nil).body["servers"].([]any)[0].(map[string]any)["server_id"].(string)
		phoneID := do(t, "GET", api+"/phones", token, nil).body["phones"].([]any)[0].(map[string]any)["phone_id"].(string)
		tagsURL := srv.URL() + "/v1/" + pid + "/cph-server/" + serverID + "/tags"
		if res := do(t, "POST", tagsURL+"/action", token, map[string]any{"action": "create", "tags": []any{
			map[string]any{"key": "keep1", "value": "v"}, map[string]any{"key": "keep2", "value": "v"}}}); res.status != 204 {
			t.Fatalf("creating two tags: %d %s", res.status, res.raw)
		}

		tags := func(n int, first string) []any {
			out := []any{map[string]any{"key": first, "value": "v"}}
			for i := 1; i < n; i++ {
				out = append(out, map[string]any{"key": fmt.Sprintf("k%04d", i), "value": "v"})
			}
			return out
		}
		items := func(n int, item func(i int) map[string]any) []any {
			out := make([]any, n)
			for i := range out {
				out[i] = item(i)
			}
			return out
		}
		fakePhone := func(i int) string { return fmt.Sprintf("%032x", i+1) }
		for _, c := range []struct {
			name, url string
			body      any
		}{
			{"create of 21 tags", tagsURL + "/action", map[string]any{"action": "create", "tags": tags(21, "new")}},
			{"create of 1,000 tags", tagsURL + "/action", map[string]any{"action": "create", "tags": tags(1000, "new")}},
			{"delete of 21 tags", tagsURL + "/action", map[string]any{"action": "delete", "tags": tags(21, "keep1")}},
			{"delete of 1,000 tags", tagsURL + "/action", map[string]any{"action": "delete", "tags": tags(1000, "keep2")}},
			{"export of 1,000 phones", api + "/phones/batch-storage", map[string]any{"storage_infos": items(1000, func(i int) map[string]any {
				return map[string]any{"phone_id": fakePhone(i), "bucket_name": fmt.Sprintf("bucket-%d", i), "object_path": "x.tar", "include_files": []string{"/data"}}
			})}},
			{"import of 1,000 phones", api + "/phones/batch-restore", map[string]any{"restore_infos": items(1000, func(i int) map[string]any {
				return map[string]any{"phone_id": fakePhone(i), "bucket_name": fmt.Sprintf("bucket-%d", i), "object_path": "x.tar"}
			})}},
			{"volume of 1,000 phones", api + "/phones/expand-volume", map[string]any{"phones": items(1000, func(i int) map[string]any {
				return map[string]any{"phone_id": fakePhone(i), "new_size": 100}
			})}},
		} {
			before := srv.DB().Statements()
			res := do(t, "POST", c.url, token, c.body)
			ran := srv.DB().Statements() - before
			if res.status != 400 || res.body["error_code"] != "CPS.9010" {
				t.Errorf("%s: %d %.200s; want 400 CPS.9010", c.name, res.status, res.raw)
			}
			// Authentication and the fleet's own background work run
			// a few statements; the items ran one or more each.
			if ran > 50 {
				t.Errorf("%s: %d SQL statements ran during the refused request", c.name, ran)
			}
		}
		got := do(t, "GET", tagsURL, token, nil).body["tags"].([]any)
		if len(got) != 2 {
			t.Errorf("tags after the refused calls: %v; want keep1 and keep2", got)
		}
		if res := do(t, "POST", api+"/phones/expand-volume", token, map[string]any{"phones": []any{map[string]any{"phone_id": phoneID, "new_size": 100}}}); res.status != 200 {
			t.Errorf("expand-volume of one phone: %d %s", res.status, res.raw)
		}
	})
}
