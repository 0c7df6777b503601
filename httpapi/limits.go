package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
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

// Failed agent enrollments (a wrong enrollment token) are allowed per
// client address enrollFailures at once, then one more every
// enrollRefill.
var enrollFailures = sqlstore.TokenBucket{Burst: 10, Every: 30 * time.Second}

// enrollAttempt reserves one failed enrollment for the caller's address
// before the enrollment token is checked, or refuses the call with 429
// AGENT.0429. The caller calls the returned function once the token
// proved right: then the attempt does not count.
func (s *Server) enrollAttempt(r *http.Request) (tokenRight func(), err error) {
	key := "enroll:addr:" + clientAddr(r)
	ok, after, err := s.db.TakeToken(r.Context(), key, enrollFailures)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.log.Warn("agent enrollment throttled", "remote", clientAddr(r))
		return nil, &rateLimited{after: after, err: cph.Errorf(http.StatusTooManyRequests, agentproto.CodeEnrollThrottled,
			"Too many enrollments with a wrong token from this address. Retry after %d seconds.", retryAfterSeconds(after))}
	}
	return func() {
		if err := s.db.ReturnToken(context.WithoutCancel(r.Context()), key, enrollFailures); err != nil {
			s.log.Warn("could not return an enrollment attempt", "err", err)
		}
	}, nil
}
