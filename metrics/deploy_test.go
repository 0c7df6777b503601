package metrics_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/metrics"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// exported returns the names of every series family the registry
// exports once each metric has been touched, histograms with their
// _bucket, _sum and _count series.
func exported(t *testing.T) (map[string]bool, []*dto.MetricFamily) {
	t.Helper()
	db := storetest.OpenSQLite(t)
	m := metrics.New(metrics.Fleet{DB: db})
	m.Request("RestartCloudPhone", 200, time.Millisecond)
	m.JobsAccepted(cph.OpRestartPhone, 1)
	m.JobFinished(cph.OpRestartPhone, true)
	m.OperationClaimed(cph.OpRestartPhone, time.Millisecond)
	m.OperationRan(cph.OpRestartPhone, time.Second)
	m.LoginFailed()
	m.LoginThrottled()
	m.Transaction(time.Millisecond, true)
	m.AuditWritten(1)
	m.AuditDropped(0)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[f.GetName()+s] = true
			}
		}
	}
	return names, fams
}

var metricName = regexp.MustCompile(`\b(?:cph|go|process)_[a-z0-9_]+\b`)

// TestDeployFilesUseExportedMetrics checks that every metric the example
// alert rules and the Grafana dashboard name is one cphd exports.
func TestDeployFilesUseExportedMetrics(t *testing.T) {
	names, _ := exported(t)
	for _, file := range []string{"../deploy/prometheus/alerts.yml", "../deploy/grafana/opencph.json"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		used := metricName.FindAllString(string(raw), -1)
		if len(used) < 10 {
			t.Errorf("%s names only %d metrics", file, len(used))
		}
		for _, n := range used {
			if !names[n] {
				t.Errorf("%s uses %s, which cphd does not export", file, n)
			}
		}
	}
}

// TestNamesFollowConventions lints every cph_ metric with Prometheus's
// own linter (units, _total on counters, help text, naming).
func TestNamesFollowConventions(t *testing.T) {
	_, fams := exported(t)
	var ours []*dto.MetricFamily
	for _, f := range fams {
		if strings.HasPrefix(f.GetName(), "cph_") {
			ours = append(ours, f)
		}
	}
	problems, err := promlint.NewWithMetricFamilies(ours).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}
