package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencph/opencph/bench/enginebase"
)

// EngineBaselineResult is the engine baseline at one fleet size and
// layout: the fan-out's row writes as plain SQL on a database of their
// own (see package enginebase), with the store's group commit
// (GroupCommit) and with one transaction per write (Plain).
type EngineBaselineResult struct {
	Phones int    `json:"phones"`
	Layout string `json:"layout"`
	// SeedSeconds is how long creating and seeding the baseline's
	// database took (once per size, for every layout).
	SeedSeconds float64            `json:"seed_seconds"`
	GroupCommit *enginebase.Result `json:"group_commit"`
	Plain       *enginebase.Result `json:"plain"`
}

// best is the faster of the baseline's two rates: the ceiling the
// fan-out is compared with.
func (e *EngineBaselineResult) best() float64 {
	best := 0.0
	for _, r := range []*enginebase.Result{e.GroupCommit, e.Plain} {
		if r != nil && r.OpsPerSecond > best {
			best = r.OpsPerSecond
		}
	}
	return best
}

// fanouts runs, at one fleet size, the fan-out of each layout and then
// the engine baseline of each layout, and records them.
func (b *run) fanouts(ctx context.Context, size int) error {
	cfg := b.cfg
	var fanouts []*FanoutResult
	if cfg.has(ScenarioFanout) {
		for _, layout := range cfg.layouts() {
			f, err := b.fanoutScenario(ctx, size, layout)
			if err != nil {
				return err
			}
			fanouts = append(fanouts, f)
			b.report.Fanouts = append(b.report.Fanouts, f)
		}
	}
	if !cfg.has(ScenarioEngine) {
		return nil
	}
	bases, err := b.engineBaseline(ctx, size)
	b.report.EngineBaselines = append(b.report.EngineBaselines, bases...)
	for _, f := range fanouts {
		for _, e := range bases {
			if e.Layout == f.Layout {
				if best := e.best(); best > 0 {
					f.EngineBaselineOpsPerSecond = best
					f.ToEngineBaseline = f.OpsPerSecond / best
				}
			}
		}
	}
	return err
}

// engineBaseline seeds a database of its own with a fleet of size phones
// and runs the baseline fan-out of each layout on it, with group commit
// and without.
func (b *run) engineBaseline(ctx context.Context, size int) (_ []*EngineBaselineResult, err error) {
	cfg := b.cfg
	o := enginebase.Options{Phones: size, PerServer: cfg.PhonesPerServer, Logger: b.log}
	if cfg.Database != "" {
		o.Postgres = cfg.Database
	} else {
		o.SQLitePath = filepath.Join(b.dataDir, fmt.Sprintf("engine-baseline-%d.db", size))
		defer func() {
			for _, p := range []string{o.SQLitePath, o.SQLitePath + "-wal", o.SQLitePath + "-shm"} {
				if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
					b.log.Warn("cannot remove the engine baseline's database", "file", p, "err", rerr)
				}
			}
		}()
	}
	b.log.Info("engine baseline: seeding its own database", "phones", size)
	base, err := enginebase.Open(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("engine baseline: %w", err)
	}
	defer func() {
		if cerr := base.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("engine baseline: %w", cerr))
		}
	}()
	var out []*EngineBaselineResult
	for _, layout := range cfg.layouts() {
		r := &EngineBaselineResult{Phones: size, Layout: layout, SeedSeconds: base.SeedSeconds}
		out = append(out, r)
		run := enginebase.RunOptions{Layout: layout, Batches: cfg.FanoutRequests, Accepters: cfg.Concurrency, GroupCommit: true}
		if r.GroupCommit, err = base.Run(ctx, run); err != nil {
			return out, fmt.Errorf("engine baseline: %w", err)
		}
		run.GroupCommit = false
		if r.Plain, err = base.Run(ctx, run); err != nil {
			return out, fmt.Errorf("engine baseline: %w", err)
		}
	}
	return out, nil
}
