package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/opencph/opencph"
)

// OpHeld is the state of an operation a fault-injection rule holds back
// from the queue (a hang, or a delayed dispatch); Operation.FaultID names
// the rule.
const OpHeld = "held"

const faultCols = `id, project_id, operation, phone_ids, server_ids, effect, error_code, error_msg, status, delay_ms, count, remaining, probability, applied, expires_at, created_at`

func splitIDs(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func scanFault(row interface{ Scan(...any) error }) (*cph.Fault, error) {
	var f cph.Fault
	var phones, servers string
	var count, remaining sql.NullInt64
	var expires, created int64
	if err := row.Scan(&f.ID, &f.ProjectID, &f.Operation, &phones, &servers, &f.Effect, &f.ErrorCode, &f.ErrorMsg, &f.Status,
		&f.DelayMillis, &count, &remaining, &f.Probability, &f.Applied, &expires, &created); err != nil {
		return nil, err
	}
	f.PhoneIDs, f.ServerIDs = splitIDs(phones), splitIDs(servers)
	if count.Valid {
		c, r := int(count.Int64), int(remaining.Int64)
		f.Count, f.Remaining = &c, &r
	}
	if expires != 0 {
		f.ExpiresAt = cph.NewTime(fromMicros(expires))
	}
	f.CreatedAt = cph.NewTime(fromMicros(created))
	return &f, nil
}

// CreateFault stores a new rule of f.ProjectID, unless the project already
// holds max rules: then it returns false. The count and the insert hold
// under concurrency on both engines: on PostgreSQL the project's row is
// locked first; SQLite runs one writer at a time.
func (tx *Tx) CreateFault(ctx context.Context, f *cph.Fault, max int) (bool, error) {
	if tx.engine == Postgres {
		var id string
		if err := tx.tx.QueryRowContext(ctx, `SELECT id FROM projects WHERE id = $1 FOR UPDATE`, f.ProjectID).Scan(&id); err != nil {
			return false, notFound(err, "project "+f.ProjectID)
		}
	}
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM faults WHERE project_id = $1`, f.ProjectID).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlstore: count faults: %w", err)
	}
	if n >= max {
		return false, nil
	}
	var count sql.NullInt64
	if f.Count != nil {
		count = sql.NullInt64{Int64: int64(*f.Count), Valid: true}
	}
	var expires int64
	if !f.ExpiresAt.IsZero() {
		expires = micros(f.ExpiresAt.Time)
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO faults (`+faultCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, 0, $13, $14)`,
		f.ID, f.ProjectID, f.Operation, strings.Join(f.PhoneIDs, ","), strings.Join(f.ServerIDs, ","), f.Effect, f.ErrorCode, f.ErrorMsg,
		f.Status, f.DelayMillis, count, f.Probability, expires, micros(f.CreatedAt.Time))
	if err != nil {
		return false, fmt.Errorf("sqlstore: create fault: %w", err)
	}
	return true, nil
}

// Faults returns the rules of projectID, oldest first.
func (db *DB) Faults(ctx context.Context, projectID string) ([]*cph.Fault, error) {
	return queryAll(ctx, db.db, "list faults", "fault", scanFault,
		`SELECT `+faultCols+` FROM faults WHERE project_id = $1 ORDER BY created_at, id`, projectID)
}

// FaultByID returns a rule of projectID, or ErrNotFound.
func (db *DB) FaultByID(ctx context.Context, projectID, id string) (*cph.Fault, error) {
	f, err := scanFault(db.db.QueryRowContext(ctx, `SELECT `+faultCols+` FROM faults WHERE project_id = $1 AND id = $2`, projectID, id))
	if err != nil {
		return nil, notFound(err, "fault "+id)
	}
	return f, nil
}

// DeleteFault deletes a rule of projectID and reports whether there was
// one.
func (tx *Tx) DeleteFault(ctx context.Context, projectID, id string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM faults WHERE project_id = $1 AND id = $2`, projectID, id)
	if err != nil {
		return false, fmt.Errorf("sqlstore: delete fault: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ApplyFault counts one application of rule id, if it still exists, is
// not expired and, with a count, has some left (which it decrements). It
// reports whether the rule applies. The update is the only check, so
// concurrent transactions never apply a rule more often than its count.
func (tx *Tx) ApplyFault(ctx context.Context, id string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE faults SET remaining = remaining - 1, applied = applied + 1
		WHERE id = $1 AND (remaining IS NULL OR remaining > 0) AND (expires_at = 0 OR expires_at > $2)`, id, micros(tx.now))
	if err != nil {
		return false, fmt.Errorf("sqlstore: apply fault: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// HoldOperations takes pending operations out of the queue for rule
// faultID until until (zero: until the rule goes).
func (tx *Tx) HoldOperations(ctx context.Context, ids []string, faultID string, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	var u int64
	if !until.IsZero() {
		u = micros(until)
	}
	args := append([]any{faultID, u}, anys(ids)...)
	_, err := tx.tx.ExecContext(ctx, `UPDATE operations SET state = 'held', fault_id = $1, lease_until = $2
		WHERE state = 'pending' AND id IN (`+placeholders(3, len(ids))+`)`, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: hold operations: %w", err)
	}
	return nil
}

// ReleaseHeld queues again the operations rule faultID holds, as if
// queued now, and returns their servers.
func (tx *Tx) ReleaseHeld(ctx context.Context, faultID string) ([]string, error) {
	rows, err := tx.tx.QueryContext(ctx, `UPDATE operations SET state = 'pending', fault_id = '', lease_until = 0, created_at = $1
		WHERE state = 'held' AND fault_id = $2 RETURNING server_id`, micros(tx.now), faultID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: release held operations: %w", err)
	}
	defer rows.Close()
	var servers []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlstore: release held operations: %w", err)
		}
		if !containsString(servers, id) {
			servers = append(servers, id)
		}
	}
	return servers, rows.Err()
}

// ReleaseOperation queues a held operation again, as if queued now. It
// reports whether it did.
func (tx *Tx) ReleaseOperation(ctx context.Context, id string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE operations SET state = 'pending', fault_id = '', lease_until = 0, created_at = $1
		WHERE id = $2 AND state = 'held'`, micros(tx.now), id)
	if err != nil {
		return false, fmt.Errorf("sqlstore: release operation: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// HeldOperation is a held operation whose hold is over, with its rule
// (nil when the rule is gone).
type HeldOperation struct {
	*OperationRecord
	FaultID string
	Fault   *cph.Fault
}

// EndedHolds returns up to max held operations whose hold is over at now:
// their time passed, or their rule is gone or expired.
func (db *DB) EndedHolds(ctx context.Context, now time.Time, max int) ([]*HeldOperation, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT o.`+strings.ReplaceAll(opCols, ", ", ", o.")+`, o.fault_id
		FROM operations o LEFT JOIN faults f ON f.id = o.fault_id
		WHERE o.state = 'held' AND (f.id IS NULL OR (o.lease_until > 0 AND o.lease_until <= $1) OR (f.expires_at > 0 AND f.expires_at <= $1))
		ORDER BY o.lease_until LIMIT $2`, micros(now), max)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: ended holds: %w", err)
	}
	defer rows.Close()
	var out []*HeldOperation
	for rows.Next() {
		var h HeldOperation
		op, err := scanOp(scanAppend{rows, &h.FaultID})
		if err != nil {
			return nil, fmt.Errorf("sqlstore: ended holds: %w", err)
		}
		h.OperationRecord = op
		out = append(out, &h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: ended holds: %w", err)
	}
	for _, h := range out {
		f, err := scanFault(db.db.QueryRowContext(ctx, `SELECT `+faultCols+` FROM faults WHERE id = $1`, h.FaultID))
		if err == nil {
			h.Fault = f
		} else if err != sql.ErrNoRows {
			return nil, fmt.Errorf("sqlstore: fault of held operation: %w", err)
		}
	}
	return out, nil
}

// scanAppend scans a row into the destinations of its caller and then
// extra ones.
type scanAppend struct {
	row   interface{ Scan(...any) error }
	extra any
}

func (s scanAppend) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra)...) }

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
