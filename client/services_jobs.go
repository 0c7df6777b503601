package client

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	cph "github.com/opencph/opencph"
)

var _ cph.JobService = (*Services)(nil)

// ListJobs implements cph.JobService. A filter without request IDs is
// refused as the server refuses it (CPS.9003).
func (s *Services) ListJobs(ctx context.Context, f cph.JobFilter) ([]*cph.Job, error) {
	if len(f.RequestIDs) == 0 {
		return nil, cph.ErrInvalidRequestID()
	}
	list, err := s.c.ListJobs(ctx, ListJobsOptions{RequestIDs: f.RequestIDs, Offset: new(f.Offset), Limit: new(f.Limit)})
	if err != nil {
		return nil, err
	}
	jobs := make([]*cph.Job, len(list.Jobs))
	for i := range list.Jobs {
		jobs[i] = &list.Jobs[i]
	}
	return jobs, nil
}

// ShowJob implements cph.JobService. An empty id is refused as the
// server refuses an unknown one (CPS.9002).
func (s *Services) ShowJob(ctx context.Context, id string) (*cph.Job, error) {
	if id == "" {
		return nil, cph.ErrJobNotFound()
	}
	return s.c.ShowJob(ctx, id)
}

// ListRecentJobs implements cph.JobService. Offset and Limit are sent as
// they are, so that the server judges them.
func (s *Services) ListRecentJobs(ctx context.Context, f cph.RecentJobFilter) (*cph.JobPage, error) {
	opts := RecentJobsOptions{RequestID: f.RequestID, PhoneID: f.PhoneID, ServerID: f.ServerID, Marker: f.Marker}
	if f.Status != 0 {
		opts.Status = strconv.Itoa(int(f.Status))
	}
	q := opts.query()
	q.Set("offset", strconv.Itoa(f.Offset))
	q.Set("limit", strconv.Itoa(f.Limit))
	var body RecentJobPage
	if _, err := s.c.Do(ctx, Request{Method: http.MethodGet, Path: recentJobsPath, Query: q, Out: &body}); err != nil {
		return nil, fmt.Errorf("list recent jobs: %w", err)
	}
	page := &cph.JobPage{Jobs: make([]*cph.Job, len(body.Jobs)), NextMarker: body.NextMarker}
	for i, d := range body.Jobs {
		j := d.Job
		j.RequestID, j.Kind = d.RequestID, d.Kind
		page.Jobs[i] = &j
	}
	return page, nil
}
