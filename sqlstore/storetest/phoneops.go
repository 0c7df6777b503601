package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/opencph/opencph/sqlstore"
)

func testRenamePhone(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	a := newFixture(t, db, "acme", 2)
	b := newFixture(t, db, "bravo", 1)
	rename := func(projectID, id, name string) error {
		return db.Tx(ctx, func(tx *sqlstore.Tx) error { return tx.RenamePhone(ctx, projectID, id, name) })
	}
	if err := rename(a.project.ID, a.phones[0].ID, "front-desk"); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if p, _ := db.PhoneByID(ctx, a.project.ID, a.phones[0].ID); p.Name != "front-desk" {
		t.Errorf("name after rename = %q, want front-desk", p.Name)
	}
	if err := rename(a.project.ID, a.phones[0].ID, "front-desk"); err != nil {
		t.Errorf("rename to its own name: %v", err)
	}
	if err := rename(a.project.ID, a.phones[1].ID, "front-desk"); !errors.Is(err, sqlstore.ErrNameTaken) {
		t.Errorf("rename to a taken name: err = %v, want ErrNameTaken", err)
	}
	if p, _ := db.PhoneByID(ctx, a.project.ID, a.phones[1].ID); p.Name != "acme-0002" {
		t.Errorf("refused rename changed the name to %q", p.Name)
	}
	// Names are unique per project only.
	if err := rename(b.project.ID, b.phones[0].ID, "front-desk"); err != nil {
		t.Errorf("same name in another project: %v", err)
	}
	if err := rename(a.project.ID, b.phones[0].ID, "x"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("phone of another project: err = %v, want ErrNotFound", err)
	}
}

func testPhoneAttributes(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 1)
	id := f.phones[0].ID
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		if err := tx.SetPhoneProperty(ctx, id, `{"ro.install.auto":1}`); err != nil {
			return err
		}
		if err := tx.SetPhoneDataVolumeSize(ctx, id, 128); err != nil {
			return err
		}
		return tx.SetPhoneTrafficType(ctx, id, "routing")
	})
	p, err := db.PhoneByID(ctx, f.project.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Property != `{"ro.install.auto":1}` || p.DataVolumeSize != 128 || p.TrafficType != "routing" {
		t.Errorf("phone = property %q, volume %d, traffic %q", p.Property, p.DataVolumeSize, p.TrafficType)
	}
}

func testBuckets(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	a := newFixture(t, db, "acme", 0)
	b := newFixture(t, db, "bravo", 0)
	claim := func(name, projectID string) string {
		t.Helper()
		var owner string
		mustTx(t, db, func(tx *sqlstore.Tx) (err error) {
			owner, err = tx.ClaimBucket(ctx, name, projectID)
			return err
		})
		return owner
	}
	if _, err := db.BucketOwner(ctx, "apps"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("owner of an unclaimed bucket: err = %v, want ErrNotFound", err)
	}
	if got := claim("apps", a.project.ID); got != a.project.ID {
		t.Errorf("first claim: owner = %s, want %s", got, a.project.ID)
	}
	if got := claim("apps", b.project.ID); got != a.project.ID {
		t.Errorf("second claim by another project: owner = %s, want the first owner %s", got, a.project.ID)
	}
	claim("backups", a.project.ID)
	claim("media", b.project.ID)
	if owner, err := db.BucketOwner(ctx, "media"); err != nil || owner != b.project.ID {
		t.Errorf("BucketOwner(media) = %s, %v", owner, err)
	}
	list, err := db.ListBuckets(ctx, a.project.ID)
	if err != nil || len(list) != 2 || list[0].Name != "apps" || list[1].Name != "backups" {
		t.Errorf("ListBuckets = %+v, %v; want apps, backups", list, err)
	}
}
