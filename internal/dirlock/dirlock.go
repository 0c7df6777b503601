// Package dirlock gives one process at a time a directory: an exclusive
// advisory lock (flock) on a lock file in it, held until Release or until
// the process ends. The kernel drops the lock when the process dies, even
// by SIGKILL, so a crash never leaves a stale lock behind.
//
// On systems without flock (such as Windows) Acquire does not lock.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// ErrLocked is returned (wrapped) when another process holds the lock.
var ErrLocked = errors.New("dirlock: directory in use by another process")

// Lock is a held lock on a directory.
type Lock struct {
	path string
	once sync.Once
	f    *os.File
}

// Acquire takes the lock file name in dir (created with mode 0600 if
// needed) without waiting. When another process holds it, the error wraps
// ErrLocked and names that process's pid, which the holder writes into
// the file.
func Acquire(dir, name string) (*Lock, error) {
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("dirlock: open %s: %w", path, err)
	}
	held, err := lock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dirlock: lock %s: %w", path, err)
	}
	if !held {
		b, _ := os.ReadFile(path)
		f.Close()
		holder := "another process"
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			holder = "process " + strconv.Itoa(pid)
		}
		return nil, fmt.Errorf("%w: %s holds %s", ErrLocked, holder, path)
	}
	// Record who holds it, for the message of the next one that tries.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{path: path, f: f}, nil
}

// Path is the lock file's path.
func (l *Lock) Path() string { return l.path }

// Release gives the lock up. It may be called more than once.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	var err error
	l.once.Do(func() {
		_ = l.f.Truncate(0)
		err = l.f.Close() // closing the file drops the flock
	})
	return err
}
