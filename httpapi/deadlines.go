package httpapi

import (
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"time"

	cph "github.com/opencph/opencph"
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
		IdleTimeout: t.Idle, MaxHeaderBytes: MaxHeaderBytes, ErrorLog: errorLog}
}

// MaxHeaderBytes bounds the request line and headers a client may send
// before it is authenticated (Go's default is 1 MiB). Larger requests are
// answered 431 by net/http.
const MaxHeaderBytes = 64 << 10

// holds is a route option for a route that holds a request open for up to
// d on purpose; d is added to the request's time.
func holds(d time.Duration) routeOption {
	return func(rt *route) { rt.hold = d }
}

// errSlowBody is the answer to a request whose body did not arrive in time.
var errSlowBody = cph.ErrRequestTimeout()

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

	// step is how far the deadline must move before it is set again
	// (deadlines are not worth setting on every read or write).
	step time.Duration
	// chunk is the most bytes handed to the connection in one write, so
	// that one large write cannot outlast the deadline it was given: half
	// the allowance's worth at the minimum rate (the deadline stays at
	// least three quarters of the allowance ahead of a reader that keeps
	// the minimum rate, since it moves by at most a step at a time), at
	// most maxChunk. A list page goes out in one write, as a plain
	// server would send it.
	chunk int

	mu    sync.Mutex
	moved int64
	set   time.Time // the deadline last set
	// cut says the body missed its deadline: reading is over, and only the
	// refusal may still be written.
	cut bool
}

// maxChunk bounds transferDeadline.chunk.
const maxChunk = 1 << 20

// writeChunk returns the chunk of a transfer given allowance at rate bytes
// per second: rate × allowance / 2, at least 16 bytes and at most
// maxChunk.
func writeChunk(allowance time.Duration, rate int64) int {
	half := allowance.Milliseconds() / 2
	if rate > 0 && half > maxChunk*1000/rate {
		return maxChunk
	}
	return int(min(max(rate*half/1000, 16), maxChunk))
}

func newTransferDeadline(w http.ResponseWriter, start time.Time, allowance time.Duration, rate int64) *transferDeadline {
	d := &transferDeadline{rc: http.NewResponseController(w), start: start, allowance: allowance, rate: rate, now: time.Now,
		step: min(time.Second, allowance/4), chunk: writeChunk(allowance, rate)}
	d.apply(d.deadline(0))
	return d
}

// deadline is the deadline after moved bytes.
func (d *transferDeadline) deadline(moved int64) time.Time {
	return d.start.Add(d.allowance + time.Duration(moved)*time.Second/time.Duration(d.rate))
}

// add counts n more bytes moved and pushes the deadline out once it has
// moved by a step or more.
func (d *transferDeadline) add(n int) {
	if n <= 0 {
		return
	}
	d.mu.Lock()
	d.moved += int64(n)
	next := d.deadline(d.moved)
	move := !d.cut && next.Sub(d.set) >= d.step
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
		b.d.cutBody()
		return n, errSlowBody
	}
	return n, err
}

// cutBody ends a request whose body missed its deadline: reads fail at
// once from now on (so the server does not wait for the rest of the body
// before answering), and the refusal gets slowBodyGrace to be written.
func (d *transferDeadline) cutBody() {
	d.mu.Lock()
	d.cut = true
	d.mu.Unlock()
	_ = d.rc.SetReadDeadline(time.Unix(1, 0))
	_ = d.rc.SetWriteDeadline(d.now().Add(slowBodyGrace))
}

// deadlineWriter counts the response bytes written through it.
type deadlineWriter struct {
	http.ResponseWriter
	d *transferDeadline
}

// Write hands p on in chunks, each of which moves the deadline: a
// response written in one call (a 250 KB document, say) to a client that
// reads it steadily is not cut off half-way.
func (w *deadlineWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), w.d.chunk)
		m, err := w.ResponseWriter.Write(p[:n])
		written += m
		w.d.add(m)
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
