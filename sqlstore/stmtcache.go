package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencph/opencph"
)

// maxCachedStatements bounds the statement cache. Queries are constant
// strings or built from a bounded set of shapes (placeholder lists of up
// to one batch), so the bound is only a guard; queries beyond it run
// without caching.
const maxCachedStatements = 2000

// stmtCache keeps one prepared statement per query text. database/sql
// prepares a cached statement once per connection and reuses it, so a
// query is parsed once per connection instead of at every call; with
// SQLite, parsing is a large part of a short statement's cost. PostgreSQL
// needs no cache here: pgx keeps its own per-connection cache of prepared
// statements.
type stmtCache struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// get returns the prepared statement of query, or nil when the statement
// cannot be cached (the cache is full, or preparing failed: the caller
// then runs the query directly and gets the error from there).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		return s
	}
	if len(c.stmts) >= maxCachedStatements {
		return nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.stmts[query] = s
	return s
}

// close closes every cached statement.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.stmts {
		s.Close()
		delete(c.stmts, q)
	}
}

// sqlDB is a *sql.DB whose queries go through the statement cache.
type sqlDB struct {
	*sql.DB
	cache *stmtCache // nil: no caching
	// writeMu, on SQLite, lets one writer at a time into the database.
	// SQLite itself has one writer at a time too, but a writer that finds
	// the database locked sleeps in steps of up to 100 ms before it tries
	// again; waiting here instead hands the lock over at once, in order.
	// SQLite serves one cphd process, so a process-wide lock covers every
	// writer.
	writeMu *sync.Mutex
	// changes follows writes (see changes.go); notify, on PostgreSQL, tells
	// the other replicas about a write made outside a transaction.
	changes *changes
	notify  func(ctx context.Context, g changeGroup)
	// statements counts the statements run, in and out of transactions
	// (DB.Statements).
	statements atomic.Int64
}

func newSQLDB(db *sql.DB, sqlite bool) *sqlDB {
	d := &sqlDB{DB: db, changes: &changes{origin: cph.NewID()}}
	d.changes.live.Store(sqlite)
	if sqlite {
		d.cache = &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
		d.writeMu = &sync.Mutex{}
	}
	return d
}

// lockWrites takes the writer lock on SQLite; the returned function
// releases it.
func (d *sqlDB) lockWrites() func() {
	if d.writeMu == nil {
		return func() {}
	}
	d.writeMu.Lock()
	return d.writeMu.Unlock
}

// isWrite reports whether query changes the database.
func isWrite(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) < 6 {
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER ", "REPLAC":
		return true
	}
	return false
}

// ExecContext is sql.DB.ExecContext through the statement cache (and, for
// a write on SQLite, the writer lock).
func (d *sqlDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !isWrite(query) {
		return d.exec(ctx, query, args...)
	}
	g := writtenGroup(query)
	unlock := d.lockWrites()
	// Settling from here: the write cannot be visible before it runs, and
	// a wait for the writer lock need not keep readers off their caches.
	defer d.changes.settling(g)()
	res, err := d.exec(ctx, query, args...)
	unlock()
	if err == nil && g != 0 {
		d.changes.bump(g)
		if d.notify != nil {
			d.notify(ctx, g)
		}
	}
	return res, err
}

func (d *sqlDB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	d.statements.Add(1)
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	if s := d.cache.get(ctx, query); s != nil {
		res, err := s.ExecContext(ctx, args...)
		return res, classify(err)
	}
	res, err := d.DB.ExecContext(ctx, query, args...)
	return res, classify(err)
}

// QueryContext is sql.DB.QueryContext through the statement cache. Writes
// that return rows must run in a DB.Tx, which holds the writer lock.
func (d *sqlDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	d.statements.Add(1)
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	if s := d.cache.get(ctx, query); s != nil {
		rows, err := s.QueryContext(ctx, args...)
		return rows, classify(err)
	}
	rows, err := d.DB.QueryContext(ctx, query, args...)
	return rows, classify(err)
}

// QueryRowContext is sql.DB.QueryRowContext through the statement cache.
func (d *sqlDB) QueryRowContext(ctx context.Context, query string, args ...any) *row {
	d.statements.Add(1)
	if err := checkArgs(args); err != nil {
		return refusedRow(query, err)
	}
	if s := d.cache.get(ctx, query); s != nil {
		return &row{r: s.QueryRowContext(ctx, args...)}
	}
	return &row{r: d.DB.QueryRowContext(ctx, query, args...)}
}

// Close closes the cached statements, then the database.
func (d *sqlDB) Close() error {
	d.cache.close()
	return d.DB.Close()
}

// sqlTx is a *sql.Tx whose queries go through the statement cache.
type sqlTx struct {
	*sql.Tx
	cache      *stmtCache
	touched    changeGroup   // groups written so far
	statements *atomic.Int64 // the database's count of statements
	// status holds the phone status changes made so far (see
	// statuslog.go), for the transaction's groupPhoneStatus.
	status []PhoneStatusChange
}

// queryStatus runs a phone status update (UPDATE phones SET status …
// RETURNING id) and records the changes it made in the transaction's
// status changes instead of marking the phones written.
func (t *sqlTx) queryStatus(ctx context.Context, query string, to cph.PhoneStatus, at time.Time, args ...any) ([]string, error) {
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	t.statements.Add(1)
	var rows *sql.Rows
	var err error
	if s := t.cache.get(ctx, query); s != nil {
		rows, err = t.StmtContext(ctx, s).QueryContext(ctx, args...)
	} else {
		rows, err = t.Tx.QueryContext(ctx, query, args...)
	}
	if err != nil {
		t.touched |= groupPhones // what changed is not known
		return nil, classify(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.touched |= groupPhones
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.touched |= groupPhones
		return nil, classify(err)
	}
	if len(ids) > 0 {
		t.touched |= groupPhoneStatus
		for _, id := range ids {
			t.status = append(t.status, PhoneStatusChange{ID: id, Status: to, UpdatedAt: at})
		}
	}
	return ids, nil
}

// track records the group a write statement changes.
func (t *sqlTx) track(query string) {
	if isWrite(query) {
		t.touched |= writtenGroup(query)
	}
}

// ExecContext is sql.Tx.ExecContext through the statement cache.
func (t *sqlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	t.track(query)
	t.statements.Add(1)
	if s := t.cache.get(ctx, query); s != nil {
		res, err := t.StmtContext(ctx, s).ExecContext(ctx, args...)
		return res, classify(err)
	}
	res, err := t.Tx.ExecContext(ctx, query, args...)
	return res, classify(err)
}

// QueryContext is sql.Tx.QueryContext through the statement cache.
func (t *sqlTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	t.track(query)
	t.statements.Add(1)
	if s := t.cache.get(ctx, query); s != nil {
		rows, err := t.StmtContext(ctx, s).QueryContext(ctx, args...)
		return rows, classify(err)
	}
	rows, err := t.Tx.QueryContext(ctx, query, args...)
	return rows, classify(err)
}

// QueryRowContext is sql.Tx.QueryRowContext through the statement cache.
func (t *sqlTx) QueryRowContext(ctx context.Context, query string, args ...any) *row {
	if err := checkArgs(args); err != nil {
		return refusedRow(query, err)
	}
	t.track(query)
	t.statements.Add(1)
	if s := t.cache.get(ctx, query); s != nil {
		return &row{r: t.StmtContext(ctx, s).QueryRowContext(ctx, args...)}
	}
	return &row{r: t.Tx.QueryRowContext(ctx, query, args...)}
}
