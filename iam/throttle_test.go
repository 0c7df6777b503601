package iam_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

// countingVerifier is a password verifier that counts the hashes it
// computes; it checks with next (iam.VerifyPassword if nil).
type countingVerifier struct {
	calls atomic.Int32
	next  func(hash, password string) (bool, error)
}

func (v *countingVerifier) verify(hash, password string) (bool, error) {
	v.calls.Add(1)
	if v.next != nil {
		return v.next(hash, password)
	}
	return iam.VerifyPassword(hash, password)
}

// throttleFixture is an identity service with the account acme (admin
// user acme) on a real store, with a test clock and a counting verifier.
type throttleFixture struct {
	svc    *iam.Service
	db     *sqlstore.DB
	clock  *storetest.Clock
	hashes *countingVerifier
	userID string
}

const fixturePassword = "right-password"

type engineOpener struct {
	name string
	open func(t *testing.T) *sqlstore.DB
}

var engines = []engineOpener{
	{"sqlite", storetest.OpenSQLite},
	{"postgres", storetest.OpenPostgres},
}

func newThrottleFixture(t *testing.T, open func(t *testing.T) *sqlstore.DB, cfg iam.Config) *throttleFixture {
	t.Helper()
	db := open(t)
	clock := storetest.Fixed(db, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	v := &countingVerifier{next: cfg.VerifyPassword}
	cfg.VerifyPassword = v.verify
	svc, err := iam.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, u, _, err := svc.CreateAccount(context.Background(), nil, iam.NewAccount{Domain: "acme", Password: fixturePassword, Project: "cn-north-4"})
	if err != nil {
		t.Fatal(err)
	}
	return &throttleFixture{svc: svc, db: db, clock: clock, hashes: v, userID: u.ID}
}

func byName(password, addr string) iam.PasswordLogin {
	return iam.PasswordLogin{UserName: "acme", DomainName: "acme", Password: password, ClientAddr: addr}
}

// login logs in and classifies the answer: "ok", "wrong" (401) or
// "throttled" (429).
func (f *throttleFixture) login(t *testing.T, req iam.PasswordLogin) string {
	t.Helper()
	_, _, err := f.svc.Login(context.Background(), req)
	var th *iam.ThrottledError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &th):
		if th.RetryAfter <= 0 {
			t.Errorf("throttled with Retry-After %v", th.RetryAfter)
		}
		return "throttled"
	case cph.AsError(err).Status == 401:
		return "wrong"
	}
	t.Fatalf("login: %v", err)
	return ""
}

// TestThrottleKeysTheResolvedUser guesses the password of one user by id
// with a different random name each time: the guesses count against the
// user, and the throttled ones are refused before any hash is computed.
func TestThrottleKeysTheResolvedUser(t *testing.T) {
	t.Parallel()
	f := newThrottleFixture(t, engines[0].open, iam.Config{UserFailures: 5})
	var got []string
	for i := range 12 {
		got = append(got, f.login(t, iam.PasswordLogin{UserID: f.userID, UserName: fmt.Sprintf("random-%d", i),
			DomainName: fmt.Sprintf("d%d", i), Password: "guess", ClientAddr: "192.0.2.1"}))
	}
	for i, g := range got {
		if want := map[bool]string{true: "wrong", false: "throttled"}[i < 5]; g != want {
			t.Errorf("guess %d: %s, want %s (all: %v)", i+1, g, want, got)
		}
	}
	if n := f.hashes.calls.Load(); n != 5 {
		t.Errorf("%d password hashes computed for 12 guesses with a limit of 5", n)
	}
	// The right password is refused too, before it is checked.
	if g := f.login(t, iam.PasswordLogin{UserID: f.userID, Password: fixturePassword, ClientAddr: "192.0.2.1"}); g != "throttled" {
		t.Errorf("right password while throttled: %s", g)
	}
	if n := f.hashes.calls.Load(); n != 5 {
		t.Errorf("a throttled attempt computed a hash (%d in all)", n)
	}
	// By name the user is the same user.
	if g := f.login(t, byName("guess", "192.0.2.1")); g != "throttled" {
		t.Errorf("the same user by name: %s", g)
	}
	// One refill later, one more attempt.
	f.clock.Add(time.Minute)
	if g := f.login(t, byName(fixturePassword, "192.0.2.1")); g != "ok" {
		t.Errorf("a minute later: %s", g)
	}
}

// TestConcurrentGuessesAreCounted sends 40 guesses at once: at most the
// limit of them are checked, on both engines.
func TestConcurrentGuessesAreCounted(t *testing.T) {
	t.Parallel()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			f := newThrottleFixture(t, e.open, iam.Config{UserFailures: 5, ClientFailures: 100})
			var wrong, throttled atomic.Int32
			var wg sync.WaitGroup
			for range 40 {
				wg.Go(func() {
					_, _, err := f.svc.Login(context.Background(), byName("guess", "192.0.2.7"))
					var th *iam.ThrottledError
					if errors.As(err, &th) {
						throttled.Add(1)
					} else if err != nil {
						wrong.Add(1)
					}
				})
			}
			wg.Wait()
			if wrong.Load() != 5 || throttled.Load() != 35 || f.hashes.calls.Load() != 5 {
				t.Errorf("40 concurrent guesses, limit 5: %d checked and wrong, %d throttled, %d hashes; want 5, 35, 5",
					wrong.Load(), throttled.Load(), f.hashes.calls.Load())
			}
		})
	}
}

// TestLockoutIsBounded checks that guessing does not lock the user out
// everywhere: one address's guesses lock out that address only; guesses
// from many addresses empty the per-user bucket, which the addresses the
// user logged in from do not consult; every lock-out ends one refill
// after the guessing stops.
func TestLockoutIsBounded(t *testing.T) {
	t.Parallel()
	f := newThrottleFixture(t, engines[0].open, iam.Config{UserFailures: 3, UserTotalFailures: 10, UserTotalRefill: 10 * time.Second})
	// The user has logged in from their office before.
	if g := f.login(t, byName(fixturePassword, "198.51.100.1")); g != "ok" {
		t.Fatalf("first login: %s", g)
	}
	// A guesser at one address is stopped there ...
	for range 5 {
		f.login(t, byName("guess", "203.0.113.1"))
	}
	if g := f.login(t, byName(fixturePassword, "203.0.113.1")); g != "throttled" {
		t.Errorf("right password at the guessing address: %s", g)
	}
	// ... and the user logs in elsewhere, even from an address never used.
	if g := f.login(t, byName(fixturePassword, "203.0.113.99")); g != "ok" {
		t.Errorf("login from another new address during one address's guessing: %s", g)
	}
	// Guessers at many addresses empty the per-user bucket.
	for i := range 20 {
		f.login(t, byName("guess", fmt.Sprintf("203.0.113.%d", 100+i)))
	}
	if g := f.login(t, byName(fixturePassword, "203.0.113.200")); g != "throttled" {
		t.Errorf("login from a new address after many addresses guessed: %s, want throttled", g)
	}
	// The addresses the user logged in from still work.
	for _, addr := range []string{"198.51.100.1", "203.0.113.99"} {
		if g := f.login(t, byName(fixturePassword, addr)); g != "ok" {
			t.Errorf("login from known address %s during a distributed attack: %s", addr, g)
		}
	}
	// Once the guessing stops, new addresses work again after one refill.
	f.clock.Add(10 * time.Second)
	if g := f.login(t, byName(fixturePassword, "203.0.113.200")); g != "ok" {
		t.Errorf("login from a new address one refill after the guessing stopped: %s", g)
	}
}

// TestUnknownUsersCostTheSame checks that a login for a user that does
// not exist computes a hash and is throttled like a real one.
func TestUnknownUsersCostTheSame(t *testing.T) {
	t.Parallel()
	f := newThrottleFixture(t, engines[0].open, iam.Config{UserFailures: 2})
	unknown := iam.PasswordLogin{UserName: "nobody", DomainName: "acme", Password: "x", ClientAddr: "192.0.2.1"}
	for i, want := range []string{"wrong", "wrong", "throttled"} {
		if g := f.login(t, unknown); g != want {
			t.Errorf("unknown user, attempt %d: %s, want %s", i+1, g, want)
		}
	}
	if n := f.hashes.calls.Load(); n != 2 {
		t.Errorf("unknown user: %d hashes for 2 checked attempts", n)
	}
}

// TestSuccessfulLoginsCostNothing checks that successful logins give
// their attempts back.
func TestSuccessfulLoginsCostNothing(t *testing.T) {
	t.Parallel()
	f := newThrottleFixture(t, engines[0].open, iam.Config{UserFailures: 2, ClientFailures: 3})
	for i := range 10 {
		if g := f.login(t, byName(fixturePassword, "192.0.2.1")); g != "ok" {
			t.Fatalf("login %d: %s", i+1, g)
		}
	}
	if g := f.login(t, byName("guess", "192.0.2.1")); g != "wrong" {
		t.Errorf("a guess after 10 successful logins: %s", g)
	}
}

// TestHashingIsBounded holds both hash slots of a service and checks that
// further password checks wait without hashing and give up when their
// request ends.
func TestHashingIsBounded(t *testing.T) {
	t.Parallel()
	db := engines[0].open(t)
	entered, release := make(chan struct{}, 10), make(chan struct{})
	var calls, running, most atomic.Int32
	svc, err := iam.New(db, iam.Config{MaxConcurrentHashes: 2, ClientFailures: 100, UserFailures: 100,
		VerifyPassword: func(hash, password string) (bool, error) {
			calls.Add(1)
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			entered <- struct{}{}
			<-release
			return false, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := svc.CreateAccount(context.Background(), nil, iam.NewAccount{Domain: "acme", Password: fixturePassword}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { svc.Login(context.Background(), byName("guess", fmt.Sprintf("192.0.2.%d", i))) })
	}
	<-entered
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Go(func() {
			_, _, err := svc.Login(ctx, byName("guess", fmt.Sprintf("198.51.100.%d", i)))
			errs <- err
		})
	}
	cancel()
	for range 4 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Errorf("a check waiting for a hash slot when its request ended: %v, want context.Canceled", err)
		}
	}
	close(release)
	wg.Wait()
	if calls.Load() != 2 || most.Load() != 2 {
		t.Errorf("%d hashes computed, at most %d at once; want 2, 2", calls.Load(), most.Load())
	}
}

// TestConcurrentCorrectLoginsSucceed logs one user in many times at once
// from one address: none is refused, though more run at once than the
// bucket holds.
func TestConcurrentCorrectLoginsSucceed(t *testing.T) {
	t.Parallel()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			f := newThrottleFixture(t, e.open, iam.Config{UserFailures: 3, MaxConcurrentHashes: 8})
			errs := make(chan error, 16)
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					_, _, err := f.svc.Login(context.Background(), byName(fixturePassword, "192.0.2.9"))
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("a correct login among 16 at once: %v", err)
				}
			}
		})
	}
}

// fastVerifierFixture is a password verifier for tests that need many
// checks: it accepts fixturePassword without computing a hash.
func fastVerifierFixture(hash, password string) (bool, error) {
	return password == fixturePassword, nil
}

// TestCorrectLoginsNeverHoldMoreThanTheGate logs one user in from one
// address in rounds of 32 at once, with a limit of 2 (so one check at a
// time) and a verifier that takes no time, so that each check spends its
// time in the store: a check must give its attempts back before the next
// check of the same user and address starts, or the next ones find the
// bucket empty. Every login succeeds and no attempt is left counted.
func TestCorrectLoginsNeverHoldMoreThanTheGate(t *testing.T) {
	t.Parallel()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			f := newThrottleFixture(t, e.open, iam.Config{UserFailures: 2, ClientFailures: 100, VerifyPassword: fastVerifierFixture})
			for round := range 5 {
				var refused atomic.Int32
				var wg sync.WaitGroup
				for range 32 {
					wg.Go(func() {
						_, _, err := f.svc.Login(context.Background(), byName(fixturePassword, "192.0.2.9"))
						var th *iam.ThrottledError
						if errors.As(err, &th) {
							refused.Add(1)
						} else if err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				if n := refused.Load(); n > 0 {
					t.Fatalf("round %d: %d of 32 correct logins at once refused as too many failures", round+1, n)
				}
			}
			// Nothing was left counted: both failures are still allowed.
			for i, want := range []string{"wrong", "wrong", "throttled"} {
				if g := f.login(t, byName("guess", "192.0.2.9")); g != want {
					t.Errorf("guess %d after the logins: %s, want %s", i+1, g, want)
				}
			}
		})
	}
}
