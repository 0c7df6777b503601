// Package audit writes cphd's audit trail: every mutating API call and
// every login, success or refusal, stored in the database (table
// audit_events) and optionally appended as JSON lines to a file.
//
// Events are written off the request's path: Record queues an event (it
// never blocks; a full queue drops the event and counts it) and one
// goroutine stores the queue in batches, one transaction a batch. Close
// stores what is queued before it returns, so a graceful shutdown loses
// nothing; a process killed outright (kill -9) loses the events of its
// last moments that were still queued (at most one batch interval, 200 ms,
// and the batch being written).
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Event is an audit event as recorded, before it is stored.
type Event struct {
	sqlstore.AuditEvent
	// DomainName is the account a refused login named; the writer looks
	// up its id when DomainID is empty. It is not stored.
	DomainName string
}

// Counter is told how many events were stored or lost (cphd's metrics).
type Counter interface {
	AuditWritten(n int)
	AuditDropped(n int)
}

// Config configures a Writer.
type Config struct {
	DB *sqlstore.DB
	// File, if set, receives every stored event as one JSON line.
	File io.Writer
	// Queue is the most events waiting to be stored (default 10000).
	Queue int
	// Interval is the longest an event waits before its batch is written
	// (default 200ms).
	Interval time.Duration
	Counter  Counter
	Logger   *slog.Logger
}

// Writer stores audit events in batches. Its methods are safe for
// concurrent use; a nil *Writer records nothing.
type Writer struct {
	cfg   Config
	queue chan *Event

	mu     sync.RWMutex // Record holds it shared; Close exclusively
	closed bool
	done   chan struct{}
}

// maxBatch is the most events written in one transaction.
const maxBatch = 100

// NewWriter starts a writer; Close stops it.
func NewWriter(cfg Config) *Writer {
	if cfg.Queue <= 0 {
		cfg.Queue = 10000
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Writer{cfg: cfg, queue: make(chan *Event, cfg.Queue), done: make(chan struct{})}
	go w.run()
	return w
}

// Record queues e. It never blocks: when the queue is full the event is
// dropped, counted and logged.
func (w *Writer) Record(e *Event) {
	if w == nil {
		return
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.dropped(1, errors.New("writer closed"))
		return
	}
	select {
	case w.queue <- e:
	default:
		w.dropped(1, errors.New("queue full"))
	}
}

// RecordAudit queues e as Record does. domainName is the account a
// refused login named, looked up when e.DomainID is empty; a zero e.At
// is the store's clock now.
func (w *Writer) RecordAudit(e *cph.AuditEvent, domainName string) {
	if w == nil {
		return
	}
	ev := &Event{AuditEvent: *e, DomainName: domainName}
	if ev.At.IsZero() {
		ev.At = w.cfg.DB.Now()
	}
	w.Record(ev)
}

// Close stores every queued event, then stops the writer.
func (w *Writer) Close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return
	}
	w.closed = true
	close(w.queue)
	w.mu.Unlock()
	<-w.done
}

func (w *Writer) dropped(n int, why error) {
	if w.cfg.Counter != nil {
		w.cfg.Counter.AuditDropped(n)
	}
	w.cfg.Logger.Error("audit events lost", "events", n, "err", why)
}

func (w *Writer) run() {
	defer close(w.done)
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	var batch []*Event
	for {
		select {
		case e, ok := <-w.queue:
			if !ok {
				w.write(batch)
				return
			}
			batch = append(batch, e)
			if len(batch) >= maxBatch {
				w.write(batch)
				batch = batch[:0]
			}
		case <-t.C:
			if len(batch) > 0 {
				w.write(batch)
				batch = batch[:0]
			}
		}
	}
}

// write stores batch (resolving the accounts that refused logins named)
// and appends it to the file.
func (w *Writer) write(batch []*Event) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	domains := map[string]string{}
	rows := make([]*sqlstore.AuditEvent, len(batch))
	for i, e := range batch {
		if e.DomainID == "" && e.DomainName != "" {
			id, ok := domains[e.DomainName]
			if !ok {
				if d, err := w.cfg.DB.DomainByName(ctx, e.DomainName); err == nil {
					id = d.ID
				}
				domains[e.DomainName] = id
			}
			e.DomainID = id
		}
		rows[i] = &e.AuditEvent
	}
	if err := w.cfg.DB.InsertAuditEvents(ctx, rows); err != nil {
		w.dropped(len(rows), err)
		return
	}
	if w.cfg.Counter != nil {
		w.cfg.Counter.AuditWritten(len(rows))
	}
	if w.cfg.File != nil {
		var buf []byte
		for _, e := range rows {
			b, err := json.Marshal(e.Doc())
			if err != nil {
				continue
			}
			buf = append(append(buf, b...), '\n')
		}
		if _, err := w.cfg.File.Write(buf); err != nil {
			w.cfg.Logger.Error("audit file write failed", "err", err)
		}
	}
}

// OpenFile opens path for appending audit lines, creating it 0600.
func OpenFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	return f, nil
}

// Pruner deletes audit events older than the retention, in small batches.
type Pruner struct {
	DB        *sqlstore.DB
	Retention time.Duration
	// Every is how often it looks for old events (default 10 min); Batch
	// the most events one transaction deletes (default 500).
	Every  time.Duration
	Batch  int
	Logger *slog.Logger
}

// Run prunes at once and then every p.Every until ctx ends.
func (p Pruner) Run(ctx context.Context) {
	if p.Retention <= 0 {
		return
	}
	if p.Every <= 0 {
		p.Every = 10 * time.Minute
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(p.Every)
	defer t.Stop()
	for {
		if n, err := p.Prune(ctx); err != nil && ctx.Err() == nil {
			p.Logger.Warn("audit pruning failed", "err", err)
		} else if n > 0 {
			p.Logger.Info("audit events pruned", "events", n, "retention", p.Retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune deletes every event older than the retention, one batch a
// transaction, and returns how many it deleted.
func (p Pruner) Prune(ctx context.Context) (int, error) {
	batch := p.Batch
	if batch <= 0 {
		batch = 500
	}
	cutoff := p.DB.Now().Add(-p.Retention)
	total := 0
	for {
		n, err := p.DB.PruneAuditEvents(ctx, cutoff, batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}
