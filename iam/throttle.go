package iam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opencph/opencph/sqlstore"
)

// The login throttle. Every password check (a login, or the original
// password of a password change) first reserves one attempt in three
// token buckets kept in the database (sqlstore.TakeToken), so every
// replica counts the same attempts and concurrent guesses are counted
// before any of them is checked:
//
//   - the client address: ClientFailures at once, then one per ClientRefill;
//   - the user at that address: UserFailures at once, then one per
//     UserRefill;
//   - the user from every address it has not logged in from before:
//     UserTotalFailures at once, then one per UserTotalRefill.
//
// The user is the one the request resolves to (looked up first), not the
// fields the client sent. Concurrent correct logins do not exhaust the
// buckets: an attempt waits for a hash slot, and for a place among fewer
// than UserFailures checks of the same user at the same address, before
// it reserves, and a successful login gives its attempts back before it
// gives up that place (see checkPassword). Requests for users that do not
// exist reserve the same way under a key derived from what was sent, and
// check a dummy hash, so they cost what real ones cost. A refused attempt changes nothing, so a lock-out ends
// one refill after the guessing stops.
//
// Lock-outs are bounded: guessing from one address locks the user out at
// that address only (the per-user bucket refills faster than one address
// may guess). Guessing from many addresses can empty the per-user bucket,
// but that bucket is not consulted at addresses the user logged in from
// in the last KnownAddressFor, so the user can still log in from there.

// loginLimits are the buckets of the login throttle.
type loginLimits struct {
	addr, userAddr, user sqlstore.TokenBucket
	knownFor             time.Duration
}

// reservation is the attempts one password check reserved.
type reservation struct {
	keys    []string
	buckets []sqlstore.TokenBucket
}

// loginSubject is the throttle's name for the user a login resolved to,
// or, for a user that does not exist, for what the client sent.
func loginSubject(userID string, req PasswordLogin) string {
	if userID != "" {
		return userID
	}
	sum := sha256.Sum256([]byte(strings.ToLower(req.UserID + "\x00" + req.DomainID + "\x00" + req.DomainName + "\x00" + req.UserName)))
	return "unknown-" + hex.EncodeToString(sum[:16])
}

// passwordCheck is one login attempt's password check: Password against
// Hash, for Subject at the client address Addr. Refund: the caller knows
// the login will succeed if the password is right.
type passwordCheck struct {
	Subject  string
	Addr     string
	Hash     string
	Password string
	Refund   bool
}

// checkPassword runs one throttled check c of a password against a hash
// for a subject at an address. In order: a look at the buckets (an empty one refuses
// the attempt at once, with a *ThrottledError); a place among the
// checks of this subject at this address that run at once on this
// replica (fewer than UserFailures, so that concurrent correct logins do
// not use up the bucket), and a hash slot, both waited for as long as ctx
// lasts; the atomic reservation of the attempt in every bucket (which
// may still refuse it); the hash. A failed check keeps its reservation.
// A correct password gives the attempts back if c.Refund is set (the
// caller knows the login will succeed if the password is right), before
// the check leaves its place: a check that had left its place while
// still holding its attempts would let one more in, and more checks
// than the bucket holds would hold attempts at once.
func (s *Service) checkPassword(ctx context.Context, c passwordCheck) (bool, error) {
	known, err := s.db.Marked(ctx, "login:known:"+c.Subject+"|"+c.Addr)
	if err != nil {
		return false, err
	}
	res := &reservation{keys: []string{"login:addr:" + c.Addr, "login:user:" + c.Subject + "|" + c.Addr},
		buckets: []sqlstore.TokenBucket{s.limits.addr, s.limits.userAddr}}
	if !known {
		res.keys, res.buckets = append(res.keys, "login:user:"+c.Subject), append(res.buckets, s.limits.user)
	}
	if ok, after, err := s.db.PeekTokens(ctx, res.keys, res.buckets); err != nil {
		return false, err
	} else if !ok {
		return false, &ThrottledError{RetryAfter: after}
	}
	leave, err := s.gates.enter(ctx, c.Subject+"|"+c.Addr)
	if err != nil {
		return false, err
	}
	defer leave()
	select {
	case s.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.hashSlots }()
	if err := s.reserve(ctx, res); err != nil {
		return false, err
	}
	ok, err := s.cfg.VerifyPassword(c.Hash, c.Password)
	if err != nil {
		s.release(ctx, res)
		return false, fmt.Errorf("iam: verify password: %w", err)
	}
	if ok && c.Refund {
		s.release(ctx, res)
	}
	return ok, nil
}

// reserve takes one token from every bucket of res, or returns a
// *ThrottledError (and keeps nothing) if one is empty.
func (s *Service) reserve(ctx context.Context, res *reservation) error {
	for i, k := range res.keys {
		ok, after, err := s.db.TakeToken(ctx, k, res.buckets[i])
		if err == nil && !ok {
			err = &ThrottledError{RetryAfter: after}
		}
		if err != nil {
			s.release(ctx, &reservation{keys: res.keys[:i], buckets: res.buckets[:i]})
			return err
		}
	}
	return nil
}

// release gives the reserved attempts back.
func (s *Service) release(ctx context.Context, res *reservation) {
	for i, k := range res.keys {
		if err := s.db.ReturnToken(context.WithoutCancel(ctx), k, res.buckets[i]); err != nil {
			s.log.Warn("could not return a login attempt", "err", err)
		}
	}
}

// remember records that subject logged in from addr.
func (s *Service) remember(ctx context.Context, subject, addr string) {
	if err := s.db.SetMark(ctx, "login:known:"+subject+"|"+addr, s.db.Now().Add(s.limits.knownFor)); err != nil {
		s.log.Warn("could not record a login address", "err", err)
	}
}

// gates bounds, per key, how many callers are inside at once.
type gates struct {
	size int
	mu   sync.Mutex
	m    map[string]*gate
}

type gate struct {
	slots chan struct{}
	users int // callers inside or waiting
}

func newGates(size int) *gates { return &gates{size: max(size, 1), m: map[string]*gate{}} }

// enter waits, for as long as ctx lasts, until fewer than size callers
// are inside key's gate, and enters it; leave leaves it.
func (g *gates) enter(ctx context.Context, key string) (leave func(), err error) {
	g.mu.Lock()
	gt := g.m[key]
	if gt == nil {
		gt = &gate{slots: make(chan struct{}, g.size)}
		g.m[key] = gt
	}
	gt.users++
	g.mu.Unlock()
	done := func() {
		g.mu.Lock()
		if gt.users--; gt.users == 0 {
			delete(g.m, key)
		}
		g.mu.Unlock()
	}
	select {
	case gt.slots <- struct{}{}:
		return func() { <-gt.slots; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}
