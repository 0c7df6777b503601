package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

// eventsCommand is "cph events": the scheduled events (maintenance the
// operator announced for the project's servers).
func (a *app) eventsCommand() *cobra.Command {
	return group("events", "List, authorise and reschedule the scheduled events of the project's servers",
		a.eventsListCommand(), a.eventsAuthorizeCommand(), a.eventsUpdateCommand())
}

func timeOf(t *cph.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

func (a *app) eventsListCommand() *cobra.Command {
	var (
		opts client.ListScheduledEventsOptions
		all  bool
	)
	return command[*client.ScheduledEventPage]{
		Use:   "list",
		Short: "List the project's scheduled events, newest first",
		Long: `List the project's scheduled events, newest announcement first.

--state and --type take several values (repeat them, or separate them with
commas): inquiring, scheduled, executing, completed, failed, canceled; and
localdisk-recovery, system-maintenance. --since and --until bound the time of
the announcement (YYYY-MM-DDTHH:MM:SSZ, both inclusive). A page holds --limit
events (1-100, default 10); the next page starts after --marker, the
next_marker a page prints. --all reads every page.`,
		Example: `  cph events list --state inquiring,scheduled
  cph events list --server-id 5f0c... --all -o json`,
		Args: cobra.NoArgs,
		Flags: func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.IntVar(&opts.Limit, "limit", 0, "events per page, 1-100 (default 10)")
			f.StringVar(&opts.Marker, "marker", "", "start after this event (a page's next_marker)")
			f.BoolVar(&all, "all", false, "read every page")
			f.StringVar(&opts.EventID, "event-id", "", "only this event")
			f.StringVar(&opts.ServerID, "server-id", "", "only the events of this server")
			f.StringSliceVar(&opts.States, "state", nil, "only events in these states (repeatable, or comma-separated)")
			f.StringSliceVar(&opts.Types, "type", nil, "only events of these types (repeatable, or comma-separated)")
			f.StringVar(&opts.PublishSince, "since", "", "announced at or after this time (YYYY-MM-DDTHH:MM:SSZ)")
			f.StringVar(&opts.PublishUntil, "until", "", "announced at or before this time")
		},
		Check: func(cmd *cobra.Command, _ []string, _ *settings) error {
			if opts.Limit < 0 {
				return &usageError{fmt.Errorf("--limit must not be negative")}
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (*client.ScheduledEventPage, error) {
			page, err := c.ListScheduledEvents(ctx, opts)
			if err != nil || !all {
				return page, err
			}
			for next := page.PageInfo.NextMarker; next != ""; {
				o := opts
				o.Marker = next
				more, err := c.ListScheduledEvents(ctx, o)
				if err != nil {
					return nil, err
				}
				page.ScheduledEvents = append(page.ScheduledEvents, more.ScheduledEvents...)
				next = more.PageInfo.NextMarker
				page.PageInfo = more.PageInfo
			}
			return page, nil
		},
		IDs: func(p *client.ScheduledEventPage) []string {
			return ids(p.ScheduledEvents, func(e cph.ScheduledEvent) string { return e.EventID })
		},
		JSON: func(p *client.ScheduledEventPage) any {
			return map[string]any{"count": p.Count, "scheduled_events": p.ScheduledEvents, "page_info": p.PageInfo}
		},
		Table: func(p *client.ScheduledEventPage) *table {
			t := &table{header: []string{"EVENT_ID", "SERVER_ID", "SERVER_NAME", "TYPE", "STATE", "AUTHORIZATION", "NOT_BEFORE", "DEADLINE", "PUBLISHED"}}
			for _, e := range p.ScheduledEvents {
				t.add(e.EventID, e.ServerID, e.ServerName, e.Type, e.State, e.AuthorizationType, timeOf(e.NotBefore), timeOf(e.NotBeforeDeadline), timeOf(e.PublishTime))
			}
			return t
		},
		Done: func(_ []string, p *client.ScheduledEventPage) error {
			if p.PageInfo.NextMarker != "" {
				fmt.Fprintf(a.stderr, "%d of %d events; next page: --marker %s\n", len(p.ScheduledEvents), p.Count, p.PageInfo.NextMarker)
			}
			return nil
		},
	}.build(a)
}

func (a *app) eventsAuthorizeCommand() *cobra.Command {
	var authType, notBefore string
	return command[outcome]{
		Use:   "authorize EVENT_ID",
		Short: "Authorise an event: it runs now, or at --not-before",
		Long: `Authorise a scheduled event (state inquiring; project admins only). The event
runs at --not-before (YYYY-MM-DDTHH:MM:SSZ, more than 5 minutes from now and
not after its deadline), or as soon as possible without it: every phone of
its server restarts. --type redeploy takes no --not-before.`,
		Example: `  cph events authorize 3c9b5a1e-7d2f-4e8a-9b6c-0d1e2f3a4b5c
  cph events authorize 3c9b5a1e-7d2f-4e8a-9b6c-0d1e2f3a4b5c --not-before 2026-09-15T18:00:00Z`,
		Args: cobra.ExactArgs(1),
		Flags: func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringVar(&authType, "type", cph.AuthorizeMaintenance, "authorization type: maintenance or redeploy")
			f.StringVar(&notBefore, "not-before", "", "planned start (YYYY-MM-DDTHH:MM:SSZ); empty runs it now")
		},
		Call: func(ctx context.Context, c *client.Client, args []string) (outcome, error) {
			var nb *string
			if notBefore != "" {
				nb = &notBefore
			}
			return outcome{"event_id", args[0], "authorized"}, c.AuthorizeScheduledEvent(ctx, args[0], &authType, nb)
		},
		JSON: outcome.JSON,
		Text: func(o outcome) error {
			when := "as soon as possible"
			if notBefore != "" {
				when = "at " + notBefore
			}
			fmt.Fprintf(a.stdout, "Authorised event %s: it runs %s.\n", o.id, when)
			return nil
		},
	}.build(a)
}

func (a *app) eventsUpdateCommand() *cobra.Command {
	var notBefore string
	return command[outcome]{
		Use:   "update EVENT_ID --not-before TIME",
		Short: "Move the planned start of an authorised event (empty: now)",
		Long: `Move the planned start of a scheduled event (state scheduled; project admins
only) to --not-before (YYYY-MM-DDTHH:MM:SSZ, more than 5 minutes from now and
not after its deadline); --not-before "" runs it now.`,
		Example: `  cph events update 3c9b5a1e-7d2f-4e8a-9b6c-0d1e2f3a4b5c --not-before 2026-09-16T01:30:00Z`,
		Args:    cobra.ExactArgs(1),
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&notBefore, "not-before", "", "new planned start (YYYY-MM-DDTHH:MM:SSZ); empty runs it now")
		},
		Check: func(cmd *cobra.Command, _ []string, _ *settings) error {
			if !cmd.Flags().Changed("not-before") {
				return &usageError{fmt.Errorf("--not-before is required (\"\" runs the event now)")}
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, args []string) (outcome, error) {
			return outcome{"event_id", args[0], "updated"}, c.UpdateScheduledEvent(ctx, args[0], &notBefore)
		},
		JSON: outcome.JSON,
		Text: func(o outcome) error {
			when := "as soon as possible"
			if notBefore != "" {
				when = "at " + notBefore
			}
			fmt.Fprintf(a.stdout, "Event %s now runs %s.\n", o.id, when)
			return nil
		},
	}.build(a)
}
