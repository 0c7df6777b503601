package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
)

// MaxJobPageSize is the largest page ListJobs serves; ListAllJobs and
// WaitJobs use it.
const MaxJobPageSize = 100

// jobsPath is the collection of jobs.
const jobsPath = "/v1/{project_id}/cloud-phone/jobs"

// ListJobsOptions are the query parameters of ListJobs. At least one of
// RequestID and RequestIDs must be set; when both are, the server uses
// RequestIDs.
type ListJobsOptions struct {
	// RequestID selects the jobs of one asynchronous request.
	RequestID string
	// RequestIDs selects the jobs of up to 20 asynchronous requests.
	RequestIDs []string
	// Offset is the number of jobs to skip; nil sends nothing (0).
	Offset *int
	// Limit is the page size, 1 to 100; nil sends nothing (100).
	Limit *int
}

// query returns the options as query parameters.
func (o ListJobsOptions) query() url.Values {
	q := url.Values{}
	if o.RequestID != "" {
		q.Set("request_id", o.RequestID)
	}
	if len(o.RequestIDs) > 0 {
		q.Set("request_ids", strings.Join(o.RequestIDs, ","))
	}
	setInt(q, "offset", o.Offset)
	setInt(q, "limit", o.Limit)
	return q
}

// JobList is the body of a ListJobs answer.
type JobList struct {
	// RequestID is the id of the ListJobs call itself.
	RequestID string `json:"request_id"`
	// Jobs are the jobs, by request and then by position in the request.
	Jobs []cph.Job `json:"jobs"`
}

// ListJobs returns one page of the jobs created by one or more asynchronous
// requests (ListJobs, GET /v1/{project_id}/cloud-phone/jobs). Unknown
// request ids contribute no jobs. The server answers CPS.9003 when no
// request id is given or more than 20 are, and CPS.0002 for a bad offset or
// limit.
func (c *Client) ListJobs(ctx context.Context, opts ListJobsOptions) (*JobList, error) {
	if opts.RequestID == "" && len(opts.RequestIDs) == 0 {
		return nil, errors.New("list jobs: a request id is required")
	}
	var out JobList
	reqID, err := c.Do(ctx, Request{Method: http.MethodGet, Path: jobsPath, Query: opts.query(), Out: &out})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	if out.Jobs == nil {
		out.Jobs = []cph.Job{}
	}
	return &out, nil
}

// ListAllJobs returns every job of the requests named in opts, paging
// through ListJobs with pages of MaxJobPageSize; opts.Offset and opts.Limit
// are ignored. The RequestID of the result is that of the last page.
func (c *Client) ListAllJobs(ctx context.Context, opts ListJobsOptions) (*JobList, error) {
	all := &JobList{Jobs: []cph.Job{}}
	seen := map[string]bool{}
	for offset := 0; ; {
		opts.Offset, opts.Limit = new(offset), new(MaxJobPageSize)
		page, err := c.ListJobs(ctx, opts)
		if err != nil {
			return nil, err
		}
		all.RequestID = page.RequestID
		for _, j := range page.Jobs {
			if !seen[j.ID] {
				seen[j.ID] = true
				all.Jobs = append(all.Jobs, j)
			}
		}
		offset += len(page.Jobs)
		if len(page.Jobs) < MaxJobPageSize {
			break
		}
	}
	return all, nil
}

// ShowJob returns one job (ShowJob,
// GET /v1/{project_id}/cloud-phone/jobs/{job_id}). The server answers 404
// CPS.9002 for an unknown job or a job of another project.
func (c *Client) ShowJob(ctx context.Context, jobID string) (*cph.Job, error) {
	if jobID == "" {
		return nil, errors.New("show job: empty job id")
	}
	var out cph.Job
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: jobsPath + "/" + url.PathEscape(jobID), Out: &out}); err != nil {
		return nil, fmt.Errorf("show job %s: %w", jobID, err)
	}
	return &out, nil
}

// DefaultWaitInterval is the polling interval of WaitJobs when
// WaitOptions.Interval is not set.
const DefaultWaitInterval = time.Second

// WaitOptions tune WaitJobs.
type WaitOptions struct {
	// Interval is the time between two polls; DefaultWaitInterval if zero.
	Interval time.Duration
	// Progress, when not nil, is called with the jobs after every poll.
	Progress func([]cph.Job)
}

// WaitJobs waits until every job of the asynchronous request requestID
// has a final status (cph.JobStatus.Final) and returns them. A request
// without jobs (every item refused) returns at once with none. It waits on
// the server (WaitForJobs, GET /opencph/v1/{project_id}/jobs/wait), and
// polls the jobs every opts.Interval instead when the server does not
// have that extension (an older OpenCPH, or CPH itself). When ctx ends
// first, WaitJobs returns the jobs of the last answer together with an
// error wrapping ctx.Err().
func (c *Client) WaitJobs(ctx context.Context, requestID string, opts WaitOptions) ([]cph.Job, error) {
	if requestID == "" {
		return nil, errors.New("wait for jobs: empty request id")
	}
	jobs, err := c.waitOnServer(ctx, requestID, opts)
	if !errors.Is(err, errNoServerWait) {
		return jobs, err
	}
	return c.pollJobs(ctx, requestID, opts)
}

// pollJobs is WaitJobs by polling the CPH job list.
func (c *Client) pollJobs(ctx context.Context, requestID string, opts WaitOptions) ([]cph.Job, error) {
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultWaitInterval
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	var last []cph.Job
	for {
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("wait for jobs of request %s: %w", requestID, ctx.Err())
		case <-timer.C:
		}
		list, err := c.ListAllJobs(ctx, ListJobsOptions{RequestID: requestID})
		if err != nil {
			if ctx.Err() != nil {
				return last, fmt.Errorf("wait for jobs of request %s: %w", requestID, ctx.Err())
			}
			return last, fmt.Errorf("wait for jobs of request %s: %w", requestID, err)
		}
		last = list.Jobs
		if opts.Progress != nil {
			opts.Progress(last)
		}
		if allFinal(last) {
			return last, nil
		}
		timer.Reset(interval)
	}
}

// allFinal reports whether every job has a final status.
func allFinal(jobs []cph.Job) bool {
	for _, j := range jobs {
		if !j.Status.Final() {
			return false
		}
	}
	return true
}
