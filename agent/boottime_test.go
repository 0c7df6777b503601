package agent_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// TestBootTimeOfTheOperation checks that the boot time an operation's
// arguments carry (a project's or phone's simulated boot time) reaches
// the driver: phones of a driver that boots for an hour restart and reset
// at once, with strict and with loose arguments.
func TestBootTimeOfTheOperation(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1), runningPhone("p2", 2))
	d := sim.New(sim.Config{BootTime: time.Hour})
	for _, id := range []string{"p1", "p2"} {
		if err := d.EnsurePhone(context.Background(), runtime.PhoneSpec{ID: id, Running: true}); err != nil {
			t.Fatal(err)
		}
	}
	startAgent(t, []string{cp.server.URL}, d, nil)
	instant := int64(0)
	cp.enqueue(
		restartOp("op1", "p1", &cph.RestartArgs{BootTimeMS: &instant}),
		cph.Operation{ID: "op2", JobID: "job-op2", PhoneID: "p2", Kind: cph.OpResetPhone,
			Args: json.RawMessage(`{"property":{"com.cph.mainkeys":1},"boot_time_ms":0,"factory":true}`)},
	)
	for _, id := range []string{"op1", "op2"} {
		if r := cp.waitResult(id); !r.Success {
			t.Errorf("result of %s = %+v, want success", id, r.Result)
		}
	}
	if p := phoneInfo(t, d, "p2"); p.State != runtime.StateRunning || p.Property["com.cph.mainkeys"] != "1" {
		t.Errorf("p2 = %+v, want running with the reset's property", p)
	}
}
