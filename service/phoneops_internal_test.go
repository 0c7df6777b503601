package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore/storetest"
)

func TestTicketSignAndVerify(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	c := ticketClaims{ProjectID: "p", PhoneID: "ph", ServerID: "s", SessionID: "sid", ClientType: "ANDROID",
		IssuedAt: now.UnixMilli(), ExpiresAt: now.Add(ticketTTL).UnixMilli()}
	ticket, err := signTicket(key, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := verifyTicket(key, ticket, now.Add(time.Minute))
	if err != nil || *got != c {
		t.Fatalf("verify = %+v, %v; want %+v", got, err, c)
	}
	payload, sig, _ := strings.Cut(ticket, ".")
	other, _ := signTicket(key, ticketClaims{PhoneID: "another", ExpiresAt: c.ExpiresAt})
	otherPayload, _, _ := strings.Cut(other, ".")
	for name, tc := range map[string]struct {
		key    []byte
		ticket string
		at     time.Time
	}{
		"expired":         {key, ticket, now.Add(ticketTTL)},
		"other key":       {[]byte("fedcba9876543210fedcba9876543210"), ticket, now},
		"swapped payload": {key, otherPayload + "." + sig, now},
		"damaged":         {key, payload + "." + sig[:len(sig)-2], now},
		"no signature":    {key, payload, now},
		"empty":           {key, "", now},
		"garbage payload": {key, "!!!." + sig, now},
	} {
		if _, err := verifyTicket(tc.key, tc.ticket, tc.at); cph.ErrorCode(err) != cph.CodeTicketInvalid {
			t.Errorf("%s: err = %v, want %s", name, err, cph.CodeTicketInvalid)
		}
	}
}

func TestCheckContent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		command, content string
		ok               bool
	}{
		{"shell", "getprop ro.build.version.release", true},
		{"shell", "ls -l /data/local/tmp", true},
		{"shell", "echo a=b", true},
		{"shell", "pm list packages | grep -i demo && echo found || echo none", true},
		{"shell", "am start -d http://x/y?a=1&b=2", true},
		{"shell", "rm -rf /; reboot", false},
		{"shell", "echo 'a'", false},
		{"shell", "echo \"a\"", false},
		{"shell", "echo $(id)", false},
		{"shell", "echo a > b", false},
		{"shell", "echo `id`", false},
		{"shell", "echo $HOME", false},
		{"shell", "cat <x", false},
		{"shell", "   ", false},
		{"shell", strings.Repeat("a", 2048), true},
		{"shell", strings.Repeat("a", 2049), false},
		{"push", "obs://files/data.tar?x=1", false},
		{"uninstall", "com.example.app|x", false},
		{"install", strings.Repeat("-t ", 400) + "obs://apps/demo.apk", false}, // over 1024 bytes
		{"install", "obs://apps/demo.apk", true},
		{"install", "-t -r obs://apps/dir/demo.apk", true},
		{"install", "obs://apps/demo.apk obs://apps/ignored.zip", true},
		{"install", "r obs://apps/demo.apk", false},
		{"install", "obs://apps/.apk", false},
		{"install", "obs://Apps/demo.apk", false},
		{"install", "obs://apps/../demo.apk", false},
		{"install-multiple", strings.TrimSpace(strings.Repeat("obs://apps/a.apk ", 50)), true},
		{"install-multiple", strings.TrimSpace(strings.Repeat("obs://apps/a.apk ", 51)), false},
		{"install-multiple", "obs://apps/a.apk obs://apps/b.tar", false},
		{"uninstall", "com.example.app", true},
		{"uninstall", "-k com.example.app", true},
		{"uninstall", "example", false},
		{"uninstall", "1com.example", false},
		{"push", "obs://files/data.tar", true},
		{"push", "obs://files/data.tgz", false},
		{"push", "/data/data.tar", false},
	} {
		err := checkContent(tc.command, tc.content)
		if (err == nil) != tc.ok {
			t.Errorf("%s %q: err = %v, want ok=%v", tc.command, tc.content, err, tc.ok)
		}
		if err != nil && cph.ErrorCode(err) != cph.CodeInvalidContent {
			t.Errorf("%s %q: code %s", tc.command, tc.content, cph.ErrorCode(err))
		}
	}
}

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.OpenSQLite(t)
	clock := storetest.Fixed(db, time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC))
	l := newRateLimiter(6, time.Minute)
	allow := func(key string) bool {
		t.Helper()
		err := l.allow(ctx, db, key, cph.ErrTooManyRequests())
		var rl *cph.Error
		if err != nil && !errors.As(err, &rl) {
			t.Fatal(err)
		}
		if rl != nil && (cph.ErrorCode(err) != cph.CodeTooManyRequests || rl.RetryAfter <= 0) {
			t.Errorf("refusal %v, retry after %v", err, rl.RetryAfter)
		}
		return err == nil
	}
	for i := range 6 {
		if !allow("alice") {
			t.Fatalf("call %d refused", i+1)
		}
		clock.Add(5 * time.Second)
	}
	if allow("alice") {
		t.Error("seventh call within a minute allowed")
	}
	if !allow("bob") {
		t.Error("another user was limited")
	}
	clock.Add(30 * time.Second) // the first call is now a minute old
	if !allow("alice") {
		t.Error("call after the window moved on refused")
	}
	if allow("alice") {
		t.Error("second call after the window moved on allowed")
	}
}

func TestValidDataPath(t *testing.T) {
	t.Parallel()
	for p, ok := range map[string]bool{
		"/data": true, "/data/": true, "/data/app": true, "/data/local/tmp*": true, "/cache/x": true,
		"/data*": true, "/system": false, "data": false, "/data/a*b": false, "/data/../system": false,
		"/datax": false, "/data/with space": false, "/data/~u=1+#": true,
	} {
		if got := validDataPath(p); got != ok {
			t.Errorf("validDataPath(%q) = %v, want %v", p, got, ok)
		}
	}
}
