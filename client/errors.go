package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
)

// ErrNotLoggedIn is returned when a call needs a token and there is neither
// a valid token in memory or in the cache nor a password to log in with.
var ErrNotLoggedIn = errors.New("not logged in")

// APIError is an error answered by the server: any response with an HTTP
// status of 400 or more.
type APIError struct {
	// StatusCode is the HTTP status, e.g. 404.
	StatusCode int
	// RequestID is the id of the failed call, from the X-Request-Id header
	// (or, when the header is missing, the body's request_id).
	RequestID string
	// Code is the CPH or gateway error code, e.g. "CPS.0005". It is empty
	// for IAM errors in the Keystone shape, which carry no code.
	Code string
	// Message is the server's error message.
	Message string
	// RetryAfter is how long the server asked the caller to wait before
	// trying again (its Retry-After header, on 429 and 503 answers), or 0.
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// Unwrap returns the equivalent *cph.Error, so that errors.As and
// cph.ErrorCode see the server's error code.
func (e *APIError) Unwrap() error {
	return &cph.Error{Status: e.StatusCode, Code: e.Code, Message: e.Message, RetryAfter: e.RetryAfter}
}

// parseAPIError builds the *APIError of an error response. It understands
// the CPH and gateway envelope {"error_code","error_msg","request_id"}, the
// Keystone envelope {"error":{"code","message","title"}}, a top-level
// {"code","message"} pair, and falls back to the body text.
func parseAPIError(resp *http.Response, body []byte) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	var env struct {
		ErrorCode string          `json:"error_code"`
		ErrorMsg  string          `json:"error_msg"`
		RequestID string          `json:"request_id"`
		Code      json.RawMessage `json:"code"`
		Message   string          `json:"message"`
		Error     *struct {
			Code    json.RawMessage `json:"code"`
			Message string          `json:"message"`
			Title   string          `json:"title"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err == nil {
		if e.RequestID == "" {
			e.RequestID = env.RequestID
		}
		switch {
		case env.ErrorCode != "" || env.ErrorMsg != "":
			e.Code, e.Message = env.ErrorCode, env.ErrorMsg
		case env.Error != nil:
			e.Code, e.Message = stringCode(env.Error.Code), env.Error.Message
			if e.Message == "" {
				e.Message = env.Error.Title
			}
		case env.Message != "":
			e.Code, e.Message = stringCode(env.Code), env.Message
		}
	}
	if e.Message == "" {
		e.Message = bodyText(body)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// retryAfter parses a Retry-After header given in seconds (the form cphd
// sends); an absent or unparsable header is 0.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// stringCode returns raw when it is a JSON string; Keystone's numeric codes
// repeat the HTTP status and are dropped.
func stringCode(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// bodyText returns a printable, bounded excerpt of a non-JSON error body.
func bodyText(body []byte) string {
	const max = 512
	s := string(bytes.TrimSpace(body))
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' {
			return ' '
		}
		return r
	}, s)
}
