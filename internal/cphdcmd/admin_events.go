package cphdcmd

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/service"
	"github.com/opencph/opencph/sqlstore"
)

// runEventsAdmin runs "cphd admin events announce|list|withdraw": the
// operator's scheduled events, on the database directly (a running cphd
// picks them up at its next sweep).
func runEventsAdmin(ctx context.Context, args []string, e cmdEnv) error {
	fs, dataDir, database := adminFlags(e, "events")
	serverID := fs.String("server-id", "", "announce: the server concerned (list: only its events)")
	typ := fs.String("type", "", "announce: localdisk-recovery or system-maintenance")
	description := fs.String("description", "", "announce: what the maintenance is")
	deadline := fs.String("deadline", "", "announce: latest start without authorisation, YYYY-MM-DDTHH:MM:SSZ (default: 7 days from now)")
	duration := fs.Duration("duration", 0, "announce: planned duration (default 2h)")
	project := fs.String("project-id", "", "list: only this project's events")
	state := fs.String("state", "", "list: only events in these states, comma-separated")
	if len(args) == 0 {
		fs.Usage()
		return errors.New("admin events: announce, list or withdraw is required")
	}
	action := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch action {
	case "announce", "list":
		if fs.NArg() != 0 {
			return fmt.Errorf("admin events %s: takes no argument", action)
		}
	case "withdraw":
		if fs.NArg() != 1 {
			return errors.New("admin events withdraw: give one EVENT_ID")
		}
	default:
		return fmt.Errorf("admin events: unknown action %q: want announce, list or withdraw", action)
	}
	db, err := controlplane.OpenStore(ctx, *dataDir, *database)
	if err != nil {
		return err
	}
	defer db.Close()
	switch action {
	case "announce":
		if *serverID == "" || *typ == "" {
			return errors.New("admin events announce: --server-id and --type are required")
		}
		ev, err := service.AnnounceEvent(ctx, db, cph.AnnounceEventParams{ServerID: *serverID, Type: *typ, Description: *description,
			NotBeforeDeadline: *deadline, Duration: *duration})
		if err != nil {
			return fmt.Errorf("admin events announce: %w", err)
		}
		fmt.Fprintf(e.Stdout, "announced event %s for server %s (project %s), to be authorised by %s\n",
			ev.EventID, ev.ServerID, ev.ProjectID, ev.NotBeforeDeadline.Format(cph.TimeLayout))
	case "withdraw":
		ev, err := service.WithdrawEvent(ctx, db, fs.Arg(0))
		if err != nil {
			return fmt.Errorf("admin events withdraw: %w", err)
		}
		fmt.Fprintf(e.Stdout, "withdrew event %s: %s\n", ev.EventID, ev.State)
	case "list":
		q := sqlstore.EventQuery{ProjectID: *project, ServerID: *serverID, Limit: 10000}
		if *state != "" {
			q.States = cph.SplitEventValues([]string{*state})
		}
		list, _, err := db.ListEvents(ctx, q)
		if err != nil {
			return fmt.Errorf("admin events list: %w", err)
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EVENT_ID\tPROJECT_ID\tSERVER_ID\tTYPE\tSTATE\tNOT_BEFORE\tDEADLINE\tPUBLISHED")
		for _, ev := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.ID, ev.ProjectID, ev.ServerID, ev.Type, ev.State,
				adminTime(ev.NotBefore), adminTime(ev.NotBeforeDeadline), adminTime(ev.PublishTime))
		}
		return tw.Flush()
	}
	return nil
}

func adminTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(cph.TimeLayout)
}
