package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/opencph/opencph/bench/enginebase"
)

// Report is everything one run measured, with the machine and the
// configuration. It is what "-o json" prints.
type Report struct {
	Machine Machine `json:"machine"`
	// Commit is the version-control revision cph-bench was built from
	// (with "+modified" for a work tree with changes), if known; Date
	// when the run started (RFC 3339, UTC).
	Commit string       `json:"commit,omitempty"`
	Date   string       `json:"date"`
	Config ReportConfig `json:"config"`
	Sizes  []SizeResult `json:"sizes"`
	// Fanouts are the fan-out measurements, by fleet size and layout.
	Fanouts []*FanoutResult `json:"fanouts,omitempty"`
	// EngineBaselines are the engine baselines of the fan-outs, by fleet
	// size and layout.
	EngineBaselines []*EngineBaselineResult `json:"engine_baselines,omitempty"`
	// TokenIssue is POST /v3/auth/tokens (password login), at the largest
	// fleet size.
	TokenIssue *LoadResult `json:"token_issue,omitempty"`
	// TokenValidate is GET /v3/auth/tokens with X-Auth-Token and
	// X-Subject-Token set to the same token.
	TokenValidate *LoadResult `json:"token_validate,omitempty"`
	// CPHDStartRSSBytes is cphd's resident memory right after it
	// answered /healthz; CPHDBaseRSSBytes its memory with no fleet once
	// the garbage of its start was collected (see the table's notes). Both
	// are 0 when cphd is not cph-bench's child.
	CPHDStartRSSBytes int64 `json:"cphd_start_rss_bytes,omitempty"`
	CPHDBaseRSSBytes  int64 `json:"cphd_base_rss_bytes,omitempty"`
	// CPHDPeakRSSBytes is cphd's peak resident memory (VmHWM) at the end.
	CPHDPeakRSSBytes int64 `json:"cphd_peak_rss_bytes,omitempty"`
	// CPHDLog is the file cphd logged to.
	CPHDLog string `json:"cphd_log,omitempty"`
	// Notes are things the reader must know, such as a reduced fan-out.
	Notes []string `json:"notes,omitempty"`
	// Error says why the run stopped early; the report holds what was
	// measured until then.
	Error string `json:"error,omitempty"`
}

// Machine describes where the run took place.
type Machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	NumCPU    int    `json:"num_cpu"`
	CPUModel  string `json:"cpu_model,omitempty"`
	GoVersion string `json:"go_version"`
	// Database is "sqlite" or "postgres" for cph-bench's own cphd, and
	// "unknown" for a --target.
	Database string `json:"database"`
}

// ReportConfig is the configuration of the run, as reported.
type ReportConfig struct {
	Sizes             []int    `json:"sizes"`
	PhonesPerServer   int      `json:"phones_per_server"`
	BootTime          string   `json:"boot_time"`
	Concurrency       int      `json:"concurrency"`
	Duration          string   `json:"duration"`
	Warmup            string   `json:"warmup"`
	TokenDuration     string   `json:"token_duration"`
	IdleDuration      string   `json:"idle_duration"`
	Scenarios         []string `json:"scenarios"`
	FanoutAt          []int    `json:"fanout_at"`
	FanoutLayout      string   `json:"fanout_layout"`
	FanoutRequests    int      `json:"fanout_requests"`
	EnrollConcurrency int      `json:"enroll_concurrency"`
	Target            string   `json:"target,omitempty"`
	CPHDLogLevel      string   `json:"cphd_log_level,omitempty"`
}

// SizeResult is what was measured at one fleet size.
type SizeResult struct {
	Phones  int `json:"phones"`
	Servers int `json:"servers"`
	// EnrollSeconds is how long the enrollment requests that grew the
	// fleet from the previous size took; GrowSeconds adds the wait until
	// every new agent had started its session and created its phones.
	EnrollSeconds float64 `json:"enroll_seconds"`
	GrowSeconds   float64 `json:"grow_seconds"`

	// ListCount is the count the first page reported; ListBodyBytes the
	// size of that page.
	ListCount     int         `json:"list_count,omitempty"`
	ListBodyBytes int         `json:"list_body_bytes,omitempty"`
	ListFirst     *LoadResult `json:"list_first,omitempty"`
	DeepOffset    int         `json:"deep_offset,omitempty"`
	ListDeep      *LoadResult `json:"list_deep,omitempty"`
	// ListChanging is list-first while phones keep changing: one client
	// restarts phones one request after another (RestartsPerSecond), and
	// every change makes cphd read the page from the database again.
	ListChanging      *LoadResult `json:"list_first_while_changing,omitempty"`
	RestartsPerSecond float64     `json:"restarts_per_second,omitempty"`
	// Baseline is the same load against a static server answering the
	// first page's bytes.
	Baseline       *LoadResult `json:"baseline,omitempty"`
	ListToBaseline float64     `json:"list_first_to_baseline,omitempty"`

	// CPHDRSSBytes is cphd's resident memory after the fleet grew and the
	// list load ran; CPHDBytesPerPhone is its growth over the base, per
	// phone.
	CPHDRSSBytes      int64   `json:"cphd_rss_bytes,omitempty"`
	CPHDBytesPerPhone float64 `json:"cphd_bytes_per_phone,omitempty"`
	// IdleCPHDCPUPercent and IdleBenchCPUPercent are the CPU used by cphd
	// and by cph-bench (the agents) while the fleet was idle, just after
	// it grew, in percent of one CPU: the fleet's background cost (agent
	// long-polls and heartbeats). -1 where not measured.
	IdleCPHDCPUPercent  float64 `json:"idle_cphd_cpu_percent"`
	IdleBenchCPUPercent float64 `json:"idle_bench_cpu_percent"`
	// AbnormalPhones is how many phones of the fleet were abnormal (-7,
	// their server's agent deemed silent) after the measurements at this
	// size; -1 if it could not be read.
	AbnormalPhones int `json:"abnormal_phones"`
	// BenchHeapBytes and BenchRSSBytes are cph-bench's own memory (live
	// heap after a GC, resident set); BenchBytesPerSimPhone is the heap's
	// growth per phone of the simulated fleet (sim phones, agents,
	// connections).
	BenchHeapBytes        int64   `json:"bench_heap_bytes"`
	BenchRSSBytes         int64   `json:"bench_rss_bytes,omitempty"`
	BenchBytesPerSimPhone float64 `json:"bench_bytes_per_sim_phone"`
}

// FanoutResult is the fan-out measurement: batch restarts of distinct
// phones, until every job is final.
type FanoutResult struct {
	// Phones is the fleet size it ran at.
	Phones           int `json:"phones"`
	Requests         int `json:"requests"`
	PhonesPerRequest int `json:"phones_per_request"`
	// Layout is how the batches pick their phones: spread or grouped.
	Layout string `json:"layout"`
	// Operations is the number of jobs accepted; Refused the phones the
	// batches refused; RequestErrors the batch requests that failed.
	Operations    int `json:"operations"`
	Refused       int `json:"refused"`
	RequestErrors int `json:"request_errors"`
	// RefusedCodes counts the refused phones by error code.
	RefusedCodes map[string]int `json:"refused_codes,omitempty"`
	// Succeeded and Failed count the final jobs; FailedCodes the failed
	// ones by error code; Unfinished the jobs not final at the timeout.
	Succeeded   int            `json:"succeeded"`
	Failed      int            `json:"failed"`
	FailedCodes map[string]int `json:"failed_codes,omitempty"`
	Unfinished  int            `json:"unfinished"`
	// Seconds runs from the first batch request sent until cphd had
	// applied the last result (acknowledged to the agent that reported
	// it); the jobs are then read through the API to check they are final.
	Seconds      float64 `json:"seconds"`
	OpsPerSecond float64 `json:"operations_per_second"`
	// Accept is the round trip of the batch requests.
	Accept Latency `json:"accept_latency"`
	// Dispatch is the time from acceptance (the operation's queued_at) to
	// the arrival at an agent, over every delivered operation.
	Dispatch Latency `json:"dispatch_latency"`
	// LoneDispatch is the dispatch latency of single-phone restarts sent
	// one at a time on the idle fleet before the burst, each waited for.
	LoneDispatch Latency `json:"lone_dispatch_latency"`
	// DispatchMissing counts delivered operations without queued_at.
	DispatchMissing int64 `json:"dispatch_missing,omitempty"`
	// EngineBaselineOpsPerSecond is the engine baseline's rate for the
	// same size and layout (the faster of group commit and plain
	// transactions), and ToEngineBaseline the fan-out's rate over it; zero
	// when the baseline did not run.
	EngineBaselineOpsPerSecond float64 `json:"engine_baseline_operations_per_second,omitempty"`
	ToEngineBaseline           float64 `json:"fanout_to_engine_baseline,omitempty"`
	Polls                      int     `json:"polls"`
	PollErrors                 int     `json:"poll_errors"`
	FirstError                 string  `json:"first_error,omitempty"`
}

// orDash returns s, or "-" if it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mib formats bytes in MiB.
func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64)
}

// pct formats a CPU percentage, "-" when not measured.
func pct(v float64) string {
	if v < 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// num formats a float with d decimals, "-" for zero.
func num(v float64, d int) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

// WriteTable prints the report as tables with units.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "OpenCPH benchmark: %s/%s, %d CPUs", m.GOOS, m.GOARCH, m.NumCPU)
	if m.CPUModel != "" {
		fmt.Fprintf(&b, " (%s)", m.CPUModel)
	}
	fmt.Fprintf(&b, ", %s, database %s\n", m.GoVersion, m.Database)
	if r.Commit != "" || r.Date != "" {
		fmt.Fprintf(&b, "commit %s, started %s\n", orDash(r.Commit), orDash(r.Date))
	}
	c := r.Config
	fmt.Fprintf(&b, "load: %d workers, %s per measurement after %s warm-up; %d phones per server, boot time %s",
		c.Concurrency, c.Duration, c.Warmup, c.PhonesPerServer, c.BootTime)
	if c.Target != "" {
		fmt.Fprintf(&b, "; target %s", c.Target)
	} else {
		fmt.Fprintf(&b, "; cphd: child process, log level %s", c.CPHDLogLevel)
	}
	b.WriteString("\n\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	b.WriteString("Fleet growth and memory\n")
	fmt.Fprintln(tw, "phones\tservers\tenroll s\tgrow s\tphones/s\tidle cphd CPU %\tidle bench CPU %\tcphd RSS MiB\tcphd bytes/phone\tbench heap MiB\tbench bytes/sim phone\tabnormal phones\t")
	prev := 0
	for _, s := range r.Sizes {
		rate := 0.0
		if s.GrowSeconds > 0 {
			rate = float64(s.Phones-prev) / s.GrowSeconds
		}
		prev = s.Phones
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", s.Phones, s.Servers, num(s.EnrollSeconds, 2), num(s.GrowSeconds, 2),
			num(rate, 0), pct(s.IdleCPHDCPUPercent), pct(s.IdleBenchCPUPercent), mib(s.CPHDRSSBytes), num(s.CPHDBytesPerPhone, 0),
			mib(s.BenchHeapBytes), num(s.BenchBytesPerSimPhone, 0), s.AbnormalPhones)
	}
	tw.Flush()
	if r.CPHDBaseRSSBytes > 0 {
		fmt.Fprintf(&b, "cphd RSS: %s MiB right after start, base %s MiB (no fleet, after 2 s of list requests and the GC), peak %s MiB (VmHWM at the end);\n",
			mib(r.CPHDStartRSSBytes), mib(r.CPHDBaseRSSBytes), mib(r.CPHDPeakRSSBytes))
		b.WriteString("cphd RSS at each size is read after the list load; bytes/phone = (RSS - base) / phones.\n")
	}
	if c.IdleDuration != "" {
		fmt.Fprintf(&b, "idle CPU: %% of one CPU used while the fleet sat idle for %s after growing (agent long-polls and heartbeats).\n", c.IdleDuration)
	}

	var errs []string
	for _, s := range r.Sizes {
		if s.AbnormalPhones != 0 {
			errs = append(errs, fmt.Sprintf("at %d phones: %d phones abnormal (-7) after the measurements: cphd deemed their servers' agents silent (see the cphd log)",
				s.Phones, s.AbnormalPhones))
		}
	}
	addErrs := func(what string, l *LoadResult) {
		if l != nil && l.Errors > 0 {
			errs = append(errs, fmt.Sprintf("%s: %d errors of %d requests; statuses %s; transport errors %d; first: %s",
				what, l.Errors, l.Requests, statuses(l.Statuses), l.TransportErrors, l.FirstError))
		}
	}
	loadHeader := "\tphones\treq/s\tp50 ms\tp99 ms\tp99.9 ms\tmax ms\tbytes/resp\trequests\terrors\t\n"
	loadRow := func(name string, phones int, l *LoadResult) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t\n", name, phones, l.RPS, l.Latency.P50Ms, l.Latency.P99Ms,
			l.Latency.P999Ms, l.Latency.MaxMs, l.BytesPerResponse, l.Requests, l.Errors)
	}
	if slices.ContainsFunc(r.Sizes, func(s SizeResult) bool { return s.ListFirst != nil }) {
		b.WriteString("\nList phones: GET /v1/{project_id}/cloud-phone/phones?offset=N&limit=100\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "measurement"+loadHeader)
		for _, s := range r.Sizes {
			if s.ListFirst == nil {
				continue
			}
			loadRow("list-first (offset 0)", s.Phones, s.ListFirst)
			addErrs(fmt.Sprintf("list-first at %d phones", s.Phones), s.ListFirst)
			if s.ListChanging != nil {
				loadRow(fmt.Sprintf("list-first, %.0f restarts/s", s.RestartsPerSecond), s.Phones, s.ListChanging)
				addErrs(fmt.Sprintf("list-first while changing at %d phones", s.Phones), s.ListChanging)
			}
			if s.ListDeep != nil {
				loadRow(fmt.Sprintf("list-deep (offset %d)", s.DeepOffset), s.Phones, s.ListDeep)
				addErrs(fmt.Sprintf("list-deep at %d phones", s.Phones), s.ListDeep)
			}
			if s.Baseline != nil {
				loadRow("static baseline, same bytes", s.Phones, s.Baseline)
				addErrs(fmt.Sprintf("baseline at %d phones", s.Phones), s.Baseline)
				fmt.Fprintf(tw, "list-first / baseline\t%d\t%.3fx\t\t\t\t\t\t\t\t\n", s.Phones, s.ListToBaseline)
			}
		}
		tw.Flush()
	}

	for _, f := range r.Fanouts {
		layout := "each batch spread over up to 100 servers"
		if f.Layout == "grouped" {
			layout = "each batch on one server"
		}
		fmt.Fprintf(&b, "\nFan-out at %d phones: %d batch-restart requests x %d distinct phones (%s), right after the fleet grew;\n", f.Phones, f.Requests, f.PhonesPerRequest, layout)
		fmt.Fprintf(&b, "seconds: from the first request sent until cphd acknowledged the last result to its agent (each job final then; the jobs API is checked after)\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "operations\tsucceeded\tfailed\trefused\tunfinished\tseconds\tops/s\taccept p50 ms\taccept p99 ms\tdispatch p50 ms\tdispatch p99 ms\tdispatch samples\tengine baseline ops/s\tfan-out / baseline\t")
		ratio := "-"
		if f.ToEngineBaseline > 0 {
			ratio = fmt.Sprintf("%.3fx", f.ToEngineBaseline)
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%.3f\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%s\t%s\t\n", f.Operations, f.Succeeded, f.Failed, f.Refused, f.Unfinished,
			f.Seconds, f.OpsPerSecond, f.Accept.P50Ms, f.Accept.P99Ms, f.Dispatch.P50Ms, f.Dispatch.P99Ms, f.Dispatch.Count, num(f.EngineBaselineOpsPerSecond, 1), ratio)
		tw.Flush()
		if f.LoneDispatch.Count > 0 {
			fmt.Fprintf(&b, "lone operations on the idle fleet before the burst (%d single-phone restarts, one at a time): dispatch p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
				f.LoneDispatch.Count, f.LoneDispatch.P50Ms, f.LoneDispatch.P99Ms, f.LoneDispatch.MaxMs)
		}
		if f.Failed > 0 || f.Refused > 0 || f.Unfinished > 0 || f.RequestErrors > 0 || f.PollErrors > 0 || f.DispatchMissing > 0 {
			errs = append(errs, fmt.Sprintf("fan-out (%d phones, %s): %d failed jobs (codes %v), %d refused phones (codes %v), %d unfinished jobs, %d failed batch requests, %d failed polls, %d operations without queued_at; first: %s",
				f.Phones, f.Layout, f.Failed, f.FailedCodes, f.Refused, f.RefusedCodes, f.Unfinished, f.RequestErrors, f.PollErrors, f.DispatchMissing, f.FirstError))
		}
	}
	if len(r.EngineBaselines) > 0 {
		b.WriteString("\nEngine baseline: the fan-out's row writes as plain SQL on a database of its own (same engine and schema, same fleet, no engine, HTTP or agents);\n")
		b.WriteString("per batch of 100 phones one accept (phones restarting, jobs, operations), per server claims and results as its operations arrive;\n")
		b.WriteString("group commit: writes arriving together share a transaction, as in cphd's store; plain: one transaction per write;\n")
		b.WriteString("the fan-out's \"engine baseline ops/s\" is the faster of the two\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "phones\tlayout\tcommit\toperations\tseconds\tops/s\ttransactions\tclaims\tops/claim\tseed s\trows final\t")
		for _, e := range r.EngineBaselines {
			for _, x := range []struct {
				name string
				r    *enginebase.Result
			}{{"group", e.GroupCommit}, {"plain", e.Plain}} {
				if x.r == nil {
					continue
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%.3f\t%.1f\t%d\t%d\t%.1f\t%.1f\t%v\t\n", e.Phones, e.Layout, x.name, x.r.Operations, x.r.Seconds, x.r.OpsPerSecond,
					x.r.Transactions, x.r.Claims, x.r.OpsPerClaim, e.SeedSeconds, x.r.Final.OK())
			}
		}
		tw.Flush()
	}

	if r.TokenIssue != nil || r.TokenValidate != nil {
		phones := 0
		if len(r.Sizes) > 0 {
			phones = r.Sizes[len(r.Sizes)-1].Phones
		}
		fmt.Fprintf(&b, "\nTokens (%s per measurement)\n", c.TokenDuration)
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "measurement"+loadHeader)
		if r.TokenIssue != nil {
			loadRow("issue: POST /v3/auth/tokens?nocatalog=true", phones, r.TokenIssue)
			addErrs("token issue", r.TokenIssue)
		}
		if r.TokenValidate != nil {
			loadRow("validate: GET /v3/auth/tokens", phones, r.TokenValidate)
			addErrs("token validation", r.TokenValidate)
		}
		tw.Flush()
	}

	if len(errs) > 0 {
		b.WriteString("\nERRORS\n")
		for _, e := range errs {
			b.WriteString("  " + e + "\n")
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nNotes\n")
		for _, n := range r.Notes {
			b.WriteString("  " + n + "\n")
		}
	}
	if r.CPHDLog != "" {
		fmt.Fprintf(&b, "\ncphd log: %s\n", r.CPHDLog)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "\nTHE RUN STOPPED EARLY: %s\n", r.Error)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// statuses formats status counts in order.
func statuses(m map[int]int64) string {
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d×%d", code, m[code]))
	}
	return strings.Join(parts, " ")
}
