package cphdcmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/iam"
)

// runRotateServerKey runs "cphd admin rotate-server-key": every access-key
// secret sealed with the previous server key is sealed with the new one,
// in one transaction.
func runRotateServerKey(ctx context.Context, args []string, e cmdEnv) error {
	fs := flag.NewFlagSet("cphd admin rotate-server-key", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	env := func(name, def string) string {
		if v := e.Getenv(name); v != "" {
			return v
		}
		return def
	}
	dataDir := fs.String("data-dir", env("CPH_DATA_DIR", "./cph-data"), "data directory of the SQLite database [CPH_DATA_DIR]")
	database := fs.String("database", env("CPH_DATABASE_URL", ""), "PostgreSQL URL [CPH_DATABASE_URL]")
	newKey := fs.String("server-key", env("CPH_SERVER_KEY", ""), "the new server key, 64 hex characters [CPH_SERVER_KEY]")
	oldKey := fs.String("server-key-previous", env("CPH_SERVER_KEY_PREVIOUS", ""), "the server key being replaced, 64 hex characters [CPH_SERVER_KEY_PREVIOUS]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin rotate-server-key: unexpected argument %q", fs.Arg(0))
	}
	if *newKey == "" || *oldKey == "" {
		return errors.New("admin rotate-server-key: --server-key (the new key) and --server-key-previous (the old one) are required")
	}
	cur, err := controlplane.ParseServerKey(*newKey)
	if err != nil {
		return fmt.Errorf("admin rotate-server-key: --server-key: %w", err)
	}
	prev, err := controlplane.ParseServerKey(*oldKey)
	if err != nil {
		return fmt.Errorf("admin rotate-server-key: --server-key-previous: %w", err)
	}
	if bytes.Equal(cur, prev) {
		return errors.New("admin rotate-server-key: --server-key and --server-key-previous are the same key")
	}
	db, err := controlplane.OpenStore(ctx, *dataDir, *database)
	if err != nil {
		return err
	}
	defer db.Close()
	svc, err := iam.New(db, iam.Config{ServerKey: cur, PreviousServerKey: prev})
	if err != nil {
		return err
	}
	r, err := svc.RotateServerKey(ctx)
	if err != nil {
		return fmt.Errorf("admin rotate-server-key: %w", err)
	}
	fmt.Fprintf(e.Stdout, "access key secrets re-encrypted with the new server key: %d; already under it: %d\n", r.Resealed, r.Current)
	return nil
}
