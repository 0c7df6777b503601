// Package e2e_test drives a real cphd over HTTP through the client package.
package e2e_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// start starts a control plane and returns it with a logged-in client.
func start(t *testing.T, mutate func(*controlplane.Config)) (*controlplane.Server, *client.Client) {
	t.Helper()
	srv := cptest.Start(t, mutate)
	c, err := client.New(client.Config{Endpoint: srv.URL(), Domain: cptest.Domain, User: cptest.User,
		Password: cptest.Password, Project: cptest.Project, HTTPClient: cptest.HTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// wantCode checks that err carries the CPH error code and HTTP status.
func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	var e *cph.Error
	if !errors.As(err, &e) || e.Code != code || e.Status != status {
		t.Errorf("error = %v, want %d %s", err, status, code)
	}
}

// servers returns the project's servers by name.
func servers(t *testing.T, c *client.Client) map[string]cph.Server {
	t.Helper()
	list, err := c.ListAllServers(context.Background(), client.ListServersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]cph.Server{}
	for _, s := range list.Servers {
		out[s.Name] = s
	}
	return out
}

// phonesOf returns the phones of a server.
func phonesOf(t *testing.T, c *client.Client, serverID string) []cph.Phone {
	t.Helper()
	list, err := c.ListAllPhones(context.Background(), client.ListPhonesOptions{ServerID: serverID})
	if err != nil {
		t.Fatal(err)
	}
	return list.Phones
}

// waitJob waits for a job to end and returns it.
func waitJob(t *testing.T, c *client.Client, jobID string) *cph.Job {
	t.Helper()
	var j *cph.Job
	poll.Until(t, "job "+jobID, func() bool {
		var err error
		j, err = c.ShowJob(context.Background(), jobID)
		if err != nil {
			t.Fatal(err)
		}
		return j.Status.Final()
	})
	return j
}
