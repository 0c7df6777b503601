package sqlstore

import (
	"context"
	"fmt"
)

// ProjectPhoneIDs returns the ids of every phone of a project, by id.
func (db *DB) ProjectPhoneIDs(ctx context.Context, projectID string) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id FROM phones WHERE project_id = $1 ORDER BY id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: project phones: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlstore: project phones: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: project phones: %w", err)
	}
	return out, nil
}

// DeleteFinalJobs removes the final jobs of a project and their
// operations; running jobs (and any job with an open operation) stay.
func (tx *Tx) DeleteFinalJobs(ctx context.Context, projectID string) (int, error) {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM operations WHERE state = 'done' AND job_id IN (
		SELECT j.id FROM jobs j WHERE j.project_id = $1 AND j.end_at > 0
		AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.job_id = j.id AND o.state <> 'done'))`, projectID); err != nil {
		return 0, fmt.Errorf("sqlstore: delete final jobs: operations: %w", err)
	}
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM jobs WHERE project_id = $1 AND end_at > 0
		AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.job_id = jobs.id)`, projectID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete final jobs: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete final jobs: %w", err)
	}
	return int(n), nil
}

// DeleteBucketRecord forgets the owner of a bucket.
func (tx *Tx) DeleteBucketRecord(ctx context.Context, name string) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM buckets WHERE name = $1`, name); err != nil {
		return fmt.Errorf("sqlstore: delete bucket %s: %w", name, err)
	}
	return nil
}
