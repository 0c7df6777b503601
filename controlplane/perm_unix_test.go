//go:build unix

package controlplane_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/opencph/opencph/controlplane"
)

// TestDataDirFilesArePrivate: with umask 0 and a world-writable data dir,
// the database, its -wal and -shm files, the server key and the generated
// bootstrap password are all created 0600.
func TestDataDirFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, func(c *controlplane.Config) {
		c.DataDir = dir
		c.Bootstrap.Password = "" // generated, and written to the data dir
	})
	if srv.Bootstrap().PasswordFile == "" {
		t.Fatal("no bootstrap password file was written")
	}
	for _, name := range []string{"cph.db", "cph.db-wal", "cph.db-shm", controlplane.ServerKeyFile, controlplane.PasswordFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", name, m)
		}
	}
}
