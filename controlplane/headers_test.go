package controlplane_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/opencph/opencph/httpapi"
)

// TestHeadersAreBounded: a client may not make cphd hold more than
// httpapi.MaxHeaderBytes of request headers; ordinary large headers (an
// SDK's signed request, a long token) still pass.
func TestHeadersAreBounded(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	// A plain client: net/http itself answers the 431, outside the API
	// document.
	client := &http.Client{}
	send := func(size int) int {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL()+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Padding", strings.Repeat("a", size))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send(8 << 10); got != http.StatusOK {
		t.Errorf("8 KiB header: %d, want 200", got)
	}
	if got := send(2 * httpapi.MaxHeaderBytes); got != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("%d KiB header: %d, want 431", 2*httpapi.MaxHeaderBytes>>10, got)
	}
}
