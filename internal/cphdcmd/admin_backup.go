package cphdcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/opencph/opencph/internal/backup"
	"github.com/opencph/opencph/sqlstore"
)

// runBackupAdmin runs "cphd admin backup" and "cphd admin restore".
func runBackupAdmin(ctx context.Context, cmd string, args []string, e cmdEnv) error {
	fs := flag.NewFlagSet("cphd admin "+cmd, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	env := func(name, def string) string {
		if v := e.Getenv(name); v != "" {
			return v
		}
		return def
	}
	var to, from, objectsDir, database string
	dataDir := env("CPH_DATA_DIR", "./cph-data")
	switch cmd {
	case "backup":
		fs.StringVar(&dataDir, "data-dir", dataDir, "data dir of the SQLite database to back up (cphd may be serving it) [CPH_DATA_DIR]")
		fs.StringVar(&objectsDir, "objects-dir", env("CPH_OBJECTS_DIR", ""), "objects directory to include; default <data-dir>/objects [CPH_OBJECTS_DIR]")
		fs.StringVar(&database, "database", env("CPH_DATABASE_URL", ""), "PostgreSQL URL: refused, back PostgreSQL up with pg_dump [CPH_DATABASE_URL]")
		fs.StringVar(&to, "to", "", "the backup file to write (a tar file; it must not exist)")
	case "restore":
		dataDir = ""
		fs.StringVar(&dataDir, "data-dir", "", "the new data dir to restore into (must not exist or be empty)")
		fs.StringVar(&from, "from", "", "the backup file written by cphd admin backup")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin %s: unexpected argument %q", cmd, fs.Arg(0))
	}
	switch cmd {
	case "backup":
		if database != "" {
			return errors.New("admin backup: the database is PostgreSQL; back it up with pg_dump and copy the server key and the objects directory (see docs/operations.md)")
		}
		if to == "" {
			return errors.New("admin backup: --to is required")
		}
		db, err := sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, backup.DatabaseName))
		if err != nil {
			return fmt.Errorf("admin backup: %w", err)
		}
		defer db.Close()
		m, err := backup.Create(ctx, db, backup.Options{DataDir: dataDir, ObjectsDir: objectsDir, To: to})
		if err != nil {
			return fmt.Errorf("admin %w", err)
		}
		fmt.Fprintf(e.Stdout, "backup of %s written to %s: schema version %d, %d entries\n", dataDir, to, m.SchemaVersion, m.Files)
	case "restore":
		if from == "" || dataDir == "" {
			return errors.New("admin restore: --from and --data-dir are required")
		}
		m, err := backup.Restore(ctx, from, dataDir)
		if err != nil {
			return fmt.Errorf("admin %w", err)
		}
		fmt.Fprintf(e.Stdout, "restored the backup of %s (schema version %d) into %s; start cphd with --data-dir %s\n",
			m.CreatedAt.Format("2006-01-02 15:04:05Z"), m.SchemaVersion, dataDir, dataDir)
	}
	return nil
}
