package controlplane_test

import (
	"bytes"
	"image/png"
	"net/http"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// TestScreenshotEndpoint checks the HTTP answer of a screenshot, and that
// a phone whose server's agent is silent is answered CPS.9016 within the
// configured wait rather than held, without a new capture queued by
// every request.
func TestScreenshotEndpoint(t *testing.T) {
	t.Parallel()
	srv := startServer(t, func(c *controlplane.Config) { c.ScreenshotWait = 300 * time.Millisecond })
	token, pid := mustLogin(t, srv)
	api := api2(srv, pid)
	servers := do(t, "GET", api+"/servers", token, nil).body["servers"].([]any)
	byName := map[string]string{}
	for _, s := range servers {
		m := s.(map[string]any)
		byName[m["server_name"].(string)] = m["server_id"].(string)
	}
	first, second := byName["sim-server-01"], byName["sim-server-02"]
	if first == "" || second == "" {
		t.Fatalf("servers %v", byName)
	}
	phoneOf := func(serverID string) string {
		var id string
		poll.Until(t, "a running phone of server "+serverID, func() bool {
			ps := do(t, "GET", api+"/phones?status=2&limit=1&server_id="+serverID, token, nil).body["phones"].([]any)
			if len(ps) == 0 {
				return false
			}
			id = ps[0].(map[string]any)["phone_id"].(string)
			return true
		})
		return id
	}
	shotURL := func(phoneID string) string {
		return srv.URL() + "/opencph/v1/" + pid + "/cloud-phone/phones/" + phoneID + "/screenshot"
	}

	// A running phone: the PNG itself, never cached, with its time. The
	// wait is short for the silent server below; on a loaded machine (the
	// race detector) a capture may miss it, and the next call takes it.
	running := phoneOf(first)
	var r *response
	poll.Until(t, "a screenshot of a running phone", func() bool {
		r = send(t, newRequest(t, "GET", shotURL(running), token, nil))
		if r.status != http.StatusOK && r.status != http.StatusGatewayTimeout {
			t.Fatalf("screenshot: %d %s", r.status, r.raw)
		}
		return r.status == http.StatusOK
	})
	if ct, cc := r.header.Get("Content-Type"), r.header.Get("Cache-Control"); ct != "image/png" || cc != "no-store" {
		t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
	}
	if _, err := time.Parse(time.RFC3339Nano, r.header.Get(cph.ScreenshotTakenAtHeader)); err != nil {
		t.Errorf("%s: %v", cph.ScreenshotTakenAtHeader, err)
	}
	if _, err := png.Decode(bytes.NewReader(r.raw)); err != nil {
		t.Errorf("the body is not a PNG: %v", err)
	}

	// A server whose agent is gone (but not yet marked down).
	silent := phoneOf(second)
	cptest.Orphan(t, srv, second)
	poll.Until(t, "the agent of server "+second+" to stop", func() bool { return srv.Agent(second) == nil })
	for i := range 2 {
		r := do(t, "GET", shotURL(silent), token, nil)
		if r.status != http.StatusGatewayTimeout || r.body["error_code"] != cph.CodePhoneNoAnswer {
			t.Errorf("call %d: %d %s", i+1, r.status, r.raw)
		}
	}
	jobs, err := srv.DB().JobsOfPhone(t.Context(), pid, silent, cph.OpScreenshot, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 {
		t.Errorf("%d screenshot jobs queued for the silent phone, want 1 that both calls waited for", len(jobs))
	}
}
