package controlplane_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agent"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/controlplane/cptest/cpclient"
	"github.com/opencph/opencph/runtime/sim"
)

// TestEnrollmentTokenRotationKeepsEnrolledAgents rotates a project's
// enrollment token as docs/operations.md describes (create the new one,
// revoke the old one): the agent enrolled with the old token keeps
// running its phones, also after the agent restarts with its saved
// credential; the old token enrolls nothing more, the new one does.
func TestEnrollmentTokenRotationKeepsEnrolledAgents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := cptest.Start(t, func(c *controlplane.Config) { c.SimServers = 0 })
	c := cpclient.New(t, srv)
	oldTok, err := c.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{Description: "rack 1, before rotation"})
	if err != nil {
		t.Fatal(err)
	}
	id, pe := enroll(t, srv, oldTok.Token, "", "rack1-node")
	if pe != nil {
		t.Fatal(pe)
	}
	runAgent := func() context.CancelFunc {
		actx, cancel := context.WithCancel(ctx)
		ag, err := agent.New(agent.Config{ControlPlane: []string{srv.URL()}, Credential: id.Credential,
			Driver: sim.New(sim.Config{BootTime: 10 * time.Millisecond}), PollWait: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); ag.Run(actx) }()
		return func() { cancel(); <-done }
	}
	restartPhone := func(when string) {
		t.Helper()
		phones, err := c.ListPhones(ctx, client.ListPhonesOptions{ServerID: id.ServerID})
		if err != nil || len(phones.Phones) != 1 {
			t.Fatalf("%s: phones of the server: %+v, %v", when, phones, err)
		}
		res, err := c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: phones.Phones[0].ID}}})
		if err != nil {
			t.Fatalf("%s: restart: %v", when, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		jobs, err := c.WaitJobs(wctx, res.RequestID, client.WaitOptions{Interval: 20 * time.Millisecond})
		if err != nil || len(jobs) != 1 || jobs[0].Status != cph.JobSucceeded {
			t.Errorf("%s: restart job %+v, %v; want success", when, jobs, err)
		}
	}
	stop := runAgent()
	restartPhone("before the rotation")

	// The rotation: a new token, then the old one revoked.
	newTok, err := c.CreateEnrollmentToken(ctx, client.NewEnrollmentToken{Description: "rack 1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeEnrollmentToken(ctx, oldTok.ID); err != nil {
		t.Fatal(err)
	}
	restartPhone("after the old token was revoked")
	stop()
	stop = runAgent() // the agent restarts with the credential from its state dir
	defer stop()
	restartPhone("after the agent restarted")

	if _, pe := enroll(t, srv, oldTok.Token, "", "late-node"); pe == nil || pe.Status != http.StatusUnauthorized || pe.Code != agentproto.CodeUnauthorized {
		t.Errorf("old token after the rotation: %v, want 401 %s", pe, agentproto.CodeUnauthorized)
	}
	if _, pe := enroll(t, srv, newTok.Token, "", "new-node"); pe != nil {
		t.Errorf("new token: %v", pe)
	}
}
