package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/opencph/opencph"
)

// Screenshot is the latest capture of a phone's screen.
type Screenshot struct {
	PhoneID   string
	ProjectID string
	ServerID  string
	TakenAt   time.Time
	PNG       []byte
}

// SetScreenshot records s as its phone's latest capture, taken now (the
// transaction's time), replacing the one before.
func (tx *Tx) SetScreenshot(ctx context.Context, s Screenshot) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO phone_screenshots (phone_id, project_id, server_id, taken_at, png_base64)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (phone_id) DO UPDATE SET project_id = $2, server_id = $3, taken_at = $4, png_base64 = $5`,
		s.PhoneID, s.ProjectID, s.ServerID, micros(tx.now), base64.StdEncoding.EncodeToString(s.PNG))
	if err != nil {
		return fmt.Errorf("sqlstore: set screenshot: %w", err)
	}
	return nil
}

// Screenshot returns the latest capture of phone phoneID of projectID, or
// ErrNotFound (a capture of another project's phone is not found).
func (db *DB) Screenshot(ctx context.Context, projectID, phoneID string) (*Screenshot, error) {
	s := Screenshot{PhoneID: phoneID, ProjectID: projectID}
	var taken int64
	var enc string
	err := db.db.QueryRowContext(ctx, `SELECT server_id, taken_at, png_base64 FROM phone_screenshots WHERE phone_id = $1 AND project_id = $2`,
		phoneID, projectID).Scan(&s.ServerID, &taken, &enc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(err, "screenshot of phone "+phoneID)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: screenshot: %w", err)
	}
	if s.PNG, err = base64.StdEncoding.DecodeString(enc); err != nil {
		return nil, fmt.Errorf("sqlstore: screenshot of phone %s: %w", phoneID, err)
	}
	s.TakenAt = fromMicros(taken)
	return &s, nil
}

// OpenScreenshotJob returns the job of the latest screenshot operation of
// phoneID (on serverID) that is still queued or running, so that a new
// request waits for it rather than queueing another; ok is false when
// there is none.
func (db *DB) OpenScreenshotJob(ctx context.Context, serverID, phoneID string) (jobID string, ok bool, err error) {
	err = db.db.QueryRowContext(ctx, `SELECT job_id FROM operations WHERE server_id = $1 AND state <> 'done' AND phone_id = $2 AND kind = $3
		ORDER BY created_at DESC, id DESC LIMIT 1`, serverID, phoneID, string(cph.OpScreenshot)).Scan(&jobID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sqlstore: open screenshot of phone %s: %w", phoneID, err)
	}
	return jobID, true, nil
}

// JobsOfPhone returns the latest jobs of kind on phone phoneID of
// projectID, newest first, at most limit: what ran on a phone, for
// diagnostics and tests (ListJobs lists by request).
func (db *DB) JobsOfPhone(ctx context.Context, projectID, phoneID string, kind cph.OpKind, limit int) ([]*cph.Job, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE project_id = $1 AND phone_id = $2 AND kind = $3
		ORDER BY begin_at DESC, id DESC LIMIT $4`, projectID, phoneID, string(kind), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: jobs of phone %s: %w", phoneID, err)
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

// PruneScreenshotJobs deletes the screenshot jobs of phoneID (and their
// operations) that ended before endedBefore: a phone viewed for a day
// would otherwise leave tens of thousands of them to the job retention.
// Queries repeat the index's condition, kind = 'screenshot', word for
// word, so that SQLite uses it.
func (tx *Tx) PruneScreenshotJobs(ctx context.Context, phoneID string, endedBefore time.Time) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM operations WHERE job_id IN (
		SELECT id FROM jobs WHERE kind = 'screenshot' AND phone_id = $1 AND end_at > 0 AND end_at < $2)`, phoneID, micros(endedBefore)); err != nil {
		return fmt.Errorf("sqlstore: prune screenshot operations of phone %s: %w", phoneID, err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM jobs WHERE kind = 'screenshot' AND phone_id = $1 AND end_at > 0 AND end_at < $2`,
		phoneID, micros(endedBefore)); err != nil {
		return fmt.Errorf("sqlstore: prune screenshot jobs of phone %s: %w", phoneID, err)
	}
	return nil
}
