package controlplane_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/opencph/opencph/controlplane"
)

// testEnrollToken is the enrollment token of the replicas' tests.
const testEnrollToken = "enroll-token-of-the-replica-tests"

// startReplicas starts two control planes on one new PostgreSQL database
// (and one object store), as a cluster runs them. The login throttle's
// refills are an hour so that nothing refills while a test runs.
func startReplicas(t *testing.T) (a, b *controlplane.Server) {
	t.Helper()
	dbURL, objects := postgresURL(t), t.TempDir()
	mutate := func(c *controlplane.Config) {
		c.DatabaseURL, c.ObjectsDir, c.AgentEnrollToken = dbURL, objects, testEnrollToken
		c.IAM.UserRefill, c.IAM.UserTotalRefill, c.IAM.ClientRefill = time.Hour, time.Hour, time.Hour
	}
	return startServer(t, mutate), startServer(t, mutate)
}

// wantThrottled checks a 429 with a Retry-After of at least a second and
// the error code.
func wantThrottled(t *testing.T, what string, r *response, code string) {
	t.Helper()
	after, err := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != http.StatusTooManyRequests || err != nil || after < 1 {
		t.Errorf("%s: %d, Retry-After %q, want 429 with Retry-After: %s", what, r.status, r.header.Get("Retry-After"), r.raw)
		return
	}
	if code != "" && r.body["error_code"] != code {
		t.Errorf("%s: error code %v, want %s", what, r.body["error_code"], code)
	}
}

// TestLimitsHoldAcrossReplicas checks that the limits protecting the API
// count the calls of every replica: the login throttle, RunSyncCommand's
// six calls a minute, and failed agent enrollments.
func TestLimitsHoldAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b := startReplicas(t)

	t.Run("RunSyncCommand", func(t *testing.T) {
		token, pid := mustLogin(t, a)
		phones := do(t, "GET", a.URL()+"/v1/"+pid+"/cloud-phone/phones", token, nil).body["phones"].([]any)
		phone := phones[0].(map[string]any)["phone_id"].(string)
		body := map[string]any{"command": "shell", "content": "id", "phone_ids": []string{phone}}
		for i := range 6 {
			if r := do(t, "POST", a.URL()+"/v1/"+pid+"/cloud-phone/phones/sync-commands", token, body); r.status != 200 {
				t.Fatalf("sync call %d via A: %d %s", i+1, r.status, r.raw)
			}
		}
		r := do(t, "POST", b.URL()+"/v1/"+pid+"/cloud-phone/phones/sync-commands", token, body)
		wantThrottled(t, "7th sync call in a minute, via B", r, "CPS.9009")
	})

	t.Run("AgentEnrollment", func(t *testing.T) {
		enroll := func(srv *controlplane.Server, token string) *response {
			return do(t, "POST", srv.URL()+"/agent/v1/enroll", "", map[string]any{
				"enroll_token": token, "project": "cn-north-4", "name": "edge-1", "phones": 1})
		}
		for i := range 9 {
			if r := enroll(a, "wrong-token"); r.status != http.StatusUnauthorized {
				t.Fatalf("wrong token %d via A: %d %s", i+1, r.status, r.raw)
			}
		}
		// Enrollments with the right token do not count.
		if r := enroll(b, testEnrollToken); r.status != http.StatusOK {
			t.Fatalf("right token via B after 9 wrong ones: %d %s", r.status, r.raw)
		}
		if r := enroll(a, "wrong-token"); r.status != http.StatusUnauthorized {
			t.Fatalf("10th wrong token via A: %d %s", r.status, r.raw)
		}
		wantThrottled(t, "11th wrong token, via B", enroll(b, "wrong-token"), "AGENT.0429")
		wantThrottled(t, "right token from the throttled address", enroll(b, testEnrollToken), "AGENT.0429")
	})

	t.Run("Login", func(t *testing.T) {
		for i := range 5 {
			if _, r := login(t, a, "wrong-password"); r.status != http.StatusUnauthorized {
				t.Fatalf("wrong password %d via A: %d %s", i+1, r.status, r.raw)
			}
		}
		_, r := login(t, b, testPassword)
		wantThrottled(t, "6th attempt, via B, with the right password", r, "")
	})
}
