package sim_test

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

const bootTime = 30 * time.Second

// mustEnsure creates a phone or fails the test.
func mustEnsure(tb testing.TB, d *sim.Driver, spec runtime.PhoneSpec) {
	tb.Helper()
	if err := d.EnsurePhone(context.Background(), spec); err != nil {
		tb.Fatalf("EnsurePhone(%s): %v", spec.ID, err)
	}
}

// mustPhone returns a phone's snapshot or fails the test.
func mustPhone(tb testing.TB, d *sim.Driver, id string) runtime.PhoneInfo {
	tb.Helper()
	info, err := d.Phone(context.Background(), id)
	if err != nil {
		tb.Fatalf("Phone(%s): %v", id, err)
	}
	return info
}

// checkState fails the test unless phone id is in state want.
func checkState(tb testing.TB, d *sim.Driver, id string, want runtime.State) {
	tb.Helper()
	if got := mustPhone(tb, d, id).State; got != want {
		tb.Fatalf("phone %s state = %q, want %q", id, got, want)
	}
}

// async runs f in a goroutine and returns a channel that yields its error.
func async(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// done reports whether ch has a value ready, and returns it.
func done(ch <-chan error) (error, bool) {
	select {
	case err := <-ch:
		return err, true
	default:
		return nil, false
	}
}

func TestEnsurePhone(t *testing.T) {
	ctx := context.Background()
	d := sim.New(sim.Config{BootTime: bootTime})
	mustEnsure(t, d, runtime.PhoneSpec{
		ID: "p1", Name: "phone-1", Index: 1, ImageID: "img-a", Running: true,
		Property: map[string]string{"sys.prop.writephonenum": "13900000001", "persist.sys.locale": "zh-CN"},
	})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p2", Name: "phone-2", Index: 2, ImageID: "img-a"})

	p1 := mustPhone(t, d, "p1")
	if p1.State != runtime.StateRunning || p1.BootCount != 1 || p1.BootedAt.IsZero() {
		t.Errorf("running phone = %+v, want running with one boot", p1)
	}
	for k, want := range map[string]string{
		"sys.prop.writephonenum":   "13900000001",
		"persist.sys.locale":       "zh-CN",
		"sys.prop.writewifissid":   "cloudphone_wifi",
		"ro.build.product":         "STF",
		"ro.build.version.release": "11",
	} {
		if got := p1.Property[k]; got != want {
			t.Errorf("property %s = %q, want %q", k, got, want)
		}
	}
	p2 := mustPhone(t, d, "p2")
	if p2.State != runtime.StateStopped || p2.BootCount != 0 {
		t.Errorf("stopped phone = %+v, want stopped, never booted", p2)
	}

	// An existing phone is left as it is.
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p2", ImageID: "img-b", Running: true})
	if got := mustPhone(t, d, "p2"); got.State != runtime.StateStopped || got.ImageID != "img-a" {
		t.Errorf("after second EnsurePhone: %+v, want it unchanged", got)
	}

	// Snapshots are copies.
	p1.Property["ro.build.product"] = "changed"
	if got := mustPhone(t, d, "p1").Property["ro.build.product"]; got != "STF" {
		t.Errorf("snapshot aliases driver state: property = %q", got)
	}

	phones, err := d.Phones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range phones {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []string{"p1", "p2"}) {
		t.Errorf("Phones = %v, want [p1 p2]", ids)
	}
	if err := d.EnsurePhone(ctx, runtime.PhoneSpec{}); err == nil {
		t.Error("EnsurePhone with empty ID succeeded")
	}
}

func TestRestartBootTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := sim.New(sim.Config{BootTime: bootTime})
		mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
		start := time.Now()

		errc := async(func() error { return d.Restart(context.Background(), "p1", runtime.RestartOptions{}) })
		synctest.Wait()
		checkState(t, d, "p1", runtime.StateBooting)

		time.Sleep(bootTime - time.Nanosecond)
		synctest.Wait()
		if _, ok := done(errc); ok {
			t.Fatal("Restart returned before BootTime")
		}
		checkState(t, d, "p1", runtime.StateBooting)

		time.Sleep(time.Nanosecond)
		synctest.Wait()
		err, ok := done(errc)
		if !ok {
			t.Fatal("Restart still running after BootTime")
		}
		if err != nil {
			t.Fatalf("Restart: %v", err)
		}
		info := mustPhone(t, d, "p1")
		if info.State != runtime.StateRunning || info.BootCount != 2 || !info.BootedAt.Equal(start.Add(bootTime)) {
			t.Errorf("after restart: %+v, want running, 2 boots, booted at %v", info, start.Add(bootTime))
		}
	})
}

func TestStopAndStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const stopTime = 5 * time.Second
		ctx := context.Background()
		d := sim.New(sim.Config{BootTime: bootTime, StopTime: stopTime})
		mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})

		start := time.Now()
		errc := async(func() error { return d.Stop(ctx, "p1") })
		synctest.Wait()
		checkState(t, d, "p1", runtime.StateStopping)
		if err := <-errc; err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if got := time.Since(start); got != stopTime {
			t.Errorf("Stop took %v, want %v", got, stopTime)
		}
		checkState(t, d, "p1", runtime.StateStopped)

		// Stopping a stopped phone succeeds at once.
		start = time.Now()
		if err := d.Stop(ctx, "p1"); err != nil || time.Since(start) != 0 {
			t.Errorf("second Stop: err %v after %v, want nil at once", err, time.Since(start))
		}

		// Restart boots a stopped phone.
		start = time.Now()
		if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
			t.Fatalf("Restart: %v", err)
		}
		if got := time.Since(start); got != bootTime {
			t.Errorf("Restart took %v, want %v", got, bootTime)
		}
		checkState(t, d, "p1", runtime.StateRunning)
	})
}

func TestInjectedFailureIsOneShot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		d := sim.New(sim.Config{BootTime: bootTime})
		mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
		if err := d.InjectFailure("p1", sim.OpRestart, "disk full"); err != nil {
			t.Fatal(err)
		}

		start := time.Now()
		err := d.Restart(ctx, "p1", runtime.RestartOptions{ImageID: "img-b", Property: map[string]string{"k": "v"}})
		var fe *sim.FailureError
		if !errors.As(err, &fe) || fe.Message != "disk full" || !fe.Injected || fe.Op != sim.OpRestart || fe.PhoneID != "p1" {
			t.Fatalf("Restart error = %#v, want injected FailureError \"disk full\"", err)
		}
		if got := time.Since(start); got != bootTime {
			t.Errorf("failed boot took %v, want %v", got, bootTime)
		}
		info := mustPhone(t, d, "p1")
		if info.State != runtime.StateFailed || info.LastError != "disk full" || info.ImageID != "" || info.Property["k"] != "" {
			t.Errorf("after failed restart: %+v, want failed, nothing applied", info)
		}

		// The failure was consumed: the next restart succeeds.
		if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
			t.Fatalf("second Restart: %v", err)
		}
		if info := mustPhone(t, d, "p1"); info.State != runtime.StateRunning || info.LastError != "" {
			t.Errorf("after second restart: %+v, want running", info)
		}

		// A failed stop leaves the phone running.
		if err := d.InjectFailure("p1", sim.OpStop, "stuck"); err != nil {
			t.Fatal(err)
		}
		if err := d.Stop(ctx, "p1"); !errors.As(err, &fe) || fe.Message != "stuck" {
			t.Fatalf("Stop error = %v, want injected failure", err)
		}
		checkState(t, d, "p1", runtime.StateRunning)
		if err := d.Stop(ctx, "p1"); err != nil {
			t.Fatalf("second Stop: %v", err)
		}
		checkState(t, d, "p1", runtime.StateStopped)

		// A failed reset leaves the phone failed.
		if err := d.InjectFailure("p1", sim.OpReset, ""); err != nil {
			t.Fatal(err)
		}
		if err := d.Reset(ctx, "p1", runtime.RestartOptions{}); !errors.As(err, &fe) || fe.Op != sim.OpReset {
			t.Fatalf("Reset error = %v, want injected failure", err)
		}
		checkState(t, d, "p1", runtime.StateFailed)

		// A failure injected for one operation does not affect another.
		if err := d.InjectFailure("p1", sim.OpStop, "later"); err != nil {
			t.Fatal(err)
		}
		if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
			t.Fatalf("Restart with a stop failure pending: %v", err)
		}
	})
}

func TestInjectFailureErrors(t *testing.T) {
	d := sim.New(sim.Config{})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1"})
	if err := d.InjectFailure("nope", sim.OpRestart, "x"); !errors.Is(err, runtime.ErrNoSuchPhone) {
		t.Errorf("InjectFailure(unknown phone) = %v, want ErrNoSuchPhone", err)
	}
	if err := d.InjectFailure("p1", "explode", "x"); err == nil {
		t.Error("InjectFailure(unknown op) succeeded")
	}
}

func TestFailureRate(t *testing.T) {
	ctx := context.Background()
	d := sim.New(sim.Config{FailureRate: 1, Rand: rand.New(rand.NewPCG(1, 2))})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
	for i := range 20 {
		var fe *sim.FailureError
		if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); !errors.As(err, &fe) || fe.Injected {
			t.Fatalf("Restart %d = %v, want a random failure", i, err)
		}
		checkState(t, d, "p1", runtime.StateFailed)
		if err := d.Reset(ctx, "p1", runtime.RestartOptions{}); !errors.As(err, &fe) {
			t.Fatalf("Reset %d = %v, want a random failure", i, err)
		}
	}
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p2", Running: true})
	if err := d.Stop(ctx, "p2"); err == nil {
		t.Fatal("Stop succeeded with FailureRate 1")
	}
	checkState(t, d, "p2", runtime.StateRunning)

	// A zero rate never fails.
	d = sim.New(sim.Config{})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
	for i := range 20 {
		if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
			t.Fatalf("Restart %d: %v", i, err)
		}
	}
}

func TestRestartAppliesOptions(t *testing.T) {
	ctx := context.Background()
	d := sim.New(sim.Config{})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", ImageID: "img-a", Running: true})
	err := d.Restart(ctx, "p1", runtime.RestartOptions{
		ImageID:  "img-b",
		Property: map[string]string{"sys.prop.writewifissid": "office", "com.cph.mainkeys": "1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	info := mustPhone(t, d, "p1")
	if info.ImageID != "img-b" {
		t.Errorf("image = %q, want img-b", info.ImageID)
	}
	for k, want := range map[string]string{
		"sys.prop.writewifissid": "office",
		"com.cph.mainkeys":       "1",
		"ro.build.product":       "STF", // untouched keys stay
	} {
		if got := info.Property[k]; got != want {
			t.Errorf("property %s = %q, want %q", k, got, want)
		}
	}
	// Properties persist across a plain restart.
	if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if info := mustPhone(t, d, "p1"); info.Property["sys.prop.writewifissid"] != "office" || info.ImageID != "img-b" {
		t.Errorf("after plain restart: %+v, want options kept", info)
	}
}

func TestResetWipesUserState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		d := sim.New(sim.Config{BootTime: bootTime})
		mustEnsure(t, d, runtime.PhoneSpec{
			ID: "p1", ImageID: "img-a", Running: true,
			Property: map[string]string{"sys.prop.writephonenum": "13900000001"},
		})
		basePkgs, err := d.Packages(ctx, "p1")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(basePkgs, func(p sim.Package) bool { return p.Name == "com.android.settings" && p.System }) {
			t.Fatalf("packages %v lack system package com.android.settings", basePkgs)
		}
		baseFiles, err := d.Files(ctx, "p1")
		if err != nil {
			t.Fatal(err)
		}

		// The user adds state.
		if err := d.InstallPackage(ctx, "p1", sim.Package{Name: "com.example.game", Version: "1.0"}); err != nil {
			t.Fatal(err)
		}
		if err := d.WriteFile(ctx, "p1", "/sdcard/Download/notes.txt", []byte("hello")); err != nil {
			t.Fatal(err)
		}
		if err := d.WriteFile(ctx, "p1", "/system/etc/hosts", []byte("tampered")); err != nil {
			t.Fatal(err)
		}
		if err := d.Restart(ctx, "p1", runtime.RestartOptions{Property: map[string]string{"sys.prop.writewifissid": "office"}}); err != nil {
			t.Fatal(err)
		}
		if got, err := d.ReadFile(ctx, "p1", "/sdcard/Download/notes.txt"); err != nil || string(got) != "hello" {
			t.Fatalf("ReadFile = %q, %v; want hello", got, err)
		}

		errc := async(func() error {
			return d.Reset(ctx, "p1", runtime.RestartOptions{ImageID: "img-b", Property: map[string]string{"persist.sys.locale": "fr-FR"}})
		})
		synctest.Wait()
		checkState(t, d, "p1", runtime.StateBooting)
		if err := <-errc; err != nil {
			t.Fatalf("Reset: %v", err)
		}

		info := mustPhone(t, d, "p1")
		if info.State != runtime.StateRunning || info.ImageID != "img-b" {
			t.Errorf("after reset: %+v, want running on img-b", info)
		}
		for k, want := range map[string]string{
			"sys.prop.writewifissid": "cloudphone_wifi", // back to the default
			"sys.prop.writephonenum": "13900000001",     // provisioned, kept
			"persist.sys.locale":     "fr-FR",           // from the reset options
		} {
			if got := info.Property[k]; got != want {
				t.Errorf("property %s = %q, want %q", k, got, want)
			}
		}
		pkgs, err := d.Packages(ctx, "p1")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pkgs, basePkgs) {
			t.Errorf("packages after reset = %v, want %v", pkgs, basePkgs)
		}
		files, err := d.Files(ctx, "p1")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(files, baseFiles) {
			t.Errorf("files after reset = %v, want %v", files, baseFiles)
		}
		if _, err := d.ReadFile(ctx, "p1", "/sdcard/Download/notes.txt"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile of a wiped file: %v, want fs.ErrNotExist", err)
		}
		if got, err := d.ReadFile(ctx, "p1", "/system/etc/hosts"); err != nil || string(got) == "tampered" {
			t.Errorf("image file after reset = %q, %v; want the image's version", got, err)
		}
	})
}

func TestResetStartsStoppedPhone(t *testing.T) {
	ctx := context.Background()
	d := sim.New(sim.Config{})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1"})
	if err := d.Reset(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	checkState(t, d, "p1", runtime.StateRunning)
}

func TestUserOperationsNeedRunningPhone(t *testing.T) {
	ctx := context.Background()
	d := sim.New(sim.Config{})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1"})
	if err := d.InstallPackage(ctx, "p1", sim.Package{Name: "com.example"}); !errors.Is(err, runtime.ErrNotRunning) {
		t.Errorf("InstallPackage on a stopped phone = %v, want ErrNotRunning", err)
	}
	if err := d.WriteFile(ctx, "p1", "/sdcard/x", nil); !errors.Is(err, runtime.ErrNotRunning) {
		t.Errorf("WriteFile on a stopped phone = %v, want ErrNotRunning", err)
	}
	if _, err := d.ReadFile(ctx, "p1", "/system/build.prop"); !errors.Is(err, runtime.ErrNotRunning) {
		t.Errorf("ReadFile on a stopped phone = %v, want ErrNotRunning", err)
	}
	if err := d.WriteFile(ctx, "nope", "/sdcard/x", nil); !errors.Is(err, runtime.ErrNoSuchPhone) {
		t.Errorf("WriteFile on an unknown phone = %v, want ErrNoSuchPhone", err)
	}
	if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile(ctx, "p1", "relative/path", nil); err == nil {
		t.Error("WriteFile with a relative path succeeded")
	}
}

func TestUnknownPhone(t *testing.T) {
	ctx := context.Background()
	d := sim.New(sim.Config{})
	for name, err := range map[string]error{
		"Restart": d.Restart(ctx, "nope", runtime.RestartOptions{}),
		"Reset":   d.Reset(ctx, "nope", runtime.RestartOptions{}),
		"Stop":    d.Stop(ctx, "nope"),
		"Phone": func() error {
			_, err := d.Phone(ctx, "nope")
			return err
		}(),
		"Packages": func() error {
			_, err := d.Packages(ctx, "nope")
			return err
		}(),
		"Files": func() error {
			_, err := d.Files(ctx, "nope")
			return err
		}(),
	} {
		if !errors.Is(err, runtime.ErrNoSuchPhone) {
			t.Errorf("%s(unknown) = %v, want ErrNoSuchPhone", name, err)
		}
	}
}

func TestOperationsOnOnePhoneAreSerialised(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		d := sim.New(sim.Config{BootTime: bootTime})
		mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
		mustEnsure(t, d, runtime.PhoneSpec{ID: "p2", Running: true})
		start := time.Now()

		var (
			mu       sync.Mutex
			finished = map[string]time.Duration{}
			wg       sync.WaitGroup
		)
		run := func(name string, f func() error) {
			wg.Go(func() {
				if err := f(); err != nil {
					t.Errorf("%s: %v", name, err)
				}
				mu.Lock()
				finished[name] = time.Since(start)
				mu.Unlock()
			})
		}
		run("first", func() error { return d.Restart(ctx, "p1", runtime.RestartOptions{}) })
		synctest.Wait() // the first restart holds p1
		run("second", func() error { return d.Restart(ctx, "p1", runtime.RestartOptions{}) })
		run("other", func() error { return d.Restart(ctx, "p2", runtime.RestartOptions{}) })
		wg.Wait()

		// The second restart of p1 waits for the first; p2 boots alongside.
		want := map[string]time.Duration{"first": bootTime, "second": 2 * bootTime, "other": bootTime}
		for name, w := range want {
			if finished[name] != w {
				t.Errorf("%s finished after %v, want %v", name, finished[name], w)
			}
		}
		if got := mustPhone(t, d, "p1").BootCount; got != 3 {
			t.Errorf("p1 boot count = %d, want 3", got)
		}
	})
}

func TestCancelWhileWaitingForPhone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := sim.New(sim.Config{BootTime: bootTime})
		mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Running: true})
		first := async(func() error { return d.Restart(context.Background(), "p1", runtime.RestartOptions{}) })
		synctest.Wait()

		ctx, cancel := context.WithCancel(context.Background())
		second := async(func() error { return d.Stop(ctx, "p1") })
		synctest.Wait()
		cancel()
		synctest.Wait()
		err, ok := done(second)
		if !ok || !errors.Is(err, context.Canceled) {
			t.Fatalf("Stop waiting for the phone: returned %v, %v after cancel; want context.Canceled", err, ok)
		}
		if err := <-first; err != nil {
			t.Fatalf("first Restart: %v", err)
		}
		checkState(t, d, "p1", runtime.StateRunning) // the cancelled stop never ran
	})
}

func TestCancelDuringBoot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := sim.New(sim.Config{BootTime: bootTime})
		mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", ImageID: "img-a", Running: true})
		ctx, cancel := context.WithTimeout(context.Background(), bootTime/2)
		defer cancel()
		start := time.Now()
		err := d.Restart(ctx, "p1", runtime.RestartOptions{ImageID: "img-b"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Restart = %v, want context.DeadlineExceeded", err)
		}
		if got := time.Since(start); got != bootTime/2 {
			t.Errorf("cancelled Restart returned after %v, want %v", got, bootTime/2)
		}
		info := mustPhone(t, d, "p1")
		if info.State != runtime.StateFailed || info.ImageID != "img-a" || info.LastError == "" {
			t.Errorf("after cancelled boot: %+v, want failed on img-a with an error", info)
		}
		// The phone recovers with a restart.
		if err := d.Restart(context.Background(), "p1", runtime.RestartOptions{}); err != nil {
			t.Fatal(err)
		}
		checkState(t, d, "p1", runtime.StateRunning)

		// A cancelled stop puts the phone back as it was.
		d2 := sim.New(sim.Config{StopTime: bootTime})
		mustEnsure(t, d2, runtime.PhoneSpec{ID: "p1", Running: true})
		ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
		defer cancel2()
		if err := d2.Stop(ctx2, "p1"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop = %v, want context.DeadlineExceeded", err)
		}
		checkState(t, d2, "p1", runtime.StateRunning)

		// An already cancelled context does nothing.
		ctx3, cancel3 := context.WithCancel(context.Background())
		cancel3()
		if err := d2.Restart(ctx3, "p1", runtime.RestartOptions{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Restart with a cancelled context = %v, want context.Canceled", err)
		}
		if info := mustPhone(t, d2, "p1"); info.State != runtime.StateRunning || info.BootCount != 1 {
			t.Errorf("after Restart with a cancelled context: %+v, want untouched", info)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	// Exercises the locking under the race detector.
	ctx := context.Background()
	d := sim.New(sim.Config{FailureRate: 0.3, Rand: rand.New(rand.NewPCG(3, 4))})
	var wg sync.WaitGroup
	for i := range 8 {
		id := string(rune('a' + i%4))
		wg.Go(func() {
			_ = d.EnsurePhone(ctx, runtime.PhoneSpec{ID: id, Running: true})
			for range 50 {
				_ = d.Restart(ctx, id, runtime.RestartOptions{Property: map[string]string{"k": id}})
				_ = d.Stop(ctx, id)
				_ = d.Reset(ctx, id, runtime.RestartOptions{})
				_, _ = d.Phones(ctx)
				_ = d.WriteFile(ctx, id, "/sdcard/f", []byte(id))
			}
		})
	}
	wg.Wait()
	phones, err := d.Phones(ctx)
	if err != nil || len(phones) != 4 {
		t.Fatalf("Phones = %d phones, %v; want 4", len(phones), err)
	}
}
