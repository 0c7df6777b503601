package cptest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/sqlstore"
)

// waitFleet waits until the agent of every built-in server has created
// all the server's phones in its simulated runtime, so that tests can
// inspect phones or inject failures into them at once.
func waitFleet(t testing.TB, srv *controlplane.Server) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	servers, err := srv.DB().BuiltinServers(ctx)
	if err != nil {
		t.Fatalf("list built-in servers: %v", err)
	}
	for _, s := range servers {
		phones, err := srv.DB().PhonesByServer(ctx, s.ID)
		if err != nil {
			t.Fatalf("list phones of %s: %v", s.Name, err)
		}
		drv := srv.SimDriver(s.ID)
		if drv == nil {
			continue
		}
		poll.Within(t, time.Until(deadline), fmt.Sprintf("the agent of %s to create its %d phones", s.Name, len(phones)), func() bool {
			have, err := drv.Phones(ctx)
			return err == nil && len(have) >= len(phones)
		})
	}
}

// OrphanRuntime is the runtime Orphan records: no control plane runs it.
const OrphanRuntime = "orphan-test-fixture"

// Orphan records a runtime no control plane runs for a fleet server, so
// that from the next fleet sync on no replica runs its agent: the test
// fixture of a server whose agent is gone.
func Orphan(t testing.TB, srv *controlplane.Server, serverID string) {
	t.Helper()
	err := srv.DB().Tx(context.Background(), func(tx *sqlstore.Tx) error {
		return tx.SetFleetRuntime(context.Background(), serverID, OrphanRuntime)
	})
	if err != nil {
		t.Fatalf("orphan server %s: %v", serverID, err)
	}
}

// InjectFailure makes the next restart of phone p fail with msg. The
// simulated runtime learns its phones when the server's agent connects, so
// it retries until the runtime knows the phone.
func InjectFailure(t testing.TB, srv *controlplane.Server, p cph.Phone, msg string) {
	t.Helper()
	poll.Until(t, "the simulated runtime to know phone "+p.ID, func() bool {
		drv := srv.SimDriver(p.ServerID)
		if drv == nil {
			t.Fatalf("no simulated runtime for server %s", p.ServerID)
		}
		err := drv.InjectFailure(p.ID, "restart", msg)
		if err != nil && !errors.Is(err, runtime.ErrNoSuchPhone) {
			t.Fatal(err)
		}
		return err == nil
	})
}
