package service

import (
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// TestPatchPage checks that a cached page brought up to date by status
// changes shows each phone's last status and update time, in the order
// the changes were made, and leaves the cached page as it was.
func TestPatchPage(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	a := &cph.Phone{ID: "a", Name: "a", Status: cph.PhoneRunning, UpdateTime: cph.NewTime(t0)}
	b := &cph.Phone{ID: "b", Name: "b", Status: cph.PhoneRunning, UpdateTime: cph.NewTime(t0)}
	page := &cph.PhonePage{Total: 7, Phones: []*cph.Phone{a, b}, Version: 3}
	t1, t2 := t0.Add(time.Second), t0.Add(2*time.Second)
	got := patchPage(page, []sqlstore.PhoneStatusChange{
		{ID: "a", Status: cph.PhoneRestarting, UpdatedAt: t1},
		{ID: "elsewhere", Status: cph.PhoneStopped, UpdatedAt: t1},
		{ID: "a", Status: cph.PhoneRunning, UpdatedAt: t2},
		{ID: "b", Status: cph.PhoneStopping, UpdatedAt: t2},
	}, 5)
	if got.Version != 5 || got.Total != 7 || len(got.Phones) != 2 {
		t.Fatalf("patched page: version %d, total %d, %d phones", got.Version, got.Total, len(got.Phones))
	}
	if p := got.Phones[0]; p.ID != "a" || p.Status != cph.PhoneRunning || p.UpdateTime != cph.NewTime(t2) {
		t.Errorf("phone a: %+v, want running at %v (its last change)", p, t2)
	}
	if p := got.Phones[1]; p.ID != "b" || p.Status != cph.PhoneStopping {
		t.Errorf("phone b: %+v, want stopping", p)
	}
	if a.Status != cph.PhoneRunning || a.UpdateTime != cph.NewTime(t0) || b.Status != cph.PhoneRunning || page.Phones[1] != b {
		t.Error("patching changed the cached page")
	}
	if same := patchPage(page, nil, 6); same.Phones[0] != a || same.Version != 6 {
		t.Error("a page without changes was copied or kept its old version")
	}
}
