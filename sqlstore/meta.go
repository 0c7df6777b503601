package sqlstore

import (
	"context"
	"fmt"
)

// Meta returns the value stored under key, or ErrNotFound.
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if err != nil {
		return "", notFound(err, "meta "+key)
	}
	return v, nil
}

// SetMetaIfAbsent stores value under key unless key already has a value,
// and returns the value stored under key afterwards.
func (tx *Tx) SetMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", fmt.Errorf("sqlstore: set meta %s: %w", key, err)
	}
	var v string
	if err := tx.tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v); err != nil {
		return "", fmt.Errorf("sqlstore: read meta %s: %w", key, err)
	}
	return v, nil
}

// Meta returns the value stored under key inside the transaction, or ErrNotFound.
func (tx *Tx) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := tx.tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if err != nil {
		return "", notFound(err, "meta "+key)
	}
	return v, nil
}
