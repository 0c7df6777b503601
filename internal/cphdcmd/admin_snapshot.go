package cphdcmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/sqlstore"
)

// runSnapshotAdmin runs "cphd admin snapshot save|restore|list|delete".
func runSnapshotAdmin(ctx context.Context, args []string, e cmdEnv) error {
	fs, dataDir, database := adminFlags(e, "snapshot")
	replace := fs.Bool("replace", false, "save: replace a snapshot of the same name")
	if len(args) == 0 {
		fs.Usage()
		return errors.New("admin snapshot: save, restore, list or delete is required")
	}
	action := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var name string
	switch action {
	case "save", "restore", "delete":
		if fs.NArg() != 1 {
			return fmt.Errorf("admin snapshot %s: give one snapshot NAME", action)
		}
		name = fs.Arg(0)
		if !sqlstore.ValidSnapshotName(name) {
			return fmt.Errorf("admin snapshot %s: invalid name %q: 1 to %d letters, digits, '.', '_' or '-'", action, name, sqlstore.MaxSnapshotName)
		}
	case "list":
		if fs.NArg() != 0 {
			return errors.New("admin snapshot list: takes no argument")
		}
	default:
		return fmt.Errorf("admin snapshot: unknown action %q: want save, restore, list or delete", action)
	}
	db, err := controlplane.OpenStore(ctx, *dataDir, *database)
	if err != nil {
		return err
	}
	defer db.Close()
	switch action {
	case "save":
		s, err := db.SaveSnapshot(ctx, name, *replace)
		if errors.Is(err, sqlstore.ErrDuplicate) {
			return fmt.Errorf("admin snapshot save: snapshot %s exists; give --replace to replace it", name)
		} else if err != nil {
			return fmt.Errorf("admin snapshot save: %w", err)
		}
		fmt.Fprintf(e.Stdout, "saved snapshot %s: %s\n", name, rowCounts(s.Rows))
	case "restore":
		s, err := db.RestoreSnapshot(ctx, name)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return fmt.Errorf("admin snapshot restore: no snapshot %s", name)
		} else if err != nil {
			return fmt.Errorf("admin snapshot restore: %w", err)
		}
		fmt.Fprintf(e.Stdout, "restored snapshot %s of %s: %s\n", name, s.CreatedAt.UTC().Format(time.RFC3339), rowCounts(s.Rows))
	case "delete":
		if err := db.DeleteSnapshot(ctx, name); errors.Is(err, sqlstore.ErrNotFound) {
			return fmt.Errorf("admin snapshot delete: no snapshot %s", name)
		} else if err != nil {
			return fmt.Errorf("admin snapshot delete: %w", err)
		}
		fmt.Fprintf(e.Stdout, "deleted snapshot %s\n", name)
	case "list":
		list, err := db.ListSnapshots(ctx)
		if err != nil {
			return fmt.Errorf("admin snapshot list: %w", err)
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED\tSCHEMA")
		for _, s := range list {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", s.Name, s.CreatedAt.UTC().Format(time.RFC3339), s.SchemaVersion)
		}
		return tw.Flush()
	}
	return nil
}

// rowCounts writes "phones 6, jobs 2, ..." for the tables with rows.
func rowCounts(rows map[string]int) string {
	var parts []string
	for t, n := range rows {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", t, n))
		}
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return "no rows"
	}
	return strings.Join(parts, ", ")
}
