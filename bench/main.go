package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

const usage = `usage: cph-bench [flags]

Measures OpenCPH: it starts its own cphd (a child process, SQLite in a
temporary data dir unless --database), grows a simulated fleet to each of
--sizes phones through the agent protocol, and at each size measures phone
listing, a static-server baseline and cphd's memory; then a batch-restart
fan-out (at --fanout-at) and token issue and validation. With --target it
measures an existing cphd instead (no memory figures).

Progress goes to stderr, the report to stdout.

Flags:
`

// Main is the cph-bench command line: it parses args (without the program
// name), runs the benchmark, prints progress to stderr and the report to
// stdout, as tables or as one JSON document. getenv supplies the
// environment (CPH_PASSWORD, CPH_ENROLL_TOKEN or the older
// CPH_AGENT_ENROLL_TOKEN). The report is
// printed even when the run fails part-way, with the error.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("cph-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	sizes := fs.String("sizes", joinInts(DefaultSizes), "fleet sizes in phones, increasing, comma-separated (k and M suffixes allowed)")
	fs.IntVar(&cfg.PhonesPerServer, "phones-per-server", 1000, "phones per enrolled server (1 to 1000)")
	fs.DurationVar(&cfg.BootTime, "boot-time", 0, "boot time of a simulated phone")
	fs.IntVar(&cfg.Concurrency, "concurrency", 16, "load workers (requests in flight)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "recorded duration of each list measurement")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "unrecorded warm-up before each measurement")
	fs.DurationVar(&cfg.TokenDuration, "token-duration", 5*time.Second, "recorded duration of each token measurement")
	fs.DurationVar(&cfg.IdleDuration, "idle-duration", 3*time.Second, "how long the fleet sits idle after each growth while cphd's and the agents' CPU use is measured; negative = skip")
	scenarios := fs.String("scenarios", "list,fanout,token", "what to measure: list, fanout, token (comma-separated)")
	fs.IntVar(&cfg.FanoutAt, "fanout-at", 0, "fleet size (one of --sizes) at which the fan-out runs; 0 = the largest")
	fs.StringVar(&cfg.FanoutLayout, "fanout-layout", "spread", "which phones a batch restarts: spread (one per server in turn, up to 100 servers a batch) or grouped (server by server)")
	fs.IntVar(&cfg.FanoutRequests, "fanout-requests", 20, "batch-restart requests of the fan-out, 100 distinct phones each")
	fs.DurationVar(&cfg.FanoutTimeout, "fanout-timeout", 10*time.Minute, "how long to wait for the fan-out's jobs")
	fs.IntVar(&cfg.EnrollConcurrency, "enroll-concurrency", 4, "enrollments at once while the fleet grows")
	fs.StringVar(&cfg.Database, "database", "", "PostgreSQL URL for cph-bench's cphd (use an empty database); default SQLite in the data dir")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory for cphd's data, its log and the baseline bodies; default a new temporary directory")
	fs.BoolVar(&cfg.KeepData, "keep-data", false, "keep the data dir at the end")
	fs.StringVar(&cfg.CPHDLog, "cphd-log", "", "cphd's log file; default cphd.log in the data dir")
	fs.StringVar(&cfg.CPHDPprof, "cphd-pprof", "", "address on which cph-bench's cphd serves Go's profiler (its --pprof-listen), e.g. 127.0.0.1:6060")
	fs.StringVar(&cfg.CPHDLogLevel, "cphd-log-level", "info", "cphd's log level (info logs every API request, as cphd does by default)")
	fs.StringVar(&cfg.Target, "target", "", "URL of an existing cphd to measure instead of starting one")
	fs.StringVar(&cfg.Domain, "domain", "", "with --target: account (domain) name")
	fs.StringVar(&cfg.User, "user", "", "with --target: user name (default: the domain)")
	fs.StringVar(&cfg.Password, "password", getenv("CPH_PASSWORD"), "with --target: password [CPH_PASSWORD]")
	fs.StringVar(&cfg.Project, "project", "cn-north-4", "with --target: project name or id")
	enrollToken := getenv("CPH_ENROLL_TOKEN")
	if enrollToken == "" {
		enrollToken = getenv("CPH_AGENT_ENROLL_TOKEN") // the older name
	}
	fs.StringVar(&cfg.EnrollToken, "enroll-token", enrollToken, "with --target: the installation enrollment token of the cphd (its --enroll-token) [CPH_ENROLL_TOKEN]")
	output := fs.String("o", "table", "report format: table or json")
	logLevel := fs.String("log-level", "info", "level of the progress log on stderr: debug, info, warn, error")
	agentLogLevel := fs.String("agent-log-level", "warn", "level of the simulated agents' logs on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *output != "table" && *output != "json" {
		return fmt.Errorf("-o %q: want table or json", *output)
	}
	var err error
	if cfg.Sizes, err = parseSizes(*sizes); err != nil {
		return fmt.Errorf("--sizes: %w", err)
	}
	for s := range strings.SplitSeq(*scenarios, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Scenarios = append(cfg.Scenarios, s)
		}
	}
	var level, agentLevel slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if err := agentLevel.UnmarshalText([]byte(*agentLogLevel)); err != nil {
		return fmt.Errorf("--agent-log-level: %w", err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg.AgentLogger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: agentLevel})).With("component", "agent")

	report, runErr := Run(ctx, cfg)
	if report == nil {
		return runErr
	}
	if runErr != nil {
		report.Error = runErr.Error()
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return errors.Join(runErr, fmt.Errorf("write the report: %w", err))
		}
	} else if err := report.WriteTable(stdout); err != nil {
		return errors.Join(runErr, fmt.Errorf("write the report: %w", err))
	}
	return runErr
}

// parseSizes parses "1000,100k,1M".
func parseSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		mult := 1
		switch {
		case strings.HasSuffix(f, "k"), strings.HasSuffix(f, "K"):
			mult, f = 1000, f[:len(f)-1]
		case strings.HasSuffix(f, "M"), strings.HasSuffix(f, "m"):
			mult, f = 1000000, f[:len(f)-1]
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n*mult)
	}
	return out, nil
}

// joinInts formats ns comma-separated.
func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}
