// Package servicetest is one behaviour suite for OpenCPH's domain
// services. It runs against every implementation of the interfaces of the
// root package: the in-process services (package service) and the Go
// client over HTTP (client.Services), each on SQLite and on PostgreSQL.
// A rule that holds in one and not in another is a bug.
//
// The suite asserts what a caller can see through the interfaces: results
// and error codes. It arranges what the interfaces cannot reach (a phone
// that fails) through Env.ControlPlane.
package servicetest

import (
	"context"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
)

// Services is every domain service, as one caller sees it.
type Services interface {
	cph.PhoneService
	cph.JobService
	cph.ServerService
	cph.ImageService
	cph.BucketService
	cph.IdentityService
	cph.BillingService
	cph.FaultService
	cph.StandInService
	cph.SnapshotService
	cph.EventService
}

// Caller is one caller and the services as it sees them. Ctx carries the
// caller for the in-process services (an HTTP client ignores it: it calls
// as its own user).
type Caller struct {
	Ctx context.Context
	S   Services
}

// Env is a running OpenCPH: a control plane with the built-in simulated
// fleet, and three callers.
type Env struct {
	// Admin is the admin user of project ProjectID.
	Admin Caller
	// ReadOnly is a user of the same project who is not an admin.
	ReadOnly Caller
	// Other is the admin of another account's project.
	Other Caller
	// ProjectID is the project of Admin and ReadOnly.
	ProjectID string
	// ControlPlane is the control plane behind the services.
	ControlPlane *controlplane.Server
}

// NewEnv starts a fresh Env for a test; it is cleaned up with the test.
type NewEnv func(t *testing.T) *Env

// Run runs the whole suite. Each area starts its own Env, and the areas
// run in parallel.
func Run(t *testing.T, newEnv NewEnv) {
	areas := []struct {
		name string
		test func(*testing.T, *Env)
	}{
		{"phones", testPhones},
		{"images", testImages},
		{"buckets", testBuckets},
		{"agents", testAgents},
		{"jobs", testJobs},
		{"servers", testServers},
		{"identity", testIdentity},
		{"billing", testBilling},
		{"faults", testFaults},
		{"standin", testStandIn},
		{"snapshots", testSnapshots},
		{"share filesystems", testShareFilesystems},
		{"share apps snapshot", testShareAppsSnapshot},
		{"server model offerings", testServerModelOfferings},
		{"changed operations", testChangedOperations},
		{"events", testEvents},
	}
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			a.test(t, newEnv(t))
		})
	}
}

// code returns the CPH code of err ("" for nil).
func code(err error) string { return cph.ErrorCode(err) }

// wantCode fails the test unless err has the CPH code want.
func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, want)
	}
}

// refusal is one call that must fail: its name, its argument and the CPH
// code of the error it must return.
type refusal[P any] struct {
	name string
	p    P
	want string
}

// refusals calls call with each case's argument and fails the test unless
// the error has the case's code.
func refusals[P, R any](t *testing.T, ctx context.Context, call func(context.Context, P) (R, error), cases []refusal[P]) {
	t.Helper()
	for _, c := range cases {
		_, err := call(ctx, c.p)
		wantCode(t, c.name, err, c.want)
	}
}

// failure is the error one named call returned.
type failure struct {
	name string
	err  error
}

// wantCodes fails the test unless every failure has the CPH code want.
func wantCodes(t *testing.T, want string, fs []failure) {
	t.Helper()
	for _, f := range fs {
		wantCode(t, f.name, f.err, want)
	}
}
