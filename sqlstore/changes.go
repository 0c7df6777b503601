package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Change tracking lets callers cache what they read: every committed write
// moves the version of the data it touched, and a cache entry read at
// another version is stale.
//
// Writes are recognised by their statement (INSERT INTO t, UPDATE t,
// DELETE FROM t) as they run, and the versions move once the transaction
// commits. On PostgreSQL the committing replica also sends a notification
// in the transaction, and every replica moves its versions when it
// arrives; while a replica is not listening, its versions report
// "unknown" and nothing may be cached.

// changeGroup is a set of tables whose changes are tracked together.
type changeGroup uint8

const (
	groupPhones changeGroup = 1 << iota // phones and their counts
	groupAuth                           // tokens, users, accounts, projects
	groupJobs                           // jobs
	groupFaults                         // fault-injection rules
	// groupPhoneStatus: phone status changes only, recorded in the status
	// log (statuslog.go); it moves the phones version like groupPhones.
	groupPhoneStatus
)

var tableGroups = map[string]changeGroup{
	"phones": groupPhones, "phone_counts": groupPhones,
	"jobs": groupJobs, "faults": groupFaults,
	"tokens": groupAuth, "users": groupAuth, "domains": groupAuth, "projects": groupAuth,
}

// changeChannel is the PostgreSQL channel that carries change
// notifications; the payload is "<mask>:<origin>": the changeGroup mask
// in decimal and the id of the sending store, which ignores its own.
const changeChannel = "cph_changes"

// changes holds the versions of the tracked groups.
type changes struct {
	origin                     string // this store's id in change notifications
	phones, auth, jobs, faults atomic.Uint64
	// live reports whether the versions follow every change: always on
	// SQLite (one process owns the database), while listening on
	// PostgreSQL.
	live atomic.Bool

	// mu guards next, the channel closed at the next change of phones or
	// jobs (Changed).
	mu   sync.Mutex
	next chan struct{}

	// committing counts this store's writes of phones or jobs between the
	// moment they may become visible (their COMMIT) and the move of the
	// versions (Settled).
	committing atomic.Int64

	// log holds the phone status changes of the latest phone versions.
	log statusLog
	// order moves the versions of PostgreSQL transactions that wrote
	// phones in their commit order.
	order commitOrder
}

// bump moves the versions of the groups in g.
func (c *changes) bump(g changeGroup) { c.bumpWith(g, nil) }

// bumpWith moves the versions of the groups in g; status holds the phone
// status changes of a transaction whose only phone writes were those
// (g has groupPhoneStatus and not groupPhones).
func (c *changes) bumpWith(g changeGroup, status []PhoneStatusChange) {
	if g&(groupPhones|groupPhoneStatus) != 0 {
		c.log.mu.Lock()
		v := c.phones.Add(1)
		if g&groupPhones != 0 {
			c.log.record(v, nil)
		} else {
			if status == nil {
				status = []PhoneStatusChange{} // none left (undone savepoints): not a barrier
			}
			c.log.record(v, status)
		}
		c.log.mu.Unlock()
	}
	if g&groupAuth != 0 {
		c.auth.Add(1)
	}
	if g&groupJobs != 0 {
		c.jobs.Add(1)
	}
	if g&groupFaults != 0 {
		c.faults.Add(1)
	}
	if g&(groupPhones|groupPhoneStatus|groupJobs) != 0 {
		c.mu.Lock()
		if c.next != nil {
			close(c.next)
			c.next = nil
		}
		c.mu.Unlock()
	}
}

// changed returns a channel that is closed at the next change of phones
// or jobs.
func (c *changes) changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == nil {
		c.next = make(chan struct{})
	}
	return c.next
}

// writtenGroup returns the group of the table a write statement changes,
// or 0.
func writtenGroup(query string) changeGroup {
	f := strings.Fields(strings.TrimLeft(query, " \t\r\n("))
	if len(f) < 2 {
		return 0
	}
	var table string
	switch strings.ToUpper(f[0]) {
	case "UPDATE":
		table = f[1]
	case "INSERT", "DELETE":
		if len(f) < 3 {
			return 0
		}
		table = f[2] // INSERT INTO t, DELETE FROM t
	default:
		return 0
	}
	if i := strings.IndexByte(table, '('); i >= 0 {
		table = table[:i]
	}
	return tableGroups[strings.ToLower(table)]
}

// PhonesVersion returns the version of the phone data (what phone lists
// show). ok is false when changes cannot be followed right now; then
// nothing read from phones may be cached.
func (db *DB) PhonesVersion() (version uint64, ok bool) {
	return db.db.changes.phones.Load(), db.db.changes.live.Load()
}

// Settled reports whether no write of phones or jobs made through this
// store is between its commit and the move of the versions. A request may
// see a commit's effects before its versions moved (a client polls a job
// until it is final, then lists the job's phones): a reader that finds
// the store settled, and only then reads PhonesVersion or JobsVersion,
// gets versions that include every commit it could have seen; one that
// does not should read the database rather than a cache.
func (db *DB) Settled() bool { return db.db.changes.committing.Load() == 0 }

// settling counts a write of groups g as committing until the returned
// func is called, after its versions moved.
func (c *changes) settling(g changeGroup) func() {
	if g&(groupPhones|groupPhoneStatus|groupJobs) == 0 {
		return func() {}
	}
	c.committing.Add(1)
	return func() { c.committing.Add(-1) }
}

// AuthVersion returns the version of the identity data (tokens, users,
// accounts, projects), like PhonesVersion.
func (db *DB) AuthVersion() (version uint64, ok bool) {
	return db.db.changes.auth.Load(), db.db.changes.live.Load()
}

// JobsVersion returns the version of the jobs, like PhonesVersion.
func (db *DB) JobsVersion() (version uint64, ok bool) {
	return db.db.changes.jobs.Load(), db.db.changes.live.Load()
}

// FaultsVersion returns the version of the fault-injection rules, like
// PhonesVersion.
func (db *DB) FaultsVersion() (version uint64, ok bool) {
	return db.db.changes.faults.Load(), db.db.changes.live.Load()
}

// Changed returns a channel that is closed when phones or jobs next change
// (a write committed here or, on PostgreSQL, a change notification of
// another replica). Followers of live views wait on it instead of polling
// the database; while PhonesVersion reports that changes are not followed,
// they must poll.
func (db *DB) Changed() <-chan struct{} {
	return db.db.changes.changed()
}

// notifyChanges sends, on PostgreSQL, the change notification of the
// groups g through q (in a transaction: when it commits).
func (db *DB) notifyChanges(ctx context.Context, q querier, g changeGroup) error {
	if db.engine != Postgres || g == 0 {
		return nil
	}
	if g&groupPhoneStatus != 0 {
		g |= groupPhones // also for replicas that know no status changes
	}
	payload := strconv.Itoa(int(g)) + ":" + db.db.changes.origin
	if _, err := q.ExecContext(ctx, `SELECT pg_notify($1, $2)`, changeChannel, payload); err != nil {
		return fmt.Errorf("sqlstore: notify changes: %w", err)
	}
	return nil
}

// changed handles a change notification from the database.
// Its own changes were counted when they committed.
func (c *changes) notified(payload string) {
	mask, origin, _ := strings.Cut(payload, ":")
	if origin == c.origin {
		return
	}
	n, err := strconv.Atoi(mask)
	if err != nil {
		n = int(groupPhones | groupAuth | groupJobs | groupFaults)
	}
	g := changeGroup(n)
	if g&groupPhoneStatus != 0 {
		g |= groupPhones // another replica's status changes are not known here
	}
	c.bump(g)
}
