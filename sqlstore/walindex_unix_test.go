//go:build unix

package sqlstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/opencph/opencph/sqlstore"
)

// shmDMSByte is the byte of the -shm file on which every process that
// has the database open holds a read lock (SQLite's unix VFS: its 8 lock
// bytes start at 120, the "dead man switch" follows them).
const shmDMSByte = 128

func init() { walChildChecks["dms-held"] = dmsHeld }

// dmsHeld exits 0 when another process holds the -shm file's read lock,
// 3 when nobody does: then a process opening the database would take the
// file for unused and start it anew.
func dmsHeld(path string) int {
	f, err := os.OpenFile(path+"-shm", os.O_RDWR, 0)
	if err != nil {
		return 1
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: shmDMSByte, Len: 1}
	if err := unix.FcntlFlock(f.Fd(), unix.F_GETLK, &lk); err != nil {
		return 1
	}
	if lk.Type == unix.F_UNLCK {
		return 3
	}
	return 0
}

// TestOpenStoreKeepsItsSharedMemoryLock checks that the store, which maps
// the -shm file itself, still holds SQLite's lock on it afterwards:
// closing a descriptor of a file drops every POSIX lock of the process on
// it, and another process ("cphd admin backup") that found the file
// unlocked would start it anew under the store's connections (they then
// fail with disk I/O errors).
func TestOpenStoreKeepsItsSharedMemoryLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cph.db")
	db, err := sqlstore.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.FollowUserChanges(ctx); err != nil {
		t.Fatal(err)
	}
	switch code := runWALChild(ctx, t, path, walChildEnv+"_CHECK=dms-held"); code {
	case 0:
	case 3:
		t.Fatal("no process holds the -shm file's lock while the store has the database open")
	default:
		t.Fatalf("the other process could not check the lock (exit %d)", code)
	}
}
