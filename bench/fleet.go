package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agent"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// trackedDriver is a simulated runtime that remembers, in order, the
// phones its agent created, and tells when it has all of them.
type trackedDriver struct {
	*sim.Driver
	want  int
	ready chan struct{} // closed once want phones exist

	mu  sync.Mutex
	ids []string
}

// EnsurePhone implements runtime.Driver.
func (d *trackedDriver) EnsurePhone(ctx context.Context, spec runtime.PhoneSpec) error {
	if err := d.Driver.EnsurePhone(ctx, spec); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.ids) < d.want {
		d.ids = append(d.ids, spec.ID)
		if len(d.ids) == d.want {
			close(d.ready)
		}
	}
	return nil
}

// ensured returns how many phones exist so far.
func (d *trackedDriver) ensured() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.ids)
}

// phoneIDs returns the phones' ids, in the order the agent created them.
func (d *trackedDriver) phoneIDs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ids
}

// simServer is an enrolled server run by an in-process agent.
type simServer struct {
	id     string
	name   string
	phones int
	drv    *trackedDriver
}

// opRecorder collects the dispatch latency of every operation the agents
// receive: the time from the control plane's acceptance (op.QueuedAt) to
// the arrival of the poll answer that carried it.
// It also counts the results the control plane applied, and when the last
// one was acknowledged.
type opRecorder struct {
	missing atomic.Int64 // operations without QueuedAt

	mu          sync.Mutex
	lat         []time.Duration
	applied     int
	lastApplied time.Time
}

// result is the agents' Config.OnResult.
func (r *opRecorder) result(_ cph.Operation, applied time.Time) {
	r.mu.Lock()
	r.applied++
	if applied.After(r.lastApplied) {
		r.lastApplied = applied
	}
	r.mu.Unlock()
}

// appliedSince returns how many results were applied since the last take,
// and when the last of them was acknowledged.
func (r *opRecorder) appliedSince() (int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied, r.lastApplied
}

// observe is the agents' Config.OnOperation.
func (r *opRecorder) observe(op cph.Operation, received time.Time) {
	if op.QueuedAt <= 0 {
		r.missing.Add(1)
		return
	}
	d := received.Sub(time.UnixMicro(op.QueuedAt))
	r.mu.Lock()
	r.lat = append(r.lat, d)
	r.mu.Unlock()
}

// take returns what was recorded since the last take, and forgets it.
func (r *opRecorder) take() (lat []time.Duration, missing int64) {
	r.mu.Lock()
	lat, r.lat = r.lat, nil
	r.applied, r.lastApplied = 0, time.Time{}
	r.mu.Unlock()
	return lat, r.missing.Swap(0)
}

// fleet is the simulated fleet: servers enrolled through the agent
// protocol, each run by an agent.Agent with a runtime/sim driver, all in
// this process and sharing one HTTP client.
type fleet struct {
	base        string
	enrollToken string
	projectID   string
	namePrefix  string
	perServer   int
	bootTime    time.Duration
	concurrency int
	hc          *http.Client
	log         *slog.Logger // progress
	agentLog    *slog.Logger
	rec         *opRecorder

	ctx    context.Context // the agents run until it ends
	cancel context.CancelFunc
	wg     sync.WaitGroup

	servers []*simServer // by enrollment order; only grow touches it
	phones  int
}

// newAgentClient returns the HTTP client all agents share: one long-poll
// per agent is always open, and results are posted beside it, so it keeps
// plenty of idle connections.
func newAgentClient(servers int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4*servers + 64,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// newFleet returns an empty fleet whose agents run until stop.
func newFleet(cfg fleetConfig) *fleet {
	ctx, cancel := context.WithCancel(context.Background())
	return &fleet{
		base: cfg.base, enrollToken: cfg.enrollToken, projectID: cfg.projectID, namePrefix: cfg.namePrefix,
		perServer: cfg.perServer, bootTime: cfg.bootTime, concurrency: max(cfg.concurrency, 1),
		hc: newAgentClient(cfg.maxServers), log: cfg.log, agentLog: cfg.agentLog, rec: &opRecorder{},
		ctx: ctx, cancel: cancel,
	}
}

// fleetConfig configures a fleet.
type fleetConfig struct {
	base, enrollToken, projectID, namePrefix string
	perServer                                int
	bootTime                                 time.Duration
	concurrency                              int // enrollments at once
	maxServers                               int // for the size of the connection pool
	log, agentLog                            *slog.Logger
}

// grow enrolls servers until the fleet has target phones and waits until
// every new agent has started its session and created its phones. It
// returns how long the enrollment requests took and how long the whole
// growth took.
func (f *fleet) grow(ctx context.Context, target int) (enroll, total time.Duration, err error) {
	start := time.Now()
	var specs []int // phones of each new server
	for n := f.phones; n < target; {
		k := min(f.perServer, target-n)
		specs = append(specs, k)
		n += k
	}
	if len(specs) == 0 {
		return 0, 0, nil
	}
	first, before := len(f.servers), f.phones
	added := make([]atomic.Pointer[simServer], len(specs)) // written by the enrolling workers
	var enrolledPhones atomic.Int64
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(f.concurrency, len(specs)) {
		wg.Go(func() {
			for i := range next {
				s, err := f.enroll(ctx, first+i, specs[i])
				if err != nil {
					cancel(err)
					return
				}
				added[i].Store(s)
				enrolledPhones.Add(int64(specs[i]))
			}
		})
	}
	progress := time.NewTicker(5 * time.Second)
	defer progress.Stop()
	report := func(phase string) {
		ready := 0
		for i := range added {
			if s := added[i].Load(); s != nil {
				ready += s.drv.ensured()
			}
		}
		f.log.Info("growing the fleet", "phase", phase, "target_phones", target,
			"enrolled_phones", before+int(enrolledPhones.Load()), "agents_ready_phones", before+ready,
			"elapsed", time.Since(start).Round(100*time.Millisecond))
	}
feed:
	for i := range specs {
		for {
			select {
			case next <- i:
				continue feed
			case <-ctx.Done():
				break feed
			case <-progress.C:
				report("enrolling")
			}
		}
	}
	close(next)
	wg.Wait()
	// Agents of servers enrolled so far run under f.ctx; keep them even
	// if the growth failed, so that stop waits for them.
	for i := range added {
		if s := added[i].Load(); s != nil {
			f.servers = append(f.servers, s)
		}
	}
	if err := context.Cause(ctx); err != nil {
		return 0, 0, fmt.Errorf("bench: grow the fleet to %d phones: %w", target, err)
	}
	enroll = time.Since(start)

	// Wait until every agent has created its phones.
	const stall = 3 * time.Minute
	lastReady, lastChange := -1, time.Now()
	for _, s := range f.servers[first:] {
	wait:
		for {
			select {
			case <-s.drv.ready:
				break wait
			case <-ctx.Done():
				return 0, 0, fmt.Errorf("bench: wait for the agents: %w", context.Cause(ctx))
			case <-progress.C:
				report("waiting for agents")
			case <-time.After(time.Second):
				if n := s.drv.ensured(); n != lastReady {
					lastReady, lastChange = n, time.Now()
				} else if time.Since(lastChange) > stall {
					return 0, 0, fmt.Errorf("bench: the agent of server %s (%s) has created %d of its %d phones and made no progress for %s; see the cphd log",
						s.name, s.id, n, s.phones, stall)
				}
			}
		}
	}
	f.phones = target
	total = time.Since(start)
	report("done")
	return enroll, total, nil
}

// enroll enrolls server number i with phones phones and starts its agent.
func (f *fleet) enroll(ctx context.Context, i, phones int) (*simServer, error) {
	name := fmt.Sprintf("%s-%05d", f.namePrefix, i+1)
	id, err := agent.Enroll(ctx, f.hc, []string{f.base}, agentproto.EnrollRequest{
		Token: f.enrollToken, Project: f.projectID, Name: name, Phones: phones, Version: "cph-bench",
	})
	if err != nil {
		return nil, err
	}
	drv := &trackedDriver{Driver: sim.New(sim.Config{BootTime: f.bootTime}), want: phones, ready: make(chan struct{})}
	ag, err := agent.New(agent.Config{
		ControlPlane: []string{f.base},
		Credential:   id.Credential,
		Driver:       drv,
		HTTPClient:   f.hc,
		Logger:       f.agentLog.With("server", name),
		Version:      "cph-bench",
		OnOperation:  f.rec.observe,
		OnResult:     f.rec.result,
	})
	if err != nil {
		return nil, fmt.Errorf("bench: agent of %s: %w", name, err)
	}
	f.wg.Go(func() {
		if err := ag.Run(f.ctx); err != nil {
			f.agentLog.Error("agent stopped", "server", name, "err", err)
		}
	})
	return &simServer{id: id.ServerID, name: name, phones: phones, drv: drv}, nil
}

// grouped returns n distinct phones taken server by server.
func (f *fleet) grouped(n int) []string {
	out := make([]string, 0, n)
	for _, s := range f.servers {
		for _, id := range s.drv.phoneIDs() {
			if len(out) == n {
				return out
			}
			out = append(out, id)
		}
	}
	return out
}

// spread returns n distinct phones taken round-robin over the servers:
// the first phone of every server, then the second, and so on.
func (f *fleet) spread(n int) []string {
	ids := make([][]string, len(f.servers))
	for i, s := range f.servers {
		ids[i] = s.drv.phoneIDs()
	}
	out := make([]string, 0, n)
	for k := 0; len(out) < n; k++ {
		took := false
		for _, list := range ids {
			if k < len(list) && len(out) < n {
				out = append(out, list[k])
				took = true
			}
		}
		if !took {
			break
		}
	}
	return out
}

// stop stops every agent and waits for them.
func (f *fleet) stop() {
	f.cancel()
	f.wg.Wait()
	f.hc.CloseIdleConnections()
}
