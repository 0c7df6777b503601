package docker_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/docker"
	"github.com/opencph/opencph/runtime/docker/phonestub"
)

// testAPK is a zip with a plain-XML manifest naming pkg.
func testAPK(t *testing.T, pkg string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("AndroidManifest.xml")
	w.Write([]byte(`<manifest package="` + pkg + `" versionName="1.0"/>`))
	w, _ = zw.Create("classes.dex")
	w.Write([]byte("dex"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func apkOf(name string, data []byte) runtime.APK {
	return runtime.APK{Name: name, Size: int64(len(data)), Content: bytes.NewReader(data)}
}

func runningPhone(t *testing.T, d *docker.Driver, id string) {
	t.Helper()
	if err := d.EnsurePhone(context.Background(), runtime.PhoneSpec{ID: id, Index: 1, ImageID: "img-stub", Running: true}); err != nil {
		t.Fatal(err)
	}
	waitState(t, d, id, runtime.StateRunning)
}

func TestCommands(t *testing.T) {
	ctx := context.Background()
	d, _, _ := newDriver(t, nil)
	runningPhone(t, d, "p1")

	pkg, err := d.Install(ctx, "p1", []runtime.APK{apkOf("app.apk", testAPK(t, "com.example.app"))})
	if err != nil || pkg != "com.example.app" {
		t.Fatalf("install: %q %v", pkg, err)
	}
	if out := shell(t, d, "p1", "pm list packages -3"); out != "package:com.example.app\n" {
		t.Fatalf("pm list packages -3: %q", out)
	}
	pkg, err = d.Install(ctx, "p1", []runtime.APK{apkOf("base.apk", testAPK(t, "com.example.split")), apkOf("split.apk", testAPK(t, "com.example.split"))})
	if err != nil || pkg != "com.example.split" {
		t.Fatalf("install-multiple: %q %v", pkg, err)
	}
	if out := shell(t, d, "p1", "ls /data/app/com.example.split"); out != "base.apk\nsplit_1.apk\n" {
		t.Fatalf("split files: %q", out)
	}
	if _, err := d.Install(ctx, "p1", []runtime.APK{apkOf("junk.bin", []byte("not a zip"))}); !errors.Is(err, runtime.ErrBadPackage) {
		t.Fatalf("install junk: %v", err)
	}
	if err := d.Uninstall(ctx, "p1", "com.android.settings"); !errors.Is(err, runtime.ErrSystemPackage) {
		t.Fatalf("uninstall a system package: %v", err)
	}
	if err := d.Uninstall(ctx, "p1", "com.example.none"); !errors.Is(err, runtime.ErrNoSuchPackage) {
		t.Fatalf("uninstall an unknown package: %v", err)
	}
	if err := d.Uninstall(ctx, "p1", "com.example.split"); err != nil {
		t.Fatal(err)
	}

	n, err := d.Push(ctx, "p1", bytes.NewReader(archivetest.FileMap(map[string]string{"data/local/tmp/a.txt": "A", "sdcard/b.txt": "B"})))
	if err != nil || n != 2 {
		t.Fatalf("push: %d %v", n, err)
	}
	if out := shell(t, d, "p1", "ls /data/local/tmp; cat /sdcard/b.txt"); !strings.Contains(out, "a.txt\n") || !strings.HasSuffix(out, "B") {
		t.Fatalf("after push: %q", out)
	}
	for _, bad := range []string{"system/x", "../etc/x", "proc/x"} {
		if _, err := d.Push(ctx, "p1", bytes.NewReader(archivetest.FileMap(map[string]string{bad: "x"}))); !errors.Is(err, runtime.ErrBadArchive) {
			t.Fatalf("push %s: %v", bad, err)
		}
	}

	// Immediate properties through setprop, visible through getprop.
	err = d.UpdateProperty(ctx, "p1", map[string]string{"persist.sys.locale": "fr-FR", "ro.build.product": "later"},
		func(k string) bool { return k == "persist.sys.locale" })
	if err != nil {
		t.Fatal(err)
	}
	if out := shell(t, d, "p1", "getprop persist.sys.locale; getprop ro.build.product"); out != "fr-FR\n\n" {
		t.Fatalf("after update: %q", out)
	}
	if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := shell(t, d, "p1", "getprop ro.build.product"); out != "later\n" {
		t.Fatalf("deferred property after restart: %q", out)
	}

	img, err := d.Screenshot(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		t.Fatalf("screenshot is no PNG: %v", err)
	}

	// Export, reset (the files are gone), import (they are back).
	shell(t, d, "p1", "echo keep > /data/local/tmp/keep.txt; echo skip > /data/local/tmp/skip.txt")
	var arch bytes.Buffer
	if err := d.ExportData(ctx, "p1", []string{"/data"}, []string{"/data/local/tmp/skip*"}, &arch); err != nil {
		t.Fatal(err)
	}
	if err := d.Reset(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if res, _ := d.Shell(ctx, "p1", "cat /data/local/tmp/keep.txt"); res.ExitCode == 0 {
		t.Fatal("reset kept the file")
	}
	if err := d.ImportData(ctx, "p1", &arch); err != nil {
		t.Fatal(err)
	}
	if out := shell(t, d, "p1", "cat /data/local/tmp/keep.txt; pm list packages -3"); out != "keep\npackage:com.example.app\n" {
		t.Fatalf("after import: %q", out)
	}
	if res, _ := d.Shell(ctx, "p1", "cat /data/local/tmp/skip.txt"); res.ExitCode == 0 {
		t.Fatal("excluded file was exported")
	}
	if err := d.ImportData(ctx, "p1", bytes.NewReader(archivetest.FileMap(map[string]string{"data/x": "x"}))); !errors.Is(err, runtime.ErrBadArchive) {
		t.Fatalf("import without manifest: %v", err)
	}
}

// TestEventsAndAdoption: a container killed behind the driver's back makes
// its phone failed at once and is reported; a restart brings it back; a
// new driver on the same server adopts the containers.
func TestEventsAndAdoption(t *testing.T) {
	ctx := context.Background()
	d, cli, cfg := newDriver(t, nil)
	reports := make(chan runtime.PhoneInfo, 10)
	d.NotifyStates(func(info runtime.PhoneInfo) { reports <- info })
	runningPhone(t, d, "p1")
	runningPhone(t, d, "p2")
	// Operations of the driver itself are not reported.
	if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(ctx, "p2"); err != nil {
		t.Fatal(err)
	}
	name := "opencph-" + cfg.ServerID + "-p1"
	if _, err := cli.ContainerKill(ctx, name, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	select {
	case info := <-reports:
		if info.ID != "p1" || info.State != runtime.StateFailed || !strings.Contains(info.LastError, "exited with code 137") {
			t.Fatalf("report %+v", info)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no report of the killed container")
	}
	if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case info := <-reports:
		t.Fatalf("unexpected report %+v", info)
	default:
	}

	// A second driver (an agent restarted) adopts p1 running, p2 stopped.
	d.Close()
	d2, err := docker.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	phones, _ := d2.Phones(ctx)
	if len(phones) != 2 || phones[0].ID != "p1" || phones[0].State != runtime.StateRunning || phones[1].State != runtime.StateStopped {
		t.Fatalf("adopted %+v", phones)
	}
	if err := d2.EnsurePhone(ctx, runtime.PhoneSpec{ID: "p1", Index: 1, ImageID: "img-stub", Running: true}); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := phonestub.Count(ctx, cli, docker.LabelServer, cfg.ServerID); c != 2 {
		t.Fatalf("%d containers after adoption, want 2", c)
	}
	// Removal outside OpenCPH is noticed too.
	reports2 := make(chan runtime.PhoneInfo, 10)
	d2.NotifyStates(func(info runtime.PhoneInfo) { reports2 <- info })
	if _, err := cli.ContainerRemove(ctx, name, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	select {
	case info := <-reports2:
		if info.ID != "p1" || info.State != runtime.StateFailed {
			t.Fatalf("report %+v", info)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no report of the removed container")
	}
	if err := d2.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatalf("restart after removal: %v", err)
	}
	if out := shell(t, d2, "p1", "getprop sys.boot_completed"); out != "1\n" {
		t.Fatalf("after restart: %q", out)
	}
}

// TestHostileArchives: push and import refuse archive bombs, escapes and
// archives that break a rule after good entries with ErrBadArchive, and
// write nothing of them.
func TestHostileArchives(t *testing.T) {
	ctx := context.Background()
	d, _, _ := newDriver(t, nil)
	runningPhone(t, d, "p1")
	cases := map[string]func() io.Reader{
		"sparse bomb":    func() io.Reader { return bytes.NewReader(archivetest.SparseBombPAX("data/local/tmp/bomb")) },
		"symlink escape": func() io.Reader { return bytes.NewReader(archivetest.SymlinkEscape("data/local/tmp")) },
		"late system entry": func() io.Reader {
			return bytes.NewReader(archivetest.Files("data/local/tmp/early.txt", "early", "system/late", "x"))
		},
	}
	for name, r := range cases {
		if _, err := d.Push(ctx, "p1", r()); !errors.Is(err, runtime.ErrBadArchive) {
			t.Errorf("push %s: %v", name, err)
		}
		if err := d.ImportData(ctx, "p1", r()); !errors.Is(err, runtime.ErrBadArchive) {
			t.Errorf("import %s: %v", name, err)
		}
	}
	if out := shell(t, d, "p1", "ls /data/local/tmp"); strings.Contains(out, "bomb") || strings.Contains(out, "passwd") || strings.Contains(out, "early") {
		t.Errorf("a refused archive left files: %q", out)
	}
}
