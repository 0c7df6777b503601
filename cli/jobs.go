package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

func (a *app) jobsCommand() *cobra.Command {
	return group("jobs", "List, show and wait for the jobs of asynchronous operations",
		a.jobsListCommand(),
		a.jobsShowCommand(),
		a.jobsWaitCommand(),
	)
}

func (a *app) jobsListCommand() *cobra.Command {
	var (
		page       pageFlags
		requestID  string
		requestIDs []string
	)
	cmd := &cobra.Command{
		Use:   "list --request-id ID | --request-ids ID,ID...",
		Short: "List the jobs of one or more asynchronous requests",
		Args:  cobra.NoArgs,
	}
	page.add(cmd, "jobs", client.MaxJobPageSize)
	cmd.Flags().StringVar(&requestID, "request-id", "", "request id returned by restart, stop or reset")
	cmd.Flags().StringSliceVar(&requestIDs, "request-ids", nil, "comma-separated request ids (at most 20)")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		opts := client.ListJobsOptions{RequestID: requestID, RequestIDs: requestIDs}
		if opts.RequestID == "" && len(opts.RequestIDs) == 0 {
			return usagef("--request-id or --request-ids is required")
		}
		var err error
		if opts.Offset, opts.Limit, err = page.values(cmd); err != nil {
			return err
		}
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		var list *client.JobList
		if page.all {
			list, err = c.ListAllJobs(cmd.Context(), opts)
		} else {
			list, err = c.ListJobs(cmd.Context(), opts)
		}
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, list)
		}
		return jobsTable(list.Jobs).write(a.stdout)
	})
	return cmd
}

func (a *app) jobsShowCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show JOB_ID",
		Short: "Show one job",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		j, err := c.ShowJob(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, j)
		}
		return writeFields(a.stdout,
			"job_id", j.ID,
			"phone_id", j.PhoneID,
			"server_id", j.ServerID,
			"status", jobStatus(j.Status),
			"error_code", deref(j.ErrorCode),
			"error_msg", deref(j.ErrorMsg),
			"execute_msg", deref(j.ExecuteMsg),
			"begin_time", fmtTime(j.BeginTime),
			"end_time", fmtTime(j.EndTime),
		)
	})
	return cmd
}

func (a *app) jobsWaitCommand() *cobra.Command {
	var wf waitFlags
	cmd := &cobra.Command{
		Use:   "wait REQUEST_ID",
		Short: "Wait until every job of a request has finished",
		Long: `Poll the jobs of an asynchronous request (progress on stderr) until all have
finished, then print them. The exit code is 0 only if every job succeeded;
a request without jobs (unknown, or every item refused) is an error.`,
		Args: cobra.ExactArgs(1),
	}
	wf.add(cmd, false)
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		if err := wf.check(); err != nil {
			return err
		}
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		jobs, err := a.waitJobs(cmd.Context(), c, args[0], wf)
		if err != nil {
			return err
		}
		if len(jobs) == 0 {
			return fmt.Errorf("request %s has no jobs: unknown request, or every item was refused", args[0])
		}
		if s.Output == "json" {
			err = writeJSON(a.stdout, client.JobList{RequestID: args[0], Jobs: jobs})
		} else {
			err = jobsTable(jobs).write(a.stdout)
		}
		if err != nil {
			return err
		}
		failed := 0
		for _, j := range jobs {
			if j.Status != cph.JobSucceeded {
				failed++
				a.printFailure(jobTarget(j), j.ID, deref(j.ErrorCode), deref(j.ErrorMsg))
			}
		}
		if failed > 0 {
			return &exitError{code: ExitFailure, err: fmt.Errorf("%d of %d jobs failed", failed, len(jobs))}
		}
		return nil
	})
	return cmd
}

// waitJobs waits for the jobs of requestID, printing a progress line on
// stderr whenever the counts change.
func (a *app) waitJobs(ctx context.Context, c *client.Client, requestID string, wf waitFlags) ([]cph.Job, error) {
	if wf.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wf.timeout)
		defer cancel()
	}
	last := ""
	jobs, err := c.WaitJobs(ctx, requestID, client.WaitOptions{
		Interval: wf.interval,
		Progress: func(jobs []cph.Job) {
			if line := progressLine(jobs); line != last {
				last = line
				fmt.Fprintln(a.stderr, line)
			}
		},
	})
	if err != nil && wf.timeout > 0 && errors.Is(err, context.DeadlineExceeded) {
		return jobs, fmt.Errorf("gave up after %v waiting for the jobs of request %s: %s", wf.timeout, requestID, progressLine(jobs))
	}
	return jobs, err
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
