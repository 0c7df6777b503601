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
