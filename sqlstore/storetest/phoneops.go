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
