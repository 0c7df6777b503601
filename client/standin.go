package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	cph "github.com/opencph/opencph"
)

const (
	simSettingsPath  = "/opencph/v1/{project_id}/sim-settings"
	jobsWaitPath     = "/opencph/v1/{project_id}/jobs/wait"
	projectResetPath = "/opencph/v1/{project_id}/reset"
)

var _ cph.StandInService = (*Services)(nil)

// simSettingsPathOf is the settings path of the project (phoneID "") or
// of a phone.
func simSettingsPathOf(phoneID string) string {
	if phoneID == "" {
		return simSettingsPath
	}
	return "/opencph/v1/{project_id}/cloud-phone/phones/" + url.PathEscape(phoneID) + "/sim-settings"
}

// SimSettings returns the simulated-runtime settings of the project
// (phoneID "") or of one phone.
func (c *Client) SimSettings(ctx context.Context, phoneID string) (*cph.SimSettings, error) {
	var out struct {
		SimSettings *cph.SimSettings `json:"sim_settings"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: simSettingsPathOf(phoneID), Out: &out}); err != nil {
		return nil, fmt.Errorf("show sim settings: %w", err)
	}
	return out.SimSettings, nil
}

// SetSimSettings replaces the simulated-runtime settings of the project
// (phoneID "") or of one phone.
func (c *Client) SetSimSettings(ctx context.Context, phoneID string, s cph.SimSettings) (*cph.SimSettings, error) {
	var out struct {
		SimSettings *cph.SimSettings `json:"sim_settings"`
	}
	in := map[string]any{"boot_time_ms": s.BootTimeMS}
	if _, err := c.Do(ctx, Request{Method: http.MethodPut, Path: simSettingsPathOf(phoneID), In: in, Out: &out}); err != nil {
		return nil, fmt.Errorf("set sim settings: %w", err)
	}
	return out.SimSettings, nil
}

// JobWaitAnswer is the answer of WaitForJobs.
type JobWaitAnswer struct {
	Final bool         `json:"final"`
	Jobs  []cph.JobDoc `json:"jobs"`
}

// WaitForJobs waits on the server until the job or the request's jobs are
// final or timeout (0: the server's default) passed. A server without
// the extension answers 404 APIGW.0101.
func (c *Client) WaitForJobs(ctx context.Context, w cph.JobWait) (*JobWaitAnswer, error) {
	q := url.Values{}
	if w.JobID != "" {
		q.Set("job_id", w.JobID)
	}
	if w.RequestID != "" {
		q.Set("request_id", w.RequestID)
	}
	if w.Timeout != 0 {
		q.Set("timeout", durationParam(w.Timeout))
	}
	var out JobWaitAnswer
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: jobsWaitPath, Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("wait for jobs: %w", err)
	}
	return &out, nil
}

// serverWaitChunk is how long each of WaitJobs' waits on the server
// lasts at most, so that its progress is reported that often.
const serverWaitChunk = 10 * time.Second

// errNoServerWait says the server has no WaitForJobs.
var errNoServerWait = errors.New("the server cannot wait for jobs")

// waitOnServer is WaitJobs through WaitForJobs, in waits of at most
// serverWaitChunk; errNoServerWait if the server answers 404 or 405.
func (c *Client) waitOnServer(ctx context.Context, requestID string, opts WaitOptions) ([]cph.Job, error) {
	// One read first, so that progress shows the jobs at once (and a
	// wait that ends before the server's first answer has them).
	list, err := c.ListAllJobs(ctx, ListJobsOptions{RequestID: requestID})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wait for jobs of request %s: %w", requestID, ctx.Err())
		}
		return nil, fmt.Errorf("wait for jobs of request %s: %w", requestID, err)
	}
	last := list.Jobs
	if opts.Progress != nil {
		opts.Progress(last)
	}
	if allFinal(last) {
		return last, nil
	}
	for {
		a, err := c.WaitForJobs(ctx, cph.JobWait{RequestID: requestID, Timeout: serverWaitChunk})
		var apiErr *APIError
		switch {
		case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusNotFound || apiErr.StatusCode == http.StatusMethodNotAllowed):
			// A wait by request id is never 404 on a server that has it.
			return nil, errNoServerWait
		case err != nil && ctx.Err() != nil:
			return last, fmt.Errorf("wait for jobs of request %s: %w", requestID, ctx.Err())
		case err != nil:
			return last, fmt.Errorf("wait for jobs of request %s: %w", requestID, err)
		}
		last = make([]cph.Job, len(a.Jobs))
		for i, d := range a.Jobs {
			last[i] = d.Job
		}
		if opts.Progress != nil {
			opts.Progress(last)
		}
		if a.Final {
			return last, nil
		}
	}
}

// durationParam writes d as the timeout parameter.
func durationParam(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	return d.String()
}

// ProjectResetAnswer is the answer of ResetProject.
type ProjectResetAnswer struct {
	RequestID string         `json:"request_id"`
	Cleared   map[string]int `json:"cleared"`
	Jobs      []cph.PhoneJob `json:"jobs"`
	Final     bool           `json:"final"`
	FinalJobs []cph.JobDoc   `json:"final_jobs"`
}

// ResetProject resets the project to its initial fleet.
func (c *Client) ResetProject(ctx context.Context, r cph.ProjectReset) (*ProjectResetAnswer, error) {
	q := url.Values{}
	if r.Wait {
		q.Set("wait", "true")
	}
	if r.Timeout != 0 {
		q.Set("timeout", durationParam(r.Timeout))
	}
	var out ProjectResetAnswer
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: projectResetPath, Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("reset project: %w", err)
	}
	return &out, nil
}

func docsToJobs(docs []cph.JobDoc) []*cph.Job {
	out := make([]*cph.Job, len(docs))
	for i, d := range docs {
		j := d.Job
		j.RequestID, j.Kind = d.RequestID, d.Kind
		out[i] = &j
	}
	return out
}

// ShowSimSettings implements cph.StandInService.
func (s *Services) ShowSimSettings(ctx context.Context, phoneID string) (*cph.SimSettings, error) {
	return s.c.SimSettings(ctx, phoneID)
}

// SetSimSettings implements cph.StandInService.
func (s *Services) SetSimSettings(ctx context.Context, phoneID string, set cph.SimSettings) (*cph.SimSettings, error) {
	return s.c.SetSimSettings(ctx, phoneID, set)
}

// WaitForJobs implements cph.StandInService.
func (s *Services) WaitForJobs(ctx context.Context, w cph.JobWait) (*cph.JobWaitResult, error) {
	a, err := s.c.WaitForJobs(ctx, w)
	if err != nil {
		return nil, err
	}
	return &cph.JobWaitResult{Final: a.Final, Jobs: docsToJobs(a.Jobs)}, nil
}

// ResetProject implements cph.StandInService.
func (s *Services) ResetProject(ctx context.Context, r cph.ProjectReset) (*cph.ProjectResetResult, error) {
	a, err := s.c.ResetProject(ctx, r)
	if err != nil {
		return nil, err
	}
	res := &cph.ProjectResetResult{Cleared: a.Cleared, Jobs: a.Jobs, Final: a.Final, FinalJobs: docsToJobs(a.FinalJobs)}
	if len(a.Jobs) > 0 {
		res.RequestID = a.RequestID
	}
	if res.Jobs == nil {
		res.Jobs = []cph.PhoneJob{}
	}
	return res, nil
}

const snapshotsPath = "/opencph/v1/admin/snapshots"

var _ cph.SnapshotService = (*Services)(nil)

// ListSnapshots returns the fleet snapshots (operators only).
func (c *Client) ListSnapshots(ctx context.Context) ([]*cph.Snapshot, error) {
	var out struct {
		Snapshots []*cph.Snapshot `json:"snapshots"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: snapshotsPath, Out: &out}); err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	if out.Snapshots == nil {
		out.Snapshots = []*cph.Snapshot{}
	}
	return out.Snapshots, nil
}

// SaveSnapshot saves the fleet state as snapshot name (operators only).
func (c *Client) SaveSnapshot(ctx context.Context, name string, replace bool) (*cph.Snapshot, error) {
	var q url.Values
	if replace {
		q = url.Values{"replace": {"true"}}
	}
	var out struct {
		Snapshot *cph.Snapshot `json:"snapshot"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPut, Path: snapshotsPath + "/" + url.PathEscape(name), Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("save snapshot %s: %w", name, err)
	}
	return out.Snapshot, nil
}

// RestoreSnapshot brings snapshot name back (operators only).
func (c *Client) RestoreSnapshot(ctx context.Context, name string) (*cph.Snapshot, error) {
	var out struct {
		Snapshot *cph.Snapshot `json:"snapshot"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: snapshotsPath + "/" + url.PathEscape(name) + "/restore", Out: &out}); err != nil {
		return nil, fmt.Errorf("restore snapshot %s: %w", name, err)
	}
	return out.Snapshot, nil
}

// DeleteSnapshot deletes snapshot name (operators only).
func (c *Client) DeleteSnapshot(ctx context.Context, name string) error {
	if _, err := c.Do(ctx, Request{Method: http.MethodDelete, Path: snapshotsPath + "/" + url.PathEscape(name)}); err != nil {
		return fmt.Errorf("delete snapshot %s: %w", name, err)
	}
	return nil
}

// ListSnapshots implements cph.SnapshotService.
func (s *Services) ListSnapshots(ctx context.Context) ([]*cph.Snapshot, error) {
	return s.c.ListSnapshots(ctx)
}

// SaveSnapshot implements cph.SnapshotService.
func (s *Services) SaveSnapshot(ctx context.Context, name string, replace bool) (*cph.Snapshot, error) {
	if name == "" {
		return nil, cph.ErrInvalidParameter("name")
	}
	return s.c.SaveSnapshot(ctx, name, replace)
}

// RestoreSnapshot implements cph.SnapshotService.
func (s *Services) RestoreSnapshot(ctx context.Context, name string) (*cph.Snapshot, error) {
	if name == "" {
		return nil, cph.ErrSnapshotNotFound()
	}
	return s.c.RestoreSnapshot(ctx, name)
}

// DeleteSnapshot implements cph.SnapshotService. An empty name is refused
// as the server refuses an unknown one.
func (s *Services) DeleteSnapshot(ctx context.Context, name string) error {
	if name == "" {
		return cph.ErrSnapshotNotFound()
	}
	return s.c.DeleteSnapshot(ctx, name)
}
