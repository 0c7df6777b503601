package dirlock_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencph/opencph/internal/dirlock"
)

func TestSecondAcquireIsRefusedUntilRelease(t *testing.T) {
	dir := t.TempDir()
	first, err := dirlock.Acquire(dir, "x.lock")
	if err != nil {
		t.Fatal(err)
	}
	_, err = dirlock.Acquire(dir, "x.lock")
	if !errors.Is(err, dirlock.ErrLocked) || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second acquire: %v, want ErrLocked naming pid %d", err, os.Getpid())
	}
	if fi, err := os.Stat(filepath.Join(dir, "x.lock")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v, %v; want mode 0600", fi, err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if err := first.Release(); err != nil {
		t.Errorf("second release: %v", err)
	}
	again, err := dirlock.Acquire(dir, "x.lock")
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	again.Release()
}
