// Package sqlstore keeps OpenCPH's state in a SQL database: identities,
// tokens, servers, phones, jobs and the operations queued for agents.
//
// One implementation serves two engines through database/sql: SQLite
// (modernc.org/sqlite, pure Go, the embedded default) and PostgreSQL. The
// schema and queries are written in the SQL both accept ($n placeholders,
// RETURNING, BIGINT Unix-microsecond times). Every method that changes more
// than one row runs in one transaction; DB.Tx lets callers compose several
// changes in one transaction.
//
// Known limits: SQLite serialises writers (each transaction begins
// IMMEDIATE and waits up to the busy timeout for the write lock), so write
// throughput is bounded by one writer at a time.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ErrNotFound is returned (wrapped) when a looked-up row does not exist.
var ErrNotFound = errors.New("sqlstore: not found")

//go:embed migrations/*.sql
var migrationFS embed.FS

// Engine names a database engine.
type Engine string

// Supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is a handle to the store. It is safe for concurrent use.
type DB struct {
	db     *sqlDB
	engine Engine
	url    string // PostgreSQL connection string, for LISTEN
	group  grouper
	// limitsSwept is when (Unix microseconds) this process last deleted
	// spent rate-limit rows (see ratelimit.go).
	limitsSwept atomic.Int64
	// userChanges is the count of user changes last seen on SQLite (see
	// FollowUserChanges).
	userChanges atomic.Pointer[string]
	// wal watches the WAL-index header on SQLite, so that
	// FollowUserChanges reads only after a commit (nil: on every call).
	wal *walIndex

	// Now returns the current time; tests may replace it before use.
	Now func() time.Time
	// ObserveTx, if set before use, is told how long each transaction
	// took, from its begin to its commit or rollback, and whether it
	// committed.
	ObserveTx func(d time.Duration, committed bool)
	// afterCommit, if set (by tests), runs right after each commit of Tx,
	// before the versions move.
	afterCommit func()
}

// OpenSQLite opens (creating if needed) the SQLite database file at path,
// in WAL mode, and migrates it to the current schema.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlstore: create data dir: %w", err)
	}
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// 4 MiB of page cache per connection (twice SQLite's default): the
	// job engine's writes find more of the pages they change in memory.
	q.Add("_pragma", "cache_size(-4000)")
	q.Add("_pragma", "foreign_keys(1)")
	// Savepoints (each call of a shared transaction has one) keep the
	// pages they change in a sub-journal; in memory it costs no write
	// system calls. Temporary tables and indexes of sorts go there too.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	db := &DB{db: newSQLDB(sqldb, true), engine: SQLite, Now: defaultNow}
	if err := db.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	if db.wal, err = watchWALIndex(ctx, dsn, path); err != nil {
		sqldb.Close()
		return nil, err
	}
	return db, nil
}

// privateFiles makes the database file at path readable and writable by
// its owner only (0600), whatever the directory's mode and the umask: it
// holds password and token hashes and sealed secrets. The file is created
// (empty, which SQLite takes for a new database) if it does not exist.
// SQLite creates its -wal and -shm files with the database file's mode;
// files left by an earlier version with a wider mode are narrowed too.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlstore: create %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sqlstore: make %s private: %w", p, err)
		}
	}
	return nil
}

// defaultNow is the store's clock: the current time in UTC.
func defaultNow() time.Time { return time.Now().UTC() }

// Engine reports which database engine db uses.
func (db *DB) Engine() Engine { return db.engine }

// Close closes the database.
func (db *DB) Close() error {
	db.stopGroup()
	err := db.db.Close()
	if werr := db.wal.close(); err == nil {
		err = werr
	}
	return err
}

// Statements returns the number of SQL statements this handle has run
// since it was opened, in and out of transactions; for tests and
// diagnostics.
func (db *DB) Statements() int64 { return db.db.statements.Load() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }

// Tx is a transaction. Its methods compose changes that commit together.
type Tx struct {
	tx     *sqlTx
	now    time.Time
	engine Engine
}

// Now is the time at which the transaction started, as seen by DB.Now.
func (tx *Tx) Now() time.Time { return tx.now }

// Tx runs fn in one transaction and commits it if fn returns nil; any error
// rolls it back.
func (db *DB) Tx(ctx context.Context, fn func(*Tx) error) (err error) {
	defer db.db.lockWrites()()
	if db.ObserveTx != nil {
		start := time.Now()
		defer func() { db.ObserveTx(time.Since(start), err == nil) }()
	}
	sqltx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	tx := &Tx{tx: &sqlTx{Tx: sqltx, cache: db.db.cache, statements: &db.db.statements}, now: db.Now().UTC(), engine: db.engine}
	if err := fn(tx); err != nil {
		_ = sqltx.Rollback()
		return err
	}
	if err := db.notifyChanges(ctx, tx.tx, tx.tx.touched); err != nil {
		_ = sqltx.Rollback()
		return err
	}
	touched := tx.tx.touched
	defer db.db.changes.settling(touched)()
	if db.engine == SQLite || touched&(groupPhones|groupPhoneStatus) == 0 {
		// SQLite: one commit at a time, under the writer lock.
		if err := sqltx.Commit(); err != nil {
			return fmt.Errorf("sqlstore: commit: %w", err)
		}
		if db.afterCommit != nil {
			db.afterCommit()
		}
		db.db.changes.bumpWith(touched, tx.tx.status)
		return nil
	}
	// PostgreSQL, phones written: the versions move in commit order
	// (commitorder.go).
	ticket := db.db.changes.order.take()
	err = sqltx.Commit()
	if err == nil && db.afterCommit != nil {
		db.afterCommit()
	}
	db.db.changes.order.finish(db.db.changes, ticket, touched, tx.tx.status, err == nil)
	if err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}

// migrate applies the embedded migrations that are not applied yet, each in
// its own transaction.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlstore: create migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlstore: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlstore: migration %s: bad name: %w", base, err)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("sqlstore: read migration %s: %w", base, err)
		}
		if !db.migrationFor(base) {
			body = nil // another engine's: recorded as applied, nothing to run
		}
		err = db.Tx(ctx, func(tx *Tx) error {
			var n int
			if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range splitStatements(string(body)) {
				if _, err := tx.tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%w\n%s", err, stmt)
				}
			}
			_, err := tx.tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, micros(tx.now))
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlstore: apply migration %s: %w", base, err)
		}
	}
	return nil
}

// migrationFor reports whether the migration file base is for this
// store's engine: NNNN_name.sql is for both, NNNN_name.postgres.sql and
// NNNN_name.sqlite.sql for one of them only (its version is recorded on
// the other too, so that the versions stay one sequence).
func (db *DB) migrationFor(base string) bool {
	switch {
	case strings.HasSuffix(base, ".postgres.sql"):
		return db.engine == Postgres
	case strings.HasSuffix(base, ".sqlite.sql"):
		return db.engine == SQLite
	}
	return true
}

// splitStatements splits a migration file on semicolons that end a line,
// dropping comment-only lines.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// micros converts t to Unix microseconds; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros converts Unix microseconds to a UTC time; 0 is the zero time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// querier is what both sqlDB and sqlTx offer: *sql.DB and *sql.Tx queries
// whose parameters are checked (checkArgs) and whose errors are classified
// (classify).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *row
}

// queryAll runs q and returns every row it yields, read by scan; no row
// gives a nil slice. In errors, op names the query ("list users") and what
// one row ("user").
func queryAll[T any](ctx context.Context, qr querier, op, what string, scan func(interface{ Scan(...any) error }) (T, error),
	q string, args ...any) ([]T, error) {
	rows, err := qr.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: scan %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, classify(rows.Err())
}

// notFound turns sql.ErrNoRows into ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

// where is the WHERE clause of a list query being built: conditions that
// must all hold, and the parameters they number.
type where struct {
	conds []string
	args  []any
}

// add appends a condition on v: the %d of cond becomes v's parameter number.
func (w *where) add(cond string, v any) {
	w.args = append(w.args, v)
	w.conds = append(w.conds, fmt.Sprintf(cond, len(w.args)))
}

// sql returns the conditions joined by AND.
func (w *where) sql() string {
	return strings.Join(w.conds, " AND ")
}

// placeholders returns "$start, $start+1, ..." for n values.
func placeholders(start, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$")
		b.WriteString(strconv.Itoa(start + i))
	}
	return b.String()
}
