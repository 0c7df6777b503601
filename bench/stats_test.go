package bench

import (
	"os"
	"slices"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	// 1..100 ms: the p-th percentile by nearest rank is p ms.
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	sorted := Merge(lat)
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {99.9, 100 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.5, time.Millisecond}, {1, time.Millisecond}} {
		if got := Percentile(sorted, c.p); got != c.want {
			t.Errorf("Percentile(1..100ms, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	// Nearest rank picks a sample, never interpolates.
	few := []time.Duration{10, 20, 30, 40}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{25, 10}, {26, 20}, {50, 20}, {51, 30}, {75, 30}, {99, 40}} {
		if got := Percentile(few, c.p); got != c.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", few, c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v", got)
	}
	if got := Percentile([]time.Duration{7}, 99.9); got != 7 {
		t.Errorf("Percentile of one sample = %v", got)
	}
}

func TestMergeSortsAllParts(t *testing.T) {
	a := []time.Duration{5, 1, 9}
	b := []time.Duration{}
	c := []time.Duration{3, 3, 8}
	got := Merge(a, b, nil, c)
	if want := []time.Duration{1, 3, 3, 5, 8, 9}; !slices.Equal(got, want) {
		t.Errorf("Merge = %v, want %v", got, want)
	}
	if !slices.Equal(a, []time.Duration{5, 1, 9}) {
		t.Errorf("Merge modified its input: %v", a)
	}
	if got := Merge(); len(got) != 0 {
		t.Errorf("Merge() = %v", got)
	}
}

func TestSummarize(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 1000; i++ {
		lat = append(lat, time.Duration(i)*time.Microsecond*10) // 0.01 .. 10 ms
	}
	s := Summarize(lat)
	if s.Count != 1000 || s.P50Ms != 5 || s.P99Ms != 9.9 || s.P999Ms != 9.99 || s.MaxMs != 10 {
		t.Errorf("Summarize = %+v", s)
	}
	if s := Summarize(nil); s != (Latency{}) {
		t.Errorf("Summarize(nil) = %+v", s)
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("1000, 100k,1M")
	if err != nil || !slices.Equal(got, []int{1000, 100000, 1000000}) {
		t.Errorf("parseSizes = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "-5", "1x", "1000,,2000"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) accepted", bad)
		}
	}
}

func TestDeepOffset(t *testing.T) {
	for size, want := range map[int]int{200: 100, 1000: 500, 1050: 500, 99: 0, 100000: 50000, 1000000: 500000, 250: 100} {
		if got := deepOffset(size); got != want {
			t.Errorf("deepOffset(%d) = %d, want %d", size, got, want)
		}
	}
}

func TestConfigChecks(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no sizes":          {},
		"decreasing":        {Sizes: []int{1000, 200}},
		"too many phones":   {Sizes: []int{1000}, PhonesPerServer: 1001},
		"unknown scenario":  {Sizes: []int{1000}, Scenarios: []string{"list", "nap"}},
		"fan-out elsewhere": {Sizes: []int{1000, 2000}, FanoutAt: []int{1000, 1500}},
		"unknown layout":    {Sizes: []int{1000}, FanoutLayout: "diagonal"},
		"target without pw": {Sizes: []int{1000}, Target: "http://127.0.0.1:1", Domain: "d", EnrollToken: "t"},
	} {
		if _, err := cfg.withDefaults(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	both, err := Config{Sizes: []int{200, 1000}, Self: []string{"x"}, FanoutLayout: "both", Target: "http://127.0.0.1:1", Domain: "d", Password: "p", EnrollToken: "t"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(both.layouts(), []string{"spread", "grouped"}) || slices.Contains(both.Scenarios, ScenarioEngine) {
		t.Errorf("both layouts with a target: layouts %v, scenarios %v", both.layouts(), both.Scenarios)
	}
	cfg, err := Config{Sizes: []int{200, 1000}, Self: []string{"x"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.FanoutAt, []int{1000}) || cfg.PhonesPerServer != 1000 || cfg.Concurrency != 16 || !slices.Equal(cfg.Scenarios, AllScenarios) ||
		!slices.Equal(cfg.layouts(), []string{"spread"}) {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestProcCPU(t *testing.T) {
	if _, err := procStatus(os.Getpid(), "VmRSS"); err != nil {
		t.Skip("no /proc")
	}
	start := time.Now()
	for time.Since(start) < 50*time.Millisecond {
	}
	d, err := procCPU(os.Getpid())
	if err != nil || d <= 0 {
		t.Errorf("procCPU = %v, %v", d, err)
	}
	rss, err := procStatus(os.Getpid(), "VmRSS")
	if err != nil || rss <= 0 {
		t.Errorf("VmRSS = %v, %v", rss, err)
	}
	if _, err := procStatus(os.Getpid(), "NoSuchField"); err == nil {
		t.Error("a missing field was found")
	}
}
