package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agent"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
	"github.com/opencph/opencph/sqlstore"
)

// SimStateFolder is the folder of the objects directory (--objects-dir)
// where the simulated runtime of cphd's built-in fleet keeps each
// server's phones and shared storage (SimStateFolder/<server-id>/, see
// package sim), so that they survive a restart of cphd and, since
// replicas sharing a database share the objects directory, a failover
// to another replica. A bucket name starts with a letter or a digit, so
// no bucket is this folder and the object API cannot reach it.
const SimStateFolder = ".sim"

// fleetSyncInterval is how often cphd looks for simulated servers created
// or deleted through the API.
const fleetSyncInterval = 200 * time.Millisecond

// runningAgent is an in-process agent of the simulated fleet.
type runningAgent struct {
	agent  *agent.Agent
	cancel context.CancelFunc
	done   chan struct{}
}

// syncFleet starts an agent, with this replica's runtime, for every
// built-in or API-created simulated server of that runtime that has none,
// whatever --sim-servers this replica was given, and stops the agents of
// servers that no longer exist. A server with no runtime recorded (made
// before runtimes were) is adopted. Built-in servers that lack a bandwidth
// or an encode service get one.
func (s *Server) syncFleet(ctx context.Context) error {
	servers, err := s.db.FleetServers(ctx)
	if err != nil {
		return err
	}
	live, exists := map[string]bool{}, map[string]bool{}
	for _, fs := range servers {
		exists[fs.ID] = true
		if fs.Runtime == "" {
			ok, err := s.db.AdoptFleetServer(ctx, fs.ID, s.cfg.Runtime)
			if err != nil {
				return err
			}
			if !ok {
				continue // a replica of another runtime adopted it: read again next time
			}
			fs.Runtime = s.cfg.Runtime
		}
		if fs.Runtime != s.cfg.Runtime {
			if !s.foreign[fs.ID] {
				s.foreign[fs.ID] = true
				s.log.Warn("server of another runtime: its agent runs on a replica started with that --runtime",
					"server_name", fs.Name, "server_id", fs.ID, "server_runtime", fs.Runtime, "runtime", s.cfg.Runtime)
			}
			continue
		}
		live[fs.ID] = true
		s.mu.Lock()
		_, running := s.agents[fs.ID]
		s.mu.Unlock()
		if running {
			continue
		}
		if fs.BuiltinIndex > 0 {
			if err := ensureServerExtras(ctx, s.db, fs); err != nil {
				return err
			}
		}
		if err := s.startAgent(ctx, fs); err != nil {
			return err
		}
	}
	for id := range s.foreign {
		if !exists[id] {
			delete(s.foreign, id)
		}
	}
	s.mu.Lock()
	var gone []*runningAgent
	for id, ra := range s.agents {
		if !live[id] {
			gone = append(gone, ra)
			delete(s.agents, id)
			delete(s.drivers, id)
			s.log.Info("server gone from this replica's fleet; agent stopped", "server_id", id)
		}
	}
	s.mu.Unlock()
	for _, ra := range gone {
		ra.cancel()
		<-ra.done
	}
	if s.cfg.NewDriver == nil && (!s.simSwept || len(gone) > 0) {
		s.removeSimState(exists)
		s.simSwept = true
	}
	return nil
}

// removeSimState removes the saved state of simulated servers that no
// longer exist.
func (s *Server) removeSimState(exists map[string]bool) {
	entries, err := os.ReadDir(s.simState)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Error("cannot list the simulated servers' state", "dir", s.simState, "err", err)
		}
		return
	}
	for _, e := range entries {
		if !e.IsDir() || exists[e.Name()] {
			continue
		}
		dir := filepath.Join(s.simState, e.Name())
		if err := os.RemoveAll(dir); err != nil {
			s.log.Error("cannot remove the state of a deleted simulated server", "dir", dir, "err", err)
			continue
		}
		s.log.Info("removed the state of a deleted simulated server", "server_id", e.Name())
	}
}

// startAgent gives a server a fresh agent credential and runs its agent
// against this control plane's own listener. A server still in its first
// creating status moves on to the next one.
func (s *Server) startAgent(ctx context.Context, fs sqlstore.FleetServer) error {
	secret, hash, err := iam.NewSecret()
	if err != nil {
		return err
	}
	if err := s.db.SetAgentTokenHash(ctx, fs.ID, hash); err != nil {
		return err
	}
	var drv runtime.Driver
	if s.cfg.NewDriver != nil {
		drv, err = s.cfg.NewDriver(ctx, fs.ID, fs.Name)
		if err != nil {
			return fmt.Errorf("controlplane: runtime of %s: %w", fs.Name, err)
		}
	} else {
		drv, err = sim.Open(sim.Config{BootTime: s.cfg.SimBootTime, FailureRate: s.cfg.SimFailureRate, Quota: s.cfg.SimQuota,
			Logger: s.log.With("component", "sim", "server_name", fs.Name), StateDir: filepath.Join(s.simState, fs.ID)})
		if err != nil {
			return fmt.Errorf("controlplane: simulated runtime of %s: %w", fs.Name, err)
		}
	}
	ag, err := agent.New(agent.Config{
		ControlPlane: []string{s.URL()},
		Credential:   secret,
		Driver:       drv,
		Logger:       s.log.With("component", "agent", "server_name", fs.Name),
		PollWait:     s.cfg.PollWait,
		Version:      "builtin",
	})
	if err != nil {
		closeDriver(drv)
		return fmt.Errorf("controlplane: agent of %s: %w", fs.Name, err)
	}
	if fs.Status == cph.ServerCreating {
		err := s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
			_, err := tx.SetServerStatus(ctx, fs.ID, []cph.ServerStatus{cph.ServerCreating}, cph.ServerCreating3)
			return err
		})
		if err != nil {
			return err
		}
	}
	actx, cancel := context.WithCancel(ctx)
	ra := &runningAgent{agent: ag, cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.drivers[fs.ID] = drv
	s.agents[fs.ID] = ra
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(ra.done)
		defer closeDriver(drv)
		err := ag.Run(actx)
		switch {
		case err == nil || actx.Err() != nil:
		case errors.Is(err, agent.ErrServerDeleted):
			s.log.Info("server deleted; its agent stopped", "server", fs.Name)
		default:
			s.log.Error("agent stopped", "server", fs.Name, "err", err)
		}
	}()
	return nil
}

// fleetTick runs the fleet servers of this replica's runtime if it holds
// (or can take) that runtime's fleet lease: on several replicas sharing a
// database exactly one per runtime runs the in-process agents, and another
// of the same runtime takes over when it dies.
func (s *Server) fleetTick(ctx context.Context) error {
	if s.fleetLease == nil {
		l, ok, err := s.db.TryLease(ctx, sqlstore.FleetLock(s.cfg.Runtime))
		if err != nil || !ok {
			return err // another replica runs the simulated fleet
		}
		s.fleetLease = l
		if s.db.Engine() == sqlstore.Postgres {
			s.log.Info("this replica now runs the simulated fleet's agents", "runtime", s.cfg.Runtime)
		}
	} else if !s.fleetLease.Alive(ctx) {
		s.fleetLease.Release(ctx)
		s.fleetLease = nil
		s.log.Warn("lost the simulated fleet's lease; stopping its agents")
		s.stopAgents()
		return nil
	}
	return s.syncFleet(ctx)
}

// stopAgents stops every in-process agent.
func (s *Server) stopAgents() {
	s.mu.Lock()
	var all []*runningAgent
	for id, ra := range s.agents {
		all = append(all, ra)
		delete(s.agents, id)
		delete(s.drivers, id)
	}
	s.mu.Unlock()
	for _, ra := range all {
		ra.cancel()
		<-ra.done
	}
}

// runFleet keeps the agents in step with the simulated servers until ctx ends.
func (s *Server) runFleet(ctx context.Context) {
	t := time.NewTicker(fleetSyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.fleetTick(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("fleet sync failed", "err", err)
		}
	}
}

// ensureServerExtras gives a built-in server a dedicated bandwidth and an
// encode service if it has none.
func ensureServerExtras(ctx context.Context, db *sqlstore.DB, fs sqlstore.FleetServer) error {
	return db.Tx(ctx, func(tx *sqlstore.Tx) error {
		n, err := tx.CountServerBandwidths(ctx, fs.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			bw := &cph.Bandwidth{ID: cph.NewUUID(), Name: fs.Name + "-bandwidth", Size: 100, ChargeMode: 0, ShareType: 1}
			if err := tx.CreateBandwidth(ctx, fs.ProjectID, bw); err != nil {
				return err
			}
			if err := tx.AttachBandwidth(ctx, fs.ID, bw.ID); err != nil {
				return err
			}
		}
		if n, err = tx.CountEncodeServers(ctx, fs.ID); err != nil {
			return err
		}
		if n == 0 {
			es := &cph.EncodeServer{ID: cph.NewID(), ProjectID: fs.ProjectID, ServerID: fs.ID, Name: fs.Name + "-encode",
				IP: fmt.Sprintf("172.16.%d.20", fs.BuiltinIndex%256), Type: 1, Status: cph.EncodeRunning}
			if err := tx.CreateEncodeServer(ctx, es); err != nil {
				return err
			}
		}
		return nil
	})
}

// closeDriver releases a runtime that holds resources (the Docker
// runtime's Engine connection and event watcher).
func closeDriver(drv runtime.Driver) {
	if c, ok := drv.(io.Closer); ok {
		_ = c.Close()
	}
}
