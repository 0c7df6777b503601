package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

func (a *app) jobsRecentCommand() *cobra.Command {
	var (
		opts client.RecentJobsOptions
		all  bool
	)
	return command[recentJobList]{
		Use:   "recent",
		Short: "List the project's recent jobs, newest first, without a request id",
		Long: `List the jobs of the project newest first (the jobs of one request in their
order), whatever request made them. --status, --request-id, --phone and
--server narrow the list; a page that is not the last ends with the marker
of the next one.`,
		Example: `  cph jobs recent --status failed
  cph jobs recent --server SERVER_ID --limit 20
  cph jobs recent --phone PHONE_ID -o json`,
		Args: cobra.NoArgs,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&opts.Status, "status", "", "running, succeeded or failed")
			cmd.Flags().StringVar(&opts.RequestID, "request-id", "", "jobs of this request")
			cmd.Flags().StringVar(&opts.PhoneID, "phone", "", "jobs of this phone")
			cmd.Flags().StringVar(&opts.ServerID, "server", "", "jobs of this server")
			cmd.Flags().IntVar(&opts.Limit, "limit", client.MaxJobPageSize, fmt.Sprintf("jobs per page, 1-%d", client.MaxJobPageSize))
			cmd.Flags().StringVar(&opts.Marker, "marker", "", "start after this job id (the next marker of a previous page)")
			cmd.Flags().BoolVar(&all, "all", false, "follow the pages to the oldest job")
		},
		Check: func(*cobra.Command, []string, *settings) error {
			if opts.Limit < 1 || opts.Limit > client.MaxJobPageSize {
				return usagef("--limit must be between 1 and %d, not %d", client.MaxJobPageSize, opts.Limit)
			}
			if _, ok := cph.ParseJobStatus(opts.Status); opts.Status != "" && !ok {
				return usagef("--status must be running, succeeded or failed, not %q", opts.Status)
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (l recentJobList, err error) {
			for {
				page, err := c.ListRecentJobs(ctx, opts)
				if err != nil {
					return l, err
				}
				l.jobs = append(l.jobs, page.Jobs...)
				l.next = page.NextMarker
				if !all || l.next == "" {
					return l, nil
				}
				opts.Marker = l.next
			}
		},
		IDs:  func(l recentJobList) []string { return ids(l.jobs, func(j cph.JobDoc) string { return j.ID }) },
		JSON: func(l recentJobList) any { return l.jobs },
		Text: func(l recentJobList) error {
			t := &table{header: []string{"JOB_ID", "KIND", "TARGET", "STATUS", "ERROR_CODE", "BEGIN", "END", "REQUEST_ID"}}
			for _, j := range l.jobs {
				t.add(j.ID, string(j.Kind), jobTarget(j.Job), jobStatus(j.Status), deref(j.ErrorCode),
					fmtTime(j.BeginTime), fmtTime(j.EndTime), j.RequestID)
			}
			if err := t.write(a.stdout); err != nil {
				return err
			}
			if l.next != "" && !all {
				fmt.Fprintf(a.stderr, "more jobs: --marker %s (or --all)\n", l.next)
			}
			return nil
		},
	}.build(a)
}

// recentJobList is the answer of "cph jobs recent": the jobs of the pages
// read, and the marker of the next page.
type recentJobList struct {
	jobs []cph.JobDoc
	next string
}

// overviewCommand is "cph overview": the fleet summary of the project.
func (a *app) overviewCommand() *cobra.Command {
	return command[*cph.FleetSummary]{
		Use:   "overview",
		Short: "Count the project's phones and servers by status, connected agents and recent job failures",
		Long: `Show the project's fleet at a glance: its phones and servers by status, the
servers whose agent is connected or not, the running jobs and the jobs that
failed in the last hour. The counts may be a few seconds old.`,
		Args: cobra.NoArgs,
		Call: func(ctx context.Context, c *client.Client, _ []string) (*cph.FleetSummary, error) {
			return c.FleetSummary(ctx)
		},
		Fields: func(s *cph.FleetSummary) []string {
			return []string{
				"phones", strconv.Itoa(s.Phones),
				"servers", strconv.Itoa(s.Servers),
				"agents_connected", strconv.Itoa(s.AgentsConnected),
				"agents_disconnected", strconv.Itoa(s.AgentsDisconnected),
				"jobs_running", strconv.Itoa(s.JobsRunning),
				"jobs_failed_last_hour", strconv.Itoa(s.JobsFailedLastHour),
				"at", fmtTime(s.At),
			}
		},
		Tables: func(s *cph.FleetSummary) []*table {
			phones := &table{header: []string{"PHONE_STATUS", "PHONES"}}
			for _, c := range s.PhonesByStatus {
				if c.Count > 0 {
					phones.add(phoneStatus(c.Status), strconv.Itoa(c.Count))
				}
			}
			servers := &table{header: []string{"SERVER_STATUS", "SERVERS"}}
			for _, c := range s.ServersByStatus {
				if c.Count > 0 {
					servers.add(serverStatus(c.Status), strconv.Itoa(c.Count))
				}
			}
			return []*table{phones, servers}
		},
	}.build(a)
}
