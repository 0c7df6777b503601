package sqlstore

import (
	"sync"
	"time"

	"github.com/opencph/opencph"
)

// The status log lets a cached phone list follow status changes without
// reading the database again. While phones restart, nearly every change
// of the phone data is a status change (a phone goes to restarting and
// back); each one used to make every cached page stale, and under that
// load every list request went back to the database. A transaction whose
// only phone changes are status changes (SetPhoneStatus, SetPhonesStatus)
// records them; when it commits, the phones version moves as before and
// the log keeps the version's changes, so that a page cached at an older
// version can be brought to the current one by applying them. Any other
// write of phones records a barrier: a page older than a barrier must be
// read again.
//
// The versions move in commit order (commitorder.go), so the changes of
// one phone are applied in the order they were made. On PostgreSQL only
// this replica's changes are known: a change notification of another
// replica is a barrier.

// PhoneStatusChange is a phone's new status and update time.
type PhoneStatusChange struct {
	ID        string
	Status    cph.PhoneStatus
	UpdatedAt time.Time
}

// Bounds of the status log: the versions it covers and the changes it
// holds; a page older than what it covers is read again.
const (
	statusLogVersions = 1024
	statusLogChanges  = 200_000
)

type statusEntry struct {
	version uint64
	changes []PhoneStatusChange // nil: a barrier
}

// statusLog holds the status changes of the latest phone versions.
type statusLog struct {
	mu      sync.Mutex
	entries []statusEntry // ascending versions
	changes int
}

// record appends the changes of version v (a barrier when changes is
// nil) and drops entries beyond the bounds.
func (l *statusLog) record(v uint64, changes []PhoneStatusChange) {
	l.entries = append(l.entries, statusEntry{version: v, changes: changes})
	l.changes += len(changes)
	drop := 0
	for len(l.entries)-drop > statusLogVersions || (l.changes > statusLogChanges && drop < len(l.entries)-1) {
		l.changes -= len(l.entries[drop].changes)
		drop++
	}
	if drop > 0 {
		l.entries = append(l.entries[:0], l.entries[drop:]...)
	}
}

// since returns the changes of the versions after from up to to, in
// order; ok is false when the log does not cover them all or holds a
// barrier among them.
func (l *statusLog) since(from, to uint64) (out []PhoneStatusChange, ok bool) {
	if to <= from {
		return nil, to == from
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) == 0 || l.entries[0].version > from+1 || l.entries[len(l.entries)-1].version < to {
		return nil, false
	}
	// Versions are consecutive in the log: entry i holds version first+i.
	first := l.entries[0].version
	for v := from + 1; v <= to; v++ {
		e := l.entries[v-first]
		if e.version != v || e.changes == nil {
			return nil, false
		}
		out = append(out, e.changes...)
	}
	return out, true
}

// PhoneStatusChangesSince returns the phone status changes that moved the
// phones version from from to to, in the order they were made. ok is
// false when they are not known (another kind of phone change among them,
// a change of another replica, versions too old): then what was read at
// from must be read again.
func (db *DB) PhoneStatusChangesSince(from, to uint64) ([]PhoneStatusChange, bool) {
	return db.db.changes.log.since(from, to)
}
