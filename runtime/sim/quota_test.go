package sim_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/opencph/opencph/apk/apktest"
	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// zeros yields an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// bigFile returns a tar stream of one regular file of size bytes, made as
// it is read.
func bigFile(name string, size int64) io.Reader {
	pad := (512 - size%512) % 512
	return io.MultiReader(bytes.NewReader(archivetest.RawHeader(name, tar.TypeReg, size, false)),
		io.LimitReader(zeros{}, size), bytes.NewReader(make([]byte, pad+1024)))
}

// quotaDriver returns a driver with quota q and running phones p1..pn.
func quotaDriver(t *testing.T, q sim.Quota, n int) *sim.Driver {
	t.Helper()
	d := sim.New(sim.Config{Quota: q})
	for i := 1; i <= n; i++ {
		mustEnsure(t, d, runtime.PhoneSpec{ID: fmt.Sprintf("p%d", i), Index: i, Running: true})
	}
	return d
}

// wantQuota checks that err is the quota error of the named quota.
func wantQuota(t *testing.T, what string, err error, quota string) {
	t.Helper()
	var qe *sim.QuotaError
	if !errors.Is(err, runtime.ErrNoSpace) || !errors.As(err, &qe) || qe.Quota != quota || !strings.Contains(err.Error(), "(quota "+quota+")") {
		t.Errorf("%s: err = %v, want the %s quota", what, err, quota)
	}
}

// TestPushOverQuotaHoldsNothing: with the default quota, a push of one
// 200 MiB file, or of 20,000 empty files, is refused after reading little
// more than the quota's worth of input, the heap does not grow, and the
// phone is unchanged. Before the quota, the simulated phone held all of
// it (1 GB of cphd's memory for such a push to 5 phones).
func TestPushOverQuotaHoldsNothing(t *testing.T) {
	d := quotaDriver(t, sim.Quota{}, 1)
	ctx := context.Background()
	q := sim.DefaultQuota()
	if q.PhoneBytes != 64<<20 || q.PhoneFiles != 10_000 || q.ServerBytes != 512<<20 {
		t.Fatalf("DefaultQuota() = %+v", q)
	}
	filesBefore, _ := d.Files(ctx, "p1")

	for _, c := range []struct {
		name     string
		src      io.Reader
		quota    string
		maxInput int64
	}{
		{"one 200 MiB file", bigFile("data/local/tmp/big", 200<<20), "PhoneBytes", 4096},
		{"20,000 empty files", archivetest.NewManyEntries("data/local/tmp", 20_000), "PhoneFiles", int64(q.PhoneFiles+1) * 512},
	} {
		src := &archivetest.CountingReader{R: c.src}
		before := heapAlloc()
		_, err := d.Push(ctx, "p1", src)
		grown := int64(heapAlloc()) - int64(before)
		wantQuota(t, "push of "+c.name, err, c.quota)
		if src.N > c.maxInput {
			t.Errorf("push of %s: read %d bytes of input, want at most %d", c.name, src.N, c.maxInput)
		}
		if grown > 8<<20 {
			t.Errorf("push of %s: heap grew by %d bytes", c.name, grown)
		}
	}
	if files, _ := d.Files(ctx, "p1"); len(files) != len(filesBefore) {
		t.Errorf("files after refused pushes: %d, want %d", len(files), len(filesBefore))
	}
	// Within the quota, a push works.
	if n, err := d.Push(ctx, "p1", bigFile("data/local/tmp/ok", 1<<20)); n != 1 || err != nil {
		t.Errorf("push of 1 MiB = %d, %v", n, err)
	}
}

// TestPhoneQuotaCountsWhatThePhoneHolds: files replaced by a push count
// once; a push that would take the phone over its quota with what it
// already holds is refused whole; files and removed files give their room
// back.
func TestPhoneQuotaCountsWhatThePhoneHolds(t *testing.T) {
	d := quotaDriver(t, sim.Quota{PhoneBytes: 1 << 20, PhoneFiles: 50}, 1)
	ctx := context.Background()
	for i := range 3 { // the same 600 KiB file three times: counted once
		if _, err := d.Push(ctx, "p1", bigFile("data/a", 600<<10)); err != nil {
			t.Fatalf("push %d of data/a: %v", i, err)
		}
	}
	_, err := d.Push(ctx, "p1", tarReader(t, map[string]string{"data/b": strings.Repeat("x", 450<<10), "data/c": "small"}))
	wantQuota(t, "push of 450 KiB more", err, "PhoneBytes")
	if out, _ := sh(t, d, "ls /data"); out != "a\napp\ndata\nlocal\nmedia\nmisc\nsystem\nuser\n" {
		t.Errorf("ls /data after the refused push = %q, want only a", out)
	}
	if _, code := sh(t, d, "rm /data/a"); code != 0 {
		t.Fatal("rm failed")
	}
	if _, err := d.Push(ctx, "p1", tarReader(t, map[string]string{"data/b": strings.Repeat("x", 300<<10)})); err != nil {
		t.Errorf("push after rm: %v", err)
	}
	// The file count: the shell's touch and mkdir stop at the quota.
	out, code := sh(t, d, "touch "+strings.Repeat("/data/t ", 1)+files("/data/f", 60))
	if code != 1 || !strings.Contains(out, "No space left on device") {
		t.Errorf("touch of 60 files: %d %q", code, out)
	}
	all, _ := d.Files(ctx, "p1")
	if len(all) != 50 {
		t.Errorf("the phone holds %d files, want the quota's 50", len(all))
	}
	err = d.WriteFile(ctx, "p1", "/data/one-more", []byte("x"))
	wantQuota(t, "WriteFile over the file quota", err, "PhoneFiles")
}

// files returns n paths prefix0 .. prefix(n-1) separated by spaces.
func files(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%d ", prefix, i)
	}
	return b.String()
}

// noise returns n bytes that do not compress.
func noise(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{}).Read(b)
	return b
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// TestInstallAndImportOverQuota: an APK larger than the phone's quota is
// refused before its content is read (beyond its manifest); an import
// over the quota changes nothing.
func TestInstallAndImportOverQuota(t *testing.T) {
	d := quotaDriver(t, sim.Quota{PhoneBytes: 1 << 20}, 1)
	ctx := context.Background()
	big := apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: []byte(`<manifest package="com.example.big" android:versionName="1"/>`)},
		apktest.File{Name: "classes.dex", Data: noise(2 << 20)})
	ra := &countingReaderAt{r: bytes.NewReader(big)}
	_, err := d.Install(ctx, "p1", []runtime.APK{{Name: "big.apk", Size: int64(len(big)), Content: ra}})
	wantQuota(t, "install of a 2 MiB APK", err, "PhoneBytes")
	if ra.n > 128<<10 { // the manifest reader reads the zip directory from the end
		t.Errorf("install read %d bytes of the APK", ra.n)
	}
	if out, _ := sh(t, d, "pm list packages -3"); out != "" {
		t.Errorf("user packages after the refused install: %q", out)
	}
	if pkg, err := d.Install(ctx, "p1", []runtime.APK{apkOf("small.apk", apktest.APK("com.example.small", "1"))}); err != nil || pkg != "com.example.small" {
		t.Errorf("install within the quota = %q, %v", pkg, err)
	}

	var export bytes.Buffer
	if err := d.ExportData(ctx, "p1", []string{"/data"}, nil, &export); err != nil {
		t.Fatal(err)
	}
	over := archivetest.FileMap(map[string]string{"opencph-export.json": `{"version":1,"properties":{"x.imported":"1"}}`, "data/huge": strings.Repeat("y", 2<<20)})
	wantQuota(t, "import of 2 MiB", d.ImportData(ctx, "p1", bytes.NewReader(over)), "PhoneBytes")
	if out, _ := sh(t, d, "getprop x.imported"); out != "\n" {
		t.Errorf("property after the refused import: %q", out)
	}
	if err := d.ImportData(ctx, "p1", &export); err != nil {
		t.Errorf("import of the phone's own export: %v", err)
	}
}

// TestServerQuota: the phones and the shared storage of a driver share
// its ServerBytes; untouched phones count nothing; removing a phone or
// resetting it gives its room back.
func TestServerQuota(t *testing.T) {
	d := quotaDriver(t, sim.Quota{PhoneBytes: 1 << 20, ServerBytes: 2 << 20}, 100)
	ctx := context.Background()
	for _, id := range []string{"p1", "p2"} {
		if _, err := d.Push(ctx, id, bigFile("data/f", 900<<10)); err != nil {
			t.Fatalf("push to %s: %v", id, err)
		}
	}
	_, err := d.Push(ctx, "p3", bigFile("data/f", 900<<10))
	wantQuota(t, "third push", err, "ServerBytes")
	src := &archivetest.CountingReader{R: io.LimitReader(zeros{}, 10<<20)}
	wantQuota(t, "shared file of 10 MiB", d.WriteSharedFile(ctx, "/shared/big", src), "ServerBytes")
	if src.N > 512<<10 {
		t.Errorf("the shared file read %d bytes", src.N)
	}
	if names, _ := d.SharedFiles(ctx, "/"); len(names) != 0 {
		t.Errorf("shared files after the refused write: %v", names)
	}

	if err := d.RemovePhone(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Push(ctx, "p3", bigFile("data/f", 900<<10)); err != nil {
		t.Errorf("push after removing p1: %v", err)
	}
	wantQuota(t, "shared file of 300 KiB", d.WriteSharedFile(ctx, "/shared/f", io.LimitReader(zeros{}, 300<<10)), "ServerBytes")
	if err := d.Reset(ctx, "p2", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteSharedFile(ctx, "/shared/f", io.LimitReader(zeros{}, 300<<10)); err != nil {
		t.Errorf("shared file after resetting p2: %v", err)
	}
}
