package agent_test

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// heldDriver is a simulated runtime whose restarts wait until release is
// closed, and whose screenshots may be replaced by a fixed answer.
type heldDriver struct {
	*sim.Driver
	release chan struct{}
	shot    []byte // if set, every screenshot's answer
}

func (d *heldDriver) Restart(ctx context.Context, id string, opts runtime.RestartOptions) error {
	select {
	case <-d.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return d.Driver.Restart(ctx, id, opts)
}

func (d *heldDriver) Screenshot(ctx context.Context, id string) ([]byte, error) {
	if d.shot != nil {
		return d.shot, nil
	}
	return d.Driver.Screenshot(ctx, id)
}

func screenshotOp(id, phone string) cph.Operation {
	return cph.Operation{ID: id, JobID: "job-" + id, ServerID: "server-1", PhoneID: phone, Kind: cph.OpScreenshot}
}

// A screenshot is not queued behind a long operation of its phone, and its
// result carries the PNG.
func TestScreenshotBesideALongOperation(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1))
	d := &heldDriver{Driver: sim.New(sim.Config{}), release: make(chan struct{})}
	startAgent(t, []string{cp.server.URL}, d, nil)
	cp.enqueue(restartOp("restart", "p1", nil), screenshotOp("shot", "p1"))

	r := cp.waitResult("shot")
	if !r.Success {
		t.Fatalf("screenshot result = %+v", r.Result)
	}
	if _, err := png.Decode(bytes.NewReader(r.Screenshot)); err != nil {
		t.Errorf("the result's screenshot is not a PNG: %v", err)
	}
	for _, done := range cp.resultsSnapshot() {
		if done.OpID == "restart" {
			t.Error("the restart finished before it was released")
		}
	}
	close(d.release)
	if r := cp.waitResult("restart"); !r.Success {
		t.Errorf("restart result = %+v", r.Result)
	}
}

// A capture over cph.MaxScreenshotBytes is refused by the agent, not sent.
func TestScreenshotTooLargeRefused(t *testing.T) {
	cp := newFakeCP(t, runningPhone("p1", 1))
	d := &heldDriver{Driver: sim.New(sim.Config{}), release: make(chan struct{}), shot: make([]byte, cph.MaxScreenshotBytes+1)}
	startAgent(t, []string{cp.server.URL}, d, nil)
	cp.enqueue(screenshotOp("shot", "p1"))
	r := cp.waitResult("shot")
	if r.Success || len(r.Screenshot) != 0 || !strings.Contains(r.ErrorMsg, "more than") {
		t.Errorf("result of an oversized capture = success %v, %d bytes, %q", r.Success, len(r.Screenshot), r.ErrorMsg)
	}
}
