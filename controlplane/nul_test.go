package controlplane_test

import (
	"net/url"
	"testing"

	"github.com/opencph/opencph/controlplane"
)

// TestNULBytesRefusedAtInput: text the database cannot hold (a NUL byte)
// or a control character where a name is expected gets the field's 400
// code, or 401 at login, on both engines; nothing is accepted as a job.
func TestNULBytesRefusedAtInput(t *testing.T) {
	t.Parallel()
	onBothEngines(t, func(t *testing.T, srv *controlplane.Server) {
		token, pid := mustLogin(t, srv)
		api := srv.URL() + "/v1/" + pid + "/cloud-phone"

		for _, user := range []string{"ac\x00me", "\x00", "acme\xff"} {
			r := do(t, "POST", srv.URL()+"/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
				"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
					"user": map[string]any{"name": user, "password": testPassword, "domain": map[string]any{"name": "acme"}}}}}})
			if r.status != 401 {
				t.Errorf("login as %q: %d %s, want 401", user, r.status, r.raw)
			}
		}
		r := do(t, "POST", srv.URL()+"/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
			"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
				"user": map[string]any{"name": "acme", "password": testPassword, "domain": map[string]any{"name": "acme"}}}},
			"scope": map[string]any{"project": map[string]any{"name": "cn-north-4\x00"}}}})
		if r.status != 401 {
			t.Errorf("login scoped to a project name with NUL: %d %s, want 401", r.status, r.raw)
		}

		servers := do(t, "GET", api+"/servers", token, nil).body["servers"].([]any)
		serverID := servers[0].(map[string]any)["server_id"].(string)
		for _, name := range []string{"\x00", "key\x00pair", "key\npair", "key\x7fpair"} {
			r := do(t, "PUT", api+"/servers/open-access", token, map[string]any{
				"servers": []any{map[string]any{"server_id": serverID, "keypair_name": name}}})
			if r.status != 400 || r.body["error_code"] != "CPS.9011" {
				t.Errorf("keypair name %q: %d %s, want 400 CPS.9011", name, r.status, r.raw)
			}
		}
		for _, q := range []string{"/phones?phone_name=", "/phones?server_id=", "/servers?server_name=", "/servers?phone_model_name="} {
			r := do(t, "GET", api+q+url.QueryEscape("a\x00b"), token, nil)
			if r.status != 400 || r.body["error_code"] != "CPS.9011" {
				t.Errorf("GET %s with NUL: %d %s, want 400 CPS.9011", q, r.status, r.raw)
			}
		}
		if r := do(t, "POST", srv.URL()+"/v3.0/OS-CREDENTIAL/credentials", token, map[string]any{
			"credential": map[string]any{"description": "ci\x00"}}); r.status != 400 {
			t.Errorf("access key description with NUL: %d %s, want 400", r.status, r.raw)
		}
		if r := do(t, "POST", srv.URL()+"/v3/projects", token, map[string]any{
			"project": map[string]any{"name": "cn-east-3", "description": "x\x00"}}); r.status != 400 {
			t.Errorf("project description with NUL: %d %s, want 400", r.status, r.raw)
		}
		phones := do(t, "GET", api+"/phones", token, nil).body["phones"].([]any)
		phoneID := phones[0].(map[string]any)["phone_id"].(string)
		r = do(t, "POST", api+"/phones/batch-restart", token, map[string]any{
			"image_id": "img\x00", "phones": []any{map[string]any{"phone_id": phoneID}}})
		if r.status != 400 || r.body["error_code"] != "CPS.0030" {
			t.Errorf("restart with an image_id with NUL: %d %s, want 400 CPS.0030", r.status, r.raw)
		}
		for _, v := range []string{"a\u0000b", "a\nb"} {
			r = do(t, "POST", api+"/phones/batch-update-property", token, map[string]any{
				"phones": []any{map[string]any{"phone_id": phoneID, "property": `{"ro.build.product":"` + v + `"}`}}})
			jobs, _ := r.body["jobs"].([]any)
			if r.status != 200 || len(jobs) != 1 || jobs[0].(map[string]any)["error_code"] != "CPS.9011" {
				t.Errorf("property value %q: %d %s, want a per-item CPS.9011", v, r.status, r.raw)
			}
		}
	})
}
