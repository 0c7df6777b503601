package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// pipeListener is a net.Listener whose connections are in-memory pipes, so
// that a real http.Server runs inside a synctest bubble on its fake clock.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// dial returns the client end of a new connection to the server.
func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	l.conns <- server
	return client
}

// withPipeServer serves a Server with 1 s of request time and a minimum
// rate of 100 B/s through HTTPServer, inside a synctest bubble.
func withPipeServer(t *testing.T, f func(t *testing.T, ln *pipeListener)) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Timeouts: Timeouts{Request: time.Second, MinRate: 100}})
		srv := s.HTTPServer(nil)
		ln := newPipeListener()
		go srv.Serve(ln)
		f(t, ln)
		srv.Close()
		ln.Close()
	})
}

// trickleLogin sends a login request whose body (about 1000 bytes, no
// identity) arrives chunk bytes every interval, and returns the answer and
// how long (in the bubble's time) it took to come.
func trickleLogin(t *testing.T, ln *pipeListener, chunk int, interval time.Duration) (int, string, time.Duration) {
	t.Helper()
	body := []byte(`{"auth":{},"pad":"` + strings.Repeat("x", 970) + `"}`)
	conn := ln.dial()
	wrote := make(chan struct{})
	defer func() { conn.Close(); <-wrote }()
	go func() {
		defer close(wrote)
		fmt.Fprintf(conn, "POST /v3/auth/tokens HTTP/1.1\r\nHost: cphd\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		for rest := body; len(rest) > 0; {
			n := min(chunk, len(rest))
			if _, err := conn.Write(rest[:n]); err != nil {
				return // the server hung up
			}
			rest = rest[n:]
			time.Sleep(interval)
		}
	}()
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	took := time.Since(start)
	defer resp.Body.Close()
	var out keystoneError
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, raw)
	}
	return resp.StatusCode, out.Error.Message, took
}

// TestTricklingBodyIsCutOff: a body sent slower than the minimum rate is
// answered 408 even though data keeps arriving.
func TestTricklingBodyIsCutOff(t *testing.T) {
	t.Parallel()
	withPipeServer(t, func(t *testing.T, ln *pipeListener) {
		status, msg, d := trickleLogin(t, ln, 5, time.Second) // 5 B/s
		if status != http.StatusRequestTimeout {
			t.Errorf("trickled body: %d %q", status, msg)
		}
		if d > 2*time.Second {
			t.Errorf("cut off after %v of fake time; the request time is 1 s plus 1 s per 100 B", d)
		}
	})
}

// TestSteadyBodyOutlastsRequestTime: a body that takes longer than the
// request time (10 s here, against 1 s) but arrives faster than the
// minimum rate is read whole and answered normally.
func TestSteadyBodyOutlastsRequestTime(t *testing.T) {
	t.Parallel()
	withPipeServer(t, func(t *testing.T, ln *pipeListener) {
		status, msg, d := trickleLogin(t, ln, 20, 100*time.Millisecond) // 200 B/s
		if status != http.StatusBadRequest || msg != "Missing auth.identity." {
			t.Errorf("steady body: %d %q", status, msg)
		}
		if d < 4*time.Second {
			t.Errorf("the body took only %v of fake time; the test needs it to outlast the request time", d)
		}
	})
}

// readSlowly fetches /openapi.json reading chunk bytes every interval and
// returns how many body bytes arrived before the end or a hang-up.
func readSlowly(t *testing.T, ln *pipeListener, chunk int, interval time.Duration) (int, int) {
	t.Helper()
	conn := ln.dial()
	wrote := make(chan struct{})
	defer func() { conn.Close(); <-wrote }()
	go func() {
		defer close(wrote)
		fmt.Fprintf(conn, "GET /openapi.json HTTP/1.1\r\nHost: cphd\r\n\r\n")
	}()
	br := bufio.NewReaderSize(conn, 16)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	var got int
	buf := make([]byte, chunk)
	for {
		n, err := io.ReadFull(resp.Body, buf)
		got += n
		if err != nil {
			return resp.StatusCode, got
		}
		time.Sleep(interval)
	}
}

// TestSlowResponseReaderIsCutOff: a client that reads an answer slower
// than the minimum rate is disconnected; one that reads steadily gets all
// of it, however long that takes.
func TestSlowResponseReaderIsCutOff(t *testing.T) {
	t.Parallel()
	withPipeServer(t, func(t *testing.T, ln *pipeListener) {
		if status, got := readSlowly(t, ln, 10, time.Second); status != 200 || got >= len(OpenAPIDocument) {
			t.Errorf("slow reader (10 B/s): %d, %d of %d bytes", status, got, len(OpenAPIDocument))
		}
		start := time.Now()
		if status, got := readSlowly(t, ln, 4096, time.Second); status != 200 || got != len(OpenAPIDocument) {
			t.Errorf("steady reader (4 KiB/s): %d, %d of %d bytes", status, got, len(OpenAPIDocument))
		}
		if d := time.Since(start); d < 30*time.Second {
			t.Errorf("the steady read took only %v of fake time", d)
		}
	})
}
