package cptest

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// Gate holds back the simulated runtime of servers created through the
// API (not the built-in sim-server-NN ones): their phones boot only once
// Boot is called, and are removed (a deletion) only once Remove is. A test
// sees a server's creation or deletion in progress for as long as it
// wants, without depending on timing.
type Gate struct {
	boot, remove         chan struct{}
	bootOnce, removeOnce sync.Once
}

// Gated makes cfg run servers created through the API on a gated
// simulated runtime and returns the gate.
func Gated(cfg *controlplane.Config) *Gate {
	g := &Gate{boot: make(chan struct{}), remove: make(chan struct{})}
	boot := cfg.SimBootTime
	if boot == 0 {
		boot = 50 * time.Millisecond
	}
	cfg.Runtime = "gated-sim"
	cfg.NewDriver = func(ctx context.Context, serverID, name string) (runtime.Driver, error) {
		d := sim.New(sim.Config{BootTime: boot})
		if strings.HasPrefix(name, "sim-server-") {
			return d, nil
		}
		return &gatedDriver{Driver: d, g: g}, nil
	}
	return g
}

// Boot lets the gated servers' phones boot.
func (g *Gate) Boot() { g.bootOnce.Do(func() { close(g.boot) }) }

// Remove lets the gated servers' phones be removed.
func (g *Gate) Remove() { g.removeOnce.Do(func() { close(g.remove) }) }

type gatedDriver struct {
	*sim.Driver
	g *Gate
}

func wait(ctx context.Context, gate <-chan struct{}) error {
	select {
	case <-gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *gatedDriver) Restart(ctx context.Context, phoneID string, opts runtime.RestartOptions) error {
	if err := wait(ctx, d.g.boot); err != nil {
		return err
	}
	return d.Driver.Restart(ctx, phoneID, opts)
}

func (d *gatedDriver) RemovePhone(ctx context.Context, phoneID string) error {
	if err := wait(ctx, d.g.remove); err != nil {
		return err
	}
	return d.Driver.RemovePhone(ctx, phoneID)
}
