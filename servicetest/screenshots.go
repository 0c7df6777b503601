package servicetest

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
)

// Size of a simulated phone's screen (runtime/sim).
const simScreenWidth, simScreenHeight = 360, 640

func testPhoneScreenshots(t *testing.T, env *Env) {
	a := env.Admin
	ph := runningPhone(t, a)
	start := env.ControlPlane.DB().Now()

	shot, err := a.S.ShowPhoneScreenshot(a.Ctx, ph.ID)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot.PNG))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(simScreenWidth, simScreenHeight) {
		t.Errorf("the screenshot is %v, want %dx%d", got, simScreenWidth, simScreenHeight)
	}
	// Recent: taken for this call or, at most, shortly before it.
	if shot.TakenAt.Before(start.Add(-cph.ScreenshotFresh-time.Second)) || shot.TakenAt.After(env.ControlPlane.DB().Now().Add(time.Second)) {
		t.Errorf("taken at %v, the call started at %v", shot.TakenAt, start)
	}

	// A second viewer shares the capture while it is fresh; a new capture
	// is taken only once it is not.
	again, err := a.S.ShowPhoneScreenshot(a.Ctx, ph.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !again.TakenAt.Equal(shot.TakenAt) && again.TakenAt.Before(shot.TakenAt.Add(cph.ScreenshotFresh)) {
		t.Errorf("a second capture at %v, %v after the first one", again.TakenAt, again.TakenAt.Sub(shot.TakenAt))
	}

	t.Run("read-only users view", func(t *testing.T) {
		ro, err := env.ReadOnly.S.ShowPhoneScreenshot(env.ReadOnly.Ctx, ph.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(ro.PNG)); err != nil {
			t.Errorf("a read-only user's screenshot is not a PNG: %v", err)
		}
	})
	t.Run("other accounts cannot", func(t *testing.T) {
		_, err := env.Other.S.ShowPhoneScreenshot(env.Other.Ctx, ph.ID)
		wantCode(t, "another account's phone", err, cph.CodePhoneNotFound)
		_, err = a.S.ShowPhoneScreenshot(a.Ctx, cph.NewID())
		wantCode(t, "unknown phone", err, cph.CodePhoneNotFound)
		_, err = a.S.ShowPhoneScreenshot(a.Ctx, "not an id!")
		wantCode(t, "malformed id", err, cph.CodeInvalidPhoneID)
	})
	t.Run("not in job lists", func(t *testing.T) {
		jobs, err := env.ControlPlane.DB().JobsOfPhone(a.Ctx, env.ProjectID, ph.ID, cph.OpScreenshot, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 0 {
			t.Fatal("no screenshot job was recorded")
		}
		for _, j := range jobs {
			listed, err := a.S.ListJobs(a.Ctx, cph.JobFilter{RequestIDs: []string{j.RequestID}, Limit: cph.MaxJobPage})
			if err != nil {
				t.Fatal(err)
			}
			if len(listed) != 0 {
				t.Errorf("ListJobs of a screenshot's request: %+v", listed)
			}
			_, err = a.S.ShowJob(a.Ctx, j.ID)
			wantCode(t, "ShowJob of a screenshot's job", err, cph.CodeJobNotFound)
		}
	})
	t.Run("stopped phones refused", func(t *testing.T) {
		res, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: cph.OpStopPhone, Phones: []cph.PhoneRef{{PhoneID: ph.ID}}})
		if err != nil || len(res.Jobs) != 1 || res.Jobs[0].ErrorCode != "" {
			t.Fatalf("stop: %v, %+v", err, res)
		}
		untilTrue(t, "the phone stopped", func() (bool, error) {
			d, err := a.S.ShowPhone(a.Ctx, ph.ID)
			return err == nil && d.Status == cph.PhoneStopped, err
		})
		_, err = a.S.ShowPhoneScreenshot(a.Ctx, ph.ID)
		wantCode(t, "a stopped phone", err, cph.CodePhoneNotRunning)
		_, err = env.ReadOnly.S.ShowPhoneScreenshot(env.ReadOnly.Ctx, ph.ID)
		wantCode(t, "a stopped phone, read-only user", err, cph.CodePhoneNotRunning)
		if _, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: cph.OpRestartPhone, Phones: []cph.PhoneRef{{PhoneID: ph.ID}}}); err != nil {
			t.Fatal(err)
		}
	})
}
