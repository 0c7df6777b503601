package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Change stream pacing.
const (
	// streamPing is how often an idle stream sends a comment, so that
	// proxies and the browser keep it open.
	streamPing = 15 * time.Second
	// streamGap is the least time between two change events: a busy
	// fleet wakes the pages at most this often.
	streamGap = 250 * time.Millisecond
)

// Change stream limits: the streams one user may hold open at once (a
// stream per open live page), and all users together.
const (
	MaxStreamsPerUser = 16
	MaxStreams        = 2048
)

// streamCounter counts open change streams, by user.
type streamCounter struct {
	mu     sync.Mutex
	total  int
	byUser map[string]int
}

// acquire counts a new stream of user, unless a limit is reached; the
// returned function releases it.
func (sc *streamCounter) acquire(user string) (func(), bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.total >= MaxStreams || sc.byUser[user] >= MaxStreamsPerUser {
		return nil, false
	}
	if sc.byUser == nil {
		sc.byUser = map[string]int{}
	}
	sc.total++
	sc.byUser[user]++
	return func() {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		sc.total--
		if sc.byUser[user]--; sc.byUser[user] == 0 {
			delete(sc.byUser, user)
		}
	}, true
}

// events streams the fleet's changes as Server-Sent Events: a "change"
// event whenever phones or jobs change (on any replica), on which the
// script re-fetches the live parts of the page, and an "expired" event
// when the session's idle time is up. The stream ends after
// StreamDuration; the browser reconnects by itself.
func (c *Console) events(w http.ResponseWriter, r *http.Request, s *session) error {
	release, ok := c.streams.acquire(s.caller.User.ID)
	if !ok {
		w.Header().Set("Retry-After", "10")
		http.Error(w, "Too many live pages are open: close some tabs of the console.", http.StatusTooManyRequests)
		return nil
	}
	defer release()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The version the page shows: on a reconnection, that of the last
	// event the browser got; else the one the page was rendered at. With
	// neither, the first event comes at once.
	sinceText := r.Header.Get("Last-Event-ID")
	if sinceText == "" {
		sinceText = r.URL.Query().Get("since")
	}
	since, _ := strconv.ParseUint(sinceText, 10, 64)
	ctx, cancel := context.WithTimeout(r.Context(), StreamDuration)
	defer cancel()
	expires := s.lastSeen.Add(c.cfg.IdleTimeout)
	send := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(streamPing + 10*time.Second))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 2000\n\n") {
		return nil
	}
	for {
		if !c.cfg.Now().Before(expires) {
			send("event: expired\ndata: idle\n\n")
			return nil
		}
		wait, stop := context.WithTimeout(ctx, streamPing)
		ch, err := c.cfg.Changes.WaitForChange(s.ctx(r.WithContext(wait)), since)
		stop()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, context.DeadlineExceeded):
			if !send(": ping\n\n") {
				return nil
			}
			continue
		case err != nil:
			c.log.Warn("console change stream", "err", err)
			return nil
		}
		since = ch.Version
		if !send("id: %d\nevent: change\ndata: %d\n\n", ch.Version, ch.Version) {
			return nil
		}
		t := time.NewTimer(streamGap)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
