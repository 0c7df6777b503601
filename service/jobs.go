package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

var (
	_ cph.JobService    = (*Services)(nil)
	_ cph.ChangeService = (*Services)(nil)
)

// maxRequestIDLen is the longest request ID ListJobs takes.
const maxRequestIDLen = 64

// ListJobs implements cph.JobService.
func (s *Services) ListJobs(ctx context.Context, f cph.JobFilter) ([]*cph.Job, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if f.Offset < 0 || f.Limit < 1 || f.Limit > cph.MaxJobPage {
		return nil, cph.ErrInvalidPaging()
	}
	if len(f.RequestIDs) == 0 || len(f.RequestIDs) > cph.MaxJobRequests {
		return nil, cph.ErrInvalidRequestID()
	}
	for _, id := range f.RequestIDs {
		if id == "" || len(id) > maxRequestIDLen {
			return nil, cph.ErrInvalidRequestID()
		}
	}
	jobs, err := s.db.ListJobs(ctx, p.ProjectID, dedupe(slices.Clone(f.RequestIDs)), f.Offset, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	if jobs == nil {
		jobs = []*cph.Job{}
	}
	return jobs, nil
}

// ShowJob implements cph.JobService.
func (s *Services) ShowJob(ctx context.Context, id string) (*cph.Job, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if !cph.ValidID(id) {
		return nil, cph.ErrJobNotFound()
	}
	j, err := s.db.JobByID(ctx, p.ProjectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) || err == nil && j.Kind == cph.OpScreenshot {
		// Screenshot jobs serve ShowPhoneScreenshot only: users never see them.
		return nil, cph.ErrJobNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("show job: %w", err)
	}
	return j, nil
}
