package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/opencph/opencph"
)

// ErrLastAdmin is returned (wrapped) when a change would leave an account
// without an enabled admin user.
var ErrLastAdmin = errors.New("sqlstore: the last enabled admin of the account")

// Changes to a user run in one transaction that also revokes the user's
// tokens; the transaction sends the change notification of the identity
// data when it commits (see changes.go), so every replica drops its cached
// token checks at once.

// userChange runs fn on the user userID in a transaction that holds the
// lock on the user's account, so that concurrent changes to the users of
// one account (on any replica) run one after the other. If removesAdmin
// reports that the change takes an enabled admin away, the change is
// refused with ErrLastAdmin when no other enabled admin remains.
func (db *DB) userChange(ctx context.Context, userID string, removesAdmin func(*cph.User) bool, fn func(tx *Tx, u *cph.User) error) (*cph.User, error) {
	var out *cph.User
	err := db.Tx(ctx, func(tx *Tx) error {
		u, err := scanUser(tx.tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, userID))
		if err != nil {
			return notFound(err, "user "+userID)
		}
		// A no-op update takes the account's row lock on PostgreSQL
		// (SQLite runs one writing transaction at a time anyway).
		if _, err := tx.tx.ExecContext(ctx, `UPDATE domains SET enabled = enabled WHERE id = $1`, u.DomainID); err != nil {
			return fmt.Errorf("sqlstore: lock account %s: %w", u.DomainID, err)
		}
		if removesAdmin != nil && u.IsAdmin && u.Enabled && removesAdmin(u) {
			var others int
			if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE domain_id = $1 AND id <> $2 AND is_admin = $3 AND enabled = $3`,
				u.DomainID, u.ID, true).Scan(&others); err != nil {
				return fmt.Errorf("sqlstore: count admins: %w", err)
			}
			if others == 0 {
				return fmt.Errorf("user %s: %w", u.Name, ErrLastAdmin)
			}
		}
		if err := fn(tx, u); err != nil {
			return err
		}
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, '1')
			ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)`, userChangesKey); err != nil {
			return fmt.Errorf("sqlstore: count user change: %w", err)
		}
		out = u
		return nil
	})
	return out, err
}

// userChangesKey is the meta row that counts user changes.
const userChangesKey = "user_changes"

// FollowUserChanges makes the identity data's version (AuthVersion) move
// if another process changed a user since the last call. On PostgreSQL
// change notifications do that already and it does nothing. On SQLite
// the only other processes are "cphd admin" commands, which change the
// database file directly: the version of a running cphd would not follow
// them, and cached token checks would outlive a disabled or deleted user
// or a changed password. It reads one row, and only when a commit (of any
// process) moved the WAL-index header since its last read (walindex.go).
func (db *DB) FollowUserChanges(ctx context.Context) error {
	if db.engine != SQLite {
		return nil
	}
	var h walHeader
	if db.wal != nil {
		h = db.wal.header()
		if seen := db.wal.seen.Load(); seen != nil && *seen == h {
			return nil
		}
	}
	var v string
	err := db.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, userChangesKey).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlstore: read user changes: %w", err)
	}
	if last := db.userChanges.Load(); last == nil || *last != v {
		if db.userChanges.Swap(&v) != nil {
			db.db.changes.bump(groupAuth)
		}
	}
	if db.wal != nil {
		db.wal.seen.Store(&h)
	}
	return nil
}

// revokeUserTokens revokes every live token of userID.
func (tx *Tx) revokeUserTokens(ctx context.Context, userID string) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE tokens SET revoked = $1 WHERE user_id = $2 AND revoked = $3`, true, userID, false); err != nil {
		return fmt.Errorf("sqlstore: revoke tokens of user %s: %w", userID, err)
	}
	return nil
}

// SetUserEnabled enables or disables a user and returns it as changed.
// Disabling revokes the user's tokens; disabling the last enabled admin of
// an account fails with ErrLastAdmin.
func (db *DB) SetUserEnabled(ctx context.Context, userID string, enabled bool) (*cph.User, error) {
	return db.userChange(ctx, userID, func(*cph.User) bool { return !enabled }, func(tx *Tx, u *cph.User) error {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE users SET enabled = $1 WHERE id = $2`, enabled, u.ID); err != nil {
			return fmt.Errorf("sqlstore: enable user %s: %w", u.ID, err)
		}
		u.Enabled = enabled
		if !enabled {
			return tx.revokeUserTokens(ctx, u.ID)
		}
		return nil
	})
}

// SetUserPassword replaces a user's password hash and revokes the user's
// tokens.
func (db *DB) SetUserPassword(ctx context.Context, userID, hash string) error {
	_, err := db.userChange(ctx, userID, nil, func(tx *Tx, u *cph.User) error {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, u.ID); err != nil {
			return fmt.Errorf("sqlstore: set password of user %s: %w", u.ID, err)
		}
		return tx.revokeUserTokens(ctx, u.ID)
	})
	return err
}

// DeleteUser deletes a user with its tokens and access keys. Deleting the
// last enabled admin of an account fails with ErrLastAdmin.
func (db *DB) DeleteUser(ctx context.Context, userID string) error {
	_, err := db.userChange(ctx, userID, func(*cph.User) bool { return true }, func(tx *Tx, u *cph.User) error {
		for _, q := range []string{
			`DELETE FROM tokens WHERE user_id = $1`,
			`DELETE FROM access_keys WHERE user_id = $1`,
			`DELETE FROM users WHERE id = $1`,
		} {
			if _, err := tx.tx.ExecContext(ctx, q, u.ID); err != nil {
				return fmt.Errorf("sqlstore: delete user %s: %w", u.ID, err)
			}
		}
		return nil
	})
	return err
}
