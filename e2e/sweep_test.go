package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// A server restart whose agent never answers fails instead of leaving the
// phones restarting forever.
func TestServerRestartWithoutAgentFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	first, c := start(t, func(c *controlplane.Config) { c.DataDir = dir })
	cptest.Orphan(t, first, servers(t, c)["sim-server-02"].ID)
	first.Close()
	// Restarted, sim-server-02 has no agent.
	srv := cptest.Start(t, func(c *controlplane.Config) {
		c.DataDir = dir
		c.Engine.PendingTimeout = 300 * time.Millisecond
	})
	c, err := client.New(client.Config{Endpoint: srv.URL(), Domain: cptest.Domain, User: cptest.User, Password: cptest.Password, Project: cptest.Project, HTTPClient: cptest.HTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	s2 := servers(t, c)["sim-server-02"]
	res, err := c.RestartServers(ctx, []string{s2.ID})
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c, res.Jobs[0].JobID)
	if j.Status != cph.JobFailed || j.ErrorCode == nil || *j.ErrorCode != cph.CodeJobFailed {
		t.Errorf("job = %+v", j)
	}
	for _, p := range phonesOf(t, c, s2.ID) {
		if p.Status != cph.PhoneRestartFailed {
			t.Errorf("phone %s status %d, want -6", p.Name, p.Status)
		}
	}
}

// A server created through the API gets its agent again when cphd restarts.
func TestCreatedServerSurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	first, c := start(t, func(c *controlplane.Config) { c.DataDir = dir })
	id := createNormalServer(t, c, "durable")
	first.Close()
	srv := cptest.Start(t, func(c *controlplane.Config) { c.DataDir = dir })
	if srv.SimDriver(id) == nil {
		t.Fatal("no agent for the created server after a restart")
	}
	c2, err := client.New(client.Config{Endpoint: srv.URL(), Domain: cptest.Domain, User: cptest.User, Password: cptest.Password, Project: cptest.Project, HTTPClient: cptest.HTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c2.RestartServers(ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c2, res.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Errorf("restart after cphd restart: %+v", j)
	}
	for _, p := range phonesOf(t, c2, id) {
		if p.Status != cph.PhoneRunning {
			t.Errorf("phone %s status %d", p.Name, p.Status)
		}
	}
}

// A server whose agent went silent is refused per item with CPS.9012.
func TestRestartOfSilentServerRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	first, c := start(t, func(c *controlplane.Config) { c.DataDir = dir })
	id := servers(t, c)["sim-server-02"].ID
	poll.Until(t, "the agent of sim-server-02 to start", func() bool {
		ps, err := first.SimDriver(id).Phones(ctx)
		return err == nil && len(ps) == 3
	})
	cptest.Orphan(t, first, id)
	first.Close()
	// Restarted, sim-server-02's agent is gone.
	srv := cptest.Start(t, func(c *controlplane.Config) {
		c.DataDir = dir
		c.PollWait = 100 * time.Millisecond
		c.Engine.PollRecheck = 50 * time.Millisecond
		c.Engine.AgentTTL = time.Second
	})
	c, err := client.New(client.Config{Endpoint: srv.URL(), Domain: cptest.Domain, User: cptest.User, Password: cptest.Password, Project: cptest.Project, HTTPClient: cptest.HTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "server to be abnormal", func() bool {
		d, err := c.ShowServer(ctx, id)
		return err == nil && d.Status == cph.ServerAbnormal
	})
	res, err := c.RestartServers(ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if res.Jobs[0].ErrorCode != cph.CodeServerUnavailable || res.Jobs[0].JobID != "" {
		t.Errorf("entry = %+v", res.Jobs[0])
	}
}
