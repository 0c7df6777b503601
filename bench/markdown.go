package bench

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencph/opencph/bench/enginebase"
)

// RunSet is the runs made on one database.
type RunSet struct {
	// Database is "sqlite" or "postgres"; URL the PostgreSQL URL without
	// its password.
	Database string
	URL      string
	Reports  []*Report
}

// MarkdownInput is what WriteMarkdown writes.
type MarkdownInput struct {
	// Command is the command line that made the runs.
	Command string
	Sets    []*RunSet
	GoBench *GoBenchResult
	// Repeat is the runs asked for on each database.
	Repeat int
}

// spreadWarn is the range, relative to the median, beyond which a figure
// is marked as moving between runs.
const spreadWarn = 0.10

// stat is the median and range of a figure over runs.
type stat struct {
	n             int
	med, min, max float64
}

func statOf(vals []float64) stat {
	if len(vals) == 0 {
		return stat{}
	}
	v := slices.Clone(vals)
	slices.Sort(v)
	s := stat{n: len(v), min: v[0], max: v[len(v)-1]}
	if len(v)%2 == 1 {
		s.med = v[len(v)/2]
	} else {
		s.med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return s
}

// moves reports whether the figure's range exceeds spreadWarn of its
// median.
func (s stat) moves() bool {
	return s.n > 1 && s.med != 0 && (s.max-s.min)/math.Abs(s.med) > spreadWarn
}

// fmtNum formats v with d decimals and thousands separators.
func fmtNum(v float64, d int) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', d, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && s != strconv.FormatFloat(0, 'f', d, 64) {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// cell formats a figure: the median, and with several runs their range
// (min–max), marked † when it exceeds spreadWarn of the median.
func (s stat) cell(d int) string { return s.cellUnit(d, "") }

// cellUnit is cell with a unit after the median.
func (s stat) cellUnit(d int, unit string) string {
	if s.n == 0 {
		return "—"
	}
	lo, hi := fmtNum(s.min, d), fmtNum(s.max, d)
	if s.n == 1 || lo == hi {
		return fmtNum(s.med, d) + unit
	}
	c := fmt.Sprintf("%s%s (%s–%s)", fmtNum(s.med, d), unit, lo, hi)
	if s.moves() {
		c += " †"
	}
	return c
}

// over collects a figure from each report; get reports false where the
// report lacks it.
func (set *RunSet) over(get func(r *Report) (float64, bool)) stat {
	var vals []float64
	for _, r := range set.Reports {
		if v, ok := get(r); ok {
			vals = append(vals, v)
		}
	}
	return statOf(vals)
}

// size returns the report's result at phones, or nil.
func (r *Report) size(phones int) *SizeResult {
	for i := range r.Sizes {
		if r.Sizes[i].Phones == phones {
			return &r.Sizes[i]
		}
	}
	return nil
}

// fanout returns the report's fan-out at phones in layout, or nil.
func (r *Report) fanout(phones int, layout string) *FanoutResult {
	for _, f := range r.Fanouts {
		if f.Phones == phones && f.Layout == layout {
			return f
		}
	}
	return nil
}

// engineBaseline returns the report's engine baseline at phones in
// layout, or nil.
func (r *Report) engineBaseline(phones int, layout string) *EngineBaselineResult {
	for _, e := range r.EngineBaselines {
		if e.Phones == phones && e.Layout == layout {
			return e
		}
	}
	return nil
}

// sizeFig is a figure of a size result.
func (set *RunSet) sizeFig(phones int, get func(s *SizeResult) (float64, bool)) stat {
	return set.over(func(r *Report) (float64, bool) {
		if s := r.size(phones); s != nil {
			return get(s)
		}
		return 0, false
	})
}

// loadFig is a figure of a load result of a size.
func (set *RunSet) loadFig(phones int, load func(s *SizeResult) *LoadResult, get func(l *LoadResult) float64) stat {
	return set.sizeFig(phones, func(s *SizeResult) (float64, bool) {
		if l := load(s); l != nil {
			return get(l), true
		}
		return 0, false
	})
}

// fanoutFig is a figure of a fan-out.
func (set *RunSet) fanoutFig(phones int, layout string, get func(f *FanoutResult) (float64, bool)) stat {
	return set.over(func(r *Report) (float64, bool) {
		if f := r.fanout(phones, layout); f != nil {
			return get(f)
		}
		return 0, false
	})
}

// engineFig is a figure of an engine baseline.
func (set *RunSet) engineFig(phones int, layout string, get func(e *EngineBaselineResult) (float64, bool)) stat {
	return set.over(func(r *Report) (float64, bool) {
		if e := r.engineBaseline(phones, layout); e != nil {
			return get(e)
		}
		return 0, false
	})
}

// title is the set's heading.
func (set *RunSet) title() string {
	if set.Database == "postgres" {
		return "PostgreSQL"
	}
	return "SQLite"
}

// fanoutKeys returns the fan-outs and engine baselines of the set's
// reports, by size and layout, in the order they ran.
func (set *RunSet) fanoutKeys() (keys []fanoutKey) {
	for _, r := range set.Reports {
		for _, f := range r.Fanouts {
			if k := (fanoutKey{f.Phones, f.Layout}); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		for _, e := range r.EngineBaselines {
			if k := (fanoutKey{e.Phones, e.Layout}); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

type fanoutKey struct {
	phones int
	layout string
}

// table writes a markdown table.
func table(b *strings.Builder, head []string, rows [][]string) {
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for range head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	b.WriteString("\n")
}

// WriteMarkdown writes every figure of the runs as markdown tables: per
// database the fleet growth and memory, the lists, the fan-outs and their
// engine baselines and the tokens; the targets; the Go benchmarks; and
// each run's plain-text report.
func WriteMarkdown(b *strings.Builder, in MarkdownInput) {
	var first *Report
	for _, set := range in.Sets {
		if len(set.Reports) > 0 && first == nil {
			first = set.Reports[0]
		}
	}
	if first == nil {
		return
	}
	m := first.Machine
	b.WriteString("# OpenCPH performance figures\n\n")
	b.WriteString("Written by cph-bench; do not edit: run the command again.\n\n")
	fmt.Fprintf(b, "- command: `%s`\n", in.Command)
	fmt.Fprintf(b, "- date: %s (start of the first run), written %s\n", first.Date, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(b, "- commit: %s\n", orDash(first.Commit))
	cpu := m.CPUModel
	if cpu == "" {
		cpu = "CPU model unknown"
	}
	fmt.Fprintf(b, "- machine: %s/%s, %d CPUs (%s)\n", m.GOOS, m.GOARCH, m.NumCPU, cpu)
	fmt.Fprintf(b, "- Go: %s\n", m.GoVersion)
	c := first.Config
	fmt.Fprintf(b, "- load: %d workers, %s per list measurement after %s of warm-up, tokens %s; %d phones per server; fan-out of %d batches of 100 phones\n",
		c.Concurrency, c.Duration, c.Warmup, c.TokenDuration, c.PhonesPerServer, c.FanoutRequests)
	for _, set := range in.Sets {
		fmt.Fprintf(b, "- %s: %d of %d runs", set.title(), len(set.Reports), in.Repeat)
		if set.URL != "" {
			fmt.Fprintf(b, " (server %s, a new database for each run)", set.URL)
		}
		b.WriteString("\n")
	}
	if in.Repeat > 1 {
		fmt.Fprintf(b, "\nEach figure is the median of the runs, with their range (min–max) in brackets; † marks a figure whose range exceeds %.0f %% of its median.\n", 100*spreadWarn)
	}
	b.WriteString("\n")
	for _, set := range in.Sets {
		for i, r := range set.Reports {
			if r.Error != "" {
				fmt.Fprintf(b, "**%s, run %d stopped early:** %s\n\n", set.title(), i+1, r.Error)
			}
		}
	}

	writeTargets(b, in.Sets)
	for _, set := range in.Sets {
		if len(set.Reports) > 0 {
			writeSet(b, set)
		}
	}
	if in.GoBench != nil {
		writeGoBench(b, in.GoBench)
	}
	b.WriteString("## Each run's report\n\n")
	for _, set := range in.Sets {
		for i, r := range set.Reports {
			var t strings.Builder
			_ = r.WriteTable(&t)
			fmt.Fprintf(b, "<details><summary>%s, run %d</summary>\n\n```\n%s```\n\n</details>\n\n", set.title(), i+1, t.String())
		}
	}
}

// sizesOf returns the fleet sizes of the set's first report.
func (set *RunSet) sizesOf() []int {
	var out []int
	for _, s := range set.Reports[0].Sizes {
		out = append(out, s.Phones)
	}
	return out
}

func writeSet(b *strings.Builder, set *RunSet) {
	fmt.Fprintf(b, "## %s\n\n", set.title())
	sizes := set.sizesOf()

	b.WriteString("### Fleet growth and memory\n\n")
	var rows [][]string
	prev := 0
	for _, p := range sizes {
		from := prev
		prev = p
		rows = append(rows, []string{fmtNum(float64(p), 0),
			set.sizeFig(p, func(s *SizeResult) (float64, bool) { return float64(s.Servers), true }).cell(0),
			set.sizeFig(p, func(s *SizeResult) (float64, bool) { return s.GrowSeconds, true }).cell(2),
			set.sizeFig(p, func(s *SizeResult) (float64, bool) {
				return float64(s.Phones-from) / s.GrowSeconds, s.GrowSeconds > 0
			}).cell(0),
			set.sizeFig(p, func(s *SizeResult) (float64, bool) { return s.IdleCPHDCPUPercent, s.IdleCPHDCPUPercent >= 0 }).cell(1),
			set.sizeFig(p, func(s *SizeResult) (float64, bool) { return float64(s.CPHDRSSBytes) / (1 << 20), s.CPHDRSSBytes > 0 }).cell(1),
			set.sizeFig(p, func(s *SizeResult) (float64, bool) { return s.CPHDBytesPerPhone, s.CPHDRSSBytes > 0 }).cell(0),
			set.sizeFig(p, func(s *SizeResult) (float64, bool) { return s.BenchBytesPerSimPhone, true }).cell(0),
			set.sizeFig(p, func(s *SizeResult) (float64, bool) { return float64(s.AbnormalPhones), true }).cell(0),
		})
	}
	table(b, []string{"phones", "servers", "grow s", "phones/s", "idle cphd CPU %", "cphd RSS MiB", "cphd bytes/phone", "bench bytes/sim phone", "abnormal phones"}, rows)
	base := set.over(func(r *Report) (float64, bool) {
		return float64(r.CPHDBaseRSSBytes) / (1 << 20), r.CPHDBaseRSSBytes > 0
	})
	peak := set.over(func(r *Report) (float64, bool) {
		return float64(r.CPHDPeakRSSBytes) / (1 << 20), r.CPHDPeakRSSBytes > 0
	})
	fmt.Fprintf(b, "cphd's base memory (no fleet, after its start's garbage is collected): %s MiB; peak (VmHWM at the end): %s MiB. bytes/phone = (RSS − base) / phones, RSS read after the list load.\n\n",
		base.cell(1), peak.cell(1))

	rows = nil
	for _, p := range sizes {
		if set.sizeFig(p, func(s *SizeResult) (float64, bool) { return 0, s.ListFirst != nil }).n == 0 {
			continue
		}
		first := func(s *SizeResult) *LoadResult { return s.ListFirst }
		chg := func(s *SizeResult) *LoadResult { return s.ListChanging }
		deep := func(s *SizeResult) *LoadResult { return s.ListDeep }
		stat := func(s *SizeResult) *LoadResult { return s.Baseline }
		rps := func(l *LoadResult) float64 { return l.RPS }
		p99 := func(l *LoadResult) float64 { return l.Latency.P99Ms }
		rows = append(rows, []string{fmtNum(float64(p), 0),
			set.loadFig(p, first, rps).cell(0), set.loadFig(p, first, p99).cell(2),
			set.loadFig(p, chg, rps).cell(0), set.loadFig(p, chg, p99).cell(2),
			set.sizeFig(p, func(s *SizeResult) (float64, bool) { return s.RestartsPerSecond, s.ListChanging != nil }).cell(0),
			set.loadFig(p, deep, rps).cell(0), set.loadFig(p, deep, p99).cell(2),
			set.loadFig(p, stat, rps).cell(0), set.loadFig(p, stat, p99).cell(2),
			set.sizeFig(p, func(s *SizeResult) (float64, bool) { return s.ListToBaseline, s.ListToBaseline > 0 }).cell(3),
		})
	}
	if len(rows) > 0 {
		b.WriteString("### List phones\n\n`GET /v1/{project_id}/cloud-phone/phones?offset=N&limit=100`: the first page, the first page while one client restarts phones one request after another, the page at half the fleet, and a static Go HTTP server answering the first page's bytes.\n\n")
		table(b, []string{"phones", "list-first req/s", "p99 ms", "while restarting req/s", "p99 ms", "restarts/s", "list-deep req/s", "p99 ms", "static baseline req/s", "p99 ms", "list-first / baseline"}, rows)
	}

	keys := set.fanoutKeys()
	if len(keys) > 0 {
		b.WriteString("### Fan-out and its engine baseline\n\nBatch restarts of 100 distinct phones each, spread (each batch over up to 100 servers) or grouped (each batch on one server); seconds from the first request until cphd acknowledged the last result. The engine baseline makes the same row writes as plain SQL on a database of its own (same engine, schema and fleet), with group commit as in cphd's store and \"plain\", one transaction per write; the ratio is to the faster of the two.\n\n")
		rows = nil
		for _, k := range keys {
			fo := func(get func(f *FanoutResult) float64) stat {
				return set.fanoutFig(k.phones, k.layout, func(f *FanoutResult) (float64, bool) { return get(f), true })
			}
			en := func(get func(r *EngineBaselineResult) (float64, bool)) stat {
				return set.engineFig(k.phones, k.layout, get)
			}
			rows = append(rows, []string{fmtNum(float64(k.phones), 0), k.layout,
				fo(func(f *FanoutResult) float64 { return float64(f.Operations) }).cell(0),
				fo(func(f *FanoutResult) float64 { return f.OpsPerSecond }).cell(0),
				fo(func(f *FanoutResult) float64 { return f.Accept.P99Ms }).cell(1),
				fo(func(f *FanoutResult) float64 { return f.Dispatch.P50Ms }).cell(1),
				fo(func(f *FanoutResult) float64 { return f.Dispatch.P99Ms }).cell(1),
				fo(func(f *FanoutResult) float64 { return f.LoneDispatch.P99Ms }).cell(1),
				fo(func(f *FanoutResult) float64 { return float64(f.Failed + f.Refused + f.Unfinished) }).cell(0),
				en(variant(group, func(r *enginebase.Result) float64 { return r.OpsPerSecond })).cell(0),
				en(variant(plain, func(r *enginebase.Result) float64 { return r.OpsPerSecond })).cell(0),
				set.fanoutFig(k.phones, k.layout, func(f *FanoutResult) (float64, bool) { return f.ToEngineBaseline, f.ToEngineBaseline > 0 }).cell(3),
			})
		}
		table(b, []string{"phones", "layout", "operations", "fan-out ops/s", "accept p99 ms", "dispatch p50 ms", "dispatch p99 ms", "lone operation dispatch p99 ms", "not succeeded", "engine baseline, group commit ops/s", "engine baseline, plain ops/s", "fan-out / baseline"}, rows)
		rows = nil
		for _, k := range keys {
			en := func(get func(r *EngineBaselineResult) (float64, bool)) stat {
				return set.engineFig(k.phones, k.layout, get)
			}
			if en(func(e *EngineBaselineResult) (float64, bool) { return 0, e.GroupCommit != nil }).n == 0 {
				continue
			}
			final := "yes"
			for _, r := range set.Reports {
				if e := r.engineBaseline(k.phones, k.layout); e != nil && (e.GroupCommit == nil || !e.GroupCommit.Final.OK() || e.Plain == nil || !e.Plain.Final.OK()) {
					final = "NO"
				}
			}
			rows = append(rows, []string{fmtNum(float64(k.phones), 0), k.layout,
				en(variant(group, func(r *enginebase.Result) float64 { return float64(r.Transactions) })).cell(0),
				en(variant(group, func(r *enginebase.Result) float64 { return r.OpsPerClaim })).cell(1),
				en(variant(plain, func(r *enginebase.Result) float64 { return float64(r.Transactions) })).cell(0),
				en(variant(plain, func(r *enginebase.Result) float64 { return r.OpsPerClaim })).cell(1),
				en(func(e *EngineBaselineResult) (float64, bool) { return e.SeedSeconds, true }).cell(1),
				final,
			})
		}
		if len(rows) > 0 {
			b.WriteString("The engine baseline's transactions (accepts, claims and result writes, shared under group commit) and operations per claim:\n\n")
			table(b, []string{"phones", "layout", "transactions", "ops/claim", "plain: transactions", "plain: ops/claim", "seed s", "all rows final"}, rows)
		}
	}

	iss := set.over(func(r *Report) (float64, bool) { return rpsOf(r.TokenIssue) })
	if iss.n > 0 {
		b.WriteString("### Tokens\n\n")
		p99 := func(l *LoadResult) (float64, bool) {
			if l == nil {
				return 0, false
			}
			return l.Latency.P99Ms, true
		}
		table(b, []string{"measurement", "req/s", "p99 ms"}, [][]string{
			{"issue: `POST /v3/auth/tokens?nocatalog=true`", iss.cell(1), set.over(func(r *Report) (float64, bool) { return p99(r.TokenIssue) }).cell(1)},
			{"validate: `GET /v3/auth/tokens`", set.over(func(r *Report) (float64, bool) { return rpsOf(r.TokenValidate) }).cell(0),
				set.over(func(r *Report) (float64, bool) { return p99(r.TokenValidate) }).cell(2)},
		})
	}
}

// group and plain select a variant of an engine baseline.
func group(e *EngineBaselineResult) *enginebase.Result { return e.GroupCommit }
func plain(e *EngineBaselineResult) *enginebase.Result { return e.Plain }

// variant returns a figure of the variant sel of an engine baseline, for
// engineFig; a variant that did not run has none.
func variant(sel func(*EngineBaselineResult) *enginebase.Result, get func(*enginebase.Result) float64) func(*EngineBaselineResult) (float64, bool) {
	return func(e *EngineBaselineResult) (float64, bool) {
		if r := sel(e); r != nil {
			return get(r), true
		}
		return 0, false
	}
}

func rpsOf(l *LoadResult) (float64, bool) {
	if l == nil {
		return 0, false
	}
	return l.RPS, true
}

// writeTargets writes the performance targets with the figures that
// decide them.
func writeTargets(b *strings.Builder, sets []*RunSet) {
	var rows [][]string
	verdict := func(s stat, met func(float64) bool) string {
		switch {
		case s.n == 0:
			return "not measured"
		case met(s.med):
			return "met"
		}
		return "not met"
	}
	for _, set := range sets {
		if len(set.Reports) == 0 {
			continue
		}
		db := set.title()
		sizes := set.sizesOf()
		at := sizes[len(sizes)-1]
		if slices.Contains(sizes, 100000) {
			at = 100000
		}
		r := set.sizeFig(at, func(s *SizeResult) (float64, bool) { return s.ListToBaseline, s.ListToBaseline > 0 })
		rows = append(rows, []string{db, fmt.Sprintf("first-page list ≥ 0.5× the static baseline at %s phones", fmtNum(float64(at), 0)), r.cellUnit(3, "×"),
			verdict(r, func(v float64) bool { return v >= 0.5 })})
		if len(sizes) > 1 {
			lo, hi := sizes[0], sizes[len(sizes)-1]
			p99 := func(p int) stat {
				return set.loadFig(p, func(s *SizeResult) *LoadResult { return s.ListFirst }, func(l *LoadResult) float64 { return l.Latency.P99Ms })
			}
			ratio := set.over(func(r *Report) (float64, bool) {
				a, z := r.size(lo), r.size(hi)
				if a == nil || z == nil || a.ListFirst == nil || z.ListFirst == nil || a.ListFirst.Latency.P99Ms == 0 {
					return 0, false
				}
				return z.ListFirst.Latency.P99Ms / a.ListFirst.Latency.P99Ms, true
			})
			rows = append(rows, []string{db, fmt.Sprintf("p99 of the first page at %s phones ≤ 2× its p99 at %s", fmtNum(float64(hi), 0), fmtNum(float64(lo), 0)),
				fmt.Sprintf("%s vs %s: %s", p99(hi).cellUnit(2, " ms"), p99(lo).cellUnit(2, " ms"), ratio.cellUnit(2, "×")), verdict(ratio, func(v float64) bool { return v <= 2 })})
		}
		for _, k := range set.fanoutKeys() {
			ops := set.fanoutFig(k.phones, k.layout, func(f *FanoutResult) (float64, bool) { return f.OpsPerSecond, true })
			if ops.n == 0 {
				continue
			}
			toBase := set.fanoutFig(k.phones, k.layout, func(f *FanoutResult) (float64, bool) { return f.ToEngineBaseline, f.ToEngineBaseline > 0 })
			fig := ops.cellUnit(0, " ops/s")
			if toBase.n > 0 {
				fig += fmt.Sprintf("; %s the engine baseline", toBase.cellUnit(3, "×"))
			}
			rows = append(rows, []string{db, fmt.Sprintf("fan-out ≥ 10,000 phone operations/s, %s, %s phones", k.layout, fmtNum(float64(k.phones), 0)), fig,
				verdict(ops, func(v float64) bool { return v >= 10000 })})
			d := set.fanoutFig(k.phones, k.layout, func(f *FanoutResult) (float64, bool) { return f.Dispatch.P99Ms, f.Dispatch.Count > 0 })
			rows = append(rows, []string{db, fmt.Sprintf("dispatch latency p99 < 50 ms, %s, %s phones", k.layout, fmtNum(float64(k.phones), 0)), d.cellUnit(1, " ms"),
				verdict(d, func(v float64) bool { return v < 50 })})
			lone := set.fanoutFig(k.phones, k.layout, func(f *FanoutResult) (float64, bool) { return f.LoneDispatch.P99Ms, f.LoneDispatch.Count > 0 })
			if lone.n > 0 {
				rows = append(rows, []string{db, fmt.Sprintf("a lone operation on the idle fleet dispatched in < 10 ms (p99 of %d), %s phones", loneOperations, fmtNum(float64(k.phones), 0)), lone.cellUnit(1, " ms"),
					verdict(lone, func(v float64) bool { return v < 10 })})
			}
		}
		mem := set.sizeFig(at, func(s *SizeResult) (float64, bool) { return s.CPHDBytesPerPhone, s.CPHDRSSBytes > 0 })
		hi := sizes[len(sizes)-1]
		memHi := set.sizeFig(hi, func(s *SizeResult) (float64, bool) { return s.CPHDBytesPerPhone, s.CPHDRSSBytes > 0 })
		what, fig := fmt.Sprintf("cphd memory < 1 KiB per phone beyond its base, %s phones", fmtNum(float64(hi), 0)), memHi.cellUnit(0, " B")
		if at != hi {
			what = fmt.Sprintf("cphd memory < 1 KiB per phone beyond its base, %s and %s phones", fmtNum(float64(at), 0), fmtNum(float64(hi), 0))
			fig = mem.cellUnit(0, " B") + ", " + fig
		}
		rows = append(rows, []string{db, what, fig, verdict(memHi, func(v float64) bool { return v < 1024 })})
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("## Targets\n\n")
	table(b, []string{"database", "target", "figure", "verdict (median)"}, rows)
}

func writeGoBench(b *strings.Builder, g *GoBenchResult) {
	b.WriteString("## Go benchmarks\n\n")
	fmt.Fprintf(b, "`%s`: time per operation", g.Command)
	if !g.PostgreSQL {
		b.WriteString(" (no PostgreSQL database given: SQLite only)")
	}
	b.WriteString(".\n\n")
	cell := func(vals []float64) string {
		s := statOf(vals)
		if s.n == 0 {
			return ""
		}
		// One unit for the median and the range.
		unit, div := "ns", 1.0
		switch {
		case s.med >= 1e6:
			unit, div = "ms", 1e6
		case s.med >= 1e3:
			unit, div = "µs", 1e3
		}
		d := 2
		if s.med/div >= 100 {
			d = 1
		}
		lo, hi := fmtNum(s.min/div, d), fmtNum(s.max/div, d)
		if s.n == 1 || lo == hi {
			return fmtNum(s.med/div, d) + " " + unit
		}
		c := fmt.Sprintf("%s %s (%s–%s)", fmtNum(s.med/div, d), unit, lo, hi)
		if s.moves() {
			c += " †"
		}
		return c
	}
	var rows [][]string
	for _, bm := range g.Benchmarks {
		rows = append(rows, []string{"`" + bm.Package + "` `" + bm.Name + "`", cell(bm.NsPerOp["sqlite"]), cell(bm.NsPerOp["postgres"])})
	}
	table(b, []string{"benchmark", "SQLite", "PostgreSQL"}, rows)
}
