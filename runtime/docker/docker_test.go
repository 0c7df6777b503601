package docker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/docker"
	"github.com/opencph/opencph/runtime/docker/phonestub"
)

// stubImage is the stand-in image built for this test binary ("" when
// there is no Engine).
var stubImage string

func TestMain(m *testing.M) {
	code := func() int {
		ctx := context.Background()
		cli, err := phonestub.EngineOrError(ctx)
		if err != nil {
			if os.Getenv("CI") == "true" {
				fmt.Fprintln(os.Stderr, "Docker Engine needed under CI:", err)
				return 1
			}
			return m.Run() // tests skip
		}
		defer cli.Close()
		stubImage, err = phonestub.Build(ctx, cli, phonestub.Options{BootDelay: 150 * time.Millisecond})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer phonestub.Remove(context.Background(), cli, stubImage)
		return m.Run()
	}()
	os.Exit(code)
}

var serverSeq atomic.Int64

// newDriver returns a driver for a fresh server id on the real Engine;
// the test's containers and volumes are removed when it ends.
func newDriver(t *testing.T, mod func(*docker.Config)) (*docker.Driver, *client.Client, docker.Config) {
	t.Helper()
	return newDriverTB(t, mod)
}

// newDriverTB is newDriver for tests and benchmarks.
func newDriverTB(t testing.TB, mod ...func(*docker.Config)) (*docker.Driver, *client.Client, docker.Config) {
	t.Helper()
	cli := phonestub.Engine(t)
	server := fmt.Sprintf("t%d-%d", os.Getpid(), serverSeq.Add(1))
	cfg := docker.Config{
		ServerID: server, Images: map[string]string{"img-stub": stubImage},
		PortMin: 41000, PortMax: 41999,
		Labels:   map[string]string{phonestub.TestLabel: "1"},
		BootPoll: 20 * time.Millisecond, BootTimeout: 20 * time.Second, StopTimeout: time.Second,
	}
	for _, m := range mod {
		if m != nil {
			m(&cfg)
		}
	}
	t.Cleanup(func() {
		if err := phonestub.RemoveLabelled(context.Background(), cli, docker.LabelServer, server); err != nil {
			t.Error(err)
		}
	})
	d, err := docker.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, cli, cfg
}

func shell(t *testing.T, d *docker.Driver, id, cmd string) string {
	t.Helper()
	res, err := d.Shell(context.Background(), id, cmd)
	if err != nil {
		t.Fatalf("shell %q: %v", cmd, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("shell %q: exit %d: %s", cmd, res.ExitCode, res.Output)
	}
	return res.Output
}

// waitState waits (bounded) until the phone reaches state.
func waitState(t *testing.T, d *docker.Driver, id string, want runtime.State) runtime.PhoneInfo {
	t.Helper()
	var info runtime.PhoneInfo
	var err error
	if !poll.Wait(t, 20*time.Second, func() bool {
		info, err = d.Phone(context.Background(), id)
		return err == nil && info.State == want
	}) {
		t.Fatalf("phone %s: state %s (err %v, last error %q), want %s", id, info.State, err, info.LastError, want)
	}
	return info
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	d, cli, cfg := newDriver(t, nil)
	spec := runtime.PhoneSpec{ID: "p1", Name: "phone-1", Index: 1, ImageID: "img-stub", Running: true,
		Property:  map[string]string{"ro.product.model": "opencph-test"},
		Resources: runtime.Resources{CPUs: 64, MemoryMB: 512, Width: 720, Height: 1280, DPI: 320, FPS: 30}}
	if err := d.EnsurePhone(ctx, spec); err != nil {
		t.Fatal(err)
	}
	info := waitState(t, d, "p1", runtime.StateRunning)
	if c, v, err := phonestub.Count(ctx, cli, docker.LabelServer, cfg.ServerID); err != nil || c != 1 || v != 1 {
		t.Fatalf("labelled: %d containers, %d volumes, %v", c, v, err)
	}
	if info.Access.Port < 41000 || info.Access.Port > 41999 || info.Access.IP != "127.0.0.1" || info.Access.IntranetIP == "" {
		t.Fatalf("access %+v", info.Access)
	}
	// EnsurePhone again changes nothing.
	if err := d.EnsurePhone(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if got := shell(t, d, "p1", "getprop ro.boot.redroid_width; getprop ro.boot.redroid_dpi; getprop ro.product.model"); got != "720\n320\nopencph-test\n" {
		t.Fatalf("boot args as properties: %q", got)
	}
	ins, err := cli.ContainerInspect(ctx, "opencph-"+cfg.ServerID+"-p1", client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := ins.Container.HostConfig
	if hc.Memory != 512<<20 || hc.NanoCPUs <= 0 || hc.NanoCPUs > 64e9 {
		t.Fatalf("limits: memory %d nano-cpus %d", hc.Memory, hc.NanoCPUs)
	}
	shell(t, d, "p1", "echo kept > /data/local/tmp/file")

	// Restart keeps /data and boots again.
	if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := shell(t, d, "p1", "cat /data/local/tmp/file"); got != "kept\n" {
		t.Fatalf("after restart: %q", got)
	}
	// Restart with a property recreates the container with it.
	if err := d.Restart(ctx, "p1", runtime.RestartOptions{Property: map[string]string{"ro.build.product": "x1"}}); err != nil {
		t.Fatal(err)
	}
	if got := shell(t, d, "p1", "getprop ro.build.product; cat /data/local/tmp/file"); got != "x1\nkept\n" {
		t.Fatalf("after restart with property: %q", got)
	}
	info, _ = d.Phone(ctx, "p1")
	if info.BootCount != 3 || info.Property["ro.build.product"] != "x1" {
		t.Fatalf("info %+v", info)
	}

	// Stop, then a shell is refused.
	if err := d.Stop(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if info, _ := d.Phone(ctx, "p1"); info.State != runtime.StateStopped {
		t.Fatalf("after stop: %s", info.State)
	}
	if _, err := d.Shell(ctx, "p1", "true"); !errors.Is(err, runtime.ErrNotRunning) {
		t.Fatalf("shell on a stopped phone: %v", err)
	}
	// Reset wipes /data and starts the phone.
	if err := d.Reset(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	if res, _ := d.Shell(ctx, "p1", "cat /data/local/tmp/file"); res.ExitCode == 0 {
		t.Fatalf("file survived the reset: %q", res.Output)
	}
	if got := shell(t, d, "p1", "getprop ro.build.product; getprop ro.product.model"); got != "\nopencph-test\n" {
		t.Fatalf("properties after reset: %q", got)
	}

	// RemovePhone removes container and volume.
	if err := d.RemovePhone(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if c, v, err := phonestub.Count(ctx, cli, docker.LabelServer, cfg.ServerID); err != nil || c != 0 || v != 0 {
		t.Fatalf("after RemovePhone: %d containers, %d volumes, %v", c, v, err)
	}
	if _, err := d.Phone(ctx, "p1"); !errors.Is(err, runtime.ErrNoSuchPhone) {
		t.Fatalf("removed phone: %v", err)
	}
}

func TestBootTimeoutAndUnknownImage(t *testing.T) {
	ctx := context.Background()
	d, _, _ := newDriver(t, func(c *docker.Config) { c.BootTimeout = 50 * time.Millisecond })
	if err := d.EnsurePhone(ctx, runtime.PhoneSpec{ID: "p1", Index: 1, ImageID: "img-stub"}); err != nil {
		t.Fatal(err)
	}
	err := d.Restart(ctx, "p1", runtime.RestartOptions{})
	if err == nil || !strings.Contains(err.Error(), "boot timeout") {
		t.Fatalf("restart: %v", err)
	}
	if info, _ := d.Phone(ctx, "p1"); info.State != runtime.StateFailed || !strings.Contains(info.LastError, "boot timeout") {
		t.Fatalf("after a boot timeout: %+v", info)
	}
	err = d.EnsurePhone(ctx, runtime.PhoneSpec{ID: "p2", Index: 2, ImageID: "img-none", Running: true})
	if err == nil || !strings.Contains(err.Error(), `CPH image "img-none" has no container image`) {
		t.Fatalf("unknown image: %v", err)
	}
	err = d.Restart(ctx, "p2", runtime.RestartOptions{})
	if err == nil || !strings.Contains(err.Error(), `CPH image "img-none" has no container image`) {
		t.Fatalf("restart with an unknown image: %v", err)
	}
}
