package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opencph/opencph"
)

// AuditEvent is one row of the audit trail (cph.AuditEvent).
type AuditEvent = cph.AuditEvent

// MaxAuditTargets is the most target ids an audit event keeps.
const MaxAuditTargets = cph.MaxAuditTargets

// maxAuditText bounds each text field of an audit event (user names and
// the like come from clients, on refused logins too).
const maxAuditText = 128

// auditText makes s storable on both engines and bounded: invalid UTF-8
// and NUL bytes are replaced, and it is cut to maxAuditText bytes.
func auditText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) > maxAuditText {
		cut := maxAuditText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// InsertAuditEvents stores events in one transaction.
func (db *DB) InsertAuditEvents(ctx context.Context, events []*AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	return db.Tx(ctx, func(tx *Tx) error {
		return insertRows(ctx, tx, multiInsert{
			Head: `INSERT INTO audit_events (id, at, domain_id, project_id, user_id, user_name, source, operation, target_ids, request_id, status, error_code, injected_faults) VALUES `,
			Cols: 13,
			Tail: ")",
			Rows: len(events),
			Row: func(i int, args []any) []any {
				e := events[i]
				targets := e.TargetIDs
				if len(targets) > MaxAuditTargets {
					targets = targets[:MaxAuditTargets]
				}
				clean := make([]string, len(targets))
				for j, t := range targets {
					clean[j] = auditText(t)
				}
				tj, _ := json.Marshal(clean) // strings always encode
				if targets == nil {
					tj = []byte("[]")
				}
				return append(args, e.ID, micros(e.At), auditText(e.DomainID), auditText(e.ProjectID), auditText(e.UserID),
					auditText(e.UserName), auditText(e.Source), auditText(e.Operation), string(tj), auditText(e.RequestID),
					e.Status, auditText(e.ErrorCode), auditText(strings.Join(e.InjectedFaults, ",")))
			},
		})
	})
}

// AuditFilter selects audit events.
type AuditFilter = cph.AuditFilter

// AuditEvents returns the events f selects, newest first, and whether
// more follow.
func (db *DB) AuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, bool, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where = append(where, "(project_id = "+arg(f.ProjectID)+" OR (project_id = '' AND domain_id = "+arg(f.DomainID)+"))")
	if !f.Since.IsZero() {
		where = append(where, "at >= "+arg(micros(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < "+arg(micros(f.Until)))
	}
	if f.User != "" {
		where = append(where, "(user_id = "+arg(f.User)+" OR user_name = "+arg(f.User)+")")
	}
	if f.Operation != "" {
		where = append(where, "operation = "+arg(f.Operation))
	}
	switch f.Result {
	case "success":
		where = append(where, "status < 400")
	case "failure":
		where = append(where, "status >= 400")
	}
	if f.Marker != "" {
		where = append(where, "id < "+arg(f.Marker))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT id, at, domain_id, project_id, user_id, user_name, source, operation, target_ids, request_id, status, error_code, injected_faults
		FROM audit_events WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC LIMIT ` + arg(limit+1) + ` OFFSET ` + arg(max(f.Offset, 0))
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("sqlstore: list audit events: %w", err)
	}
	defer rows.Close()
	var out []*AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at int64
		var targets, injected string
		if err := rows.Scan(&e.ID, &at, &e.DomainID, &e.ProjectID, &e.UserID, &e.UserName, &e.Source, &e.Operation, &targets,
			&e.RequestID, &e.Status, &e.ErrorCode, &injected); err != nil {
			return nil, false, fmt.Errorf("sqlstore: list audit events: %w", err)
		}
		e.At = fromMicros(at)
		if injected != "" {
			e.InjectedFaults = strings.Split(injected, ",")
		}
		if err := json.Unmarshal([]byte(targets), &e.TargetIDs); err != nil {
			return nil, false, fmt.Errorf("sqlstore: audit event %s: target ids: %w", e.ID, err)
		}
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("sqlstore: list audit events: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// PruneAuditEvents deletes at most batch events older than before and
// returns how many it deleted. Callers repeat it while it deletes a full
// batch, so that no transaction holds the writer for long.
func (db *DB) PruneAuditEvents(ctx context.Context, before time.Time, batch int) (int, error) {
	var n int64
	err := db.Tx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `DELETE FROM audit_events WHERE id IN (
			SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT $2)`, micros(before), batch)
		if err != nil {
			return fmt.Errorf("sqlstore: prune audit events: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
