package sim_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

func TestSharedStorage(t *testing.T) {
	ctx := context.Background()
	d := sim.New(sim.Config{})
	for _, f := range []string{"/data/a/1", "/data/a/2", "/data/b", "/cache/c"} {
		if err := d.WriteSharedFile(ctx, f, strings.NewReader(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.WriteSharedFile(ctx, "relative", strings.NewReader("")); err == nil {
		t.Error("relative path accepted")
	}
	if got, _ := d.SharedFiles(ctx, "/data"); !slices.Equal(got, []string{"/data/a/1", "/data/a/2", "/data/b"}) {
		t.Errorf("files = %v", got)
	}
	if err := d.DeleteSharedFiles(ctx, []string{"/data/a", "/missing"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.SharedFiles(ctx, "/"); !slices.Equal(got, []string{"/cache/c", "/data/b"}) {
		t.Errorf("files after delete = %v", got)
	}
	if err := d.EnsurePhone(ctx, runtime.PhoneSpec{ID: "p1", Running: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.InstallSharedApp(ctx, "com.example.app", 3, true); err != nil {
		t.Fatal(err)
	}
	pkgs, _ := d.Packages(ctx, "p1")
	if !slices.ContainsFunc(pkgs, func(p sim.Package) bool { return p.Name == "com.example.app" }) {
		t.Errorf("pre-installed package missing: %v", pkgs)
	}
	if err := d.DeleteSharedApp(ctx, "com.example.app"); err != nil {
		t.Fatal(err)
	}
	if apps, _ := d.SharedApps(ctx); len(apps) != 0 {
		t.Errorf("apps = %v", apps)
	}
}

func TestRemovePhone(t *testing.T) {
	ctx := context.Background()
	d := sim.New(sim.Config{})
	if err := d.EnsurePhone(ctx, runtime.PhoneSpec{ID: "p1", Running: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.RemovePhone(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Phone(ctx, "p1"); !errors.Is(err, runtime.ErrNoSuchPhone) {
		t.Errorf("removed phone: %v", err)
	}
	if err := d.RemovePhone(ctx, "p1"); err != nil {
		t.Errorf("removing an unknown phone: %v", err)
	}
}
