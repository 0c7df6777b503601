package docker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/docker"
)

// TestShareFilesystemMount mounts a host directory into a running phone's
// container on the real Engine: the container is created again with the
// bind mount and its data volume, the phone boots, the files show at the
// mount point; an agent that restarts takes the mount from the container
// and gives it to a new phone; an unmount takes it away again.
func TestShareFilesystemMount(t *testing.T) {
	ctx := context.Background()
	d, _, cfg := newDriver(t, nil)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "readme.txt"), []byte("shared"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := runtime.PhoneSpec{ID: "p1", Name: "phone-1", Index: 1, ImageID: "img-stub", Running: true}
	if err := d.EnsurePhone(ctx, spec); err != nil {
		t.Fatal(err)
	}
	waitState(t, d, "p1", runtime.StateRunning)
	shell(t, d, "p1", "mkdir /data/kept")
	before, _ := d.Phone(ctx, "p1")

	const mp = "/mnt/sfs/fs1"
	if err := d.MountShareFilesystem(ctx, runtime.ShareMount{ID: "fs1", Source: host, MountPoint: mp}); err != nil {
		t.Fatal(err)
	}
	info := waitState(t, d, "p1", runtime.StateRunning)
	if out := shell(t, d, "p1", "ls "+mp); !strings.Contains(out, "readme.txt") {
		t.Errorf("ls %s = %q", mp, out)
	}
	if out := shell(t, d, "p1", "ls /data"); !strings.Contains(out, "kept") {
		t.Errorf("the data volume was not kept: ls /data = %q", out)
	}
	if info.Access.Port != before.Access.Port {
		t.Errorf("the ADB port changed from %d to %d", before.Access.Port, info.Access.Port)
	}
	// The same mount again changes nothing.
	if err := d.MountShareFilesystem(ctx, runtime.ShareMount{ID: "fs1", Source: host, MountPoint: mp}); err != nil {
		t.Fatal(err)
	}

	// A new agent on the server adopts the container and its mounts.
	d.Close()
	again, err := docker.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	if err := again.EnsurePhone(ctx, runtime.PhoneSpec{ID: "p2", Name: "phone-2", Index: 2, ImageID: "img-stub", Running: true}); err != nil {
		t.Fatal(err)
	}
	waitState(t, again, "p2", runtime.StateRunning)
	if out := shell(t, again, "p2", "ls "+mp); !strings.Contains(out, "readme.txt") {
		t.Errorf("a phone created after the mount: ls %s = %q", mp, out)
	}

	if err := again.UnmountShareFilesystem(ctx, "fs1"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"p1", "p2"} {
		waitState(t, again, id, runtime.StateRunning)
		res, err := again.Shell(ctx, id, "ls "+mp)
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode == 0 && strings.Contains(res.Output, "readme.txt") {
			t.Errorf("%s: after the unmount, ls %s = %q", id, mp, res.Output)
		}
	}
	if err := again.UnmountShareFilesystem(ctx, "fs1"); err != nil {
		t.Errorf("a second unmount: %v", err)
	}
}
