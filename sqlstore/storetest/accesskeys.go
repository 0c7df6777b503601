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
