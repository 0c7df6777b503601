package servicetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
)

// testStandIn covers the stand-in extensions: simulated boot times, the
// wait for jobs and the project reset. Its parts run one after another:
// they change the whole project.
func testStandIn(t *testing.T, env *Env) {
	a, ro, o := env.Admin, env.ReadOnly, env.Other
	phones := func(t *testing.T, c Caller) []*cph.Phone {
		t.Helper()
		page, err := c.S.ListPhones(c.Ctx, cph.PhoneFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return page.Phones
	}
	allRunning := func(t *testing.T, c Caller) {
		t.Helper()
		untilTrue(t, "every phone running", func() (bool, error) {
			for _, p := range phones(t, c) {
				if p.Status != cph.PhoneRunning {
					return false, nil
				}
			}
			return true, nil
		})
	}
	restart := func(t *testing.T, ids ...string) *cph.BatchResult {
		t.Helper()
		refs := make([]cph.PhoneRef, len(ids))
		for i, id := range ids {
			refs[i] = cph.PhoneRef{PhoneID: id}
		}
		res, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: cph.OpRestartPhone, Phones: refs})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range res.Jobs {
			if j.ErrorCode != "" {
				t.Fatalf("restart refused: %+v", j)
			}
		}
		return res
	}
	status := func(t *testing.T, id string) cph.PhoneStatus {
		t.Helper()
		d, err := a.S.ShowPhone(a.Ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status
	}
	allRunning(t, a)
	ps := phones(t, a)
	if len(ps) < 3 {
		t.Fatalf("the project has %d phones, want 3 or more", len(ps))
	}

	t.Run("sim settings", func(t *testing.T) {
		s, err := a.S.ShowSimSettings(a.Ctx, "")
		if err != nil || s.BootTimeMS != nil {
			t.Fatalf("project settings before any was set: %v, %+v", err, s)
		}
		zero := int64(0)
		if s, err = a.S.SetSimSettings(a.Ctx, "", cph.SimSettings{BootTimeMS: &zero}); err != nil || s.BootTimeMS == nil || *s.BootTimeMS != 0 {
			t.Fatalf("set the project's boot time: %v, %+v", err, s)
		}
		if s, err = ro.S.ShowSimSettings(ro.Ctx, ps[0].ID); err != nil || s.BootTimeMS != nil || s.EffectiveBootTimeMS == nil || *s.EffectiveBootTimeMS != 0 {
			t.Errorf("a phone without its own setting: %v, %+v", err, s)
		}
		neg, tooLong := int64(-1), cph.MaxSimBootTime.Milliseconds()+1
		_, err = ro.S.SetSimSettings(ro.Ctx, "", cph.SimSettings{BootTimeMS: &zero})
		wantCode(t, "a read-only user", err, cph.CodeForbidden)
		_, err = a.S.SetSimSettings(a.Ctx, "", cph.SimSettings{BootTimeMS: &neg})
		wantCode(t, "a negative boot time", err, cph.CodeInvalidParameter)
		_, err = a.S.SetSimSettings(a.Ctx, ps[0].ID, cph.SimSettings{BootTimeMS: &tooLong})
		wantCode(t, "a boot time over the maximum", err, cph.CodeInvalidParameter)
		_, err = a.S.ShowSimSettings(a.Ctx, cph.NewID())
		wantCode(t, "an unknown phone", err, cph.CodePhoneNotFound)
		_, err = o.S.SetSimSettings(o.Ctx, ps[0].ID, cph.SimSettings{BootTimeMS: &zero})
		wantCode(t, "another account's phone", err, cph.CodePhoneNotFound)
		if s, err := o.S.ShowSimSettings(o.Ctx, ""); err != nil || s.BootTimeMS != nil {
			t.Errorf("another account's project settings: %v, %+v", err, s)
		}
	})

	t.Run("instant boot", func(t *testing.T) {
		// The project boots at once (set above): once the wait returns,
		// the job has succeeded and the phone runs.
		res := restart(t, ps[0].ID)
		w, err := a.S.WaitForJobs(a.Ctx, cph.JobWait{RequestID: res.RequestID, Timeout: cph.MaxJobWait})
		if err != nil || !w.Final || len(w.Jobs) != 1 || w.Jobs[0].Status != cph.JobSucceeded || w.Jobs[0].ID != res.Jobs[0].JobID {
			t.Fatalf("wait for the restart: %v, %+v", err, w)
		}
		if st := status(t, ps[0].ID); st != cph.PhoneRunning {
			t.Errorf("the phone's status right after its restart's wait = %d, want running", st)
		}
	})

	t.Run("a phone's long boot time", func(t *testing.T) {
		long := cph.MaxSimBootTime.Milliseconds()
		if _, err := a.S.SetSimSettings(a.Ctx, ps[1].ID, cph.SimSettings{BootTimeMS: &long}); err != nil {
			t.Fatal(err)
		}
		s, err := a.S.ShowSimSettings(a.Ctx, ps[1].ID)
		if err != nil || s.BootTimeMS == nil || *s.BootTimeMS != long || *s.EffectiveBootTimeMS != long {
			t.Fatalf("the phone's settings: %v, %+v", err, s)
		}
		res := restart(t, ps[1].ID, ps[2].ID)
		quick, err := a.S.WaitForJobs(a.Ctx, cph.JobWait{JobID: res.Jobs[1].JobID, Timeout: cph.MaxJobWait})
		if err != nil || !quick.Final || len(quick.Jobs) != 1 || quick.Jobs[0].Status != cph.JobSucceeded {
			t.Fatalf("wait for the quick phone's job: %v, %+v", err, quick)
		}
		if st := status(t, ps[2].ID); st != cph.PhoneRunning {
			t.Errorf("the quick phone's status = %d, want running", st)
		}
		// The slow phone is still booting: the wait times out with the
		// jobs as they are.
		w, err := ro.S.WaitForJobs(ro.Ctx, cph.JobWait{RequestID: res.RequestID, Timeout: 200 * time.Millisecond})
		if err != nil || w.Final || len(w.Jobs) != 2 {
			t.Fatalf("wait for both: %v, %+v", err, w)
		}
		if w.Jobs[0].Status != cph.JobRunning || w.Jobs[1].Status != cph.JobSucceeded {
			t.Errorf("jobs after the timeout: %v and %v, want running and succeeded", w.Jobs[0].Status, w.Jobs[1].Status)
		}
		if st := status(t, ps[1].ID); st != cph.PhoneRestarting {
			t.Errorf("the slow phone's status = %d, want restarting", st)
		}
		// Each user holds a bounded number of waits at once.
		wctx, cancel := context.WithCancel(a.Ctx)
		var wg sync.WaitGroup
		for range cph.MaxJobWaitsPerUser {
			wg.Go(func() {
				// A wait refused while a probe below holds a place asks
				// again: every one of them ends up holding one.
				for wctx.Err() == nil {
					_, _ = a.S.WaitForJobs(wctx, cph.JobWait{RequestID: res.RequestID, Timeout: cph.MaxJobWait})
				}
			})
		}
		untilTrue(t, "a wait over the user's bound refused", func() (bool, error) {
			_, err := a.S.WaitForJobs(a.Ctx, cph.JobWait{RequestID: res.RequestID, Timeout: time.Millisecond})
			return code(err) == cph.CodeTooManyRequests, nil
		})
		if _, err := ro.S.WaitForJobs(ro.Ctx, cph.JobWait{RequestID: res.RequestID, Timeout: time.Millisecond}); err != nil {
			t.Errorf("another user's wait meanwhile: %v", err)
		}
		cancel()
		wg.Wait()
		untilTrue(t, "the user's waits given back", func() (bool, error) {
			_, err := a.S.WaitForJobs(a.Ctx, cph.JobWait{RequestID: res.RequestID, Timeout: time.Millisecond})
			return err == nil, nil
		})
		// Another account cannot see the request.
		if w, err := o.S.WaitForJobs(o.Ctx, cph.JobWait{RequestID: res.RequestID}); err != nil || !w.Final || len(w.Jobs) != 0 {
			t.Errorf("another account waits for the request: %v, %+v", err, w)
		}
		_, err = o.S.WaitForJobs(o.Ctx, cph.JobWait{JobID: res.Jobs[0].JobID})
		wantCode(t, "another account's job", err, cph.CodeJobNotFound)
	})

	t.Run("wait refusals", func(t *testing.T) {
		if w, err := a.S.WaitForJobs(a.Ctx, cph.JobWait{RequestID: cph.NewID()}); err != nil || !w.Final || len(w.Jobs) != 0 {
			t.Errorf("an unknown request: %v, %+v", err, w)
		}
		refusals(t, a.Ctx, a.S.WaitForJobs, []refusal[cph.JobWait]{
			{"neither id", cph.JobWait{}, cph.CodeInvalidRequestID},
			{"both ids", cph.JobWait{JobID: cph.NewID(), RequestID: cph.NewID()}, cph.CodeInvalidRequestID},
			{"an overlong request id", cph.JobWait{RequestID: strings.Repeat("r", 65)}, cph.CodeInvalidRequestID},
			{"an unknown job", cph.JobWait{JobID: cph.NewID()}, cph.CodeJobNotFound},
			{"a timeout over the maximum", cph.JobWait{RequestID: cph.NewID(), Timeout: cph.MaxJobWait + time.Second}, cph.CodeInvalidParameter},
		})
	})

	t.Run("reset", func(t *testing.T) {
		// Clear the slow phone's setting; its restart in progress is
		// refused by the reset (a transient status) until it ends, so it
		// is restarted again at the project's instant boot time once
		// the reset is done with the others.
		if _, err := a.S.SetSimSettings(a.Ctx, ps[1].ID, cph.SimSettings{}); err != nil {
			t.Fatal(err)
		}
		if err := a.S.CreateBucket(a.Ctx, "standin-reset"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.S.PutObject(a.Ctx, "standin-reset", "a/b.txt", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		if err := o.S.CreateBucket(o.Ctx, "standin-other"); err != nil {
			t.Fatal(err)
		}
		stop, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: cph.OpStopPhone, Phones: []cph.PhoneRef{{PhoneID: ps[0].ID}}})
		if err != nil {
			t.Fatal(err)
		}
		prop, err := a.S.UpdatePhoneProperties(a.Ctx, []cph.PhoneRef{{PhoneID: ps[2].ID, Property: `{"com.cph.mainkeys":1}`}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*cph.BatchResult{stop, prop} {
			if w, err := a.S.WaitForJobs(a.Ctx, cph.JobWait{RequestID: r.RequestID, Timeout: cph.MaxJobWait}); err != nil || !w.Final || len(w.Jobs) != 1 || w.Jobs[0].Status != cph.JobSucceeded {
				t.Fatalf("the stop or the property update %+v: %v, %+v", r, err, w)
			}
		}
		if st := status(t, ps[0].ID); st != cph.PhoneStopped {
			t.Fatalf("the stopped phone's status = %d", st)
		}
		if d, err := a.S.ShowPhone(a.Ctx, ps[2].ID); err != nil || !strings.Contains(d.Property, "mainkeys") {
			t.Fatalf("the updated phone: %v, property %q", err, d.Property)
		}
		// A property the phone got in its runtime (as a property update
		// that applies at once would give it).
		drv := env.ControlPlane.SimDriver(ps[2].ServerID)
		if drv == nil {
			t.Fatalf("no simulated driver for server %s", ps[2].ServerID)
		}
		if err := drv.UpdateProperty(context.Background(), ps[2].ID, map[string]string{"persist.sys.locale": "fr-FR"},
			func(string) bool { return true }); err != nil {
			t.Fatal(err)
		}

		// A fault rule, which the reset removes, and another account's,
		// which it keeps.
		if _, err := a.S.CreateFault(a.Ctx, cph.CreateFaultParams{Operation: "ListCloudPhones", Effect: "http_error", Status: 503,
			ErrorCode: cph.CodeInternal}); err != nil {
			t.Fatal(err)
		}
		if _, err := o.S.CreateFault(o.Ctx, cph.CreateFaultParams{Operation: "job:restart", Effect: "fail"}); err != nil {
			t.Fatal(err)
		}

		_, err = ro.S.ResetProject(ro.Ctx, cph.ProjectReset{})
		wantCode(t, "a read-only user's reset", err, cph.CodeForbidden)
		res, err := a.S.ResetProject(a.Ctx, cph.ProjectReset{Wait: true, Timeout: cph.MaxJobWait})
		if err != nil {
			t.Fatal(err)
		}
		if res.Cleared["buckets"] != 1 || res.Cleared["objects"] != 1 || res.Cleared["jobs"] < 3 {
			t.Errorf("cleared %v, want 1 bucket, 1 object and the final jobs", res.Cleared)
		}
		if !res.Final || res.RequestID == "" || len(res.Jobs) != len(ps) {
			t.Fatalf("reset answer: %+v", res)
		}
		for _, j := range res.Jobs {
			if j.PhoneID == ps[1].ID {
				if j.ErrorCode != cph.CodeStatusNotAllowed {
					t.Errorf("the restarting phone's reset: %+v, want refused with %s", j, cph.CodeStatusNotAllowed)
				}
			} else if j.ErrorCode != "" {
				t.Errorf("reset refused: %+v", j)
			}
		}
		for _, j := range res.FinalJobs {
			if j.Status != cph.JobSucceeded || j.Kind != "" && j.Kind != cph.OpResetPhone {
				t.Errorf("reset job %+v", j)
			}
		}
		for _, p := range ps {
			if p.ID == ps[1].ID {
				continue
			}
			d, err := a.S.ShowPhone(a.Ctx, p.ID)
			if err != nil || d.Status != cph.PhoneRunning || d.Property != "{}" {
				t.Errorf("phone %s after the reset: %v, status %d, property %q", p.ID, err, d.Status, d.Property)
			}
		}
		// In the simulated runtime too, the phone forgot its property.
		if info, err := drv.Phone(context.Background(), ps[2].ID); err != nil || info.Property["persist.sys.locale"] == "fr-FR" {
			t.Errorf("the reset phone in its runtime: %v, locale %q", err, info.Property["persist.sys.locale"])
		}
		if list, err := a.S.ListBuckets(a.Ctx); err != nil || len(list) != 0 {
			t.Errorf("buckets after the reset: %v, %+v", err, list)
		}
		if jobs, err := a.S.ListJobs(a.Ctx, cph.JobFilter{RequestIDs: []string{stop.RequestID, prop.RequestID}, Limit: 10}); err != nil || len(jobs) != 0 {
			t.Errorf("jobs of before the reset: %v, %+v", err, jobs)
		}
		if faults, err := a.S.ListFaults(a.Ctx); err != nil || len(faults) != 0 || res.Cleared["faults"] != 1 {
			t.Errorf("fault rules after the reset: %v, %+v (cleared %d)", err, faults, res.Cleared["faults"])
		}
		if faults, err := o.S.ListFaults(o.Ctx); err != nil || len(faults) != 1 {
			t.Errorf("another account's fault rules after the reset: %v, %+v", err, faults)
		}
		if list, err := o.S.ListBuckets(o.Ctx); err != nil || len(list) != 1 {
			t.Errorf("another account's buckets after the reset: %v, %+v", err, list)
		}
		// The boot times stay: the project still boots at once.
		if s, err := a.S.ShowSimSettings(a.Ctx, ""); err != nil || s.BootTimeMS == nil || *s.BootTimeMS != 0 {
			t.Errorf("project settings after the reset: %v, %+v", err, s)
		}
	})
}
