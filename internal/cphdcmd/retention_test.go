package cphdcmd

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/jobretention"
)

func TestJobRetentionFlags(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, _, err := parseConfig(nil, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JobRetention.MaxAge != jobretention.DefaultMaxAge || cfg.JobRetention.Interval != jobretention.DefaultInterval {
		t.Errorf("default retention = %+v", cfg.JobRetention)
	}
	env["CPH_JOB_RETENTION"] = "72h"
	cfg, _, err = parseConfig([]string{"--job-prune-interval", "1m"}, getenv, io.Discard)
	if err != nil || cfg.JobRetention.MaxAge != 72*time.Hour || cfg.JobRetention.Interval != time.Minute {
		t.Errorf("retention from env and flag = %+v, %v", cfg.JobRetention, err)
	}
	cfg, _, err = parseConfig([]string{"--job-retention", "0"}, getenv, io.Discard)
	if err != nil || cfg.JobRetention.MaxAge != 0 {
		t.Errorf("--job-retention 0 = %+v, %v", cfg.JobRetention, err)
	}
	for _, bad := range [][]string{{"--job-retention", "-1h"}, {"--job-prune-interval", "0s"}} {
		if _, _, err := parseConfig(bad, getenv, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	env["CPH_JOB_RETENTION"] = "a month"
	if _, _, err := parseConfig(nil, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "CPH_JOB_RETENTION") {
		t.Errorf("bad CPH_JOB_RETENTION: %v", err)
	}
}

func TestVersionAndHealthcheckCommands(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"--version"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "cphd ") {
		t.Errorf("--version printed %q", out.String())
	}
	// Nothing listens on port 1: the health check fails.
	err := Run(context.Background(), []string{"healthcheck", "--url", "http://127.0.0.1:1", "--timeout", "2s"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil {
		t.Error("healthcheck of nothing succeeded")
	}
}
