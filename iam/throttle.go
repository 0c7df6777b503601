package iam

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle limits failed logins. Each key (a user, a client address) has a
// token bucket; every failed attempt takes a token, and while a key's
// bucket is empty every attempt for that key is refused before the
// password is checked. Successful logins cost nothing.
type throttle struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	buckets map[string]*rate.Limiter
	swept   time.Time
}

func newThrottle(every time.Duration, burst int) *throttle {
	return &throttle{every: every, burst: burst, buckets: map[string]*rate.Limiter{}}
}

func (t *throttle) bucket(key string, now time.Time) *rate.Limiter {
	if now.Sub(t.swept) > 10*time.Minute {
		// Forget full buckets so the map does not grow without bound.
		for k, l := range t.buckets {
			if l.TokensAt(now) >= float64(t.burst) {
				delete(t.buckets, k)
			}
		}
		t.swept = now
	}
	l, ok := t.buckets[key]
	if !ok {
		l = rate.NewLimiter(rate.Every(t.every), t.burst)
		t.buckets[key] = l
	}
	return l
}

// blocked reports whether any key is out of attempts, and when the first
// attempt will be allowed again.
func (t *throttle) blocked(now time.Time, keys ...string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		l := t.bucket(k, now)
		if tokens := l.TokensAt(now); tokens < 1 {
			return true, time.Duration((1 - tokens) * float64(t.every))
		}
	}
	return false, 0
}

// failed records a failed attempt for every key.
func (t *throttle) failed(now time.Time, keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		t.bucket(k, now).AllowN(now, 1)
	}
}
