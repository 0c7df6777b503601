package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

const usage = `usage: cph-bench [flags]

Measures OpenCPH: it starts its own cphd (a child process, SQLite in a
temporary data dir unless --database), grows a simulated fleet to each of
--sizes phones through the agent protocol, and at each size measures phone
listing, a static-server baseline and cphd's memory; at each --fanout-at
size a batch-restart fan-out and its engine baseline (the fan-out's row
writes as plain SQL on a database of its own, same engine and schema);
after the last size token issue and validation. With --target it measures
an existing cphd instead (no memory figures, no engine baseline).

--database may be given several times (sqlite, or a postgres:// URL): the
whole run is made on each in turn, --repeat times each. --markdown writes
every figure as markdown tables (medians of the repeated runs, with their
range), with the machine, commit, date and Go version, and with
--go-bench the Go benchmarks' figures too.

Progress goes to stderr, the report (each run's tables, or one JSON
document) to stdout.

Every figure of docs/performance-figures.md, in one run (about 30 minutes on 2 CPUs):

  go run ./cmd/cph-bench --database sqlite \
    --database 'postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable' \
    --sizes 1k,100k,1M --fanout-at 100k,1M --fanout-layout both --fanout-requests 100 \
    --duration 5s --repeat 3 \
    --go-bench ./engine,./iam,./controlplane,./console/browsertest --go-bench-time 2s \
    --markdown docs/performance-figures.md

(bench/figures.sh runs exactly that; QUICK=1 bench/figures.sh a smoke run.)

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
	scenarios := fs.String("scenarios", strings.Join(AllScenarios, ","), "what to measure: list, fanout, engine (the fan-out's engine baseline), token (comma-separated)")
	fanoutAt := fs.String("fanout-at", "", "fleet sizes (of --sizes, comma-separated) at which the fan-out and its engine baseline run; default the largest")
	fs.StringVar(&cfg.FanoutLayout, "fanout-layout", "spread", "which phones a batch restarts: spread (one per server in turn, up to 100 servers a batch), grouped (server by server) or both (spread, then grouped)")
	fs.IntVar(&cfg.FanoutRequests, "fanout-requests", 20, "batch-restart requests of the fan-out, 100 distinct phones each")
	fs.DurationVar(&cfg.FanoutTimeout, "fanout-timeout", 10*time.Minute, "how long to wait for the fan-out's jobs")
	fs.IntVar(&cfg.EnrollConcurrency, "enroll-concurrency", 4, "enrollments at once while the fleet grows")
	var databases stringList
	fs.Var(&databases, "database", "database of cph-bench's cphd: sqlite (in the data dir, the default) or a postgres:// URL; repeat the flag to run on each in turn")
	fs.BoolVar(&cfg.FreshDatabase, "fresh-database", true, "on PostgreSQL, create a new database for each run's cphd through the --database URL and drop it at the end; false: cphd uses the --database database itself (which should be empty)")
	repeat := fs.Int("repeat", 1, "runs on each database; the markdown's figures are their medians, with the range")
	markdown := fs.String("markdown", "", "write every figure as markdown tables to this file")
	goBench := fs.String("go-bench", "", "also run the Go benchmarks of these packages (comma-separated, e.g. ./engine,./iam; from the module's root, on PostgreSQL too when a --database is one) for the markdown")
	goBenchTime := fs.String("go-bench-time", "2s", "-benchtime of the Go benchmarks (each runs --repeat times)")
	goBenchShort := fs.Bool("go-bench-short", false, "run the Go benchmarks with -short (small fleets; for a quick check)")
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
	if *repeat < 1 {
		return fmt.Errorf("--repeat %d: want at least 1", *repeat)
	}
	if *fanoutAt != "" {
		var err error
		if cfg.FanoutAt, err = parseSizes(*fanoutAt); err != nil {
			return fmt.Errorf("--fanout-at: %w", err)
		}
	}
	if len(databases) == 0 {
		databases = stringList{"sqlite"}
	}
	for _, d := range databases {
		if d != "sqlite" && !strings.HasPrefix(d, "postgres://") && !strings.HasPrefix(d, "postgresql://") {
			return fmt.Errorf("--database %q: want sqlite or a postgres:// URL", redactURL(d))
		}
		if d != "sqlite" && *repeat > 1 && !cfg.FreshDatabase {
			return errors.New("--repeat with --fresh-database=false would reuse one PostgreSQL database: each run needs an empty one")
		}
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

	if *markdown != "" {
		// Fail now rather than after an hour of measuring.
		f, err := os.OpenFile(*markdown, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("--markdown: %w", err)
		}
		f.Close()
	}

	var sets []*RunSet
	var reports []*Report
	var runErr error
runs:
	for _, d := range databases {
		set := &RunSet{Database: "sqlite"}
		cfg.Database = ""
		if d != "sqlite" {
			set.Database, set.URL, cfg.Database = "postgres", redactURL(d), d
		}
		sets = append(sets, set)
		for i := range *repeat {
			cfg.Logger.Info("run", "database", set.Database, "run", i+1, "of", *repeat)
			report, err := Run(ctx, cfg)
			if report == nil {
				runErr = err
				break runs
			}
			if err != nil {
				report.Error = err.Error()
			}
			set.Reports = append(set.Reports, report)
			reports = append(reports, report)
			if *output == "table" {
				if len(databases) > 1 || *repeat > 1 {
					fmt.Fprintf(stdout, "=== %s, run %d of %d\n", set.Database, i+1, *repeat)
				}
				if werr := report.WriteTable(stdout); werr != nil {
					return errors.Join(err, fmt.Errorf("write the report: %w", werr))
				}
				fmt.Fprintln(stdout)
			}
			if err != nil {
				runErr = err
				break runs
			}
		}
	}
	var gb *GoBenchResult
	if *goBench != "" && runErr == nil {
		var pg string
		for _, d := range databases {
			if d != "sqlite" {
				pg = d
				break
			}
		}
		var err error
		if gb, err = RunGoBenchmarks(ctx, GoBenchOptions{Packages: strings.Split(*goBench, ","), Benchtime: *goBenchTime,
			Count: *repeat, Short: *goBenchShort, PostgresURL: pg, Logger: cfg.Logger}); err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		var doc any = reports
		if len(reports) == 1 && gb == nil {
			doc = reports[0]
		} else {
			doc = struct {
				Runs         []*Report      `json:"runs"`
				GoBenchmarks *GoBenchResult `json:"go_benchmarks,omitempty"`
			}{reports, gb}
		}
		if err := enc.Encode(doc); err != nil {
			return errors.Join(runErr, fmt.Errorf("write the report: %w", err))
		}
	}
	if *markdown != "" && len(reports) > 0 {
		var b strings.Builder
		WriteMarkdown(&b, MarkdownInput{Command: commandLine(args), Sets: sets, GoBench: gb, Repeat: *repeat})
		if err := os.WriteFile(*markdown, []byte(b.String()), 0o644); err != nil {
			return errors.Join(runErr, fmt.Errorf("--markdown: %w", err))
		}
		cfg.Logger.Info("figures written", "file", *markdown)
	}
	return runErr
}

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, " ") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// commandLine is the cph-bench command of args, for the record, with
// passwords taken out of URLs.
func commandLine(args []string) string {
	parts := []string{"cph-bench"}
	for _, a := range args {
		if strings.HasPrefix(a, "postgres://") || strings.HasPrefix(a, "postgresql://") {
			a = redactURL(a)
		}
		if strings.ContainsAny(a, " '\"&?*$") {
			a = "'" + a + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
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
