// Command cph-agent runs on a phone server: it enrolls the server with an
// OpenCPH control plane once, keeps the server's credential in its state
// dir, and then runs the server's phones through a runtime driver,
// long-polling any of the given cphd replicas for operations.
//
// Every flag can also be set through the environment variable named in
// its help text; a flag given on the command line wins. The enrollment
// token is read from --enroll-token-file or CPH_ENROLL_TOKEN (the
// --enroll-token flag works too, but shows in ps).
//
// Exit status: 0 after SIGINT/SIGTERM, 1 on an error (a refused
// enrollment included), 3 when the control plane says the server was
// deleted (its credential will never work again).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencph/opencph/agent"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/internal/buildinfo"
	"github.com/opencph/opencph/internal/certs"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/docker"
	"github.com/opencph/opencph/runtime/sim"
)

// version is reported to the control plane.
const version = "opencph-agent/1"

// exitServerDeleted is the exit status after the control plane said the
// agent's server was deleted: restarting the agent cannot help (a service
// manager can be told not to, e.g. systemd's RestartPreventExitStatus=3).
const exitServerDeleted = 3

func main() {
	if buildinfo.Requested(os.Args[1:]) {
		buildinfo.Print(os.Stdout, "cph-agent")
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "cph-agent:", err)
		if errors.Is(err, agent.ErrServerDeleted) {
			os.Exit(exitServerDeleted)
		}
		os.Exit(1)
	}
}

type config struct {
	controlPlane  []string
	enrollToken   string
	project       string
	name          string
	stateDir      string
	runtime       string
	simPhones     int
	simBootTime   time.Duration
	simQuota      sim.Quota
	level         slog.Level
	docker        docker.Flags
	removeUnknown bool
	caFile        string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("cph-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	host, _ := os.Hostname()
	var c config
	controlPlane := fs.String("control-plane", env("CPH_CONTROL_PLANE", ""), "cphd URL(s), comma-separated; the agent fails over between them [CPH_CONTROL_PLANE]")
	tokenFlag := fs.String("enroll-token", "", "enrollment token, first start only; visible to every user in ps: prefer --enroll-token-file or CPH_ENROLL_TOKEN [CPH_ENROLL_TOKEN]")
	tokenFile := fs.String("enroll-token-file", env("CPH_ENROLL_TOKEN_FILE", ""), "file holding the enrollment token (first start only) [CPH_ENROLL_TOKEN_FILE]")
	fs.StringVar(&c.project, "project", env("CPH_PROJECT", ""), "name or id of the project that owns this server (first start); a project's token implies it [CPH_PROJECT]")
	fs.StringVar(&c.name, "name", env("CPH_AGENT_NAME", host), "server name (first start) [CPH_AGENT_NAME]")
	fs.StringVar(&c.stateDir, "state-dir", env("CPH_STATE_DIR", "./cph-agent-state"), "where the agent keeps its identity, and with --runtime sim its phones' state (in sim/) [CPH_STATE_DIR]")
	fs.StringVar(&c.runtime, "runtime", env("CPH_RUNTIME", "sim"), "phone runtime driver: sim (simulated phones) or docker (containers on a Docker Engine) [CPH_RUNTIME]")
	c.docker.Register(fs, env)
	removeUnknown := fs.String("remove-unknown-phones", env("CPH_REMOVE_UNKNOWN_PHONES", "false"), "remove the runtime's phones (containers) that the control plane does not know, instead of only logging them [CPH_REMOVE_UNKNOWN_PHONES]")
	simPhones := fs.String("sim-phones", env("CPH_SIM_PHONES", "5"), "phones of this server, set at enrollment (first start); with any --runtime [CPH_SIM_PHONES]")
	simBoot := fs.String("sim-boot-time", env("CPH_SIM_BOOT_TIME", "3s"), "boot time of a simulated phone [CPH_SIM_BOOT_TIME]")
	simPhoneMiB := fs.Int("sim-phone-storage-mib", 64, "MiB of files a simulated phone may store (held in the agent's memory)")
	simPhoneFiles := fs.Int("sim-phone-files", 10_000, "files and directories a simulated phone may hold")
	simServerMiB := fs.Int("sim-server-storage-mib", 512, "MiB of files all phones and the shared storage of this simulated server may store")
	logLevel := fs.String("log-level", env("CPH_LOG_LEVEL", "info"), "debug, info, warn or error [CPH_LOG_LEVEL]")
	fs.StringVar(&c.caFile, "ca-file", env("CPH_CA_FILE", ""), "PEM file of the CA certificate(s) that sign cphd's TLS certificate, trusted instead of the system's [CPH_CA_FILE]")
	setUsage(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	// The token: the flag, else the file, else the environment.
	switch {
	case *tokenFlag != "":
		c.enrollToken = *tokenFlag
	case *tokenFile != "":
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return nil, fmt.Errorf("--enroll-token-file: %w", err)
		}
		if c.enrollToken = strings.TrimSpace(string(b)); c.enrollToken == "" {
			return nil, fmt.Errorf("--enroll-token-file %s is empty", *tokenFile)
		}
	default:
		c.enrollToken = getenv("CPH_ENROLL_TOKEN")
	}
	for _, u := range strings.Split(*controlPlane, ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.controlPlane = append(c.controlPlane, u)
		}
	}
	var err error
	if c.simPhones, err = strconv.Atoi(*simPhones); err != nil || c.simPhones < 0 {
		return nil, fmt.Errorf("--sim-phones %q: not a number of phones", *simPhones)
	}
	if c.simBootTime, err = time.ParseDuration(*simBoot); err != nil || c.simBootTime < 0 {
		return nil, fmt.Errorf("--sim-boot-time %q: not a duration", *simBoot)
	}
	if *simPhoneMiB < 1 || *simPhoneFiles < 1 || *simServerMiB < 1 {
		return nil, errors.New("--sim-phone-storage-mib, --sim-phone-files and --sim-server-storage-mib must be at least 1")
	}
	c.simQuota = sim.Quota{PhoneBytes: int64(*simPhoneMiB) << 20, PhoneFiles: *simPhoneFiles, ServerBytes: int64(*simServerMiB) << 20}
	if err := c.level.UnmarshalText([]byte(*logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	if c.runtime != "sim" && c.runtime != "docker" {
		return nil, fmt.Errorf("--runtime %q: want sim or docker", c.runtime)
	}
	if c.runtime == "docker" {
		if _, err := c.docker.Config("check"); err != nil {
			return nil, err
		}
	}
	if c.removeUnknown, err = strconv.ParseBool(*removeUnknown); err != nil {
		return nil, fmt.Errorf("--remove-unknown-phones %q: not a boolean", *removeUnknown)
	}
	return &c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	c, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: c.level}))
	var tlsConf *tls.Config // nil: the system's CA certificates
	if c.caFile != "" {
		if tlsConf, err = certs.ClientConfig(c.caFile); err != nil {
			return fmt.Errorf("--ca-file: %w", err)
		}
	}
	hc := agent.NewHTTPClient(tlsConf)
	id, err := agent.LoadIdentity(c.stateDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if len(c.controlPlane) == 0 || c.enrollToken == "" {
			return errors.New("first start: --control-plane and an enrollment token (--enroll-token-file, CPH_ENROLL_TOKEN or --enroll-token) are required to enroll")
		}
		log.Info("enrolling", "control_plane", c.controlPlane, "project", c.project, "name", c.name, "phones", c.simPhones)
		id, err = agent.Enroll(ctx, hc, c.controlPlane, agentproto.EnrollRequest{
			Token: c.enrollToken, Project: c.project, Name: c.name, Phones: c.simPhones, Version: version})
		if err != nil {
			return err
		}
		if err := agent.SaveIdentity(c.stateDir, id); err != nil {
			return err
		}
		log.Info("enrolled", "server_id", id.ServerID, "server_name", id.ServerName, "project_id", id.ProjectID)
	case err != nil:
		return err
	}
	urls := c.controlPlane
	if len(urls) == 0 {
		urls = id.ControlPlane
	}
	if len(urls) == 0 {
		return errors.New("--control-plane is required")
	}
	drv, closeDrv, err := newDriver(ctx, c, id.ServerID, log)
	if err != nil {
		return err
	}
	defer closeDrv()
	ag, err := agent.New(agent.Config{ControlPlane: urls, Credential: id.Credential, Driver: drv, HTTPClient: hc,
		Logger: log.With("component", "agent", "server_name", id.ServerName), Version: version,
		RemoveUnknownPhones: c.removeUnknown})
	if err != nil {
		return err
	}
	log.Info("agent running", "server_id", id.ServerID, "control_plane", urls)
	err = ag.Run(ctx)
	if errors.Is(err, agent.ErrServerDeleted) {
		if c.runtime != "docker" {
			if rerr := os.RemoveAll(simStateDir(c)); rerr != nil {
				log.Error("cannot remove the simulated phones' state", "dir", simStateDir(c), "err", rerr)
			}
		}
		return fmt.Errorf("server %s (%s) was deleted from the control plane; its credential in %s is void: remove that directory and start the agent with an enrollment token to enroll a new server (%w)",
			id.ServerName, id.ServerID, c.stateDir, err)
	}
	return err
}

// simStateDir is where the simulated runtime keeps its phones and shared
// storage: sim/ in the state dir, so that they survive a restart of the
// agent.
func simStateDir(c *config) string { return filepath.Join(c.stateDir, "sim") }

// newDriver returns the configured runtime driver and a function that
// releases it. The docker runtime checks the host first and says what is
// missing.
func newDriver(ctx context.Context, c *config, serverID string, log *slog.Logger) (runtime.Driver, func(), error) {
	if c.runtime != "docker" {
		drv, err := sim.Open(sim.Config{BootTime: c.simBootTime, Quota: c.simQuota, Logger: log.With("component", "sim"), StateDir: simStateDir(c)})
		if err != nil {
			return nil, nil, err
		}
		return drv, func() {}, nil
	}
	cfg, err := c.docker.Config(serverID)
	if err != nil {
		return nil, nil, err
	}
	cfg.Logger = log.With("component", "docker")
	for _, p := range docker.Check(ctx, cfg, c.docker.CheckKernel, docker.Host{}) {
		if p.Fatal {
			return nil, nil, fmt.Errorf("docker runtime: %s", p.Message)
		}
		log.Error("docker runtime: host check failed", "problem", p.Message)
	}
	drv, err := docker.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return drv, func() { drv.Close() }, nil
}
