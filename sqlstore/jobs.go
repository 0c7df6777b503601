package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opencph/opencph"
)

// Operation states.
const (
	OpPending = "pending" // waiting for the server's agent
	OpClaimed = "claimed" // handed to an agent session, lease running
	OpDone    = "done"    // result applied (or failed by the control plane)
)

// OperationRecord is an operation with its queue bookkeeping.
type OperationRecord struct {
	cph.Operation
	State      string
	SessionID  string
	LeaseUntil time.Time
	CreatedAt  time.Time
}

// CreateJob inserts a job.
func (tx *Tx) CreateJob(ctx context.Context, j *cph.Job) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO jobs (id, request_id, project_id, position, kind, phone_id, server_id, status, begin_at, end_at, encode_server_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)`,
		j.ID, j.RequestID, j.ProjectID, j.Position, string(j.Kind), j.PhoneID, j.ServerID, int32(j.Status), micros(j.BeginTime.Time), j.EncodeServerID)
	if err != nil {
		return fmt.Errorf("sqlstore: create job: %w", err)
	}
	return nil
}

// CreateOperation queues an operation for the agent of op.ServerID.
func (tx *Tx) CreateOperation(ctx context.Context, op *cph.Operation) error {
	args := string(op.Args)
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO operations (id, job_id, server_id, phone_id, kind, args, state, attempts, session_id, lease_until, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, '', 0, $7)`,
		op.ID, op.JobID, op.ServerID, op.PhoneID, string(op.Kind), args, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: create operation: %w", err)
	}
	return nil
}

const jobCols = `id, request_id, project_id, position, kind, phone_id, server_id, status, begin_at, end_at, error_code, error_msg, execute_msg, encode_server_id`

func scanJob(row interface{ Scan(...any) error }) (*cph.Job, error) {
	var j cph.Job
	var kind string
	var begin, end int64
	var code, msg, exec sql.NullString
	if err := row.Scan(&j.ID, &j.RequestID, &j.ProjectID, &j.Position, &kind, &j.PhoneID, &j.ServerID, &j.Status, &begin, &end, &code, &msg, &exec, &j.EncodeServerID); err != nil {
		return nil, err
	}
	j.Kind = cph.OpKind(kind)
	j.BeginTime = cph.NewTime(fromMicros(begin))
	j.EndTime = cph.NewTime(fromMicros(end))
	if code.Valid {
		j.ErrorCode = &code.String
	}
	if msg.Valid {
		j.ErrorMsg = &msg.String
	}
	if exec.Valid {
		j.ExecuteMsg = &exec.String
	}
	return &j, nil
}

// JobByID returns the job of projectID with that id, or ErrNotFound.
func (db *DB) JobByID(ctx context.Context, projectID, id string) (*cph.Job, error) {
	j, err := scanJob(db.db.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = $1 AND project_id = $2`, id, projectID))
	if err != nil {
		return nil, notFound(err, "job "+id)
	}
	return j, nil
}

// JobByID returns the job with that id inside the transaction, or ErrNotFound.
func (tx *Tx) JobByID(ctx context.Context, id string) (*cph.Job, error) {
	j, err := scanJob(tx.tx.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "job "+id)
	}
	return j, nil
}

// ListJobs returns the jobs of projectID created by the given requests,
// except screenshot jobs (cph.OpScreenshot), which users do not see,
// ordered by the position of their request in requestIDs, then by their
// position in the request, paged by offset and limit.
func (db *DB) ListJobs(ctx context.Context, projectID string, requestIDs []string, offset, limit int) ([]*cph.Job, error) {
	if len(requestIDs) == 0 {
		return nil, nil
	}
	args := []any{projectID, string(cph.OpScreenshot)}
	var order strings.Builder
	order.WriteString("CASE request_id")
	for i, id := range requestIDs {
		args = append(args, id)
		fmt.Fprintf(&order, " WHEN $%d THEN %d", len(args), i)
	}
	order.WriteString(" END")
	in := placeholders(3, len(requestIDs))
	args = append(args, limit, offset)
	q := fmt.Sprintf(`SELECT `+jobCols+` FROM jobs WHERE project_id = $1 AND kind <> $2 AND request_id IN (%s) ORDER BY %s, position LIMIT $%d OFFSET $%d`,
		in, order.String(), len(args)-1, len(args))
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list jobs: %w", err)
	}
	defer rows.Close()
	var out []*cph.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: scan job: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// FinishJobParams says how a running job ends: its final status and
// messages. A nil message is stored as NULL.
type FinishJobParams struct {
	ID         string
	Status     cph.JobStatus
	ErrorCode  *string
	ErrorMsg   *string
	ExecuteMsg *string
}

// FinishJob gives a running job its final status, end time and messages.
// It reports false (and changes nothing) if the job is already final.
func (tx *Tx) FinishJob(ctx context.Context, p FinishJobParams) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE jobs SET status = $1, end_at = $2, error_code = $3, error_msg = $4, execute_msg = $5
		WHERE id = $6 AND status = $7`,
		int32(p.Status), micros(tx.now), nullString(p.ErrorCode), nullString(p.ErrorMsg), nullString(p.ExecuteMsg), p.ID, int32(cph.JobRunning))
	if err != nil {
		return false, fmt.Errorf("sqlstore: finish job: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func nullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

const opCols = `id, job_id, server_id, phone_id, kind, args, state, attempts, session_id, lease_until, created_at`

func scanOp(row interface{ Scan(...any) error }) (*OperationRecord, error) {
	var o OperationRecord
	var kind, args string
	var lease, created int64
	if err := row.Scan(&o.ID, &o.JobID, &o.ServerID, &o.PhoneID, &kind, &args, &o.State, &o.Attempt, &o.SessionID, &lease, &created); err != nil {
		return nil, err
	}
	o.Kind = cph.OpKind(kind)
	if args != "" {
		o.Args = []byte(args)
	}
	o.LeaseUntil = fromMicros(lease)
	o.CreatedAt = fromMicros(created)
	o.QueuedAt = created
	return &o, nil
}

func queryOps(ctx context.Context, qr querier, q string, args ...any) ([]*OperationRecord, error) {
	return queryAll(ctx, qr, "query operations", "operation", scanOp, q, args...)
}

// ClaimOperations hands up to max pending operations of serverID, oldest
// first, to the agent session sessionID, with a lease until leaseUntil. Each
// claim counts as one attempt.
func (db *DB) ClaimOperations(ctx context.Context, serverID, sessionID string, leaseUntil time.Time, max int) ([]*OperationRecord, error) {
	var ops []*OperationRecord
	err := db.GroupTx(ctx, func(tx *Tx) error {
		var err error
		ops, err = queryOps(ctx, tx.tx, `UPDATE operations SET state = 'claimed', session_id = $1, lease_until = $2, attempts = attempts + 1
		WHERE state = 'pending' AND id IN (
			SELECT id FROM operations WHERE server_id = $3 AND state <> 'done' AND state = 'pending' ORDER BY created_at, id LIMIT $4)
		RETURNING `+opCols, sessionID, micros(leaseUntil), serverID, max)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: claim operations: %w", err)
	}
	sort.Slice(ops, func(i, j int) bool {
		if !ops[i].CreatedAt.Equal(ops[j].CreatedAt) {
			return ops[i].CreatedAt.Before(ops[j].CreatedAt)
		}
		return ops[i].ID < ops[j].ID
	})
	return ops, nil
}

// HasPendingOperations reports whether serverID has operations waiting.
func (db *DB) HasPendingOperations(ctx context.Context, serverID string) (bool, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM operations WHERE server_id = $1 AND state <> 'done' AND state = 'pending'`, serverID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlstore: count pending operations: %w", err)
	}
	return n > 0, nil
}

// OperationByID returns the operation with that id inside the transaction,
// or ErrNotFound.
func (tx *Tx) OperationByID(ctx context.Context, id string) (*OperationRecord, error) {
	o, err := scanOp(tx.tx.QueryRowContext(ctx, `SELECT `+opCols+` FROM operations WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "operation "+id)
	}
	return o, nil
}

// CompleteOperation marks the operation done if it is still in state from
// (and, when sessionID is not empty, claimed by that session). It reports
// whether it changed the operation.
func (tx *Tx) CompleteOperation(ctx context.Context, id, from, sessionID string) (bool, error) {
	q := `UPDATE operations SET state = 'done', lease_until = 0 WHERE id = $1 AND state = $2`
	args := []any{id, from}
	if sessionID != "" {
		q += ` AND session_id = $3`
		args = append(args, sessionID)
	}
	res, err := tx.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: complete operation: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RequeueOperation puts a claimed operation whose lease ended before now
// back in the queue. It reports whether it did.
func (tx *Tx) RequeueOperation(ctx context.Context, id string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE operations SET state = 'pending', session_id = '', lease_until = 0
		WHERE id = $1 AND state = 'claimed' AND lease_until < $2`, id, micros(tx.now))
	if err != nil {
		return false, fmt.Errorf("sqlstore: requeue operation: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ExpiredLeases returns claimed operations whose lease ended before now.
func (db *DB) ExpiredLeases(ctx context.Context, now time.Time, max int) ([]*OperationRecord, error) {
	return queryOps(ctx, db.db, `SELECT `+opCols+` FROM operations WHERE state <> 'done' AND state = 'claimed' AND lease_until < $1 ORDER BY lease_until LIMIT $2`,
		micros(now), max)
}

// StalePending returns operations that have waited in the queue since
// before cutoff.
func (db *DB) StalePending(ctx context.Context, cutoff time.Time, max int) ([]*OperationRecord, error) {
	return queryOps(ctx, db.db, `SELECT `+opCols+` FROM operations WHERE state <> 'done' AND state = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2`,
		micros(cutoff), max)
}

// ReleaseOperations hands operations claimed by sessionID back to the
// queue, for a poll whose answer never reached the agent.
func (db *DB) ReleaseOperations(ctx context.Context, sessionID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{sessionID}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := db.db.ExecContext(ctx, `UPDATE operations SET state = 'pending', session_id = '', lease_until = 0
		WHERE state = 'claimed' AND session_id = $1 AND id IN (`+placeholders(2, len(ids))+`)`, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: release operations: %w", err)
	}
	return nil
}

// RecentJobs returns the page of the jobs of projectID that f selects,
// except screenshot jobs (cph.OpScreenshot), newest first (begin time, then request, then position in the request),
// and whether more follow. f.Marker, if set, is the id of a job of the
// project: the page starts after it; ErrNotFound if there is no such job.
// Each filter has an index that holds the order (migration 0016).
func (db *DB) RecentJobs(ctx context.Context, projectID string, f cph.RecentJobFilter) ([]*cph.Job, bool, error) {
	args := []any{projectID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := []string{"project_id = $1", "kind <> " + arg(string(cph.OpScreenshot))}
	if f.Status != 0 {
		where = append(where, "status = "+arg(int32(f.Status)))
	}
	for _, c := range []struct{ col, v string }{{"request_id", f.RequestID}, {"phone_id", f.PhoneID}, {"server_id", f.ServerID}} {
		if c.v != "" {
			where = append(where, c.col+" = "+arg(c.v))
		}
	}
	if f.Marker != "" {
		var begin int64
		var request string
		var position int
		err := db.db.QueryRowContext(ctx, `SELECT begin_at, request_id, position FROM jobs WHERE id = $1 AND project_id = $2 AND kind <> $3`,
			f.Marker, projectID, string(cph.OpScreenshot)).Scan(&begin, &request, &position)
		if err != nil {
			return nil, false, notFound(err, "marker job "+f.Marker)
		}
		if request == f.RequestID {
			// A marker inside the listed request: its later positions.
			where = append(where, "position > "+arg(position))
		} else {
			b, r, p := arg(begin), arg(request), arg(position)
			where = append(where, fmt.Sprintf("begin_at <= %s AND (begin_at < %s OR request_id < %s OR (request_id = %s AND position > %s))", b, b, r, r, p))
		}
	}
	// The jobs of one request are created in one transaction: they share
	// their begin time, and the request's own index holds their order.
	order := `begin_at DESC, request_id DESC, position`
	if f.RequestID != "" {
		order = `position`
	}
	q := `SELECT ` + jobCols + ` FROM jobs WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT ` + arg(f.Limit+1) + ` OFFSET ` + arg(f.Offset)
	jobs, err := queryAll(ctx, db.db, "recent jobs", "job", scanJob, q, args...)
	if err != nil {
		return nil, false, err
	}
	more := len(jobs) > f.Limit
	if more {
		jobs = jobs[:f.Limit]
	}
	return jobs, more, nil
}
