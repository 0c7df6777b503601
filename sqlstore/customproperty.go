package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/opencph/opencph"
)

// PhoneCustomProperty returns the custom properties of a phone (nil when
// it has none).
func (db *DB) PhoneCustomProperty(ctx context.Context, phoneID string) (map[string]string, error) {
	var raw string
	err := db.db.QueryRowContext(ctx, `SELECT property FROM phone_custom_properties WHERE phone_id = $1`, phoneID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("sqlstore: custom properties of phone %s: %w", phoneID, err)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("sqlstore: custom properties of phone %s: %w", phoneID, err)
	}
	return m, nil
}

// MergePhoneCustomProperty merges upd into the custom properties of a
// phone: a key with a value is set, a key with "" removed. If the compact
// JSON of the result would be longer than max bytes it returns ErrLimit
// and changes nothing. The phone's row is locked first, so concurrent
// merges of one phone take turns and the bound holds on both engines.
func (tx *Tx) MergePhoneCustomProperty(ctx context.Context, phoneID string, upd map[string]string, max int) error {
	if err := tx.lockOwner(ctx, "phones", phoneID); err != nil {
		return err
	}
	var projectID, serverID string
	err := tx.tx.QueryRowContext(ctx, `SELECT project_id, server_id FROM phones WHERE id = $1`, phoneID).Scan(&projectID, &serverID)
	if err != nil {
		return notFound(err, "phone "+phoneID)
	}
	cur := map[string]string{}
	var raw string
	err = tx.tx.QueryRowContext(ctx, `SELECT property FROM phone_custom_properties WHERE phone_id = $1`, phoneID).Scan(&raw)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("sqlstore: custom properties of phone %s: %w", phoneID, err)
	default:
		if err := json.Unmarshal([]byte(raw), &cur); err != nil {
			return fmt.Errorf("sqlstore: custom properties of phone %s: %w", phoneID, err)
		}
	}
	next := maps.Clone(cur)
	for k, v := range upd {
		if v == "" {
			delete(next, k)
		} else {
			next[k] = v
		}
	}
	if len(next) == 0 {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM phone_custom_properties WHERE phone_id = $1`, phoneID); err != nil {
			return fmt.Errorf("sqlstore: clear custom properties of phone %s: %w", phoneID, err)
		}
		return nil
	}
	b := cph.CustomPropertyJSON(next)
	if len(b) > max {
		return fmt.Errorf("custom properties of phone %s: %w (%d bytes)", phoneID, ErrLimit, max)
	}
	_, err = tx.tx.ExecContext(ctx, `INSERT INTO phone_custom_properties (phone_id, project_id, server_id, property, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (phone_id) DO UPDATE SET property = $4, updated_at = $5`,
		phoneID, projectID, serverID, string(b), micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: set custom properties of phone %s: %w", phoneID, err)
	}
	return nil
}

// DeletePhoneCustomProperty removes every custom property of a phone.
func (tx *Tx) DeletePhoneCustomProperty(ctx context.Context, phoneID string) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM phone_custom_properties WHERE phone_id = $1`, phoneID); err != nil {
		return fmt.Errorf("sqlstore: clear custom properties of phone %s: %w", phoneID, err)
	}
	return nil
}

// DeleteProjectCustomProperties removes the custom properties of every
// phone of a project and returns how many phones had any.
func (tx *Tx) DeleteProjectCustomProperties(ctx context.Context, projectID string) (int, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM phone_custom_properties WHERE project_id = $1`, projectID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: clear custom properties of project %s: %w", projectID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// LockPhones locks the rows of the phones ids on PostgreSQL, in id order,
// so that transactions that each change several of them (and lock them
// again one by one) wait for each other instead of deadlocking. On SQLite
// the transaction holds the writer lock already.
func (tx *Tx) LockPhones(ctx context.Context, ids []string) error {
	if tx.engine != Postgres || len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT id FROM phones WHERE id IN (`+placeholders(1, len(ids))+`) ORDER BY id FOR NO KEY UPDATE`, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: lock phones: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: lock phones: %w", err)
	}
	return nil
}
