package service

import (
	"context"
	"errors"
	"fmt"
	"sync"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

var _ cph.StandInService = (*Services)(nil)

// maxWaitJobs bounds how many jobs of one request WaitForJobs reads.
const maxWaitJobs = 10000

// standIn is the state of the stand-in extensions: the waits in
// progress per user. Its zero value is ready.
type standIn struct {
	mu    sync.Mutex
	waits map[string]int // user id → WaitForJobs calls waiting
}

// enter counts a wait of user; false if the user has MaxJobWaitsPerUser.
func (st *standIn) enter(user string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.waits == nil {
		st.waits = map[string]int{}
	}
	if st.waits[user] >= cph.MaxJobWaitsPerUser {
		return false
	}
	st.waits[user]++
	return true
}

func (st *standIn) leave(user string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.waits[user]--; st.waits[user] <= 0 {
		delete(st.waits, user)
	}
}

// ShowSimSettings implements cph.StandInService.
func (s *Services) ShowSimSettings(ctx context.Context, phoneID string) (*cph.SimSettings, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	return s.simSettings(ctx, p.ProjectID, phoneID)
}

func (s *Services) simSettings(ctx context.Context, projectID, phoneID string) (*cph.SimSettings, error) {
	if phoneID != "" {
		if !cph.ValidID(phoneID) {
			return nil, cph.ErrInvalidPhoneID()
		}
		if _, err := s.db.PhoneByID(ctx, projectID, phoneID); errors.Is(err, sqlstore.ErrNotFound) {
			return nil, cph.ErrPhoneNotFound()
		} else if err != nil {
			return nil, fmt.Errorf("sim settings: %w", err)
		}
	}
	own, err := s.db.SimBootTime(ctx, projectID, phoneID)
	if err != nil {
		return nil, fmt.Errorf("sim settings: %w", err)
	}
	out := &cph.SimSettings{BootTimeMS: own}
	if phoneID != "" {
		out.EffectiveBootTimeMS = own
		if own == nil {
			if out.EffectiveBootTimeMS, err = s.db.SimBootTime(ctx, projectID, ""); err != nil {
				return nil, fmt.Errorf("sim settings: %w", err)
			}
		}
	}
	return out, nil
}

// SetSimSettings implements cph.StandInService.
func (s *Services) SetSimSettings(ctx context.Context, phoneID string, set cph.SimSettings) (*cph.SimSettings, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if set.BootTimeMS != nil && (*set.BootTimeMS < 0 || *set.BootTimeMS > cph.MaxSimBootTime.Milliseconds()) {
		return nil, cph.ErrInvalidParameter("boot_time_ms")
	}
	if _, err := s.simSettings(ctx, p.ProjectID, phoneID); err != nil {
		return nil, err
	}
	if err := s.db.SetSimBootTime(ctx, p.ProjectID, phoneID, set.BootTimeMS); err != nil {
		return nil, fmt.Errorf("set sim settings: %w", err)
	}
	return s.simSettings(ctx, p.ProjectID, phoneID)
}

// WaitForJobs implements cph.StandInService.
func (s *Services) WaitForJobs(ctx context.Context, w cph.JobWait) (*cph.JobWaitResult, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if (w.JobID == "") == (w.RequestID == "") || len(w.RequestID) > maxRequestIDLen || !cph.ValidText(w.RequestID) {
		return nil, cph.ErrInvalidRequestID()
	}
	if w.Timeout < 0 || w.Timeout > cph.MaxJobWait {
		return nil, cph.ErrInvalidParameter("timeout")
	}
	if w.JobID != "" {
		if _, err := s.ShowJob(ctx, w.JobID); err != nil {
			return nil, err
		}
	}
	if !s.standIn.enter(p.User.ID) {
		return nil, cph.ErrTooManyRequests()
	}
	defer s.standIn.leave(p.User.ID)
	return s.waitJobs(ctx, p.ProjectID, w)
}

// waitJobs waits for the jobs of w (validated) in projectID.
func (s *Services) waitJobs(ctx context.Context, projectID string, w cph.JobWait) (*cph.JobWaitResult, error) {
	if w.Timeout == 0 {
		w.Timeout = cph.DefaultJobWait
	}
	wctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	for {
		// The version is taken before the jobs are read: a job that ends
		// after the read moves it, so the wait below returns.
		since := s.change().Version
		res, err := s.readWaitedJobs(ctx, projectID, w)
		if err != nil || res.Final {
			return res, err
		}
		if _, err := s.WaitForChange(wctx, since); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// The timeout passed: the jobs as they are now.
			return s.readWaitedJobs(ctx, projectID, w)
		}
	}
}

// readWaitedJobs reads the job or the request's jobs of w.
func (s *Services) readWaitedJobs(ctx context.Context, projectID string, w cph.JobWait) (*cph.JobWaitResult, error) {
	var jobs []*cph.Job
	if w.JobID != "" {
		j, err := s.db.JobByID(ctx, projectID, w.JobID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return nil, cph.ErrJobNotFound()
		} else if err != nil {
			return nil, fmt.Errorf("wait for jobs: %w", err)
		}
		jobs = []*cph.Job{j}
	} else {
		for len(jobs) < maxWaitJobs {
			page, err := s.db.ListJobs(ctx, projectID, []string{w.RequestID}, len(jobs), cph.MaxJobPage)
			if err != nil {
				return nil, fmt.Errorf("wait for jobs: %w", err)
			}
			jobs = append(jobs, page...)
			if len(page) < cph.MaxJobPage {
				break
			}
		}
	}
	res := &cph.JobWaitResult{Final: true, Jobs: jobs}
	if res.Jobs == nil {
		res.Jobs = []*cph.Job{}
	}
	for _, j := range jobs {
		if !j.Status.Final() {
			res.Final = false
		}
	}
	return res, nil
}

// ResetStep is one part of ResetProject: it removes something of a
// project and adds how much to cleared (cph.ProjectResetResult.Cleared),
// under its own names. Steps run in order, before the phones are reset;
// a failing step stops the reset. A feature that keeps state per project
// (fault rules, say) adds its step to Config.ResetSteps.
type ResetStep struct {
	Name string
	Run  func(ctx context.Context, projectID string, cleared map[string]int) error
}

// resetSteps are the built-in steps and then those of Config.ResetSteps.
func (s *Services) resetSteps() []ResetStep {
	steps := []ResetStep{
		{Name: "jobs", Run: func(ctx context.Context, projectID string, cleared map[string]int) error {
			return s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
				n, err := tx.DeleteFinalJobs(ctx, projectID)
				cleared["jobs"] = n
				return err
			})
		}},
		{Name: "buckets", Run: s.resetBuckets},
		{Name: "custom_properties", Run: func(ctx context.Context, projectID string, cleared map[string]int) error {
			return s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
				n, err := tx.DeleteProjectCustomProperties(ctx, projectID)
				cleared["custom_properties"] = n
				return err
			})
		}},
		{Name: "faults", Run: s.resetFaults},
	}
	return append(steps, s.cfg.ResetSteps...)
}

// resetFaults deletes the project's fault-injection rules ("faults"),
// one by one as DeleteFault does, so that the jobs a hang or a delay
// holds are queued again before the phones are reset.
func (s *Services) resetFaults(ctx context.Context, projectID string, cleared map[string]int) error {
	rules, err := s.db.Faults(ctx, projectID)
	if err != nil {
		return err
	}
	cleared["faults"] = 0
	for _, f := range rules {
		found, err := s.engine.DeleteFault(ctx, projectID, f.ID)
		if err != nil {
			return fmt.Errorf("reset: delete fault %s: %w", f.ID, err)
		}
		if found {
			cleared["faults"]++
		}
	}
	return nil
}

// resetBuckets deletes the project's buckets with their objects
// ("buckets", "objects").
func (s *Services) resetBuckets(ctx context.Context, projectID string, cleared map[string]int) error {
	list, err := s.db.ListBuckets(ctx, projectID)
	if err != nil {
		return err
	}
	cleared["buckets"], cleared["objects"] = 0, 0
	for _, b := range list {
		objects, err := s.objects.DeleteBucket(ctx, b.Name)
		if err != nil {
			return err
		}
		if err := s.db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.DeleteBucketRecord(ctx, b.Name) }); err != nil {
			return err
		}
		cleared["buckets"]++
		cleared["objects"] += objects
	}
	return nil
}

// ResetProject implements cph.StandInService.
func (s *Services) ResetProject(ctx context.Context, r cph.ProjectReset) (*cph.ProjectResetResult, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if r.Timeout < 0 || r.Timeout > cph.MaxJobWait {
		return nil, cph.ErrInvalidParameter("timeout")
	}
	res := &cph.ProjectResetResult{Cleared: map[string]int{}, Jobs: []cph.PhoneJob{}}
	for _, step := range s.resetSteps() {
		if err := step.Run(ctx, p.ProjectID, res.Cleared); err != nil {
			return nil, fmt.Errorf("reset project: %s: %w", step.Name, err)
		}
	}
	ids, err := s.db.ProjectPhoneIDs(ctx, p.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("reset project: %w", err)
	}
	res.Final = true
	if len(ids) == 0 {
		return res, nil
	}
	refs := make([]cph.PhoneRef, len(ids))
	for i, id := range ids {
		refs[i] = cph.PhoneRef{PhoneID: id}
	}
	acc, err := s.engine.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpResetPhone, Phones: refs,
		Factory: true, Unbounded: true})
	if err != nil {
		return nil, fmt.Errorf("reset project: reset phones: %w", err)
	}
	res.RequestID, res.Jobs = acc.RequestID, acc.Jobs
	if !r.Wait {
		res.Final = false
		return res, nil
	}
	wres, err := s.waitJobs(ctx, p.ProjectID, cph.JobWait{RequestID: acc.RequestID, Timeout: r.Timeout})
	if err != nil {
		return nil, err
	}
	res.Final, res.FinalJobs = wres.Final, wres.Jobs
	return res, nil
}
