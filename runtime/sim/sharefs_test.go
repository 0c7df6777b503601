package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// TestShareFilesystemMount checks that a mounted shared file system shows
// its host directory in every phone's ls, also after the driver is opened
// again on its state dir, and that an unmount removes it.
func TestShareFilesystemMount(t *testing.T) {
	ctx := context.Background()
	host := t.TempDir()
	if err := os.MkdirAll(filepath.Join(host, "assets", "maps"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(host, "assets", "readme.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	d := openState(t, dir, sim.Quota{}, nil)
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Index: 1, Running: true})
	if out := shellOn(t, d, "p1", "ls /mnt/sfs"); out != "ls: /mnt/sfs: No such file or directory\n" {
		t.Errorf("ls before the mount = %q", out)
	}
	if err := d.MountShareFilesystem(ctx, runtime.ShareMount{ID: "fs1", Source: filepath.Join(host, "assets"), MountPoint: "/mnt/sfs/fs1"}); err != nil {
		t.Fatal(err)
	}
	check := func(d *sim.Driver, phone string) {
		t.Helper()
		if out := shellOn(t, d, phone, "ls /mnt/sfs"); out != "fs1\n" {
			t.Errorf("%s: ls /mnt/sfs = %q", phone, out)
		}
		if out := shellOn(t, d, phone, "ls /mnt/sfs/fs1"); out != "maps\nreadme.txt\n" {
			t.Errorf("%s: ls /mnt/sfs/fs1 = %q", phone, out)
		}
		if out := shellOn(t, d, phone, "ls /mnt/sfs/fs1/nothing"); out != "ls: /mnt/sfs/fs1/nothing: No such file or directory\n" {
			t.Errorf("%s: ls of a missing path = %q", phone, out)
		}
	}
	check(d, "p1")
	// A phone created after the mount has it too.
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p2", Index: 2, Running: true})
	check(d, "p2")

	again := openState(t, dir, sim.Quota{}, nil)
	mustEnsure(t, again, runtime.PhoneSpec{ID: "p1", Index: 1, Running: true})
	check(again, "p1")
	if got := again.ShareMounts(); got["fs1"] != "/mnt/sfs/fs1" || len(got) != 1 {
		t.Errorf("mounts after reopening = %v", got)
	}
	if err := again.UnmountShareFilesystem(ctx, "fs1"); err != nil {
		t.Fatal(err)
	}
	if err := again.UnmountShareFilesystem(ctx, "fs1"); err != nil {
		t.Errorf("a second unmount: %v", err)
	}
	if out := shellOn(t, again, "p1", "ls /mnt/sfs/fs1"); out != "ls: /mnt/sfs/fs1: No such file or directory\n" {
		t.Errorf("ls after the unmount = %q", out)
	}
}
