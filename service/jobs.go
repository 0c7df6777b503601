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

// ListRecentJobs implements cph.JobService.
func (s *Services) ListRecentJobs(ctx context.Context, f cph.RecentJobFilter) (*cph.JobPage, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if f.Offset < 0 || f.Limit < 1 || f.Limit > cph.MaxJobPage {
		return nil, cph.ErrInvalidPaging()
	}
	if f.Status != 0 && f.Status != cph.JobRunning && f.Status != cph.JobSucceeded && f.Status != cph.JobFailed {
		return nil, cph.ErrInvalidStatus()
	}
	if len(f.RequestID) > maxRequestIDLen || !cph.ValidText(f.RequestID) {
		return nil, cph.ErrInvalidRequestID()
	}
	for _, v := range []struct{ name, id string }{{"phone_id", f.PhoneID}, {"server_id", f.ServerID}, {"marker", f.Marker}} {
		if v.id != "" && !cph.ValidID(v.id) {
			return nil, cph.ErrInvalidParameter(v.name)
		}
	}
	jobs, more, err := s.db.RecentJobs(ctx, p.ProjectID, f)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, cph.ErrInvalidParameter("marker")
	} else if err != nil {
		return nil, fmt.Errorf("list recent jobs: %w", err)
	}
	page := &cph.JobPage{Jobs: jobs}
	if page.Jobs == nil {
		page.Jobs = []*cph.Job{}
	}
	if more && len(jobs) > 0 {
		page.NextMarker = jobs[len(jobs)-1].ID
	}
	return page, nil
}
