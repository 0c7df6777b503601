package sim_test

import (
	"context"
	"fmt"
	goruntime "runtime"
	"slices"
	"testing"

	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// Phones share their initial properties, packages and files until they
// change them; a change to one phone must never show on another, nor
// survive a reset where the image's content should come back.
func TestPhonesDoNotShareChanges(t *testing.T) {
	ctx := context.Background()
	d := sim.New(sim.Config{})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "a", Running: true})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "b", Running: true})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "c", Running: true, Property: map[string]string{"persist.sys.locale": "zh-CN"}})
	filesBefore, err := d.Files(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}

	if _, err := d.Shell(ctx, "a", "setprop persist.sys.timezone Asia/Shanghai"); err != nil {
		t.Fatal(err)
	}
	if err := d.UpdateProperty(ctx, "a", map[string]string{"persist.sys.locale": "fr-FR"}, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile(ctx, "a", "/data/local/tmp/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Shell(ctx, "a", "rm -r /sdcard/DCIM"); err != nil {
		t.Fatal(err)
	}
	if err := d.InstallPackage(ctx, "a", sim.Package{Name: "com.example.app", Version: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := d.InjectFailure("a", sim.OpRestart, "boom"); err != nil {
		t.Fatal(err)
	}

	b := mustPhone(t, d, "b")
	if b.Property["persist.sys.timezone"] != "UTC" || b.Property["persist.sys.locale"] != "en-US" {
		t.Errorf("phone b sees phone a's properties: %v", b.Property)
	}
	if c := mustPhone(t, d, "c"); c.Property["persist.sys.locale"] != "zh-CN" || c.Property["persist.sys.timezone"] != "UTC" {
		t.Errorf("phone c properties = %v", c.Property)
	}
	if files, _ := d.Files(ctx, "b"); !slices.Equal(files, filesBefore) {
		t.Errorf("phone b files = %v, want %v", files, filesBefore)
	}
	if pkgs, _ := d.Packages(ctx, "b"); slices.ContainsFunc(pkgs, func(p sim.Package) bool { return !p.System }) {
		t.Errorf("phone b has user packages: %v", pkgs)
	}
	if err := d.Restart(ctx, "b", runtime.RestartOptions{}); err != nil {
		t.Errorf("phone b restart failed with phone a's injected failure: %v", err)
	}

	// A reset of a brings back the image (and a's own property defaults).
	if err := d.Reset(ctx, "a", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	a := mustPhone(t, d, "a")
	if a.Property["persist.sys.locale"] != "fr-FR" || a.Property["persist.sys.timezone"] != "UTC" {
		t.Errorf("phone a after reset: %v", a.Property)
	}
	if files, _ := d.Files(ctx, "a"); !slices.Equal(files, filesBefore) {
		t.Errorf("phone a files after reset = %v, want %v", files, filesBefore)
	}
	// and b, reset too, still has the plain defaults.
	if err := d.Reset(ctx, "b", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if b := mustPhone(t, d, "b"); b.Property["persist.sys.locale"] != "en-US" {
		t.Errorf("phone b after reset: %v", b.Property)
	}
}

// BenchmarkEnsurePhone reports the heap one simulated phone holds, which
// bounds how many phones a load tool can run in one process.
func BenchmarkEnsurePhone(b *testing.B) {
	ctx := context.Background()
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i)
	}
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	d := sim.New(sim.Config{})
	b.ResetTimer()
	for i, id := range ids {
		if err := d.EnsurePhone(ctx, runtime.PhoneSpec{ID: id, Name: "bench-000001-0001", Index: i, ImageID: "a1b2c3d4e5f60718293a4b5c6d7e8f11", Running: true}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "heap-B/phone")
	goruntime.KeepAlive(d)
}
