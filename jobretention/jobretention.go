// Package jobretention prunes finished jobs and their operations once they
// are older than the retention age, in small batches with a pause between
// them so that the job engine's transactions are not held up. Every replica
// may run it: the deletes are conditional (sqlstore.PruneJobs). Ended
// scheduled events go with the same age, but never before
// MinEventRetention.
package jobretention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/opencph/opencph/sqlstore"
)

// Defaults of Config.
const (
	DefaultMaxAge   = 30 * 24 * time.Hour
	DefaultBatch    = 500
	DefaultPause    = 200 * time.Millisecond
	DefaultInterval = 10 * time.Minute
)

// Config configures a Pruner. Zero fields take the defaults.
type Config struct {
	// MaxAge is how long a final job is kept after it ended. Zero or less
	// keeps jobs forever (New returns nil).
	MaxAge   time.Duration
	Batch    int           // jobs deleted per transaction: DefaultBatch
	Pause    time.Duration // wait between two batches: DefaultPause
	Interval time.Duration // wait between two rounds: DefaultInterval
	Logger   *slog.Logger
}

// MinEventRetention is how long an ended scheduled event stays listed at
// least, whatever the jobs' retention.
const MinEventRetention = 7 * 24 * time.Hour

// Pruner deletes old final jobs.
type Pruner struct {
	db  *sqlstore.DB
	cfg Config
}

// New returns a pruner over db, or nil when cfg.MaxAge keeps jobs forever.
func New(db *sqlstore.DB, cfg Config) *Pruner {
	if cfg.MaxAge <= 0 {
		return nil
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Batch > sqlstore.MaxPruneBatch {
		cfg.Batch = sqlstore.MaxPruneBatch
	}
	if cfg.Pause < 0 {
		cfg.Pause = 0
	} else if cfg.Pause == 0 {
		cfg.Pause = DefaultPause
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pruner{db: db, cfg: cfg}
}

// Run prunes at once and then every Config.Interval until ctx ends.
func (p *Pruner) Run(ctx context.Context) {
	for {
		n, err := p.Prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			p.cfg.Logger.Error("pruning old jobs failed", "err", err)
		case n > 0:
			p.cfg.Logger.Info("pruned old jobs", "jobs", n, "older_than", p.cfg.MaxAge.String())
		}
		if n, err := p.PruneEvents(ctx); err != nil && ctx.Err() == nil {
			p.cfg.Logger.Error("pruning old scheduled events failed", "err", err)
		} else if n > 0 {
			p.cfg.Logger.Info("pruned old scheduled events", "events", n)
		}
		if !sleep(ctx, p.cfg.Interval) {
			return
		}
	}
}

// Prune deletes every final job that ended more than MaxAge ago (by the
// store's clock), one batch per transaction with Config.Pause between
// batches, and returns how many it deleted.
func (p *Pruner) Prune(ctx context.Context) (int, error) {
	total := 0
	for {
		cutoff := p.db.Now().Add(-p.cfg.MaxAge)
		n, err := p.db.PruneJobs(ctx, cutoff, p.cfg.Batch)
		total += n
		if err != nil {
			return total, fmt.Errorf("jobretention: %w", err)
		}
		if n < p.cfg.Batch {
			return total, nil
		}
		if !sleep(ctx, p.cfg.Pause) {
			return total, ctx.Err()
		}
	}
}

// PruneEvents deletes the scheduled events that ended more than MaxAge
// (at least MinEventRetention) ago, in batches as Prune, and returns how
// many it deleted.
func (p *Pruner) PruneEvents(ctx context.Context) (int, error) {
	total := 0
	for {
		cutoff := p.db.Now().Add(-max(p.cfg.MaxAge, MinEventRetention))
		n, err := p.db.PruneEvents(ctx, cutoff, p.cfg.Batch)
		total += n
		if err != nil {
			return total, fmt.Errorf("jobretention: %w", err)
		}
		if n < p.cfg.Batch {
			return total, nil
		}
		if !sleep(ctx, p.cfg.Pause) {
			return total, ctx.Err()
		}
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
