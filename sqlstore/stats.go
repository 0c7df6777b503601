package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// FleetStats are the counts a metrics scrape reports: phones and servers
// by status, and the open operations (pending or claimed) by state with
// the creation time of the oldest.
type FleetStats struct {
	PhonesByStatus  map[int]int
	ServersByStatus map[int]int
	OpenOperations  map[string]int       // by state: pending, claimed
	OldestOpen      map[string]time.Time // by state: creation of the oldest
	// AgentsConnected counts the servers whose agent has a session and
	// was seen since the cutoff given to FleetStats.
	AgentsConnected int
}

// FleetStats counts phones and servers by status, the open operations and
// the agents seen since seenSince. Each count is one grouped query; the
// operations' count reads only the queue's partial index of open
// operations.
func (db *DB) FleetStats(ctx context.Context, seenSince time.Time) (*FleetStats, error) {
	st := &FleetStats{PhonesByStatus: map[int]int{}, ServersByStatus: map[int]int{},
		OpenOperations: map[string]int{}, OldestOpen: map[string]time.Time{}}
	for _, q := range []struct {
		sql string
		to  map[int]int
	}{
		{`SELECT status, COUNT(*) FROM phones GROUP BY status`, st.PhonesByStatus},
		{`SELECT status, COUNT(*) FROM servers GROUP BY status`, st.ServersByStatus},
	} {
		rows, err := db.db.QueryContext(ctx, q.sql)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: fleet stats: %w", err)
		}
		for rows.Next() {
			var status, n int
			if err := rows.Scan(&status, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlstore: fleet stats: %w", err)
			}
			q.to[status] = n
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("sqlstore: fleet stats: %w", err)
		}
	}
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM servers WHERE agent_session <> '' AND last_seen >= $1`,
		micros(seenSince)).Scan(&st.AgentsConnected); err != nil {
		return nil, fmt.Errorf("sqlstore: fleet stats: agents: %w", err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT state, COUNT(*), MIN(created_at) FROM operations WHERE state <> 'done' GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: fleet stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		var oldest int64
		if err := rows.Scan(&state, &n, &oldest); err != nil {
			return nil, fmt.Errorf("sqlstore: fleet stats: %w", err)
		}
		st.OpenOperations[state] = n
		st.OldestOpen[state] = fromMicros(oldest)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: fleet stats: %w", err)
	}
	return st, nil
}
