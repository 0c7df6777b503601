package httpapi

import (
	"net/http/httptest"
	"testing"
	"time"
)

// TestTransferDeadlineGrowsWithData: each MinRate bytes moved buy one more
// second beyond the request's own time, so a 256 MiB object at 64 KiB/s
// gets 4096 s more; a client moving nothing gets the request time only.
func TestTransferDeadlineGrowsWithData(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := newTransferDeadline(httptest.NewRecorder(), start, 30*time.Second, 64<<10)
	if got := d.deadline(0); !got.Equal(start.Add(30 * time.Second)) {
		t.Errorf("nothing moved: %v", got)
	}
	if got := d.deadline(256 << 20); !got.Equal(start.Add(30*time.Second + 4096*time.Second)) {
		t.Errorf("256 MiB moved: %v", got)
	}
	// Small transfers do not move the deadline set on the connection; a
	// second's worth does.
	d.add(100)
	if !d.set.Equal(start.Add(30 * time.Second)) {
		t.Errorf("deadline moved for 100 bytes: %v", d.set)
	}
	d.add(64 << 10)
	if want := d.deadline(100 + 64<<10); !d.set.Equal(want) {
		t.Errorf("deadline after 64 KiB more: %v, want %v", d.set, want)
	}
}

// TestAnswerWrittenInOneWrite: with the default timeouts a list page
// (56 KB for 100 phones) reaches the connection in one write, as a plain
// server writes it, while a slow minimum rate still splits a large answer
// into writes the deadline can cover.
func TestAnswerWrittenInOneWrite(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		allowance time.Duration
		rate      int64
		size      int
		writes    int
	}{
		{defaultRequestTimeout, defaultMinRate, 56 << 10, 1},
		{defaultRequestTimeout, defaultMinRate, 4 << 20, 5}, // at most 1 MiB a write
		{time.Second, 100, 1000, 20},                        // 50 bytes a write
		{time.Millisecond, 10, 100, 7},                      // at least 16 bytes a write
	} {
		rec := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
		d := newTransferDeadline(rec, time.Now(), c.allowance, c.rate)
		w := &deadlineWriter{ResponseWriter: rec, d: d}
		if n, err := w.Write(make([]byte, c.size)); err != nil || n != c.size {
			t.Fatalf("write %d bytes: %d, %v", c.size, n, err)
		}
		if rec.writes != c.writes {
			t.Errorf("%d bytes with %v at %d B/s: %d writes, want %d", c.size, c.allowance, c.rate, rec.writes, c.writes)
		}
	}
}

type countingWriter struct {
	*httptest.ResponseRecorder
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.ResponseRecorder.Write(p)
}
