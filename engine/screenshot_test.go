package engine_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

// A screenshot result stores its PNG for the phone's project, refuses one
// that is not a PNG, and leaves the phone's status and the job lists alone.
func TestScreenshotResults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{})
	ctx := context.Background()
	acc, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpScreenshot,
		Phones: refs(e.phones[0], e.phones[1], e.phones[2]), Args: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Jobs[2].ErrorCode != cph.CodeStatusNotAllowed {
		t.Errorf("screenshot of a stopped phone: %+v", acc.Jobs[2])
	}
	if st := e.phone(t, e.phones[0]).Status; st != cph.PhoneRunning {
		t.Errorf("a phone being captured has status %d, want 2", st)
	}
	session := e.session(t)
	byPhone := e.pollOps(t, session, 2)
	pngData := []byte("\x89PNG\r\n\x1a\nrest of the image")
	errs, err := e.eng.ApplyResults(ctx, e.server, session, []engine.OpResult{
		{OperationID: byPhone[e.phones[0]], Result: engine.Result{Success: true, Screenshot: pngData}},
		{OperationID: byPhone[e.phones[1]], Result: engine.Result{Success: true, Screenshot: []byte("GIF89a")}},
	})
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("ApplyResults = %v, %v", errs, err)
	}
	if j := e.job(t, acc.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Errorf("job of a PNG: %+v", j)
	}
	shot, err := e.db.Screenshot(ctx, e.project, e.phones[0])
	if err != nil || !bytes.Equal(shot.PNG, pngData) || !shot.TakenAt.Equal(e.clock.Now()) {
		t.Errorf("stored screenshot = %+v, %v", shot, err)
	}
	if _, err := e.db.Screenshot(ctx, cph.NewID(), e.phones[0]); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("the screenshot read for another project: %v, want not found", err)
	}
	j := e.job(t, acc.Jobs[1].JobID)
	if j.Status != cph.JobFailed || j.ErrorCode == nil || *j.ErrorCode != cph.CodeJobFailed {
		t.Errorf("job of a capture that is no PNG: %+v", j)
	}
	if _, err := e.db.Screenshot(ctx, e.project, e.phones[1]); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("a capture that is no PNG was stored: %v", err)
	}
	if jobs, err := e.db.ListJobs(ctx, e.project, []string{acc.RequestID}, 0, 100); err != nil || len(jobs) != 0 {
		t.Errorf("ListJobs of a screenshot request = %d jobs, %v; want none", len(jobs), err)
	}
}

// Each capture of a phone deletes its screenshot jobs that ended more than
// a minute before, so a phone viewed all day leaves a few, not thousands.
func TestScreenshotJobsPruned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, engine.Config{})
	ctx := context.Background()
	session := e.session(t)
	capture := func() string {
		t.Helper()
		acc, err := e.eng.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: e.project, Kind: cph.OpScreenshot, Phones: refs(e.phones[0]), Args: []byte(`{}`)})
		if err != nil || acc.Jobs[0].JobID == "" {
			t.Fatalf("submit: %v, %+v", err, acc)
		}
		op := e.pollOps(t, session, 1)[e.phones[0]]
		if errs, err := e.eng.ApplyResults(ctx, e.server, session, []engine.OpResult{
			{OperationID: op, Result: engine.Result{Success: true, Screenshot: []byte("\x89PNG\r\n\x1a\n")}}}); err != nil || errs[0] != nil {
			t.Fatalf("ApplyResults = %v, %v", errs, err)
		}
		return acc.Jobs[0].JobID
	}
	first := capture()
	e.clock.Add(30 * time.Second)
	second := capture()
	if _, err := e.db.JobByID(ctx, e.project, first); err != nil {
		t.Errorf("a screenshot job that ended 30 s ago was pruned: %v", err)
	}
	e.clock.Add(45 * time.Second)
	capture()
	if _, err := e.db.JobByID(ctx, e.project, first); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("a screenshot job that ended 75 s ago: %v, want pruned", err)
	}
	if _, err := e.db.JobByID(ctx, e.project, second); err != nil {
		t.Errorf("a screenshot job that ended 45 s ago was pruned: %v", err)
	}
}
