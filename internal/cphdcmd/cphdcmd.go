// Package cphdcmd is the cphd program: configuration from flags and
// environment, the control plane's start and shutdown, the welcome text and
// the "cphd admin" commands. cmd/cphd is a thin main around Main; other
// programs (cph-bench) run the same program in a child process through it.
//
// Every flag can also be set through the environment variable named in its
// help text; a flag given on the command line wins.
package cphdcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/httpapi"
	"github.com/opencph/opencph/runtime/docker"
	"github.com/opencph/opencph/runtime/sim"
)

// Main runs cphd as a program's main function does, with the process's
// environment and standard streams: it serves until SIGINT or SIGTERM and
// returns the exit status (0 after a clean shutdown or --help, 1 after an
// error, which it prints to stderr).
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "cphd:", err)
		return 1
	}
	return 0
}

// cmdEnv is what a command gets of the program's surroundings: its
// environment (Getenv) and its output streams.
type cmdEnv struct {
	Getenv         func(string) string
	Stdout, Stderr io.Writer
}

// Run parses the configuration (args without the program name; getenv
// supplies the environment), starts the control plane and serves until ctx
// ends. "admin ..." arguments run an administration command instead.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := cmdEnv{Getenv: getenv, Stdout: stdout, Stderr: stderr}
	if len(args) > 0 && args[0] == "admin" {
		return runAdmin(ctx, args[1:], e)
	}
	if handled, err := runOther(ctx, args, e); handled {
		return err
	}
	o, err := parseProgram(args, getenv, stderr)
	if err != nil {
		return err
	}
	cfg, dockerFlags := o.cfg, o.docker
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.level}))
	cfg.Logger = logger
	if o.ephemeral != nil {
		// The whole state lives in a temporary data dir, removed when
		// cphd ends (after the shutdown, once the database is closed).
		dir, err := os.MkdirTemp(getenv("TMPDIR"), "cphd-ephemeral-")
		if err != nil {
			return fmt.Errorf("--ephemeral: create the temporary data dir: %w", err)
		}
		defer func() {
			if err := os.RemoveAll(dir); err != nil {
				logger.Error("remove the temporary data dir", "data_dir", dir, "err", err)
			}
		}()
		cfg.DataDir = dir
	}
	if dockerFlags != nil {
		if err := docker.CheckHost(ctx, dockerFlags, logger); err != nil {
			return err
		}
		cfg.NewDriver, cfg.Runtime = docker.Drivers(*dockerFlags, logger), "docker"
	}
	srv, err := controlplane.Start(ctx, cfg)
	if err != nil {
		return err
	}
	if o.ephemeral != nil {
		if err := announceEphemeral(ctx, srv, *o.ephemeral, stdout); err != nil {
			srv.Close()
			return err
		}
	} else {
		printWelcome(stdout, srv)
	}
	// SIGHUP reloads the TLS certificate files (a pair that does not load
	// is logged and the previous one kept).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-hup:
			_ = srv.ReloadTLS() // logged
		case err := <-srv.Err():
			srv.Close()
			return err
		}
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// parseConfig reads flags, with environment variables as defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (controlplane.Config, slog.Level, error) {
	cfg, level, _, err := parseOptions(args, getenv, stderr)
	return cfg, level, err
}

// parseOptions is parseConfig that also returns the Docker runtime's
// flags (nil with the simulated runtime).
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (controlplane.Config, slog.Level, *docker.Flags, error) {
	o, err := parseProgram(args, getenv, stderr)
	return o.cfg, o.level, o.docker, err
}

// program is what the flags and the environment ask cphd to do.
type program struct {
	cfg    controlplane.Config
	level  slog.Level
	docker *docker.Flags // nil with the simulated runtime
	// ephemeral is set by --ephemeral.
	ephemeral *ephemeralOptions
}

// parseProgram reads flags, with environment variables as defaults.
func parseProgram(args []string, getenv func(string) string, stderr io.Writer) (program, error) {
	cfg, level, df, eph, err := parseFlags(args, getenv, stderr)
	return program{cfg: cfg, level: level, docker: df, ephemeral: eph}, err
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (controlplane.Config, slog.Level, *docker.Flags, *ephemeralOptions, error) {
	var cfg controlplane.Config
	fs := flag.NewFlagSet("cphd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var errs []error
	envInt := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: not an integer", name, v))
		}
		return n
	}
	envDur := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: not a duration", name, v))
		}
		return d
	}
	envBool := func(name string) bool {
		v := getenv(name)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: not true or false", name, v))
		}
		return b
	}
	fs.StringVar(&cfg.Listen, "listen", env("CPH_LISTEN", "127.0.0.1:8080"), "address to listen on [CPH_LISTEN]")
	fs.StringVar(&cfg.DataDir, "data-dir", env("CPH_DATA_DIR", "./cph-data"), "directory of the database and generated secrets [CPH_DATA_DIR]")
	fs.StringVar(&cfg.ObjectsDir, "objects-dir", env("CPH_OBJECTS_DIR", ""), "where buckets and objects are kept; default <data-dir>/objects; replicas must share it [CPH_OBJECTS_DIR]")
	maxBodyMiB := fs.Int("max-body-memory-mib", envInt("CPH_MAX_BODY_MEMORY_MIB", 64), "MiB that all request bodies being read may hold in memory at once; past it requests are answered 503 [CPH_MAX_BODY_MEMORY_MIB]")
	fs.StringVar(&cfg.DatabaseURL, "database", env("CPH_DATABASE_URL", ""), "PostgreSQL URL (postgres://...); empty = SQLite in the data dir [CPH_DATABASE_URL]")
	fs.IntVar(&cfg.SimServers, "sim-servers", envInt("CPH_SIM_SERVERS", 2), "built-in phone servers (simulated, or with --runtime docker containers); 0 = no built-in fleet [CPH_SIM_SERVERS]")
	fs.IntVar(&cfg.SimPhonesPerServer, "sim-phones-per-server", envInt("CPH_SIM_PHONES_PER_SERVER", 5), "phones per built-in server, set when the server is created [CPH_SIM_PHONES_PER_SERVER]")
	fs.DurationVar(&cfg.SimBootTime, "sim-boot-time", envDur("CPH_SIM_BOOT_TIME", 3*time.Second), "boot time of a simulated phone [CPH_SIM_BOOT_TIME]")
	fs.Float64Var(&cfg.SimFailureRate, "sim-failure-rate", 0, "probability (0..1) that a simulated phone operation fails")
	simPhoneMiB := fs.Int("sim-phone-storage-mib", 64, "MiB of files a simulated phone may store (held in cphd's memory for the built-in fleet)")
	simPhoneFiles := fs.Int("sim-phone-files", 10_000, "files and directories a simulated phone may hold")
	simServerMiB := fs.Int("sim-server-storage-mib", 512, "MiB of files all phones and the shared storage of a simulated server may store")
	fs.DurationVar(&cfg.Engine.Lease, "op-lease", envDur("CPH_OP_LEASE", 2*time.Minute), "how long an agent may run an operation before it is handed out again [CPH_OP_LEASE]")
	fs.DurationVar(&cfg.Engine.PendingTimeout, "op-pending-timeout", envDur("CPH_OP_PENDING_TIMEOUT", 5*time.Minute), "how long an operation may wait for its server's agent before its job fails [CPH_OP_PENDING_TIMEOUT]")
	serverKey := fs.String("server-key", env("CPH_SERVER_KEY", ""), "64 hex characters: the key that encrypts access-key secrets; default: generated into the data dir (replicas on one database must share it) [CPH_SERVER_KEY]")
	enrollToken := fs.String("enroll-token", env("CPH_ENROLL_TOKEN", getenv("CPH_AGENT_ENROLL_TOKEN")), "installation enrollment token: the operator's, with which cph-agent enrolls new servers into ANY project (logged as a warning at start); empty = only projects' own enrollment tokens enroll; visible in ps: prefer --enroll-token-file or CPH_ENROLL_TOKEN [CPH_ENROLL_TOKEN]")
	enrollTokenFile := fs.String("enroll-token-file", env("CPH_ENROLL_TOKEN_FILE", ""), "file holding the installation enrollment token [CPH_ENROLL_TOKEN_FILE]")
	oldEnrollToken := fs.String("agent-enroll-token", "", "DEPRECATED: the old name of --enroll-token")
	serverKeyPrevious := fs.String("server-key-previous", env("CPH_SERVER_KEY_PREVIOUS", ""), "during a server key rotation: the key --server-key replaces; secrets sealed with it are still accepted and re-encrypted with --server-key [CPH_SERVER_KEY_PREVIOUS]")
	serverKeyNext := fs.String("server-key-next", env("CPH_SERVER_KEY_NEXT", ""), "first step of a rotation on several replicas: the key that will replace --server-key; secrets sealed with it are accepted and left as they are [CPH_SERVER_KEY_NEXT]")
	fs.DurationVar(&cfg.Engine.AgentTTL, "agent-ttl", envDur("CPH_AGENT_TTL", 30*time.Second), "how long an agent may be silent before its server and phones are marked abnormal and its jobs fail [CPH_AGENT_TTL]")
	fs.StringVar(&cfg.PprofListen, "pprof-listen", env("CPH_PPROF_LISTEN", ""), "address (keep it on loopback) on which to serve Go's profiler, /debug/pprof/; empty = off [CPH_PPROF_LISTEN]")
	fs.StringVar(&cfg.TLSCertFile, "tls-cert", env("CPH_TLS_CERT", ""), "PEM certificate (chain) file: serve HTTPS with it and --tls-key; both are read again on SIGHUP [CPH_TLS_CERT]")
	fs.StringVar(&cfg.TLSKeyFile, "tls-key", env("CPH_TLS_KEY", ""), "PEM private key file of --tls-cert [CPH_TLS_KEY]")
	fs.BoolVar(&cfg.TLSSelfSigned, "tls-self-signed", getenv("CPH_TLS_SELF_SIGNED") == "true" || getenv("CPH_TLS_SELF_SIGNED") == "1", "serve HTTPS with a self-signed pair generated into the data dir (reused on restart); its fingerprint is printed at start [CPH_TLS_SELF_SIGNED]")
	trustedProxies := fs.String("trusted-proxies", env("CPH_TRUSTED_PROXIES", ""), "comma-separated CIDR ranges (or addresses) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; empty = none [CPH_TRUSTED_PROXIES]")
	fs.StringVar(&cfg.MetricsListen, "metrics-listen", env("CPH_METRICS_LISTEN", ""), "where Prometheus metrics are served: empty = at /metrics on --listen; an address = on a listener of their own (and not on --listen); off = not at all [CPH_METRICS_LISTEN]")
	fs.BoolVar(&cfg.StrictPushShareApps, "push-share-apps-strict", envBool("CPH_PUSH_SHARE_APPS_STRICT"), "refuse PushShareApps calls naming more than 20 servers (CPS.9010), as Huawei's newer documentation says; by default up to the batch limit of 100 are accepted, as older SDKs expect [CPH_PUSH_SHARE_APPS_STRICT]")
	fs.DurationVar(&cfg.AuditRetention, "audit-retention", envDur("CPH_AUDIT_RETENTION", 90*24*time.Hour), "how long audit events are kept (pruned in small batches every 10 minutes); 0 = forever [CPH_AUDIT_RETENTION]")
	console := fs.Bool("console", getenv("CPH_CONSOLE") != "false" && getenv("CPH_CONSOLE") != "0", "serve the web console at /console/ on --listen [CPH_CONSOLE]")
	fs.DurationVar(&cfg.ConsoleIdleTimeout, "console-idle-timeout", envDur("CPH_CONSOLE_IDLE_TIMEOUT", 30*time.Minute), "how long a web console session may go without a page view or an action before it ends (its token is revoked) [CPH_CONSOLE_IDLE_TIMEOUT]")
	fs.StringVar(&cfg.AuditFile, "audit-file", env("CPH_AUDIT_FILE", ""), "file to which every audit event is also appended as a JSON line (created 0600); empty = none [CPH_AUDIT_FILE]")
	logLevel := fs.String("log-level", env("CPH_LOG_LEVEL", "info"), "debug, info, warn or error [CPH_LOG_LEVEL]")
	rt := fs.String("runtime", env("CPH_RUNTIME", "sim"), "runtime of the built-in servers' phones: sim (simulated) or docker (containers on a Docker Engine) [CPH_RUNTIME]")
	var dockerFlags docker.Flags
	dockerFlags.Register(fs, env)
	cfg.Bootstrap = controlplane.Bootstrap{
		Domain:   getenv("CPH_BOOTSTRAP_DOMAIN"),
		User:     getenv("CPH_BOOTSTRAP_USER"),
		Password: getenv("CPH_BOOTSTRAP_PASSWORD"),
		Project:  getenv("CPH_BOOTSTRAP_PROJECT"),
	}
	retentionFlags(fs, &cfg, getenv, &errs)
	applyDeployment := deploymentFlags(fs, &cfg, getenv)
	ephemeral := fs.Bool("ephemeral", envBool("CPH_EPHEMERAL"), "a throw-away cphd for tests and CI: state in a temporary data dir (SQLite) removed at exit, instant simulated boots and a free loopback port unless --sim-boot-time or --listen say otherwise; prints the endpoint, the account and an access key as one JSON line on stdout [CPH_EPHEMERAL]")
	envFile := fs.String("ephemeral-env-file", env("CPH_EPHEMERAL_ENV_FILE", ""), "with --ephemeral: also write the endpoint, the account and the access key to this file as NAME=value lines (CPH_ENDPOINT, HUAWEICLOUD_SDK_AK, ...), before the JSON line [CPH_EPHEMERAL_ENV_FILE]")
	setUsage(fs)
	if err := fs.Parse(args); err != nil {
		return cfg, 0, nil, nil, err
	}
	cfg.NoConsole = !*console
	if fs.NArg() > 0 {
		return cfg, 0, nil, nil, fmt.Errorf("unexpected argument %q (run \"cphd --help\")", fs.Arg(0))
	}
	tok, err := installationToken(fs, *enrollToken, *enrollTokenFile, *oldEnrollToken)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.AgentEnrollToken = tok
	if err := applyDeployment(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return cfg, 0, nil, nil, errors.Join(errs...)
	}
	if *maxBodyMiB < 1 {
		return cfg, 0, nil, nil, fmt.Errorf("--max-body-memory-mib must be at least 1, not %d", *maxBodyMiB)
	}
	cfg.MaxBodyMemory = int64(*maxBodyMiB) << 20
	if *simPhoneMiB < 1 || *simPhoneFiles < 1 || *simServerMiB < 1 {
		return cfg, 0, nil, nil, errors.New("--sim-phone-storage-mib, --sim-phone-files and --sim-server-storage-mib must be at least 1")
	}
	cfg.SimQuota = sim.Quota{PhoneBytes: int64(*simPhoneMiB) << 20, PhoneFiles: *simPhoneFiles, ServerBytes: int64(*simServerMiB) << 20}
	if *serverKey != "" {
		key, err := controlplane.ParseServerKey(*serverKey)
		if err != nil {
			return cfg, 0, nil, nil, fmt.Errorf("--server-key: %w", err)
		}
		cfg.IAM.ServerKey = key
	}
	for _, k := range []struct {
		flag, value string
		dst         *[]byte
	}{{"server-key-previous", *serverKeyPrevious, &cfg.IAM.PreviousServerKey}, {"server-key-next", *serverKeyNext, &cfg.IAM.NextServerKey}} {
		if k.value == "" {
			continue
		}
		if *serverKey == "" {
			return cfg, 0, nil, nil, fmt.Errorf("--%s needs --server-key", k.flag)
		}
		key, err := controlplane.ParseServerKey(k.value)
		if err != nil {
			return cfg, 0, nil, nil, fmt.Errorf("--%s: %w", k.flag, err)
		}
		*k.dst = key
	}
	if cfg.IAM.PreviousServerKey != nil && cfg.IAM.NextServerKey != nil {
		return cfg, 0, nil, nil, errors.New("--server-key-previous and --server-key-next are two different steps of a rotation: give one of them")
	}
	if cfg.TrustedProxies, err = ParseTrustedProxies(*trustedProxies); err != nil {
		return cfg, 0, nil, nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return cfg, 0, nil, nil, fmt.Errorf("--log-level: %w", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	given := func(flagName, envName string) bool { return set[flagName] || getenv(envName) != "" }
	eph, err := ephemeralConfig(&cfg, *ephemeral, *envFile, given)
	if err != nil {
		return cfg, 0, nil, nil, err
	}
	var df *docker.Flags
	switch *rt {
	case "sim":
	case "docker":
		df = &dockerFlags
		if _, err := dockerFlags.Config("check"); err != nil {
			return cfg, 0, nil, nil, err
		}
		cfg.NewDriver, cfg.Runtime = docker.Drivers(dockerFlags, nil), "docker"
	default:
		return cfg, 0, nil, nil, fmt.Errorf("--runtime %q: want sim or docker", *rt)
	}
	switch {
	case cfg.SimServers < 0:
		return cfg, 0, nil, nil, errors.New("--sim-servers must not be negative")
	case cfg.SimPhonesPerServer < 0:
		return cfg, 0, nil, nil, errors.New("--sim-phones-per-server must not be negative")
	case cfg.SimBootTime < 0:
		return cfg, 0, nil, nil, errors.New("--sim-boot-time must not be negative")
	case cfg.AuditRetention < 0:
		return cfg, 0, nil, nil, errors.New("--audit-retention must not be negative")
	case cfg.ConsoleIdleTimeout < time.Minute:
		return cfg, 0, nil, nil, errors.New("--console-idle-timeout must be at least 1m")
	case cfg.JobRetention.MaxAge < 0:
		return cfg, 0, nil, nil, errors.New("--job-retention must not be negative (0 keeps jobs forever)")
	case cfg.JobRetention.Interval <= 0:
		return cfg, 0, nil, nil, errors.New("--job-prune-interval must be positive")
	case cfg.SimFailureRate < 0 || cfg.SimFailureRate > 1:
		return cfg, 0, nil, nil, errors.New("--sim-failure-rate must be between 0 and 1")
	}
	return cfg, level, df, eph, nil
}

// installationToken picks the installation enrollment token: the
// --enroll-token or --agent-enroll-token flag, else the file, else the
// environment (CPH_ENROLL_TOKEN, else the deprecated CPH_AGENT_ENROLL_TOKEN).
// A project enrollment token (cphe_...) is refused: as the installation
// token it would enroll into every project.
func installationToken(fs *flag.FlagSet, flagValue, file, oldFlag string) (string, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	tok := flagValue
	switch {
	case set["enroll-token"]:
	case set["agent-enroll-token"]:
		tok = oldFlag
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--enroll-token-file: %w", err)
		}
		if tok = strings.TrimSpace(string(b)); tok == "" {
			return "", fmt.Errorf("--enroll-token-file %s is empty", file)
		}
	}
	if strings.HasPrefix(tok, httpapi.EnrollmentTokenPrefix) {
		return "", fmt.Errorf("the installation enrollment token starts with %q like a project's enrollment token: as the installation token it would enroll servers into every project; choose another secret", httpapi.EnrollmentTokenPrefix)
	}
	return tok, nil
}

func printWelcome(w io.Writer, srv *controlplane.Server) {
	b := srv.Bootstrap()
	fmt.Fprintf(w, "OpenCPH control plane listening on %s\n\n", srv.URL())
	fmt.Fprintf(w, "  account (domain): %s\n  user:             %s\n  project:          %s (id %s)\n", b.Domain, b.User, b.Project, b.ProjectID)
	switch {
	case b.PasswordFile != "" && b.Created:
		fmt.Fprintf(w, "  password:         %s   (generated; also saved in %s)\n", b.Password, b.PasswordFile)
	case b.PasswordFile != "":
		fmt.Fprintf(w, "  password:         see %s\n", b.PasswordFile)
	case b.Created:
		fmt.Fprintf(w, "  password:         the one given in CPH_BOOTSTRAP_PASSWORD\n")
	default:
		fmt.Fprintf(w, "  password:         the one set when the account was created\n")
	}
	t := srv.TLS()
	if t != nil {
		fmt.Fprintf(w, "\n  TLS certificate:  %s\n  SHA-256:          %s\n", t.CertFile, t.Fingerprint)
	}
	if srv.ConsoleURL() != "" {
		fmt.Fprintf(w, "\nWeb console: %s (log in with the account, user and password above)\n", srv.ConsoleURL())
	}
	fmt.Fprintf(w, "\nTry it with the CLI:\n")
	fmt.Fprintf(w, "  export CPH_ENDPOINT=%s CPH_DOMAIN=%s CPH_USER=%s CPH_PROJECT=%s\n", srv.URL(), b.Domain, b.User, b.Project)
	if t != nil && t.SelfSigned {
		fmt.Fprintf(w, "  export CPH_CA_FILE=%s\n", t.CertFile)
	}
	if b.PasswordFile != "" {
		fmt.Fprintf(w, "  CPH_PASSWORD=\"$(cat %s)\" go run ./cmd/cph login\n", b.PasswordFile)
	} else {
		fmt.Fprintf(w, "  CPH_PASSWORD=... go run ./cmd/cph login\n")
	}
	fmt.Fprintf(w, "  go run ./cmd/cph phones list\n\n")
}

// ParseTrustedProxies parses a comma-separated list of CIDR ranges or
// single addresses.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR range such as 10.0.0.0/8", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or a CIDR range such as 10.0.0.0/8", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
