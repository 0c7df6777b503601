package sqlstore

import (
	"context"
	"fmt"

	"github.com/opencph/opencph"
)

// ClaimBucket records projectID as the owner of bucket name unless the
// bucket already has an owner, and returns the owner afterwards.
func (tx *Tx) ClaimBucket(ctx context.Context, name, projectID string) (string, error) {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO buckets (name, project_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		name, projectID, micros(tx.now)); err != nil {
		return "", fmt.Errorf("sqlstore: claim bucket %s: %w", name, err)
	}
	var owner string
	if err := tx.tx.QueryRowContext(ctx, `SELECT project_id FROM buckets WHERE name = $1`, name).Scan(&owner); err != nil {
		return "", fmt.Errorf("sqlstore: claim bucket %s: %w", name, err)
	}
	return owner, nil
}

// BucketOwner returns the project that owns bucket name, or ErrNotFound
// if no project does.
func (db *DB) BucketOwner(ctx context.Context, name string) (string, error) {
	var owner string
	err := db.db.QueryRowContext(ctx, `SELECT project_id FROM buckets WHERE name = $1`, name).Scan(&owner)
	if err != nil {
		return "", notFound(err, "bucket "+name)
	}
	return owner, nil
}

// ListBuckets returns the buckets of projectID, by name.
func (db *DB) ListBuckets(ctx context.Context, projectID string) ([]*cph.Bucket, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT name, created_at FROM buckets WHERE project_id = $1 ORDER BY name`, projectID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list buckets: %w", err)
	}
	defer rows.Close()
	var out []*cph.Bucket
	for rows.Next() {
		var b cph.Bucket
		var created int64
		if err := rows.Scan(&b.Name, &created); err != nil {
			return nil, fmt.Errorf("sqlstore: list buckets: %w", err)
		}
		b.CreateTime = cph.NewTime(fromMicros(created))
		out = append(out, &b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list buckets: %w", err)
	}
	return out, nil
}
