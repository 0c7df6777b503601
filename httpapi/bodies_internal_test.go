package httpapi

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/sync/semaphore"
)

// TestBodyBudget: bodies read concurrently share one budget; a body that
// would overdraw it is refused, and a finished request returns its share.
func TestBodyBudget(t *testing.T) {
	t.Parallel()
	s := &Server{bodies: semaphore.NewWeighted(1000)}
	body := func(n int) io.ReadCloser { return io.NopCloser(bytes.NewReader(make([]byte, n))) }
	a := s.meterBody(body(800), false)
	if got, err := io.ReadAll(a); err != nil || len(got) != 800 {
		t.Fatalf("first body: %d, %v", len(got), err)
	}
	b := s.meterBody(body(300), false)
	if _, err := io.ReadAll(b); !errors.Is(err, errBodyBudget) || !b.refused {
		t.Fatalf("second body while the first is held: %v", err)
	}
	b.finish()
	a.finish()
	c := s.meterBody(body(300), false)
	if got, err := io.ReadAll(c); err != nil || len(got) != 300 {
		t.Fatalf("after the first request ended: %d, %v", len(got), err)
	}
	c.finish()
	if !s.bodies.TryAcquire(1000) {
		t.Fatal("charges were not all returned")
	}
	s.bodies.Release(1000)

	// A streamed body is charged once, whatever its size.
	s = &Server{bodies: semaphore.NewWeighted(2 * streamCharge)}
	up := s.meterBody(body(10*streamCharge), true)
	if got, err := io.ReadAll(up); err != nil || len(got) != 10*streamCharge {
		t.Fatalf("streamed body: %d, %v", len(got), err)
	}
	if s.bodies.TryAcquire(streamCharge + 1) {
		t.Fatal("a streamed body is charged streamCharge")
	}
	up.finish()
}

// TestSpool: a small body stays in memory, a large one goes to a file
// that is gone once the spool is closed; both read back unchanged.
func TestSpool(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, n := range []int{0, 10, spoolMemBytes, spoolMemBytes + 1, 5 * spoolMemBytes} {
		data := bytes.Repeat([]byte("x"), n)
		sp, sum, err := spool(bytes.NewReader(data), dir)
		if err != nil {
			t.Fatal(err)
		}
		if (sp.f != nil) != (n >= spoolMemBytes) {
			t.Errorf("%d bytes: in a file: %v", n, sp.f != nil)
		}
		got, _ := io.ReadAll(sp)
		if !bytes.Equal(got, data) || len(sum) != 32 {
			t.Errorf("%d bytes: read back %d", n, len(got))
		}
		sp.Close()
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%d bytes: left %v", n, entries)
		}
	}
	if _, _, err := spool(io.MultiReader(strings.NewReader(strings.Repeat("y", 3*spoolMemBytes)), errReader{}), dir); !errors.Is(err, errRead) {
		t.Errorf("read error: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed spool left %v", entries)
	}
}

var errRead = errors.New("read failed")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errRead }
