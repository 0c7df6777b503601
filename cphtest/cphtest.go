// Package cphtest starts an in-process OpenCPH for a test, as a local
// stand-in for Huawei Cloud Phone (CPH):
//
//	srv := cphtest.New(t, cphtest.Options{})
//
// gives a control plane on a random loopback port with a temporary SQLite
// database, a small simulated fleet whose phones boot at once, the
// bootstrap account, an access key (AK/SK) of its user for the Huawei
// Cloud SDKs and an IAM token for plain HTTP. It is shut down, and its
// state removed, when the test ends.
//
// Point an SDK at srv.Endpoint (its region endpoint or the endpoint
// override) with srv.AK, srv.SK and srv.ProjectID, or use srv.Client for
// the Go client of package client. The control plane itself is
// srv.ControlPlane.
//
// Importing cphtest adds no command-line flags to a program: it registers
// none, and package testing registers its own only in test binaries.
package cphtest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/internal/standin"
)

// Defaults of Options.
const (
	DefaultServers         = 1
	DefaultPhonesPerServer = 3
	DefaultDomain          = "opencph"
	DefaultUser            = "opencph"
	DefaultPassword        = "cphtest-Passw0rd"
	DefaultProject         = "cn-north-4"
)

// DefaultWaitTimeout bounds Server.WaitJobs when its context has no
// deadline.
const DefaultWaitTimeout = 30 * time.Second

// Options configure New. The zero value is a fleet of DefaultServers
// simulated servers of DefaultPhonesPerServer running phones each, with
// instant boots, on SQLite.
type Options struct {
	// Servers is how many simulated phone servers the fleet has
	// (DefaultServers if 0). For none, set Configure to a function that
	// sets controlplane.Config.SimServers to 0.
	Servers int
	// PhonesPerServer is how many phones each server has
	// (DefaultPhonesPerServer if 0).
	PhonesPerServer int
	// BootTime is how long a restart or reset keeps a simulated phone
	// booting: 0, the default, finishes it at once (the job still passes
	// through status 1 "running" and the phone through 4 "restarting").
	BootTime time.Duration
	// Logger receives the control plane's logs; nil discards them.
	Logger *slog.Logger
	// DatabaseURL, if set (postgres://...), keeps the state in that
	// PostgreSQL database instead of a SQLite file in a temporary
	// directory. The database should be empty: the account below is
	// created only in an empty one.
	DatabaseURL string
	// Domain, User, Password and Project name the bootstrap account
	// (DefaultDomain, DefaultUser, DefaultPassword and DefaultProject if
	// empty). Project is also the region id SDKs are configured with.
	Domain, User, Password, Project string
	// Configure, if set, adjusts the control plane's configuration last,
	// for what Options does not cover.
	Configure func(*controlplane.Config)
}

// Server is a running stand-in control plane.
type Server struct {
	// Endpoint is the base URL of the API, http://127.0.0.1:port: the IAM
	// paths (/v3/...) and the CPH paths (/v1/...) alike.
	Endpoint string
	// ProjectID is the id of the bootstrap project, the {project_id} of
	// CPH paths.
	ProjectID string
	// Project is the bootstrap project's name; Region is the same value,
	// the region id an SDK is configured with.
	Project, Region string
	// Domain, User and Password log the bootstrap user (an admin) in.
	Domain, User, Password string
	// AK and SK are a permanent access key of the bootstrap user, created
	// through the IAM API.
	AK, SK string
	// Token is an IAM token of the bootstrap user scoped to the project,
	// for the X-Auth-Token header.
	Token string
	// ControlPlane is the control plane itself, for advanced use.
	ControlPlane *controlplane.Server

	client *client.Client
}

// New starts a control plane for t and stops it when t ends (t.Cleanup).
// It returns once the simulated servers' agents are connected and know
// their phones, so that operations run at once. It fails t if the control
// plane does not start.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	cfg := controlplane.Config{
		Listen:             "127.0.0.1:0",
		DataDir:            t.TempDir(),
		DatabaseURL:        opts.DatabaseURL,
		SimServers:         or(opts.Servers, DefaultServers),
		SimPhonesPerServer: or(opts.PhonesPerServer, DefaultPhonesPerServer),
		SimBootTime:        max(opts.BootTime, 0),
		PollWait:           2 * time.Second,
		Logger:             opts.Logger,
		Bootstrap: controlplane.Bootstrap{
			Domain:   orString(opts.Domain, DefaultDomain),
			User:     orString(opts.User, orString(opts.Domain, DefaultUser)),
			Password: orString(opts.Password, DefaultPassword),
			Project:  orString(opts.Project, DefaultProject),
		},
	}
	cfg.Engine.SweepInterval = 100 * time.Millisecond
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	cp, err := controlplane.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("cphtest: start OpenCPH: %v", err)
	}
	t.Cleanup(func() {
		if err := cp.Close(); err != nil {
			t.Logf("cphtest: stop OpenCPH: %v", err)
		}
	})
	// Connections the test's clients left open would hold the shutdown
	// up to its grace period.
	hc := &http.Client{Timeout: client.DefaultTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(hc.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cred, c, tok, err := standin.Provision(ctx, cp, "cphtest", hc)
	if err != nil {
		t.Fatalf("cphtest: %v", err)
	}
	waitFleet(t, ctx, cp)
	return &Server{
		Endpoint: cred.Endpoint, ProjectID: cred.ProjectID, Project: cred.Project, Region: cred.Region,
		Domain: cred.Domain, User: cred.User, Password: cred.Password, AK: cred.AK, SK: cred.SK,
		Token: tok.Value, ControlPlane: cp, client: c,
	}
}

// Client returns the Go client (package client) of the bootstrap user,
// logged in to the bootstrap project.
func (s *Server) Client() *client.Client { return s.client }

// WaitJobs polls the jobs of the asynchronous request requestID (the
// request_id of a batch answer) until every one of them is final (status
// 2 or -1) and returns them. It gives up, with an error, when ctx ends or,
// if ctx has no deadline, after DefaultWaitTimeout.
func (s *Server) WaitJobs(ctx context.Context, requestID string) ([]cph.Job, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultWaitTimeout)
		defer cancel()
	}
	return s.client.WaitJobs(ctx, requestID, client.WaitOptions{Interval: 20 * time.Millisecond})
}

// AddFault adds a fault-injection rule to the project (see
// docs/faults.md) and returns it: the failures the code under test must
// handle, on demand. The rule is deleted when the test ends, if it is
// still there.
//
//	srv.AddFault(t, cph.CreateFaultParams{Operation: "job:restart", Effect: "fail",
//		ErrorCode: "CPS.9004", ErrorMsg: "disk full", Count: cphtest.Times(1)})
func (s *Server) AddFault(t testing.TB, p cph.CreateFaultParams) *cph.Fault {
	t.Helper()
	f, err := s.client.CreateFault(context.Background(), p)
	if err != nil {
		t.Fatalf("cphtest: add a fault: %v", err)
	}
	t.Cleanup(func() {
		if err := s.client.DeleteFault(context.Background(), f.ID); err != nil && cph.ErrorCode(err) != cph.CodeFaultNotFound {
			t.Errorf("cphtest: delete fault %s: %v", f.ID, err)
		}
	})
	return f
}

// SetBootTime sets how long the simulated phone phoneID takes to boot
// from its next restart or reset on, or, with phoneID empty, every phone
// of the project without a boot time of its own: a slow boot makes a
// test see the transient statuses its code must wait out.
func (s *Server) SetBootTime(t testing.TB, phoneID string, d time.Duration) {
	t.Helper()
	ms := d.Milliseconds()
	if _, err := s.client.SetSimSettings(context.Background(), phoneID, cph.SimSettings{BootTimeMS: &ms}); err != nil {
		t.Fatalf("cphtest: set the boot time: %v", err)
	}
}

// Reset brings the project back to its initial fleet (every phone reset
// and running, jobs, buckets and fault rules removed) and waits until it
// is: a test that shares one Server with others starts from a known
// state.
func (s *Server) Reset(t testing.TB) {
	t.Helper()
	res, err := s.client.ResetProject(context.Background(), cph.ProjectReset{Wait: true, Timeout: cph.MaxJobWait})
	if err != nil {
		t.Fatalf("cphtest: reset the project: %v", err)
	}
	if !res.Final {
		t.Fatalf("cphtest: the project's phones were not reset within %v", cph.MaxJobWait)
	}
}

// Times returns a pointer to n, for the Count of a fault rule.
func Times(n int) *int { return &n }

// waitFleet waits until the agent of every built-in server knows all the
// server's phones in its simulated runtime.
func waitFleet(t testing.TB, ctx context.Context, cp *controlplane.Server) {
	t.Helper()
	servers, err := cp.DB().BuiltinServers(ctx)
	if err != nil {
		t.Fatalf("cphtest: list the simulated servers: %v", err)
	}
	for _, s := range servers {
		phones, err := cp.DB().PhonesByServer(ctx, s.ID)
		if err != nil {
			t.Fatalf("cphtest: list the phones of %s: %v", s.Name, err)
		}
		poll.Within(t, 20*time.Second, fmt.Sprintf("the agent of %s to know its %d phones", s.Name, len(phones)), func() bool {
			drv := cp.Driver(s.ID)
			if drv == nil {
				return false
			}
			have, err := drv.Phones(ctx)
			return err == nil && len(have) >= len(phones)
		})
	}
}

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
