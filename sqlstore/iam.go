package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/opencph/opencph"
)

// CreateDomain inserts a domain (account).
func (tx *Tx) CreateDomain(ctx context.Context, d *cph.Domain) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO domains (id, name, enabled, created_at) VALUES ($1, $2, $3, $4)`,
		d.ID, d.Name, d.Enabled, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: create domain %q: %w", d.Name, err)
	}
	return nil
}

// CreateUser inserts a user.
func (tx *Tx) CreateUser(ctx context.Context, u *cph.User) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO users (id, domain_id, name, password_hash, enabled, is_admin, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, u.DomainID, u.Name, u.PasswordHash, u.Enabled, u.IsAdmin, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: create user %q: %w", u.Name, err)
	}
	return nil
}

// CreateProject inserts a project.
func (tx *Tx) CreateProject(ctx context.Context, p *cph.Project) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO projects (id, domain_id, name, enabled, description, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		p.ID, p.DomainID, p.Name, p.Enabled, p.Description, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: create project %q: %w", p.Name, err)
	}
	return nil
}

const domainCols = `id, name, enabled`

func scanDomain(row interface{ Scan(...any) error }) (*cph.Domain, error) {
	var d cph.Domain
	if err := row.Scan(&d.ID, &d.Name, &d.Enabled); err != nil {
		return nil, err
	}
	return &d, nil
}

// DomainByName returns the domain with that name, or ErrNotFound.
func (db *DB) DomainByName(ctx context.Context, name string) (*cph.Domain, error) {
	d, err := scanDomain(db.db.QueryRowContext(ctx, `SELECT `+domainCols+` FROM domains WHERE name = $1`, name))
	if err != nil {
		return nil, notFound(err, "domain "+name)
	}
	return d, nil
}

// DomainByID returns the domain with that id, or ErrNotFound.
func (db *DB) DomainByID(ctx context.Context, id string) (*cph.Domain, error) {
	d, err := scanDomain(db.db.QueryRowContext(ctx, `SELECT `+domainCols+` FROM domains WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "domain "+id)
	}
	return d, nil
}

const userCols = `id, domain_id, name, password_hash, enabled, is_admin`

func scanUser(row interface{ Scan(...any) error }) (*cph.User, error) {
	var u cph.User
	if err := row.Scan(&u.ID, &u.DomainID, &u.Name, &u.PasswordHash, &u.Enabled, &u.IsAdmin); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserByName returns the user of domainID with that name, or ErrNotFound.
func (db *DB) UserByName(ctx context.Context, domainID, name string) (*cph.User, error) {
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE domain_id = $1 AND name = $2`, domainID, name))
	if err != nil {
		return nil, notFound(err, "user "+name)
	}
	return u, nil
}

// UserByID returns the user with that id, or ErrNotFound.
func (db *DB) UserByID(ctx context.Context, id string) (*cph.User, error) {
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "user "+id)
	}
	return u, nil
}

const projectCols = `id, domain_id, name, enabled, description`

func scanProject(row interface{ Scan(...any) error }) (*cph.Project, error) {
	var p cph.Project
	if err := row.Scan(&p.ID, &p.DomainID, &p.Name, &p.Enabled, &p.Description); err != nil {
		return nil, err
	}
	return &p, nil
}

// ProjectByID returns the project with that id, or ErrNotFound.
func (db *DB) ProjectByID(ctx context.Context, id string) (*cph.Project, error) {
	p, err := scanProject(db.db.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "project "+id)
	}
	return p, nil
}

// ProjectByName returns the project of domainID with that name, or ErrNotFound.
func (db *DB) ProjectByName(ctx context.Context, domainID, name string) (*cph.Project, error) {
	p, err := scanProject(db.db.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects WHERE domain_id = $1 AND name = $2`, domainID, name))
	if err != nil {
		return nil, notFound(err, "project "+name)
	}
	return p, nil
}

// ProjectByNameTx is ProjectByName inside a transaction.
func (tx *Tx) ProjectByName(ctx context.Context, domainID, name string) (*cph.Project, error) {
	p, err := scanProject(tx.tx.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects WHERE domain_id = $1 AND name = $2`, domainID, name))
	if err != nil {
		return nil, notFound(err, "project "+name)
	}
	return p, nil
}

// ListProjects returns the projects of domainID ordered by name; a non-empty
// name selects only the project with exactly that name.
func (db *DB) ListProjects(ctx context.Context, domainID, name string) ([]*cph.Project, error) {
	q := `SELECT ` + projectCols + ` FROM projects WHERE domain_id = $1`
	args := []any{domainID}
	if name != "" {
		q += ` AND name = $2`
		args = append(args, name)
	}
	rows, err := db.db.QueryContext(ctx, q+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list projects: %w", err)
	}
	defer rows.Close()
	var out []*cph.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list projects: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CreateToken stores an issued token (only its hash).
func (db *DB) CreateToken(ctx context.Context, t *cph.Token) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO tokens (hash, user_id, domain_id, project_id, issued_at, expires_at, revoked)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.Hash, t.UserID, t.DomainID, t.ProjectID, micros(t.IssuedAt), micros(t.ExpiresAt), t.Revoked)
	if err != nil {
		return fmt.Errorf("sqlstore: create token: %w", err)
	}
	return nil
}

// TokenByHash returns the token with that hash, revoked or not, or ErrNotFound.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*cph.Token, error) {
	var t cph.Token
	var issued, expires int64
	err := db.db.QueryRowContext(ctx, `SELECT hash, user_id, domain_id, project_id, issued_at, expires_at, revoked
		FROM tokens WHERE hash = $1`, hash).Scan(&t.Hash, &t.UserID, &t.DomainID, &t.ProjectID, &issued, &expires, &t.Revoked)
	if err != nil {
		return nil, notFound(err, "token")
	}
	t.IssuedAt, t.ExpiresAt = fromMicros(issued), fromMicros(expires)
	return &t, nil
}

// TokenIdentity is a token with the user, account and (for a
// project-scoped token) project it stands for.
type TokenIdentity struct {
	Token   cph.Token
	User    cph.User
	Domain  cph.Domain
	Project *cph.Project // nil for tokens that are not project-scoped
}

// TokenIdentityByHash returns the token with that hash and its identity,
// in one query, or ErrNotFound (also when its user, account or project no
// longer exists).
func (db *DB) TokenIdentityByHash(ctx context.Context, hash string) (*TokenIdentity, error) {
	var ti TokenIdentity
	var issued, expires int64
	var pID, pDomain, pName, pDesc sql.NullString
	var pEnabled sql.NullBool
	t, u, d := &ti.Token, &ti.User, &ti.Domain
	err := db.db.QueryRowContext(ctx, `SELECT t.hash, t.user_id, t.domain_id, t.project_id, t.issued_at, t.expires_at, t.revoked,
		u.id, u.domain_id, u.name, u.password_hash, u.enabled, u.is_admin, d.id, d.name, d.enabled,
		p.id, p.domain_id, p.name, p.enabled, p.description
		FROM tokens t JOIN users u ON u.id = t.user_id JOIN domains d ON d.id = t.domain_id
		LEFT JOIN projects p ON p.id = t.project_id
		WHERE t.hash = $1`, hash).Scan(&t.Hash, &t.UserID, &t.DomainID, &t.ProjectID, &issued, &expires, &t.Revoked,
		&u.ID, &u.DomainID, &u.Name, &u.PasswordHash, &u.Enabled, &u.IsAdmin, &d.ID, &d.Name, &d.Enabled,
		&pID, &pDomain, &pName, &pEnabled, &pDesc)
	if err != nil {
		return nil, notFound(err, "token")
	}
	t.IssuedAt, t.ExpiresAt = fromMicros(issued), fromMicros(expires)
	if t.ProjectID != "" {
		if !pID.Valid {
			return nil, fmt.Errorf("project %s of token: %w", t.ProjectID, ErrNotFound)
		}
		ti.Project = &cph.Project{ID: pID.String, DomainID: pDomain.String, Name: pName.String, Enabled: pEnabled.Bool, Description: pDesc.String}
	}
	return &ti, nil
}

// RevokeToken marks the token with that hash revoked. It reports whether a
// live (unrevoked) token was revoked.
func (db *DB) RevokeToken(ctx context.Context, hash string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE tokens SET revoked = $1 WHERE hash = $2 AND revoked = $3`, true, hash, false)
	if err != nil {
		return false, fmt.Errorf("sqlstore: revoke token: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// DeleteExpiredTokens removes tokens that expired before cutoff and returns
// how many were removed.
func (db *DB) DeleteExpiredTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM tokens WHERE expires_at < $1`, micros(cutoff))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete expired tokens: %w", err)
	}
	return res.RowsAffected()
}

// ProjectNameByID returns the name of the project with that id.
func (tx *Tx) ProjectNameByID(ctx context.Context, id string) (string, error) {
	var name string
	if err := tx.tx.QueryRowContext(ctx, `SELECT name FROM projects WHERE id = $1`, id).Scan(&name); err != nil {
		return "", notFound(err, "project "+id)
	}
	return name, nil
}

// ListUsers returns the users of domainID, by name.
func (db *DB) ListUsers(ctx context.Context, domainID string) ([]*cph.User, error) {
	return queryAll(ctx, db.db, "list users", "user", scanUser,
		`SELECT `+userCols+` FROM users WHERE domain_id = $1 ORDER BY name`, domainID)
}

// ListDomains returns every domain, by name.
func (db *DB) ListDomains(ctx context.Context) ([]*cph.Domain, error) {
	return queryAll(ctx, db.db, "list domains", "domain", scanDomain, `SELECT `+domainCols+` FROM domains ORDER BY name`)
}

// DomainByNameTx is DomainByName inside a transaction.
func (tx *Tx) DomainByName(ctx context.Context, name string) (*cph.Domain, error) {
	d, err := scanDomain(tx.tx.QueryRowContext(ctx, `SELECT `+domainCols+` FROM domains WHERE name = $1`, name))
	if err != nil {
		return nil, notFound(err, "domain "+name)
	}
	return d, nil
}

// UserByNameTx is UserByName inside a transaction.
func (tx *Tx) UserByName(ctx context.Context, domainID, name string) (*cph.User, error) {
	u, err := scanUser(tx.tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE domain_id = $1 AND name = $2`, domainID, name))
	if err != nil {
		return nil, notFound(err, "user "+name)
	}
	return u, nil
}

// ProjectsNamed returns the projects of every domain with that name.
func (db *DB) ProjectsNamed(ctx context.Context, name string) ([]*cph.Project, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+projectCols+` FROM projects WHERE name = $1 ORDER BY id`, name)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: projects named %s: %w", name, err)
	}
	defer rows.Close()
	var out []*cph.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
