package cptest

import (
	"net/http"
	"testing"
	"time"
)

// HTTPClient returns an HTTP client for tests that does not follow
// redirects.
func HTTPClient(t testing.TB) *http.Client {
	t.Helper()
	return &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
