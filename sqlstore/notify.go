package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// notifyChannel is the PostgreSQL channel that carries wake-ups: the id
// of a server that has new operations queued.
const notifyChannel = "cph_ops"

// notifyBatch is the most server ids of one wake-up notification
// (PostgreSQL's payload limit is 8,000 bytes; an id has 32).
const notifyBatch = 200

// NotifyServers is NotifyServer for several servers, in as few
// notifications as the payload limit allows (ids separated by commas): a
// batch spread over a hundred servers sends one, not a hundred.
func (tx *Tx) NotifyServers(ctx context.Context, serverIDs []string) error {
	if tx.engine != Postgres {
		return nil
	}
	for len(serverIDs) > 0 {
		n := min(len(serverIDs), notifyBatch)
		if _, err := tx.tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, strings.Join(serverIDs[:n], ",")); err != nil {
			return fmt.Errorf("sqlstore: notify: %w", err)
		}
		serverIDs = serverIDs[n:]
	}
	return nil
}

// NotifyServer tells every cphd replica listening on the database that
// serverID has new work. On PostgreSQL the notification is sent when the
// transaction commits (and not at all if it rolls back); on SQLite, where
// one process owns the database, it does nothing.
func (tx *Tx) NotifyServer(ctx context.Context, serverID string) error {
	if tx.engine != Postgres {
		return nil
	}
	if _, err := tx.tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, serverID); err != nil {
		return fmt.Errorf("sqlstore: notify: %w", err)
	}
	return nil
}

// Listen calls wake with the server id of every notification sent by
// NotifyServer, from any replica, until ctx ends, and follows the change
// notifications of every replica (see changes.go). It reconnects after
// errors. On SQLite it returns at once.
func (db *DB) Listen(ctx context.Context, log *slog.Logger, wake func(serverID string)) {
	if db.engine != Postgres {
		return
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		log.Warn("database notifications interrupted; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (db *DB) listenOnce(ctx context.Context, wake func(string)) error {
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// Changes made while nobody listened are unknown: start from new
	// versions, and stop following them when listening stops.
	ch := db.db.changes
	ch.bump(groupPhones | groupAuth | groupJobs | groupFaults)
	ch.live.Store(true)
	defer ch.live.Store(false)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == changeChannel {
			ch.notified(n.Payload)
			continue
		}
		for id := range strings.SplitSeq(n.Payload, ",") {
			wake(id)
		}
	}
}
