package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/opencph/opencph"
)

// Mount states of server_share_filesystems.
const (
	MountMounting   = "mounting"
	MountMounted    = "mounted"
	MountUnmounting = "unmounting"
)

// ShareMount is a row of server_share_filesystems.
type ShareMount struct {
	ServerID   string
	ProjectID  string
	ID         string
	Type       string
	Path       string
	MountPoint string
	State      string
}

// ClaimShareMount records that a shared file system is being mounted on
// a server, unless the server has a row for it already: it returns the
// existing row (nil when the new one was inserted). The row's key makes
// concurrent claims of one file system on one server take turns.
func (tx *Tx) ClaimShareMount(ctx context.Context, m ShareMount) (*ShareMount, error) {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO server_share_filesystems (server_id, fs_id, project_id, fs_type, path, mount_point, state, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (server_id, fs_id) DO NOTHING`,
		m.ServerID, m.ID, m.ProjectID, m.Type, m.Path, m.MountPoint, MountMounting, micros(tx.now))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: claim share mount: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("sqlstore: claim share mount: %w", err)
	} else if n == 1 {
		return nil, nil
	}
	return tx.ShareMount(ctx, m.ServerID, m.ID)
}

// ShareMount returns the row of a shared file system on a server, or nil.
func (tx *Tx) ShareMount(ctx context.Context, serverID, fsID string) (*ShareMount, error) {
	m := ShareMount{ServerID: serverID, ID: fsID}
	err := tx.tx.QueryRowContext(ctx, `SELECT project_id, fs_type, path, mount_point, state FROM server_share_filesystems
		WHERE server_id = $1 AND fs_id = $2`, serverID, fsID).Scan(&m.ProjectID, &m.Type, &m.Path, &m.MountPoint, &m.State)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read share mount: %w", err)
	}
	return &m, nil
}

// SetShareMountState moves a server's row of a file system from one of
// from to state; it reports whether it did.
func (tx *Tx) SetShareMountState(ctx context.Context, serverID, fsID string, from []string, state string) (bool, error) {
	args := []any{state, micros(tx.now), serverID, fsID}
	q := `UPDATE server_share_filesystems SET state = $1, updated_at = $2 WHERE server_id = $3 AND fs_id = $4`
	if len(from) > 0 {
		q += ` AND state IN (` + placeholders(5, len(from)) + `)`
		args = append(args, anys(from)...)
	}
	res, err := tx.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: set share mount state: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: set share mount state: %w", err)
	}
	return n == 1, nil
}

// DeleteShareMount removes a server's row of a file system if it is in
// one of states.
func (tx *Tx) DeleteShareMount(ctx context.Context, serverID, fsID string, states []string) error {
	_, err := tx.tx.ExecContext(ctx, `DELETE FROM server_share_filesystems WHERE server_id = $1 AND fs_id = $2 AND state IN (`+
		placeholders(3, len(states))+`)`, append([]any{serverID, fsID}, anys(states)...)...)
	if err != nil {
		return fmt.Errorf("sqlstore: delete share mount: %w", err)
	}
	return nil
}

// ShareMounts returns the shared file systems of a server of a project,
// by ID.
func (db *DB) ShareMounts(ctx context.Context, projectID, serverID string) ([]cph.ShareFilesystemMount, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT fs_id, fs_type, path, mount_point, state, updated_at FROM server_share_filesystems
		WHERE server_id = $1 AND project_id = $2 ORDER BY fs_id`, serverID, projectID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list share mounts: %w", err)
	}
	defer rows.Close()
	out := []cph.ShareFilesystemMount{}
	for rows.Next() {
		var m cph.ShareFilesystemMount
		var at int64
		if err := rows.Scan(&m.ID, &m.Type, &m.Path, &m.MountPoint, &m.State, &at); err != nil {
			return nil, fmt.Errorf("sqlstore: scan share mount: %w", err)
		}
		m.MountTime = cph.NewTime(fromMicros(at))
		out = append(out, m)
	}
	return out, rows.Err()
}

// ServerShareMounts returns the mounted (or mounting) shared file systems
// of a server, by ID, as its runtime should have them.
func (tx *Tx) ServerShareMounts(ctx context.Context, serverID string) ([]ShareMount, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT fs_id, project_id, fs_type, path, mount_point, state FROM server_share_filesystems
		WHERE server_id = $1 ORDER BY fs_id`, serverID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list share mounts: %w", err)
	}
	defer rows.Close()
	var out []ShareMount
	for rows.Next() {
		m := ShareMount{ServerID: serverID}
		if err := rows.Scan(&m.ID, &m.ProjectID, &m.Type, &m.Path, &m.MountPoint, &m.State); err != nil {
			return nil, fmt.Errorf("sqlstore: scan share mount: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// PutShareApp records a package of a server's shared app area and the
// version of its base APK ("" if unknown).
func (tx *Tx) PutShareApp(ctx context.Context, serverID, pkg, version string) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO server_share_apps (server_id, package_name, version, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (server_id, package_name) DO UPDATE SET version = $3, updated_at = $4`, serverID, pkg, version, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: record shared app: %w", err)
	}
	return nil
}

// DeleteShareApp forgets a package of a server's shared app area.
func (tx *Tx) DeleteShareApp(ctx context.Context, serverID, pkg string) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM server_share_apps WHERE server_id = $1 AND package_name = $2`, serverID, pkg); err != nil {
		return fmt.Errorf("sqlstore: forget shared app: %w", err)
	}
	return nil
}

// ShareApp is a package of a server's shared app area.
type ShareApp struct {
	PackageName string
	Version     string
}

// ShareApps returns the packages of a server's shared app area, by name.
func (db *DB) ShareApps(ctx context.Context, serverID string) ([]ShareApp, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT package_name, version FROM server_share_apps WHERE server_id = $1 ORDER BY package_name`, serverID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list shared apps: %w", err)
	}
	defer rows.Close()
	var out []ShareApp
	for rows.Next() {
		var a ShareApp
		if err := rows.Scan(&a.PackageName, &a.Version); err != nil {
			return nil, fmt.Errorf("sqlstore: scan shared app: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// LockZoneCapacity takes the lock of an availability zone and server
// flavor until the transaction ends, so that transactions that count the
// pair's servers and then create some take turns (on SQLite every write
// transaction already excludes the others).
func (tx *Tx) LockZoneCapacity(ctx context.Context, zone, model string) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO zone_capacity_locks (zone, server_model, takes) VALUES ($1, $2, 1)
		ON CONFLICT (zone, server_model) DO UPDATE SET takes = zone_capacity_locks.takes + 1`, zone, model)
	if err != nil {
		return fmt.Errorf("sqlstore: lock zone capacity: %w", err)
	}
	return nil
}

// CountZoneServers counts the servers of a flavor in an availability
// zone, over every project.
func (tx *Tx) CountZoneServers(ctx context.Context, zone, model string) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM servers WHERE availability_zone = $1 AND model_name = $2`, zone, model).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count zone servers: %w", err)
	}
	return n, nil
}

// ZoneServerCounts counts the servers of each availability zone and
// flavor, over every project: key zone + "|" + flavor.
func (db *DB) ZoneServerCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT availability_zone, model_name, COUNT(*) FROM servers GROUP BY availability_zone, model_name`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: count zone servers: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var zone, model string
		var n int
		if err := rows.Scan(&zone, &model, &n); err != nil {
			return nil, fmt.Errorf("sqlstore: scan zone servers: %w", err)
		}
		out[zone+"|"+model] = n
	}
	return out, rows.Err()
}
