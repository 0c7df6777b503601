package backup

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTar writes a tar file of the given headers (regular files get
// their name as content).
func writeTar(t *testing.T, hdrs ...*tar.Header) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "b.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, h := range hdrs {
		body := ""
		if h.Typeflag == tar.TypeReg {
			body = h.Name
			if h.Name == ManifestName {
				body = `{"format":"` + Format + `"}`
			}
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	f.Close()
	return p
}

func reg(name string) *tar.Header { return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644} }

func TestRestoreRefusesWhatABackupDoesNotHold(t *testing.T) {
	for name, c := range map[string]struct {
		hdrs []*tar.Header
		want string
	}{
		"no manifest":    {[]*tar.Header{reg(DatabaseName)}, "not an OpenCPH backup"},
		"no database":    {[]*tar.Header{reg(ManifestName), reg("server.key")}, "incomplete backup"},
		"parent path":    {[]*tar.Header{reg(ManifestName), reg("../escape")}, "refused entry name"},
		"absolute path":  {[]*tar.Header{reg(ManifestName), reg("/etc/passwd")}, "refused entry name"},
		"symbolic link":  {[]*tar.Header{reg(ManifestName), {Name: "objects/x", Typeflag: tar.TypeSymlink, Linkname: "/etc"}}, "refused entry"},
		"not a tar file": {nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			from := writeTar(t, c.hdrs...)
			if c.hdrs == nil {
				os.WriteFile(from, []byte(strings.Repeat("not a tar file ", 100)), 0o600)
			}
			dir := filepath.Join(t.TempDir(), "data")
			_, err := Restore(context.Background(), from, dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Restore = %v, want an error containing %q", err, c.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("a refused restore left %s behind (%v)", dir, err)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "..", "escape")); err == nil {
				t.Error("an entry escaped the data dir")
			}
		})
	}
}

func TestRestoreIntoEmptyDir(t *testing.T) {
	from := writeTar(t, reg(ManifestName), reg(DatabaseName), reg("server.key"), &tar.Header{Name: "objects/", Typeflag: tar.TypeDir, Mode: 0o755}, reg("objects/b/k"))
	dir := t.TempDir() // exists, empty
	if _, err := Restore(context.Background(), from, dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{DatabaseName, "server.key", "objects/b/k"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, st.Mode().Perm())
		}
	}
	if _, err := Restore(context.Background(), from, dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second restore into the same dir = %v", err)
	}
}
