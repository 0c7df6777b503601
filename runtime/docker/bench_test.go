package docker_test

import (
	"context"
	"fmt"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/docker"
	"github.com/opencph/opencph/runtime/docker/phonestub"
)

// BenchmarkRestart compares a phone restart through the driver with the
// same container restart through the Engine API directly followed by
// the boot-completed wait the driver does (exec getprop
// sys.boot_completed every BootPoll until it says 1), in one run.
func BenchmarkRestart(b *testing.B) {
	ctx := context.Background()
	d, cli, cfg := newDriverTB(b)
	if err := d.EnsurePhone(ctx, runtime.PhoneSpec{ID: "p1", Index: 1, ImageID: "img-stub", Running: true}); err != nil {
		b.Fatal(err)
	}
	waitRunningB(b, d, "p1")
	name := "opencph-" + cfg.ServerID + "-p1"
	b.Run("opencph", func(b *testing.B) {
		for b.Loop() {
			if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		timeout := int(cfg.StopTimeout / time.Second)
		for b.Loop() {
			if _, err := cli.ContainerRestart(ctx, name, client.ContainerRestartOptions{Timeout: &timeout}); err != nil {
				b.Fatal(err)
			}
			for !phonestub.BootCompleted(ctx, cli, name) {
				time.Sleep(cfg.BootPoll)
			}
		}
	})
}

// BenchmarkBatchRestart50 restarts 50 phones of one server at once (5
// with -short) and reports the wall time of the batch and the driver's
// heap per phone.
func BenchmarkBatchRestart50(b *testing.B) {
	n := 50
	if testing.Short() {
		n = 5
	}
	ctx := context.Background()
	var before goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	d, _, _ := newDriverTB(b)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%02d", i+1)
		if err := d.EnsurePhone(ctx, runtime.PhoneSpec{ID: ids[i], Index: i + 1, ImageID: "img-stub", Running: true}); err != nil {
			b.Fatal(err)
		}
	}
	for _, id := range ids {
		waitRunningB(b, d, id)
	}
	var after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	heapPerPhone := float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / float64(n)
	b.ResetTimer()
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for _, id := range ids {
			wg.Go(func() {
				if err := d.Restart(ctx, id, runtime.RestartOptions{}); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "phones/batch")
	b.ReportMetric(heapPerPhone, "heap-B/phone")
}

func waitRunningB(b *testing.B, d *docker.Driver, id string) {
	b.Helper()
	var info runtime.PhoneInfo
	if !poll.Wait(b, 60*time.Second, func() bool {
		var err error
		info, err = d.Phone(context.Background(), id)
		return err == nil && info.State == runtime.StateRunning
	}) {
		b.Fatalf("phone %s: %s %q", id, info.State, info.LastError)
	}
}
