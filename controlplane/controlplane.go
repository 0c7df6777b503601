// Package controlplane assembles cphd: it opens the store, creates the
// first account and the built-in simulated fleet on first start, serves the
// HTTP API, runs the job engine's sweeps, and runs one agent per built-in
// server. internal/cphdcmd (run by cmd/cphd) is a thin program around it,
// and end-to-end tests start the real program through Start.
package controlplane

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/agent"
	"github.com/opencph/opencph/audit"
	"github.com/opencph/opencph/console"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/httpapi"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/internal/certs"
	"github.com/opencph/opencph/internal/dirlock"
	"github.com/opencph/opencph/jobretention"
	"github.com/opencph/opencph/metrics"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
	"github.com/opencph/opencph/service"
	"github.com/opencph/opencph/sqlstore"
)

// Config configures a control plane. Zero fields take the defaults shown.
type Config struct {
	Listen  string // address to listen on: 127.0.0.1:8080 (use :0 for a random port)
	DataDir string // where the SQLite database and generated secrets live: ./cph-data
	// DatabaseURL, if set (postgres://...), selects PostgreSQL instead of
	// the SQLite file in DataDir.
	DatabaseURL string
	// ObjectsDir is where the object store keeps buckets: DataDir/objects.
	// Replicas sharing a database must share it too.
	ObjectsDir string

	// SimServers is how many built-in servers to have: the missing ones of
	// numbers 1..SimServers are created, with this replica's runtime, at
	// start (0 = create none). It does not limit which servers this
	// replica runs: the replica that holds its runtime's fleet lease runs
	// the agents of every built-in and API-created simulated server of
	// that runtime in the database.
	SimServers         int
	SimPhonesPerServer int           // phones per built-in server
	SimBootTime        time.Duration // boot time of a simulated phone: 0 boots at once (cphd's --sim-boot-time defaults to 3s)
	SimFailureRate     float64       // probability that a simulated operation fails
	SimQuota           sim.Quota     // storage quota of a simulated server; zero fields = sim.DefaultQuota
	// NewDriver, if set, makes the runtime of each built-in server instead
	// of a simulated one (cphd --runtime docker). The driver is closed, if
	// it is an io.Closer, when the server's agent stops.
	NewDriver func(ctx context.Context, serverID, serverName string) (runtime.Driver, error)
	// Runtime names the runtime NewDriver makes ("docker"); it must be set
	// with NewDriver and is "sim" without. It is recorded with each server
	// this replica creates, and only replicas of a server's runtime run its
	// agent.
	Runtime string

	Bootstrap Bootstrap // the first account, created when the database is empty

	// ShareFilesystems are the shared file systems AttachShareFilesystem
	// can mount; ShareFilesystemMountRoot is where they appear in the
	// phones (<root>/<id>, default cph.DefaultShareFilesystemMountRoot).
	// The capacity of availability zones is Engine.ZoneCapacity.
	ShareFilesystems         []cph.ShareFilesystem
	ShareFilesystemMountRoot string

	Engine   engine.Config
	IAM      iam.Config
	PollWait time.Duration // longest agent long-poll: 25s
	// ScreenshotWait bounds how long a screenshot request waits for the
	// phone's server to deliver a capture (default cph.ScreenshotWait).
	ScreenshotWait time.Duration
	// StrictPushShareApps limits PushShareApps to
	// cph.MaxPushShareAppsServersStrict servers a call, as Huawei's newer
	// documentation says, instead of the batch limit older clients rely on.
	StrictPushShareApps bool
	// HTTPTimeouts bound how long an API client may hold a connection
	// (zero fields: the defaults of httpapi.Timeouts).
	HTTPTimeouts httpapi.Timeouts
	// AgentEnrollToken, if set, is the installation's operator-level
	// enrollment token: it enrolls cph-agent processes into any project of
	// any account (a warning is logged at start). Projects' own tokens
	// (the enrollment-token endpoints) work without it.
	AgentEnrollToken string
	// MaxBodyMemory bounds the memory all request bodies being read may
	// hold at once: httpapi.DefaultMaxBodyMemory (64 MiB).
	MaxBodyMemory int64
	// PprofListen, if set, is an address on which Go's profiler
	// (net/http/pprof, /debug/pprof/...) is served. Keep it on loopback.
	PprofListen string
	// TLSCertFile and TLSKeyFile, if set, make the API listener serve
	// TLS with that pair; ReloadTLS reads them again. TLSSelfSigned
	// instead serves a generated self-signed pair kept in DataDir.
	TLSCertFile   string
	TLSKeyFile    string
	TLSSelfSigned bool
	// TrustedProxies are the address ranges of reverse proxies whose
	// X-Forwarded-For and X-Forwarded-Proto headers are believed.
	TrustedProxies []netip.Prefix
	// MetricsListen says where the Prometheus metrics are served: empty
	// on the API's listener at /metrics, "off" nowhere (nothing is
	// counted), any other value is an address of a listener of their own
	// (and the API's listener has no /metrics).
	MetricsListen string
	// AuditRetention is how long audit events are kept; 0 keeps them
	// forever.
	AuditRetention time.Duration
	// AuditFile, if set, is a file to which every audit event is also
	// appended as a JSON line (created 0600).
	AuditFile string
	// NoConsole turns the web console (/console/) off.
	NoConsole bool
	// ConsoleIdleTimeout ends a console session after this long without
	// a page view or an action (default console.DefaultIdleTimeout).
	ConsoleIdleTimeout time.Duration
	// JobRetention prunes final jobs and their operations past an age;
	// a zero MaxAge keeps them forever.
	JobRetention jobretention.Config
	Logger       *slog.Logger
	// Now, if set, is the clock of the store (and so of token expiry,
	// deadlines and leases), for tests; nil is the current time.
	Now func() time.Time
}

// MetricsOff is the MetricsListen value that turns the metrics off.
const MetricsOff = "off"

// Bootstrap names the first account. Empty fields take defaults: domain
// "opencph", user = domain, a generated password, project "cn-north-4".
type Bootstrap struct {
	Domain   string
	User     string
	Password string
	Project  string
}

// LockFile is the name, in the data dir, of the lock file that a running
// control plane holds (an exclusive flock, dropped by the kernel when the
// process ends): a second cphd on the same data dir refuses to start.
const LockFile = "cphd.lock"

// PasswordFile is the name, in the data dir, of the file that keeps a
// generated bootstrap password.
const PasswordFile = "bootstrap-password"

// Server is a running control plane.
type Server struct {
	cfg         Config
	log         *slog.Logger
	db          *sqlstore.DB
	iam         *iam.Service
	engine      *engine.Engine
	services    *service.Services
	objects     objstore.Store
	ln          net.Listener
	http        *http.Server
	pprof       *http.Server // nil unless Config.PprofListen
	metrics     *metrics.Metrics
	metricsHTTP *http.Server // nil unless Config.MetricsListen names an address
	metricsLn   net.Listener
	audit       *audit.Writer
	auditFile   *os.File
	// tls serves the API's certificate; nil when the API is plain HTTP.
	tls  *certs.Reloader
	boot BootstrapResult

	mu      sync.Mutex
	drivers map[string]runtime.Driver // by server id
	agents  map[string]*runningAgent  // by server id
	// fleetLease is held while this replica runs the simulated fleet; only
	// the fleet goroutine (and Shutdown, after it ends) touch it.
	fleetLease *sqlstore.Lease
	// foreign holds the fleet servers of another runtime this replica has
	// logged that it leaves alone (fleet goroutine only).
	foreign map[string]bool
	// simState is the folder of the built-in simulated servers' state (see
	// SimStateFolder); simSwept reports whether the state of deleted
	// servers was looked for since this replica took the fleet (fleet
	// goroutine only).
	simState string
	simSwept bool
	// lock is held on the data dir's LockFile while the server runs.
	lock *dirlock.Lock

	cancel context.CancelFunc
	wg     sync.WaitGroup
	errc   chan error
}

// BootstrapResult tells how to log in to a new control plane.
type BootstrapResult struct {
	Created      bool   // the account was created by this start
	Domain       string // account (domain) name
	User         string
	Password     string // set when given or generated by this start
	PasswordFile string // set when the password was generated
	Project      string // project name
	ProjectID    string
}

// Start opens the store, bootstraps it if empty, listens and serves, and
// starts the built-in fleet. It returns once the API answers requests.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8080"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "cph-data"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollWait <= 0 {
		cfg.PollWait = 25 * time.Second
	}
	switch {
	case cfg.Runtime == "" && cfg.NewDriver == nil:
		cfg.Runtime = "sim"
	case cfg.Runtime == "":
		return nil, errors.New("controlplane: Config.Runtime must name the runtime that NewDriver makes")
	case cfg.Runtime == "sim" && cfg.NewDriver != nil:
		return nil, errors.New(`controlplane: Config.Runtime "sim" is the simulated runtime, used without NewDriver`)
	}
	cfg.Engine.FleetRuntime = cfg.Runtime
	cfg.Engine.Logger = cfg.Logger.With("component", "engine")
	cfg.IAM.Logger = cfg.Logger.With("component", "iam")
	s := &Server{cfg: cfg, log: cfg.Logger, drivers: map[string]runtime.Driver{}, agents: map[string]*runningAgent{}, foreign: map[string]bool{}, errc: make(chan error, 1)}

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("controlplane: create data dir: %w", err)
	}
	// One control plane per data dir: a second one would fight the first
	// over the built-in agents and the SQLite file.
	lock, err := dirlock.Acquire(cfg.DataDir, LockFile)
	if errors.Is(err, dirlock.ErrLocked) {
		return nil, fmt.Errorf("controlplane: the data dir %s is in use by another cphd (%w); stop that one or give this one its own --data-dir", cfg.DataDir, err)
	} else if err != nil {
		return nil, fmt.Errorf("controlplane: %w", err)
	}
	s.lock = lock
	started := false
	defer func() {
		if !started {
			lock.Release()
		}
	}()
	db, err := OpenStore(ctx, cfg.DataDir, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	s.db = db
	if cfg.Now != nil {
		db.Now = func() time.Time { return cfg.Now().UTC() }
	}
	if cfg.MetricsListen != MetricsOff {
		s.metrics = metrics.New(metrics.Fleet{DB: db, AgentTTL: cfg.Engine.AgentTTL, Logger: cfg.Logger.With("component", "metrics")})
		db.ObserveTx = s.metrics.Transaction
		cfg.Engine.Observer = s.metrics
	}
	if cfg.IAM.ServerKey == nil {
		if cfg.IAM.ServerKey, err = loadServerKey(cfg.DataDir); err != nil {
			db.Close()
			return nil, err
		}
	}
	if s.iam, err = iam.New(db, cfg.IAM); err != nil {
		db.Close()
		return nil, err
	}
	s.engine = engine.New(db, cfg.Engine)
	// Replicas that start together on one database take turns here.
	var fleet []fleetServer
	err = db.WithLock(ctx, sqlstore.LockBootstrap, func() error {
		if s.boot, err = bootstrap(ctx, db, cfg); err != nil {
			return err
		}
		fleet, err = ensureFleet(ctx, db, cfg, s.boot.ProjectID)
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}

	if s.tls, err = loadTLS(cfg, s.log); err != nil {
		db.Close()
		return nil, err
	}
	s.ln, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("controlplane: listen on %s: %w", cfg.Listen, err)
	}
	if s.tls != nil {
		s.ln = tls.NewListener(s.ln, &tls.Config{
			GetCertificate: s.tls.GetCertificate,
			MinVersion:     tls.VersionTLS12,
			// HTTP/1.1 only: the per-connection limits (header size,
			// transfer deadlines) are those of plain HTTP.
			NextProtos: []string{"http/1.1"},
		})
	}
	objectsDir := cfg.ObjectsDir
	if objectsDir == "" {
		objectsDir = filepath.Join(cfg.DataDir, "objects")
	}
	s.simState = filepath.Join(objectsDir, SimStateFolder)
	s.objects, err = objstore.NewDir(objectsDir)
	if err != nil {
		s.ln.Close()
		db.Close()
		return nil, err
	}
	if err := s.startAudit(); err != nil {
		s.ln.Close()
		db.Close()
		return nil, err
	}
	s.services = service.New(service.Config{ResetSteps: []service.ResetStep{service.EventsResetStep(db)}, DB: db, IAM: s.iam, Engine: s.engine, Objects: s.objects,
		EnrollToken: cfg.AgentEnrollToken, Logger: cfg.Logger.With("component", "service"), Audit: s.audit,
		PollWait: cfg.PollWait, ScreenshotWait: cfg.ScreenshotWait, FaultOperations: httpapi.FaultOperations(),
		ShareFilesystems: cfg.ShareFilesystems, ShareFilesystemMountRoot: cfg.ShareFilesystemMountRoot,
		StrictPushShareApps: cfg.StrictPushShareApps})
	svc := s.services
	var observer httpapi.RequestObserver
	if s.metrics != nil {
		observer = s.metrics
	}
	var ui http.Handler
	if !cfg.NoConsole {
		c, err := console.New(console.Config{Phones: svc, Jobs: svc, Servers: svc, Images: svc, Buckets: svc, Identity: svc, Changes: svc, Events: svc,
			Logger: cfg.Logger.With("component", "console"), IdleTimeout: cfg.ConsoleIdleTimeout, MaxBatch: s.engine.Config().MaxBatch, AgentTTL: s.engine.Config().AgentTTL,
			ClientAddr: httpapi.ClientAddr, IsHTTPS: httpapi.IsHTTPS, Now: db.Now, Audit: s.consoleAudit()})
		if err != nil {
			s.ln.Close()
			db.Close()
			return nil, err
		}
		ui = c
	}
	api := httpapi.New(httpapi.Config{Phones: svc, Jobs: svc, Servers: svc, Images: svc, Buckets: svc, Identity: svc, Agents: svc, Billing: svc, Faults: svc, StandIn: svc, Snapshots: svc, Events: svc,
		Logger: cfg.Logger.With("component", "http"), Timeouts: cfg.HTTPTimeouts,
		MaxBodyMemory: cfg.MaxBodyMemory, SpoolDir: cfg.DataDir, TrustedProxies: cfg.TrustedProxies,
		Metrics: observer, MetricsOnAPI: cfg.MetricsListen == "", Audit: s.audit, Health: db.Ping, Console: ui})
	s.http = api.HTTPServer(slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn))

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.errc <- fmt.Errorf("controlplane: serve: %w", err)
		}
	}()
	// Agents can reach this replica from now on: its liveness and lease
	// timeouts count from here, whatever the downtime before.
	s.engine.Serving()
	if cfg.PprofListen != "" {
		if err := s.servePprof(cfg.PprofListen); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.metrics != nil && cfg.MetricsListen != "" {
		if err := s.serveMetrics(cfg.MetricsListen); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		audit.Pruner{DB: db, Retention: cfg.AuditRetention, Logger: cfg.Logger.With("component", "audit")}.Run(runCtx)
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.engine.Run(runCtx)
	}()
	if p := jobretention.New(db, s.jobRetentionConfig()); p != nil {
		s.wg.Go(func() { p.Run(runCtx) })
	}
	if err := s.fleetTick(runCtx); err != nil {
		s.Close()
		return nil, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runFleet(runCtx)
	}()
	if cfg.AgentEnrollToken != "" {
		s.log.Warn("the installation enrollment token (--enroll-token) enrolls agents into any project of any account; give agents their project's enrollment token instead (cph enrollment-tokens create) unless they are the operator's")
	}
	started = true
	s.log.Info("control plane started", "url", s.URL(), "data_dir", cfg.DataDir, "database", db.Engine(), "runtime", cfg.Runtime, "sim_servers", len(fleet))
	return s, nil
}

// URL is the base URL of the API, e.g. http://127.0.0.1:8080 (https
// when the API serves TLS).
func (s *Server) URL() string {
	if s.tls != nil {
		return "https://" + s.ln.Addr().String()
	}
	return "http://" + s.ln.Addr().String()
}

// ConsoleURL is the URL of the web console, or "" when it is off.
func (s *Server) ConsoleURL() string {
	if s.cfg.NoConsole {
		return ""
	}
	return s.URL() + "/console/"
}

// Bootstrap tells how to log in.
func (s *Server) Bootstrap() BootstrapResult { return s.boot }

// SimDriver returns the simulated runtime of a built-in or API-created
// simulated server, or nil.
func (s *Server) SimDriver(serverID string) *sim.Driver {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, _ := s.drivers[serverID].(*sim.Driver)
	return d
}

// Driver returns the runtime of a built-in server run by this replica, or
// nil.
func (s *Server) Driver(serverID string) runtime.Driver {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.drivers[serverID]
}

// Handler returns the HTTP handler of the API, to serve it on another
// listener as well (tests observe the wire that way).
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Objects returns the object store (the data dir's "objects" folder).
func (s *Server) Objects() objstore.Store { return s.objects }

// Agent returns the in-process agent of a built-in or API-created
// simulated server, or nil.
func (s *Server) Agent(serverID string) *agent.Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ra := s.agents[serverID]; ra != nil {
		return ra.agent
	}
	return nil
}

// DB returns the store, for tests and administration.
func (s *Server) DB() *sqlstore.DB { return s.db }

// IAM returns the identity service of the control plane.
func (s *Server) IAM() *iam.Service { return s.iam }

// Services returns the domain services the HTTP API calls, for tests
// that drive them in process.
func (s *Server) Services() *service.Services { return s.services }

// Err returns a channel that receives a fatal serving error.
func (s *Server) Err() <-chan error { return s.errc }

// Shutdown stops accepting requests, waits for requests in flight (until
// ctx ends), stops the agents and the engine, and closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.cancel()
	if s.pprof != nil {
		s.pprof.Close()
	}
	if s.metricsHTTP != nil {
		s.metricsHTTP.Close()
	}
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	s.wg.Wait()
	// Every request has ended: store the audit events still queued.
	s.audit.Close()
	if s.auditFile != nil {
		s.auditFile.Close()
	}
	if s.fleetLease != nil {
		s.fleetLease.Release(context.WithoutCancel(ctx))
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	s.lock.Release()
	return err
}

// Close shuts down, giving requests in flight one second to finish.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// Metrics returns the control plane's metrics (nil when they are off).
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// MetricsURL is the URL of the metrics: on their own listener, or the
// API's /metrics; empty when they are off.
func (s *Server) MetricsURL() string {
	switch {
	case s.metrics == nil:
		return ""
	case s.metricsLn != nil:
		return "http://" + s.metricsLn.Addr().String() + "/metrics"
	}
	return s.URL() + "/metrics"
}

// startAudit starts the audit writer (and opens the audit file).
func (s *Server) startAudit() error {
	cfg := audit.Config{DB: s.db, Counter: s.metrics, Logger: s.log.With("component", "audit")}
	if s.metrics == nil {
		cfg.Counter = nil
	}
	if s.cfg.AuditFile != "" {
		f, err := audit.OpenFile(s.cfg.AuditFile)
		if err != nil {
			return fmt.Errorf("controlplane: %w", err)
		}
		s.auditFile, cfg.File = f, f
	}
	s.audit = audit.NewWriter(cfg)
	return nil
}

// serveMetrics serves the metrics on a listener of their own at addr.
func (s *Server) serveMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("controlplane: metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	s.metricsLn = ln
	s.metricsHTTP = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	s.log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	go func() {
		_ = s.metricsHTTP.Serve(ln) // ends with ErrServerClosed at shutdown
	}()
	return nil
}

// servePprof serves Go's profiler on addr.
func (s *Server) servePprof(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("controlplane: pprof listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// Profiles and traces take ?seconds= (30 s by default) to write: the
	// write timeout leaves room for long ones, and pprof refuses a longer
	// duration with a clear error.
	s.pprof = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 10 * time.Minute, IdleTimeout: 2 * time.Minute}
	s.log.Info("serving the Go profiler", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.pprof.Serve(ln) // ends with ErrServerClosed at shutdown
	}()
	return nil
}

// jobRetentionConfig is the job pruner's configuration, logging as
// component "retention".
func (s *Server) jobRetentionConfig() jobretention.Config {
	c := s.cfg.JobRetention
	if c.Logger == nil {
		c.Logger = s.log.With("component", "retention")
	}
	return c
}

// consoleAudit is the console's audit recorder: the audit writer, or nil
// without one.
func (s *Server) consoleAudit() console.AuditRecorder {
	if s.audit == nil {
		return nil
	}
	return s.audit
}
