package service

import (
	"context"
	"fmt"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Limits that protect the services are kept in the database (see
// sqlstore.DB.TakeSlot), so that every replica sharing it counts the same
// calls.

// rateLimiter admits at most n calls per key in any window of length
// per, counted in the database.
type rateLimiter struct{ w sqlstore.Window }

func newRateLimiter(n int, per time.Duration) *rateLimiter {
	return &rateLimiter{w: sqlstore.Window{N: n, Per: per}}
}

// allow records a call of key; over the limit it returns a copy of
// refusal whose RetryAfter says when the next call is admitted.
func (l *rateLimiter) allow(ctx context.Context, db *sqlstore.DB, key string, refusal *cph.Error) error {
	ok, after, err := db.TakeSlot(ctx, key, l.w)
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	if !ok {
		e := *refusal
		e.RetryAfter = max(after, time.Nanosecond)
		return &e
	}
	return nil
}
