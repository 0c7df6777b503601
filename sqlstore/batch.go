package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencph/opencph"
)

// This file holds the set-based statements of the job engine's hot paths:
// accepting a batch of phone operations and applying a batch of results
// each take a handful of statements, not a handful per phone.

// PhoneBrief is what accepting an operation needs to know of a phone.
type PhoneBrief struct {
	ID       string
	ServerID string
	Status   cph.PhoneStatus
}

// PhoneBriefs returns, by id, the phones of projectID among ids (unknown
// ids are absent).
func (tx *Tx) PhoneBriefs(ctx context.Context, projectID string, ids []string) (map[string]PhoneBrief, error) {
	out := make(map[string]PhoneBrief, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	// By id alone, and the project checked here: with the project in the
	// query, SQLite may walk the project's index (every phone of the
	// project) instead of looking the ids up.
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, project_id, server_id, status FROM phones WHERE id IN (`+
		placeholders(1, len(ids))+`)`, anys(ids)...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read phones: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p PhoneBrief
		var project string
		if err := rows.Scan(&p.ID, &project, &p.ServerID, &p.Status); err != nil {
			return nil, fmt.Errorf("sqlstore: read phones: %w", err)
		}
		if project == projectID {
			out[p.ID] = p
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: read phones: %w", err)
	}
	return out, nil
}

// ServerStatuses returns the status of each of the servers ids (unknown
// ids are absent).
func (tx *Tx) ServerStatuses(ctx context.Context, ids []string) (map[string]cph.ServerStatus, error) {
	out := make(map[string]cph.ServerStatus, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, status FROM servers WHERE id IN (`+placeholders(1, len(ids))+`)`, anys(ids)...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read server statuses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var st cph.ServerStatus
		if err := rows.Scan(&id, &st); err != nil {
			return nil, fmt.Errorf("sqlstore: read server statuses: %w", err)
		}
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: read server statuses: %w", err)
	}
	return out, nil
}

// SetPhonesStatus moves each of the phones ids whose status is one of
// from to status to, and returns the ids it changed.
func (tx *Tx) SetPhonesStatus(ctx context.Context, ids []string, from []cph.PhoneStatus, to cph.PhoneStatus) (map[string]bool, error) {
	changed := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return changed, nil
	}
	args := []any{int32(to), micros(tx.now), tx.listArg(ids)}
	for _, s := range from {
		args = append(args, int32(s))
	}
	got, err := tx.tx.queryStatus(ctx, `UPDATE phones SET status = $1, updated_at = $2
		WHERE `+tx.inList("id", 3)+` AND status IN (`+placeholders(4, len(from))+`) RETURNING id`, to, tx.now, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: set phones' status: %w", err)
	}
	for _, id := range got {
		changed[id] = true
	}
	return changed, nil
}

// CreateJobs inserts jobs.
func (tx *Tx) CreateJobs(ctx context.Context, jobs []*cph.Job) error {
	const cols = 10
	return insertRows(ctx, tx, multiInsert{
		Head: `INSERT INTO jobs (id, request_id, project_id, position, kind, phone_id, server_id, status, begin_at, encode_server_id, end_at) VALUES `,
		Cols: cols,
		Tail: ", 0)",
		Rows: len(jobs),
		Row: func(i int, args []any) []any {
			j := jobs[i]
			return append(args, j.ID, j.RequestID, j.ProjectID, j.Position, string(j.Kind), j.PhoneID, j.ServerID, int32(j.Status),
				micros(j.BeginTime.Time), j.EncodeServerID)
		},
	})
}

// CreateOperations queues operations, each for the agent of its server.
func (tx *Tx) CreateOperations(ctx context.Context, ops []*cph.Operation) error {
	const cols = 7
	return insertRows(ctx, tx, multiInsert{
		Head: `INSERT INTO operations (id, job_id, server_id, phone_id, kind, args, created_at, state, attempts, session_id, lease_until) VALUES `,
		Cols: cols,
		Tail: ", 'pending', 0, '', 0)",
		Rows: len(ops),
		Row: func(i int, args []any) []any {
			op := ops[i]
			return append(args, op.ID, op.JobID, op.ServerID, op.PhoneID, string(op.Kind), string(op.Args), micros(tx.now))
		},
	})
}

// multiInsert describes a multi-row INSERT: Head, then for each of Rows
// rows "(" Cols placeholders, then Tail (the row's constant values and
// the closing parenthesis); Row appends the values of row i to args.
type multiInsert struct {
	Head string
	Cols int
	Tail string
	Rows int
	Row  func(i int, args []any) []any
}

// insertRows runs the multi-row INSERT m.
func insertRows(ctx context.Context, tx *Tx, m multiInsert) error {
	head, cols, tail, n, row := m.Head, m.Cols, m.Tail, m.Rows, m.Row
	// Up to 100 rows a statement keeps the placeholders far below both
	// engines' limits and the variety of cached statements small.
	const chunk = 100
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, (end-start)*cols)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString("(")
			if tx.engine == SQLite {
				// Anonymous parameters: modernc's sqlite binds each named
				// one by a search through all of them.
				b.WriteString(strings.Repeat("?, ", cols-1) + "?")
			} else {
				b.WriteString(placeholders(len(args)+1, cols))
			}
			b.WriteString(tail)
			args = row(i, args)
		}
		if _, err := tx.tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("sqlstore: insert %d rows: %w", end-start, err)
		}
	}
	return nil
}

// CompleteClaimed marks done each of the operations ids that belongs to
// serverID and is claimed by sessionID, and returns them, by id, as they
// were claimed (State is OpDone).
func (tx *Tx) CompleteClaimed(ctx context.Context, serverID, sessionID string, ids []string) (map[string]*OperationRecord, error) {
	out := make(map[string]*OperationRecord, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := append([]any{serverID, sessionID}, anys(ids)...)
	ops, err := queryOps(ctx, tx.tx, `UPDATE operations SET state = 'done', lease_until = 0
		WHERE state = 'claimed' AND server_id = $1 AND session_id = $2 AND id IN (`+placeholders(3, len(ids))+`) RETURNING `+opCols, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: complete operations: %w", err)
	}
	for _, op := range ops {
		out[op.ID] = op
	}
	return out, nil
}

// SucceedJobs marks the running jobs among ids succeeded.
func (tx *Tx) SucceedJobs(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.tx.ExecContext(ctx, `UPDATE jobs SET status = $1, end_at = $2
		WHERE status = $3 AND `+tx.inList("id", 4), int32(cph.JobSucceeded), micros(tx.now), int32(cph.JobRunning), tx.listArg(ids))
	if err != nil {
		return fmt.Errorf("sqlstore: finish jobs: %w", err)
	}
	return nil
}

// collectIDs reads rows of one id column into set and closes rows.
func collectIDs(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}, set map[string]bool) error {
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		set[id] = true
	}
	return rows.Err()
}

// anys returns ss as a slice of query arguments.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
