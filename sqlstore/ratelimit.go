package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Rate limits are kept in the database (table rate_limits), so every
// replica sharing it sees the same counts. Each check is one conditional
// write (INSERT ... ON CONFLICT DO UPDATE ... WHERE), which both engines
// run atomically: concurrent checks of one key never admit more than the
// limit, whichever replica they reach. Times come from DB.Now.
//
// Two kinds of limit share the table:
//
//   - a TokenBucket (a token bucket, run as the generic cell rate algorithm):
//     Burst attempts at once, then one more every Every. One row per key.
//   - a Window: at most N calls in any window of length Per. One row per
//     slot (key#0 ... key#N-1); a call takes a slot that is free and holds
//     it for Per.
//
// Rows whose time has passed mean the same as no row; the store deletes
// them now and then (at most every rateLimitSweepEvery, per process).

// TokenBucket is a token-bucket limit: Burst attempts at once, then one more
// every Every.
type TokenBucket struct {
	Burst int
	Every time.Duration
}

// Window is a sliding-window limit: at most N calls in any window of
// length Per.
type Window struct {
	N   int
	Per time.Duration
}

// rateLimitSweepEvery is how often a process deletes the rows of
// rate_limits that no longer limit anything.
const rateLimitSweepEvery = 10 * time.Minute

// TakeToken takes one token from the bucket key for an attempt. It
// reports whether the attempt is allowed; when not, retryAfter is how long
// until the next one would be. A refused attempt changes nothing.
func (db *DB) TakeToken(ctx context.Context, key string, b TokenBucket) (ok bool, retryAfter time.Duration, err error) {
	if b.Burst < 1 || b.Every <= 0 {
		return false, 0, fmt.Errorf("sqlstore: take token %s: bad bucket %+v", key, b)
	}
	now := db.Now()
	db.sweepRateLimits(ctx, now)
	n, every := now.UnixMicro(), b.Every.Microseconds()
	limit := n + int64(b.Burst)*every
	// GCRA: the new tat is max(tat, now) + every; allowed while it is at
	// most now + burst*every.
	res, err := db.db.ExecContext(ctx, `INSERT INTO rate_limits (key, tat) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET tat = CAST(CASE WHEN rate_limits.tat > $3 THEN rate_limits.tat ELSE $3 END AS BIGINT) + $4
		WHERE CAST(CASE WHEN rate_limits.tat > $3 THEN rate_limits.tat ELSE $3 END AS BIGINT) + $4 <= $5`,
		key, n+every, n, every, limit)
	if err != nil {
		return false, 0, fmt.Errorf("sqlstore: take token %s: %w", key, err)
	}
	if affected, err := res.RowsAffected(); err != nil {
		return false, 0, fmt.Errorf("sqlstore: take token %s: %w", key, err)
	} else if affected > 0 {
		return true, 0, nil
	}
	var tat int64
	if err := db.db.QueryRowContext(ctx, `SELECT tat FROM rate_limits WHERE key = $1`, key).Scan(&tat); err != nil {
		return false, 0, notFound(err, "rate limit "+key)
	}
	return false, max(time.Duration(tat+every-limit)*time.Microsecond, time.Microsecond), nil
}

// PeekTokens reports, without taking anything, whether every bucket
// keys[i] (of kind buckets[i]) has a token left; when one has not,
// retryAfter is the longest wait. It lets callers refuse an attempt
// cheaply before they queue for something; TakeToken still decides.
func (db *DB) PeekTokens(ctx context.Context, keys []string, buckets []TokenBucket) (ok bool, retryAfter time.Duration, err error) {
	if len(keys) != len(buckets) || len(keys) == 0 {
		return false, 0, fmt.Errorf("sqlstore: peek tokens: %d keys, %d buckets", len(keys), len(buckets))
	}
	args := make([]any, len(keys))
	of := make(map[string]TokenBucket, len(keys))
	for i, k := range keys {
		args[i], of[k] = k, buckets[i]
	}
	rows, err := db.db.QueryContext(ctx, `SELECT key, tat FROM rate_limits WHERE key IN (`+placeholders(1, len(keys))+`)`, args...)
	if err != nil {
		return false, 0, fmt.Errorf("sqlstore: peek tokens: %w", err)
	}
	defer rows.Close()
	n := db.Now().UnixMicro()
	ok = true
	for rows.Next() {
		var key string
		var tat int64
		if err := rows.Scan(&key, &tat); err != nil {
			return false, 0, fmt.Errorf("sqlstore: peek tokens: %w", err)
		}
		b := of[key]
		every := b.Every.Microseconds()
		if wait := max(tat, n) + every - (n + int64(b.Burst)*every); wait > 0 {
			ok = false
			retryAfter = max(retryAfter, time.Duration(wait)*time.Microsecond)
		}
	}
	if err := rows.Err(); err != nil {
		return false, 0, fmt.Errorf("sqlstore: peek tokens: %w", err)
	}
	return ok, retryAfter, nil
}

// ReturnToken gives back a token taken from the bucket key (an attempt
// that turned out not to count, such as a successful login).
func (db *DB) ReturnToken(ctx context.Context, key string, b TokenBucket) error {
	if _, err := db.db.ExecContext(ctx, `UPDATE rate_limits SET tat = tat - $1 WHERE key = $2`, b.Every.Microseconds(), key); err != nil {
		return fmt.Errorf("sqlstore: return token %s: %w", key, err)
	}
	return nil
}

// TakeSlot records a call of key in the sliding window w if fewer than
// w.N calls were recorded in the last w.Per. It reports whether the call
// is allowed; when not, retryAfter is how long until a slot is free.
func (db *DB) TakeSlot(ctx context.Context, key string, w Window) (ok bool, retryAfter time.Duration, err error) {
	if w.N < 1 || w.Per <= 0 {
		return false, 0, fmt.Errorf("sqlstore: take slot %s: bad window %+v", key, w)
	}
	now := db.Now()
	db.sweepRateLimits(ctx, now)
	n := now.UnixMicro()
	until := n + w.Per.Microseconds()
	keys := make([]any, w.N)
	for i := range w.N {
		keys[i] = key + "#" + strconv.Itoa(i)
		res, err := db.db.ExecContext(ctx, `INSERT INTO rate_limits (key, tat) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET tat = $2 WHERE rate_limits.tat <= $3`, keys[i], until, n)
		if err != nil {
			return false, 0, fmt.Errorf("sqlstore: take slot %s: %w", key, err)
		}
		if affected, err := res.RowsAffected(); err != nil {
			return false, 0, fmt.Errorf("sqlstore: take slot %s: %w", key, err)
		} else if affected > 0 {
			return true, 0, nil
		}
	}
	var free int64
	if err := db.db.QueryRowContext(ctx, `SELECT MIN(tat) FROM rate_limits WHERE key IN (`+placeholders(1, len(keys))+`)`,
		keys...).Scan(&free); err != nil {
		return false, 0, fmt.Errorf("sqlstore: take slot %s: %w", key, err)
	}
	return false, max(time.Duration(free-n)*time.Microsecond, time.Microsecond), nil
}

// SetMark records key until the time until (a fact that expires, such as
// "this user logged in from this address").
func (db *DB) SetMark(ctx context.Context, key string, until time.Time) error {
	if _, err := db.db.ExecContext(ctx, `INSERT INTO rate_limits (key, tat) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET tat = $2`, key, until.UnixMicro()); err != nil {
		return fmt.Errorf("sqlstore: set mark %s: %w", key, err)
	}
	return nil
}

// Marked reports whether key was marked with SetMark until a time after now.
func (db *DB) Marked(ctx context.Context, key string) (bool, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM rate_limits WHERE key = $1 AND tat > $2`,
		key, db.Now().UnixMicro()).Scan(&n); err != nil {
		return false, fmt.Errorf("sqlstore: mark %s: %w", key, err)
	}
	return n > 0, nil
}

// sweepRateLimits deletes the rows of rate_limits whose time has passed,
// at most every rateLimitSweepEvery. Failures are left to the next sweep.
func (db *DB) sweepRateLimits(ctx context.Context, now time.Time) {
	last := db.limitsSwept.Load()
	if now.UnixMicro()-last < rateLimitSweepEvery.Microseconds() || !db.limitsSwept.CompareAndSwap(last, now.UnixMicro()) {
		return
	}
	_, _ = db.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE tat < $1`, now.UnixMicro())
}
