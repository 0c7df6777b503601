package cli

import (
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
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit events, newest first",
		Long: `List the project's audit events, newest first: every call that changes
something and every login (success or refusal), with its time, user,
source address, operation, target ids, request id and result. Logins not
scoped to a project are listed in every project of the account.`,
		Example: `  cph audit list --since 24h --result failure
  cph audit list --operation RestartCloudPhone --user alice -o json`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&since, "since", "", "events at or after this time: RFC 3339, or a duration back from now (e.g. 24h)")
	cmd.Flags().StringVar(&until, "until", "", "events before this time: RFC 3339, or a duration back from now")
	cmd.Flags().StringVar(&f.User, "user", "", "user id or name")
	cmd.Flags().StringVar(&f.Operation, "operation", "", "operation name, e.g. RestartCloudPhone")
	cmd.Flags().StringVar(&f.Result, "result", "", "success or failure")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "events per page, 1-100")
	cmd.Flags().StringVar(&f.Marker, "marker", "", "start after this event id (the next marker of a previous page)")
	cmd.Flags().BoolVar(&all, "all", false, "follow the pages to the last event")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		var err error
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
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		var events []client.AuditEvent
		next := ""
		for {
			page, err := c.ListAuditEvents(cmd.Context(), f)
			if err != nil {
				return err
			}
			events = append(events, page.Events...)
			next = page.NextMarker
			if !all || next == "" {
				break
			}
			f.Marker = next
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, events)
		}
		t := &table{header: []string{"TIME", "USER", "SOURCE", "OPERATION", "RESULT", "TARGETS", "REQUEST"}}
		for _, e := range events {
			result := strconv.Itoa(e.Status)
			if e.ErrorCode != "" {
				result += " " + e.ErrorCode
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
		if next != "" && !all {
			fmt.Fprintf(a.stderr, "more events: --marker %s (or --all)\n", next)
		}
		return nil
	})
	return cmd
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
