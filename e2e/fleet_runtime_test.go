package e2e_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// TestFleetServersKeepTheirRuntime runs two replicas of different runtimes
// on one PostgreSQL database: A with the simulated runtime creates the
// built-in fleet, B runs another runtime (a test-fixture driver standing
// in for the Docker runtime). Each runs the agents of the servers of its
// own runtime only, whatever its --sim-servers: the built-in servers and a
// server created through A on A, a server created through B on B.
func TestFleetServersKeepTheirRuntime(t *testing.T) {
	t.Parallel()
	url, objects := storetest.PostgresURL(t), t.TempDir()
	var mu sync.Mutex
	made := map[string]int{} // server id -> drivers B made for it
	a, ca := start(t, func(c *controlplane.Config) {
		c.DatabaseURL, c.ObjectsDir, c.SimServers, c.SimPhonesPerServer = url, objects, 2, 1
	})
	b, cb := start(t, func(c *controlplane.Config) {
		c.DatabaseURL, c.ObjectsDir, c.SimServers = url, objects, 0
		c.Runtime = "fixture"
		c.NewDriver = func(ctx context.Context, serverID, name string) (runtime.Driver, error) {
			mu.Lock()
			made[serverID]++
			mu.Unlock()
			return sim.New(sim.Config{BootTime: 10 * time.Millisecond}), nil
		}
	})
	ctx := context.Background()
	builtin, err := a.DB().BuiltinServers(ctx)
	if err != nil || len(builtin) != 2 {
		t.Fatalf("built-in servers: %d, %v", len(builtin), err)
	}
	onA, err := ca.CreateServers(ctx, createRequest("on-a", 1))
	if err != nil {
		t.Fatal(err)
	}
	onB, err := cb.CreateServers(ctx, createRequest("on-b", 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{ca, cb} {
		poll.Until(t, "every server to be normal", func() bool {
			l, err := c.ListAllServers(ctx, client.ListServersOptions{})
			if err != nil || len(l.Servers) != 4 {
				return false
			}
			for _, s := range l.Servers {
				if s.Status != cph.ServerNormal {
					return false
				}
			}
			return true
		})
	}
	for _, s := range builtin {
		if a.SimDriver(s.ID) == nil || b.Driver(s.ID) != nil {
			t.Errorf("built-in server %s: run by A %v, by B %v; want A only", s.Name, a.SimDriver(s.ID) != nil, b.Driver(s.ID) != nil)
		}
	}
	if id := onA.ServerIDs[0]; a.SimDriver(id) == nil || b.Driver(id) != nil {
		t.Errorf("server created through A: run by A %v, by B %v; want A only", a.SimDriver(id) != nil, b.Driver(id) != nil)
	}
	if id := onB.ServerIDs[0]; b.Driver(id) == nil || a.Driver(id) != nil {
		t.Errorf("server created through B: run by B %v, by A %v; want B only", b.Driver(id) != nil, a.Driver(id) != nil)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(made) != 1 || made[onB.ServerIDs[0]] != 1 {
		t.Errorf("B made drivers for %v, want one for %s only", made, onB.ServerIDs[0])
	}
}
