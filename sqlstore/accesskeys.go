package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	cph "github.com/opencph/opencph"
)

// AccessKey is a stored permanent access key.
type AccessKey = cph.AccessKey

const accessKeyCols = `access, user_id, domain_id, secret_enc, status, description, created_at, last_used_at`

func scanAccessKey(row interface{ Scan(...any) error }) (*AccessKey, error) {
	var k AccessKey
	var created, used int64
	if err := row.Scan(&k.Access, &k.UserID, &k.DomainID, &k.SecretEnc, &k.Status, &k.Description, &created, &used); err != nil {
		return nil, err
	}
	k.CreatedAt, k.LastUsedAt = fromMicros(created), fromMicros(used)
	return &k, nil
}

// CountAccessKeys returns how many access keys userID has. It locks the
// user's row until the transaction ends (see lockOwner), so a count
// followed by an insert holds against concurrent creators.
func (tx *Tx) CountAccessKeys(ctx context.Context, userID string) (int, error) {
	if err := tx.lockOwner(ctx, "users", userID); err != nil {
		return 0, err
	}
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_keys WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count access keys: %w", err)
	}
	return n, nil
}

// CreateAccessKey inserts an access key; its creation time is the
// transaction's time. If max > 0 and the user already has max keys it
// inserts nothing and returns ErrLimit; concurrent creations for one user
// take turns, so the limit holds on both engines.
func (tx *Tx) CreateAccessKey(ctx context.Context, k *AccessKey, max int) error {
	if max > 0 {
		n, err := tx.CountAccessKeys(ctx, k.UserID)
		if err != nil {
			return err
		}
		if n >= max {
			return fmt.Errorf("access keys of user %s: %w (%d)", k.UserID, ErrLimit, max)
		}
	}
	k.CreatedAt = tx.now
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO access_keys (`+accessKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)`,
		k.Access, k.UserID, k.DomainID, k.SecretEnc, k.Status, k.Description, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: create access key: %w", err)
	}
	return nil
}

// AccessKeyByID returns the access key, or ErrNotFound.
func (db *DB) AccessKeyByID(ctx context.Context, access string) (*AccessKey, error) {
	k, err := scanAccessKey(db.db.QueryRowContext(ctx, `SELECT `+accessKeyCols+` FROM access_keys WHERE access = $1`, access))
	if err != nil {
		return nil, notFound(err, "access key "+access)
	}
	return k, nil
}

// ListAccessKeys returns the access keys of userID, oldest first.
func (db *DB) ListAccessKeys(ctx context.Context, userID string) ([]*AccessKey, error) {
	return queryAll(ctx, db.db, "list access keys", "access key", scanAccessKey,
		`SELECT `+accessKeyCols+` FROM access_keys WHERE user_id = $1 ORDER BY created_at, access`, userID)
}

// UpdateAccessKey sets the status and description of an access key.
func (db *DB) UpdateAccessKey(ctx context.Context, access, status, description string) error {
	res, err := db.db.ExecContext(ctx, `UPDATE access_keys SET status = $1, description = $2 WHERE access = $3`, status, description, access)
	if err != nil {
		return fmt.Errorf("sqlstore: update access key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("access key %s: %w", access, ErrNotFound)
	}
	return nil
}

// DeleteAccessKey removes an access key.
func (db *DB) DeleteAccessKey(ctx context.Context, access string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM access_keys WHERE access = $1`, access)
	if err != nil {
		return fmt.Errorf("sqlstore: delete access key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("access key %s: %w", access, ErrNotFound)
	}
	return nil
}

// TouchAccessKey records a use of the key at t if the recorded last use is
// older than a minute (uses are recorded coarsely to spare writes).
func (db *DB) TouchAccessKey(ctx context.Context, access string, t time.Time) error {
	_, err := db.db.ExecContext(ctx, `UPDATE access_keys SET last_used_at = $1 WHERE access = $2 AND last_used_at < $3`,
		micros(t), access, micros(t.Add(-time.Minute)))
	if err != nil {
		return fmt.Errorf("sqlstore: touch access key: %w", err)
	}
	return nil
}

// AllAccessKeys returns every access key of the installation, oldest
// first; on PostgreSQL their rows stay locked until the transaction ends
// (server key rotation re-encrypts them all in one transaction).
func (tx *Tx) AllAccessKeys(ctx context.Context) ([]*AccessKey, error) {
	q := `SELECT ` + accessKeyCols + ` FROM access_keys ORDER BY created_at, access`
	if tx.engine == Postgres {
		q += ` FOR UPDATE`
	}
	return queryAll(ctx, tx.tx, "list access keys", "access key", scanAccessKey, q)
}

// ReplaceAccessKeySecret sets the encrypted secret of an access key to
// sealed if it is still old, and reports whether it was (a concurrent
// re-encryption that came first leaves it unchanged).
func (tx *Tx) ReplaceAccessKeySecret(ctx context.Context, access, old, sealed string) (bool, error) {
	return replaceAccessKeySecret(ctx, tx.tx, access, old, sealed)
}

// ReplaceAccessKeySecret is Tx.ReplaceAccessKeySecret in a transaction of
// its own.
func (db *DB) ReplaceAccessKeySecret(ctx context.Context, access, old, sealed string) (bool, error) {
	return replaceAccessKeySecret(ctx, db.db, access, old, sealed)
}

func replaceAccessKeySecret(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, access, old, sealed string) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE access_keys SET secret_enc = $1 WHERE access = $2 AND secret_enc = $3`, sealed, access, old)
	if err != nil {
		return false, fmt.Errorf("sqlstore: re-encrypt access key %s: %w", access, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: re-encrypt access key %s: %w", access, err)
	}
	return n == 1, nil
}
