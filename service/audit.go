package service

import (
	"context"
	"fmt"

	cph "github.com/opencph/opencph"
)

// maxAuditFilterText bounds the text fields of an audit filter.
const maxAuditFilterText = 128

// ListAuditEvents implements cph.IdentityService: the project's admins
// read its audit trail.
func (s *Services) ListAuditEvents(ctx context.Context, f cph.AuditFilter) (*cph.AuditPage, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if f.Offset < 0 || f.Limit < 1 || f.Limit > cph.MaxAuditPage {
		return nil, cph.ErrInvalidPaging()
	}
	switch f.Result {
	case "", "success", "failure":
	default:
		return nil, cph.ErrInvalidParameter("result")
	}
	for _, t := range []struct{ name, v string }{{"user", f.User}, {"operation", f.Operation}, {"marker", f.Marker}} {
		if len(t.v) > maxAuditFilterText || !cph.ValidText(t.v) {
			return nil, cph.ErrInvalidParameter(t.name)
		}
	}
	f.ProjectID, f.DomainID = p.ProjectID, p.Domain.ID
	events, more, err := s.db.AuditEvents(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	page := &cph.AuditPage{Events: events}
	if page.Events == nil {
		page.Events = []*cph.AuditEvent{}
	}
	if more && len(events) > 0 {
		page.NextMarker = events[len(events)-1].ID
	}
	return page, nil
}
