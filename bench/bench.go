// Package bench is the logic of cph-bench, OpenCPH's load tool: it
// measures how fast cphd answers and how that changes with the size of
// the fleet.
//
// By default it starts its own cphd as a child process (the same
// executable, run with the hidden first argument "cphd"; see ChildMain),
// on a temporary data dir and a free loopback port, so that cphd's memory
// can be read from /proc. It grows a simulated fleet to each size in turn
// by enrolling servers through the real agent protocol and running one
// in-process agent.Agent with a runtime/sim driver per server, and at
// each size it measures:
//
//   - list-first and list-deep: GET .../phones?offset=N&limit=100, at
//     offset 0 and at half the fleet, with Concurrency workers;
//   - the static baseline: the same load against a trivial Go HTTP server
//     (another child process) that answers the first page's bytes;
//   - cphd's resident memory, against its memory at start.
//
// At each size of FanoutAt (default: the largest), right after the fleet
// has grown to it and before the list load, it sends batch restarts of
// distinct phones spread over the servers or grouped on one server each
// and polls their jobs until every one is final (fan-out), and then runs
// the fan-out's engine baseline: the same row writes as plain SQL on a
// database of its own (package enginebase); after the last size it
// measures token issue (password login) and token validation. After each
// size it counts the phones cphd marked abnormal because it deemed their
// agent silent.
//
// Load is closed-loop: each worker sends one request after another and
// reads every answer in full; latencies are recorded per request and
// percentiles taken by nearest rank. Errors are counted and reported,
// never dropped.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/opencph/opencph/bench/enginebase"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/internal/buildinfo"
)

// Config configures a run. Zero fields take the defaults of the
// cph-bench flags, except Sizes.
type Config struct {
	// Sizes are the fleet sizes, in phones, in increasing order.
	Sizes []int
	// PhonesPerServer is the most phones of one enrolled server
	// (default and maximum engine.MaxEnrolledPhones).
	PhonesPerServer int
	// BootTime is the simulated phones' boot time.
	BootTime time.Duration
	// Concurrency is the number of load workers (default 16).
	Concurrency int
	// Duration is how long each list measurement records (default 10s);
	// Warmup runs before it (default 1s); TokenDuration is the
	// token measurements' duration (default 5s).
	Duration      time.Duration
	Warmup        time.Duration
	TokenDuration time.Duration
	// IdleDuration is how long the fleet sits idle after each growth while
	// the CPU cphd and the agents use is measured (default 3s; negative:
	// not measured).
	IdleDuration time.Duration
	// Scenarios chooses what runs: "list", "fanout", "engine", "token";
	// nil means all.
	Scenarios []string
	// FanoutAt are the fleet sizes at which the fan-out (and the engine
	// baseline) runs; nil means the largest size.
	FanoutAt []int
	// FanoutRequests is the number of batch restarts (default 20) of 100
	// distinct phones each; FanoutTimeout bounds the wait for their jobs
	// (default 10m).
	FanoutRequests int
	FanoutTimeout  time.Duration
	// FanoutLayout says which phones each batch restarts: "spread" (the
	// default) takes one phone per server in turn, so a batch touches up
	// to 100 servers; "grouped" takes the phones server by server, so a
	// batch stays on one server; "both" runs the fan-out spread, then
	// grouped.
	FanoutLayout string
	// EnrollConcurrency is how many enrollments run at once (default 4).
	EnrollConcurrency int

	// Self is the command that runs this program; the child processes are
	// Self plus a hidden first argument (see ChildMain). Default:
	// os.Executable().
	Self []string
	// DataDir holds cphd's data, its log and the baseline bodies; default:
	// a new temporary directory, removed at the end unless KeepData.
	DataDir  string
	KeepData bool
	// Database is a PostgreSQL URL for the child cphd; empty means SQLite
	// in DataDir. With FreshDatabase, the URL only says which server and
	// how: cph-bench creates a new database on it for cphd and drops it at
	// the end (unless KeepData); otherwise cphd uses that database, which
	// should be empty (earlier fleets left in it count in cphd's work).
	// The engine baseline always runs on a database of its own, created
	// on the same server and dropped after.
	Database      string
	FreshDatabase bool
	// CPHDLog is the child cphd's log file (default DataDir/cphd.log) and
	// CPHDLogLevel its level (default info, cphd's default).
	CPHDLog      string
	CPHDLogLevel string
	// CPHDPprof, if set, is where cphd serves Go's profiler.
	CPHDPprof string

	// Target, if set, is the URL of an existing cphd to measure instead of
	// a child; Domain, User, Password and Project log in to it and
	// EnrollToken enrolls the fleet. No memory is measured then.
	Target      string
	Domain      string
	User        string
	Password    string
	Project     string
	EnrollToken string

	// Logger receives progress; nil discards it.
	Logger *slog.Logger
	// AgentLogger receives the agents' logs; nil discards them.
	AgentLogger *slog.Logger
}

// Scenario names.
const (
	ScenarioList   = "list"
	ScenarioFanout = "fanout"
	ScenarioEngine = "engine" // the engine baseline of the fan-out
	ScenarioToken  = "token"
)

// AllScenarios are the scenarios, in the order they run.
var AllScenarios = []string{ScenarioList, ScenarioFanout, ScenarioEngine, ScenarioToken}

// DefaultSizes are the fleet sizes cph-bench grows to by default.
var DefaultSizes = []int{1000, 100000, 1000000}

// withDefaults fills in defaults and checks cfg.
func (cfg Config) withDefaults() (Config, error) {
	if len(cfg.Sizes) == 0 {
		return cfg, errors.New("bench: no fleet sizes")
	}
	cfg.Sizes = slices.Clone(cfg.Sizes)
	for i, n := range cfg.Sizes {
		if n <= 0 {
			return cfg, fmt.Errorf("bench: fleet size %d is not positive", n)
		}
		if i > 0 && n <= cfg.Sizes[i-1] {
			return cfg, fmt.Errorf("bench: fleet sizes must increase (%d after %d)", n, cfg.Sizes[i-1])
		}
	}
	if cfg.PhonesPerServer == 0 {
		cfg.PhonesPerServer = engine.MaxEnrolledPhones
	}
	if cfg.PhonesPerServer < 1 || cfg.PhonesPerServer > engine.MaxEnrolledPhones {
		return cfg, fmt.Errorf("bench: phones per server must be between 1 and %d", engine.MaxEnrolledPhones)
	}
	if cfg.BootTime < 0 {
		return cfg, errors.New("bench: boot time must not be negative")
	}
	cfg.Concurrency = orInt(cfg.Concurrency, 16)
	cfg.Duration = orDur(cfg.Duration, 10*time.Second)
	cfg.Warmup = orDur(cfg.Warmup, time.Second)
	cfg.TokenDuration = orDur(cfg.TokenDuration, 5*time.Second)
	if cfg.IdleDuration == 0 {
		cfg.IdleDuration = 3 * time.Second
	}
	cfg.FanoutRequests = orInt(cfg.FanoutRequests, 20)
	if cfg.FanoutLayout == "" {
		cfg.FanoutLayout = "spread"
	}
	if cfg.FanoutLayout != "spread" && cfg.FanoutLayout != "grouped" && cfg.FanoutLayout != "both" {
		return cfg, fmt.Errorf("bench: fan-out layout %q: want spread, grouped or both", cfg.FanoutLayout)
	}
	cfg.FanoutTimeout = orDur(cfg.FanoutTimeout, 10*time.Minute)
	cfg.EnrollConcurrency = orInt(cfg.EnrollConcurrency, 4)
	if len(cfg.Scenarios) == 0 {
		cfg.Scenarios = slices.Clone(AllScenarios)
	}
	for _, s := range cfg.Scenarios {
		if !slices.Contains(AllScenarios, s) {
			return cfg, fmt.Errorf("bench: unknown scenario %q (%s)", s, strings.Join(AllScenarios, ", "))
		}
	}
	if cfg.Target != "" && cfg.has(ScenarioEngine) {
		// The baseline needs the target's database; leave it out.
		cfg.Scenarios = slices.DeleteFunc(cfg.Scenarios, func(s string) bool { return s == ScenarioEngine })
	}
	if len(cfg.FanoutAt) == 0 {
		cfg.FanoutAt = []int{cfg.Sizes[len(cfg.Sizes)-1]}
	}
	for _, n := range cfg.FanoutAt {
		if !slices.Contains(cfg.Sizes, n) {
			return cfg, fmt.Errorf("bench: the fan-out size %d is not one of the sizes %v", n, cfg.Sizes)
		}
	}
	if cfg.CPHDLogLevel == "" {
		cfg.CPHDLogLevel = "info"
	}
	if cfg.Target != "" {
		if cfg.Domain == "" || cfg.Password == "" || cfg.EnrollToken == "" {
			return cfg, errors.New("bench: --target needs --domain, --password and --enroll-token")
		}
		if cfg.Project == "" {
			cfg.Project = "cn-north-4"
		}
		if cfg.User == "" {
			cfg.User = cfg.Domain
		}
	}
	if len(cfg.Self) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return cfg, fmt.Errorf("bench: find this program to start cphd: %w", err)
		}
		cfg.Self = []string{exe}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AgentLogger == nil {
		cfg.AgentLogger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

func orInt(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

func orDur(v, d time.Duration) time.Duration {
	if v <= 0 {
		return d
	}
	return v
}

// has reports whether scenario s runs.
func (cfg *Config) has(s string) bool { return slices.Contains(cfg.Scenarios, s) }

// layouts returns the fan-out's layouts, in the order they run.
func (cfg *Config) layouts() []string {
	if cfg.FanoutLayout == "both" {
		return []string{"spread", "grouped"}
	}
	return []string{cfg.FanoutLayout}
}

// run is the state of one Run.
type run struct {
	cfg     *Config
	log     *slog.Logger
	self    []string
	dataDir string
	report  *Report

	cphd                            *child // nil with a target
	cphdDatabase                    string // the database URL cphd uses
	api                             *api
	fleet                           *fleet
	domain, user, password, project string
	benchBaseHeap                   int64
	dropDatabase                    func() // drops cphd's fresh database, if any
}

// note adds a note to the report and logs it.
func (b *run) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.report.Notes = append(b.report.Notes, msg)
	b.log.Warn(msg)
}

// Run runs the benchmark and returns its report. On an error the report
// holds what was measured until then.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &run{cfg: &cfg, log: cfg.Logger, self: cfg.Self}
	b.report = &Report{
		Commit: commit(), Date: time.Now().UTC().Format(time.RFC3339),
		Machine: Machine{GOOS: goruntime.GOOS, GOARCH: goruntime.GOARCH, NumCPU: goruntime.NumCPU(), CPUModel: cpuModel(),
			GoVersion: goruntime.Version(), Database: "sqlite"},
		Config: ReportConfig{Sizes: cfg.Sizes, PhonesPerServer: cfg.PhonesPerServer, BootTime: cfg.BootTime.String(),
			Concurrency: cfg.Concurrency, Duration: cfg.Duration.String(), Warmup: cfg.Warmup.String(),
			TokenDuration: cfg.TokenDuration.String(), IdleDuration: cfg.IdleDuration.String(), Scenarios: cfg.Scenarios, FanoutAt: cfg.FanoutAt,
			FanoutLayout: cfg.FanoutLayout, FanoutRequests: cfg.FanoutRequests, EnrollConcurrency: cfg.EnrollConcurrency, Target: cfg.Target},
	}
	switch {
	case cfg.Target != "":
		b.report.Machine.Database = "unknown (target)"
	case cfg.Database != "":
		b.report.Machine.Database = "postgres"
	}

	if b.dataDir = cfg.DataDir; b.dataDir == "" {
		if b.dataDir, err = os.MkdirTemp("", "cph-bench-"); err != nil {
			return nil, fmt.Errorf("bench: data dir: %w", err)
		}
	} else if err := os.MkdirAll(b.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("bench: data dir: %w", err)
	}
	if !cfg.KeepData {
		defer func() {
			if err := os.RemoveAll(b.dataDir); err != nil {
				b.log.Warn("cannot remove the data dir", "dir", b.dataDir, "err", err)
			}
		}()
	} else {
		b.log.Info("data dir kept", "dir", b.dataDir)
	}

	err = b.run(ctx)
	if b.dropDatabase != nil {
		b.dropDatabase()
	}
	return b.report, err
}

// run starts cphd (or logs in to the target), runs every size and the
// scenarios, and stops everything.
func (b *run) run(ctx context.Context) (err error) {
	cfg := b.cfg
	enrollToken := cfg.EnrollToken
	base := cfg.Target
	// Single requests (login, batches, job polls, pages) go through their
	// own pool, sized for the load's concurrency.
	hc := NewLoadClient(cfg.Concurrency)
	defer hc.CloseIdleConnections()
	if cfg.Target == "" {
		if enrollToken, err = b.startCPHD(ctx, hc); err != nil {
			return err
		}
		base = b.cphd.url
		defer func() {
			b.log.Info("stopping cphd")
			if serr := b.cphd.stop(30 * time.Second); serr != nil {
				b.log.Warn("cphd did not stop cleanly", "err", serr)
			}
		}()
	} else {
		b.domain, b.user, b.password, b.project = cfg.Domain, cfg.User, cfg.Password, cfg.Project
	}
	base = strings.TrimRight(base, "/")

	cl, err := client.New(client.Config{Endpoint: base, Domain: b.domain, User: b.user, Password: b.password, Project: b.project, HTTPClient: hc})
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	tok, err := cl.Login(ctx)
	if err != nil {
		return fmt.Errorf("bench: log in: %w", err)
	}
	b.api = &api{base: base, token: tok.Value, projectID: tok.ProjectID, hc: hc}
	if b.cphd != nil {
		if err := b.measureBaseRSS(ctx); err != nil {
			return err
		}
	}

	largest := cfg.Sizes[len(cfg.Sizes)-1]
	b.fleet = newFleet(fleetConfig{
		base: base, enrollToken: enrollToken, projectID: tok.ProjectID, namePrefix: "bench-" + randomHex(3),
		perServer: cfg.PhonesPerServer, bootTime: cfg.BootTime, concurrency: cfg.EnrollConcurrency,
		maxServers: (largest + cfg.PhonesPerServer - 1) / cfg.PhonesPerServer,
		log:        b.log, agentLog: cfg.AgentLogger,
	})
	defer func() {
		b.log.Info("stopping the agents")
		b.fleet.stop()
	}()
	b.benchBaseHeap, _ = benchMemory()

	for _, size := range cfg.Sizes {
		enroll, grow, err := b.fleet.grow(ctx, size)
		if err != nil {
			return err
		}
		r := SizeResult{Phones: size, Servers: len(b.fleet.servers), EnrollSeconds: enroll.Seconds(), GrowSeconds: grow.Seconds()}
		b.log.Info("fleet grown", "phones", size, "servers", r.Servers, "grow", grow.Round(time.Millisecond))
		if err := b.measureIdle(ctx, &r); err != nil {
			return err
		}
		// The fan-out runs first, on the fleet just grown: the deep list
		// load can keep cphd busy long enough for agents to be deemed
		// silent, which would refuse some of its phones.
		if slices.Contains(cfg.FanoutAt, size) && (cfg.has(ScenarioFanout) || cfg.has(ScenarioEngine)) {
			if err := b.fanouts(ctx, size); err != nil {
				return fmt.Errorf("bench: at %d phones: %w", size, err)
			}
		}
		if cfg.has(ScenarioList) {
			err = b.listScenario(ctx, &r)
		} else {
			b.measureMemory(&r)
		}
		b.countAbnormal(ctx, &r)
		b.report.Sizes = append(b.report.Sizes, r)
		if err != nil {
			return fmt.Errorf("bench: at %d phones: %w", size, err)
		}
	}
	if cfg.has(ScenarioToken) {
		if b.report.TokenIssue, b.report.TokenValidate, err = b.tokenScenarios(ctx); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if b.cphd != nil {
		if hwm, err := procStatus(b.cphd.pid(), "VmHWM"); err == nil {
			b.report.CPHDPeakRSSBytes = hwm
		}
	}
	return nil
}

// startCPHD creates the bench account and starts the child cphd. It
// returns the enrollment token.
func (b *run) startCPHD(ctx context.Context, hc *http.Client) (string, error) {
	cfg := b.cfg
	enrollToken := randomHex(16)
	b.domain = "bench-" + randomHex(4)
	b.user, b.password, b.project = b.domain, randomHex(12), "cn-north-4"
	logPath := cfg.CPHDLog
	if logPath == "" {
		logPath = filepath.Join(b.dataDir, "cphd.log")
	}
	if cfg.KeepData || cfg.CPHDLog != "" {
		b.report.CPHDLog = logPath
	}
	b.report.Config.CPHDLogLevel = cfg.CPHDLogLevel
	store := []string{"--data-dir", filepath.Join(b.dataDir, "cphd")}
	if cfg.Database != "" {
		b.cphdDatabase = cfg.Database
		if cfg.FreshDatabase {
			fresh, drop, err := enginebase.ScratchDatabase(ctx, cfg.Database, "cph_bench_")
			if err != nil {
				return "", fmt.Errorf("bench: a new database for cphd: %w", err)
			}
			b.cphdDatabase = fresh
			b.dropDatabase = func() {
				if cfg.KeepData {
					b.log.Info("cphd's database kept", "database", redactURL(fresh))
					return
				}
				if err := drop(); err != nil {
					b.log.Warn("cannot drop cphd's database", "err", err)
				}
			}
		}
		store = append(store, "--database", b.cphdDatabase)
	}
	// The account is made with "cphd admin", which works on a new and on
	// a used database alike.
	admin := append(append([]string{ChildCPHD, "admin", "create-account"}, store...),
		"--domain", b.domain, "--password", b.password, "--project", b.project)
	if err := os.MkdirAll(store[1], 0o700); err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	cmd := execCommand(ctx, b.self, admin)
	cmd.Env = childEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: create the bench account: %w: %s", err, out)
	}

	args := append(append([]string{ChildCPHD, "--listen", "127.0.0.1:0"}, store...),
		"--sim-servers", "0", "--enroll-token", enrollToken, "--log-level", cfg.CPHDLogLevel)
	if cfg.CPHDPprof != "" {
		args = append(args, "--pprof-listen", cfg.CPHDPprof)
	}
	b.log.Info("starting cphd", "data_dir", store[1], "database", b.report.Machine.Database, "log", logPath)
	// On a new database cphd's bootstrap adopts the account as its first.
	env := childEnv("CPH_BOOTSTRAP_DOMAIN="+b.domain, "CPH_BOOTSTRAP_PASSWORD="+b.password, "CPH_BOOTSTRAP_PROJECT="+b.project)
	c, err := startChild(ctx, childSpec{Name: "cphd", Self: b.self, Args: args, Env: env, LogPath: logPath})
	if err != nil {
		return "", err
	}
	b.cphd = c
	if err := waitHealthy(ctx, c, hc, 2*time.Minute); err != nil {
		c.stop(5 * time.Second)
		b.cphd = nil
		return "", err
	}
	b.log.Info("cphd ready", "url", c.url, "pid", c.pid())
	return enrollToken, nil
}

// measureBaseRSS records cphd's memory with no fleet. Starting cphd and
// logging in hash passwords with argon2id (19 MiB each); an idle Go
// program keeps such garbage resident until its next GC. So the base is
// taken after two seconds of list requests on the empty fleet (which run
// the GC) and once the resident set stops shrinking (at most 10 s more).
func (b *run) measureBaseRSS(ctx context.Context) error {
	pid := b.cphd.pid()
	start, err := procStatus(pid, "VmRSS")
	if err != nil {
		b.note("no memory figures: %v", err)
		return nil
	}
	b.report.CPHDStartRSSBytes = start
	l := b.api.getLoad(b.cfg, b.api.phonesURL(0), nil)
	l.Warmup, l.Duration = 0, 2*time.Second
	res, err := runLoad(ctx, l)
	if err != nil {
		return fmt.Errorf("bench: settle cphd's memory: %w", err)
	}
	if res.Errors > 0 {
		return fmt.Errorf("bench: list phones on the empty fleet: %d of %d requests failed; first: %s", res.Errors, res.Requests, res.FirstError)
	}
	last, err := procStatus(pid, "VmRSS")
	if err != nil {
		return err
	}
	for range 20 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: settle cphd's memory: %w", ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
		rss, err := procStatus(pid, "VmRSS")
		if err != nil {
			break
		}
		shrunk := last - rss
		last = min(last, rss)
		if shrunk < 256<<10 {
			break
		}
	}
	b.report.CPHDBaseRSSBytes = last
	b.log.Info("cphd base memory", "rss_mib", mib(last), "right_after_start_mib", mib(start))
	return nil
}

// measureIdle records the CPU cphd and this process use while the fleet
// sits idle for IdleDuration.
func (b *run) measureIdle(ctx context.Context, r *SizeResult) error {
	r.IdleCPHDCPUPercent, r.IdleBenchCPUPercent = -1, -1
	d := b.cfg.IdleDuration
	if d <= 0 {
		return nil
	}
	cpu := func(pid int) time.Duration {
		t, err := procCPU(pid)
		if err != nil {
			return -1
		}
		return t
	}
	cphdPID := 0
	if b.cphd != nil {
		cphdPID = b.cphd.pid()
	}
	c0, b0, t0 := cpu(cphdPID), cpu(os.Getpid()), time.Now()
	select {
	case <-ctx.Done():
		return fmt.Errorf("bench: idle measurement: %w", ctx.Err())
	case <-time.After(d):
	}
	c1, b1, elapsed := cpu(cphdPID), cpu(os.Getpid()), time.Since(t0)
	percent := func(from, to time.Duration) float64 {
		if from < 0 || to < 0 {
			return -1
		}
		return math.Round(1000*float64(to-from)/float64(elapsed)) / 10
	}
	if cphdPID != 0 {
		r.IdleCPHDCPUPercent = percent(c0, c1)
	}
	r.IdleBenchCPUPercent = percent(b0, b1)
	b.log.Info("fleet idle", "phones", r.Phones, "cphd_cpu_percent", r.IdleCPHDCPUPercent, "bench_cpu_percent", r.IdleBenchCPUPercent)
	return nil
}

// benchMemory returns this process's live heap after a GC and its
// resident set size (0 where /proc is missing).
func benchMemory() (heap, rss int64) {
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	rss, _ = procStatus(os.Getpid(), "VmRSS")
	return int64(ms.HeapAlloc), rss
}

// cpuModel returns the CPU's model name from /proc/cpuinfo, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// commit returns the revision this program was built from, or that of
// the work tree it runs in (go run does not record it), with
// "+modified" when the tree has changes; "" if unknown.
func commit() string {
	if bi := buildinfo.Read(); bi.Revision != "" {
		if bi.Modified {
			return bi.Revision + "+modified"
		}
		return bi.Revision
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		rev += "+modified"
	}
	return rev
}

// redactURL returns a URL without its password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
