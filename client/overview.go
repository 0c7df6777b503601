package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	cph "github.com/opencph/opencph"
)

// The OpenCPH extensions for consoles: recent jobs and the fleet summary.
const (
	recentJobsPath   = "/opencph/v1/{project_id}/jobs"
	fleetSummaryPath = "/opencph/v1/{project_id}/fleet-summary"
)

// RecentJobsOptions select the jobs of ListRecentJobs; zero fields select
// all.
type RecentJobsOptions struct {
	// Status is "running", "succeeded" or "failed" (or a code).
	Status string
	// RequestID, PhoneID and ServerID select the jobs of one request,
	// phone or server.
	RequestID, PhoneID, ServerID string
	// Marker is the NextMarker of the previous page.
	Marker string
	Offset int
	// Limit is the page size, 1-100; 0 sends nothing (100).
	Limit int
}

// RecentJobPage is one page of ListRecentJobs, newest first.
type RecentJobPage struct {
	Jobs []cph.JobDoc `json:"jobs"`
	// NextMarker, when set, is the Marker of the next page.
	NextMarker string `json:"next_marker,omitempty"`
}

// query returns the options as query parameters.
func (o RecentJobsOptions) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"status": o.Status, "request_id": o.RequestID, "phone_id": o.PhoneID,
		"server_id": o.ServerID, "marker": o.Marker} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.Offset != 0 {
		q.Set("offset", strconv.Itoa(o.Offset))
	}
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	return q
}

// ListRecentJobs returns a page of the project's jobs, newest first,
// without naming their requests (GET /opencph/v1/{project_id}/jobs).
func (c *Client) ListRecentJobs(ctx context.Context, opts RecentJobsOptions) (*RecentJobPage, error) {
	var out RecentJobPage
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: recentJobsPath, Query: opts.query(), Out: &out}); err != nil {
		return nil, fmt.Errorf("list recent jobs: %w", err)
	}
	if out.Jobs == nil {
		out.Jobs = []cph.JobDoc{}
	}
	return &out, nil
}

// FleetSummary returns the counts of the project's fleet
// (GET /opencph/v1/{project_id}/fleet-summary).
func (c *Client) FleetSummary(ctx context.Context) (*cph.FleetSummary, error) {
	var out cph.FleetSummary
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: fleetSummaryPath, Out: &out}); err != nil {
		return nil, fmt.Errorf("fleet summary: %w", err)
	}
	return &out, nil
}
