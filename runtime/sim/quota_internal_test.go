package sim

import (
	"archive/tar"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/opencph/opencph/runtime"
)

// TestStoredMatchesTheFiles: after pushes, installs, shell commands,
// uninstalls, resets, removals and shared files, refused or not, the
// driver's count of stored bytes is what its phones and shared storage
// hold, nothing stays reserved, and an untouched phone counts nothing;
// the driver opened again on its state dir counts the same.
func TestStoredMatchesTheFiles(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Quota: Quota{PhoneBytes: 64 << 10, PhoneFiles: 40}, StateDir: t.TempDir()}
	d := New(cfg)
	for _, id := range []string{"p1", "p2", "p3"} {
		if err := d.EnsurePhone(ctx, runtime.PhoneSpec{ID: id, Running: true}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string) {
		t.Helper()
		d.mu.Lock()
		defer d.mu.Unlock()
		var want int64
		for _, p := range d.phones {
			if !p.files.shared {
				want += filesCost(p.files.m)
			}
			if p.files.bytes != filesCost(p.files.m) {
				t.Errorf("%s: phone %s counts %d bytes, holds %d", step, p.id, p.files.bytes, filesCost(p.files.m))
			}
		}
		want += filesCost(d.shared.files)
		if d.stored != want || d.inflight != 0 {
			t.Errorf("%s: stored %d, inflight %d; want %d, 0", step, d.stored, d.inflight, want)
		}
	}
	tarOf := func(files ...string) *bytes.Reader {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for i := 0; i < len(files); i += 2 {
			_ = tw.WriteHeader(&tar.Header{Name: files[i], Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[i+1]))})
			_, _ = tw.Write([]byte(files[i+1]))
		}
		_ = tw.Close()
		return bytes.NewReader(buf.Bytes())
	}
	check("untouched")
	_, _ = d.Push(ctx, "p1", tarOf("data/a", "aaaa", "data/b", strings.Repeat("b", 1000)))
	check("push")
	_, _ = d.Push(ctx, "p1", tarOf("data/a", strings.Repeat("a", 100<<10)))
	check("refused push")
	_, _ = d.Install(ctx, "p2", []runtime.APK{{Name: "com.example.x.apk", Size: 3, Content: strings.NewReader("abc")}})
	check("install")
	_, _ = d.Shell(ctx, "p2", "touch /data/t1 /data/t2")
	_, _ = d.Shell(ctx, "p2", "mkdir -p /data/dir")
	_, _ = d.Shell(ctx, "p2", "rm /data/t1")
	check("shell")
	_ = d.Uninstall(ctx, "p2", "com.example.x")
	check("uninstall")
	_ = d.WriteSharedFile(ctx, "/s/f", strings.NewReader("shared"))
	_ = d.WriteSharedFile(ctx, "/s/f", strings.NewReader("shared again"))
	check("shared files")
	_ = d.DeleteSharedFiles(ctx, []string{"/s"})
	check("shared files deleted")
	_ = d.WriteFile(ctx, "p3", "/data/w", []byte("w"))
	check("write file")
	_ = d.Reset(ctx, "p1", runtime.RestartOptions{})
	check("reset")
	_ = d.RemovePhone(ctx, "p3")
	check("removed")
	_ = d.WriteSharedFile(ctx, "/s/g", strings.NewReader("kept"))
	check("shared file kept")
	stored := d.stored
	d = New(cfg)
	check("reopened")
	if d.stored != stored || len(d.phones) != 2 {
		t.Errorf("reopened: stored %d, %d phones; want %d, 2", d.stored, len(d.phones), stored)
	}
}
