package controlplane_test

import (
	"fmt"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// accessKey creates an access key for the user of token and returns it.
func accessKey(t *testing.T, srv *controlplane.Server, token string) (ak, sk string) {
	t.Helper()
	req := newRequest(t, "GET", srv.URL()+"/v3/auth/tokens", token, nil)
	req.Header.Set("X-Subject-Token", token)
	who := send(t, req)
	userID := who.body["token"].(map[string]any)["user"].(map[string]any)["id"].(string)
	r := do(t, "POST", srv.URL()+"/v3.0/OS-CREDENTIAL/credentials", token, map[string]any{"credential": map[string]any{"user_id": userID}})
	if r.status != 201 {
		t.Fatalf("create access key: %d %s", r.status, r.raw)
	}
	c := r.body["credential"].(map[string]any)
	return c["access"].(string), c["secret"].(string)
}

// createServerBody is a CreateCloudPhoneServer (CreateNet2CloudPhoneServer) body.
func createServerBody(name string) string {
	return fmt.Sprintf(`{"server_name":%q,"server_model_name":"physical.rx2.xlarge","phone_model_name":"rx2.cp.c6.d64.e2v1",`+
		`"image_id":"a1b2c3d4e5f60718293a4b5c6d7e8f12","count":1,"keypair_name":"kp1",`+
		`"extend_param":{"charging_mode":0,"period_type":2,"period_num":1,"is_auto_pay":1},`+
		`"tenant_vpc_id":"2a7e3b4c-1d2e-4f5a-8b9c-0d1e2f3a4b5c","nics":[{"subnet_id":"3b8f4c5d-2e3f-4a6b-9c0d-1e2f3a4b5c6d"}],`+
		`"public_ip":{"eip":{"type":"5_bgp"}},"band_width":{"band_width_size":10,"band_width_charge_mode":0,"band_width_share_type":0}}`, name)
}

// TestBSSOrderLifecycle buys a server and unsubscribes from it over
// signed requests without a project, as Terraform's huaweicloud_cph_server
// does: the order is processing (3) while the server is created and
// completed (5) once it is; the unsubscription deletes the server and its
// phones.
func TestBSSOrderLifecycle(t *testing.T) {
	t.Parallel()
	var gate *cptest.Gate
	srv := startServer(t, func(c *controlplane.Config) { gate = cptest.Gated(c) })
	token, pid := mustLogin(t, srv)
	ak, sk := accessKey(t, srv, token)
	orders := srv.URL() + "/v2/orders/customer-orders/details/"
	unsubscribe := srv.URL() + "/v2/orders/subscriptions/resources/unsubscribe"
	api := srv.URL() + "/v2/" + pid + "/cloud-phone"
	v1 := srv.URL() + "/v1/" + pid + "/cloud-phone"

	created := signed(t, "POST", api+"/servers", ak, sk, pid, createServerBody("billed"))
	if created.status != 200 {
		t.Fatalf("create server: %d %s", created.status, created.raw)
	}
	orderID := created.body["order_id"].(string)
	serverID := created.body["server_ids"].([]any)[0].(string)
	status := func(id string) float64 {
		r := signed(t, "GET", orders+id, ak, sk, "", "")
		if r.status != 200 {
			t.Fatalf("order %s: %d %s", id, r.status, r.raw)
		}
		return r.body["order_info"].(map[string]any)["status"].(float64)
	}

	first := signed(t, "GET", orders+orderID, ak, sk, "", "")
	info, _ := first.body["order_info"].(map[string]any)
	if first.status != 200 || info["status"] != float64(3) || info["order_type"] != float64(1) || info["order_id"] != orderID ||
		info["payment_time"] == nil || info["amount_after_discount"] != float64(0) {
		t.Errorf("order while the server is created: %d %s", first.status, first.raw)
	}
	// X-Project-Id is not needed, and changes nothing when sent.
	if r := signed(t, "GET", orders+orderID, ak, sk, pid, ""); r.status != 200 {
		t.Errorf("order with X-Project-Id: %d %s", r.status, r.raw)
	}
	detail := do(t, "GET", v1+"/servers/"+serverID, token, nil)
	if md, _ := detail.body["metadata"].(map[string]any); md["charging_mode"] != float64(cph.ChargingPrepaid) || md["order_id"] != orderID {
		t.Errorf("server metadata: %s", detail.raw)
	}

	gate.Boot()
	poll.Until(t, "the order to complete", func() bool { return status(orderID) == 5 })

	// Refused unsubscriptions change nothing.
	for _, c := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"no type", `{"resource_ids":["` + serverID + `"]}`, 400, cph.CodeBSSInvalidParameter},
		{"type 2", `{"resource_ids":["` + serverID + `"],"unsubscribe_type":2}`, 400, cph.CodeBSSInvalidParameter},
		{"no ids", `{"resource_ids":[],"unsubscribe_type":1}`, 400, cph.CodeBSSInvalidParameter},
		{"ids missing", `{"unsubscribe_type":1}`, 400, cph.CodeBSSInvalidParameter},
		{"too many ids", `{"resource_ids":["a1","a2","a3","a4","a5","a6","a7","a8","a9","a10","a11"],"unsubscribe_type":1}`, 400, cph.CodeBSSInvalidParameter},
		{"an unknown id", `{"resource_ids":["` + serverID + `","` + cptest.UnknownPhone + `"],"unsubscribe_type":1}`, 404, cph.CodeBSSResourceNotFound},
		{"a malformed id", `{"resource_ids":["../x"],"unsubscribe_type":1}`, 404, cph.CodeBSSResourceNotFound},
		{"ids not a list", `{"resource_ids":"` + serverID + `","unsubscribe_type":1}`, 400, cph.CodeBadRequest},
		{"not JSON", `{"resource_ids":`, 400, cph.CodeBadRequest},
	} {
		r := signed(t, "POST", unsubscribe, ak, sk, "", c.body)
		if r.status != c.status || r.body["error_code"] != c.code || r.body["error_msg"] == "" {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.raw, c.status, c.code)
		}
	}
	if r := do(t, "GET", v1+"/servers/"+serverID, token, nil); r.body["status"] != float64(5) {
		t.Fatalf("server after refused unsubscriptions: %s", r.raw)
	}

	r := signed(t, "POST", unsubscribe, ak, sk, "", `{"resource_ids":["`+serverID+`"],"unsubscribe_type":1}`)
	if r.status != 200 || len(r.body["order_ids"].([]any)) != 1 {
		t.Fatalf("unsubscribe: %d %s", r.status, r.raw)
	}
	unsub := r.body["order_ids"].([]any)[0].(string)
	if st := status(unsub); st != 3 {
		t.Errorf("unsubscription order %v while the server is deleted, want 3", st)
	}
	if r := do(t, "GET", v1+"/servers/"+serverID, token, nil); r.body["status"] != float64(6) {
		t.Errorf("server while unsubscribed: %s", r.raw)
	}
	gate.Remove()
	poll.Until(t, "the unsubscription to complete", func() bool { return status(unsub) == 5 })
	if r := do(t, "GET", v1+"/servers/"+serverID, token, nil); r.status != 404 {
		t.Errorf("the unsubscribed server: %d %s", r.status, r.raw)
	}
	if r := do(t, "GET", v1+"/phones?server_id="+serverID, token, nil); r.body["count"] != float64(0) {
		t.Errorf("the unsubscribed server's phones: %s", r.raw)
	}
	if r := signed(t, "POST", unsubscribe, ak, sk, "", `{"resource_ids":["`+serverID+`"],"unsubscribe_type":1}`); r.status != 404 || r.body["error_code"] != cph.CodeBSSResourceNotFound {
		t.Errorf("unsubscribing again: %d %s", r.status, r.raw)
	}
	// The signed unsubscription is an account-level event of the audit
	// trail, with the server as its target.
	poll.Until(t, "the unsubscription in the audit trail", func() bool {
		r := do(t, "GET", srv.URL()+"/opencph/v1/"+pid+"/audit-events", token, nil)
		events, _ := r.body["audit_events"].([]any)
		for _, e := range events {
			m := e.(map[string]any)
			targets, _ := m["target_ids"].([]any)
			if m["operation"] == "CancelResourcesSubscription" && m["status"] == float64(200) && len(targets) == 1 && targets[0] == serverID {
				return true
			}
		}
		return false
	})
}

// TestBSSOrderErrors: unknown and malformed orders, paging, another
// account's orders, missing authentication and read-only users.
func TestBSSOrderErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	ak, sk := accessKey(t, srv, token)
	orders := srv.URL() + "/v2/orders/customer-orders/details/"
	unsubscribe := srv.URL() + "/v2/orders/subscriptions/resources/unsubscribe"
	created := signed(t, "POST", srv.URL()+"/v2/"+pid+"/cloud-phone/servers", ak, sk, pid, createServerBody("mine"))
	if created.status != 200 {
		t.Fatalf("create server: %d %s", created.status, created.raw)
	}
	orderID := created.body["order_id"].(string)
	serverID := created.body["server_ids"].([]any)[0].(string)

	for _, c := range []struct {
		name, path string
		status     int
		code       string
	}{
		{"an unknown order", "CS0123456789ABCDEF01", 404, cph.CodeBSSOrderNotFound},
		{"an unknown unsubscription", "CU" + strings.Repeat("A", 32), 404, cph.CodeBSSOrderNotFound},
		{"a malformed order id", strings.Repeat("A", 65), 400, cph.CodeBSSInvalidParameter},
		{"limit 0", orderID + "?limit=0", 400, cph.CodeBSSInvalidParameter},
		{"offset -1", orderID + "?offset=-1", 400, cph.CodeBSSInvalidParameter},
	} {
		if r := signed(t, "GET", orders+c.path, ak, sk, "", ""); r.status != c.status || r.body["error_code"] != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.raw, c.status, c.code)
		}
	}
	if r := signed(t, "GET", orders+orderID+"?offset=1", ak, sk, "", ""); r.status != 200 || len(r.body["order_line_items"].([]any)) != 0 || r.body["total_count"] != float64(1) {
		t.Errorf("offset past the items: %d %s", r.status, r.raw)
	}
	if r := do(t, "GET", orders+orderID, "", nil); r.status != 401 || r.body["error_code"] != cph.CodeUnauthorized {
		t.Errorf("no credential: %d %s", r.status, r.raw)
	}
	// A token works as well as a signature.
	if r := do(t, "GET", orders+orderID, token, nil); r.status != 200 {
		t.Errorf("with a token: %d %s", r.status, r.raw)
	}

	// Another account knows neither the order nor the server.
	cptest.CreateAccount(t, srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	otherToken, lr := loginAs(t, srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	if lr.status != 201 {
		t.Fatalf("globex login: %d %s", lr.status, lr.raw)
	}
	oak, osk := accessKey(t, srv, otherToken)
	if r := signed(t, "GET", orders+orderID, oak, osk, "", ""); r.status != 404 || r.body["error_code"] != cph.CodeBSSOrderNotFound {
		t.Errorf("another account's order: %d %s", r.status, r.raw)
	}
	if r := signed(t, "POST", unsubscribe, oak, osk, "", `{"resource_ids":["`+serverID+`"],"unsubscribe_type":1}`); r.status != 404 || r.body["error_code"] != cph.CodeBSSResourceNotFound {
		t.Errorf("another account's server: %d %s", r.status, r.raw)
	}

	// A read-only user sees orders but does not unsubscribe.
	viewer := viewerToken(t, srv, token)
	if r := do(t, "GET", orders+orderID, viewer, nil); r.status != 200 {
		t.Errorf("read-only order: %d %s", r.status, r.raw)
	}
	if r := do(t, "POST", unsubscribe, viewer, `{"resource_ids":["`+serverID+`"],"unsubscribe_type":1}`); r.status != 403 || r.body["error_code"] != cph.CodeBSSAccessDenied {
		t.Errorf("read-only unsubscription: %d %s", r.status, r.raw)
	}
	if r := do(t, "GET", srv.URL()+"/v1/"+pid+"/cloud-phone/servers/"+serverID, token, nil); r.body["status"] == float64(6) {
		t.Errorf("a refused unsubscription deletes the server: %s", r.raw)
	}
}

// TestBSSAuthDomains: GET /v3/auth/domains lists the caller's own account
// only, to the operator too, by token or signature.
func TestBSSAuthDomains(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, _ := mustLogin(t, srv)
	ak, sk := accessKey(t, srv, token)
	cptest.CreateAccount(t, srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	for name, r := range map[string]*response{
		"token":  do(t, "GET", srv.URL()+"/v3/auth/domains", token, nil),
		"signed": signed(t, "GET", srv.URL()+"/v3/auth/domains", ak, sk, "", ""),
	} {
		ds, _ := r.body["domains"].([]any)
		if r.status != 200 || len(ds) != 1 {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
			continue
		}
		d := ds[0].(map[string]any)
		links, _ := d["links"].(map[string]any)
		if d["name"] != cptest.Domain || d["enabled"] != true || d["id"] == "" || links["self"] == nil {
			t.Errorf("%s: domain %v", name, d)
		}
	}
	if r := do(t, "GET", srv.URL()+"/v3/auth/domains", "", nil); r.status != 401 {
		t.Errorf("no credential: %d %s", r.status, r.raw)
	}
}
