package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Every request the load sends is counted, and every non-2xx answer is an
// error: the server answers 500 to every third request.
func TestLoadCountsRequestsAndErrors(t *testing.T) {
	var served, failed atomic.Int64
	body := strings.Repeat("x", 1234)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != "tok" {
			t.Errorf("request without the token")
		}
		if served.Add(1)%3 == 0 {
			failed.Add(1)
			http.Error(w, `{"error_code":"CPS.0001"}`, http.StatusInternalServerError)
			return
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()

	l := Load{
		Workers:  4,
		Duration: 200 * time.Millisecond,
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x", nil)
			if err == nil {
				req.Header.Set("X-Auth-Token", "tok")
			}
			return req, err
		},
	}
	res, err := l.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Without a warm-up every request sent is recorded.
	if res.Requests != served.Load() || res.Requests < 3 {
		t.Fatalf("recorded %d requests, the server answered %d", res.Requests, served.Load())
	}
	if res.Errors != failed.Load() || res.Statuses[500] != failed.Load() || res.Statuses[200] != served.Load()-failed.Load() {
		t.Errorf("errors %d, statuses %v; the server failed %d of %d", res.Errors, res.Statuses, failed.Load(), served.Load())
	}
	if res.TransportErrors != 0 {
		t.Errorf("transport errors = %d", res.TransportErrors)
	}
	if !strings.Contains(res.FirstError, "HTTP 500") || !strings.Contains(res.FirstError, "CPS.0001") {
		t.Errorf("first error = %q", res.FirstError)
	}
	if res.Latency.Count != int(res.Requests) || res.Latency.P50Ms <= 0 || res.Latency.P99Ms < res.Latency.P50Ms || res.Latency.MaxMs < res.Latency.P99Ms {
		t.Errorf("latency = %+v", res.Latency)
	}
	if res.RPS <= 0 || res.Seconds < 0.2 {
		t.Errorf("rps %v over %v s", res.RPS, res.Seconds)
	}
	if res.BytesPerResponse < int64(len(`{"error_code":"CPS.0001"}`)) || res.BytesPerResponse > int64(len(body)) {
		t.Errorf("bytes per response = %d", res.BytesPerResponse)
	}
}

// Requests during the warm-up are sent but not recorded.
func TestLoadWarmupIsNotRecorded(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		time.Sleep(5 * time.Millisecond)
	}))
	defer srv.Close()
	l := Load{Workers: 2, Warmup: 150 * time.Millisecond, Duration: 150 * time.Millisecond,
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		}}
	res, err := l.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Requests >= served.Load() {
		t.Errorf("recorded %d of the %d requests served; the warm-up's must be left out", res.Requests, served.Load())
	}
	if res.Errors != 0 {
		t.Errorf("errors = %d (%s)", res.Errors, res.FirstError)
	}
}

// A connection that breaks is a transport error, counted among the errors.
func TestLoadCountsTransportErrors(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1)%2 == 0 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	l := Load{Workers: 2, Duration: 100 * time.Millisecond,
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		}}
	res, err := l.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.TransportErrors == 0 || res.Errors != res.TransportErrors || res.Statuses[200] == 0 {
		t.Errorf("transport errors %d, errors %d, statuses %v", res.TransportErrors, res.Errors, res.Statuses)
	}
	if res.Requests != res.Statuses[200]+res.TransportErrors {
		t.Errorf("requests %d != %d answered + %d broken", res.Requests, res.Statuses[200], res.TransportErrors)
	}
	if res.FirstError == "" {
		t.Error("no first error")
	}
}

func TestLoadStopsWithContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	l := Load{Workers: 2, Duration: time.Hour,
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		}}
	if _, err := l.Run(ctx); err == nil {
		t.Error("a load cut short by its context reported no error")
	}
}

// When requests are slower than the whole run, each worker still records
// one: a measurement is never silently empty.
func TestLoadRecordsSlowRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(120 * time.Millisecond)
	}))
	defer srv.Close()
	l := Load{Workers: 3, Warmup: 20 * time.Millisecond, Duration: 30 * time.Millisecond,
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		}}
	res, err := l.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 3 || res.Latency.Count != 3 || res.Seconds < 0.12 {
		t.Errorf("requests %d, latencies %d, seconds %v", res.Requests, res.Latency.Count, res.Seconds)
	}
}
