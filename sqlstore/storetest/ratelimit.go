package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencph/opencph/sqlstore"
)

// testTokenBuckets checks the token bucket: Burst at once, then one per
// Every; refusals change nothing; returned tokens count again; keys are
// independent.
func testTokenBuckets(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	c := Fixed(db, time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC))
	b := sqlstore.TokenBucket{Burst: 3, Every: time.Minute}
	take := func(key string) (bool, time.Duration) {
		t.Helper()
		ok, after, err := db.TakeToken(ctx, key, b)
		if err != nil {
			t.Fatal(err)
		}
		return ok, after
	}
	for i := range 3 {
		if ok, _ := take("k"); !ok {
			t.Fatalf("attempt %d of a burst of 3 refused", i+1)
		}
	}
	for range 2 {
		if ok, after := take("k"); ok || after != time.Minute {
			t.Fatalf("4th attempt: allowed %v, retry after %v; want refused, 1m", ok, after)
		}
	}
	peek := func(keys ...string) (bool, time.Duration) {
		t.Helper()
		bs := make([]sqlstore.TokenBucket, len(keys))
		for i := range bs {
			bs[i] = b
		}
		ok, after, err := db.PeekTokens(ctx, keys, bs)
		if err != nil {
			t.Fatal(err)
		}
		return ok, after
	}
	if ok, after := peek("k", "other"); ok || after != time.Minute {
		t.Errorf("peek at an empty bucket: %v, %v; want false, 1m", ok, after)
	}
	if ok, _ := peek("other", "never-used"); !ok {
		t.Error("peek at full buckets: refused")
	}
	if ok, _ := take("other"); !ok {
		t.Error("another key was refused")
	}
	c.Add(30 * time.Second)
	if ok, after := take("k"); ok || after != 30*time.Second {
		t.Errorf("half a refill later: allowed %v, retry after %v; want refused, 30s", ok, after)
	}
	c.Add(30 * time.Second)
	if ok, _ := take("k"); !ok {
		t.Error("refused a minute after the burst: one token should have come back")
	}
	if ok, _ := take("k"); ok {
		t.Error("two tokens came back in one minute")
	}
	if err := db.ReturnToken(ctx, "k", b); err != nil {
		t.Fatal(err)
	}
	if ok, _ := take("k"); !ok {
		t.Error("a returned token could not be taken again")
	}
	// A long-idle bucket is full again, but not fuller.
	c.Add(time.Hour)
	for i := range 4 {
		if ok, _ := take("k"); ok != (i < 3) {
			t.Errorf("after an hour, attempt %d: allowed %v", i+1, ok)
		}
	}
}

// testConcurrentTokens takes tokens of one bucket from many goroutines
// at once: exactly Burst are allowed.
func testConcurrentTokens(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	Fixed(db, time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC))
	b := sqlstore.TokenBucket{Burst: 5, Every: time.Minute}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			ok, _, err := db.TakeToken(ctx, "user:u1", b)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 5 {
		t.Errorf("40 concurrent attempts on a bucket of 5: %d allowed", n)
	}
}

// testWindows checks the sliding window: at most N calls in any window
// of length Per, also when the calls come at once.
func testWindows(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	c := Fixed(db, time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC))
	w := sqlstore.Window{N: 6, Per: time.Minute}
	take := func(key string) (bool, time.Duration) {
		t.Helper()
		ok, after, err := db.TakeSlot(ctx, key, w)
		if err != nil {
			t.Fatal(err)
		}
		return ok, after
	}
	for i := range 6 {
		if ok, _ := take("sync:a"); !ok {
			t.Fatalf("call %d of 6 refused", i+1)
		}
		c.Add(5 * time.Second)
	}
	// Calls at 0, 5, ..., 25 s; now 30 s.
	if ok, after := take("sync:a"); ok || after != 30*time.Second {
		t.Errorf("7th call within a minute: allowed %v, retry after %v; want refused, 30s", ok, after)
	}
	if ok, _ := take("sync:b"); !ok {
		t.Error("another key was refused")
	}
	c.Add(30 * time.Second) // the first call is a minute old
	if ok, _ := take("sync:a"); !ok {
		t.Error("refused a minute after the first call")
	}
	if ok, _ := take("sync:a"); ok {
		t.Error("two calls allowed when one slot was free")
	}

	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			ok, _, err := db.TakeSlot(ctx, "sync:c", w)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 6 {
		t.Errorf("20 concurrent calls on a window of 6: %d allowed", n)
	}
}

// testMarks checks marks expire.
func testMarks(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	c := Fixed(db, time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC))
	if ok, err := db.Marked(ctx, "m"); err != nil || ok {
		t.Fatalf("unset mark: %v, %v", ok, err)
	}
	if err := db.SetMark(ctx, "m", c.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.Marked(ctx, "m"); !ok {
		t.Error("a mark set for an hour is not there")
	}
	c.Add(time.Hour)
	if ok, _ := db.Marked(ctx, "m"); ok {
		t.Error("a mark outlived its time")
	}
}
