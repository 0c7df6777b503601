// Package cpclient makes clients (package client) of test control planes
// (package cptest) whose every exchange is checked against the API's
// OpenAPI document. It is apart from cptest so that the client package's
// own tests can use cptest.
package cpclient

import (
	"testing"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// For returns a client of srv that logs in as user of domain with
// password, scoped to project, through cptest.HTTPClient.
func For(t testing.TB, srv *controlplane.Server, domain, user, password, project string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: srv.URL(), Domain: domain, User: user, Password: password,
		Project: project, HTTPClient: cptest.HTTPClient(t)})
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

// New returns a client of srv logged in as the bootstrap account.
func New(t testing.TB, srv *controlplane.Server) *client.Client {
	t.Helper()
	return For(t, srv, cptest.Domain, cptest.User, cptest.Password, cptest.Project)
}
