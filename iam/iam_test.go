package iam

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string", h)
	}
	if ok, err := VerifyPassword(h, "correct horse"); err != nil || !ok {
		t.Errorf("right password: %v, %v", ok, err)
	}
	if ok, _ := VerifyPassword(h, "correct horsE"); ok {
		t.Error("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse")
	if h2 == h {
		t.Error("two hashes of one password are equal (no salt?)")
	}
	if _, err := VerifyPassword("$2a$10$notargon", "x"); err == nil {
		t.Error("non-argon2id hash accepted")
	}
}

func TestTokensAreRandomAndHashed(t *testing.T) {
	t.Parallel()
	a, ha, err := newToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := newToken()
	if a == b || len(a) != 43 || ha != HashToken(a) || len(ha) != 64 || strings.Contains(ha, a) {
		t.Errorf("token %q hash %q", a, ha)
	}
}
