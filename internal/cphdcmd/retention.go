package cphdcmd

import (
	"flag"
	"fmt"
	"time"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/jobretention"
)

// retentionFlags defines the flags of job retention on fs, into cfg, with
// their environment variables as defaults; malformed variables are added
// to errs.
func retentionFlags(fs *flag.FlagSet, cfg *controlplane.Config, getenv func(string) string, errs *[]error) {
	def := jobretention.DefaultMaxAge
	if v := getenv("CPH_JOB_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("CPH_JOB_RETENTION=%q: not a duration", v))
		}
		def = d
	}
	fs.DurationVar(&cfg.JobRetention.MaxAge, "job-retention", def,
		"how long final jobs (and their operations) are kept after they ended before they are pruned, in batches of 500; 0 = keep forever [CPH_JOB_RETENTION]")
	interval := jobretention.DefaultInterval
	if v := getenv("CPH_JOB_PRUNE_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			*errs = append(*errs, fmt.Errorf("CPH_JOB_PRUNE_INTERVAL=%q: not a positive duration", v))
		}
		interval = d
	}
	fs.DurationVar(&cfg.JobRetention.Interval, "job-prune-interval", interval,
		"how often each replica looks for jobs past --job-retention [CPH_JOB_PRUNE_INTERVAL]")
}
