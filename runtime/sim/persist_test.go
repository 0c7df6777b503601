package sim_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// logBuffer collects log records for assertions; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// openState opens a driver on dir, failing the test on an error.
func openState(t *testing.T, dir string, q sim.Quota, log *logBuffer) *sim.Driver {
	t.Helper()
	cfg := sim.Config{StateDir: dir, Quota: q}
	if log != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	d, err := sim.Open(cfg)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	return d
}

func shellOn(t *testing.T, d *sim.Driver, phone, cmd string) string {
	t.Helper()
	res, err := d.Shell(context.Background(), phone, cmd)
	if err != nil {
		t.Fatalf("shell %q on %s: %v", cmd, phone, err)
	}
	return res.Output
}

// changedPhone is a driver on dir with a running phone p1 whose files,
// packages and properties were changed, a stopped phone p2 with a pending
// property, a running phone p3 never changed, and shared storage.
func changedPhone(t *testing.T, dir string) *sim.Driver {
	t.Helper()
	ctx := context.Background()
	d := openState(t, dir, sim.Quota{}, nil)
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Name: "one", Index: 1, Running: true, Property: map[string]string{"ro.product.model": "M1"}})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p2", Index: 2})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p3", Index: 3, Running: true})
	if err := d.UpdateProperty(ctx, "p2", map[string]string{"com.cph.mainkeys": "0"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Push(ctx, "p1", tarReader(t, map[string]string{"data/local/tmp/a.txt": "pushed", "sdcard/Download/b.bin": "\x00\x01binary"})); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Install(ctx, "p1", []runtime.APK{apkOf("com.example.kept.apk", []byte("apk"))}); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"setprop debug.kept yes", "mkdir /data/local/tmp/dir", "rm /sdcard/DCIM/.nomedia"} {
		if out := shellOn(t, d, "p1", cmd); out != "" {
			t.Fatalf("%q: %q", cmd, out)
		}
	}
	if err := d.UpdateProperty(ctx, "p1", map[string]string{"com.cph.mainkeys": "1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteSharedFile(ctx, "/data/shared/s.txt", strings.NewReader("shared")); err != nil {
		t.Fatal(err)
	}
	if err := d.InstallSharedApp(ctx, "com.example.shared", 10, false); err != nil {
		t.Fatal(err)
	}
	return d
}

// checkKept fails unless d has the state changedPhone made.
func checkKept(t *testing.T, d *sim.Driver) {
	t.Helper()
	ctx := context.Background()
	// p3 was never changed, so it has no file (creating a fleet writes
	// nothing): the agent ensures it again from its spec, as it does every
	// phone after a restart.
	if _, err := d.Phone(ctx, "p3"); err == nil {
		t.Errorf("p3, never changed, was saved")
	}
	p1 := mustPhone(t, d, "p1")
	if p1.State != runtime.StateRunning || p1.Name != "one" || p1.Index != 1 || p1.Property["ro.product.model"] != "M1" || p1.Property["debug.kept"] != "yes" {
		t.Errorf("p1 after reopening = %+v", p1)
	}
	if p2 := mustPhone(t, d, "p2"); p2.State != runtime.StateStopped {
		t.Errorf("p2 state = %s, want stopped", p2.State)
	}
	if out := shellOn(t, d, "p1", "cat /data/local/tmp/a.txt /storage/emulated/0/Download/b.bin"); out != "pushed\x00\x01binary" {
		t.Errorf("pushed files after reopening = %q", out)
	}
	if out := shellOn(t, d, "p1", "ls /data/local/tmp"); out != "a.txt\ndir\n" {
		t.Errorf("ls /data/local/tmp after reopening = %q", out)
	}
	if out := shellOn(t, d, "p1", "ls -a /sdcard/DCIM"); out != "" {
		t.Errorf("removed image file back after reopening: ls -a /sdcard/DCIM = %q", out)
	}
	if out := shellOn(t, d, "p1", "pm list packages -3"); out != "package:com.example.kept\n" {
		t.Errorf("user packages after reopening = %q", out)
	}
	if out := shellOn(t, d, "p1", "pm path com.example.kept"); out != "package:/data/app/com.example.kept/base.apk\n" {
		t.Errorf("pm path after reopening = %q", out)
	}
	// The property update waits for the next boot, after a restart too.
	if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := mustPhone(t, d, "p1").Property["com.cph.mainkeys"]; got != "1" {
		t.Errorf("pending property after reopening and a boot = %q, want 1", got)
	}
	if got, _ := d.SharedFiles(ctx, "/"); !slices.Equal(got, []string{"/data/shared/s.txt"}) {
		t.Errorf("shared files after reopening = %v", got)
	}
	if got, _ := d.SharedApps(ctx); !slices.Equal(got, []string{"com.example.shared"}) {
		t.Errorf("shared apps after reopening = %v", got)
	}
}

func TestStateSurvivesReopening(t *testing.T) {
	dir := t.TempDir()
	changedPhone(t, dir)
	d := openState(t, dir, sim.Quota{}, nil)
	checkKept(t, d)
	// The phone the agent asks for again is left as it is.
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
	if out := shellOn(t, d, "p1", "cat /data/local/tmp/a.txt"); out != "pushed" {
		t.Errorf("after EnsurePhone of a loaded phone: %q", out)
	}
	// And a third start still has it all (a loaded state saves again).
	if err := d.WriteFile(context.Background(), "p1", "/data/local/tmp/c", []byte("c")); err != nil {
		t.Fatal(err)
	}
	d = openState(t, dir, sim.Quota{}, nil)
	if out := shellOn(t, d, "p1", "cat /data/local/tmp/a.txt /data/local/tmp/c"); out != "pushedc" {
		t.Errorf("third start: %q", out)
	}
	// An uninstall through the shell is saved too.
	if out := shellOn(t, d, "p1", "pm uninstall com.example.kept"); out != "Success\n" {
		t.Fatalf("pm uninstall: %q", out)
	}
	d = openState(t, dir, sim.Quota{}, nil)
	if out := shellOn(t, d, "p1", "pm list packages -3"); out != "" {
		t.Errorf("user packages after pm uninstall and reopening = %q", out)
	}
}

func TestResetAndRemovalPersist(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := changedPhone(t, dir)
	if err := d.Reset(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := d.RemovePhone(ctx, "p2"); err != nil {
		t.Fatal(err)
	}
	d = openState(t, dir, sim.Quota{}, nil)
	if _, err := d.Phone(ctx, "p2"); err == nil {
		t.Error("a removed phone is back after reopening")
	}
	if out := shellOn(t, d, "p1", "pm list packages -3"); out != "" {
		t.Errorf("user packages after a reset and reopening = %q", out)
	}
	if out := shellOn(t, d, "p1", "ls /data/local/tmp"); out != "" {
		t.Errorf("files after a reset and reopening = %q", out)
	}
	if out := shellOn(t, d, "p1", "ls -a /sdcard/DCIM"); out != ".nomedia\n" {
		t.Errorf("image file after a reset and reopening: ls -a /sdcard/DCIM = %q", out)
	}
	if out := shellOn(t, d, "p1", "ls /data"); !strings.Contains(out, "local\n") {
		t.Errorf("ls /data after a reset = %q", out)
	}
	p1 := mustPhone(t, d, "p1")
	if p1.Property["debug.kept"] != "" || p1.Property["ro.product.model"] != "M1" || p1.Property["com.cph.mainkeys"] != "1" {
		t.Errorf("properties after a reset: debug.kept %q (want none), model %q (want the spec's M1), mainkeys %q (want the updated 1)",
			p1.Property["debug.kept"], p1.Property["ro.product.model"], p1.Property["com.cph.mainkeys"])
	}
	if names, _ := os.ReadDir(filepath.Join(dir, "phones")); len(names) != 1 {
		t.Errorf("state files after removing p2: %v", names)
	}
}

func TestDamagedStateIsSetAside(t *testing.T) {
	dir := t.TempDir()
	changedPhone(t, dir)
	state := filepath.Join(dir, "phones", "p1.state")
	good, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	// A kill during a write leaves a partial temporary file: ignored and
	// removed, the last complete state is loaded.
	tmp := filepath.Join(dir, "phones", ".tmp-p1.state-123")
	if err := os.WriteFile(tmp, good[:len(good)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	d := openState(t, dir, sim.Quota{}, nil)
	checkKept(t, d)
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary file left: %v", err)
	}

	// A damaged state file (no rename makes one; a disk can): the phone
	// comes back from its image when the agent creates it, with a
	// warning, and the file is kept aside.
	for name, damage := range map[string][]byte{
		"truncated": good[:len(good)-7],
		"flipped":   append(append([]byte{}, good[:40]...), append([]byte{good[40] ^ 0xff}, good[41:]...)...),
		"empty":     nil,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			changedPhone(t, dir)
			state := filepath.Join(dir, "phones", "p1.state")
			if err := os.WriteFile(state, damage, 0o600); err != nil {
				t.Fatal(err)
			}
			var log logBuffer
			d := openState(t, dir, sim.Quota{}, &log)
			if _, err := d.Phone(context.Background(), "p1"); err == nil {
				t.Fatal("a damaged phone state was loaded")
			}
			if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "p1.state") {
				t.Errorf("no warning naming the file: %s", log.String())
			}
			if _, err := os.Stat(state + ".bad"); err != nil {
				t.Errorf("damaged file not kept aside: %v", err)
			}
			mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
			if out := shellOn(t, d, "p1", "pm list packages -3"); out != "" {
				t.Errorf("phone from its image has user packages %q", out)
			}
			if mustPhone(t, d, "p2").State != runtime.StateStopped {
				t.Error("the other phone was not loaded")
			}
			if got, _ := d.SharedFiles(context.Background(), "/"); len(got) != 1 {
				t.Errorf("shared storage not loaded: %v", got)
			}
		})
	}
}

func TestQuotaEnforcedAfterReopening(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	q := sim.Quota{PhoneBytes: 1 << 20, PhoneFiles: 100, ServerBytes: 3 << 20}
	d := openState(t, dir, q, nil)
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p2", Running: true})
	if _, err := d.Push(ctx, "p1", bigFile("data/a", 900<<10)); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteSharedFile(ctx, "/data/s", bytes.NewReader(make([]byte, 1800<<10))); err != nil {
		t.Fatal(err)
	}
	d = openState(t, dir, q, nil)
	_, err := d.Push(ctx, "p1", bigFile("data/b", 200<<10))
	wantQuota(t, "push over the phone quota after reopening", err, "PhoneBytes")
	_, err = d.Push(ctx, "p2", bigFile("data/b", 500<<10))
	wantQuota(t, "push over the server quota after reopening", err, "ServerBytes")

	// A state beyond a lowered quota is not loaded.
	var log logBuffer
	d = openState(t, dir, sim.Quota{PhoneBytes: 512 << 10, ServerBytes: 3 << 20}, &log)
	if _, err := d.Phone(ctx, "p1"); err == nil {
		t.Error("a phone over the quota was loaded")
	}
	if !strings.Contains(log.String(), "level=WARN") {
		t.Errorf("no warning: %s", log.String())
	}
}

func TestStateDirOfUnsafePhoneIDs(t *testing.T) {
	dir := t.TempDir()
	d := openState(t, dir, sim.Quota{}, nil)
	for _, id := range []string{"../escape", "a/b", ".hidden"} {
		mustEnsure(t, d, runtime.PhoneSpec{ID: id, Running: true})
		if err := d.WriteFile(context.Background(), id, "/data/x", []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape.state")); err == nil {
		t.Fatal("a phone ID wrote outside the state dir")
	}
	d = openState(t, dir, sim.Quota{}, nil)
	for _, id := range []string{"../escape", "a/b", ".hidden"} {
		if got, err := d.ReadFile(context.Background(), id, "/data/x"); err != nil || string(got) != id {
			t.Errorf("phone %q after reopening: %q, %v", id, got, err)
		}
	}
}

func TestAndroidDirsCostNothing(t *testing.T) {
	d := quotaDriver(t, sim.Quota{PhoneFiles: 6}, 1) // the image's 5 files and one more
	if out := shellOn(t, d, "p1", "mkdir -p /data/local/tmp /sdcard/Download"); out != "" {
		t.Errorf("mkdir -p of built-in directories: %q", out)
	}
	if _, err := d.Push(context.Background(), "p1", tarReader(t, map[string]string{"data/local/tmp/f": "x"})); err != nil {
		t.Errorf("push of one file into built-in directories: %v", err)
	}
	if out := shellOn(t, d, "p1", "touch /data/local/tmp/g"); !strings.Contains(out, "No space left") {
		t.Errorf("touch beyond the quota: %q", out)
	}
}

// TestConcurrentChangesSaveTheLastState: changes to one phone from many
// goroutines, each saved without the driver's lock, leave on disk the
// state the phone has in memory at the end, not an older one.
func TestConcurrentChangesSaveTheLastState(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := openState(t, dir, sim.Quota{}, nil)
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				name := "/data/local/tmp/g" + string(rune('a'+g)) + string(rune('0'+i))
				if err := d.WriteFile(ctx, "p1", name, []byte(name)); err != nil {
					t.Error(err)
				}
				if i%3 == 0 {
					if _, err := d.Shell(ctx, "p1", "rm "+name); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	want, _ := d.Files(ctx, "p1")
	got, err := openState(t, dir, sim.Quota{}, nil).Files(ctx, "p1")
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("files after reopening = %v, %v; want %v", got, err, want)
	}
}
