package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opencph/opencph/client"
)

// auditCommand is "cph audit": the project's audit trail (admins only).
func (a *app) auditCommand() *cobra.Command {
	return group("audit", "Read the project's audit trail: mutating calls and logins (admins)", a.auditListCommand())
}

func (a *app) auditListCommand() *cobra.Command {
	var (
		since, until string
		f            client.AuditFilter
		all          bool
	)
	return command[auditList]{
		Use:   "list",
		Short: "List audit events, newest first",
		Long: `List the project's audit events, newest first: every call that changes
something and every login (success or refusal), with its time, user,
source address, operation, target ids, request id and result. Logins not
scoped to a project are listed in every project of the account.`,
		Example: `  cph audit list --since 24h --result failure
  cph audit list --operation RestartCloudPhone --user alice -o json`,
		Args: cobra.NoArgs,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&since, "since", "", "events at or after this time: RFC 3339, or a duration back from now (e.g. 24h)")
			cmd.Flags().StringVar(&until, "until", "", "events before this time: RFC 3339, or a duration back from now")
			cmd.Flags().StringVar(&f.User, "user", "", "user id or name")
			cmd.Flags().StringVar(&f.Operation, "operation", "", "operation name, e.g. RestartCloudPhone")
			cmd.Flags().StringVar(&f.Result, "result", "", "success or failure")
			cmd.Flags().IntVar(&f.Limit, "limit", 100, "events per page, 1-100")
			cmd.Flags().StringVar(&f.Marker, "marker", "", "start after this event id (the next marker of a previous page)")
			cmd.Flags().BoolVar(&all, "all", false, "follow the pages to the last event")
		},
		Check: func(*cobra.Command, []string, *settings) (err error) {
			if f.Since, err = parseWhen(since, "--since"); err != nil {
				return err
			}
			if f.Until, err = parseWhen(until, "--until"); err != nil {
				return err
			}
			if f.Limit < 1 || f.Limit > 100 {
				return &usageError{fmt.Errorf("--limit must be between 1 and 100, not %d", f.Limit)}
			}
			if f.Result != "" && f.Result != "success" && f.Result != "failure" {
				return &usageError{fmt.Errorf("--result must be success or failure, not %q", f.Result)}
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (l auditList, err error) {
			for {
				page, err := c.ListAuditEvents(ctx, f)
				if err != nil {
					return l, err
				}
				l.events = append(l.events, page.Events...)
				l.next = page.NextMarker
				if !all || l.next == "" {
					return l, nil
				}
				f.Marker = l.next
			}
		},
		JSON: func(l auditList) any { return l.events },
		Text: func(l auditList) error {
			t := &table{header: []string{"TIME", "USER", "SOURCE", "OPERATION", "RESULT", "TARGETS", "REQUEST"}}
			for _, e := range l.events {
				result := strconv.Itoa(e.Status)
				if e.ErrorCode != "" {
					result += " " + e.ErrorCode
				}
				if len(e.InjectedFaults) > 0 {
					result += " (injected)"
				}
				targets := strings.Join(e.TargetIDs, ",")
				if len(e.TargetIDs) > 3 {
					targets = strings.Join(e.TargetIDs[:3], ",") + fmt.Sprintf(",... (%d)", len(e.TargetIDs))
				}
				t.add(e.Time, e.UserName, e.SourceIP, e.Operation, result, targets, e.RequestID)
			}
			if err := t.write(a.stdout); err != nil {
				return err
			}
			if l.next != "" && !all {
				fmt.Fprintf(a.stderr, "more events: --marker %s (or --all)\n", l.next)
			}
			return nil
		},
	}.build(a)
}

// auditList is the answer of "cph audit list": the events of the pages
// read, and the marker of the next page.
type auditList struct {
	events []client.AuditEvent
	next   string
}

// parseWhen parses an RFC 3339 time or a duration back from now; empty
// is the zero time.
func parseWhen(v, flag string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return time.Now().Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, &usageError{fmt.Errorf("%s %q: want an RFC 3339 time (2026-03-14T08:00:00Z) or a duration (24h)", flag, v)}
	}
	return t, nil
}
