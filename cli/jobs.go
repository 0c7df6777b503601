package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

func (a *app) jobsCommand() *cobra.Command {
	return group("jobs", "List, show and wait for the jobs of asynchronous operations",
		a.jobsListCommand(),
		a.jobsRecentCommand(),
		a.jobsShowCommand(),
		a.jobsWaitCommand(),
	)
}

func (a *app) jobsListCommand() *cobra.Command {
	var (
		opts client.ListJobsOptions
		page = &pageFlags{what: "jobs", maxLimit: client.MaxJobPageSize}
	)
	return command[*client.JobList]{
		Use:   "list --request-id ID | --request-ids ID,ID...",
		Short: "List the jobs of one or more asynchronous requests",
		Args:  cobra.NoArgs,
		Page:  page,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&opts.RequestID, "request-id", "", "request id returned by restart, stop or reset")
			cmd.Flags().StringSliceVar(&opts.RequestIDs, "request-ids", nil, "comma-separated request ids (at most 20)")
		},
		Check: func(cmd *cobra.Command, _ []string, _ *settings) (err error) {
			if opts.RequestID == "" && len(opts.RequestIDs) == 0 {
				return usagef("--request-id or --request-ids is required")
			}
			opts.Offset, opts.Limit, err = page.values(cmd)
			return err
		},
		Call:  listPages(page, &opts, (*client.Client).ListAllJobs, (*client.Client).ListJobs),
		IDs:   func(l *client.JobList) []string { return ids(l.Jobs, func(j cph.Job) string { return j.ID }) },
		Table: func(l *client.JobList) *table { return jobsTable(l.Jobs) },
	}.build(a)
}

func (a *app) jobsShowCommand() *cobra.Command {
	return withID(command[*cph.Job]{
		Use:   "show JOB_ID",
		Short: "Show one job",
		Fields: func(j *cph.Job) []string {
			return []string{
				"job_id", j.ID,
				"phone_id", j.PhoneID,
				"server_id", j.ServerID,
				"status", jobStatus(j.Status),
				"error_code", deref(j.ErrorCode),
				"error_msg", deref(j.ErrorMsg),
				"execute_msg", deref(j.ExecuteMsg),
				"begin_time", fmtTime(j.BeginTime),
				"end_time", fmtTime(j.EndTime),
			}
		},
	}, (*client.Client).ShowJob).build(a)
}

func (a *app) jobsWaitCommand() *cobra.Command {
	wf := &waitFlags{always: true}
	return command[client.JobList]{
		Use:   "wait REQUEST_ID",
		Short: "Wait until every job of a request has finished",
		Long: `Poll the jobs of an asynchronous request (progress on stderr) until all have
finished, then print them. The exit code is 0 only if every job succeeded;
a request without jobs (unknown, or every item refused) is an error.`,
		Args: cobra.ExactArgs(1),
		Wait: wf,
		Call: func(ctx context.Context, c *client.Client, args []string) (client.JobList, error) {
			jobs, err := a.waitJobs(ctx, c, args[0], *wf)
			if err == nil && len(jobs) == 0 {
				err = fmt.Errorf("request %s has no jobs: unknown request, or every item was refused", args[0])
			}
			return client.JobList{RequestID: args[0], Jobs: jobs}, err
		},
		Table: func(l client.JobList) *table { return jobsTable(l.Jobs) },
		Done: func(_ []string, l client.JobList) error {
			if failed := a.printFailedJobs(l.Jobs); failed > 0 {
				return &exitError{code: ExitFailure, err: fmt.Errorf("%d of %d jobs failed", failed, len(l.Jobs))}
			}
			return nil
		},
	}.build(a)
}

// printFailedJobs reports on stderr each job that did not succeed and
// returns how many they are.
func (a *app) printFailedJobs(jobs []cph.Job) int {
	failed := 0
	for _, j := range jobs {
		if j.Status != cph.JobSucceeded {
			failed++
			a.printFailure(jobTarget(j), j.ID, deref(j.ErrorCode), deref(j.ErrorMsg))
		}
	}
	return failed
}

// waitJobs waits for the jobs of requestID, showing their progress on
// stderr: one line redrawn in place on a terminal, else a line whenever the
// counts change (none with -o json). When the wait ends early (timeout,
// interrupt, failure) the error is a *waitError that tells how to resume.
func (a *app) waitJobs(ctx context.Context, c *client.Client, requestID string, wf waitFlags) ([]cph.Job, error) {
	if wf.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, wf.timeout, errTimeout)
		defer cancel()
	}
	rememberRequest(a.resolved, requestID)
	p := a.newProgress()
	jobs, err := c.WaitJobs(ctx, requestID, client.WaitOptions{
		Interval: wf.interval,
		Progress: p.update,
	})
	p.done()
	if err == nil {
		return jobs, nil
	}
	if wf.timeout > 0 && errors.Is(context.Cause(ctx), errTimeout) {
		err = fmt.Errorf("gave up after %v waiting for the jobs of request %s (%s): %w", wf.timeout, requestID, progressLine(jobs), errTimeout)
	}
	return jobs, &waitError{requestID: requestID, err: err}
}

// progressLine summarizes jobs, e.g. "waiting: 3/5 done, 1 failed".
func progressLine(jobs []cph.Job) string {
	done, failed := 0, 0
	for _, j := range jobs {
		if j.Status.Final() {
			done++
		}
		if j.Status == cph.JobFailed {
			failed++
		}
	}
	return fmt.Sprintf("waiting: %d/%d done, %d failed", done, len(jobs), failed)
}

// progress shows the progress of a wait on stderr.
type progress struct {
	w     io.Writer
	tty   bool // redraw one line in place
	quiet bool // show nothing (-o json on a pipe)
	start time.Time
	now   func() time.Time
	last  string
	drawn bool
}

// newProgress returns the progress display of a wait.
func (a *app) newProgress() *progress {
	p := &progress{w: a.stderr, start: time.Now(), now: time.Now}
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	p.quiet = !p.tty && a.flags.output == "json"
	return p
}

// update shows the state of jobs.
func (p *progress) update(jobs []cph.Job) {
	switch {
	case p.quiet:
	case p.tty:
		elapsed := p.now().Sub(p.start).Truncate(time.Second)
		fmt.Fprintf(p.w, "\r\x1b[K%s (%v)", stateCounts(jobs), elapsed)
		p.drawn = true
	default:
		if line := progressLine(jobs); line != p.last {
			p.last = line
			fmt.Fprintln(p.w, line)
		}
	}
}

// done ends the redrawn line.
func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// stateCounts counts jobs per state, e.g.
// "jobs: 5 | running 2 | succeeded 2 | failed 1".
func stateCounts(jobs []cph.Job) string {
	var running, succeeded, failed, other int
	for _, j := range jobs {
		switch j.Status {
		case cph.JobRunning:
			running++
		case cph.JobSucceeded:
			succeeded++
		case cph.JobFailed:
			failed++
		default:
			other++
		}
	}
	parts := []string{fmt.Sprintf("jobs: %d", len(jobs)), fmt.Sprintf("running %d", running),
		fmt.Sprintf("succeeded %d", succeeded), fmt.Sprintf("failed %d", failed)}
	if other > 0 {
		parts = append(parts, fmt.Sprintf("other %d", other))
	}
	return strings.Join(parts, " | ")
}
