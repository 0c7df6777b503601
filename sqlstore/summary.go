package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/opencph/opencph"
)

// ProjectFleet are the counts of one project's fleet summary.
type ProjectFleet struct {
	PhonesByStatus  map[cph.PhoneStatus]int
	ServersByStatus map[cph.ServerStatus]int
	// AgentsConnected counts the servers whose agent has a session and
	// was seen since the cutoff given to ProjectFleet.
	AgentsConnected int
	// JobsRunning and JobsFailed leave out screenshot jobs, as the job
	// lists do.
	JobsRunning int
	// JobsFailed counts the jobs that ended failed since the cutoff given
	// to ProjectFleet.
	JobsFailed int
}

// ProjectFleet counts the phones and servers of projectID by status, its
// servers whose agent was seen since agentsSince, its running jobs and
// its jobs that failed since failedSince. Each count reads one index of
// migration 0016 (the agents' count reads the project's servers).
func (db *DB) ProjectFleet(ctx context.Context, projectID string, agentsSince, failedSince time.Time) (*ProjectFleet, error) {
	pf := &ProjectFleet{PhonesByStatus: map[cph.PhoneStatus]int{}, ServersByStatus: map[cph.ServerStatus]int{}}
	err := groupCounts(ctx, db.db, `SELECT status, COUNT(*) FROM phones WHERE project_id = $1 GROUP BY status`, projectID,
		func(status int32, n int) { pf.PhonesByStatus[cph.PhoneStatus(status)] = n })
	if err != nil {
		return nil, err
	}
	err = groupCounts(ctx, db.db, `SELECT status, COUNT(*) FROM servers WHERE project_id = $1 GROUP BY status`, projectID,
		func(status int32, n int) { pf.ServersByStatus[cph.ServerStatus(status)] = n })
	if err != nil {
		return nil, err
	}
	for _, c := range []struct {
		q    string
		args []any
		to   *int
	}{
		{`SELECT COUNT(*) FROM servers WHERE project_id = $1 AND agent_session <> '' AND last_seen >= $2`,
			[]any{projectID, micros(agentsSince)}, &pf.AgentsConnected},
		{`SELECT COUNT(*) FROM jobs WHERE project_id = $1 AND status = $2 AND kind <> $3`,
			[]any{projectID, int32(cph.JobRunning), string(cph.OpScreenshot)}, &pf.JobsRunning},
		// The literal condition matches the partial index jobs_project_failed.
		{`SELECT COUNT(*) FROM jobs WHERE project_id = $1 AND status = -1 AND kind <> 'screenshot' AND end_at >= $2`,
			[]any{projectID, micros(failedSince)}, &pf.JobsFailed},
	} {
		if err := db.db.QueryRowContext(ctx, c.q, c.args...).Scan(c.to); err != nil {
			return nil, fmt.Errorf("sqlstore: project fleet: %w", err)
		}
	}
	return pf, nil
}

// groupCounts runs a "SELECT status, COUNT(*) ... GROUP BY status" query
// of one project and hands each row to add.
func groupCounts(ctx context.Context, qr querier, q, projectID string, add func(status int32, n int)) error {
	rows, err := qr.QueryContext(ctx, q, projectID)
	if err != nil {
		return fmt.Errorf("sqlstore: project fleet: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status int32
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return fmt.Errorf("sqlstore: project fleet: %w", err)
		}
		add(status, n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: project fleet: %w", err)
	}
	return nil
}
