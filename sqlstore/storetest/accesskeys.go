package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opencph/opencph/sqlstore"
)

func testAccessKeys(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	f := newFixture(t, db, "acme", 0)
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		for _, ak := range []string{"AK1", "AK2"} {
			if err := tx.CreateAccessKey(ctx, &sqlstore.AccessKey{Access: ak, UserID: f.user.ID, DomainID: f.domain.ID,
				SecretEnc: "enc-" + ak, Status: "active", Description: "d"}, 0); err != nil {
				return err
			}
		}
		n, err := tx.CountAccessKeys(ctx, f.user.ID)
		if err == nil && n != 2 {
			t.Errorf("CountAccessKeys = %d", n)
		}
		return err
	})
	k, err := db.AccessKeyByID(ctx, "AK1")
	if err != nil || k.SecretEnc != "enc-AK1" || k.UserID != f.user.ID || !k.LastUsedAt.IsZero() {
		t.Fatalf("AccessKeyByID = %+v, %v", k, err)
	}
	if err := db.UpdateAccessKey(ctx, "AK1", "inactive", "off"); err != nil {
		t.Fatal(err)
	}
	if k, _ := db.AccessKeyByID(ctx, "AK1"); k.Status != "inactive" || k.Description != "off" {
		t.Errorf("after update: %+v", k)
	}
	now := db.Now()
	if err := db.TouchAccessKey(ctx, "AK2", now); err != nil {
		t.Fatal(err)
	}
	db.TouchAccessKey(ctx, "AK2", now.Add(10*time.Second)) // too soon to record
	if k, _ := db.AccessKeyByID(ctx, "AK2"); !k.LastUsedAt.Equal(now.Truncate(time.Microsecond)) {
		t.Errorf("last use %v, want %v", k.LastUsedAt, now)
	}
	keys, err := db.ListAccessKeys(ctx, f.user.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("ListAccessKeys = %v, %v", keys, err)
	}
	// Re-encryption replaces a secret only if it is still the one read.
	if ok, err := db.ReplaceAccessKeySecret(ctx, "AK2", "enc-AK2", "new-AK2"); !ok || err != nil {
		t.Errorf("ReplaceAccessKeySecret = %v, %v", ok, err)
	}
	if ok, err := db.ReplaceAccessKeySecret(ctx, "AK2", "enc-AK2", "newer-AK2"); ok || err != nil {
		t.Errorf("ReplaceAccessKeySecret of a secret replaced meanwhile = %v, %v; want false", ok, err)
	}
	mustTx(t, db, func(tx *sqlstore.Tx) error {
		all, err := tx.AllAccessKeys(ctx)
		if err != nil {
			return err
		}
		if len(all) != 2 || all[1].Access != "AK2" || all[1].SecretEnc != "new-AK2" {
			t.Errorf("AllAccessKeys = %+v", all)
		}
		if ok, err := tx.ReplaceAccessKeySecret(ctx, "AK2", "new-AK2", "enc-AK2"); !ok || err != nil {
			t.Errorf("Tx.ReplaceAccessKeySecret = %v, %v", ok, err)
		}
		return nil
	})
	if k, _ := db.AccessKeyByID(ctx, "AK2"); k.SecretEnc != "enc-AK2" {
		t.Errorf("secret after the transaction: %q", k.SecretEnc)
	}
	if err := db.DeleteAccessKey(ctx, "AK1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AccessKeyByID(ctx, "AK1"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("deleted key: %v", err)
	}
	if err := db.DeleteAccessKey(ctx, "AK1"); !errors.Is(err, sqlstore.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}
