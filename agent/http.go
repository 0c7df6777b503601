package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/opencph/opencph/agentproto"
)

// maxResponseBytes bounds the size of a control-plane answer.
const maxResponseBytes = 16 << 20

// ProtocolError is a non-2xx answer of the control plane, decoded from its
// agentproto.Error body.
type ProtocolError struct {
	// Status is the HTTP status code.
	Status int
	// Code is the agentproto error code, such as agentproto.CodeSessionGone;
	// empty when the body was not an agentproto.Error.
	Code string
	// Message is the error message of the body, or the HTTP status text.
	Message string
}

// Error implements the error interface.
func (e *ProtocolError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// asProtocolError returns err as a *ProtocolError, if it is one.
func asProtocolError(err error) (*ProtocolError, bool) {
	var pe *ProtocolError
	ok := errors.As(err, &pe)
	return pe, ok
}

// isProtocolError reports whether err is an answer of the control plane
// (as opposed to a transport failure).
func isProtocolError(err error) bool {
	_, ok := asProtocolError(err)
	return ok
}

// isSessionGone reports whether err says the session was replaced.
func isSessionGone(err error) bool {
	pe, ok := asProtocolError(err)
	return ok && pe.Code == agentproto.CodeSessionGone
}

// isNotClaimed reports whether err says the operation is not claimed by
// the session.
func isNotClaimed(err error) bool {
	pe, ok := asProtocolError(err)
	return ok && pe.Code == agentproto.CodeNotClaimed
}

// isUnauthorized reports whether err says the credential was rejected.
func isUnauthorized(err error) bool {
	pe, ok := asProtocolError(err)
	return ok && (pe.Status == http.StatusUnauthorized || pe.Code == agentproto.CodeUnauthorized)
}

// isRetryable reports whether repeating the request may succeed: the
// control plane was unreachable, failed (5xx) or asked to slow down (429).
func isRetryable(err error) bool {
	pe, ok := asProtocolError(err)
	return !ok || pe.Status >= 500 || pe.Status == http.StatusTooManyRequests
}

// shouldFailOver reports whether err calls for trying the next control
// plane URL: the endpoint was unreachable or answered 5xx.
func shouldFailOver(err error) bool {
	pe, ok := asProtocolError(err)
	return !ok || pe.Status >= 500
}

// call POSTs in as JSON to path and decodes a 2xx answer into out (unless
// out is nil). It tries the control plane URLs in turn, starting with the
// last one that answered, and moves on while they are unreachable or
// answer 5xx. timeout bounds each attempt. A non-2xx answer is returned as
// a *ProtocolError.
func (a *Agent) call(ctx context.Context, path string, timeout time.Duration, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	n := int64(len(a.bases))
	first := a.endpoint.Load()
	var lastErr error
	for i := range n {
		idx := (first + i) % n
		err := a.callOnce(ctx, attempt{URL: a.bases[idx], Path: path, Timeout: timeout, Body: body, Out: out})
		if ctx.Err() != nil {
			return err
		}
		if err == nil || !shouldFailOver(err) {
			if idx != first && a.endpoint.CompareAndSwap(first, idx) {
				a.log.Info("switched control plane", "url", a.bases[idx])
			}
			return err
		}
		lastErr = err
		if n > 1 {
			a.log.Debug("control plane unavailable", "url", a.bases[idx], "err", err)
		}
		if path == agentproto.PollPath {
			// A failed poll is not retried elsewhere within the same call:
			// the failed control plane may have claimed operations for this
			// session, so the caller starts a new session, on the next URL.
			if n > 1 && a.endpoint.CompareAndSwap(first, (idx+1)%n) {
				a.log.Info("switched control plane", "url", a.bases[(idx+1)%n])
			}
			return lastErr
		}
	}
	return lastErr
}

// attempt is one POST of Body to Path at the control plane URL URL, within
// Timeout; a 2xx answer is decoded into Out unless it is nil.
type attempt struct {
	URL     string
	Path    string
	Timeout time.Duration
	Body    []byte
	Out     any
}

// callOnce makes the request at of one call to one control plane URL.
func (a *Agent) callOnce(ctx context.Context, at attempt) error {
	path, out := at.Path, at.Out
	ctx, cancel := context.WithTimeout(ctx, at.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, at.URL+path, bytes.NewReader(at.Body))
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.credential)
	ua := "opencph-agent"
	if a.version != "" {
		ua += "/" + a.version
	}
	req.Header.Set("User-Agent", ua)

	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("POST %s: read answer: %w", path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s: %w", path, decodeError(resp.StatusCode, data))
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("POST %s: decode answer: %w", path, err)
	}
	return nil
}

// decodeError turns a non-2xx answer into a *ProtocolError.
func decodeError(status int, body []byte) *ProtocolError {
	pe := &ProtocolError{Status: status}
	var e agentproto.Error
	if json.Unmarshal(body, &e) == nil && (e.Code != "" || e.Message != "") {
		pe.Code, pe.Message = e.Code, e.Message
		return pe
	}
	pe.Message = http.StatusText(status)
	if text := strings.TrimSpace(string(body)); text != "" && len(text) <= 200 {
		pe.Message = text
	}
	return pe
}

// backoff computes exponentially growing waits with jitter.
type backoff struct {
	min, max time.Duration
	step     time.Duration // 0 before the first wait
}

// newBackoff returns a backoff with the agent's bounds.
func (a *Agent) newBackoff() *backoff {
	return &backoff{min: a.backoffMin, max: a.backoffMax}
}

// next returns the next wait: a random duration in the upper half of the
// current step, which doubles each time up to max.
func (b *backoff) next() time.Duration {
	if b.step == 0 {
		b.step = b.min
	} else {
		b.step = min(b.step*2, b.max)
	}
	half := b.step / 2
	return half + rand.N(b.step-half+1)
}

// reset makes the next wait the shortest again.
func (b *backoff) reset() { b.step = 0 }
