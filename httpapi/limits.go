package httpapi

import (
	"context"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Limits that protect the API are kept in the database (see
// sqlstore.TakeToken and TakeSlot), so that every replica sharing it
// counts the same calls.

// rateLimited is a refusal by a rate limit: a 429 answered with a
// Retry-After header.
type rateLimited struct {
	err   *cph.Error
	after time.Duration
}

func (e *rateLimited) Error() string { return e.err.Error() }
func (e *rateLimited) Unwrap() error { return e.err }

// retryAfterSeconds is the Retry-After value for a wait of d: whole
// seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 1)
}

// rateLimiter admits at most n calls per key in any window of length
// per, counted in the database.
type rateLimiter struct{ w sqlstore.Window }

func newRateLimiter(n int, per time.Duration) *rateLimiter {
	return &rateLimiter{w: sqlstore.Window{N: n, Per: per}}
}

// allow records a call of key; over the limit it returns a *rateLimited
// carrying refusal.
func (l *rateLimiter) allow(ctx context.Context, db *sqlstore.DB, key string, refusal *cph.Error) error {
	ok, after, err := db.TakeSlot(ctx, key, l.w)
	if err != nil {
		return err
	}
	if !ok {
		return &rateLimited{err: refusal, after: after}
	}
	return nil
}
