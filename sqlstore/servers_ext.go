package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/opencph/opencph"
)

// FleetServer is a server cphd runs an in-process agent for: a built-in
// server or one created through the API on the simulated fleet.
type FleetServer struct {
	ID           string
	ProjectID    string
	Name         string
	Status       cph.ServerStatus
	BuiltinIndex int
	SimManaged   bool
	// Runtime names the runtime whose replicas run the server's agent
	// ("sim", "docker"); empty if not recorded yet (see AdoptFleetServer).
	Runtime string
}

// FleetServers returns the built-in and API-created simulated servers,
// oldest first.
func (db *DB) FleetServers(ctx context.Context) ([]FleetServer, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, project_id, name, status, builtin_index, sim_managed, fleet_runtime FROM servers
		WHERE builtin_index > 0 OR sim_managed = $1 ORDER BY created_at, id`, true)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list fleet servers: %w", err)
	}
	defer rows.Close()
	var out []FleetServer
	for rows.Next() {
		var s FleetServer
		if err := rows.Scan(&s.ID, &s.ProjectID, &s.Name, &s.Status, &s.BuiltinIndex, &s.SimManaged, &s.Runtime); err != nil {
			return nil, fmt.Errorf("sqlstore: scan fleet server: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SetServerSimulated marks a server as part of cphd's simulated fleet, so
// that the replicas of that runtime run an agent for it, and records its
// shared storage.
func (tx *Tx) SetServerSimulated(ctx context.Context, id, runtime string, share cph.ShareVolumeInfo) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE servers SET sim_managed = $1, fleet_runtime = $2, share_volume_type = $3, share_volume_size = $4 WHERE id = $5`,
		true, runtime, share.VolumeType, share.Size, id)
	if err != nil {
		return fmt.Errorf("sqlstore: mark server simulated: %w", err)
	}
	return nil
}

// SetFleetRuntime records the runtime whose replicas run a built-in
// server's agent.
func (tx *Tx) SetFleetRuntime(ctx context.Context, id, runtime string) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE servers SET fleet_runtime = $1 WHERE id = $2`, runtime, id); err != nil {
		return fmt.Errorf("sqlstore: set fleet runtime: %w", err)
	}
	return nil
}

// AdoptFleetServer records runtime as the runtime of a fleet server that
// has none recorded yet (one made before runtimes were recorded). It
// reports whether the server now has that runtime: of replicas of
// different runtimes adopting it at once, exactly one wins.
func (db *DB) AdoptFleetServer(ctx context.Context, id, runtime string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE servers SET fleet_runtime = $1 WHERE id = $2 AND fleet_runtime = ''`, runtime, id)
	if err != nil {
		return false, fmt.Errorf("sqlstore: adopt fleet server: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: adopt fleet server: %w", err)
	}
	return n == 1, nil
}

// SetServerShareVolume records a server's shared storage (empty type: none).
func (tx *Tx) SetServerShareVolume(ctx context.Context, id string, share cph.ShareVolumeInfo) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE servers SET share_volume_type = $1, share_volume_size = $2 WHERE id = $3`,
		share.VolumeType, share.Size, id)
	if err != nil {
		return fmt.Errorf("sqlstore: set share volume: %w", err)
	}
	return nil
}

// ServerShareVolume returns a server's shared storage, or nil if it has none.
func (db *DB) ServerShareVolume(ctx context.Context, id string) (*cph.ShareVolumeInfo, error) {
	return serverShareVolume(ctx, db.db, id)
}

// ServerShareVolume returns a server's shared storage inside the
// transaction, or nil if it has none.
func (tx *Tx) ServerShareVolume(ctx context.Context, id string) (*cph.ShareVolumeInfo, error) {
	return serverShareVolume(ctx, tx.tx, id)
}

func serverShareVolume(ctx context.Context, qr querier, id string) (*cph.ShareVolumeInfo, error) {
	var v cph.ShareVolumeInfo
	err := qr.QueryRowContext(ctx, `SELECT share_volume_type, share_volume_size FROM servers WHERE id = $1`, id).Scan(&v.VolumeType, &v.Size)
	if err != nil {
		return nil, notFound(err, "server "+id)
	}
	if v.VolumeType == "" {
		return nil, nil
	}
	v.Version = 1
	return &v, nil
}

// ServerByID returns the server with that id inside the transaction, or
// ErrNotFound. An empty projectID matches any project.
func (tx *Tx) ServerByID(ctx context.Context, projectID, id string) (*cph.Server, error) {
	q := `SELECT ` + serverCols + ` FROM servers WHERE id = $1`
	args := []any{id}
	if projectID != "" {
		q += ` AND project_id = $2`
		args = append(args, projectID)
	}
	s, err := scanServer(tx.tx.QueryRowContext(ctx, q, args...))
	if err != nil {
		return nil, notFound(err, "server "+id)
	}
	return s, nil
}

// SetServerStatus changes the status of server id to `to` if its current
// status is one of from (any status when from is empty). It reports
// whether the server changed.
func (tx *Tx) SetServerStatus(ctx context.Context, id string, from []cph.ServerStatus, to cph.ServerStatus) (bool, error) {
	args := []any{int32(to), micros(tx.now), id}
	q := `UPDATE servers SET status = $1, updated_at = $2 WHERE id = $3`
	if len(from) > 0 {
		for _, s := range from {
			args = append(args, int32(s))
		}
		q += ` AND status IN (` + placeholders(4, len(from)) + `)`
	}
	res, err := tx.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: set server status: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RenameServer renames a server of projectID, or returns ErrNotFound.
func (db *DB) RenameServer(ctx context.Context, projectID, id, name string) error {
	res, err := db.db.ExecContext(ctx, `UPDATE servers SET name = $1, updated_at = $2 WHERE id = $3 AND project_id = $4`,
		name, micros(db.Now()), id, projectID)
	if err != nil {
		return fmt.Errorf("sqlstore: rename server: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("server %s: %w", id, ErrNotFound)
	}
	return nil
}

// ServerUpdate lists the server fields to change; nil fields stay.
type ServerUpdate struct {
	ModelName        *string
	PhoneModelName   *string
	KeypairName      *string
	AvailabilityZone *string
}

// UpdateServer changes the given fields of a server. A new phone flavor is
// also recorded on the server's phones.
func (tx *Tx) UpdateServer(ctx context.Context, id string, u ServerUpdate) error {
	set := []string{"updated_at = $1"}
	args := []any{micros(tx.now)}
	add := func(col string, v *string) {
		if v != nil {
			args = append(args, *v)
			set = append(set, fmt.Sprintf("%s = $%d", col, len(args)))
		}
	}
	add("model_name", u.ModelName)
	add("phone_model_name", u.PhoneModelName)
	add("keypair_name", u.KeypairName)
	add("availability_zone", u.AvailabilityZone)
	args = append(args, id)
	if _, err := tx.tx.ExecContext(ctx, `UPDATE servers SET `+strings.Join(set, ", ")+fmt.Sprintf(` WHERE id = $%d`, len(args)), args...); err != nil {
		return fmt.Errorf("sqlstore: update server: %w", err)
	}
	if u.PhoneModelName != nil {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE phones SET model_name = $1, updated_at = $2 WHERE server_id = $3`,
			*u.PhoneModelName, micros(tx.now), id); err != nil {
			return fmt.Errorf("sqlstore: update phone flavor: %w", err)
		}
	}
	return nil
}

// PhonesByServer returns the phones of a server inside the transaction, by index.
func (tx *Tx) PhonesByServer(ctx context.Context, serverID string) ([]*cph.Phone, error) {
	return queryPhones(ctx, tx.tx, `SELECT `+phoneCols+` FROM phones WHERE server_id = $1 ORDER BY idx`, serverID)
}

// DeletePhonesOfServer removes every phone of a server.
func (tx *Tx) DeletePhonesOfServer(ctx context.Context, serverID string) error {
	return tx.deletePhonesOfServer(ctx, serverID)
}

// deletePhonesOfServer deletes the phones of a server and takes them off
// the count of its project.
func (tx *Tx) deletePhonesOfServer(ctx context.Context, serverID string) error {
	var projectID string
	err := tx.tx.QueryRowContext(ctx, `SELECT project_id FROM servers WHERE id = $1`, serverID).Scan(&projectID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("sqlstore: delete phones of server %s: %w", serverID, err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM phone_access WHERE server_id = $1`, serverID); err != nil {
		return fmt.Errorf("sqlstore: delete phone addresses of server %s: %w", serverID, err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM phone_screenshots WHERE server_id = $1`, serverID); err != nil {
		return fmt.Errorf("sqlstore: delete phone screenshots of server %s: %w", serverID, err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM phone_custom_properties WHERE server_id = $1`, serverID); err != nil {
		return fmt.Errorf("sqlstore: delete custom properties of server %s: %w", serverID, err)
	}
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM phones WHERE server_id = $1`, serverID)
	if err != nil {
		return fmt.Errorf("sqlstore: delete phones of server %s: %w", serverID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: delete phones of server %s: %w", serverID, err)
	}
	return tx.addPhoneCount(ctx, projectID, -n)
}

// DeleteServer removes a server with its phones, tags, encode services and
// bandwidth attachments. Bandwidths no other server uses are removed too.
// The hash of its agent credential is kept (DeletedAgentCredentialByHash)
// so that its agent can be told the server is gone.
func (tx *Tx) DeleteServer(ctx context.Context, id string) error {
	// The server's row first, as SetServerTags takes it, so that the two
	// cannot wait for each other's tag rows.
	if err := tx.lockOwner(ctx, "servers", id); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM server_tags WHERE server_id = $1`,
		`DELETE FROM encode_servers WHERE server_id = $1`,
		`DELETE FROM server_share_filesystems WHERE server_id = $1`,
		`DELETE FROM server_share_apps WHERE server_id = $1`,
	} {
		if _, err := tx.tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("sqlstore: delete server %s: %w", id, err)
		}
	}
	if err := tx.deletePhonesOfServer(ctx, id); err != nil {
		return err
	}
	bws, err := tx.tx.QueryContext(ctx, `SELECT bandwidth_id FROM server_bandwidths WHERE server_id = $1`, id)
	if err != nil {
		return fmt.Errorf("sqlstore: delete server %s: %w", id, err)
	}
	var ids []string
	for bws.Next() {
		var b string
		if err := bws.Scan(&b); err != nil {
			bws.Close()
			return fmt.Errorf("sqlstore: delete server %s: %w", id, err)
		}
		ids = append(ids, b)
	}
	bws.Close()
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM server_bandwidths WHERE server_id = $1`, id); err != nil {
		return fmt.Errorf("sqlstore: delete server %s: %w", id, err)
	}
	for _, b := range ids {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM bandwidths WHERE id = $1 AND NOT EXISTS
			(SELECT 1 FROM server_bandwidths WHERE bandwidth_id = $1)`, b); err != nil {
			return fmt.Errorf("sqlstore: delete bandwidth %s: %w", b, err)
		}
	}
	if err := tx.rememberDeletedCredential(ctx, id); err != nil {
		return err
	}
	if err := tx.cancelServerEvents(ctx, id); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM servers WHERE id = $1`, id); err != nil {
		return fmt.Errorf("sqlstore: delete server %s: %w", id, err)
	}
	return nil
}

// OpenOperationsOfServer returns the operations queued for, or claimed
// by, the agent of a server.
func (tx *Tx) OpenOperationsOfServer(ctx context.Context, serverID string) ([]*OperationRecord, error) {
	return queryOps(ctx, tx.tx, `SELECT `+opCols+` FROM operations WHERE server_id = $1 AND state <> 'done' ORDER BY created_at, id`, serverID)
}

// CountOpenOperationsOfJob returns how many operations of a job are not done.
func (tx *Tx) CountOpenOperationsOfJob(ctx context.Context, jobID string) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM operations WHERE job_id = $1 AND state <> 'done'`, jobID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count operations of job: %w", err)
	}
	return n, nil
}

// CreateBandwidth inserts a bandwidth of projectID.
func (tx *Tx) CreateBandwidth(ctx context.Context, projectID string, b *cph.Bandwidth) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO bandwidths (id, project_id, name, size, charge_mode, share_type, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, b.ID, projectID, b.Name, b.Size, b.ChargeMode, b.ShareType, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: create bandwidth: %w", err)
	}
	b.CreateTime, b.UpdateTime = cph.NewTime(tx.now), cph.NewTime(tx.now)
	return nil
}

// AttachBandwidth attaches a bandwidth to a server.
func (tx *Tx) AttachBandwidth(ctx context.Context, serverID, bandwidthID string) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO server_bandwidths (server_id, bandwidth_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		serverID, bandwidthID)
	if err != nil {
		return fmt.Errorf("sqlstore: attach bandwidth: %w", err)
	}
	return nil
}

const bandwidthCols = `b.id, b.name, b.size, b.charge_mode, b.share_type, b.created_at, b.updated_at`

func queryBandwidths(ctx context.Context, qr querier, q string, args ...any) ([]cph.Bandwidth, error) {
	rows, err := qr.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: query bandwidths: %w", err)
	}
	defer rows.Close()
	out := []cph.Bandwidth{}
	for rows.Next() {
		var b cph.Bandwidth
		var created, updated int64
		if err := rows.Scan(&b.ID, &b.Name, &b.Size, &b.ChargeMode, &b.ShareType, &created, &updated); err != nil {
			return nil, fmt.Errorf("sqlstore: scan bandwidth: %w", err)
		}
		b.CreateTime, b.UpdateTime = cph.NewTime(fromMicros(created)), cph.NewTime(fromMicros(updated))
		out = append(out, b)
	}
	return out, rows.Err()
}

// BandwidthsOfServer returns the bandwidths attached to a server.
func (db *DB) BandwidthsOfServer(ctx context.Context, serverID string) ([]cph.Bandwidth, error) {
	return queryBandwidths(ctx, db.db, `SELECT `+bandwidthCols+` FROM bandwidths b JOIN server_bandwidths sb ON sb.bandwidth_id = b.id
		WHERE sb.server_id = $1 ORDER BY b.created_at DESC, b.id`, serverID)
}

// ListBandwidths returns one page of the bandwidths of projectID, newest first.
func (db *DB) ListBandwidths(ctx context.Context, projectID string, offset, limit int) ([]cph.Bandwidth, error) {
	return queryBandwidths(ctx, db.db, `SELECT `+bandwidthCols+` FROM bandwidths b WHERE b.project_id = $1
		ORDER BY b.created_at DESC, b.id LIMIT $2 OFFSET $3`, projectID, limit, offset)
}

// BandwidthByID returns a bandwidth of projectID, or ErrNotFound.
func (tx *Tx) BandwidthByID(ctx context.Context, projectID, id string) (*cph.Bandwidth, error) {
	bs, err := queryBandwidths(ctx, tx.tx, `SELECT `+bandwidthCols+` FROM bandwidths b WHERE b.id = $1 AND b.project_id = $2`, id, projectID)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("bandwidth %s: %w", id, ErrNotFound)
	}
	return &bs[0], nil
}

// SetBandwidthSize changes the size of a bandwidth of projectID, or
// returns ErrNotFound.
func (db *DB) SetBandwidthSize(ctx context.Context, projectID, id string, size int32) error {
	res, err := db.db.ExecContext(ctx, `UPDATE bandwidths SET size = $1, updated_at = $2 WHERE id = $3 AND project_id = $4`,
		size, micros(db.Now()), id, projectID)
	if err != nil {
		return fmt.Errorf("sqlstore: update bandwidth: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("bandwidth %s: %w", id, ErrNotFound)
	}
	return nil
}

// CountServerBandwidths returns how many bandwidths are attached to a
// server. It locks the server's row until the transaction ends (see
// lockOwner), so a count followed by an insert holds against concurrent
// writers.
func (tx *Tx) CountServerBandwidths(ctx context.Context, serverID string) (int, error) {
	if err := tx.lockOwner(ctx, "servers", serverID); err != nil {
		return 0, err
	}
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM server_bandwidths WHERE server_id = $1`, serverID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count bandwidths: %w", err)
	}
	return n, nil
}

// CreateEncodeServer inserts an encode service.
func (tx *Tx) CreateEncodeServer(ctx context.Context, e *cph.EncodeServer) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO encode_servers (id, project_id, server_id, name, ip, type, status, keypair_name, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
		e.ID, e.ProjectID, e.ServerID, e.Name, e.IP, e.Type, int32(e.Status), e.KeypairName, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: create encode server: %w", err)
	}
	return nil
}

// CountEncodeServers returns how many encode services a server has. It
// locks the server's row like CountServerBandwidths.
func (tx *Tx) CountEncodeServers(ctx context.Context, serverID string) (int, error) {
	if err := tx.lockOwner(ctx, "servers", serverID); err != nil {
		return 0, err
	}
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM encode_servers WHERE server_id = $1`, serverID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count encode servers: %w", err)
	}
	return n, nil
}

const encodeCols = `id, project_id, server_id, name, ip, type, status, keypair_name`

func queryEncodeServers(ctx context.Context, qr querier, q string, args ...any) ([]*cph.EncodeServer, error) {
	return queryAll(ctx, qr, "query encode servers", "encode server", scanEncodeServer, q, args...)
}

// scanEncodeServer reads one row of encodeCols.
func scanEncodeServer(row interface{ Scan(...any) error }) (*cph.EncodeServer, error) {
	var e cph.EncodeServer
	if err := row.Scan(&e.ID, &e.ProjectID, &e.ServerID, &e.Name, &e.IP, &e.Type, &e.Status, &e.KeypairName); err != nil {
		return nil, err
	}
	return &e, nil
}

// ListEncodeServers returns one page of the encode services matching f, newest first.
func (db *DB) ListEncodeServers(ctx context.Context, f cph.EncodeServerFilter) ([]*cph.EncodeServer, error) {
	w := where{conds: []string{"project_id = $1"}, args: []any{f.ProjectID}}
	if f.Type != nil {
		w.add("type = $%d", *f.Type)
	}
	if f.Status != nil {
		w.add("status = $%d", int32(*f.Status))
	}
	if f.ServerID != nil {
		w.add("server_id = $%d", *f.ServerID)
	}
	n := len(w.args)
	args := append(w.args, f.Limit, f.Offset)
	return queryEncodeServers(ctx, db.db, fmt.Sprintf(`SELECT `+encodeCols+` FROM encode_servers WHERE `+w.sql()+
		` ORDER BY created_at DESC, id LIMIT $%d OFFSET $%d`, n+1, n+2), args...)
}

// EncodeServerByID returns an encode service of projectID, or ErrNotFound.
func (tx *Tx) EncodeServerByID(ctx context.Context, projectID, id string) (*cph.EncodeServer, error) {
	es, err := queryEncodeServers(ctx, tx.tx, `SELECT `+encodeCols+` FROM encode_servers WHERE id = $1 AND project_id = $2`, id, projectID)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("encode server %s: %w", id, ErrNotFound)
	}
	return es[0], nil
}

// SetEncodeServerStatus changes the status of an encode service to `to`
// if it is one of from. It reports whether it changed.
func (tx *Tx) SetEncodeServerStatus(ctx context.Context, id string, from []cph.EncodeServerStatus, to cph.EncodeServerStatus) (bool, error) {
	args := []any{int32(to), micros(tx.now), id}
	for _, s := range from {
		args = append(args, int32(s))
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE encode_servers SET status = $1, updated_at = $2 WHERE id = $3 AND status IN (`+
		placeholders(4, len(from))+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: set encode server status: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// SetServerTags creates or overwrites tags of a server. If max > 0 and the
// server would then carry more than max tags it returns ErrLimit (the
// caller's transaction must then roll back); concurrent calls for one
// server take turns, so the limit holds on both engines.
func (tx *Tx) SetServerTags(ctx context.Context, projectID, serverID string, tags []cph.Tag, max int) error {
	if err := tx.lockOwner(ctx, "servers", serverID); err != nil {
		return err
	}
	for _, t := range tags {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO server_tags (server_id, project_id, tag_key, tag_value, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (server_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value`, serverID, projectID, t.Key, t.Value, micros(tx.now))
		if err != nil {
			return fmt.Errorf("sqlstore: set tag: %w", err)
		}
	}
	if max <= 0 {
		return nil
	}
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM server_tags WHERE server_id = $1`, serverID).Scan(&n); err != nil {
		return fmt.Errorf("sqlstore: count tags: %w", err)
	}
	if n > max {
		return fmt.Errorf("tags of server %s: %w (%d)", serverID, ErrLimit, max)
	}
	return nil
}

// DeleteServerTags removes tags of a server by key. A tag with a value
// is only removed if the server's tag has that value.
func (tx *Tx) DeleteServerTags(ctx context.Context, serverID string, tags []cph.Tag) error {
	for _, t := range tags {
		q := `DELETE FROM server_tags WHERE server_id = $1 AND tag_key = $2`
		args := []any{serverID, t.Key}
		if t.Value != "" {
			q += ` AND tag_value = $3`
			args = append(args, t.Value)
		}
		if _, err := tx.tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("sqlstore: delete tag: %w", err)
		}
	}
	return nil
}

// ServerTags returns the tags of a server, by key.
func (db *DB) ServerTags(ctx context.Context, serverID string) ([]cph.Tag, error) {
	return serverTags(ctx, db.db, serverID)
}

// ServerTags returns the tags of a server inside the transaction, by key.
func (tx *Tx) ServerTags(ctx context.Context, serverID string) ([]cph.Tag, error) {
	return serverTags(ctx, tx.tx, serverID)
}

func serverTags(ctx context.Context, qr querier, serverID string) ([]cph.Tag, error) {
	rows, err := qr.QueryContext(ctx, `SELECT tag_key, tag_value FROM server_tags WHERE server_id = $1 ORDER BY tag_key`, serverID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list tags: %w", err)
	}
	defer rows.Close()
	out := []cph.Tag{}
	for rows.Next() {
		var t cph.Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, fmt.Errorf("sqlstore: scan tag: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ProjectTags returns one page of the tag keys used in projectID, by key,
// each with all its values, and the number of keys.
func (db *DB) ProjectTags(ctx context.Context, projectID string, offset, limit int) ([]cph.Tags, int, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT DISTINCT tag_key, tag_value FROM server_tags WHERE project_id = $1 ORDER BY tag_key, tag_value`, projectID)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list project tags: %w", err)
	}
	defer rows.Close()
	var all []cph.Tags
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, 0, fmt.Errorf("sqlstore: scan tag: %w", err)
		}
		if len(all) == 0 || all[len(all)-1].Key != k {
			all = append(all, cph.Tags{Key: k})
		}
		all[len(all)-1].Values = append(all[len(all)-1].Values, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	total := len(all)
	page := []cph.Tags{}
	if offset < total {
		page = all[offset:min(total, offset+limit)]
	}
	return page, total, nil
}

// ListResourceInstances returns one page of the servers of f.ProjectID
// matching f, by name, with their tags, and the number of matches.
func (db *DB) ListResourceInstances(ctx context.Context, f cph.ResourceFilter) ([]cph.TagResource, int, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT s.id, s.name, t.tag_key, t.tag_value FROM servers s
		LEFT JOIN server_tags t ON t.server_id = s.id WHERE s.project_id = $1 ORDER BY s.name, s.id, t.tag_key`, f.ProjectID)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list resource instances: %w", err)
	}
	defer rows.Close()
	var all []cph.TagResource
	for rows.Next() {
		var id, name string
		var k, v sql.NullString
		if err := rows.Scan(&id, &name, &k, &v); err != nil {
			return nil, 0, fmt.Errorf("sqlstore: scan resource: %w", err)
		}
		if len(all) == 0 || all[len(all)-1].ResourceID != id {
			all = append(all, cph.TagResource{ResourceID: id, ResourceName: name, Tags: []cph.Tag{}})
		}
		if k.Valid {
			r := &all[len(all)-1]
			r.Tags = append(r.Tags, cph.Tag{Key: k.String, Value: v.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var match []cph.TagResource
	for _, r := range all {
		if resourceMatches(r, f) {
			match = append(match, r)
		}
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].ResourceName < match[j].ResourceName })
	total := len(match)
	page := []cph.TagResource{}
	if f.Offset < total {
		page = match[f.Offset:min(total, f.Offset+f.Limit)]
	}
	return page, total, nil
}

func resourceMatches(r cph.TagResource, f cph.ResourceFilter) bool {
	if f.ResourceName != nil && r.ResourceName != *f.ResourceName {
		return false
	}
	if f.WithoutTags {
		return len(r.Tags) == 0
	}
	for _, want := range f.Tags {
		found := false
		for _, t := range r.Tags {
			if t.Key != want.Key {
				continue
			}
			if len(want.Values) == 0 {
				found = true
			}
			for _, v := range want.Values {
				if v == t.Value {
					found = true
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// PhoneNameTaken reports whether projectID has a phone with that name. On
// PostgreSQL it first locks the project's row of phone_counts until the
// transaction ends (an update that adds 0), so that phones created after
// the check cannot clash with those of a concurrent creation (see
// lockOwner). Every transaction that adds or removes phones of the project
// updates that row anyway, so this adds no second lock order. SQLite's
// write transactions run one at a time already.
func (tx *Tx) PhoneNameTaken(ctx context.Context, projectID, name string) (bool, error) {
	if tx.engine == Postgres {
		if err := tx.addPhoneCount(ctx, projectID, 0); err != nil {
			return false, err
		}
	}
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM phones WHERE project_id = $1 AND name = $2`, projectID, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlstore: look up phone name: %w", err)
	}
	return n > 0, nil
}
