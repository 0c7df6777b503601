package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ClaimRequest asks for up to Max pending operations of ServerID for the
// agent session SessionID.
type ClaimRequest struct {
	ServerID  string
	SessionID string
	Max       int
}

// ClaimOperationsFor claims, in one statement, the pending operations of
// several servers, each server's oldest first and at most its request's
// Max, for its request's session, with a lease until leaseUntil; each
// claim counts as one attempt. Each server may appear once. It returns the
// claimed operations by server id, in queue order. It is ClaimOperations
// for many agents at once: a fan-out over a hundred servers wakes a
// hundred polls, and one statement serves them all.
func (db *DB) ClaimOperationsFor(ctx context.Context, reqs []ClaimRequest, leaseUntil time.Time) (map[string][]*OperationRecord, error) {
	out := make(map[string][]*OperationRecord, len(reqs))
	if len(reqs) == 0 {
		return out, nil
	}
	servers := make([]string, len(reqs))
	sessions := make([]string, len(reqs))
	maxes := make([]int, len(reqs))
	for i, r := range reqs {
		servers[i], sessions[i], maxes[i] = r.ServerID, r.SessionID, r.Max
	}
	// want holds the requests: (server, session, max) rows from three
	// parallel arrays, each one parameter (see idlist.go).
	want := `SELECT s.value AS w_server, t.value AS w_session, CAST(m.value AS INTEGER) AS w_max
		FROM json_each($1) s JOIN json_each($2) t ON t.key = s.key JOIN json_each($3) m ON m.key = s.key`
	var args []any
	if db.engine == Postgres {
		want = `SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) AS w(w_server, w_session, w_max)`
		args = []any{servers, sessions, maxes}
	} else {
		js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
		args = []any{js(servers), js(sessions), js(maxes)}
	}
	args = append(args, micros(leaseUntil))
	// The queue's partial index (server_id, state, created_at) gives each
	// server's pending operations in order; the window numbers them.
	q := `WITH want AS (` + want + `),
	picked(p_id, p_session) AS (
		SELECT o.id, w.w_session FROM (
			SELECT id, server_id, ROW_NUMBER() OVER (PARTITION BY server_id ORDER BY created_at, id) AS rn
			FROM operations WHERE state <> 'done' AND state = 'pending' AND server_id IN (SELECT w_server FROM want)
		) o JOIN want w ON w.w_server = o.server_id WHERE o.rn <= w.w_max)
	UPDATE operations SET state = 'claimed', session_id = picked.p_session, lease_until = $4, attempts = attempts + 1
	FROM picked WHERE operations.id = picked.p_id AND operations.state = 'pending'
	RETURNING ` + qualifiedOpCols
	var ops []*OperationRecord
	err := db.GroupTx(ctx, func(tx *Tx) error {
		var err error
		ops, err = queryOps(ctx, tx.tx, q, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: claim operations of %d servers: %w", len(reqs), err)
	}
	sort.Slice(ops, func(i, j int) bool {
		if !ops[i].CreatedAt.Equal(ops[j].CreatedAt) {
			return ops[i].CreatedAt.Before(ops[j].CreatedAt)
		}
		return ops[i].ID < ops[j].ID
	})
	for _, op := range ops {
		out[op.ServerID] = append(out[op.ServerID], op)
	}
	return out, nil
}

// qualifiedOpCols is opCols of the operations table, for statements that
// name other tables too.
var qualifiedOpCols = func() string {
	cols := strings.Split(opCols, ", ")
	for i, c := range cols {
		cols[i] = "operations." + c
	}
	return strings.Join(cols, ", ")
}()

// CompleteClaimedBy marks done, in one statement, the operations among ids
// that are claimed by one of sessions, and returns them (with the session
// that held each). It is CompleteClaimed for the results of many agents:
// the caller must check that each returned operation was reported by the
// session that held it.
func (tx *Tx) CompleteClaimedBy(ctx context.Context, sessions, ids []string) ([]*OperationRecord, error) {
	if len(ids) == 0 || len(sessions) == 0 {
		return nil, nil
	}
	ops, err := queryOps(ctx, tx.tx, `UPDATE operations SET state = 'done', lease_until = 0
		WHERE state = 'claimed' AND `+tx.inList("id", 1)+` AND `+tx.inList("session_id", 2)+`
		RETURNING `+opCols, tx.listArg(ids), tx.listArg(sessions))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: complete operations: %w", err)
	}
	return ops, nil
}

// errMixedSessions undoes a combined heartbeat that named a session with
// another server than its own.
var errMixedSessions = errors.New("sqlstore: a session named with another server")

// AgentSession names an agent session of a server.
type AgentSession struct {
	ServerID  string
	SessionID string
}

// TouchAgents records, in one statement, the heartbeat of several agent
// sessions and reports, for each, whether it is still its server's
// current session (TouchAgent for many agents: a fleet of a thousand
// servers sends two hundred heartbeats a second).
func (db *DB) TouchAgents(ctx context.Context, sessions []AgentSession) ([]bool, error) {
	out := make([]bool, len(sessions))
	if len(sessions) == 0 {
		return out, nil
	}
	ids := make([]string, len(sessions))
	sids := make([]string, len(sessions))
	for i, s := range sessions {
		ids[i], sids[i] = s.ServerID, s.SessionID
	}
	asked := make(map[AgentSession]bool, len(sessions))
	for _, s := range sessions {
		asked[s] = true
	}
	current := map[AgentSession]bool{}
	err := db.GroupTx(ctx, func(tx *Tx) error {
		clear(current)
		rows, err := tx.tx.QueryContext(ctx, `UPDATE servers SET last_seen = $1
			WHERE `+tx.inList("id", 2)+` AND `+tx.inList("agent_session", 3)+`
			RETURNING id, agent_session`, micros(tx.now), tx.listArg(ids), tx.listArg(sids))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s AgentSession
			if err := rows.Scan(&s.ServerID, &s.SessionID); err != nil {
				return err
			}
			if !asked[s] {
				// A session named with another server than its own: undo,
				// and touch each session alone.
				return errMixedSessions
			}
			current[s] = true
		}
		return rows.Err()
	})
	if errors.Is(err, errMixedSessions) {
		for i, s := range sessions {
			if out[i], err = db.TouchAgent(ctx, s.ServerID, s.SessionID); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: touch %d agents: %w", len(sessions), err)
	}
	for i, s := range sessions {
		out[i] = current[s]
	}
	return out, nil
}
