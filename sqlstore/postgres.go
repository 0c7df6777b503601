package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// maxPostgresConns is the most connections a store opens to PostgreSQL
// (besides the one Listen holds).
const maxPostgresConns = 20

// migrationLockID is the PostgreSQL advisory lock that serialises
// migrations when several cphd replicas start at once.
const migrationLockID = 0x6f70656e637068 // "opencph"

// OpenPostgres connects to the PostgreSQL database at url (a postgres://
// URL or a key=value connection string) and migrates it to the current
// schema. Concurrent callers (several replicas starting at once) migrate
// one after the other under an advisory lock.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	sqldb, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	// As many idle connections are kept as may be open: with fewer, a
	// burst (a fleet's agents polling at once) closes its extra
	// connections as they come back and opens new ones at the next burst,
	// and each new connection is a new server process whose statements
	// are all prepared again (a million-phone fleet opened about nine a
	// second). Connections unused for minutes are closed.
	sqldb.SetMaxOpenConns(maxPostgresConns)
	sqldb.SetMaxIdleConns(maxPostgresConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("sqlstore: connect to postgres: %w", err)
	}
	db := &DB{db: newSQLDB(sqldb, false), engine: Postgres, url: url}
	db.db.notify = func(ctx context.Context, g changeGroup) {
		// Best effort: a replica that misses it drops its caches at the
		// latest when their entries expire.
		_ = db.notifyChanges(context.WithoutCancel(ctx), db.db, g)
	}
	db.Now = defaultNow
	if err := db.migrateLocked(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return db, nil
}

// migrateLocked runs migrate while holding the migration advisory lock on
// one dedicated connection.
func (db *DB) migrateLocked(ctx context.Context) error {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migration connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockID)); err != nil {
		return fmt.Errorf("sqlstore: take migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLockID))
	return db.migrate(ctx)
}
