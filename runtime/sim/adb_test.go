package sim_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// runningPhone returns a driver with one running phone "p1".
func runningPhone(t *testing.T) *sim.Driver {
	t.Helper()
	d := sim.New(sim.Config{})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Index: 1, Running: true})
	return d
}

// sh runs a shell command on p1 and returns its output and exit code.
func sh(t *testing.T, d *sim.Driver, cmd string) (string, int) {
	t.Helper()
	res, err := d.Shell(context.Background(), "p1", cmd)
	if err != nil {
		t.Fatalf("shell %q: %v", cmd, err)
	}
	return res.Output, res.ExitCode
}

func TestShell(t *testing.T) {
	d := runningPhone(t)
	for _, tc := range []struct {
		cmd, out string
		code     int
	}{
		{"echo hello world", "hello world\n", 0},
		{"getprop ro.build.version.sdk", "30\n", 0},
		{"getprop no.such.prop", "\n", 0},
		{"setprop debug.x 1", "", 0},
		{"getprop debug.x", "1\n", 0},
		{"setprop ro.build.version.sdk 99", "setprop: failed to set property 'ro.build.version.sdk' to '99'\n", 1},
		{"ls /system", "app\nbin\nbuild.prop\netc\nfonts\nframework\nlib\nlib64\npriv-app\nusr\nxbin\n", 0},
		{"ls /nowhere", "ls: /nowhere: No such file or directory\n", 1},
		{"cat /system", "cat: /system: Is a directory\n", 1},
		{"mkdir /data/local/tmp/x", "", 0},
		{"mkdir /data/local/tmp/x", "mkdir: '/data/local/tmp/x': File exists\n", 1},
		{"ls /data/local/tmp", "x\n", 0},
		{"touch /data/local/tmp/x/f", "", 0},
		{"rm /data/local/tmp/x", "rm: /data/local/tmp/x: is a directory\n", 1},
		{"rm -r /data/local/tmp/x", "", 0},
		{"ls /data/local/tmp", "", 0},
		{"ls /data", "app\ndata\nlocal\nmedia\nmisc\nsystem\nuser\n", 0},
		{"rm -r /data/local/tmp", "rm: /data/local/tmp: Permission denied\n", 1},
		{"mkdir /data/local/tmp", "mkdir: '/data/local/tmp': File exists\n", 1},
		{"mkdir -p /data/local/tmp", "", 0},
		{"ls /", "acct\ncache\nconfig\ndata\ndev\nmnt\nodm\noem\nproc\nproduct\nsdcard\nstorage\nsys\nsystem\nvendor\n", 0},
		{"ls /sdcard", "Alarms\nAndroid\nDCIM\nDocuments\nDownload\nMovies\nMusic\nNotifications\nPictures\nPodcasts\nRingtones\n", 0},
		{"touch /storage/emulated/0/Download/a.txt", "", 0},
		{"ls /sdcard/Download", "a.txt\n", 0},
		{"ls /storage/self/primary/Download/a.txt", "/sdcard/Download/a.txt\n", 0},
		{"ls /storage/emulated", "0\n", 0},
		{"ls /vendor", "bin\netc\nfirmware\nlib\nlib64\n", 0},
		{"ls /system/bin/ls", "/system/bin/ls\n", 0},
		{"cat /system/bin/sh", "", 0},
		{"rm /system/bin/sh", "rm: /system/bin/sh: Read-only file system\n", 1},
		{"touch /vendor/x", "touch: '/vendor/x': Read-only file system\n", 1},
		{"rm /system/build.prop", "rm: /system/build.prop: Read-only file system\n", 1},
		{"rm -f /data/none", "", 0},
		{"whoami", "shell\n", 0},
		{"pm list packages -s launcher", "package:com.android.launcher3\n", 0},
		{"pm path com.android.settings", "package:/system/app/com.android.settings/com.android.settings.apk\n", 0},
		{"pm path com.none", "", 1},
		{"reboot", "/system/bin/sh: reboot: not found\n", 127},
		{"", "", 0},
	} {
		out, code := sh(t, d, tc.cmd)
		if out != tc.out || code != tc.code {
			t.Errorf("%q = %q exit %d, want %q exit %d", tc.cmd, out, code, tc.out, tc.code)
		}
	}
	if err := d.Stop(context.Background(), "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Shell(context.Background(), "p1", "id"); !errors.Is(err, runtime.ErrNotRunning) {
		t.Errorf("shell on a stopped phone: err = %v, want ErrNotRunning", err)
	}
}

func TestUpdatePropertyPendingUntilBoot(t *testing.T) {
	d := runningPhone(t)
	ctx := context.Background()
	now := func(k string) bool { return k == "ro.install.auto" }
	if err := d.UpdateProperty(ctx, "p1", map[string]string{"ro.install.auto": "1", "com.cph.mainkeys": "1"}, now); err != nil {
		t.Fatal(err)
	}
	p := mustPhone(t, d, "p1")
	if p.Property["ro.install.auto"] != "1" || p.Property["com.cph.mainkeys"] != "0" {
		t.Errorf("before boot: install.auto %q, mainkeys %q; want 1 and the old 0", p.Property["ro.install.auto"], p.Property["com.cph.mainkeys"])
	}
	if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := mustPhone(t, d, "p1").Property["com.cph.mainkeys"]; got != "1" {
		t.Errorf("after restart: mainkeys %q, want 1", got)
	}
	// Updated properties are defaults: a reset keeps them.
	if err := d.Reset(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := mustPhone(t, d, "p1").Property["com.cph.mainkeys"]; got != "1" {
		t.Errorf("after reset: mainkeys %q, want 1", got)
	}
	if err := d.UpdateProperty(ctx, "none", nil, now); !errors.Is(err, runtime.ErrNoSuchPhone) {
		t.Errorf("unknown phone: err = %v", err)
	}
}

func TestInstallUninstallPush(t *testing.T) {
	d := runningPhone(t)
	ctx := context.Background()
	pkg, err := d.Install(ctx, "p1", []runtime.APK{apkOf("com.example.one.apk", []byte("x"))})
	if err != nil || pkg != "com.example.one" {
		t.Fatalf("install = %q, %v", pkg, err)
	}
	if _, err := d.Install(ctx, "p1", []runtime.APK{apkOf("app.apk", []byte("x"))}); !errors.Is(err, runtime.ErrBadPackage) {
		t.Errorf("install without a package name: err = %v", err)
	}
	if out, _ := sh(t, d, "pm list packages -3"); out != "package:com.example.one\n" {
		t.Errorf("user packages = %q", out)
	}
	if err := d.Uninstall(ctx, "p1", "com.android.settings"); !errors.Is(err, runtime.ErrSystemPackage) {
		t.Errorf("uninstall of a system package: err = %v", err)
	}
	if err := d.Uninstall(ctx, "p1", "com.example.one"); err != nil {
		t.Fatal(err)
	}
	if err := d.Uninstall(ctx, "p1", "com.example.one"); !errors.Is(err, runtime.ErrNoSuchPackage) {
		t.Errorf("second uninstall: err = %v", err)
	}
	if out, _ := sh(t, d, "ls /data/app"); out != "" {
		t.Errorf("/data/app after uninstall: %q", out)
	}

	n, err := d.Push(ctx, "p1", tarReader(t, map[string]string{"data/a/b.txt": "b", "./cache/c": "c"}))
	if err != nil || n != 2 {
		t.Fatalf("push = %d, %v", n, err)
	}
	if out, _ := sh(t, d, "cat /data/a/b.txt /cache/c"); out != "bc" {
		t.Errorf("pushed files = %q", out)
	}
	if _, err := d.Push(ctx, "p1", tarReader(t, map[string]string{"system/x": "x"})); !errors.Is(err, runtime.ErrBadArchive) {
		t.Errorf("push into /system: err = %v", err)
	}
	if _, err := d.Push(ctx, "p1", strings.NewReader("not a tar")); !errors.Is(err, runtime.ErrBadArchive) {
		t.Errorf("push of garbage: err = %v", err)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	d := runningPhone(t)
	ctx := context.Background()
	if _, err := d.Push(ctx, "p1", tarReader(t, map[string]string{"data/keep.txt": "k", "data/tmp/drop.txt": "d", "cache/c": "c"})); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Install(ctx, "p1", []runtime.APK{apkOf("com.example.kept.apk", []byte("x"))}); err != nil {
		t.Fatal(err)
	}
	sh(t, d, "setprop persist.kept yes")
	// An application of the shared app area, and its data, stay out.
	if err := d.InstallSharedApp(ctx, "com.example.shared", 3, true); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Push(ctx, "p1", tarReader(t, map[string]string{"data/data/com.example.shared/db": "s"})); err != nil {
		t.Fatal(err)
	}
	var export bytes.Buffer
	if err := d.ExportData(ctx, "p1", []string{"/data"}, []string{"/data/tmp*"}, &export); err != nil {
		t.Fatal(err)
	}
	archive := export.Bytes()
	var names []string
	tr := tar.NewReader(bytes.NewReader(archive))
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		names = append(names, h.Name)
	}
	if got := strings.Join(names, ","); got != "opencph-export.json,data/app/com.example.kept/base.apk,data/data/com.example.kept/,data/keep.txt" {
		t.Errorf("archive entries = %s", got)
	}
	if err := d.Reset(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := d.ImportData(ctx, "p1", bytes.NewReader(archive)); err != nil {
		t.Fatal(err)
	}
	if out, _ := sh(t, d, "cat /data/keep.txt"); out != "k" {
		t.Errorf("restored file = %q", out)
	}
	if _, code := sh(t, d, "cat /data/tmp/drop.txt"); code == 0 {
		t.Error("excluded file restored")
	}
	if out, _ := sh(t, d, "pm list packages -3"); out != "package:com.example.kept\n" {
		t.Errorf("restored packages = %q", out)
	}
	if out, _ := sh(t, d, "getprop persist.kept"); out != "yes\n" {
		t.Errorf("restored property = %q", out)
	}
	if err := d.ImportData(ctx, "p1", tarReader(t, map[string]string{"data/x": "x"})); !errors.Is(err, runtime.ErrBadArchive) {
		t.Errorf("import of a tar without manifest: err = %v", err)
	}
}

// apkOf returns an APK of the given content.
func apkOf(name string, data []byte) runtime.APK {
	return runtime.APK{Name: name, Size: int64(len(data)), Content: bytes.NewReader(data)}
}

// tarReader returns a stream of a tar archive of the files, by name.
func tarReader(t *testing.T, files map[string]string) io.Reader {
	return bytes.NewReader(archivetest.FileMap(files))
}
