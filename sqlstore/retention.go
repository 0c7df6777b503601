package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// LockPruneJobs is the advisory lock key a PostgreSQL transaction that
// prunes jobs takes (and gives back at its end); a replica that finds it
// taken skips its turn, so replicas never delete the same rows at once.
const LockPruneJobs int64 = 0x6f70656e63706803

// MaxPruneBatch is the most jobs PruneJobs deletes in one transaction.
const MaxPruneBatch = 5000

// PruneJobs deletes at most limit final jobs (succeeded or failed) that
// ended before cutoff, with their operations, all of which are done. It
// returns how many jobs it deleted; fewer than limit means there are no
// more to delete right now. Running jobs and their open operations are
// never touched: the deletes are conditional, so concurrent calls (on
// several replicas) are safe. It runs as a bulk call of the group
// committer (BulkTx), so the engine's small transactions are not held up
// behind more than one batch.
func (db *DB) PruneJobs(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if limit <= 0 || limit > MaxPruneBatch {
		return 0, fmt.Errorf("sqlstore: prune jobs: batch of %d, want 1..%d", limit, MaxPruneBatch)
	}
	deleted := 0
	err := db.BulkTx(ctx, func(tx *Tx) error {
		deleted = 0
		if tx.engine == Postgres {
			var ok bool
			if err := tx.tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, LockPruneJobs).Scan(&ok); err != nil {
				return fmt.Errorf("sqlstore: prune jobs: lock: %w", err)
			}
			if !ok {
				return nil // another replica is pruning
			}
		}
		// Final jobs have an end time (0 while running). The operations
		// go first (they refer to their job), then the jobs left without
		// any: a job with an open operation is never chosen, so nothing
		// an agent may still report on goes away. The statements are
		// constant, so the statement cache holds one of each.
		cut := micros(cutoff)
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM operations WHERE state = 'done' AND job_id IN (
			SELECT j.id FROM jobs j WHERE j.end_at > 0 AND j.end_at < $1
			AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.job_id = j.id AND o.state <> 'done')
			ORDER BY j.end_at LIMIT $2)`, cut, limit); err != nil {
			return fmt.Errorf("sqlstore: prune jobs: delete operations: %w", err)
		}
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM jobs WHERE id IN (
			SELECT j.id FROM jobs j WHERE j.end_at > 0 AND j.end_at < $1
			AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.job_id = j.id)
			ORDER BY j.end_at LIMIT $2)`, cut, limit)
		if err != nil {
			return fmt.Errorf("sqlstore: prune jobs: delete jobs: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("sqlstore: prune jobs: %w", err)
		}
		deleted = int(n)
		return nil
	})
	return deleted, err
}
