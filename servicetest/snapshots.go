package servicetest

import (
	"slices"
	"testing"

	cph "github.com/opencph/opencph"
)

// testSnapshots saves the fleet state while the built-in fleet runs,
// changes it, and restores it: phones, jobs and buckets are the
// snapshot's, no phone is left transient, and the agents, still
// connected, run new work.
func testSnapshots(t *testing.T, env *Env) {
	a, ro, o := env.Admin, env.ReadOnly, env.Other
	statuses := func() map[string]cph.PhoneStatus {
		page, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]cph.PhoneStatus{}
		for _, p := range page.Phones {
			out[p.ID] = p.Status
		}
		return out
	}
	settled := func(what string) map[string]cph.PhoneStatus {
		var st map[string]cph.PhoneStatus
		untilTrue(t, what, func() (bool, error) {
			st = statuses()
			for _, s := range st {
				if s != cph.PhoneRunning && s != cph.PhoneStopped {
					return false, nil
				}
			}
			return true, nil
		})
		return st
	}
	batch := func(kind cph.OpKind, ids ...string) *cph.BatchResult {
		t.Helper()
		refs := make([]cph.PhoneRef, len(ids))
		for i, id := range ids {
			refs[i] = cph.PhoneRef{PhoneID: id}
		}
		res, err := a.S.BatchPhones(a.Ctx, cph.BatchPhonesParams{Kind: kind, Phones: refs})
		if err != nil || res.Jobs[0].ErrorCode != "" {
			t.Fatalf("%s %v: %v, %+v", kind, ids, err, res)
		}
		return res
	}
	waitOK := func(res *cph.BatchResult) {
		t.Helper()
		w, err := a.S.WaitForJobs(a.Ctx, cph.JobWait{RequestID: res.RequestID, Timeout: cph.MaxJobWait})
		if err != nil || !w.Final {
			t.Fatalf("wait: %v, %+v", err, w)
		}
		for _, j := range w.Jobs {
			if j.Status != cph.JobSucceeded {
				t.Fatalf("job %+v", j)
			}
		}
	}
	recentJobs := func() []string {
		page, err := a.S.ListRecentJobs(a.Ctx, cph.RecentJobFilter{Limit: cph.MaxJobPage})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, j := range page.Jobs {
			ids = append(ids, j.ID)
		}
		slices.Sort(ids)
		return ids
	}
	buckets := func() []string {
		list, err := a.S.ListBuckets(a.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, b := range list {
			names = append(names, b.Name)
		}
		return names
	}

	zero := int64(0)
	if _, err := a.S.SetSimSettings(a.Ctx, "", cph.SimSettings{BootTimeMS: &zero}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id := range settled("the fleet to run") {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	waitOK(batch(cph.OpStopPhone, ids[0]))
	if err := a.S.CreateBucket(a.Ctx, "snap-kept"); err != nil {
		t.Fatal(err)
	}
	snap, err := a.S.SaveSnapshot(a.Ctx, "before", false)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Rows["phones"] != len(ids) || snap.Rows["buckets"] != 1 {
		t.Errorf("saved rows %v", snap.Rows)
	}
	wantStatuses, wantJobs := statuses(), recentJobs()
	if _, err := a.S.SaveSnapshot(a.Ctx, "before", false); code(err) != cph.CodeSnapshotExists {
		t.Errorf("a second snapshot of the same name: %v", err)
	}

	// Change everything: phones started and stopped, a bucket,
	// and a restart still in progress at the restore.
	waitOK(batch(cph.OpRestartPhone, ids[0]))
	waitOK(batch(cph.OpStopPhone, ids[1]))
	if err := a.S.CreateBucket(a.Ctx, "snap-gone"); err != nil {
		t.Fatal(err)
	}
	long := cph.MaxSimBootTime.Milliseconds()
	if _, err := a.S.SetSimSettings(a.Ctx, ids[2], cph.SimSettings{BootTimeMS: &long}); err != nil {
		t.Fatal(err)
	}
	batch(cph.OpRestartPhone, ids[2])
	if st := statuses(); st[ids[2]] != cph.PhoneRestarting || st[ids[1]] != cph.PhoneStopped {
		t.Fatalf("statuses before the restore: %v", st)
	}

	restored, err := a.S.RestoreSnapshot(a.Ctx, "before")
	if err != nil {
		t.Fatal(err)
	}
	if restored.Rows["phones"] != len(ids) {
		t.Errorf("restored rows %v", restored.Rows)
	}
	if got := settled("the phones after the restore"); !equalMaps(got, wantStatuses) {
		t.Errorf("statuses after the restore %v, want the snapshot's %v", got, wantStatuses)
	}
	if got := recentJobs(); !slices.Equal(got, wantJobs) {
		t.Errorf("jobs after the restore %v, want the snapshot's %v", got, wantJobs)
	}
	if got := buckets(); !slices.Equal(got, []string{"snap-kept"}) {
		t.Errorf("buckets after the restore %v", got)
	}
	if s, err := a.S.ShowSimSettings(a.Ctx, ids[2]); err != nil || s.BootTimeMS != nil {
		t.Errorf("a setting made after the snapshot: %v, %+v", err, s)
	}
	// The agents are still connected: the stopped phone starts.
	waitOK(batch(cph.OpRestartPhone, ids[0], ids[1]))
	if st := statuses(); st[ids[0]] != cph.PhoneRunning || st[ids[1]] != cph.PhoneRunning {
		t.Errorf("statuses after restarts following the restore: %v", st)
	}

	list, err := a.S.ListSnapshots(a.Ctx)
	if err != nil || len(list) != 1 || list[0].Name != "before" {
		t.Errorf("snapshots: %v, %+v", err, list)
	}
	if _, err := a.S.RestoreSnapshot(a.Ctx, "nothing"); code(err) != cph.CodeSnapshotNotFound {
		t.Errorf("restore an unknown snapshot: %v", err)
	}
	if err := a.S.DeleteSnapshot(a.Ctx, "before"); err != nil {
		t.Fatal(err)
	}
	if list, err := a.S.ListSnapshots(a.Ctx); err != nil || len(list) != 0 {
		t.Errorf("snapshots after the deletion: %v, %+v", err, list)
	}

	// Only operators: not a read-only user, not another account's admin.
	for _, c := range []Caller{ro, o} {
		_, err := c.S.ListSnapshots(c.Ctx)
		wantCode(t, "list by a non-operator", err, cph.CodeForbidden)
		_, err = c.S.SaveSnapshot(c.Ctx, "x", false)
		wantCode(t, "save by a non-operator", err, cph.CodeForbidden)
		_, err = c.S.RestoreSnapshot(c.Ctx, "x")
		wantCode(t, "restore by a non-operator", err, cph.CodeForbidden)
		wantCode(t, "delete by a non-operator", c.S.DeleteSnapshot(c.Ctx, "x"), cph.CodeForbidden)
	}
	_, err = a.S.SaveSnapshot(a.Ctx, "-bad", false)
	wantCode(t, "a bad name", err, cph.CodeInvalidParameter)
	_, err = a.S.SaveSnapshot(a.Ctx, "", false)
	wantCode(t, "an empty name", err, cph.CodeInvalidParameter)
	wantCode(t, "delete an unknown snapshot", a.S.DeleteSnapshot(a.Ctx, "nothing"), cph.CodeSnapshotNotFound)
}

func equalMaps[K, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
