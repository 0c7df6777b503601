package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Load describes a closed-loop load run: Workers goroutines, each sending
// one request after another on a shared client, first for Warmup (nothing
// recorded), then for Duration (recorded).
type Load struct {
	// Client sends the requests; nil means NewLoadClient(Workers). Its
	// transport must keep at least Workers idle connections per host, or
	// connections are opened and closed all the time.
	Client *http.Client
	// Workers is how many requests are in flight at once (at least 1).
	Workers int
	// Warmup is how long the workers run before recording starts.
	Warmup time.Duration
	// Duration is how long requests are recorded.
	Duration time.Duration
	// NewRequest builds one request. It is called concurrently, once per
	// request.
	NewRequest func(ctx context.Context) (*http.Request, error)
}

// LoadResult is what a load run measured. It counts the requests started
// after the warm-up and before its end, and at least one per worker (when
// requests are slower than the whole run, each worker's first request
// after the warm-up is recorded however late it starts); every one of
// them is waited for, and Seconds runs until the last one ended.
// Latencies are those of the requests that got an answer, whatever its
// status, measured until the body was read in full.
type LoadResult struct {
	Requests int64   `json:"requests"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"requests_per_second"`
	Latency  Latency `json:"latency"`
	// BytesPerResponse is the mean size of the response bodies.
	BytesPerResponse int64 `json:"bytes_per_response"`
	// Errors counts the requests that failed: non-2xx answers and
	// transport errors.
	Errors int64 `json:"errors"`
	// Statuses counts the answers by HTTP status code.
	Statuses map[int]int64 `json:"statuses"`
	// TransportErrors counts the requests that got no complete answer.
	TransportErrors int64 `json:"transport_errors"`
	// FirstError describes the first failure seen, if any.
	FirstError string `json:"first_error,omitempty"`
}

// NewLoadClient returns an HTTP client for workers concurrent requests to
// one host: enough idle connections for all of them, no compression, no
// redirects, a one-minute timeout per request.
func NewLoadClient(workers int) *http.Client {
	workers = max(workers, 1)
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        2 * workers,
			MaxIdleConnsPerHost: 2 * workers,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// workerStats is what one worker recorded.
type workerStats struct {
	latencies  []time.Duration
	statuses   map[int]int64
	transport  int64
	bytes      int64
	firstError string
	firstAt    time.Time
	lastDone   time.Time
}

// Run runs the load and returns what it measured. It returns an error if
// ctx ends first or the configuration is unusable; failed requests are
// counted in the result, not returned as errors.
func (l Load) Run(ctx context.Context) (*LoadResult, error) {
	if l.NewRequest == nil {
		return nil, errors.New("bench: load without NewRequest")
	}
	if l.Duration <= 0 {
		return nil, errors.New("bench: load duration must be positive")
	}
	workers := max(l.Workers, 1)
	client := l.Client
	if client == nil {
		client = NewLoadClient(workers)
		defer client.CloseIdleConnections()
	}
	start := time.Now()
	from := start.Add(max(l.Warmup, 0))
	end := from.Add(l.Duration)
	stats := make([]*workerStats, workers)
	var wg sync.WaitGroup
	for i := range stats {
		ws := &workerStats{statuses: map[int]int64{}}
		stats[i] = ws
		wg.Go(func() { ws.run(ctx, client, l.NewRequest, from, end) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bench: load interrupted: %w", err)
	}

	res := &LoadResult{Statuses: map[int]int64{}}
	parts := make([][]time.Duration, 0, workers)
	var bytes int64
	var last, firstAt time.Time
	for _, ws := range stats {
		parts = append(parts, ws.latencies)
		for code, n := range ws.statuses {
			res.Statuses[code] += n
			res.Requests += n
			if code < 200 || code > 299 {
				res.Errors += n
			}
		}
		res.TransportErrors += ws.transport
		res.Requests += ws.transport
		res.Errors += ws.transport
		bytes += ws.bytes
		if ws.lastDone.After(last) {
			last = ws.lastDone
		}
		if ws.firstError != "" && (firstAt.IsZero() || ws.firstAt.Before(firstAt)) {
			res.FirstError, firstAt = ws.firstError, ws.firstAt
		}
	}
	if last.Before(end) {
		last = end
	}
	res.Seconds = last.Sub(from).Seconds()
	res.RPS = float64(res.Requests) / res.Seconds
	res.Latency = Summarize(Merge(parts...))
	if answered := res.Requests - res.TransportErrors; answered > 0 {
		res.BytesPerResponse = bytes / answered
	}
	return res, nil
}

// run sends requests until end; it records those started at or after
// from, and at least one.
func (ws *workerStats) run(ctx context.Context, client *http.Client, newRequest func(context.Context) (*http.Request, error), from, end time.Time) {
	recorded := false
	for {
		t0 := time.Now()
		if recorded && !t0.Before(end) || ctx.Err() != nil {
			return
		}
		record := !t0.Before(from)
		status, n, detail, err := do(ctx, client, newRequest)
		t1 := time.Now()
		if !record {
			continue
		}
		recorded = true
		ws.lastDone = t1
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			ws.transport++
			ws.fail(t1, err.Error())
			continue
		}
		ws.latencies = append(ws.latencies, t1.Sub(t0))
		ws.statuses[status]++
		ws.bytes += n
		if status < 200 || status > 299 {
			ws.fail(t1, fmt.Sprintf("HTTP %d: %s", status, detail))
		}
	}
}

// fail remembers the first failure.
func (ws *workerStats) fail(at time.Time, msg string) {
	if ws.firstError == "" {
		ws.firstError, ws.firstAt = msg, at
	}
}

// do sends one request and reads its whole answer. It returns the status,
// the body size and, for a non-2xx answer, the start of the body.
func do(ctx context.Context, client *http.Client, newRequest func(context.Context) (*http.Request, error)) (status int, size int64, detail string, err error) {
	req, err := newRequest(ctx)
	if err != nil {
		return 0, 0, "", fmt.Errorf("build request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		detail, size = string(head), int64(len(head))
	}
	n, err := io.Copy(io.Discard, resp.Body)
	size += n
	if err != nil {
		return 0, size, "", fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, size, detail, nil
}
