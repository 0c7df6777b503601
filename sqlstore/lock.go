package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
)

// Advisory lock keys of the control plane's cluster-wide locks.
const (
	// LockBootstrap serialises the first-start work of replicas that start
	// together (bootstrap account, built-in fleet).
	LockBootstrap int64 = 0x6f70656e63706801
	// LockFleet is held by the one replica that runs the in-process agents
	// of the fleet servers of the simulated runtime ("sim"); see
	// FleetLock for the other runtimes.
	LockFleet int64 = 0x6f70656e63706802
)

// FleetLock is the lock key held by the one replica that runs the
// in-process agents of the fleet servers of a runtime ("sim", "docker"):
// one lease per runtime, so that a replica of each runtime can run its
// part of the fleet at the same time.
func FleetLock(runtime string) int64 {
	if runtime == "sim" {
		return LockFleet
	}
	h := fnv.New32a()
	h.Write([]byte("fleet:" + runtime))
	return 0x6f70656e<<32 | int64(h.Sum32())
}

// WithLock runs fn while holding the cluster-wide lock key. On SQLite,
// where one process owns the database, it just runs fn.
func (db *DB) WithLock(ctx context.Context, key int64, fn func() error) error {
	if db.engine != Postgres {
		return fn()
	}
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: lock connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("sqlstore: take lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	return fn()
}

// Lease is a cluster-wide lock held until Release or until the holder's
// database session ends (a crashed holder loses it at once).
type Lease struct {
	conn *sql.Conn // nil on SQLite
	key  int64
}

// TryLease takes the lock key if no other session holds it. On SQLite it
// always succeeds.
func (db *DB) TryLease(ctx context.Context, key int64) (*Lease, bool, error) {
	if db.engine != Postgres {
		return &Lease{key: key}, true, nil
	}
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("sqlstore: lease connection: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("sqlstore: try lease: %w", err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	return &Lease{conn: conn, key: key}, true, nil
}

// Alive reports whether the lease is still held (its session is up).
func (l *Lease) Alive(ctx context.Context) bool {
	if l.conn == nil {
		return true
	}
	return l.conn.PingContext(ctx) == nil
}

// Release gives the lease up.
func (l *Lease) Release(ctx context.Context) {
	if l.conn == nil {
		return
	}
	l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
	l.conn.Close()
}
