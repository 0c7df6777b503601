package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"
)

// The WAL index lets FollowUserChanges skip its read when nothing was
// committed since the last one. SQLite keeps, in the database's -shm file
// (the WAL index, which every process that has the database open maps),
// a header that every commit rewrites: the last valid frame of the WAL,
// the salts of the WAL after it restarts, and their checksum. The file's
// format is SQLite's documented WAL-index format, which processes of
// different SQLite versions share. While the first copy of that header
// reads as it did before the last read of the user changes, no process
// (this one or a "cphd admin" command) has committed since, so no user
// has changed either.
//
// SQLite deletes the -shm file when the last connection to the database
// closes, and the next one would create another: the store keeps one
// connection of its own open for as long as it watches the header, so
// the file it mapped stays the database's. It keeps the descriptor it
// mapped the file with open as long too: closing it would drop SQLite's
// POSIX locks on the file, by which other processes know it is in use.

// walHeaderWords is the size of the first copy of the WAL-index header
// in 64-bit words: 48 bytes.
const walHeaderWords = 6

// walHeader is a copy of the first WAL-index header.
type walHeader [walHeaderWords]uint64

// walIndex watches the WAL-index header of a SQLite database.
type walIndex struct {
	pinDB *sql.DB
	pin   *sql.Conn // keeps the database, so its -shm file, open
	mem   []byte    // the start of the -shm file, mapped read-only
	file  *os.File  // the -shm file; closed last (see mapFile)
	// seen is the header read before the last read of the user changes.
	seen atomic.Pointer[walHeader]
}

// watchWALIndex maps the WAL index of the SQLite database opened with
// dsn at path. It returns nil, and FollowUserChanges reads on every call,
// where the index cannot be mapped (another platform, a file system on
// which SQLite does not keep the database in WAL mode).
func watchWALIndex(ctx context.Context, dsn, path string) (*walIndex, error) {
	pinDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	pinDB.SetMaxOpenConns(1)
	w := &walIndex{pinDB: pinDB}
	if w.pin, err = pinDB.Conn(ctx); err != nil {
		pinDB.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	// A read makes the connection map the WAL index, which it keeps
	// until it is closed.
	var n int
	if err := w.pin.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		w.close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	if w.mem, w.file, err = mapFile(path+"-shm", walHeaderWords*8); err != nil {
		w.close()
		return nil, nil
	}
	return w, nil
}

// header returns the first WAL-index header as it is now. Other processes
// write it: each word is read atomically, and a header read while a
// commit rewrites it differs from both the old and the new one, which
// costs only a read.
func (w *walIndex) header() walHeader {
	var h walHeader
	for i := range h {
		h[i] = atomic.LoadUint64((*uint64)(unsafe.Pointer(&w.mem[i*8])))
	}
	return h
}

// close unmaps the header and closes the pinned connection.
func (w *walIndex) close() error {
	if w == nil {
		return nil
	}
	var err error
	if w.mem != nil {
		err = unmapFile(w.mem)
		w.mem = nil
	}
	if w.pin != nil {
		w.pin.Close()
	}
	w.pinDB.Close()
	// After SQLite's last connection of this process: closing the file
	// drops the process's locks on it (see mapFile).
	if w.file != nil {
		w.file.Close()
	}
	return err
}
