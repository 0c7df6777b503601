package bench_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/opencph/opencph/bench"
	"github.com/opencph/opencph/bench/enginebase"
)

// The test binary is also cph-bench's child processes: run with the hidden
// first argument "cphd" it is cphd, with "static-server" the baseline
// server, as cph-bench itself is.
func TestMain(m *testing.M) {
	if code, ok := bench.ChildMain(os.Args[1:]); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestWholeTool runs cph-bench at a tiny size against a real child cphd
// and checks its JSON report, on SQLite and, with CPH_TEST_DATABASE_URL,
// on PostgreSQL. It asserts what was measured and that nothing failed,
// never how fast anything was.
func TestWholeTool(t *testing.T) {
	if testing.Short() {
		t.Skip("starts cphd and a static server as child processes")
	}
	dbs := map[string]string{"sqlite": "sqlite"}
	if u := os.Getenv("CPH_TEST_DATABASE_URL"); u != "" {
		dbs["postgres"] = u
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) { testWholeTool(t, name, db) })
	}
}

func testWholeTool(t *testing.T, dbName, db string) {
	var stdout, stderr bytes.Buffer
	args := []string{"--sizes", "200", "--phones-per-server", "100", "--duration", "300ms", "--warmup", "100ms",
		"--token-duration", "300ms", "--idle-duration", "300ms", "--fanout-requests", "2", "--fanout-layout", "both",
		"--concurrency", "4", "--cphd-log-level", "warn", "-o", "json", "--database", db}
	getenv := func(string) string { return "" }
	err := bench.Main(t.Context(), args, getenv, &stdout, &stderr)
	if err != nil {
		t.Fatalf("cph-bench: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	var r bench.Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout.String())
	}
	if r.Error != "" || r.Machine.NumCPU < 1 || r.Machine.Database != dbName || r.Config.Concurrency != 4 || r.Date == "" {
		t.Errorf("report header: error %q, machine %+v, config %+v", r.Error, r.Machine, r.Config)
	}
	if len(r.Sizes) != 1 {
		t.Fatalf("%d sizes in the report, want 1", len(r.Sizes))
	}
	s := r.Sizes[0]
	if s.Phones != 200 || s.Servers != 2 || s.ListCount != 200 || s.DeepOffset != 100 || s.AbnormalPhones != 0 {
		t.Errorf("size: phones %d, servers %d, list count %d, deep offset %d, abnormal %d", s.Phones, s.Servers, s.ListCount, s.DeepOffset, s.AbnormalPhones)
	}
	for name, l := range map[string]*bench.LoadResult{"list-first": s.ListFirst, "list-deep": s.ListDeep, "baseline": s.Baseline} {
		if l == nil {
			t.Errorf("%s: missing", name)
			continue
		}
		if l.RPS <= 0 || l.Requests == 0 || l.Errors != 0 || l.Latency.Count == 0 || l.BytesPerResponse == 0 {
			t.Errorf("%s: %+v", name, l)
		}
	}
	if s.ListFirst != nil && s.Baseline != nil && s.Baseline.BytesPerResponse != int64(s.ListBodyBytes) {
		t.Errorf("the baseline answers %d bytes, the first page has %d", s.Baseline.BytesPerResponse, s.ListBodyBytes)
	}
	if s.ListToBaseline <= 0 {
		t.Errorf("list-first/baseline = %v", s.ListToBaseline)
	}
	if _, err := os.Stat("/proc/self/status"); err == nil {
		if s.CPHDRSSBytes <= 0 || r.CPHDBaseRSSBytes <= 0 || r.CPHDPeakRSSBytes <= 0 {
			t.Errorf("memory: RSS %d, base %d, peak %d", s.CPHDRSSBytes, r.CPHDBaseRSSBytes, r.CPHDPeakRSSBytes)
		}
		if s.IdleCPHDCPUPercent < 0 || s.IdleBenchCPUPercent < 0 {
			t.Errorf("idle CPU not measured: cphd %v, bench %v", s.IdleCPHDCPUPercent, s.IdleBenchCPUPercent)
		}
	}

	if len(r.Fanouts) != 2 || len(r.EngineBaselines) != 2 {
		t.Fatalf("%d fan-outs and %d engine baselines in the report, want 2 each (spread, grouped)", len(r.Fanouts), len(r.EngineBaselines))
	}
	for i, layout := range []string{"spread", "grouped"} {
		f := r.Fanouts[i]
		if f.Layout != layout || f.Requests != 2 || f.Operations != 200 || f.Succeeded != 200 || f.Failed != 0 || f.Refused != 0 || f.Unfinished != 0 ||
			f.RequestErrors != 0 || f.PollErrors != 0 {
			t.Errorf("fan-out %s: %+v", layout, f)
		}
		if f.Dispatch.Count != 200 || f.DispatchMissing != 0 || f.Accept.Count != 2 || f.OpsPerSecond <= 0 {
			t.Errorf("fan-out %s: dispatch %+v (missing %d), accept %+v, ops/s %v", layout, f.Dispatch, f.DispatchMissing, f.Accept, f.OpsPerSecond)
		}
		// The baseline's rows end as the fan-out's jobs do: every job
		// succeeded, every operation done, every phone running.
		e := r.EngineBaselines[i]
		if e.Layout != layout || e.Phones != 200 || e.GroupCommit == nil || e.Plain == nil {
			t.Fatalf("engine baseline %d: %+v", i, e)
		}
		for _, x := range []*enginebase.Result{e.GroupCommit, e.Plain} {
			if x.Operations != 200 || x.OpsPerSecond <= 0 || !x.Final.OK() || x.Final.Phones != 200 {
				t.Errorf("engine baseline %s: %+v", layout, x)
			}
		}
		if f.EngineBaselineOpsPerSecond != max(e.GroupCommit.OpsPerSecond, e.Plain.OpsPerSecond) || f.ToEngineBaseline <= 0 {
			t.Errorf("fan-out %s: engine baseline %v ops/s, ratio %v", layout, f.EngineBaselineOpsPerSecond, f.ToEngineBaseline)
		}
	}

	for name, l := range map[string]*bench.LoadResult{"token issue": r.TokenIssue, "token validation": r.TokenValidate} {
		if l == nil {
			t.Errorf("%s: missing", name)
		} else if l.Requests == 0 || l.Errors != 0 {
			t.Errorf("%s: %+v", name, l)
		}
	}
}
