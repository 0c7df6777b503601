package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/audit"
	"github.com/opencph/opencph/sqlstore"
	"github.com/opencph/opencph/sqlstore/storetest"
)

type counts struct {
	mu               sync.Mutex
	written, dropped int
}

func (c *counts) AuditWritten(n int) { c.mu.Lock(); c.written += n; c.mu.Unlock() }
func (c *counts) AuditDropped(n int) { c.mu.Lock(); c.dropped += n; c.mu.Unlock() }

func event(i int) *audit.Event {
	return &audit.Event{AuditEvent: sqlstore.AuditEvent{ID: cph.NewOrderedID(), At: time.Now(), DomainID: "d", ProjectID: "p",
		UserName: fmt.Sprint("user-", i), Operation: "RestartCloudPhone", RequestID: cph.NewID(), Status: 200}}
}

// TestCloseStoresEverythingQueued: events recorded before Close are all
// stored (and written to the file), whatever the batch interval.
func TestCloseStoresEverythingQueued(t *testing.T) {
	db := storetest.OpenSQLite(t)
	var file bytes.Buffer
	c := &counts{}
	w := audit.NewWriter(audit.Config{DB: db, File: &file, Interval: time.Hour, Counter: c})
	for i := range 250 {
		w.Record(event(i))
	}
	w.Close()
	w.Record(event(999)) // after Close: counted as lost, not stored
	got, _, err := db.AuditEvents(context.Background(), sqlstore.AuditFilter{ProjectID: "p", DomainID: "d", Limit: 100, Offset: 200})
	if err != nil || len(got) != 50 {
		t.Fatalf("stored events past the 200th: %d, %v; want 50 of 250", len(got), err)
	}
	if n := strings.Count(file.String(), "\n"); n != 250 {
		t.Errorf("file has %d lines, want 250", n)
	}
	if c.written != 250 || c.dropped != 1 {
		t.Errorf("written %d, dropped %d; want 250, 1", c.written, c.dropped)
	}
}

// TestFullQueueDropsAndCounts: a full queue drops events without blocking
// the caller, and counts them.
func TestFullQueueDropsAndCounts(t *testing.T) {
	db := storetest.OpenSQLite(t)
	c := &counts{}
	// Hold the writer up: its first batch waits for the store, which a
	// transaction of the test holds.
	release := make(chan struct{})
	held := make(chan struct{})
	go db.Tx(context.Background(), func(tx *sqlstore.Tx) error { close(held); <-release; return nil })
	<-held
	w := audit.NewWriter(audit.Config{DB: db, Queue: 5, Interval: time.Millisecond, Counter: c})
	for i := range 200 {
		w.Record(event(i)) // never blocks
	}
	close(release)
	w.Close()
	if c.written+c.dropped != 200 || c.dropped == 0 {
		t.Errorf("written %d, dropped %d; want 200 in all, some dropped", c.written, c.dropped)
	}
}
