package client

import (
	"context"

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
