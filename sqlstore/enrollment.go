package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opencph/opencph"
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

// CreatePhones inserts phones, all of them or none, and adds them to their
// projects' phone counts: what CreatePhone does for each, in a few
// statements instead of two per phone. On PostgreSQL the phones go in as
// one INSERT of unnest()ed column arrays (one round trip for a server's
// thousand phones); on SQLite as multi-row INSERTs of 100 rows, which
// need no round trips and keep to one cached statement shape.
func (tx *Tx) CreatePhones(ctx context.Context, phones []*cph.Phone) error {
	if len(phones) == 0 {
		return nil
	}
	if err := tx.countNewPhones(ctx, phones); err != nil {
		return err
	}
	if _, err := tx.insertPhones(ctx, phones, nil); err != nil {
		return fmt.Errorf("sqlstore: create %d phones: %w", len(phones), err)
	}
	return nil
}

// CreateServerPhones inserts the phones of one new server, all of one
// project and in the order of their names, as CreatePhones does, under
// their names unless the project has a phone whose name sorts from the
// first of them to the last, both included; then under altNames (by
// position) instead, which become the phones' names. It reports whether
// it used altNames. (A name in that range that is none of the phones',
// say node-0001x between node-0001 and node-1000, counts as taken.)
//
// The project's phone count is updated first: on PostgreSQL that locks
// its row until the transaction ends, as PhoneNameTaken does, so that no
// concurrent transaction adds one of these names between the check and
// the insert. There the check is part of the INSERT, so that a server's
// phones cost two statements with the lock held.
func (tx *Tx) CreateServerPhones(ctx context.Context, phones []*cph.Phone, altNames []string) (bool, error) {
	if len(phones) == 0 {
		return false, nil
	}
	if len(altNames) != len(phones) {
		return false, fmt.Errorf("sqlstore: create server phones: %d phones, %d other names", len(phones), len(altNames))
	}
	if err := tx.countNewPhones(ctx, phones); err != nil {
		return false, err
	}
	guard := &nameRange{projectID: phones[0].ProjectID, first: phones[0].Name, last: phones[len(phones)-1].Name}
	if tx.engine != Postgres {
		var n int
		err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM phones WHERE project_id = $1 AND name >= $2 AND name <= $3`,
			guard.projectID, guard.first, guard.last).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("sqlstore: look up phone names: %w", err)
		}
		if n == 0 {
			_, err := tx.insertPhones(ctx, phones, nil)
			return false, wrapCreate(len(phones), err)
		}
	} else if n, err := tx.insertPhones(ctx, phones, guard); err != nil || n == int64(len(phones)) {
		return false, wrapCreate(len(phones), err)
	} else if n != 0 {
		return false, fmt.Errorf("sqlstore: create %d phones: %d inserted", len(phones), n)
	}
	for i, p := range phones {
		p.Name = altNames[i]
	}
	_, err := tx.insertPhones(ctx, phones, nil)
	return true, wrapCreate(len(phones), err)
}

func wrapCreate(n int, err error) error {
	if err != nil {
		return fmt.Errorf("sqlstore: create %d phones: %w", n, err)
	}
	return nil
}

// countNewPhones adds phones to their projects' counts, one statement per
// project, in the order the projects first appear.
func (tx *Tx) countNewPhones(ctx context.Context, phones []*cph.Phone) error {
	var projects []string
	counts := map[string]int64{}
	for _, p := range phones {
		if counts[p.ProjectID] == 0 {
			projects = append(projects, p.ProjectID)
		}
		counts[p.ProjectID]++
	}
	for _, id := range projects {
		if err := tx.addPhoneCount(ctx, id, counts[id]); err != nil {
			return err
		}
	}
	return nil
}

// nameRange is the names from first to last, both included, of one
// project's phones.
type nameRange struct{ projectID, first, last string }

// insertPhones inserts phones and sets their creation and update times.
// With a guard (PostgreSQL only) it inserts nothing if the project has a
// phone whose name is in the guard's range; it returns how many phones it
// inserted.
func (tx *Tx) insertPhones(ctx context.Context, phones []*cph.Phone, guard *nameRange) (int64, error) {
	var n int64
	var err error
	if tx.engine == Postgres {
		n, err = tx.insertPhonesPostgres(ctx, phones, guard)
	} else {
		n, err = int64(len(phones)), insertRows(ctx, tx, multiInsert{
			Head: `INSERT INTO phones (` + phoneCols + `) VALUES `,
			Cols: 24,
			Tail: ")",
			Rows: len(phones),
			Row: func(i int, args []any) []any {
				p, now := phones[i], micros(tx.now)
				return append(args, p.ID, p.ProjectID, p.ServerID, p.Index, p.Name, p.ModelName, p.ImageID, p.ImageVersion, p.VNCEnable == "true",
					p.Status, p.Type, p.IMEI, p.TrafficType, p.VolumeMode, p.AvailabilityZone, p.Metadata.OrderID, p.Metadata.ProductID,
					p.HasEncrypt, p.Property, p.IP, p.DataVolumeType, p.DataVolumeSize, now, now)
			},
		})
	}
	if err != nil || n == 0 {
		return 0, err
	}
	for _, p := range phones {
		p.CreateTime, p.UpdateTime = cph.NewTime(tx.now), cph.NewTime(tx.now)
	}
	return n, nil
}

// insertPhonesPostgres inserts phones in one statement whose parameters
// are one array per column. The store checks text parameters before they
// reach the database (checkArgs); it does not look into arrays, so the
// text of each phone is checked here.
func (tx *Tx) insertPhonesPostgres(ctx context.Context, phones []*cph.Phone, guard *nameRange) (int64, error) {
	n := len(phones)
	var (
		ids, projects, servers, names, models, images, versions = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		imeis, traffic, zones, orders, products, props, ips, volTypes = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		idxs, statuses, types, volModes, volSizes = make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
		vncs, encrypts                            = make([]bool, n), make([]bool, n)
	)
	for i, p := range phones {
		ids[i], projects[i], servers[i], names[i], models[i], images[i], versions[i] = p.ID, p.ProjectID, p.ServerID, p.Name, p.ModelName,
			p.ImageID, p.ImageVersion
		imeis[i], traffic[i], zones[i], orders[i], products[i], props[i], ips[i], volTypes[i] = p.IMEI, p.TrafficType, p.AvailabilityZone,
			p.Metadata.OrderID, p.Metadata.ProductID, p.Property, p.IP, p.DataVolumeType
		idxs[i], statuses[i], types[i], volModes[i], volSizes[i] = int32(p.Index), int32(p.Status), p.Type, p.VolumeMode, p.DataVolumeSize
		vncs[i], encrypts[i] = p.VNCEnable == "true", p.HasEncrypt
	}
	texts := [][]string{ids, projects, servers, names, models, images, versions, imeis, traffic, zones, orders, products, props, ips, volTypes}
	for _, col := range texts {
		for _, s := range col {
			if !cph.ValidText(s) {
				return 0, fmt.Errorf("phone text %q: %w", s, ErrInvalidText)
			}
		}
	}
	args := []any{ids, projects, servers, idxs, names, models, images, versions, vncs, statuses, types, imeis, traffic, volModes, zones,
		orders, products, encrypts, props, ips, volTypes, volSizes, micros(tx.now)}
	q := `INSERT INTO phones (` + phoneCols + `)
		SELECT id, project_id, server_id, idx, name, model_name, image_id, image_version, vnc_enable, status, type, imei,
			traffic_type, volume_mode, availability_zone, order_id, product_id, has_encrypt, property, ip,
			data_volume_type, data_volume_size, $23, $23
		FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[],
			$10::int[], $11::int[], $12::text[], $13::text[], $14::int[], $15::text[], $16::text[], $17::text[], $18::boolean[],
			$19::text[], $20::text[], $21::text[], $22::int[])
		AS t(id, project_id, server_id, idx, name, model_name, image_id, image_version, vnc_enable, status, type, imei,
			traffic_type, volume_mode, availability_zone, order_id, product_id, has_encrypt, property, ip,
			data_volume_type, data_volume_size)`
	if guard != nil {
		q += `
		WHERE NOT EXISTS (SELECT 1 FROM phones WHERE project_id = $24 AND name >= $25 AND name <= $26)`
		args = append(args, guard.projectID, guard.first, guard.last)
	}
	res, err := tx.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// SetAgentTokenHash is DB.SetAgentTokenHash inside a transaction: the
// credential of a server being enrolled commits with the server.
func (tx *Tx) SetAgentTokenHash(ctx context.Context, serverID, hash string) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE servers SET agent_token_hash = $1 WHERE id = $2`, hash, serverID)
	if err != nil {
		return fmt.Errorf("sqlstore: set agent credential: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("server %s: %w", serverID, ErrNotFound)
	}
	return nil
}
