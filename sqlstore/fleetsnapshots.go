package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Fleet snapshots save the fleet state under a name and bring it back
// later, on a running installation (cphd admin snapshot). The fleet state
// is the tables of snapshotTables: servers, phones, jobs and operations,
// images, buckets and the rest that describes the fleet. Identity (accounts,
// users, projects, tokens, access keys, enrollment tokens), the audit
// trail, rate limits and the schema are not in a snapshot: restoring one
// logs nobody out and revives no revoked credential.
//
// A snapshot is a copy of each table, snap<id>_<table>, made in one
// transaction; a restore empties the tables and copies the rows back in
// one transaction. On PostgreSQL both first lock every fleet table (SHARE
// for a save, so that writers wait and every copy reads one state;
// ACCESS EXCLUSIVE for a restore, so that no replica reads or writes the
// fleet until it commits); on SQLite the transaction holds the writer lock.
// So no engine transaction is half in a snapshot or half over a restore.
//
// A restore keeps what connects the running agents: the agent credential,
// session and last heartbeat of each server that exists both now and in
// the snapshot. Every operation the snapshot has open goes back to the
// queue (pending, claimed by no session), so the agents run it again
// (operations are idempotent) and its phone leaves its transient status.

// snapshotTables are the fleet tables, parents before the tables that
// refer to them. A migration that adds a table of fleet state adds it here.
var snapshotTables = []string{
	"images", "image_members", "servers", "phones", "jobs", "operations",
	"buckets", "bandwidths", "server_bandwidths", "encode_servers", "server_tags",
	"phone_counts", "phone_access", "phone_screenshots", "sim_settings", "faults",
	"server_share_filesystems", "server_share_apps",
	"phone_custom_properties",
	"scheduled_events",
}

// MaxSnapshotName is the longest snapshot name.
const MaxSnapshotName = 64

var snapshotNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidSnapshotName reports whether name may name a snapshot: 1 to 64
// letters, digits, '.', '_' or '-', starting with a letter or a digit.
func ValidSnapshotName(name string) bool { return snapshotNameRE.MatchString(name) }

// ErrSnapshotSchema refuses to restore a snapshot taken at another schema
// version.
var ErrSnapshotSchema = errors.New("sqlstore: the snapshot was taken at another schema version")

// FleetSnapshot describes a saved snapshot.
type FleetSnapshot struct {
	Name          string
	CreatedAt     time.Time
	SchemaVersion int
	// Rows counts the rows saved, by table (SaveSnapshot and
	// RestoreSnapshot only).
	Rows map[string]int
}

func snapTable(id int64, table string) string {
	return "snap" + strconv.FormatInt(id, 10) + "_" + table
}

// lockFleet locks every fleet table on PostgreSQL in mode.
func (tx *Tx) lockFleet(ctx context.Context, mode string) error {
	if tx.engine != Postgres {
		return nil
	}
	if _, err := tx.tx.ExecContext(ctx, `LOCK TABLE `+strings.Join(snapshotTables, ", ")+` IN `+mode+` MODE`); err != nil {
		return fmt.Errorf("sqlstore: lock the fleet tables: %w", err)
	}
	return nil
}

// SaveSnapshot saves the fleet state as snapshot name, replacing a
// snapshot of that name if replace is set (ErrDuplicate otherwise).
func (db *DB) SaveSnapshot(ctx context.Context, name string, replace bool) (*FleetSnapshot, error) {
	if !ValidSnapshotName(name) {
		return nil, fmt.Errorf("sqlstore: invalid snapshot name %q", name)
	}
	version, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	snap := &FleetSnapshot{Name: name, SchemaVersion: version, Rows: map[string]int{}}
	err = db.Tx(ctx, func(tx *Tx) error {
		clear(snap.Rows)
		if err := tx.lockFleet(ctx, "SHARE"); err != nil {
			return err
		}
		if old, err := tx.snapshotID(ctx, name); err == nil {
			if !replace {
				return fmt.Errorf("%w: snapshot %s exists", ErrDuplicate, name)
			}
			if err := tx.dropSnapshot(ctx, old); err != nil {
				return err
			}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		var id int64
		if err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM snapshots`).Scan(&id); err != nil {
			return fmt.Errorf("sqlstore: save snapshot: %w", err)
		}
		snap.CreatedAt = tx.now
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO snapshots (id, name, created_at, schema_version) VALUES ($1, $2, $3, $4)`,
			id, name, micros(tx.now), version); err != nil {
			return fmt.Errorf("sqlstore: save snapshot: %w", err)
		}
		for _, t := range snapshotTables {
			if _, err := tx.tx.ExecContext(ctx, `CREATE TABLE `+snapTable(id, t)+` AS SELECT * FROM `+t); err != nil {
				return fmt.Errorf("sqlstore: save snapshot: copy %s: %w", t, err)
			}
			var n int
			if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+snapTable(id, t)).Scan(&n); err != nil {
				return fmt.Errorf("sqlstore: save snapshot: count %s: %w", t, err)
			}
			snap.Rows[t] = n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// snapshotID returns the id of snapshot name, or ErrNotFound.
func (tx *Tx) snapshotID(ctx context.Context, name string) (int64, error) {
	var id int64
	err := tx.tx.QueryRowContext(ctx, `SELECT id FROM snapshots WHERE name = $1`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: snapshot %s", ErrNotFound, name)
	} else if err != nil {
		return 0, fmt.Errorf("sqlstore: snapshot %s: %w", name, err)
	}
	return id, nil
}

// dropSnapshot removes snapshot id and its tables.
func (tx *Tx) dropSnapshot(ctx context.Context, id int64) error {
	for _, t := range snapshotTables {
		if _, err := tx.tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+snapTable(id, t)); err != nil {
			return fmt.Errorf("sqlstore: drop snapshot table: %w", err)
		}
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM snapshots WHERE id = $1`, id); err != nil {
		return fmt.Errorf("sqlstore: drop snapshot: %w", err)
	}
	return nil
}

// DeleteSnapshot removes snapshot name (ErrNotFound if there is none).
func (db *DB) DeleteSnapshot(ctx context.Context, name string) error {
	return db.Tx(ctx, func(tx *Tx) error {
		id, err := tx.snapshotID(ctx, name)
		if err != nil {
			return err
		}
		return tx.dropSnapshot(ctx, id)
	})
}

// ListSnapshots returns the saved snapshots, by name.
func (db *DB) ListSnapshots(ctx context.Context) ([]FleetSnapshot, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT name, created_at, schema_version FROM snapshots ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list snapshots: %w", err)
	}
	defer rows.Close()
	var out []FleetSnapshot
	for rows.Next() {
		var s FleetSnapshot
		var created int64
		if err := rows.Scan(&s.Name, &created, &s.SchemaVersion); err != nil {
			return nil, fmt.Errorf("sqlstore: list snapshots: %w", err)
		}
		s.CreatedAt = fromMicros(created)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list snapshots: %w", err)
	}
	return out, nil
}

// agentLink is what a restore keeps of a server's connection to its agent.
type agentLink struct {
	tokenHash sql.NullString
	session   string
	lastSeen  int64
}

// RestoreSnapshot replaces the fleet state by snapshot name's (ErrNotFound
// if there is none, ErrSnapshotSchema if it was taken at another schema
// version). Rows counts the rows restored, by table.
func (db *DB) RestoreSnapshot(ctx context.Context, name string) (*FleetSnapshot, error) {
	version, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	snap := &FleetSnapshot{Name: name, Rows: map[string]int{}}
	err = db.Tx(ctx, func(tx *Tx) error {
		clear(snap.Rows)
		if err := tx.lockFleet(ctx, "ACCESS EXCLUSIVE"); err != nil {
			return err
		}
		var id, created int64
		err := tx.tx.QueryRowContext(ctx, `SELECT id, created_at, schema_version FROM snapshots WHERE name = $1`, name).
			Scan(&id, &created, &snap.SchemaVersion)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: snapshot %s", ErrNotFound, name)
		} else if err != nil {
			return fmt.Errorf("sqlstore: restore snapshot: %w", err)
		}
		snap.CreatedAt = fromMicros(created)
		if snap.SchemaVersion != version {
			return fmt.Errorf("%w (%d, the database is at %d)", ErrSnapshotSchema, snap.SchemaVersion, version)
		}
		links, err := tx.agentLinks(ctx)
		if err != nil {
			return err
		}
		for i := len(snapshotTables) - 1; i >= 0; i-- {
			if _, err := tx.tx.ExecContext(ctx, `DELETE FROM `+snapshotTables[i]); err != nil {
				return fmt.Errorf("sqlstore: restore snapshot: empty %s: %w", snapshotTables[i], err)
			}
		}
		// The current agents' credentials are unique: the snapshot's
		// servers take theirs only after every row is back.
		for _, t := range snapshotTables {
			res, err := tx.tx.ExecContext(ctx, `INSERT INTO `+t+` SELECT * FROM `+snapTable(id, t))
			if err != nil {
				return fmt.Errorf("sqlstore: restore snapshot: copy %s: %w", t, err)
			}
			n, _ := res.RowsAffected()
			snap.Rows[t] = int(n)
		}
		for sid, l := range links {
			if _, err := tx.tx.ExecContext(ctx, `UPDATE servers SET agent_token_hash = NULL WHERE agent_token_hash = $1 AND id <> $2`,
				l.tokenHash, sid); err != nil {
				return fmt.Errorf("sqlstore: restore snapshot: agent credentials: %w", err)
			}
			if _, err := tx.tx.ExecContext(ctx, `UPDATE servers SET agent_token_hash = $1, agent_session = $2, last_seen = $3 WHERE id = $4`,
				l.tokenHash, l.session, l.lastSeen, sid); err != nil {
				return fmt.Errorf("sqlstore: restore snapshot: agent credentials: %w", err)
			}
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE operations SET state = 'pending', session_id = '', lease_until = 0 WHERE state <> 'done'`); err != nil {
			return fmt.Errorf("sqlstore: restore snapshot: requeue operations: %w", err)
		}
		// Wake the agents of the servers with work (PostgreSQL; on
		// SQLite a poll finds it at its next look at the queue).
		rows, err := tx.tx.QueryContext(ctx, `SELECT DISTINCT server_id FROM operations WHERE state <> 'done'`)
		if err != nil {
			return fmt.Errorf("sqlstore: restore snapshot: %w", err)
		}
		var servers []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return fmt.Errorf("sqlstore: restore snapshot: %w", err)
			}
			servers = append(servers, s)
		}
		rows.Close()
		for _, s := range servers {
			if err := tx.NotifyServer(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// agentLinks reads each server's agent credential, session and heartbeat.
func (tx *Tx) agentLinks(ctx context.Context) (map[string]agentLink, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, agent_token_hash, agent_session, last_seen FROM servers`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: restore snapshot: agents: %w", err)
	}
	defer rows.Close()
	out := map[string]agentLink{}
	for rows.Next() {
		var id string
		var l agentLink
		if err := rows.Scan(&id, &l.tokenHash, &l.session, &l.lastSeen); err != nil {
			return nil, fmt.Errorf("sqlstore: restore snapshot: agents: %w", err)
		}
		out[id] = l
	}
	return out, rows.Err()
}
