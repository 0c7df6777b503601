package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	cph "github.com/opencph/opencph"
)

// Fleet summary cache: one entry per project, kept while neither the
// phones nor the jobs change, and at most summaryCacheTTL (the agents'
// connections and the last hour move without a write to either).
const (
	summaryCacheEntries = 1024
	summaryCacheTTL     = 5 * time.Second
	// defaultAgentTTL is how recently an agent must have been seen to
	// count as connected when the services run without an engine.
	defaultAgentTTL = 30 * time.Second
)

// cachedSummary is a fleet summary with the jobs version it was read at
// (the cache's own version is the phones').
type cachedSummary struct {
	jobs    uint64
	summary *cph.FleetSummary
}

// FleetSummary implements cph.ServerService. Summaries are cached per
// project while the phones and jobs keep their versions
// (sqlstore.DB.PhonesVersion, JobsVersion), for at most a few seconds;
// concurrent misses of one project read the counts once.
func (s *Services) FleetSummary(ctx context.Context) (*cph.FleetSummary, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	settled := s.db.Settled() // before the versions, as in ListPhones
	phones, okP := s.db.PhonesVersion()
	jobs, okJ := s.db.JobsVersion()
	if !okP || !okJ || !settled {
		return s.readFleetSummary(ctx, p.ProjectID)
	}
	if c, hit := s.summaries.Get(p.ProjectID, phones); hit && c.jobs == jobs {
		return c.summary, nil
	}
	v, err, _ := s.summaryReads.Do(fmt.Sprintf("%d/%d/%s", phones, jobs, p.ProjectID), func() (any, error) {
		sum, err := s.readFleetSummary(context.WithoutCancel(ctx), p.ProjectID)
		if err == nil {
			s.summaries.Put(p.ProjectID, phones, cachedSummary{jobs: jobs, summary: sum})
		}
		return sum, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*cph.FleetSummary), nil
}

// readFleetSummary counts the fleet of projectID in the database, at the
// store's clock.
func (s *Services) readFleetSummary(ctx context.Context, projectID string) (*cph.FleetSummary, error) {
	agentTTL := defaultAgentTTL
	if s.engine != nil {
		agentTTL = s.engine.Config().AgentTTL
	}
	now := s.db.Now()
	pf, err := s.db.ProjectFleet(ctx, projectID, now.Add(-agentTTL), now.Add(-time.Hour))
	if err != nil {
		return nil, fmt.Errorf("fleet summary: %w", err)
	}
	sum := &cph.FleetSummary{AgentsConnected: pf.AgentsConnected, JobsRunning: pf.JobsRunning, JobsFailedLastHour: pf.JobsFailed,
		At: cph.NewTime(now)}
	sum.PhonesByStatus, sum.Phones = byStatus(cph.PhoneStatuses(), pf.PhonesByStatus,
		func(st cph.PhoneStatus, n int) cph.PhoneStatusCount {
			return cph.PhoneStatusCount{Status: st, Count: n}
		})
	sum.ServersByStatus, sum.Servers = byStatus(cph.ServerStatuses(), pf.ServersByStatus,
		func(st cph.ServerStatus, n int) cph.ServerStatusCount {
			return cph.ServerStatusCount{Status: st, Count: n}
		})
	sum.AgentsDisconnected = max(sum.Servers-sum.AgentsConnected, 0)
	return sum, nil
}

// byStatus returns the counts of every status of documented, in its
// order, then those of the other statuses found in counts (by code), and
// their total.
func byStatus[S ~int32, C any](documented []S, counts map[S]int, mk func(S, int) C) ([]C, int) {
	out := make([]C, 0, len(documented))
	total := 0
	for _, st := range documented {
		out = append(out, mk(st, counts[st]))
		total += counts[st]
	}
	var other []S
	for st := range counts {
		if !slices.Contains(documented, st) {
			other = append(other, st)
		}
	}
	slices.Sort(other)
	for _, st := range other {
		out = append(out, mk(st, counts[st]))
		total += counts[st]
	}
	return out, total
}
