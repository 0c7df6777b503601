package sim_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/opencph/opencph/apk/apktest"
	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

func TestInstallReadsBinaryManifest(t *testing.T) {
	d := runningPhone(t)
	ctx := context.Background()
	pkg, err := d.Install(ctx, "p1", []runtime.APK{apkOf("upload-7.apk", apktest.APK("com.example.real", "1.2"))})
	if err != nil || pkg != "com.example.real" {
		t.Fatalf("install = %q, %v", pkg, err)
	}
	pkgs, _ := d.Packages(ctx, "p1")
	for _, p := range pkgs {
		if p.Name == "com.example.real" && p.Version != "1.2" {
			t.Errorf("version = %q, want 1.2", p.Version)
		}
	}
	// A zip without a manifest is named by its file name.
	if pkg, err := d.Install(ctx, "p1", []runtime.APK{apkOf("com.example.named.apk", apktest.Zip(apktest.File{Name: "classes.dex"}))}); err != nil || pkg != "com.example.named" {
		t.Errorf("install of a zip without manifest = %q, %v", pkg, err)
	}
}

// TestInstallRefusesBadZips: a zip that is broken or breaks the bounds of
// package apk is a bad package, even when its file name would name one.
func TestInstallRefusesBadZips(t *testing.T) {
	d := runningPhone(t)
	ctx := context.Background()
	bomb := apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: bytes.Repeat([]byte("<"), 5<<20)})
	garbled := apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: []byte("\x03\x00garbage")})
	for name, b := range map[string][]byte{"manifest bomb": bomb, "garbled manifest": garbled} {
		_, err := d.Install(ctx, "p1", []runtime.APK{apkOf("com.example.fallback.apk", b)})
		if !errors.Is(err, runtime.ErrBadPackage) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if out, _ := sh(t, d, "pm list packages -3"); out != "" {
		t.Errorf("user packages = %q", out)
	}
}

// hostileArchives are the archive bombs every reader must refuse, each
// as a stream that counts what was read of it.
func hostileArchives() map[string]struct {
	r    io.Reader
	want string
} {
	return map[string]struct {
		r    io.Reader
		want string
	}{
		"PAX sparse 512 MiB": {bytes.NewReader(archivetest.SparseBombPAX("data/big")), "sparse files are not accepted"},
		"GNU sparse 512 MiB": {bytes.NewReader(archivetest.SparseBombGNU("data/big")), "sparse files are not accepted"},
		"1e6 entries":        {archivetest.NewManyEntries("data", 1_000_000), "MaxEntries"},
		"deep path":          {bytes.NewReader(archivetest.DeepPath("data", 100)), "MaxDepth"},
		"symlink escape":     {bytes.NewReader(archivetest.SymlinkEscape("data")), "leaves the archive's root"},
		"header that lies":   {bytes.NewReader(archivetest.LyingHeader("data/huge", 1<<40)), "MaxEntrySize"},
	}
}

// heapAlloc returns the live heap after a collection.
func heapAlloc() uint64 {
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestPushAndImportRefuseArchiveBombs(t *testing.T) {
	// A quota large enough that the archive's limits are what refuses
	// the archives (see TestStorageQuota for the quota).
	d := sim.New(sim.Config{Quota: sim.Quota{PhoneBytes: 1 << 30, PhoneFiles: 1 << 20, ServerBytes: 1 << 30}})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Index: 1, Running: true})
	ctx := context.Background()
	ops := map[string]func(io.Reader) error{
		"push":   func(r io.Reader) error { _, err := d.Push(ctx, "p1", r); return err },
		"import": func(r io.Reader) error { return d.ImportData(ctx, "p1", r) },
	}
	for op, run := range ops {
		for name, c := range hostileArchives() {
			if op == "import" && name == "1e6 entries" {
				continue // half a million entries pass ImportLimits: too slow for a unit test, see package archive
			}
			src := &archivetest.CountingReader{R: c.r}
			before := heapAlloc()
			err := run(src)
			grown := int64(heapAlloc()) - int64(before)
			if !errors.Is(err, runtime.ErrBadArchive) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s of %s: err = %v, want ErrBadArchive saying %q", op, name, err, c.want)
			}
			// The limit on entries lets 100,000 empty entries through
			// (50 MB of headers); everything else is refused within a
			// few kilobytes of input.
			if max := int64(8192); name == "1e6 entries" {
				if src.N > 100_002*512 {
					t.Errorf("%s of %s: read %d bytes of input", op, name, src.N)
				}
			} else if src.N > max {
				t.Errorf("%s of %s: read %d bytes of input", op, name, src.N)
			}
			if grown > 4<<20 {
				t.Errorf("%s of %s: heap grew by %d bytes", op, name, grown)
			}
		}
	}
	if out, _ := sh(t, d, "ls /data"); strings.Contains(out, "big") || strings.Contains(out, "f0") {
		t.Errorf("/data after refused archives: %q", out)
	}
}
