package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// newCustomImage creates a production custom image of f's project.
func newCustomImage(t *testing.T, db *sqlstore.DB, f *fixture, name string) *cph.CustomImage {
	t.Helper()
	im := &cph.CustomImage{ID: cph.NewID(), ProjectID: f.project.ID, DomainID: f.domain.ID, Name: name,
		OSType: "Android", OSName: "Android 11", Label: "cloud_phone", Version: "AOSP 11.0", Size: 1 << 30, Status: cph.ImageProduction}
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.CreateCustomImage(context.Background(), im) })
	return im
}

// usable reports whether projectID may boot phones with the image.
func usable(t *testing.T, db *sqlstore.DB, projectID, imageID string) bool {
	t.Helper()
	var ok bool
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		_, err := tx.UsableImage(context.Background(), projectID, imageID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return nil
		}
		ok = err == nil
		return err
	})
	return ok
}

func listImages(t *testing.T, db *sqlstore.DB, f cph.ImageFilter) ([]*cph.ImageView, int) {
	t.Helper()
	if f.Limit == 0 {
		f.Limit = 100
	}
	list, total, err := db.ListImages(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return list, total
}

func phoneImages(t *testing.T, db *sqlstore.DB, projectID, typ string) map[string]int32 {
	t.Helper()
	list, err := db.PhoneImages(context.Background(), projectID, typ)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, im := range list {
		out[im.ID] = im.IsPublic
	}
	return out
}

func testImageSharing(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	a := newFixture(t, db, "acme", 1)
	b := newFixture(t, db, "globex", 1)
	public := &sqlstore.Image{ID: cph.NewID(), Name: "public", OSType: "Android", OSName: "Android 11", Label: "cloud_phone", Version: "AOSP 11.0", IsPublic: true}
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.CreateImage(ctx, public) })
	im := newCustomImage(t, db, a, "golden")

	if got := phoneImages(t, db, a.project.ID, "all"); len(got) != 2 || got[public.ID] != 1 || got[im.ID] != 2 {
		t.Errorf("A's phone images = %v", got)
	}
	if got := phoneImages(t, db, b.project.ID, "all"); len(got) != 1 || got[public.ID] != 1 {
		t.Errorf("B's phone images = %v", got)
	}
	if !usable(t, db, a.project.ID, im.ID) || usable(t, db, b.project.ID, im.ID) || !usable(t, db, b.project.ID, public.ID) {
		t.Error("usable images before sharing are wrong")
	}
	list, total := listImages(t, db, cph.ImageFilter{ProjectID: a.project.ID})
	if total != 1 || list[0].ID != im.ID || list[0].Type != "private" || list[0].ProjectID != a.project.ID || list[0].DomainID != a.domain.ID {
		t.Fatalf("A's images = %+v (%d)", list, total)
	}

	// Pending: not visible, not usable.
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.AddImageMember(ctx, im.ID, b.project.ID, 0) })
	if _, total := listImages(t, db, cph.ImageFilter{ProjectID: b.project.ID}); total != 0 || usable(t, db, b.project.ID, im.ID) {
		t.Error("a pending image is visible or usable")
	}
	// Accepted: listed as shared, usable.
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		return tx.SetImageMemberStatus(ctx, im.ID, b.project.ID, cph.MemberAccepted)
	})
	list, total = listImages(t, db, cph.ImageFilter{ProjectID: b.project.ID, Type: "share"})
	if total != 1 || list[0].Type != "share" || list[0].SrcProjectID != a.project.ID || list[0].ProjectID != "" {
		t.Errorf("B's shared images = %+v (%d)", list, total)
	}
	if _, total := listImages(t, db, cph.ImageFilter{ProjectID: b.project.ID, Type: "private"}); total != 0 {
		t.Errorf("B has %d private images", total)
	}
	if got := phoneImages(t, db, b.project.ID, "share"); got[im.ID] != 2 || len(got) != 1 {
		t.Errorf("B's shared phone images = %v", got)
	}
	if !usable(t, db, b.project.ID, im.ID) {
		t.Error("an accepted image is not usable")
	}
	// Re-adding an accepted member keeps it accepted; a rejected one is asked again.
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.AddImageMember(ctx, im.ID, b.project.ID, 0) })
	if !usable(t, db, b.project.ID, im.ID) {
		t.Error("re-adding an accepted member reset it")
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		return tx.SetImageMemberStatus(ctx, im.ID, b.project.ID, cph.MemberRejected)
	})
	if usable(t, db, b.project.ID, im.ID) {
		t.Error("a rejected image is usable")
	}
	var members []*cph.ImageMember
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		if err := tx.AddImageMember(ctx, im.ID, b.project.ID, 0); err != nil {
			return err
		}
		var err error
		members, err = tx.ImageMembers(ctx, im.ID)
		return err
	})
	if len(members) != 1 || members[0].Status != cph.MemberPending || members[0].MemberID != b.project.ID ||
		members[0].CreateTime != time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("members = %+v", members)
	}

	// Unknown members.
	err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		return tx.SetImageMemberStatus(ctx, im.ID, a.project.ID, cph.MemberAccepted)
	})
	if !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("answer of a non-member: %v", err)
	}
	err = db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.DeleteImageMember(ctx, im.ID, a.project.ID) })
	if !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("delete a non-member: %v", err)
	}

	// Phones using the image, across projects.
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		return tx.SetPhoneImageAndProperty(ctx, b.phones[0].ID, im.ID, im.Version, "{}")
	})
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		n, err := tx.CountPhonesUsingImage(ctx, im.ID)
		if err == nil && n != 1 {
			t.Errorf("phones using the image = %d, want 1", n)
		}
		return err
	})

	// Operations booting phones with the image.
	inFlight := func(project string) int {
		t.Helper()
		var n int
		mustTx(t, db, func(tx *sqlstore.Tx) error {
			var err error
			n, err = tx.ImageOperationsInFlight(ctx, im.ID, project)
			return err
		})
		return n
	}
	if n := inFlight(""); n != 0 {
		t.Errorf("operations in flight before any = %d", n)
	}
	job := &cph.Job{ID: cph.NewID(), RequestID: cph.NewID(), ProjectID: b.project.ID, Kind: cph.OpRestartPhone,
		PhoneID: b.phones[0].ID, ServerID: b.server.ID, Status: cph.JobRunning}
	op := &cph.Operation{ID: cph.NewID(), JobID: job.ID, ServerID: b.server.ID, PhoneID: b.phones[0].ID, Kind: cph.OpRestartPhone,
		Args: []byte(`{"image_id":"` + im.ID + `"}`)}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		if err := tx.CreateJob(ctx, job); err != nil {
			return err
		}
		return tx.CreateOperation(ctx, op)
	})
	if n := inFlight(""); n != 1 {
		t.Errorf("operations in flight = %d, want 1", n)
	}
	if n, m := inFlight(b.project.ID), inFlight(a.project.ID); n != 1 || m != 0 {
		t.Errorf("operations in flight for B, A = %d, %d; want 1, 0", n, m)
	}

	// Ownership and deletion.
	err = db.Tx(ctx, func(tx *sqlstore.Tx) error { _, err := tx.OwnImage(ctx, b.project.ID, im.ID); return err })
	if !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("B owns A's image: %v", err)
	}
	err = db.Tx(ctx, func(tx *sqlstore.Tx) error { _, err := tx.OwnImage(ctx, "", public.ID); return err })
	if !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("a public image is owned: %v", err)
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.DeleteCustomImage(ctx, im.ID) })
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		members, err := tx.ImageMembers(ctx, im.ID)
		if err == nil && len(members) != 0 {
			t.Errorf("members after delete = %+v", members)
		}
		return err
	})
	err = db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.DeleteCustomImage(ctx, public.ID) })
	if !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("delete a public image: %v", err)
	}
}

func testListImagesFilters(t *testing.T, db *sqlstore.DB) {
	a := newFixture(t, db, "acme", 0)
	var ids []string
	for i, name := range []string{"Alpha", "beta", "gamma"} {
		now := time.Date(2026, 3, 14, 8, i, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		ids = append(ids, newCustomImage(t, db, a, name).ID)
	}
	str := func(s string) *string { return &s }
	tm := func(min int) *cph.Time { v := cph.NewTime(time.Date(2026, 3, 14, 8, min, 0, 0, time.UTC)); return &v }
	creating := cph.ImageCreating
	cases := []struct {
		name string
		f    cph.ImageFilter
		want []string
	}{
		{"all, newest first", cph.ImageFilter{}, []string{ids[2], ids[1], ids[0]}},
		{"page", cph.ImageFilter{Offset: 1, Limit: 1}, []string{ids[1]}},
		{"name, case-insensitive", cph.ImageFilter{NameLike: str("ALP")}, []string{ids[0]}},
		{"id", cph.ImageFilter{ImageID: str(ids[1])}, []string{ids[1]}},
		{"status", cph.ImageFilter{Status: &creating}, nil},
		{"since", cph.ImageFilter{CreateSince: tm(1)}, []string{ids[2], ids[1]}},
		{"until", cph.ImageFilter{CreateUntil: tm(1)}, []string{ids[1], ids[0]}},
		{"share only", cph.ImageFilter{Type: "share"}, nil},
		{"src project of own images", cph.ImageFilter{SrcProjectID: str(a.project.ID)}, nil},
	}
	for _, c := range cases {
		c.f.ProjectID = a.project.ID
		if c.f.Limit == 0 {
			c.f.Limit = 100
		}
		list, total := listImages(t, db, c.f)
		var got []string
		for _, v := range list {
			got = append(got, v.ID)
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
				break
			}
		}
		if c.f.Offset == 0 && total != len(c.want) {
			t.Errorf("%s: total %d, want %d", c.name, total, len(c.want))
		}
	}
}

func testReassignServer(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	a := newFixture(t, db, "acme", 2)
	b := newFixture(t, db, "globex", 0)
	mustTx(t, db, func(tx *sqlstore.Tx) error { return tx.ReassignServer(ctx, a.server.ID, b.project.ID) })
	if _, err := db.PhoneByID(ctx, b.project.ID, a.phones[0].ID); err != nil {
		t.Errorf("phone not moved: %v", err)
	}
	if _, err := db.ServerByID(ctx, a.project.ID, a.server.ID); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("server still in the old project: %v", err)
	}
	err := db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.ReassignServer(ctx, cph.NewID(), b.project.ID) })
	if !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("reassign unknown server: %v", err)
	}
}
