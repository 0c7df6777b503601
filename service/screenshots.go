package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

// ShowPhoneScreenshot implements cph.PhoneService.
//
// A capture travels as an OpScreenshot operation through the engine to
// the agent of the phone's server, like any phone operation, and comes
// back in its result, which the engine stores in phone_screenshots. A
// capture younger than cph.ScreenshotFresh is answered as it is, on any
// replica; concurrent callers of one replica for one phone share one
// request (keyed by project and phone), and a request finds a capture
// already queued for the phone (by any replica) and waits for it instead
// of queueing another.
func (s *Services) ShowPhoneScreenshot(ctx context.Context, id string) (*cph.PhoneScreenshot, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if !cph.ValidID(id) {
		return nil, cph.ErrInvalidPhoneID()
	}
	ph, err := s.db.PhoneByID(ctx, p.ProjectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, cph.ErrPhoneNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("screenshot of phone %s: %w", id, err)
	}
	if ph.Status != cph.PhoneRunning {
		return nil, cph.ErrPhoneNotRunning(ph.Status)
	}
	// The shared capture is not bound to the first caller's context:
	// each caller waits for it only as long as its own context lasts, and
	// the capture itself is bounded by Config.ScreenshotWait.
	ch := s.screenshots.DoChan(p.ProjectID+"/"+ph.ID, func() (any, error) {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ScreenshotWait)
		defer cancel()
		return s.captureScreenshot(sctx, p.ProjectID, ph)
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("screenshot of phone %s: %w", id, context.Cause(ctx))
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*cph.PhoneScreenshot), nil
	}
}

// captureScreenshot answers a fresh stored capture of ph, or has one
// taken and waits for it until ctx ends.
func (s *Services) captureScreenshot(ctx context.Context, projectID string, ph *cph.Phone) (*cph.PhoneScreenshot, error) {
	if shot, ok, err := s.storedScreenshot(ctx, projectID, ph.ID, s.db.Now().Add(-cph.ScreenshotFresh)); err != nil || ok {
		return shot, err
	}
	jobID, open, err := s.db.OpenScreenshotJob(ctx, ph.ServerID, ph.ID)
	if err != nil {
		return nil, err
	}
	if !open {
		acc, err := s.engine.SubmitPhones(ctx, engine.PhoneBatch{ProjectID: projectID, Kind: cph.OpScreenshot,
			Phones: []cph.PhoneRef{{PhoneID: ph.ID}}, Args: json.RawMessage(`{}`)})
		if err != nil {
			return nil, fmt.Errorf("screenshot of phone %s: %w", ph.ID, err)
		}
		item := acc.Jobs[0]
		switch item.ErrorCode {
		case "":
		case cph.CodeStatusNotAllowed:
			return nil, cph.ErrPhoneNotRunning(s.phoneStatus(ctx, projectID, ph))
		default:
			return nil, cph.Ef(item.ErrorCode, "%s", item.ErrorMsg)
		}
		jobID = item.JobID
	}
	for {
		j, err := s.db.JobByID(ctx, projectID, jobID)
		if err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("screenshot of phone %s: job %s: %w", ph.ID, jobID, err)
		}
		switch {
		case err != nil:
		case j.Status == cph.JobSucceeded:
			shot, ok, err := s.storedScreenshot(ctx, projectID, ph.ID, j.BeginTime.Time.Add(-time.Second))
			if err != nil || ok {
				return shot, err
			}
			return nil, cph.ErrPhoneNoAnswer("the capture is gone.")
		case j.Status == cph.JobFailed:
			why := "the capture failed."
			if j.ErrorMsg != nil {
				why = *j.ErrorMsg
			}
			return nil, cph.ErrPhoneNoAnswer(why)
		}
		t := time.NewTimer(syncPollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, cph.ErrPhoneNoAnswer(fmt.Sprintf("no screenshot arrived within %s.", s.cfg.ScreenshotWait))
		case <-t.C:
		}
	}
}

// storedScreenshot returns the stored capture of phone phoneID of
// projectID if it was taken after since.
func (s *Services) storedScreenshot(ctx context.Context, projectID, phoneID string, since time.Time) (*cph.PhoneScreenshot, bool, error) {
	shot, err := s.db.Screenshot(ctx, projectID, phoneID)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("screenshot of phone %s: %w", phoneID, err)
	}
	if !shot.TakenAt.After(since) {
		return nil, false, nil
	}
	return &cph.PhoneScreenshot{PNG: shot.PNG, TakenAt: shot.TakenAt}, true, nil
}

// phoneStatus returns ph's status as it is now, or as it was read.
func (s *Services) phoneStatus(ctx context.Context, projectID string, ph *cph.Phone) cph.PhoneStatus {
	if cur, err := s.db.PhoneByID(ctx, projectID, ph.ID); err == nil {
		return cur.Status
	}
	return ph.Status
}
