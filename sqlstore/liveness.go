package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/opencph/opencph"
)

// SilentServers returns the ids of normal (status 5) servers whose agent
// has been seen, but not since cutoff.
func (db *DB) SilentServers(ctx context.Context, cutoff time.Time) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id FROM servers WHERE status = $1 AND last_seen > 0 AND last_seen < $2`,
		int32(cph.ServerNormal), micros(cutoff))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: silent servers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// MarkServerDown makes a normal server whose agent is still silent since
// cutoff abnormal (2) and ends its agent's session: an agent that was only
// slow finds its session gone at its next call, starts a new one, and so
// brings the server back (MarkServerUp). It reports whether the server was
// marked.
func (tx *Tx) MarkServerDown(ctx context.Context, serverID string, cutoff time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE servers SET status = $1, updated_at = $2, agent_session = ''
		WHERE id = $3 AND status = $4 AND last_seen > 0 AND last_seen < $5`,
		int32(cph.ServerAbnormal), micros(tx.now), serverID, int32(cph.ServerNormal), micros(cutoff))
	if err != nil {
		return false, fmt.Errorf("sqlstore: mark server down: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// MarkPhonesDown makes every phone of a server abnormal (-7), remembering
// each phone's status for MarkServerUp.
func (tx *Tx) MarkPhonesDown(ctx context.Context, serverID string) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE phones SET down_from = status, status = $1, updated_at = $2
		WHERE server_id = $3 AND status <> $1`, int32(cph.PhoneAbnormal), micros(tx.now), serverID)
	if err != nil {
		return fmt.Errorf("sqlstore: mark phones abnormal: %w", err)
	}
	return nil
}

// OpenOperations returns the pending and claimed operations of a server.
func (tx *Tx) OpenOperations(ctx context.Context, serverID string) ([]*OperationRecord, error) {
	return queryOps(ctx, tx.tx, `SELECT `+opCols+` FROM operations WHERE server_id = $1 AND state <> 'done' ORDER BY created_at, id`, serverID)
}

// MarkServerUp makes an abnormal server normal again when its agent
// returns, and gives each phone marked abnormal by MarkServerDown a
// status: the one in reported (what the agent's runtime says), or else the
// status it had before. It returns how many phones changed.
func (tx *Tx) MarkServerUp(ctx context.Context, serverID string, reported map[string]cph.PhoneStatus) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE servers SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
		int32(cph.ServerNormal), micros(tx.now), serverID, int32(cph.ServerAbnormal))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: mark server up: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, nil
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, down_from FROM phones WHERE server_id = $1 AND status = $2 AND down_from <> 0`,
		serverID, int32(cph.PhoneAbnormal))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: phones to restore: %w", err)
	}
	restore := map[string]cph.PhoneStatus{}
	for rows.Next() {
		var id string
		var from cph.PhoneStatus
		if err := rows.Scan(&id, &from); err != nil {
			rows.Close()
			return 0, err
		}
		restore[id] = from
	}
	rows.Close()
	for id, from := range restore {
		st := from
		if r, ok := reported[id]; ok {
			st = r
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE phones SET status = $1, down_from = 0, updated_at = $2 WHERE id = $3`,
			int32(st), micros(tx.now), id); err != nil {
			return 0, fmt.Errorf("sqlstore: restore phone: %w", err)
		}
	}
	return len(restore), nil
}

// ServerStatus returns the status of a server.
func (tx *Tx) ServerStatus(ctx context.Context, serverID string) (cph.ServerStatus, error) {
	var st cph.ServerStatus
	if err := tx.tx.QueryRowContext(ctx, `SELECT status FROM servers WHERE id = $1`, serverID).Scan(&st); err != nil {
		return 0, notFound(err, "server "+serverID)
	}
	return st, nil
}

// AgentSessionIs reports whether sessionID is the current agent session of
// serverID, without writing anything.
func (db *DB) AgentSessionIs(ctx context.Context, serverID, sessionID string) (bool, error) {
	var current string
	err := db.db.QueryRowContext(ctx, `SELECT agent_session FROM servers WHERE id = $1`, serverID).Scan(&current)
	if err != nil {
		return false, notFound(err, "server "+serverID)
	}
	return current != "" && current == sessionID, nil
}
