package iam_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/aksk"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
)

// benchService is an identity service on a real SQLite database with one
// account, its user and project.
func benchService(b testing.TB) (*iam.Service, *cph.Principal, iam.PasswordLogin) {
	b.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(b.TempDir(), "cph.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	hash, err := iam.HashPassword("bench-password")
	if err != nil {
		b.Fatal(err)
	}
	d := &cph.Domain{ID: cph.NewID(), Name: "acme", Enabled: true}
	u := &cph.User{ID: cph.NewID(), DomainID: d.ID, Name: "ops", PasswordHash: hash, Enabled: true, IsAdmin: true}
	p := &cph.Project{ID: cph.NewID(), DomainID: d.ID, Name: "cn-north-4", Enabled: true}
	err = db.Tx(ctx, func(tx *sqlstore.Tx) error {
		if err := tx.CreateDomain(ctx, d); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.CreateProject(ctx, p)
	})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := iam.New(db, iam.Config{ServerKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		b.Fatal(err)
	}
	login := iam.PasswordLogin{UserName: "ops", DomainName: "acme", Password: "bench-password", ProjectName: "cn-north-4", ClientAddr: "127.0.0.1"}
	return svc, &cph.Principal{User: *u, Domain: *d, ProjectID: p.ID}, login
}

// BenchmarkTokenCheck measures what every token-authenticated request
// costs: resolving an X-Auth-Token to its user, account and project.
func BenchmarkTokenCheck(b *testing.B) {
	svc, _, login := benchService(b)
	ctx := context.Background()
	token, _, err := svc.Login(ctx, login)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p, _, state, err := svc.Lookup(ctx, token)
		if err != nil || state != iam.TokenValid || p == nil {
			b.Fatalf("lookup: %v %v", state, err)
		}
	}
}

// BenchmarkTokenIssue measures a password login (POST /v3/auth/tokens):
// the argon2id check dominates, by design.
func BenchmarkTokenIssue(b *testing.B) {
	svc, _, login := benchService(b)
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := svc.Login(ctx, login); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignatureCheck measures an AK/SK-signed request's check: the
// access key's lookup and decryption, and the signature's verification.
func BenchmarkSignatureCheck(b *testing.B) {
	svc, caller, _ := benchService(b)
	ctx := context.Background()
	key, err := svc.CreateAccessKey(ctx, caller, caller.User.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	r, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:8080/v1/"+caller.ProjectID+"/cloud-phone/phones?offset=0&limit=100", nil)
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Project-Id", caller.ProjectID)
	aksk.Sign(r, nil, key.Access, key.Secret, time.Now())
	for b.Loop() {
		p, err := svc.VerifySigned(ctx, r, nil)
		if err != nil || p.User.ID != caller.User.ID {
			b.Fatalf("verify: %+v %v", p, err)
		}
	}
}

// TestTokenChecksFollowChanges checks that cached token checks see a
// revocation at the next check, and that revoking one token leaves the
// others valid.
func TestTokenChecksFollowChanges(t *testing.T) {
	t.Parallel()
	svc, _, login := benchService(t)
	ctx := context.Background()
	token, _, err := svc.Login(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := svc.Login(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the later checks come from the cache
		for _, tok := range []string{token, other} {
			if p, _, state, err := svc.Lookup(ctx, tok); err != nil || state != iam.TokenValid || p.User.Name != "ops" {
				t.Fatalf("fresh token: %+v %v, %v", p, state, err)
			}
		}
	}
	if ok, err := svc.Revoke(ctx, token); err != nil || !ok {
		t.Fatalf("revoke: %v, %v", ok, err)
	}
	if _, _, state, _ := svc.Lookup(ctx, token); state != iam.TokenUnknown {
		t.Errorf("revoked token checked %v, want unknown", state)
	}
	if _, _, state, _ := svc.Lookup(ctx, other); state != iam.TokenValid {
		t.Errorf("the other token checked %v after a revocation, want valid", state)
	}
}
