package httpapi

import (
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/opencph/opencph"
)

// Timeouts bound how long a client may hold a connection. Every request
// gets Request to arrive (from the end of its headers) and be answered;
// every MinRate bytes of request body read or response body written buys
// one more second, so a 256 MiB upload or download at a reasonable speed
// completes, while a client that sends or reads slower than MinRate on
// average is cut off. Routes that hold a request on purpose (the agent
// long-poll, RunSyncCommand) add their own holding time. The zero value
// of each field means its default.
type Timeouts struct {
	// Header is the time allowed for a request's headers (default 10s).
	Header time.Duration
	// Request is the time a request may take beyond the data it moves
	// (default 30s).
	Request time.Duration
	// MinRate is the slowest average transfer, in bytes per second, that
	// extends a request's time (default 64 KiB/s).
	MinRate int64
	// Idle is how long a kept-alive connection may wait for its next
	// request (default 2m).
	Idle time.Duration
}

// Default timeouts.
const (
	defaultHeaderTimeout  = 10 * time.Second
	defaultRequestTimeout = 30 * time.Second
	defaultMinRate        = 64 << 10
	defaultIdleTimeout    = 2 * time.Minute
)

func (t Timeouts) withDefaults() Timeouts {
	if t.Header <= 0 {
		t.Header = defaultHeaderTimeout
	}
	if t.Request <= 0 {
		t.Request = defaultRequestTimeout
	}
	if t.MinRate <= 0 {
		t.MinRate = defaultMinRate
	}
	if t.Idle <= 0 {
		t.Idle = defaultIdleTimeout
	}
	return t
}

// HTTPServer returns the http.Server to serve s with. Its read and write
// timeouts bound requests that reach no route; each route replaces them
// with its own deadlines (see Timeouts).
func (s *Server) HTTPServer(errorLog *log.Logger) *http.Server {
	t := s.cfg.Timeouts
	return &http.Server{Handler: s, ReadHeaderTimeout: t.Header, ReadTimeout: t.Request, WriteTimeout: t.Request,
		IdleTimeout: t.Idle, ErrorLog: errorLog}
}

// holds is a route option for a route that holds a request open for up to
// d on purpose; d is added to the request's time.
func holds(d time.Duration) routeOption {
	return func(rt *route) { rt.hold = d }
}

// errSlowBody is the answer to a request whose body did not arrive in time.
var errSlowBody = cph.Errorf(http.StatusRequestTimeout, cph.CodeBadRequest, "Request timeout: the request body did not arrive in time.")

// slowBodyGrace is how long the 408 answer to a slow body may take to write.
const slowBodyGrace = 5 * time.Second

// transferDeadline sets the connection's read and write deadlines of one
// request: start + allowance + moved/rate, where moved counts the body
// bytes read and the response bytes written so far.
type transferDeadline struct {
	rc        *http.ResponseController
	start     time.Time
	allowance time.Duration
	rate      int64
	now       func() time.Time

	mu    sync.Mutex
	moved int64
	set   time.Time // the deadline last set
}

func newTransferDeadline(w http.ResponseWriter, start time.Time, allowance time.Duration, rate int64) *transferDeadline {
	d := &transferDeadline{rc: http.NewResponseController(w), start: start, allowance: allowance, rate: rate, now: time.Now}
	d.apply(d.deadline(0))
	return d
}

// deadline is the deadline after moved bytes.
func (d *transferDeadline) deadline(moved int64) time.Time {
	return d.start.Add(d.allowance + time.Duration(moved)*time.Second/time.Duration(d.rate))
}

// add counts n more bytes moved and pushes the deadline out once it has
// moved by a second or more (deadlines are not worth setting per write).
func (d *transferDeadline) add(n int) {
	if n <= 0 {
		return
	}
	d.mu.Lock()
	d.moved += int64(n)
	next := d.deadline(d.moved)
	move := next.Sub(d.set) >= time.Second
	if move {
		d.set = next
	}
	d.mu.Unlock()
	if move {
		d.setDeadlines(next)
	}
}

func (d *transferDeadline) apply(t time.Time) {
	d.mu.Lock()
	d.set = t
	d.mu.Unlock()
	d.setDeadlines(t)
}

// setDeadlines sets both deadlines. A writer that cannot set deadlines
// (a test recorder) is left as it is.
func (d *transferDeadline) setDeadlines(t time.Time) {
	_ = d.rc.SetReadDeadline(t)
	_ = d.rc.SetWriteDeadline(t)
}

// body returns r.Body counting what is read and turning a read past the
// deadline into errSlowBody, with a short grace to write that answer.
func (d *transferDeadline) body(b io.ReadCloser) io.ReadCloser {
	return &deadlineBody{ReadCloser: b, d: d}
}

type deadlineBody struct {
	io.ReadCloser
	d *transferDeadline
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.d.add(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		_ = b.d.rc.SetWriteDeadline(b.d.now().Add(slowBodyGrace))
		return n, errSlowBody
	}
	return n, err
}

// deadlineWriter counts the response bytes written through it.
type deadlineWriter struct {
	http.ResponseWriter
	d *transferDeadline
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.d.add(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
