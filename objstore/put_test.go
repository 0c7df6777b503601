package objstore_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencph/opencph/objstore"
)

// TestPutFailureStoresNothing: when the reader of a Put fails at its very
// end (as a body whose hash does not match its signature does), no object
// appears, an earlier object of the same key is kept, and no partial file
// stays behind.
func TestPutFailureStoresNothing(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	d, err := objstore.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CreateBucket(ctx, "apps"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, "apps", "kept.apk", strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	errLate := errors.New("payload hash mismatch")
	failing := func() io.Reader {
		return io.MultiReader(strings.NewReader(strings.Repeat("x", 200_000)), errAtEnd{errLate})
	}
	for _, key := range []string{"new.apk", "kept.apk", "dir/new.apk"} {
		if _, err := d.Put(ctx, "apps", key, failing()); !errors.Is(err, errLate) {
			t.Errorf("Put %s: %v, want the reader's error", key, err)
		}
	}
	if _, _, err := d.Get(ctx, "apps", "new.apk"); !errors.Is(err, objstore.ErrNoSuchObject) {
		t.Errorf("failed new object: %v", err)
	}
	rc, obj, err := d.Get(ctx, "apps", "kept.apk")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "old" || obj.Size != 3 {
		t.Errorf("earlier object replaced by a failed put: %q", b)
	}
	if _, err := d.Put(ctx, "apps", "deep/er/x.apk", failing()); !errors.Is(err, errLate) {
		t.Errorf("Put into new folders: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(root, "apps", "old"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, "apps", "old/new/x.apk", failing()); !errors.Is(err, errLate) {
		t.Errorf("Put into a new folder of an existing one: %v", err)
	}
	var files []string
	filepath.WalkDir(filepath.Join(root, "apps"), func(path string, e fs.DirEntry, err error) error {
		if err == nil && path != filepath.Join(root, "apps") {
			rel, _ := filepath.Rel(filepath.Join(root, "apps"), path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	// The folders a failed Put created are gone; those that were there stay.
	if strings.Join(files, ",") != "kept.apk,old" {
		t.Errorf("left in the bucket: %v", files)
	}
}

type errAtEnd struct{ err error }

func (e errAtEnd) Read([]byte) (int, error) { return 0, e.err }
