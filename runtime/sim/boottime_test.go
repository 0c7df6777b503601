package sim_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// TestBootTimeOfAnOperation checks that RestartOptions.BootTime replaces
// the driver's boot time for one restart or reset: 0 boots at once, a
// longer one keeps the phone booting that long.
func TestBootTimeOfAnOperation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		d := sim.New(sim.Config{BootTime: time.Hour})
		mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
		start := time.Now()
		instant := time.Duration(0)
		if err := d.Restart(ctx, "p1", runtime.RestartOptions{BootTime: &instant}); err != nil {
			t.Fatal(err)
		}
		if info := mustPhone(t, d, "p1"); info.State != runtime.StateRunning || !info.BootedAt.Equal(start) {
			t.Errorf("after an instant restart: %+v, want running, booted at %v", info, start)
		}
		long := 2 * time.Hour
		errc := async(func() error { return d.Reset(ctx, "p1", runtime.RestartOptions{BootTime: &long}) })
		time.Sleep(time.Hour + time.Minute) // past the driver's own boot time
		synctest.Wait()
		if _, ok := done(errc); ok {
			t.Fatal("the reset ended at the driver's boot time")
		}
		checkState(t, d, "p1", runtime.StateBooting)
		time.Sleep(long)
		synctest.Wait()
		if err, ok := done(errc); !ok || err != nil {
			t.Fatalf("the reset after its boot time: ended %v, %v", ok, err)
		}
	})
}

// TestFactoryReset checks that a factory reset also forgets the
// properties the phone was created or updated with.
func TestFactoryReset(t *testing.T) {
	ctx := context.Background()
	d := sim.New(sim.Config{})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true, Property: map[string]string{"persist.sys.locale": "fr-FR"}})
	if err := d.Reset(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := mustPhone(t, d, "p1").Property["persist.sys.locale"]; got != "fr-FR" {
		t.Fatalf("a plain reset keeps the phone's own properties: locale %q", got)
	}
	if err := d.Reset(ctx, "p1", runtime.RestartOptions{Factory: true}); err != nil {
		t.Fatal(err)
	}
	if got := mustPhone(t, d, "p1").Property["persist.sys.locale"]; got == "fr-FR" {
		t.Errorf("a factory reset kept the phone's own locale")
	}
}
