package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/opencph/opencph"
)

// Image is a phone image.
type Image struct {
	ID        string
	ProjectID string // empty for public images
	Name      string
	OSType    string
	OSName    string
	Label     string
	Version   string
	IsPublic  bool
}

// CreateImage inserts an image unless one with the same id exists.
func (tx *Tx) CreateImage(ctx context.Context, im *Image) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO images (id, project_id, name, os_type, os_name, image_label, image_version, is_public, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
		im.ID, im.ProjectID, im.Name, im.OSType, im.OSName, im.Label, im.Version, im.IsPublic, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: create image %s: %w", im.ID, err)
	}
	return nil
}

// UsableImage returns the image with that id if projectID may use it (a
// public image, one of the project's own production images, or a
// production image shared with the project and accepted by it), or
// ErrNotFound.
func (tx *Tx) UsableImage(ctx context.Context, projectID, id string) (*Image, error) {
	var im Image
	err := tx.tx.QueryRowContext(ctx, `SELECT i.id, i.project_id, i.name, i.os_type, i.os_name, i.image_label, i.image_version, i.is_public
		FROM images i WHERE i.id = $1 AND (i.is_public = $2 OR (i.status = $4 AND (i.project_id = $3 OR `+fmt.Sprintf(sharedWith, 3)+`)))`,
		id, true, projectID, int32(cph.ImageProduction)).
		Scan(&im.ID, &im.ProjectID, &im.Name, &im.OSType, &im.OSName, &im.Label, &im.Version, &im.IsPublic)
	if err != nil {
		return nil, notFound(err, "image "+id)
	}
	return &im, nil
}

const serverCols = `id, project_id, name, availability_zone, model_name, phone_model_name, keypair_name, status,
	vpc_id, cidr, subnet_id, subnet_cidr, server_ip, public_ip, order_id, product_id, network_version,
	builtin_index, last_seen, created_at, updated_at`

func scanServer(row interface{ Scan(...any) error }) (*cph.Server, error) {
	var s cph.Server
	var serverIP, publicIP string
	var lastSeen, created, updated int64
	err := row.Scan(&s.ID, &s.ProjectID, &s.Name, &s.AvailabilityZone, &s.ModelName, &s.PhoneModelName, &s.KeypairName, &s.Status,
		&s.VPCID, &s.CIDR, &s.SubnetID, &s.SubnetCIDR, &serverIP, &publicIP, &s.Metadata.OrderID, &s.Metadata.ProductID, &s.NetworkVersion,
		&s.BuiltinIndex, &lastSeen, &created, &updated)
	if err != nil {
		return nil, err
	}
	s.VPCCIDR = s.CIDR
	s.Addresses = []cph.Address{{IntranetIP: serverIP, AccessIP: publicIP, ServerIP: serverIP, PublicIP: publicIP}}
	// A server bought with an order is prepaid (yearly/monthly); the
	// simulated fleet's own servers have no order and are pay-per-use.
	s.Metadata.ChargingMode = cph.ChargingPayPerUse
	if s.Metadata.OrderID != "" {
		s.Metadata.ChargingMode = cph.ChargingPrepaid
	}
	s.LastSeen = cph.NewTime(fromMicros(lastSeen))
	s.CreateTime = cph.NewTime(fromMicros(created))
	s.UpdateTime = cph.NewTime(fromMicros(updated))
	return &s, nil
}

// CreateServer inserts a server. Its agent has no credential yet.
func (tx *Tx) CreateServer(ctx context.Context, s *cph.Server) error {
	var serverIP, publicIP string
	if len(s.Addresses) > 0 {
		serverIP, publicIP = s.Addresses[0].ServerIP, s.Addresses[0].PublicIP
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO servers (id, project_id, name, availability_zone, model_name, phone_model_name, keypair_name, status,
		vpc_id, cidr, subnet_id, subnet_cidr, server_ip, public_ip, order_id, product_id, network_version,
		builtin_index, agent_token_hash, agent_session, last_seen, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, NULL, '', 0, $19, $19)`,
		s.ID, s.ProjectID, s.Name, s.AvailabilityZone, s.ModelName, s.PhoneModelName, s.KeypairName, s.Status,
		s.VPCID, s.CIDR, s.SubnetID, s.SubnetCIDR, serverIP, publicIP, s.Metadata.OrderID, s.Metadata.ProductID, s.NetworkVersion,
		s.BuiltinIndex, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: create server %q: %w", s.Name, err)
	}
	s.CreateTime, s.UpdateTime = cph.NewTime(tx.now), cph.NewTime(tx.now)
	return nil
}

// BuiltinServers returns the servers of cphd's simulated fleet, by index.
func (db *DB) BuiltinServers(ctx context.Context) ([]*cph.Server, error) {
	return db.queryServers(ctx, `SELECT `+serverCols+` FROM servers WHERE builtin_index > 0 ORDER BY builtin_index`)
}

// BuiltinServersTx is BuiltinServers inside a transaction.
func (tx *Tx) BuiltinServers(ctx context.Context) ([]*cph.Server, error) {
	return queryServers(ctx, tx.tx, `SELECT `+serverCols+` FROM servers WHERE builtin_index > 0 ORDER BY builtin_index`)
}

func (db *DB) queryServers(ctx context.Context, q string, args ...any) ([]*cph.Server, error) {
	return queryServers(ctx, db.db, q, args...)
}

func queryServers(ctx context.Context, qr querier, q string, args ...any) ([]*cph.Server, error) {
	return queryAll(ctx, qr, "query servers", "server", scanServer, q, args...)
}

// SetAgentTokenHash replaces the hash of the credential of a server's agent.
func (db *DB) SetAgentTokenHash(ctx context.Context, serverID, hash string) error {
	res, err := db.db.ExecContext(ctx, `UPDATE servers SET agent_token_hash = $1 WHERE id = $2`, hash, serverID)
	if err != nil {
		return fmt.Errorf("sqlstore: set agent credential: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("server %s: %w", serverID, ErrNotFound)
	}
	return nil
}

// ServerByAgentTokenHash returns the server whose agent credential hashes
// to hash, and the agent's current session id, or ErrNotFound.
func (db *DB) ServerByAgentTokenHash(ctx context.Context, hash string) (*cph.Server, string, error) {
	var session string
	row := db.db.QueryRowContext(ctx, `SELECT `+serverCols+`, agent_session FROM servers WHERE agent_token_hash = $1`, hash)
	var s cph.Server
	var serverIP, publicIP string
	var lastSeen, created, updated int64
	err := row.Scan(&s.ID, &s.ProjectID, &s.Name, &s.AvailabilityZone, &s.ModelName, &s.PhoneModelName, &s.KeypairName, &s.Status,
		&s.VPCID, &s.CIDR, &s.SubnetID, &s.SubnetCIDR, &serverIP, &publicIP, &s.Metadata.OrderID, &s.Metadata.ProductID, &s.NetworkVersion,
		&s.BuiltinIndex, &lastSeen, &created, &updated, &session)
	if err != nil {
		return nil, "", notFound(err, "agent credential")
	}
	s.LastSeen = cph.NewTime(fromMicros(lastSeen))
	return &s, session, nil
}

// StartAgentSession records sessionID as the current session of the agent
// of serverID and hands every operation claimed by an earlier session back
// to the queue. It returns how many operations were re-queued.
func (tx *Tx) StartAgentSession(ctx context.Context, serverID, sessionID string) (int64, error) {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE servers SET agent_session = $1, last_seen = $2 WHERE id = $3`,
		sessionID, micros(tx.now), serverID); err != nil {
		return 0, fmt.Errorf("sqlstore: start agent session: %w", err)
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE operations SET state = 'pending', session_id = '', lease_until = 0
		WHERE server_id = $1 AND state <> 'done' AND state = 'claimed' AND session_id <> $2`, serverID, sessionID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: requeue operations: %w", err)
	}
	return res.RowsAffected()
}

// TouchAgent records that the agent session of serverID is alive. It
// reports false when sessionID is no longer the server's current session.
func (db *DB) TouchAgent(ctx context.Context, serverID, sessionID string) (bool, error) {
	var n int64
	err := db.GroupTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `UPDATE servers SET last_seen = $1 WHERE id = $2 AND agent_session = $3`,
			micros(tx.now), serverID, sessionID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlstore: touch agent: %w", err)
	}
	return n > 0, nil
}

// ServerByID returns the server of projectID with that id, or ErrNotFound.
func (db *DB) ServerByID(ctx context.Context, projectID, id string) (*cph.Server, error) {
	s, err := scanServer(db.db.QueryRowContext(ctx, `SELECT `+serverCols+` FROM servers WHERE id = $1 AND project_id = $2`, id, projectID))
	if err != nil {
		return nil, notFound(err, "server "+id)
	}
	return s, nil
}

// ListServers returns one page of the servers matching f, newest first,
// and the total number of matches.
func (db *DB) ListServers(ctx context.Context, f cph.ServerFilter) ([]*cph.Server, int, error) {
	w := where{conds: []string{"project_id = $1"}, args: []any{f.ProjectID}}
	if f.NameLike != nil {
		w.add("LOWER(name) LIKE LOWER($%d) ESCAPE '\\'", "%"+escapeLike(*f.NameLike)+"%")
	}
	if f.ServerID != nil {
		w.add("id = $%d", *f.ServerID)
	}
	if f.NetworkVersion != nil {
		w.add("network_version = $%d", *f.NetworkVersion)
	}
	if f.PhoneModelName != nil {
		w.add("phone_model_name = $%d", *f.PhoneModelName)
	}
	if f.CreateSince != nil {
		w.add("created_at >= $%d", micros(f.CreateSince.Time))
	}
	if f.CreateUntil != nil {
		w.add("created_at <= $%d", micros(f.CreateUntil.Time))
	}
	if f.Status != nil {
		w.add("status = $%d", int32(*f.Status))
	}
	return listPage(ctx, db.db, pageQuery[*cph.Server]{
		Table: "servers", Cols: serverCols, Where: w, Limit: f.Limit, Offset: f.Offset, Query: queryServers,
	})
}

// pageQuery asks for one page (Limit rows from Offset) of the rows of
// Table that match Where, their columns Cols read by Query.
type pageQuery[T any] struct {
	Table  string
	Cols   string
	Where  where
	Limit  int
	Offset int
	Query  func(context.Context, querier, string, ...any) ([]T, error)
}

// listPage counts the rows that p matches and returns p's page of them,
// newest first (ties by name), with the number of matches.
func listPage[T any](ctx context.Context, qr querier, p pageQuery[T]) ([]T, int, error) {
	w, table, cols := p.Where, p.Table, p.Cols
	cond := w.sql()
	var total int
	if err := qr.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE `+cond, w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: count %s: %w", table, err)
	}
	n := len(w.args)
	args := append(w.args, p.Limit, p.Offset)
	page, err := p.Query(ctx, qr, fmt.Sprintf(`SELECT `+cols+` FROM `+table+` WHERE `+cond+
		` ORDER BY created_at DESC, name LIMIT $%d OFFSET $%d`, n+1, n+2), args...)
	return page, total, err
}

// escapeLike escapes the LIKE wildcards of s with a backslash.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

const phoneCols = `id, project_id, server_id, idx, name, model_name, image_id, image_version, vnc_enable, status, type, imei,
	traffic_type, volume_mode, availability_zone, order_id, product_id, has_encrypt, property, ip,
	data_volume_type, data_volume_size, created_at, updated_at`

func scanPhone(row interface{ Scan(...any) error }) (*cph.Phone, error) {
	var p cph.Phone
	var vnc bool
	var created, updated int64
	err := row.Scan(&p.ID, &p.ProjectID, &p.ServerID, &p.Index, &p.Name, &p.ModelName, &p.ImageID, &p.ImageVersion, &vnc, &p.Status, &p.Type, &p.IMEI,
		&p.TrafficType, &p.VolumeMode, &p.AvailabilityZone, &p.Metadata.OrderID, &p.Metadata.ProductID, &p.HasEncrypt, &p.Property, &p.IP,
		&p.DataVolumeType, &p.DataVolumeSize, &created, &updated)
	if err != nil {
		return nil, err
	}
	return scannedPhone(&p, vnc, created, updated), nil
}

// scannedPhone completes p with the columns that need converting.
func scannedPhone(p *cph.Phone, vnc bool, created, updated int64) *cph.Phone {
	p.VNCEnable = "false"
	if vnc {
		p.VNCEnable = "true"
	}
	p.CreateTime = cph.NewTime(fromMicros(created))
	p.UpdateTime = cph.NewTime(fromMicros(updated))
	return p
}

// CreatePhone inserts a phone.
func (tx *Tx) CreatePhone(ctx context.Context, p *cph.Phone) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO phones (`+phoneCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23)`,
		p.ID, p.ProjectID, p.ServerID, p.Index, p.Name, p.ModelName, p.ImageID, p.ImageVersion, p.VNCEnable == "true", p.Status, p.Type, p.IMEI,
		p.TrafficType, p.VolumeMode, p.AvailabilityZone, p.Metadata.OrderID, p.Metadata.ProductID, p.HasEncrypt, p.Property, p.IP,
		p.DataVolumeType, p.DataVolumeSize, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: create phone %q: %w", p.Name, err)
	}
	if err := tx.addPhoneCount(ctx, p.ProjectID, 1); err != nil {
		return err
	}
	p.CreateTime, p.UpdateTime = cph.NewTime(tx.now), cph.NewTime(tx.now)
	return nil
}

func queryPhones(ctx context.Context, qr querier, q string, args ...any) ([]*cph.Phone, error) {
	return queryAll(ctx, qr, "query phones", "phone", scanPhone, q, args...)
}

// ListPhones returns one page of the phones matching f, newest first (ties
// by name), and the total number of matches. The phones carry the fields
// a list shows (those of cph.Phone's JSON, and ProjectID).
func (db *DB) ListPhones(ctx context.Context, f cph.PhoneFilter) ([]*cph.Phone, int, error) {
	w := where{conds: []string{"project_id = $1"}, args: []any{f.ProjectID}}
	if f.NameLike != nil {
		w.add("LOWER(name) LIKE LOWER($%d) ESCAPE '\\'", "%"+escapeLike(*f.NameLike)+"%")
	}
	if f.ServerID != nil {
		w.add("server_id = $%d", *f.ServerID)
	}
	if f.Status != nil {
		w.add("status = $%d", int32(*f.Status))
	}
	if f.Type != nil {
		w.add("type = $%d", *f.Type)
	}
	var total int
	if len(w.args) == 1 {
		// Only the project: the count is kept in phone_counts.
		err := db.db.QueryRowContext(ctx, `SELECT phones FROM phone_counts WHERE project_id = $1`, f.ProjectID).Scan(&total)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, 0, fmt.Errorf("sqlstore: count phones: %w", err)
		}
	} else if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM phones WHERE `+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: count phones: %w", err)
	}
	if total == 0 || f.Offset >= total {
		return []*cph.Phone{}, total, nil
	}
	// The page's ids come from the list index alone (a deep offset skips
	// index entries, not rows); then its rows are read by id.
	//
	// The limit is written into the statement, not passed: PostgreSQL
	// may run a prepared statement with a generic plan, made without its
	// parameters' values, and a generic plan of a LIMIT it does not know
	// joins a tenth of the phones: at a million phones it read them all
	// (0.6 s) for a first page. With the limit known every plan reads the
	// page's ids from the index. Limits are 1 to MaxPhonePage: at most
	// that many statements.
	if f.Limit < 1 || f.Limit > cph.MaxPhonePage {
		return nil, 0, fmt.Errorf("sqlstore: list phones: limit %d (1 to %d)", f.Limit, cph.MaxPhonePage)
	}
	page, err := queryAll(ctx, db.db, "list phones", "phone", scanListedPhone, fmt.Sprintf(`SELECT `+listedPhoneCols+` FROM phones WHERE id IN (
		SELECT id FROM phones WHERE `+w.sql()+` ORDER BY created_at DESC, name, id LIMIT %d OFFSET $%d)
		ORDER BY created_at DESC, name, id`, f.Limit, len(w.args)+1), append(w.args, f.Offset)...)
	return page, total, err
}

// listedPhoneCols are the columns a phone list shows (ListCloudPhones):
// fewer than phoneCols, since each column read costs.
const listedPhoneCols = `id, project_id, server_id, name, model_name, image_id, image_version, vnc_enable, status, type, imei,
	traffic_type, volume_mode, availability_zone, order_id, product_id, has_encrypt, created_at, updated_at`

// scanListedPhone reads the listedPhoneCols of a phone; the other fields
// stay empty.
func scanListedPhone(row interface{ Scan(...any) error }) (*cph.Phone, error) {
	var p cph.Phone
	var vnc bool
	var created, updated int64
	err := row.Scan(&p.ID, &p.ProjectID, &p.ServerID, &p.Name, &p.ModelName, &p.ImageID, &p.ImageVersion, &vnc, &p.Status, &p.Type, &p.IMEI,
		&p.TrafficType, &p.VolumeMode, &p.AvailabilityZone, &p.Metadata.OrderID, &p.Metadata.ProductID, &p.HasEncrypt, &created, &updated)
	if err != nil {
		return nil, err
	}
	return scannedPhone(&p, vnc, created, updated), nil
}

// addPhoneCount adds delta to the number of phones of projectID.
func (tx *Tx) addPhoneCount(ctx context.Context, projectID string, delta int64) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO phone_counts (project_id, phones) VALUES ($1, $2)
		ON CONFLICT (project_id) DO UPDATE SET phones = phone_counts.phones + excluded.phones`, projectID, delta)
	if err != nil {
		return fmt.Errorf("sqlstore: count phones of project %s: %w", projectID, err)
	}
	return nil
}

// PhoneByID returns the phone of projectID with that id, or ErrNotFound.
func (db *DB) PhoneByID(ctx context.Context, projectID, id string) (*cph.Phone, error) {
	p, err := scanPhone(db.db.QueryRowContext(ctx, `SELECT `+phoneCols+` FROM phones WHERE id = $1 AND project_id = $2`, id, projectID))
	if err != nil {
		return nil, notFound(err, "phone "+id)
	}
	return p, nil
}

// PhoneByID returns the phone with that id, or ErrNotFound. An empty
// projectID matches any project.
func (tx *Tx) PhoneByID(ctx context.Context, projectID, id string) (*cph.Phone, error) {
	q := `SELECT ` + phoneCols + ` FROM phones WHERE id = $1`
	args := []any{id}
	if projectID != "" {
		q += ` AND project_id = $2`
		args = append(args, projectID)
	}
	p, err := scanPhone(tx.tx.QueryRowContext(ctx, q, args...))
	if err != nil {
		return nil, notFound(err, "phone "+id)
	}
	return p, nil
}

// PhonesByServer returns the phones of a server, by index.
func (db *DB) PhonesByServer(ctx context.Context, serverID string) ([]*cph.Phone, error) {
	return queryPhones(ctx, db.db, `SELECT `+phoneCols+` FROM phones WHERE server_id = $1 ORDER BY idx`, serverID)
}

// SetPhoneStatus changes the status of phone id to `to`, but only if its
// current status is one of from. It reports whether the phone changed.
func (tx *Tx) SetPhoneStatus(ctx context.Context, id string, from []cph.PhoneStatus, to cph.PhoneStatus) (bool, error) {
	args := []any{int32(to), micros(tx.now), id}
	for _, s := range from {
		args = append(args, int32(s))
	}
	got, err := tx.tx.queryStatus(ctx, `UPDATE phones SET status = $1, updated_at = $2 WHERE id = $3 AND status IN (`+
		placeholders(4, len(from))+`) RETURNING id`, to, tx.now, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: set phone status: %w", err)
	}
	return len(got) > 0, nil
}

// SetPhoneImageAndProperty records the image and property set a phone runs
// with after a restart or reset.
func (tx *Tx) SetPhoneImageAndProperty(ctx context.Context, id, imageID, imageVersion, property string) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE phones SET image_id = $1, image_version = $2, property = $3, updated_at = $4 WHERE id = $5`,
		imageID, imageVersion, property, micros(tx.now), id)
	if err != nil {
		return fmt.Errorf("sqlstore: set phone image: %w", err)
	}
	return nil
}
