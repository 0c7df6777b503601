package servicetest

import (
	"slices"
	"testing"

	cph "github.com/opencph/opencph"
)

// testFaults checks fault-injection rules: their management, validation
// and isolation, and what each job effect does to a batch.
func testFaults(t *testing.T, env *Env) {
	a := env.Admin
	one, zero := 1.0, 0.0
	count := func(n int) *int { return &n }

	t.Run("validation", func(t *testing.T) {
		refusals(t, a.Ctx, a.S.CreateFault, []refusal[cph.CreateFaultParams]{
			{"no operation", cph.CreateFaultParams{Effect: cph.FaultFail}, cph.CodeInvalidFault},
			{"unknown operation", cph.CreateFaultParams{Operation: "ListPhonez", Effect: cph.FaultDelay, DelayMillis: 10}, cph.CodeInvalidFault},
			{"unknown job type", cph.CreateFaultParams{Operation: "job:reboot", Effect: cph.FaultFail}, cph.CodeInvalidFault},
			{"a rule on the rules", cph.CreateFaultParams{Operation: "CreateFault", Effect: cph.FaultHTTPError, Status: 500, ErrorCode: cph.CodeInternal}, cph.CodeInvalidFault},
			{"bad effect", cph.CreateFaultParams{Operation: "job:restart", Effect: "explode"}, cph.CodeInvalidFault},
			{"no effect", cph.CreateFaultParams{Operation: "job:restart"}, cph.CodeInvalidFault},
			{"http_error on a job", cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultHTTPError, Status: 500, ErrorCode: cph.CodeInternal}, cph.CodeInvalidFault},
			{"fail on a call", cph.CreateFaultParams{Operation: "ListCloudPhones", Effect: cph.FaultFail}, cph.CodeInvalidFault},
			{"status below 400", cph.CreateFaultParams{Operation: "ListCloudPhones", Effect: cph.FaultHTTPError, Status: 302, ErrorCode: cph.CodeInternal}, cph.CodeInvalidFault},
			{"status over 599", cph.CreateFaultParams{Operation: "ListCloudPhones", Effect: cph.FaultHTTPError, Status: 600, ErrorCode: cph.CodeInternal}, cph.CodeInvalidFault},
			{"http_error without a code", cph.CreateFaultParams{Operation: "ListCloudPhones", Effect: cph.FaultHTTPError, Status: 503}, cph.CodeInvalidFault},
			{"a code not in the table", cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, ErrorCode: cph.CodeJobFailed + "0"}, cph.CodeInvalidFault},
			{"a code that is not CPS", cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, ErrorCode: cph.CodeIAMForbidden}, cph.CodeInvalidFault},
			{"probability over 1", cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, Probability: new(1.5)}, cph.CodeInvalidFault},
			{"negative probability", cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, Probability: new(-0.1)}, cph.CodeInvalidFault},
			{"count 0", cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, Count: count(0)}, cph.CodeInvalidFault},
			{"delay without delay_ms", cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultDelay}, cph.CodeInvalidFault},
			{"negative delay", cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultHang, DelayMillis: -1}, cph.CodeInvalidFault},
			{"a call delayed too long", cph.CreateFaultParams{Operation: "ListCloudPhones", Effect: cph.FaultDelay, DelayMillis: 60_000}, cph.CodeInvalidFault},
			{"a malformed phone id", cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, PhoneIDs: []string{"not a phone!"}}, cph.CodeInvalidFault},
			{"expired already", cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, ExpiresAt: cph.NewTime(env.ControlPlane.DB().Now().Add(-1))}, cph.CodeInvalidFault},
		})
		if list, err := a.S.ListFaults(a.Ctx); err != nil || len(list) != 0 {
			t.Errorf("refused rules were stored: %v, %+v", err, list)
		}
	})

	t.Run("a project holds at most 100 rules", func(t *testing.T) {
		var ids []string
		defer func() {
			for _, id := range ids {
				deleteFault(t, a, id)
			}
		}()
		rule := cph.CreateFaultParams{Operation: "job:import_traffic", Effect: cph.FaultFail, Probability: &zero}
		for range cph.MaxFaultsPerProject {
			f, err := a.S.CreateFault(a.Ctx, rule)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, f.ID)
		}
		_, err := a.S.CreateFault(a.Ctx, rule)
		wantCode(t, "rule 101", err, cph.CodeTooManyFaults)
		// Another project has its own limit.
		o := env.Other
		f, err := o.S.CreateFault(o.Ctx, rule)
		if err != nil {
			t.Fatalf("another project's first rule: %v", err)
		}
		deleteFault(t, o, f.ID)
	})

	t.Run("read-only users list but cannot create or delete", func(t *testing.T) {
		f, err := a.S.CreateFault(a.Ctx, cph.CreateFaultParams{Operation: "job:export", Effect: cph.FaultFail, Probability: &zero})
		if err != nil {
			t.Fatal(err)
		}
		defer deleteFault(t, a, f.ID)
		ro := env.ReadOnly
		_, err = ro.S.CreateFault(ro.Ctx, cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail})
		wantCode(t, "a read-only user creates a rule", err, cph.CodeForbidden)
		wantCode(t, "a read-only user deletes a rule", ro.S.DeleteFault(ro.Ctx, f.ID), cph.CodeForbidden)
		if list, err := ro.S.ListFaults(ro.Ctx); err != nil || len(list) != 1 || list[0].ID != f.ID {
			t.Errorf("a read-only user lists %v, %+v", err, list)
		}
		if got, err := ro.S.ShowFault(ro.Ctx, f.ID); err != nil || got.ID != f.ID || got.Operation != "job:export" {
			t.Errorf("a read-only user shows %v, %+v", err, got)
		}
	})

	t.Run("other projects neither see nor suffer them", func(t *testing.T) {
		f, err := a.S.CreateFault(a.Ctx, cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, ErrorCode: cph.CodeJobFailed})
		if err != nil {
			t.Fatal(err)
		}
		defer deleteFault(t, a, f.ID)
		o := env.Other
		if list, err := o.S.ListFaults(o.Ctx); err != nil || len(list) != 0 {
			t.Errorf("another project lists %v, %+v", err, list)
		}
		_, err = o.S.ShowFault(o.Ctx, f.ID)
		wantCode(t, "another project shows the rule", err, cph.CodeFaultNotFound)
		wantCode(t, "another project deletes the rule", o.S.DeleteFault(o.Ctx, f.ID), cph.CodeFaultNotFound)
		// A rule of the other project never applies to this one.
		deleteFault(t, a, f.ID)
		theirs, err := o.S.CreateFault(o.Ctx, cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail})
		if err != nil {
			t.Fatal(err)
		}
		defer deleteFault(t, o, theirs.ID)
		settled(t, a)
		ph := runningPhone(t, a)
		if j := waitJob(t, a, batch(t, a, cph.OpRestartPhone, ph.ID)[0]); j.Status != cph.JobSucceeded {
			t.Errorf("a restart under another project's rule: %+v", j)
		}
		if got, err := o.S.ShowFault(o.Ctx, theirs.ID); err != nil || got.Applied != 0 {
			t.Errorf("the other project's rule: %v, %+v", err, got)
		}
	})

	t.Run("fail with a count, then spent", func(t *testing.T) {
		settled(t, a)
		p1, p2 := twoRunningPhones(t, a)
		f, err := a.S.CreateFault(a.Ctx, cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, Count: count(1),
			ErrorCode: cph.CodeAgentOffline, ErrorMsg: "Injected: the agent went away."})
		if err != nil {
			t.Fatal(err)
		}
		defer deleteFault(t, a, f.ID)
		if f.ID == "" || f.Remaining == nil || *f.Remaining != 1 || f.Probability != 1 {
			t.Errorf("created rule %+v", f)
		}
		jobs := batch(t, a, cph.OpRestartPhone, p1.ID, p2.ID)
		var failed, succeeded int
		for _, id := range jobs {
			j := waitJob(t, a, id)
			switch {
			case j.Status == cph.JobFailed && deref(j.ErrorCode) == cph.CodeAgentOffline && deref(j.ErrorMsg) == "Injected: the agent went away.":
				failed++
				if d, err := a.S.ShowPhone(a.Ctx, j.PhoneID); err != nil || d.Status != cph.PhoneRestartFailed {
					t.Errorf("the failed restart's phone: %v, %+v", err, d)
				}
			case j.Status == cph.JobSucceeded:
				succeeded++
			default:
				t.Errorf("job %+v", j)
			}
		}
		if failed != 1 || succeeded != 1 {
			t.Errorf("%d failed and %d succeeded, want 1 and 1", failed, succeeded)
		}
		got, err := a.S.ShowFault(a.Ctx, f.ID)
		if err != nil || got.Remaining == nil || *got.Remaining != 0 || got.Applied != 1 {
			t.Errorf("the rule after the batch: %v, %+v", err, got)
		}
		settled(t, a)
		p3, _ := twoRunningPhones(t, a)
		if j := waitJob(t, a, batch(t, a, cph.OpRestartPhone, p3.ID)[0]); j.Status != cph.JobSucceeded {
			t.Errorf("a restart once the rule is spent: %+v", j)
		}
	})

	t.Run("phone_ids target phones", func(t *testing.T) {
		settled(t, a)
		p1, p2 := twoRunningPhones(t, a)
		f, err := a.S.CreateFault(a.Ctx, cph.CreateFaultParams{Operation: "job:stop", Effect: cph.FaultFail, PhoneIDs: []string{p2.ID}})
		if err != nil {
			t.Fatal(err)
		}
		defer deleteFault(t, a, f.ID)
		jobs := batch(t, a, cph.OpStopPhone, p1.ID, p2.ID)
		j1, j2 := waitJob(t, a, jobs[0]), waitJob(t, a, jobs[1])
		if j1.Status != cph.JobSucceeded || j2.Status != cph.JobFailed || deref(j2.ErrorCode) != cph.CodeJobFailed {
			t.Errorf("stop of the phone not targeted %+v, of the targeted one %+v", j1, j2)
		}
		// Bring both back.
		for _, id := range batch(t, a, cph.OpRestartPhone, p1.ID, p2.ID) {
			waitJob(t, a, id)
		}
	})

	t.Run("probability 0 never applies, 1 always", func(t *testing.T) {
		settled(t, a)
		never, err := a.S.CreateFault(a.Ctx, cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, Probability: &zero, Count: count(5)})
		if err != nil {
			t.Fatal(err)
		}
		defer deleteFault(t, a, never.ID)
		p1, _ := twoRunningPhones(t, a)
		if j := waitJob(t, a, batch(t, a, cph.OpRestartPhone, p1.ID)[0]); j.Status != cph.JobSucceeded {
			t.Errorf("a restart under probability 0: %+v", j)
		}
		if got, err := a.S.ShowFault(a.Ctx, never.ID); err != nil || *got.Remaining != 5 || got.Applied != 0 {
			t.Errorf("probability 0 was consumed: %v, %+v", err, got)
		}
		always, err := a.S.CreateFault(a.Ctx, cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultFail, Probability: &one})
		if err != nil {
			t.Fatal(err)
		}
		defer deleteFault(t, a, always.ID)
		settled(t, a)
		p1, p2 := twoRunningPhones(t, a)
		for _, id := range batch(t, a, cph.OpRestartPhone, p1.ID, p2.ID) {
			if j := waitJob(t, a, id); j.Status != cph.JobFailed {
				t.Errorf("a restart under probability 1: %+v", j)
			}
		}
		deleteFault(t, a, always.ID)
		for _, id := range batch(t, a, cph.OpRestartPhone, p1.ID, p2.ID) {
			waitJob(t, a, id)
		}
	})

	t.Run("delay: the job still succeeds", func(t *testing.T) {
		settled(t, a)
		f, err := a.S.CreateFault(a.Ctx, cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultDelay, DelayMillis: 100, Count: count(1)})
		if err != nil {
			t.Fatal(err)
		}
		defer deleteFault(t, a, f.ID)
		p1, _ := twoRunningPhones(t, a)
		if j := waitJob(t, a, batch(t, a, cph.OpRestartPhone, p1.ID)[0]); j.Status != cph.JobSucceeded {
			t.Errorf("a delayed restart: %+v", j)
		}
		if got, err := a.S.ShowFault(a.Ctx, f.ID); err != nil || *got.Remaining != 0 {
			t.Errorf("the delay rule after its job: %v, %+v", err, got)
		}
	})

	t.Run("hang until the rule is deleted", func(t *testing.T) {
		settled(t, a)
		f, err := a.S.CreateFault(a.Ctx, cph.CreateFaultParams{Operation: "job:restart", Effect: cph.FaultHang})
		if err != nil {
			t.Fatal(err)
		}
		p1, _ := twoRunningPhones(t, a)
		jobID := batch(t, a, cph.OpRestartPhone, p1.ID)[0]
		// The job is held: it runs, its phone restarting, and the rule
		// counts it.
		untilTrue(t, "the hang to apply", func() (bool, error) {
			got, err := a.S.ShowFault(a.Ctx, f.ID)
			return err == nil && got.Applied == 1, err
		})
		if j, err := a.S.ShowJob(a.Ctx, jobID); err != nil || j.Status != cph.JobRunning {
			t.Errorf("the hung job: %v, %+v", err, j)
		}
		if d, err := a.S.ShowPhone(a.Ctx, p1.ID); err != nil || d.Status != cph.PhoneRestarting {
			t.Errorf("the hung job's phone: %v, %+v", err, d)
		}
		deleteFault(t, a, f.ID)
		if j := waitJob(t, a, jobID); j.Status != cph.JobSucceeded {
			t.Errorf("the job once the rule is gone: %+v", j)
		}
		_, err = a.S.ShowFault(a.Ctx, f.ID)
		wantCode(t, "a deleted rule", err, cph.CodeFaultNotFound)
		wantCode(t, "a rule deleted twice", a.S.DeleteFault(a.Ctx, f.ID), cph.CodeFaultNotFound)
	})
}

// batch runs a batch operation of kind on phones and returns the job ids,
// in order.
func batch(t *testing.T, c Caller, kind cph.OpKind, phones ...string) []string {
	t.Helper()
	refs := make([]cph.PhoneRef, len(phones))
	for i, id := range phones {
		refs[i] = cph.PhoneRef{PhoneID: id}
	}
	res, err := c.S.BatchPhones(c.Ctx, cph.BatchPhonesParams{Kind: kind, Phones: refs})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, j := range res.Jobs {
		if j.ErrorCode != "" {
			t.Fatalf("%s refused for %s: %s %s", kind, j.PhoneID, j.ErrorCode, j.ErrorMsg)
		}
		ids = append(ids, j.JobID)
	}
	return ids
}

// waitJob waits for c's job to end and returns it.
func waitJob(t *testing.T, c Caller, id string) *cph.Job {
	t.Helper()
	var j *cph.Job
	untilTrue(t, "job "+id+" to end", func() (bool, error) {
		var err error
		j, err = c.S.ShowJob(c.Ctx, id)
		return err == nil && j.Status.Final(), err
	})
	return j
}

func deleteFault(t *testing.T, c Caller, id string) {
	t.Helper()
	list, err := c.S.ListFaults(c.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(list, func(f *cph.Fault) bool { return f.ID == id }) {
		return
	}
	if err := c.S.DeleteFault(c.Ctx, id); err != nil {
		t.Fatal(err)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
