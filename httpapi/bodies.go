package httpapi

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"

	cph "github.com/opencph/opencph"
	"golang.org/x/sync/semaphore"
)

// Request body memory.
//
// Every request body is read through a bodyMeter. Bytes that a handler
// reads into memory (JSON bodies, up to maxBodyBytes each) are charged,
// as they arrive, to one budget shared by all requests
// (Config.MaxBodyMemory); object uploads stream to the object store and
// are charged a fixed streamCharge. A request whose body would overdraw
// the budget is answered 503 CPS.0003 with Retry-After. Charges are
// returned when the request ends. Nothing is charged before a handler
// reads: a client that sends headers and then stalls holds no budget.

const (
	// DefaultMaxBodyMemory is the default of Config.MaxBodyMemory.
	DefaultMaxBodyMemory = 64 << 20
	// streamCharge is what a streamed body (an object upload) is charged:
	// about the copy buffer it uses.
	streamCharge = 32 << 10
	// spoolMemBytes is how much of a body a signature check keeps in
	// memory before it spills the rest to a temporary file.
	spoolMemBytes = 8 << 10
)

// errBodyBudget is what a bodyMeter returns once the budget is exhausted.
var errBodyBudget = errors.New("httpapi: request body memory budget exhausted")

// errBusy is the answer to a request refused for lack of body memory.
func errBusy() *cph.Error {
	return cph.ErrBusy()
}

// bodyMeter is the body of every request: it charges what is read to the
// server's body budget, and closes what was spooled for the request when
// it ends. One goroutine reads it at a time.
type bodyMeter struct {
	src     io.Reader // the size-limited body, or what replaced it (a spool, a hash check)
	orig    io.ReadCloser
	budget  *semaphore.Weighted
	stream  bool // charged streamCharge once instead of per byte
	charged int64
	refused bool
	spools  []io.Closer
}

func (s *Server) meterBody(body io.ReadCloser, stream bool) *bodyMeter {
	return &bodyMeter{src: body, orig: body, budget: s.bodies, stream: stream}
}

// charge takes n bytes from the budget.
func (m *bodyMeter) charge(n int64) error {
	if n <= 0 {
		return nil
	}
	if !m.budget.TryAcquire(n) {
		m.refused = true
		return errBodyBudget
	}
	m.charged += n
	return nil
}

func (m *bodyMeter) Read(p []byte) (int, error) {
	if m.refused {
		return 0, errBodyBudget
	}
	if m.stream {
		if m.charged == 0 {
			if err := m.charge(streamCharge); err != nil {
				return 0, err
			}
		}
		return m.src.Read(p)
	}
	n, err := m.src.Read(p)
	if cerr := m.charge(int64(n)); cerr != nil {
		return 0, cerr
	}
	return n, err
}

func (m *bodyMeter) Close() error { return m.orig.Close() }

// finish returns the request's charge and removes its spools.
func (m *bodyMeter) finish() {
	if m.charged > 0 {
		m.budget.Release(m.charged)
		m.charged = 0
	}
	for _, c := range m.spools {
		c.Close()
	}
	m.spools = nil
}

// refusedForMemory reports whether r's body was refused by the budget.
func refusedForMemory(r *http.Request) bool {
	m, ok := r.Body.(*bodyMeter)
	return ok && m.refused
}

// writeBusy answers a request refused for lack of body memory, in the
// gateway envelope on every route family (as authentication failures).
func (s *Server) writeBusy(w http.ResponseWriter, r *http.Request, fam family) {
	w.Header().Set("Retry-After", strconv.Itoa(1))
	s.writeError(w, r, fam, authError{err: errBusy()})
}

// rawBody returns the reader beneath r's meter, which reading does not
// charge, and a function that makes rd the request's body.
func rawBody(r *http.Request) (src io.Reader, replace func(rd io.Reader, spool io.Closer)) {
	if m, ok := r.Body.(*bodyMeter); ok {
		return m.src, func(rd io.Reader, spool io.Closer) {
			m.src = rd
			if spool != nil {
				m.spools = append(m.spools, spool)
			}
		}
	}
	return r.Body, func(rd io.Reader, _ io.Closer) { r.Body = io.NopCloser(rd) }
}

// spooled is a request body read to its end: the first spoolMemBytes in
// memory, any more in a temporary file, unlinked at once where the system
// allows it and otherwise when closed.
type spooled struct {
	io.Reader
	f    *os.File
	name string // set while the file still has a name
}

func (sp *spooled) Close() error {
	if sp.f == nil {
		return nil
	}
	err := sp.f.Close()
	if sp.name != "" {
		os.Remove(sp.name)
	}
	sp.f = nil
	return err
}

// spool reads src to its end, hashing it with SHA-256 as it streams, and
// returns a reader of the same bytes. At most spoolMemBytes are held in
// memory; the rest goes to a temporary file in dir. Read errors of src
// (*http.MaxBytesError among them) are returned as they are.
func spool(src io.Reader, dir string) (*spooled, []byte, error) {
	h := sha256.New()
	buf := make([]byte, spoolMemBytes)
	n, err := io.ReadFull(src, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		h.Write(buf[:n])
		return &spooled{Reader: bytes.NewReader(buf[:n])}, h.Sum(nil), nil
	} else if err != nil {
		return nil, nil, err
	}
	f, err := os.CreateTemp(dir, "cph-body-*")
	if err != nil {
		return nil, nil, fmt.Errorf("httpapi: spool request body: %w", err)
	}
	sp := &spooled{Reader: f, f: f}
	if os.Remove(f.Name()) != nil {
		sp.name = f.Name()
	}
	w := io.MultiWriter(f, h)
	if _, err := w.Write(buf); err != nil {
		sp.Close()
		return nil, nil, fmt.Errorf("httpapi: spool request body: %w", err)
	}
	// Neither side implements WriterTo/ReaderFrom, so buf is reused.
	if _, err := io.CopyBuffer(w, src, buf); err != nil {
		sp.Close()
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, nil, fmt.Errorf("httpapi: spool request body: %w", err)
		}
		return nil, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		sp.Close()
		return nil, nil, fmt.Errorf("httpapi: spool request body: %w", err)
	}
	return sp, h.Sum(nil), nil
}

// hashCheck passes a body through and, at its end, calls verify with its
// SHA-256; verify's error then ends the read instead of io.EOF, so that a
// store writing the body keeps nothing.
type hashCheck struct {
	r      io.Reader
	h      hash.Hash
	verify func(sum []byte) error
	err    error
}

func newHashCheck(r io.Reader, verify func(sum []byte) error) *hashCheck {
	return &hashCheck{r: r, h: sha256.New(), verify: verify}
}

func (c *hashCheck) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		if verr := c.verify(c.h.Sum(nil)); verr != nil {
			err = verr
		}
	}
	if err != nil {
		c.err = err
	}
	return n, err
}
