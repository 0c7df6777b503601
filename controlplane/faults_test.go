package controlplane_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
)

// createFault adds a rule over HTTP and returns its id.
func createFault(t *testing.T, srv *controlplane.Server, token, projectID string, rule map[string]any) string {
	t.Helper()
	r := do(t, "POST", srv.URL()+"/opencph/v1/"+projectID+"/faults", token, rule)
	if r.status != http.StatusCreated {
		t.Fatalf("create fault %v: %d %s", rule, r.status, r.raw)
	}
	id, _ := r.body["fault_id"].(string)
	if id == "" {
		t.Fatalf("created fault without an id: %s", r.raw)
	}
	return id
}

// restartBatch restarts phones in one batch and returns the final jobs.
func restartBatch(t *testing.T, c *client.Client, phones []cph.Phone) []cph.Job {
	t.Helper()
	refs := make([]cph.PhoneRef, len(phones))
	for i, p := range phones {
		refs[i] = cph.PhoneRef{PhoneID: p.ID}
	}
	res, err := c.RestartPhones(testCtx(t), client.RestartPhonesRequest{Phones: refs})
	if err != nil {
		t.Fatal(err)
	}
	return waitJobs(t, c, res.RequestID)
}

// countFailed counts the jobs that failed with code and the others that
// succeeded; any other outcome fails the test.
func countFailed(t *testing.T, jobs []cph.Job, code string) (failed int) {
	t.Helper()
	for _, j := range jobs {
		switch {
		case j.Status == cph.JobFailed && str(j.ErrorCode) == code:
			failed++
		case j.Status != cph.JobSucceeded:
			t.Errorf("job %s: status %d, %s %s", j.ID, j.Status, str(j.ErrorCode), str(j.ErrorMsg))
		}
	}
	return failed
}

// allRunning waits until every phone of the project runs again.
func allRunning(t *testing.T, c *client.Client, n int) []cph.Phone {
	t.Helper()
	var phones []cph.Phone
	ctx := testCtx(t)
	for {
		list, err := c.ListAllPhones(ctx, client.ListPhonesOptions{})
		if err != nil {
			t.Fatal(err)
		}
		phones = list.Phones
		if len(phones) == n && !slices.ContainsFunc(phones, func(p cph.Phone) bool { return p.Status != cph.PhoneRunning }) {
			return phones
		}
		// A phone whose restart failed is restarted again.
		for _, p := range phones {
			if p.Status == cph.PhoneRestartFailed {
				if _, err := c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: p.ID}}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the phones do not all run again: %+v", phones)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestFaultCountPartialBatch checks that a rule with count 3 fails exactly
// 3 restarts of a batch of 10, and of 10 concurrent single restarts, on
// both databases.
func TestFaultCountPartialBatch(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var dbURL string
			if engine == "postgres" {
				dbURL = postgresURL(t)
			}
			srv := startServer(t, func(c *controlplane.Config) {
				c.SimPhonesPerServer = 5
				c.DatabaseURL = dbURL
			})
			token, pid := mustLogin(t, srv)
			c := newClient(t, srv)
			phones := allRunning(t, c, 10)

			createFault(t, srv, token, pid, map[string]any{"operation": "job:restart", "effect": "fail", "count": 3, "error_code": cph.CodeAgentOffline})
			if n := countFailed(t, restartBatch(t, c, phones), cph.CodeAgentOffline); n != 3 {
				t.Errorf("%d of the batch's 10 restarts failed, want 3", n)
			}

			phones = allRunning(t, c, 10)
			createFault(t, srv, token, pid, map[string]any{"operation": "job:restart", "effect": "fail", "count": 3})
			var wg sync.WaitGroup
			jobs := make([][]cph.Job, len(phones))
			for i, p := range phones {
				wg.Go(func() {
					res, err := c.RestartPhones(context.Background(), client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: p.ID}}})
					if err != nil {
						t.Error(err)
						return
					}
					jobs[i], err = c.WaitJobs(testCtx(t), res.RequestID, client.WaitOptions{Interval: 20 * time.Millisecond})
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if n := countFailed(t, slices.Concat(jobs...), cph.CodeJobFailed); n != 3 {
				t.Errorf("%d of 10 concurrent restarts failed, want 3", n)
			}
		})
	}
}

// TestFaultHTTPError checks injected API answers: a 429 and a 503 with
// Retry-After, shaped as genuine errors, then normal answers once the
// count is spent; the audit trail marks an injected call and a call whose
// job a rule failed, the answers do not.
func TestFaultHTTPError(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	token, pid := mustLogin(t, srv)
	phones := srv.URL() + "/v1/" + pid + "/cloud-phone/phones"

	genuine := do(t, "GET", phones+"?limit=0", token, nil)
	if genuine.status != http.StatusBadRequest {
		t.Fatalf("a genuine error: %d %s", genuine.status, genuine.raw)
	}
	sameShape := func(what string, r *response) {
		t.Helper()
		if !slices.Equal(slices.Sorted(maps.Keys(r.body)), slices.Sorted(maps.Keys(genuine.body))) {
			t.Errorf("%s: body %s, a genuine error's %s", what, r.raw, genuine.raw)
		}
		for name := range r.header {
			if _, ok := genuine.header[name]; !ok && name != "Retry-After" {
				t.Errorf("%s: header %s, which a genuine error has not", what, name)
			}
		}
		if strings.Contains(strings.ToLower(string(r.raw)), "inject") || strings.Contains(strings.ToLower(string(r.raw)), "fault") {
			t.Errorf("%s: the answer tells: %s", what, r.raw)
		}
	}

	readFault := createFault(t, srv, token, pid, map[string]any{"operation": "ListCloudPhones", "effect": "http_error", "status": 429,
		"error_code": cph.CodeTooManyRequests, "count": 1})
	r := do(t, "GET", phones, token, nil)
	if r.status != http.StatusTooManyRequests || r.body["error_code"] != cph.CodeTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("injected 429: %d %v %s", r.status, r.header, r.raw)
	}
	if r.body["error_msg"] != cph.ErrTooManyRequests().Message {
		t.Errorf("injected 429's message %q, the table's %q", r.body["error_msg"], cph.ErrTooManyRequests().Message)
	}
	sameShape("429", r)
	if r := do(t, "GET", phones, token, nil); r.status != http.StatusOK {
		t.Errorf("once the 429 is spent: %d %s", r.status, r.raw)
	}

	createFault(t, srv, token, pid, map[string]any{"operation": "ListCloudPhones", "effect": "http_error", "status": 503,
		"error_code": cph.CodeInternal, "error_msg": "Service unavailable.", "count": 2})
	for i := range 2 {
		r := do(t, "GET", phones, token, nil)
		if r.status != http.StatusServiceUnavailable || r.body["error_code"] != cph.CodeInternal || r.body["error_msg"] != "Service unavailable." ||
			r.header.Get("Retry-After") == "" {
			t.Errorf("injected 503 #%d: %d %v %s", i+1, r.status, r.header, r.raw)
		}
		sameShape("503", r)
	}
	if r := do(t, "GET", phones, token, nil); r.status != http.StatusOK {
		t.Errorf("once the 503s are spent: %d %s", r.status, r.raw)
	}

	// phone_ids target a call's path.
	c := newClient(t, srv)
	ph := fleet(t, c)
	targeted := createFault(t, srv, token, pid, map[string]any{"operation": "ShowCloudPhoneDetail", "effect": "http_error", "status": 500,
		"error_code": cph.CodeInternal, "phone_ids": []string{ph[0].ID}})
	if r := do(t, "GET", phones+"/"+ph[1].ID, token, nil); r.status != http.StatusOK {
		t.Errorf("a phone the rule does not target: %d %s", r.status, r.raw)
	}
	if r := do(t, "GET", phones+"/"+ph[0].ID, token, nil); r.status != http.StatusInternalServerError || r.body["error_code"] != cph.CodeInternal {
		t.Errorf("the targeted phone: %d %s", r.status, r.raw)
	}
	if r := do(t, "DELETE", srv.URL()+"/opencph/v1/"+pid+"/faults/"+targeted, token, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	if r := do(t, "GET", phones+"/"+ph[0].ID, token, nil); r.status != http.StatusOK {
		t.Errorf("once the rule is deleted: %d %s", r.status, r.raw)
	}

	// The audit trail marks an injected answer of a mutating call, and a
	// call whose job a rule failed.
	callFault := createFault(t, srv, token, pid, map[string]any{"operation": "RestartCloudPhone", "effect": "http_error", "status": 500,
		"error_code": cph.CodeInternal, "count": 1})
	restart := map[string]any{"phones": []map[string]any{{"phone_id": ph[2].ID}}}
	if r := do(t, "POST", phones+"/batch-restart", token, restart); r.status != http.StatusInternalServerError {
		t.Errorf("injected restart answer: %d %s", r.status, r.raw)
	}
	jobFault := createFault(t, srv, token, pid, map[string]any{"operation": "job:restart", "effect": "fail", "count": 1})
	r = do(t, "POST", phones+"/batch-restart", token, restart)
	if r.status != http.StatusOK || strings.Contains(string(r.raw), jobFault) {
		t.Errorf("restart answer under a job rule: %d %s", r.status, r.raw)
	}
	if j := waitJobs(t, c, r.body["request_id"].(string)); len(j) != 1 || j[0].Status != cph.JobFailed {
		t.Errorf("the failed restart: %+v", j)
	}
	marked := func() map[string]bool {
		out := map[string]bool{}
		r := do(t, "GET", srv.URL()+"/opencph/v1/"+pid+"/audit-events", token, nil)
		events, _ := r.body["audit_events"].([]any)
		for _, e := range events {
			ids, _ := e.(map[string]any)["injected_faults"].([]any)
			for _, id := range ids {
				out[id.(string)] = true
			}
		}
		return out
	}
	// Reads are not audited, but an injected answer of one is.
	waitFor(t, "the audit trail to mark the injected calls", func() bool {
		m := marked()
		return m[callFault] && m[jobFault] && m[readFault]
	})
}

// TestFaultExpiryAndHangTimeout checks, on the store's clock, that an
// expired rule applies no more and that a hang with a timeout fails its
// job with the rule's code once the time has passed.
func TestFaultExpiryAndHangTimeout(t *testing.T) {
	t.Parallel()
	clock := new(skewedClock)
	srv := startServer(t, func(c *controlplane.Config) { c.Now = clock.Now })
	token, pid := mustLogin(t, srv)
	c := newClient(t, srv)
	ph := fleet(t, c)

	createFault(t, srv, token, pid, map[string]any{"operation": "job:restart", "effect": "fail",
		"expires_at": cph.NewTime(clock.Now().Add(2 * time.Second))})
	clock.Advance(3 * time.Second)
	if n := countFailed(t, restartBatch(t, c, ph[:1]), cph.CodeJobFailed); n != 0 {
		t.Errorf("an expired rule failed %d restarts", n)
	}

	createFault(t, srv, token, pid, map[string]any{"operation": "job:stop", "effect": "hang", "delay_ms": 3000,
		"error_code": cph.CodeAgentOffline, "error_msg": "Hung."})
	res, err := c.StopPhones(testCtx(t), []string{ph[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	jobID := res.Jobs[0].JobID
	waitFor(t, "the stop to be held", func() bool {
		j, err := c.ShowJob(testCtx(t), jobID)
		return err == nil && j.Status == cph.JobRunning
	})
	if p, err := c.ShowPhone(testCtx(t), ph[1].ID); err != nil || p.Status != cph.PhoneStopping {
		t.Errorf("the held stop's phone: %v, %+v", err, p)
	}
	clock.Advance(4 * time.Second)
	jobs := waitJobs(t, c, res.RequestID)
	if j := jobs[0]; j.Status != cph.JobFailed || str(j.ErrorCode) != cph.CodeAgentOffline || str(j.ErrorMsg) != "Hung." {
		t.Errorf("the hung stop after its timeout: %+v", j)
	}
	if p, err := c.ShowPhone(testCtx(t), ph[1].ID); err != nil || p.Status != cph.PhoneStopFailed {
		t.Errorf("the hung stop's phone after the timeout: %v, %+v", err, p)
	}
}

// waitFor polls cond every 20 ms for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx := testCtx(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
