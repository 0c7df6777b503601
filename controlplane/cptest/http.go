package cptest

import (
	"net/http"
	"testing"

	"github.com/opencph/opencph/openapitest"
)

// HTTPClient returns an HTTP client for tests that does not follow
// redirects and checks every exchange against the API's OpenAPI document
// (see package openapitest), failing t on any mismatch.
func HTTPClient(t testing.TB) *http.Client {
	t.Helper()
	v, err := openapitest.Shared()
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	return v.Client(t)
}
