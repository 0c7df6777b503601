package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// EnrollmentToken is a project's agent enrollment token. Its secret is
// kept only as SecretHash.
type EnrollmentToken struct {
	ID          string
	ProjectID   string
	SecretHash  string
	Description string
	CreatedBy   string // user id
	CreatedAt   time.Time
	ExpiresAt   time.Time // zero: never
	LastUsedAt  time.Time // zero: never used
}

// ErrEnrollmentTokenLimit is returned (wrapped) when a project already has
// the most enrollment tokens it may have.
var ErrEnrollmentTokenLimit = errors.New("sqlstore: enrollment token limit reached")

const enrollmentCols = `id, project_id, secret_hash, description, created_by, created_at, expires_at, last_used_at`

func scanEnrollmentToken(row interface{ Scan(...any) error }) (*EnrollmentToken, error) {
	var t EnrollmentToken
	var created, expires, used int64
	if err := row.Scan(&t.ID, &t.ProjectID, &t.SecretHash, &t.Description, &t.CreatedBy, &created, &expires, &used); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = fromMicros(created), fromMicros(expires), fromMicros(used)
	return &t, nil
}

// CreateEnrollmentToken stores t unless its project already has max
// tokens (then the error wraps ErrEnrollmentTokenLimit). The count and the insert hold
// under concurrency on both engines: on PostgreSQL the project's row is
// locked first; SQLite runs one writer at a time.
func (db *DB) CreateEnrollmentToken(ctx context.Context, t *EnrollmentToken, max int) error {
	return db.Tx(ctx, func(tx *Tx) error {
		if tx.engine == Postgres {
			var id string
			if err := tx.tx.QueryRowContext(ctx, `SELECT id FROM projects WHERE id = $1 FOR UPDATE`, t.ProjectID).Scan(&id); err != nil {
				return notFound(err, "project "+t.ProjectID)
			}
		}
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM enrollment_tokens WHERE project_id = $1`, t.ProjectID).Scan(&n); err != nil {
			return fmt.Errorf("sqlstore: count enrollment tokens: %w", err)
		}
		if n >= max {
			return fmt.Errorf("project %s has %d enrollment tokens: %w", t.ProjectID, n, ErrEnrollmentTokenLimit)
		}
		if t.CreatedAt.IsZero() {
			t.CreatedAt = tx.now
		}
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO enrollment_tokens (`+enrollmentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)`,
			t.ID, t.ProjectID, t.SecretHash, t.Description, t.CreatedBy, micros(t.CreatedAt), micros(t.ExpiresAt))
		if err != nil {
			return fmt.Errorf("sqlstore: create enrollment token: %w", err)
		}
		return nil
	})
}

// EnrollmentTokens lists a project's enrollment tokens, oldest first.
func (db *DB) EnrollmentTokens(ctx context.Context, projectID string) ([]*EnrollmentToken, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+enrollmentCols+` FROM enrollment_tokens WHERE project_id = $1 ORDER BY created_at, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list enrollment tokens: %w", err)
	}
	defer rows.Close()
	var out []*EnrollmentToken
	for rows.Next() {
		t, err := scanEnrollmentToken(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list enrollment tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// EnrollmentTokenByHash returns the token whose secret hashes to hash, or
// ErrNotFound. It does not look at the expiry.
func (db *DB) EnrollmentTokenByHash(ctx context.Context, hash string) (*EnrollmentToken, error) {
	t, err := scanEnrollmentToken(db.db.QueryRowContext(ctx, `SELECT `+enrollmentCols+` FROM enrollment_tokens WHERE secret_hash = $1`, hash))
	if err != nil {
		return nil, notFound(err, "enrollment token")
	}
	return t, nil
}

// TouchEnrollmentToken records that token id enrolled a server now.
func (db *DB) TouchEnrollmentToken(ctx context.Context, id string) error {
	return db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE enrollment_tokens SET last_used_at = $1 WHERE id = $2`, micros(tx.now), id); err != nil {
			return fmt.Errorf("sqlstore: touch enrollment token: %w", err)
		}
		return nil
	})
}

// DeleteEnrollmentToken revokes token id of projectID; ErrNotFound if the
// project has no such token.
func (db *DB) DeleteEnrollmentToken(ctx context.Context, projectID, id string) error {
	return db.Tx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM enrollment_tokens WHERE id = $1 AND project_id = $2`, id, projectID)
		if err != nil {
			return fmt.Errorf("sqlstore: delete enrollment token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("enrollment token %s: %w", id, ErrNotFound)
		}
		return nil
	})
}

// DeletedAgentCredential is what is kept of a deleted server's agent
// credential.
type DeletedAgentCredential struct {
	ServerID   string
	ServerName string
	ProjectID  string
	DeletedAt  time.Time
}

// DeletedAgentCredentialByHash returns the deleted server whose agent
// credential hashed to hash, or ErrNotFound.
func (db *DB) DeletedAgentCredentialByHash(ctx context.Context, hash string) (*DeletedAgentCredential, error) {
	var d DeletedAgentCredential
	var at int64
	err := db.db.QueryRowContext(ctx, `SELECT server_id, server_name, project_id, deleted_at FROM deleted_agent_credentials WHERE token_hash = $1`, hash).
		Scan(&d.ServerID, &d.ServerName, &d.ProjectID, &at)
	if err != nil {
		return nil, notFound(err, "deleted agent credential")
	}
	d.DeletedAt = fromMicros(at)
	return &d, nil
}

// rememberDeletedCredential keeps the agent credential of server id, which
// is about to be deleted.
func (tx *Tx) rememberDeletedCredential(ctx context.Context, id string) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO deleted_agent_credentials (token_hash, server_id, server_name, project_id, deleted_at)
		SELECT agent_token_hash, id, name, project_id, $2 FROM servers WHERE id = $1 AND agent_token_hash IS NOT NULL AND agent_token_hash <> ''
		ON CONFLICT (token_hash) DO NOTHING`, id, micros(tx.now))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlstore: keep the deleted server's agent credential: %w", err)
	}
	return nil
}
