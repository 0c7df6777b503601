package console

import (
	"net/http"
	"slices"

	cph "github.com/opencph/opencph"
)

// batchStatus is the progress of the batches of one action of the
// console: their jobs as they are now, and the phones refused at once.
type batchStatus struct {
	// Verb names the action ("Restart"); empty when the page was
	// reloaded (only the request IDs are in its URL).
	Verb string
	// Phones is the number of phones the action named (0 when reloaded).
	Phones     int
	RequestIDs []string
	// Refused are the phones refused when the batches were submitted,
	// with their codes (shown once, on the answer to the action).
	Refused []cph.PhoneJob
	// Error is an error that stopped later batches (earlier ones went
	// through), with its code.
	Error, Code string

	Jobs                       []*cph.Job
	Running, Succeeded, Failed int
	// Final reports whether every job is final.
	Final bool
}

// Failures returns the failed jobs.
func (b *batchStatus) Failures() []*cph.Job {
	var out []*cph.Job
	for _, j := range b.Jobs {
		if j.Status == cph.JobFailed {
			out = append(out, j)
		}
	}
	return out
}

// batchStatus reads the progress of the batches with the given request
// IDs (as a reloaded page names them).
func (c *Console) batchStatus(r *http.Request, s *session, ids []string) (*batchStatus, error) {
	if len(ids) > cph.MaxJobRequests {
		return nil, userError{http.StatusBadRequest, "A page follows at most 20 batches."}
	}
	b := &batchStatus{RequestIDs: slices.Compact(slices.Clone(ids))}
	return b, c.loadBatch(r, s, b)
}

// loadBatch reads the jobs of b's requests and counts them.
func (c *Console) loadBatch(r *http.Request, s *session, b *batchStatus) error {
	b.Jobs, b.Running, b.Succeeded, b.Failed = nil, 0, 0, 0
	if len(b.RequestIDs) == 0 {
		b.Final = true
		return nil
	}
	for offset := 0; ; offset += cph.MaxJobPage {
		jobs, err := c.cfg.Jobs.ListJobs(s.ctx(r), cph.JobFilter{RequestIDs: b.RequestIDs, Offset: offset, Limit: cph.MaxJobPage})
		if err != nil {
			return err
		}
		b.Jobs = append(b.Jobs, jobs...)
		if len(jobs) < cph.MaxJobPage || len(b.Jobs) >= cph.MaxJobRequests*c.cfg.MaxBatch {
			break
		}
	}
	for _, j := range b.Jobs {
		switch j.Status {
		case cph.JobSucceeded:
			b.Succeeded++
		case cph.JobFailed:
			b.Failed++
		default:
			b.Running++
		}
	}
	b.Final = b.Running == 0
	return nil
}
