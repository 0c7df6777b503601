// Package enginebase is the engine baseline of cph-bench: the row writes
// of a batch-restart fan-out, issued as plain SQL straight on the database,
// with no engine, no HTTP and no agents. It is the practical ceiling of
// the fan-out on that database, as the static HTTP server is for lists.
//
// The database is opened with sqlstore, so the schema, its indexes and
// their partial conditions are those of cphd; then a fleet is seeded as
// cph-bench enrolls it (servers of up to 1000 running phones) and the
// fan-out's writes run with the fan-out's batch sizes and grouping:
//
//   - accept, for each batch of 100 phones, in one transaction: the
//     phones' conditional move from a status a restart accepts to
//     restarting (4), one job row (running) and one operation row
//     (pending) per phone, from several goroutines at once;
//   - claim, per server as its operations arrive: its pending operations
//     (oldest first, up to 100) become claimed by the server's session,
//     with a lease and one more attempt;
//   - results, per server, of what it claimed, in one transaction: the
//     operations done, the jobs succeeded (2) with their end time, the
//     phones running (2).
//
// In the spread layout each batch takes one phone of each of up to 100
// servers, so a server claims one or two operations at a time; in the
// grouped layout a batch is 100 phones of one server. Like cphd's store,
// the baseline group-commits: writes that arrive while a transaction runs
// share the next one (at most 64 of them and one accept; one committer on
// SQLite, four on PostgreSQL). It leaves out what the engine reads to
// validate a batch (phones, servers, simulated boot times), its
// savepoints, heartbeats, wake-up notifications and change tracking.
// Run with GroupCommit false, every write is a transaction of its own.
package enginebase

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Layouts.
const (
	Spread  = "spread"
	Grouped = "grouped"
)

// Options says where the baseline runs and on what fleet.
type Options struct {
	// Postgres, if set, is the URL (postgres://…) of a PostgreSQL
	// database through which a new, empty database is created for the
	// baseline and dropped by Close; otherwise SQLitePath is a new SQLite
	// file.
	Postgres   string
	SQLitePath string
	// Phones is the fleet size; PerServer the phones of each server
	// (default 1000).
	Phones    int
	PerServer int
	Logger    *slog.Logger
}

// Baseline is a seeded database on which fan-outs run.
type Baseline struct {
	db      *sql.DB
	engine  sqlstore.Engine
	drop    func() error
	log     *slog.Logger
	project string
	servers []string   // in seeding order
	phones  [][]string // by server, in index order
	// SeedSeconds is how long opening, migrating and seeding took.
	SeedSeconds float64
}

// Open creates the baseline's database and seeds its fleet.
func Open(ctx context.Context, o Options) (_ *Baseline, err error) {
	if o.Phones <= 0 {
		return nil, errors.New("enginebase: no phones")
	}
	if o.PerServer <= 0 {
		o.PerServer = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	b := &Baseline{log: o.Logger, drop: func() error { return nil }}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	if o.Postgres != "" {
		scratch, drop, err := ScratchDatabase(ctx, o.Postgres, "cph_engine_baseline_")
		if err != nil {
			return nil, err
		}
		b.drop = drop
		store, err := sqlstore.OpenPostgres(ctx, scratch)
		if err != nil {
			return nil, fmt.Errorf("enginebase: %w", err)
		}
		store.Close()
		if b.db, err = sql.Open("pgx", scratch); err != nil {
			return nil, fmt.Errorf("enginebase: %w", err)
		}
		b.db.SetMaxOpenConns(20)
		b.db.SetMaxIdleConns(10)
		b.engine = sqlstore.Postgres
	} else {
		if o.SQLitePath == "" {
			return nil, errors.New("enginebase: no database")
		}
		store, err := sqlstore.OpenSQLite(ctx, o.SQLitePath)
		if err != nil {
			return nil, fmt.Errorf("enginebase: %w", err)
		}
		store.Close()
		// The connection settings of sqlstore.OpenSQLite.
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "cache_size(-4000)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Set("_txlock", "immediate")
		if b.db, err = sql.Open("sqlite", "file:"+filepath.Clean(o.SQLitePath)+"?"+q.Encode()); err != nil {
			return nil, fmt.Errorf("enginebase: %w", err)
		}
		b.db.SetMaxOpenConns(8)
		b.db.SetMaxIdleConns(8)
		b.engine = sqlstore.SQLite
	}
	if err := b.seed(ctx, o.Phones, o.PerServer); err != nil {
		return nil, err
	}
	b.SeedSeconds = time.Since(start).Seconds()
	b.log.Info("engine baseline: fleet seeded", "database", string(b.engine), "phones", o.Phones, "servers", len(b.servers),
		"seconds", fmt.Sprintf("%.1f", b.SeedSeconds))
	return b, nil
}

// Engine is the database engine of the baseline.
func (b *Baseline) Engine() sqlstore.Engine { return b.engine }

// Close closes the database and drops a PostgreSQL scratch database.
func (b *Baseline) Close() error {
	var errs []error
	if b.db != nil {
		errs = append(errs, b.db.Close())
		b.db = nil
	}
	if b.drop != nil {
		errs = append(errs, b.drop())
		b.drop = nil
	}
	return errors.Join(errs...)
}

// ScratchDatabase creates a new, empty database, named prefix and a
// random suffix, on the PostgreSQL server of base (a postgres:// URL
// whose database the statement runs in) and returns its URL and a
// function that drops it.
func ScratchDatabase(ctx context.Context, base, prefix string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("enginebase: %q is not a postgres:// URL", redact(base))
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, fmt.Errorf("enginebase: %w", err)
	}
	defer admin.Close()
	name := prefix + strings.ReplaceAll(cph.NewID()[:13], "-", "")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("enginebase: create the scratch database %s on %s: %w", name, redact(base), err)
	}
	drop := func() error {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return fmt.Errorf("enginebase: drop %s: %w", name, err)
		}
		defer a.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := a.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("enginebase: drop the scratch database %s: %w", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// redact returns a URL without its password.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// ph returns n placeholders from number start: "?" on SQLite (modernc's
// driver looks named ones up one by one), "$n" on PostgreSQL.
func (b *Baseline) ph(start, n int) string {
	var s strings.Builder
	for i := range n {
		if i > 0 {
			s.WriteString(", ")
		}
		if b.engine == sqlstore.SQLite {
			s.WriteString("?")
		} else {
			fmt.Fprintf(&s, "$%d", start+i)
		}
	}
	return s.String()
}

func micros(t time.Time) int64 { return t.UnixMicro() }

// seed inserts an account, a project, and servers of perServer running
// phones (the last one smaller) up to phones.
func (b *Baseline) seed(ctx context.Context, phones, perServer int) error {
	now := micros(time.Now())
	domain := cph.NewID()
	b.project = strings.ReplaceAll(cph.NewID(), "-", "")
	err := b.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO domains (id, name, enabled, created_at) VALUES (`+b.ph(1, 4)+`)`,
			domain, "engine-baseline", true, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO projects (id, domain_id, name, enabled, description, created_at) VALUES (`+b.ph(1, 6)+`)`,
			b.project, domain, "cn-north-4", true, "", now)
		return err
	})
	if err != nil {
		return fmt.Errorf("enginebase: seed the project: %w", err)
	}
	for n, i := 0, 0; n < phones; i++ {
		k := min(perServer, phones-n)
		if err := b.seedServer(ctx, i, k); err != nil {
			return fmt.Errorf("enginebase: seed server %d: %w", i+1, err)
		}
		n += k
	}
	return b.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO phone_counts (project_id, phones) VALUES (`+b.ph(1, 2)+`)`, b.project, phones)
		return err
	})
}

// seedServer inserts server number i with its phones in one transaction.
func (b *Baseline) seedServer(ctx context.Context, i, phones int) error {
	id := cph.NewID()
	now := micros(time.Now())
	name := fmt.Sprintf("baseline-%05d", i+1)
	ids := make([]string, phones)
	err := b.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO servers (id, project_id, name, availability_zone, model_name, phone_model_name, keypair_name, status,
			vpc_id, cidr, subnet_id, subnet_cidr, server_ip, public_ip, order_id, product_id, network_version, builtin_index, agent_token_hash,
			agent_session, last_seen, created_at, updated_at) VALUES (`+b.ph(1, 23)+`)`,
			id, b.project, name, "cn-north-4a", "physical.rx1.xlarge", "rx1.cp.c15.d46.e1v1", "", int32(cph.ServerNormal),
			"", "", "", "", "", "", "", "", "", 0, "baseline-"+id, "session-"+id, now, now, now)
		if err != nil {
			return err
		}
		const cols = 24
		for start := 0; start < phones; start += 100 {
			end := min(start+100, phones)
			var q strings.Builder
			q.WriteString(`INSERT INTO phones (id, project_id, server_id, idx, name, model_name, image_id, image_version, vnc_enable, status, type, imei,
				traffic_type, volume_mode, availability_zone, order_id, product_id, has_encrypt, property, ip,
				data_volume_type, data_volume_size, created_at, updated_at) VALUES `)
			args := make([]any, 0, (end-start)*cols)
			for j := start; j < end; j++ {
				if j > start {
					q.WriteString(", ")
				}
				q.WriteString("(" + b.ph(len(args)+1, cols) + ")")
				ids[j] = cph.NewID()
				args = append(args, ids[j], b.project, id, j, fmt.Sprintf("%s-%04d", name, j), "rx1.cp.c15.d46.e1v1", "", "", false,
					int32(cph.PhoneRunning), 0, "", "direct", 0, "cn-north-4a", "", "", false, "{}", "", "", 0, now, now)
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.servers = append(b.servers, id)
	b.phones = append(b.phones, ids)
	return nil
}

// tx runs fn in a transaction.
func (b *Baseline) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// pick returns the phones (and their servers) of n batches of 100 in
// layout, as cph-bench's fleet picks them: spread takes the first phone
// of every server, then the second, and so on; grouped takes the phones
// server by server.
func (b *Baseline) pick(layout string, n int) (phones, servers []string) {
	switch layout {
	case Grouped:
		for s, ids := range b.phones {
			for _, id := range ids {
				if len(phones) == n {
					return phones, servers
				}
				phones, servers = append(phones, id), append(servers, b.servers[s])
			}
		}
	default:
		for k := 0; len(phones) < n; k++ {
			took := false
			for s, ids := range b.phones {
				if k < len(ids) && len(phones) < n {
					phones, servers = append(phones, ids[k]), append(servers, b.servers[s])
					took = true
				}
			}
			if !took {
				break
			}
		}
	}
	return phones, servers
}

// RunOptions configures one fan-out.
type RunOptions struct {
	// Layout is Spread or Grouped.
	Layout string
	// Batches is the number of batches of 100 phones (fewer if the fleet
	// holds fewer distinct ones).
	Batches int
	// Accepters is how many goroutines accept batches at once (default
	// 16, cph-bench's default concurrency).
	Accepters int
	// GroupCommit lets the writes that arrive while a transaction runs
	// share the next one, as cphd's store does.
	GroupCommit bool
}

// Result is what one baseline fan-out measured.
type Result struct {
	Layout      string `json:"layout"`
	GroupCommit bool   `json:"group_commit"`
	Phones      int    `json:"phones"`
	Servers     int    `json:"servers"`
	Batches     int    `json:"batches"`
	Operations  int    `json:"operations"`
	// Seconds runs from the first accept until the last result committed.
	Seconds      float64 `json:"seconds"`
	OpsPerSecond float64 `json:"operations_per_second"`
	// Claims and ResultWrites count the claims that took operations and
	// the result writes; Transactions the transactions committed.
	Claims       int     `json:"claims"`
	ResultWrites int     `json:"result_writes"`
	Transactions int     `json:"transactions"`
	OpsPerClaim  float64 `json:"operations_per_claim"`
	// Final is the state of the rows afterwards.
	Final Final `json:"final"`
}

// Final counts the rows of the baseline's database by state.
type Final struct {
	Jobs          int `json:"jobs"`
	JobsSucceeded int `json:"jobs_succeeded"` // status 2 with an end time
	Operations    int `json:"operations"`
	OpsDone       int `json:"operations_done"`
	Phones        int `json:"phones"`
	PhonesRunning int `json:"phones_running"`
}

// OK reports whether every job succeeded, every operation is done and
// every phone runs.
func (f Final) OK() bool {
	return f.Jobs == f.JobsSucceeded && f.Operations == f.OpsDone && f.Phones == f.PhonesRunning && f.Jobs == f.Operations
}

// Check counts the rows by state.
func (b *Baseline) Check(ctx context.Context) (Final, error) {
	var f Final
	for _, q := range []struct {
		dst *int
		sql string
	}{
		{&f.Jobs, `SELECT COUNT(*) FROM jobs`},
		{&f.JobsSucceeded, fmt.Sprintf(`SELECT COUNT(*) FROM jobs WHERE status = %d AND end_at > 0`, cph.JobSucceeded)},
		{&f.Operations, `SELECT COUNT(*) FROM operations`},
		{&f.OpsDone, `SELECT COUNT(*) FROM operations WHERE state = 'done'`},
		{&f.Phones, `SELECT COUNT(*) FROM phones`},
		{&f.PhonesRunning, fmt.Sprintf(`SELECT COUNT(*) FROM phones WHERE status = %d`, cph.PhoneRunning)},
	} {
		if err := b.db.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return f, fmt.Errorf("enginebase: check the rows: %w", err)
		}
	}
	return f, nil
}

// write is one write waiting for a transaction.
type write struct {
	fn   func(*sql.Tx) error
	done chan error
}

// committer runs writes in transactions.
type committer struct {
	b            *Baseline
	group        bool
	calls, bulk  chan *write
	transactions atomic.Int64
}

// do runs fn in a transaction (shared with others under group commit) and
// returns once it committed.
func (c *committer) do(ctx context.Context, bulk bool, fn func(*sql.Tx) error) error {
	w := &write{fn: fn, done: make(chan error, 1)}
	ch := c.calls
	if bulk {
		ch = c.bulk
	}
	select {
	case ch <- w:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-w.done
}

// run commits waiting writes until ctx ends.
func (c *committer) run(ctx context.Context) {
	for {
		var batch []*write
		bulk := 0
		select {
		case w := <-c.calls:
			batch = append(batch, w)
		case w := <-c.bulk:
			batch = append(batch, w)
			bulk++
		case <-ctx.Done():
			return
		}
	more:
		for c.group && len(batch) < 64 {
			select {
			case w := <-c.calls:
				batch = append(batch, w)
				continue
			default:
			}
			if bulk >= 1 {
				break
			}
			select {
			case w := <-c.bulk:
				batch = append(batch, w)
				bulk++
			default:
				break more
			}
		}
		err := c.b.tx(ctx, func(tx *sql.Tx) error {
			for _, w := range batch {
				if err := w.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			c.transactions.Add(1)
		}
		for _, w := range batch {
			w.done <- err
		}
	}
}

// statements keeps prepared statements by text: prepared once, as cphd's
// store does on SQLite (pgx caches them itself on PostgreSQL).
type statements struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (s *statements) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	st, err := s.get(ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

func (s *statements) query(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	st, err := s.get(ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

func (s *statements) get(ctx context.Context, q string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.m[q]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s.m[q] = st
	return st, nil
}

func (s *statements) close() {
	for _, st := range s.m {
		st.Close()
	}
}

// claimed is an operation a server claimed.
type claimed struct{ id, job, phone string }

// Run runs one fan-out on the seeded fleet and checks that every row
// ended final.
func (b *Baseline) Run(ctx context.Context, o RunOptions) (*Result, error) {
	if o.Layout != Spread && o.Layout != Grouped {
		return nil, fmt.Errorf("enginebase: layout %q: want spread or grouped", o.Layout)
	}
	if o.Accepters <= 0 {
		o.Accepters = 16
	}
	total := 0
	for _, ids := range b.phones {
		total += len(ids)
	}
	batches := min(o.Batches, total/100)
	if batches <= 0 {
		return nil, fmt.Errorf("enginebase: %d phones hold no batch of 100", total)
	}
	phones, servers := b.pick(o.Layout, batches*100)
	res := &Result{Layout: o.Layout, GroupCommit: o.GroupCommit, Phones: total, Servers: len(b.servers), Batches: batches, Operations: len(phones)}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stmts := &statements{db: b.db, m: map[string]*sql.Stmt{}}
	defer stmts.close()
	c := &committer{b: b, group: o.GroupCommit, calls: make(chan *write), bulk: make(chan *write)}
	committers := 1
	if b.engine == sqlstore.Postgres {
		committers = 4
	}
	var cwg sync.WaitGroup
	for range committers {
		cwg.Go(func() { c.run(ctx) })
	}
	defer cwg.Wait()
	defer cancel()

	// One goroutine per server claims what is pending and writes its
	// results, woken by the accepts that queued work for it.
	// queued counts the operations accepted for each server: a server
	// claims while it has claimed fewer, so it never writes an empty
	// claim (the engine reads the queue before it claims).
	wake := make(map[string]chan struct{}, len(b.servers))
	queued := make(map[string]*atomic.Int64, len(b.servers))
	for _, s := range b.servers {
		wake[s] = make(chan struct{}, 1)
		queued[s] = &atomic.Int64{}
	}
	var applied, claims, resultWrites atomic.Int64
	finished := make(chan struct{})
	errc := make(chan error, 1)
	fail := func(err error) {
		select {
		case <-finished:
			return // the end cancelled the writes still waiting
		default:
		}
		select {
		case errc <- err:
		default:
		}
		cancel()
	}
	restartFrom := []cph.PhoneStatus{cph.PhoneRunning, cph.PhoneStopped, cph.PhoneResetFailed, cph.PhoneRestartFailed, cph.PhoneAbnormal, cph.PhoneStopFailed}
	claimSQL := `UPDATE operations SET state = 'claimed', session_id = ` + b.ph(1, 1) + `, lease_until = ` + b.ph(2, 1) + `, attempts = attempts + 1
		WHERE state = 'pending' AND id IN (
			SELECT id FROM operations WHERE server_id = ` + b.ph(3, 1) + ` AND state <> 'done' AND state = 'pending' ORDER BY created_at, id LIMIT 100)
		RETURNING id, job_id, phone_id`
	var swg sync.WaitGroup
	for _, s := range b.servers {
		swg.Go(func() {
			session := "session-" + s
			var took int64
			for {
				select {
				case <-wake[s]:
				case <-ctx.Done():
					return
				}
				for took < queued[s].Load() {
					var ops []claimed
					err := c.do(ctx, false, func(tx *sql.Tx) error {
						ops = ops[:0]
						rows, err := stmts.query(ctx, tx, claimSQL, session, micros(time.Now().Add(2*time.Minute)), s)
						if err != nil {
							return err
						}
						defer rows.Close()
						for rows.Next() {
							var op claimed
							if err := rows.Scan(&op.id, &op.job, &op.phone); err != nil {
								return err
							}
							ops = append(ops, op)
						}
						return rows.Err()
					})
					if err != nil {
						fail(fmt.Errorf("enginebase: claim: %w", err))
						return
					}
					if len(ops) == 0 {
						fail(fmt.Errorf("enginebase: server %s claimed nothing with %d operations queued and %d claimed", s, queued[s].Load(), took))
						return
					}
					took += int64(len(ops))
					claims.Add(1)
					if err := c.do(ctx, false, func(tx *sql.Tx) error { return b.results(ctx, tx, stmts, s, session, ops) }); err != nil {
						fail(fmt.Errorf("enginebase: results: %w", err))
						return
					}
					resultWrites.Add(1)
					if applied.Add(int64(len(ops))) == int64(len(phones)) {
						close(finished)
					}
				}
			}
		})
	}

	start := time.Now()
	next := make(chan int)
	var awg sync.WaitGroup
	for range min(o.Accepters, batches) {
		awg.Go(func() {
			for i := range next {
				ids, srvs := phones[i*100:(i+1)*100], servers[i*100:(i+1)*100]
				err := c.do(ctx, true, func(tx *sql.Tx) error { return b.accept(ctx, tx, stmts, ids, srvs, restartFrom) })
				if err != nil {
					fail(fmt.Errorf("enginebase: accept: %w", err))
					continue
				}
				for _, s := range srvs {
					queued[s].Add(1)
				}
				for _, s := range srvs {
					select {
					case wake[s] <- struct{}{}:
					default:
					}
				}
			}
		})
	}
feed:
	for i := range batches {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	awg.Wait()
	select {
	case <-finished:
	case <-ctx.Done():
	}
	elapsed := time.Since(start)
	cancel()
	swg.Wait()
	select {
	case err := <-errc:
		return nil, err
	default:
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	res.Seconds = elapsed.Seconds()
	res.OpsPerSecond = float64(res.Operations) / res.Seconds
	res.Claims, res.ResultWrites = int(claims.Load()), int(resultWrites.Load())
	res.Transactions = int(c.transactions.Load())
	if res.Claims > 0 {
		res.OpsPerClaim = float64(res.Operations) / float64(res.Claims)
	}
	var err error
	if res.Final, err = b.Check(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	if !res.Final.OK() {
		return res, fmt.Errorf("enginebase: rows not final after the fan-out: %+v", res.Final)
	}
	b.log.Info("engine baseline: fan-out done", "layout", o.Layout, "group_commit", o.GroupCommit, "operations", res.Operations,
		"ops_per_second", fmt.Sprintf("%.0f", res.OpsPerSecond), "transactions", res.Transactions)
	return res, nil
}

// accept writes a batch: the phones restarting, their jobs and
// operations.
func (b *Baseline) accept(ctx context.Context, tx *sql.Tx, stmts *statements, phones, servers []string, from []cph.PhoneStatus) error {
	now := micros(time.Now())
	args := []any{int32(cph.PhoneRestarting), now}
	for _, s := range from {
		args = append(args, int32(s))
	}
	n := len(args)
	for _, id := range phones {
		args = append(args, id)
	}
	res, err := stmts.exec(ctx, tx, `UPDATE phones SET status = `+b.ph(1, 1)+`, updated_at = `+b.ph(2, 1)+`
		WHERE status IN (`+b.ph(3, len(from))+`) AND id IN (`+b.ph(n+1, len(phones))+`)`, args...)
	if err != nil {
		return fmt.Errorf("phones: %w", err)
	}
	if changed, err := res.RowsAffected(); err != nil || int(changed) != len(phones) {
		return fmt.Errorf("phones: %d of %d moved to restarting (%v)", changed, len(phones), err)
	}
	request := cph.NewOrderedID()
	jobs := make([]string, len(phones))
	var q strings.Builder
	q.WriteString(`INSERT INTO jobs (id, request_id, project_id, position, kind, phone_id, server_id, status, begin_at, end_at, encode_server_id) VALUES `)
	args = args[:0]
	for i, id := range phones {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + b.ph(len(args)+1, 9) + ", 0, '')")
		jobs[i] = cph.NewOrderedID()
		args = append(args, jobs[i], request, b.project, i, string(cph.OpRestartPhone), id, servers[i], int32(cph.JobRunning), now)
	}
	if _, err := stmts.exec(ctx, tx, q.String(), args...); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	q.Reset()
	q.WriteString(`INSERT INTO operations (id, job_id, server_id, phone_id, kind, args, created_at, state, attempts, session_id, lease_until) VALUES `)
	args = args[:0]
	for i, id := range phones {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + b.ph(len(args)+1, 7) + ", 'pending', 0, '', 0)")
		args = append(args, cph.NewOrderedID(), jobs[i], servers[i], id, string(cph.OpRestartPhone), "{}", now)
	}
	if _, err := stmts.exec(ctx, tx, q.String(), args...); err != nil {
		return fmt.Errorf("operations: %w", err)
	}
	return nil
}

// results writes the success of the operations a server claimed: the
// operations done, their jobs succeeded, their phones running.
func (b *Baseline) results(ctx context.Context, tx *sql.Tx, stmts *statements, server, session string, ops []claimed) error {
	now := micros(time.Now())
	args := []any{server, session}
	for _, op := range ops {
		args = append(args, op.id)
	}
	res, err := stmts.exec(ctx, tx, `UPDATE operations SET state = 'done', lease_until = 0
		WHERE state = 'claimed' AND server_id = `+b.ph(1, 1)+` AND session_id = `+b.ph(2, 1)+` AND id IN (`+b.ph(3, len(ops))+`)`, args...)
	if err != nil {
		return fmt.Errorf("operations: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || int(n) != len(ops) {
		return fmt.Errorf("operations: %d of %d done (%v)", n, len(ops), err)
	}
	args = []any{int32(cph.JobSucceeded), now, int32(cph.JobRunning)}
	for _, op := range ops {
		args = append(args, op.job)
	}
	if _, err := stmts.exec(ctx, tx, `UPDATE jobs SET status = `+b.ph(1, 1)+`, end_at = `+b.ph(2, 1)+`
		WHERE status = `+b.ph(3, 1)+` AND id IN (`+b.ph(4, len(ops))+`)`, args...); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	args = []any{int32(cph.PhoneRunning), now, int32(cph.PhoneRestarting)}
	for _, op := range ops {
		args = append(args, op.phone)
	}
	if _, err := stmts.exec(ctx, tx, `UPDATE phones SET status = `+b.ph(1, 1)+`, updated_at = `+b.ph(2, 1)+`
		WHERE status IN (`+b.ph(3, 1)+`) AND id IN (`+b.ph(4, len(ops))+`)`, args...); err != nil {
		return fmt.Errorf("phones: %w", err)
	}
	return nil
}

// Project is the id of the seeded project.
func (b *Baseline) Project() string { return b.project }

// Fleet returns the seeded servers and, for each, its phones in index
// order.
func (b *Baseline) Fleet() (servers []string, phones [][]string) { return b.servers, b.phones }
