package controlplane_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// reportingDriver is a test fixture: the simulated runtime with what a
// container runtime adds, real-looking addresses and phones that break on
// their own (crash).
type reportingDriver struct {
	*sim.Driver
	mu      sync.Mutex
	notify  func(runtime.PhoneInfo)
	crashed map[string]bool // until the next reset
}

func (d *reportingDriver) NotifyStates(f func(runtime.PhoneInfo)) {
	d.mu.Lock()
	d.notify = f
	d.mu.Unlock()
}

func (d *reportingDriver) withAccess(p runtime.PhoneInfo) runtime.PhoneInfo {
	p.Access = runtime.Access{IP: "192.0.2.10", Port: 45000 + p.Index, IntranetIP: fmt.Sprintf("172.17.0.%d", 10+p.Index)}
	d.mu.Lock()
	if d.crashed[p.ID] {
		p.State, p.LastError = runtime.StateFailed, "container died"
	}
	d.mu.Unlock()
	return p
}

func (d *reportingDriver) Phone(ctx context.Context, id string) (runtime.PhoneInfo, error) {
	p, err := d.Driver.Phone(ctx, id)
	return d.withAccess(p), err
}

func (d *reportingDriver) Phones(ctx context.Context) ([]runtime.PhoneInfo, error) {
	ps, err := d.Driver.Phones(ctx)
	for i := range ps {
		ps[i] = d.withAccess(ps[i])
	}
	return ps, err
}

func (d *reportingDriver) Reset(ctx context.Context, id string, opts runtime.RestartOptions) error {
	d.mu.Lock()
	delete(d.crashed, id)
	d.mu.Unlock()
	return d.Driver.Reset(ctx, id, opts)
}

// crash reports a phone as broken, as a container runtime does when the
// phone's container dies.
func (d *reportingDriver) crash(ctx context.Context, id string) error {
	d.mu.Lock()
	if d.crashed == nil {
		d.crashed = map[string]bool{}
	}
	d.crashed[id] = true
	f := d.notify
	d.mu.Unlock()
	p, err := d.Phone(ctx, id)
	if err != nil {
		return err
	}
	f(p)
	return nil
}

// TestRuntimeReportsReachTheAPI: the addresses a runtime reports are the
// ones phone detail and connection info show, and a phone the runtime
// reports broken is abnormal (-7) until a reset brings it back; on SQLite
// and PostgreSQL.
func TestRuntimeReportsReachTheAPI(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			drivers := map[string]*reportingDriver{}
			srv := startServer(t, func(c *controlplane.Config) {
				if db == "postgres" {
					c.DatabaseURL = postgresURL(t)
				}
				c.SimServers, c.SimPhonesPerServer, c.Runtime = 1, 2, "reporting"
				c.NewDriver = func(ctx context.Context, serverID, name string) (runtime.Driver, error) {
					d := &reportingDriver{Driver: sim.New(sim.Config{BootTime: 10 * time.Millisecond})}
					mu.Lock()
					drivers[serverID] = d
					mu.Unlock()
					return d, nil
				}
			})
			ctx := context.Background()
			c, err := client.New(client.Config{Endpoint: srv.URL(), Domain: cptest.Domain, User: cptest.User,
				Password: cptest.Password, Project: cptest.Project, HTTPClient: cptest.HTTPClient(t)})
			if err != nil {
				t.Fatal(err)
			}
			list, err := c.ListAllPhones(ctx, client.ListPhonesOptions{})
			if err != nil || len(list.Phones) != 2 {
				t.Fatalf("phones: %v %v", list, err)
			}
			// The phones' positions on their server, which the fixture's
			// addresses derive from, are the store's.
			byIndex, err := srv.DB().PhonesByServer(ctx, list.Phones[0].ServerID)
			if err != nil || len(byIndex) != 2 {
				t.Fatalf("phones by server: %v %v", byIndex, err)
			}
			first, second := *byIndex[0], *byIndex[1]
			poll.Until(t, "the reported address in phone detail", func() bool {
				d, err := c.ShowPhone(ctx, first.ID)
				return err == nil && d.AccessInfos[0].AccessPort == 45001
			})
			d, _ := c.ShowPhone(ctx, first.ID)
			if ai := d.AccessInfos[0]; ai.AccessIP != "192.0.2.10" || ai.IntranetIP != "172.17.0.11" || ai.PhoneIP != "172.17.0.11" {
				t.Errorf("access info %+v", ai)
			}
			ci, err := c.ConnectInfos(ctx, "ANDROID", []string{first.ID})
			if err != nil || len(ci.ConnectInfos) != 1 {
				t.Fatalf("connect infos: %+v %v", ci, err)
			}
			if a := ci.ConnectInfos[0].AccessInfo; a.AccessIP != "192.0.2.10" || a.AccessPort != 45001 || a.IntranetIP != "172.17.0.11" {
				t.Errorf("connect info %+v", a)
			}

			mu.Lock()
			drv := drivers[first.ServerID]
			mu.Unlock()
			if err := drv.crash(ctx, first.ID); err != nil {
				t.Fatal(err)
			}
			poll.Until(t, "the crashed phone to be abnormal", func() bool {
				d, err := c.ShowPhone(ctx, first.ID)
				return err == nil && d.Status == cph.PhoneAbnormal
			})
			if d, _ := c.ShowPhone(ctx, second.ID); d.Status != cph.PhoneRunning {
				t.Errorf("the other phone is %d", d.Status)
			}
			res, err := c.ResetPhones(ctx, client.ResetPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: first.ID}}})
			if err != nil || res.Jobs[0].JobID == "" {
				t.Fatalf("reset: %+v %v", res, err)
			}
			poll.Until(t, "the reset phone to run", func() bool {
				d, err := c.ShowPhone(ctx, first.ID)
				return err == nil && d.Status == cph.PhoneRunning
			})
			// Deleting the server forgets its phones' addresses.
			if _, ok, _ := srv.DB().PhoneAccess(ctx, first.ID); !ok {
				t.Fatal("no recorded address before the deletion")
			}
			if _, err := c.DeleteServers(ctx, []string{first.ServerID}); err != nil {
				t.Fatal(err)
			}
			poll.Until(t, "the server's phone addresses to be gone", func() bool {
				_, ok, err := srv.DB().PhoneAccess(ctx, first.ID)
				return err == nil && !ok
			})
		})
	}
}
