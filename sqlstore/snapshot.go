package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrNotSQLite is returned by Snapshot on a PostgreSQL store: its
// consistent copy is made with pg_dump.
var ErrNotSQLite = errors.New("sqlstore: snapshots are for SQLite databases; back up PostgreSQL with pg_dump")

// Snapshot writes a consistent copy of the SQLite database to path, a
// file that must not exist yet, with SQLite's VACUUM INTO: it reads one
// snapshot (a read transaction, so writers carry on) and writes a compact
// database file without a WAL. The file is created 0600.
func (db *DB) Snapshot(ctx context.Context, path string) error {
	if db.engine != SQLite {
		return ErrNotSQLite
	}
	// VACUUM INTO accepts an existing empty file: create it private.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlstore: snapshot: %w", err)
	}
	f.Close()
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("sqlstore: snapshot into %s: %w", path, err)
	}
	return nil
}

// SchemaVersion returns the highest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlstore: schema version: %w", err)
	}
	return v, nil
}
