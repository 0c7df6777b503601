package iam_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// TestRotateServerKeyChangesNothingOnAnUnknownKey rotates on a database
// where the given previous key is not the one the secrets were sealed
// with: the rotation fails, naming the problem, and no secret changes;
// with the right previous key it re-encrypts all, then finds nothing to do.
func TestRotateServerKeyChangesNothingOnAnUnknownKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.OpenSQLite(t)
	keyA, keyB, keyC := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	svc, err := iam.New(db, iam.Config{ServerKey: keyA})
	if err != nil {
		t.Fatal(err)
	}
	d, u, _, err := svc.CreateAccount(ctx, nil, iam.NewAccount{Domain: "acme", Password: fixturePassword, Project: "cn-north-4"})
	if err != nil {
		t.Fatal(err)
	}
	caller := &cph.Principal{User: *u, Domain: *d}
	for range 2 {
		if _, err := svc.CreateAccessKey(ctx, caller, u.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	secrets := func() string {
		keys, err := db.ListAccessKeys(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, k := range keys {
			s = append(s, k.SecretEnc)
		}
		return strings.Join(s, ",")
	}
	before := secrets()

	wrong, err := iam.New(db, iam.Config{ServerKey: keyB, PreviousServerKey: keyC})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.RotateServerKey(ctx); err == nil || !strings.Contains(err.Error(), "2 access key secret(s) open with neither") {
		t.Errorf("rotation with a wrong previous key: %v", err)
	}
	if secrets() != before {
		t.Error("a failed rotation changed secrets")
	}
	next, err := iam.New(db, iam.Config{ServerKey: keyA, NextServerKey: keyB})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := next.RotateServerKey(ctx); err == nil {
		t.Error("rotation towards a next key (not the current one) was accepted")
	}

	right, err := iam.New(db, iam.Config{ServerKey: keyB, PreviousServerKey: keyA})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []iam.Rotation{{Resealed: 2}, {Current: 2}} {
		r, err := right.RotateServerKey(ctx)
		if err != nil || r != want {
			t.Errorf("rotation %d = %+v, %v; want %+v", i+1, r, err, want)
		}
	}
	if secrets() == before {
		t.Error("secrets unchanged after the rotation")
	}
}
