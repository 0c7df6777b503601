package bench

import (
	"strings"
	"testing"

	"github.com/opencph/opencph/bench/enginebase"
)

func TestStatCell(t *testing.T) {
	for _, c := range []struct {
		vals []float64
		want string
	}{
		{nil, "—"},
		{[]float64{1234.6}, "1,235"},
		{[]float64{100, 104, 102}, "102 (100–104)"},
		{[]float64{100, 120, 90, 110}, "105 (90–120) †"}, // even: mean of the middle two; range 30 > 10 % of 105
		{[]float64{7, 7}, "7"},
	} {
		if got := statOf(c.vals).cell(0); got != c.want {
			t.Errorf("cell(%v) = %q, want %q", c.vals, got, c.want)
		}
	}
	if got := fmtNum(-1234567.891, 2); got != "-1,234,567.89" {
		t.Errorf("fmtNum = %q", got)
	}
}

// TestMarkdownMedians writes the markdown of two runs and checks that the
// tables hold each figure's median and range, and the ratio to the engine
// baseline.
func TestMarkdownMedians(t *testing.T) {
	report := func(listRPS, fanout, base float64) *Report {
		return &Report{
			Machine: Machine{GOOS: "linux", GOARCH: "amd64", NumCPU: 2, CPUModel: "Test CPU", GoVersion: "go1.x", Database: "sqlite"},
			Commit:  "abc123", Date: "2026-12-01T00:00:00Z",
			Config: ReportConfig{Concurrency: 16, Duration: "5s", Warmup: "1s", TokenDuration: "5s", PhonesPerServer: 1000, FanoutRequests: 100},
			Sizes:  []SizeResult{{Phones: 1000, Servers: 1, ListFirst: &LoadResult{RPS: listRPS}, Baseline: &LoadResult{RPS: 2 * listRPS}, ListToBaseline: 0.5}},
			Fanouts: []*FanoutResult{{Phones: 1000, Layout: "grouped", Operations: 1000, OpsPerSecond: fanout,
				EngineBaselineOpsPerSecond: base, ToEngineBaseline: fanout / base}},
			EngineBaselines: []*EngineBaselineResult{{Phones: 1000, Layout: "grouped",
				GroupCommit: &enginebase.Result{OpsPerSecond: base, Final: enginebase.Final{Jobs: 1, JobsSucceeded: 1, Operations: 1, OpsDone: 1}},
				Plain:       &enginebase.Result{OpsPerSecond: base / 2, Final: enginebase.Final{Jobs: 1, JobsSucceeded: 1, Operations: 1, OpsDone: 1}}}},
		}
	}
	// A baseline whose plain variant did not run (it failed) has no
	// figures for it; the others still count.
	failed := report(1000, 10000, 10000)
	failed.EngineBaselines[0].Plain = nil
	failed.Error = "engine baseline: it broke"
	var one strings.Builder
	WriteMarkdown(&one, MarkdownInput{Command: "cph-bench", Repeat: 1, Sets: []*RunSet{{Database: "sqlite", Reports: []*Report{failed}}}})
	if md := one.String(); !strings.Contains(md, "| 1,000 | grouped | 0 | 0.0 | — | — | 0.0 | NO |") || !strings.Contains(md, "run 1 stopped early:** engine baseline: it broke") {
		t.Errorf("a run whose baseline failed:\n%s", md)
	}

	var b strings.Builder
	WriteMarkdown(&b, MarkdownInput{Command: "cph-bench --repeat 2", Repeat: 2,
		Sets: []*RunSet{{Database: "sqlite", Reports: []*Report{report(1000, 9000, 10000), report(1100, 11000, 10000)}}},
		GoBench: &GoBenchResult{Command: "go test", Benchmarks: []GoBenchmark{{Package: "engine", Name: "BenchmarkX/accept",
			NsPerOp: map[string][]float64{"sqlite": {2.2e6, 2.4e6}, "postgres": {4.7e6, 4.7e6}}}}},
	})
	md := b.String()
	for _, want := range []string{
		"- commit: abc123", "2 CPUs (Test CPU)", "- Go: go1.x",
		"| 1,000 | 1,050 (1,000–1,100) |", // list-first req/s
		"| 1,000 | grouped | 1,000 | 10,000 (9,000–11,000) † |",
		"| 10,000 | 5,000 | 1.000 (0.900–1.100) † |", // baselines and the ratio
		"10,000 ops/s (9,000–11,000) †; 1.000× (0.900–1.100) † the engine baseline | met |",
		"| `engine` `BenchmarkX/accept` | 2.30 ms (2.20–2.40) | 4.70 ms |",
		"<summary>SQLite, run 2</summary>",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
pkg: github.com/opencph/opencph/engine
BenchmarkListPhones/db=sqlite/phones=1000/first-2         	    2779	    440123 ns/op
BenchmarkListPhones/db=postgres/phones=1000/first-2       	    2000	    570000 ns/op
BenchmarkListPhones/db=sqlite/phones=1000/first-2         	    2779	    450000 ns/op
PASS
pkg: github.com/opencph/opencph/iam
BenchmarkTokenCheck-2   	 5000000	       420.5 ns/op	      16 B/op
`
	var r GoBenchResult
	parseGoBench([]byte(out), &r)
	if len(r.Benchmarks) != 2 {
		t.Fatalf("%d benchmarks: %+v", len(r.Benchmarks), r.Benchmarks)
	}
	l, tc := r.Benchmarks[0], r.Benchmarks[1]
	if l.Package != "engine" || l.Name != "BenchmarkListPhones/phones=1000/first" || len(l.NsPerOp["sqlite"]) != 2 || l.NsPerOp["postgres"][0] != 570000 {
		t.Errorf("list phones: %+v", l)
	}
	if tc.Package != "iam" || tc.Name != "BenchmarkTokenCheck" || tc.NsPerOp["sqlite"][0] != 420.5 {
		t.Errorf("token check: %+v", tc)
	}
}
