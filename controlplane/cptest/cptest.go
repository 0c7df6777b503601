// Package cptest starts real control planes for tests: a cphd on a random
// loopback port with a temporary data dir, short timers and a small
// simulated fleet, stopped when the test ends.
package cptest

import (
	"context"
	"testing"
	"time"

	"github.com/opencph/opencph/controlplane"
)

// Account names of test control planes.
const (
	Domain   = "acme"
	User     = "acme"
	Project  = "cn-north-4"
	Password = "s3cret-Passw0rd"
)

// Ids every test control plane answers to in the same way.
const (
	// Android12 is the id of a public image of every control plane.
	Android12 = "a1b2c3d4e5f60718293a4b5c6d7e8f12"
	// UnknownPhone is a well-formed phone id that no phone has.
	UnknownPhone = "ffffffffffffffffffffffffffffffff"
)

// Start starts a control plane with 2 simulated servers of 3 phones each,
// 50 ms boot time and the account Domain/User/Password/Project. mutate, if
// not nil, adjusts the configuration first. It returns once the agents of
// the simulated servers have created their phones.
func Start(t testing.TB, mutate func(*controlplane.Config)) *controlplane.Server {
	t.Helper()
	cfg := controlplane.Config{
		Listen:             "127.0.0.1:0",
		DataDir:            t.TempDir(),
		SimServers:         2,
		SimPhonesPerServer: 3,
		SimBootTime:        50 * time.Millisecond,
		PollWait:           2 * time.Second,
		Bootstrap:          controlplane.Bootstrap{Domain: Domain, User: User, Password: Password, Project: Project},
	}
	cfg.Engine.SweepInterval = 100 * time.Millisecond
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := controlplane.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start control plane: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	waitFleet(t, srv)
	return srv
}
