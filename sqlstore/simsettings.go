package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SetSimBootTime sets the boot time of simulated phones of a project
// (phoneID "") or of one phone, in milliseconds; nil removes the setting.
func (db *DB) SetSimBootTime(ctx context.Context, projectID, phoneID string, ms *int64) error {
	return db.Tx(ctx, func(tx *Tx) error {
		var err error
		if ms == nil {
			_, err = tx.tx.ExecContext(ctx, `DELETE FROM sim_settings WHERE project_id = $1 AND phone_id = $2`, projectID, phoneID)
		} else {
			_, err = tx.tx.ExecContext(ctx, `INSERT INTO sim_settings (project_id, phone_id, boot_time_ms, updated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (project_id, phone_id) DO UPDATE SET boot_time_ms = $3, updated_at = $4`, projectID, phoneID, *ms, micros(tx.now))
		}
		if err != nil {
			return fmt.Errorf("sqlstore: set sim boot time: %w", err)
		}
		return nil
	})
}

// SimBootTime returns the boot time set for a project (phoneID "") or a
// phone; nil when none is set.
func (db *DB) SimBootTime(ctx context.Context, projectID, phoneID string) (*int64, error) {
	var ms int64
	err := db.db.QueryRowContext(ctx, `SELECT boot_time_ms FROM sim_settings WHERE project_id = $1 AND phone_id = $2`, projectID, phoneID).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: sim boot time: %w", err)
	}
	return &ms, nil
}

// SimBootTimes returns the boot time, in milliseconds, that applies to
// each of the phones ids of a project that has one: the phone's own, or
// else the project's.
func (tx *Tx) SimBootTimes(ctx context.Context, projectID string, ids []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT phone_id, boot_time_ms FROM sim_settings WHERE project_id = $1 AND phone_id IN (`+
		placeholders(2, len(ids)+1)+`)`, append([]any{projectID, ""}, anys(ids)...)...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read sim boot times: %w", err)
	}
	defer rows.Close()
	own := map[string]int64{}
	project, hasProject := int64(0), false
	for rows.Next() {
		var phone string
		var ms int64
		if err := rows.Scan(&phone, &ms); err != nil {
			return nil, fmt.Errorf("sqlstore: read sim boot times: %w", err)
		}
		if phone == "" {
			project, hasProject = ms, true
		} else {
			own[phone] = ms
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: read sim boot times: %w", err)
	}
	for _, id := range ids {
		if ms, ok := own[id]; ok {
			out[id] = ms
		} else if hasProject {
			out[id] = project
		}
	}
	return out, nil
}

// DeleteSimSettings removes every simulated-runtime setting of a project
// and its phones.
func (tx *Tx) DeleteSimSettings(ctx context.Context, projectID string) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM sim_settings WHERE project_id = $1`, projectID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete sim settings: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
