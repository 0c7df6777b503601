package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opencph/opencph"
)

// Event is a scheduled event as stored: its server's name and flavor are
// those of the announcement, until AddServerInfo sets the live ones (and
// the status) of a server that still exists.
type Event struct {
	ID, ProjectID, ServerID     string
	ServerName, ServerModelName string
	ServerStatus                *int32 // set by AddServerInfo; nil once the server is deleted
	Type, Description, State    string
	AuthorizationType           string
	PublishTime                 time.Time
	NotBefore, NotAfter         time.Time
	NotBeforeDeadline           time.Time
	Duration                    time.Duration
	StartTime, FinishTime       time.Time
	RequestID                   string
	RefusedPhones               int
}

// eventCols are the columns of an event. Statements on scheduled_events
// name no other fleet table after it: a fleet snapshot's restore locks the
// fleet tables in the order of snapshotTables (scheduled_events last), so
// a transaction that held scheduled_events while waiting for an earlier
// table would deadlock with it. The live server of an event is read by a
// statement of its own (AddServerInfo).
const eventCols = `id, project_id, server_id, server_name, server_model_name,
	type, description, state, authorization_type, publish_time, not_before, not_after, not_before_deadline,
	duration_us, start_time, finish_time, request_id, refused_phones`

const eventFrom = ` FROM scheduled_events e`

func scanEvent(row interface{ Scan(...any) error }) (*Event, error) {
	var e Event
	var publish, nb, na, deadline, dur, start, finish int64
	if err := row.Scan(&e.ID, &e.ProjectID, &e.ServerID, &e.ServerName, &e.ServerModelName,
		&e.Type, &e.Description, &e.State, &e.AuthorizationType, &publish, &nb, &na, &deadline,
		&dur, &start, &finish, &e.RequestID, &e.RefusedPhones); err != nil {
		return nil, err
	}
	e.PublishTime, e.NotBefore, e.NotAfter, e.NotBeforeDeadline = fromMicros(publish), fromMicros(nb), fromMicros(na), fromMicros(deadline)
	e.Duration = time.Duration(dur) * time.Microsecond
	e.StartTime, e.FinishTime = fromMicros(start), fromMicros(finish)
	return &e, nil
}

// CreateEvent stores a new event (state inquiring) for server srv,
// published at the transaction's time.
func (tx *Tx) CreateEvent(ctx context.Context, id string, srv *cph.Server, typ, description string, deadline time.Time, duration time.Duration) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO scheduled_events (id, project_id, server_id, server_name, server_model_name,
		type, description, state, authorization_type, publish_time, not_before, not_after, not_before_deadline, duration_us,
		start_time, finish_time, request_id, refused_phones)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'inquiring', '', $8, 0, 0, $9, $10, 0, 0, '', 0)`,
		id, srv.ProjectID, srv.ID, srv.Name, srv.ModelName, typ, description, micros(tx.now.Truncate(time.Second)),
		micros(deadline), duration.Microseconds())
	if err != nil {
		return fmt.Errorf("sqlstore: create event: %w", err)
	}
	return nil
}

// EventQuery selects and pages events.
type EventQuery struct {
	ProjectID                  string // "" any project
	EventID, ServerID          string
	PublishSince, PublishUntil time.Time // inclusive; zero does not bound
	States, Types              []string
	Marker                     string // the id of the last event of the previous page
	Limit                      int
}

// ListEvents returns the page of events q selects, newest publish time
// first and then by id, and the number of events matching its filters. A
// marker that names no event of the query's project is ErrNotFound.
func (db *DB) ListEvents(ctx context.Context, q EventQuery) ([]*Event, int, error) {
	var w where
	if q.ProjectID != "" {
		w.add("e.project_id = $%d", q.ProjectID)
	}
	if q.EventID != "" {
		w.add("e.id = $%d", q.EventID)
	}
	if q.ServerID != "" {
		w.add("e.server_id = $%d", q.ServerID)
	}
	if !q.PublishSince.IsZero() {
		w.add("e.publish_time >= $%d", micros(q.PublishSince))
	}
	if !q.PublishUntil.IsZero() {
		w.add("e.publish_time <= $%d", micros(q.PublishUntil))
	}
	in := func(col string, values []string) {
		if len(values) == 0 {
			return
		}
		start := len(w.args) + 1
		for _, v := range values {
			w.args = append(w.args, v)
		}
		w.conds = append(w.conds, col+" IN ("+placeholders(start, len(values))+")")
	}
	in("e.state", q.States)
	in("e.type", q.Types)
	cond := "1 = 1"
	if len(w.conds) > 0 {
		cond = w.sql()
	}
	var count int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM scheduled_events e WHERE `+cond, w.args...).Scan(&count); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: count events: %w", err)
	}
	if q.Marker != "" {
		mq := `SELECT publish_time FROM scheduled_events WHERE id = $1`
		margs := []any{q.Marker}
		if q.ProjectID != "" {
			mq += ` AND project_id = $2`
			margs = append(margs, q.ProjectID)
		}
		var mp int64
		if err := db.db.QueryRowContext(ctx, mq, margs...).Scan(&mp); err != nil {
			return nil, 0, notFound(err, "event marker "+q.Marker)
		}
		w.args = append(w.args, mp, q.Marker)
		n := len(w.args)
		w.conds = append(w.conds, fmt.Sprintf("(e.publish_time < $%d OR (e.publish_time = $%d AND e.id > $%d))", n-1, n-1, n))
		cond = w.sql()
	}
	w.args = append(w.args, q.Limit)
	list, err := queryAll(ctx, db.db, "list events", "event", scanEvent,
		`SELECT `+eventCols+eventFrom+` WHERE `+cond+fmt.Sprintf(` ORDER BY e.publish_time DESC, e.id LIMIT $%d`, len(w.args)), w.args...)
	if err != nil {
		return nil, 0, err
	}
	return list, count, db.AddServerInfo(ctx, list...)
}

// AddServerInfo sets the name, flavor and status of the events' servers
// that still exist (the names and flavors of the announcement stay for
// the others, whose ServerStatus stays nil).
func (db *DB) AddServerInfo(ctx context.Context, events ...*Event) error {
	var ids []any
	seen := map[string]bool{}
	for _, e := range events {
		if !seen[e.ServerID] {
			seen[e.ServerID] = true
			ids = append(ids, e.ServerID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := db.db.QueryContext(ctx, `SELECT id, name, model_name, status FROM servers WHERE id IN (`+placeholders(1, len(ids))+`)`, ids...)
	if err != nil {
		return fmt.Errorf("sqlstore: servers of events: %w", err)
	}
	defer rows.Close()
	type info struct {
		name, model string
		status      int32
	}
	found := map[string]info{}
	for rows.Next() {
		var id string
		var in info
		if err := rows.Scan(&id, &in.name, &in.model, &in.status); err != nil {
			return fmt.Errorf("sqlstore: servers of events: %w", err)
		}
		found[id] = in
	}
	if err := classify(rows.Err()); err != nil {
		return err
	}
	for _, e := range events {
		if in, ok := found[e.ServerID]; ok {
			st := in.status
			e.ServerName, e.ServerModelName, e.ServerStatus = in.name, in.model, &st
		}
	}
	return nil
}

// EventByID returns the event of projectID ("" any project) with that
// id, or ErrNotFound.
func (tx *Tx) EventByID(ctx context.Context, projectID, id string) (*Event, error) {
	q := `SELECT ` + eventCols + eventFrom + ` WHERE e.id = $1`
	args := []any{id}
	if projectID != "" {
		q += ` AND e.project_id = $2`
		args = append(args, projectID)
	}
	e, err := scanEvent(tx.tx.QueryRowContext(ctx, q, args...))
	if err != nil {
		return nil, notFound(err, "event "+id)
	}
	return e, nil
}

// AuthorizeEvent moves event id of projectID from inquiring to scheduled
// at notBefore (not after its deadline), with not_after notBefore plus
// its duration. It reports whether the event changed.
func (tx *Tx) AuthorizeEvent(ctx context.Context, projectID, id, authType string, notBefore time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE scheduled_events SET state = 'scheduled', authorization_type = $1,
		not_before = $2, not_after = $2 + duration_us
		WHERE id = $3 AND project_id = $4 AND state = 'inquiring' AND not_before_deadline >= $2`,
		authType, micros(notBefore), id, projectID)
	return changedOne(res, err, "authorize event")
}

// RescheduleEvent moves the not_before of scheduled event id of
// projectID (not after its deadline). It reports whether the event
// changed.
func (tx *Tx) RescheduleEvent(ctx context.Context, projectID, id string, notBefore time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE scheduled_events SET not_before = $1, not_after = $1 + duration_us
		WHERE id = $2 AND project_id = $3 AND state = 'scheduled' AND not_before_deadline >= $1`,
		micros(notBefore), id, projectID)
	return changedOne(res, err, "reschedule event")
}

// WithdrawEvent cancels event id if it has not started. It reports
// whether the event changed.
func (tx *Tx) WithdrawEvent(ctx context.Context, id string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE scheduled_events SET state = 'canceled', finish_time = $1
		WHERE id = $2 AND state IN ('inquiring', 'scheduled')`, micros(tx.now), id)
	return changedOne(res, err, "withdraw event")
}

func changedOne(res sql.Result, err error, op string) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	return n > 0, nil
}

// cancelServerEvents cancels the events of server id that have not
// started, in the transaction that deletes it.
func (tx *Tx) cancelServerEvents(ctx context.Context, id string) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE scheduled_events SET state = 'canceled', finish_time = $1
		WHERE server_id = $2 AND state IN ('inquiring', 'scheduled')`, micros(tx.now), id); err != nil {
		return fmt.Errorf("sqlstore: cancel events of server %s: %w", id, err)
	}
	return nil
}

// DeleteProjectEvents removes every event of a project and returns how
// many there were.
func (tx *Tx) DeleteProjectEvents(ctx context.Context, projectID string) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM scheduled_events WHERE project_id = $1`, projectID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete events of project %s: %w", projectID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// HasOverdueEvents reports whether an event is still inquiring at or
// after its deadline (a read, so that an idle sweep writes nothing).
func (db *DB) HasOverdueEvents(ctx context.Context, now time.Time) (bool, error) {
	var one int
	err := db.db.QueryRowContext(ctx, `SELECT 1 FROM scheduled_events WHERE state = 'inquiring' AND not_before_deadline <= $1 LIMIT 1`,
		micros(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlstore: overdue events: %w", err)
	}
	return true, nil
}

// PromoteOverdueEvents schedules, at their deadline and for maintenance,
// the events still inquiring once their deadline is reached. It returns
// how many changed.
func (tx *Tx) PromoteOverdueEvents(ctx context.Context) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE scheduled_events SET state = 'scheduled', authorization_type = 'maintenance',
		not_before = not_before_deadline, not_after = not_before_deadline + duration_us
		WHERE state = 'inquiring' AND not_before_deadline <= $1`, micros(tx.now))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: promote overdue events: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DueEvents returns up to max scheduled events whose not_before is at or
// before now, earliest first.
func (db *DB) DueEvents(ctx context.Context, now time.Time, max int) ([]*Event, error) {
	return queryAll(ctx, db.db, "due events", "event", scanEvent,
		`SELECT `+eventCols+eventFrom+` WHERE e.state = 'scheduled' AND e.not_before <= $1 ORDER BY e.not_before, e.id LIMIT $2`,
		micros(now), max)
}

// ClaimEvent moves event id from scheduled (due at the transaction's
// time) to executing, with the request id of its phone restarts and the
// number of phones it could not restart; with finished it ends the event
// at once instead, completed (no phone to restart). It reports whether
// this transaction claimed it: of concurrent claims, one changes the row.
func (tx *Tx) ClaimEvent(ctx context.Context, id, requestID string, refused int, finished bool) (bool, error) {
	now := micros(tx.now)
	state, finish := "executing", int64(0)
	if finished {
		state, finish = "completed", now
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE scheduled_events SET state = $1, start_time = $2, finish_time = $3,
		request_id = $4, refused_phones = $5
		WHERE id = $6 AND state = 'scheduled' AND not_before <= $2`, state, now, finish, requestID, refused, id)
	return changedOne(res, err, "claim event")
}

// ExecutingEvents returns the events in state executing.
func (db *DB) ExecutingEvents(ctx context.Context) ([]*Event, error) {
	return queryAll(ctx, db.db, "executing events", "event", scanEvent,
		`SELECT `+eventCols+eventFrom+` WHERE e.state = 'executing' ORDER BY e.start_time, e.id LIMIT 1000`)
}

// RequestJobCounts returns how many jobs of a request of projectID are
// not final, and how many failed.
func (db *DB) RequestJobCounts(ctx context.Context, projectID, requestID string) (open, failed int, err error) {
	err = db.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN status NOT IN ($3, $4) THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = $4 THEN 1 ELSE 0 END), 0)
		FROM jobs WHERE project_id = $1 AND request_id = $2`, projectID, requestID, int32(cph.JobSucceeded), int32(cph.JobFailed)).Scan(&open, &failed)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlstore: jobs of request %s: %w", requestID, err)
	}
	return open, failed, nil
}

// FinishEvent ends executing event id in state (completed or failed) at
// the transaction's time. It reports whether the event changed: of
// concurrent sweeps, one ends it.
func (tx *Tx) FinishEvent(ctx context.Context, id, state string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE scheduled_events SET state = $1, finish_time = $2 WHERE id = $3 AND state = 'executing'`,
		state, micros(tx.now), id)
	return changedOne(res, err, "finish event")
}

// PruneEvents deletes up to limit ended events (completed, failed,
// canceled) that finished before cutoff, and returns how many.
func (db *DB) PruneEvents(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if limit <= 0 || limit > MaxPruneBatch {
		return 0, fmt.Errorf("sqlstore: prune events: batch of %d, want 1..%d", limit, MaxPruneBatch)
	}
	var deleted int
	err := db.BulkTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM scheduled_events WHERE id IN (
			SELECT id FROM scheduled_events WHERE state IN ('completed', 'failed', 'canceled') AND finish_time > 0 AND finish_time < $1
			ORDER BY finish_time LIMIT $2)`, micros(cutoff), limit)
		if err != nil {
			return fmt.Errorf("sqlstore: prune events: %w", err)
		}
		n, err := res.RowsAffected()
		deleted = int(n)
		return err
	})
	return deleted, err
}
