package iam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
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
// fields the client sent; requests for users that do not exist reserve
// the same way under a key derived from what was sent, and check a dummy
// hash, so they cost what real ones cost. A successful login gives its
// attempts back. A refused attempt changes nothing, so a lock-out ends
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

// reserve reserves one attempt for subject at addr in every bucket, or
// returns a *ThrottledError (and keeps nothing) if a bucket is empty.
func (s *Service) reserve(ctx context.Context, subject, addr string) (*reservation, error) {
	known, err := s.db.Marked(ctx, "login:known:"+subject+"|"+addr)
	if err != nil {
		return nil, err
	}
	res := &reservation{}
	try := func(key string, b sqlstore.TokenBucket) error {
		ok, after, err := s.db.TakeToken(ctx, key, b)
		if err != nil {
			return err
		}
		if !ok {
			return &ThrottledError{RetryAfter: after}
		}
		res.keys, res.buckets = append(res.keys, key), append(res.buckets, b)
		return nil
	}
	err = try("login:addr:"+addr, s.limits.addr)
	if err == nil {
		err = try("login:user:"+subject+"|"+addr, s.limits.userAddr)
	}
	if err == nil && !known {
		err = try("login:user:"+subject, s.limits.user)
	}
	if err != nil {
		s.release(ctx, res)
		return nil, err
	}
	return res, nil
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
