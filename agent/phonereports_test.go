package agent_test

import (
	"context"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agent"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// specDriver is the simulated runtime, recording the specs it is given.
type specDriver struct {
	*sim.Driver
	specs chan runtime.PhoneSpec
}

func (d *specDriver) EnsurePhone(ctx context.Context, spec runtime.PhoneSpec) error {
	d.specs <- spec
	return d.Driver.EnsurePhone(ctx, spec)
}

// TestUnknownPhonesAndResources: the runtime's phones that the control
// plane does not know are left alone by default and removed with
// RemoveUnknownPhones; a phone's flavor reaches the runtime as resources.
func TestUnknownPhonesAndResources(t *testing.T) {
	for _, remove := range []bool{false, true} {
		cp := newFakeCP(t, agentproto.Phone{ID: "known", Index: 1, Status: cph.PhoneRunning, Model: "rx1.cp.c60.d46.e1v1"})
		d := &specDriver{Driver: sim.New(sim.Config{}), specs: make(chan runtime.PhoneSpec, 10)}
		if err := d.Driver.EnsurePhone(context.Background(), runtime.PhoneSpec{ID: "orphan", Index: 9, Running: true}); err != nil {
			t.Fatal(err)
		}
		stop := startAgent(t, []string{cp.server.URL}, d, func(c *agent.Config) { c.RemoveUnknownPhones = remove })
		spec := <-d.specs
		want := runtime.Resources{Model: "rx1.cp.c60.d46.e1v1", CPUs: 2, MemoryMB: 2048, Width: 720, Height: 1280, DPI: 320, FPS: 30}
		if spec.ID != "known" || spec.Resources != want {
			t.Errorf("spec %+v, want resources %+v", spec, want)
		}
		poll.Within(t, deadline, "the session to be set up", func() bool {
			phones, _ := d.Phones(context.Background())
			_, err := d.Phone(context.Background(), "known")
			return err == nil && (len(phones) == 2) != remove
		})
		stop()
		_, err := d.Phone(context.Background(), "orphan")
		if gone := err != nil; gone != remove {
			t.Errorf("RemoveUnknownPhones=%v: orphan gone = %v", remove, gone)
		}
	}
}
