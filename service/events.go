package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

var _ cph.EventService = (*Services)(nil)

// eventOut is the wire form of a stored event.
func eventOut(e *sqlstore.Event, withProject bool) *cph.ScheduledEvent {
	out := &cph.ScheduledEvent{
		EventID: e.ID, ServerID: e.ServerID, ServerName: e.ServerName, ServerModelName: e.ServerModelName, ServerState: e.ServerStatus,
		Type: e.Type, AuthorizationType: e.AuthorizationType, State: e.State, Description: e.Description,
		PublishTime: cph.TimePtr(e.PublishTime), StartTime: cph.TimePtr(e.StartTime), FinishTime: cph.TimePtr(e.FinishTime),
		NotBefore: cph.TimePtr(e.NotBefore), NotAfter: cph.TimePtr(e.NotAfter), NotBeforeDeadline: cph.TimePtr(e.NotBeforeDeadline),
	}
	if withProject {
		out.ProjectID = e.ProjectID
	}
	return out
}

// validEventID reports whether id can name an event: 1 to MaxEventID
// bytes of storable text.
func validEventID(id string) bool {
	return id != "" && len(id) <= cph.MaxEventID && cph.ValidText(id)
}

// ListScheduledEvents implements cph.EventService.
func (s *Services) ListScheduledEvents(ctx context.Context, f cph.EventFilter) (*cph.EventPage, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	f.ProjectID = p.ProjectID
	return s.listEvents(ctx, f, cph.MaxEventPage, false)
}

// ListAllScheduledEvents implements cph.EventService.
func (s *Services) ListAllScheduledEvents(ctx context.Context, f cph.EventFilter) (*cph.EventPage, error) {
	if _, err := s.operator(ctx); err != nil {
		return nil, err
	}
	if f.ProjectID != "" && !cph.ValidText(f.ProjectID) {
		return nil, cph.ErrInvalidParameter("project_id")
	}
	return s.listEvents(ctx, f, cph.MaxAdminEventPage, true)
}

func (s *Services) listEvents(ctx context.Context, f cph.EventFilter, maxLimit int, withProject bool) (*cph.EventPage, error) {
	if f.Page.Limit < 0 || f.Page.Limit > maxLimit {
		return nil, cph.ErrInvalidPaging()
	}
	limit := f.Page.Limit
	if limit == 0 {
		limit = cph.DefaultEventPage
	}
	for _, v := range f.States {
		if !slices.Contains(cph.EventStates, v) {
			return nil, cph.ErrInvalidParameter("state")
		}
	}
	for _, v := range f.Types {
		if !slices.Contains(cph.EventTypes, v) {
			return nil, cph.ErrInvalidParameter("type")
		}
	}
	for _, c := range []struct{ field, v string }{{"event_id", f.EventID}, {"server_id", f.ServerID}} {
		if !cph.ValidText(c.v) {
			return nil, cph.ErrInvalidParameter(c.field)
		}
	}
	if f.Page.Marker != "" && !validEventID(f.Page.Marker) {
		return nil, cph.ErrInvalidParameter("marker")
	}
	page := &cph.EventPage{Events: []*cph.ScheduledEvent{}}
	// One more than the page tells whether another page follows.
	list, count, err := s.db.ListEvents(ctx, sqlstore.EventQuery{ProjectID: f.ProjectID, EventID: f.EventID, ServerID: f.ServerID,
		PublishSince: f.PublishSince, PublishUntil: f.PublishUntil, States: f.States, Types: f.Types,
		Marker: f.Page.Marker, Limit: limit + 1})
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, cph.ErrInvalidParameter("marker")
	} else if err != nil {
		return nil, fmt.Errorf("list scheduled events: %w", err)
	}
	page.Count = count
	if len(list) > limit {
		list = list[:limit]
		page.NextMarker = list[limit-1].ID
	}
	for _, e := range list {
		page.Events = append(page.Events, eventOut(e, withProject))
	}
	return page, nil
}

// eventStart reads a requested not_before at now: "" is now (ok false),
// anything else must be a time string more than cph.EventLead after now.
// Errors: CPS.9011 (not_before).
func eventStart(v string, now time.Time) (t time.Time, chosen bool, err error) {
	if v == "" {
		return now, false, nil
	}
	t, ok := cph.ParseEventTime(v)
	if !ok || !t.After(now.Add(cph.EventLead)) {
		return time.Time{}, false, cph.ErrInvalidParameter("not_before")
	}
	return t, true, nil
}

// AuthorizeScheduledEvent implements cph.EventService.
func (s *Services) AuthorizeScheduledEvent(ctx context.Context, id string, p cph.AuthorizeEventParams) error {
	caller, err := writer(ctx)
	if err != nil {
		return err
	}
	if p.AuthorizationType == nil || (*p.AuthorizationType != cph.AuthorizeMaintenance && *p.AuthorizationType != cph.AuthorizeRedeploy) {
		return cph.ErrInvalidParameter("authorization_type")
	}
	authType := *p.AuthorizationType
	nb := ""
	if p.NotBefore != nil {
		nb = *p.NotBefore
	}
	if nb != "" && authType == cph.AuthorizeRedeploy {
		return cph.ErrInvalidParameter("not_before")
	}
	if !validEventID(id) {
		return cph.ErrEventNotFound()
	}
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		now := tx.Now().Truncate(time.Second)
		start, chosen, err := eventStart(nb, now)
		if err != nil {
			return err
		}
		ev, err := tx.EventByID(ctx, caller.ProjectID, id)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrEventNotFound()
		} else if err != nil {
			return err
		}
		if ev.State != cph.EventInquiring {
			return cph.ErrStatusNotAllowed("event state " + ev.State)
		}
		if chosen && start.After(ev.NotBeforeDeadline) {
			return cph.ErrInvalidParameter("not_before")
		}
		if !chosen && start.After(ev.NotBeforeDeadline) {
			// The deadline passed before the sweep scheduled it: run now.
			start = ev.NotBeforeDeadline
		}
		ok, err := tx.AuthorizeEvent(ctx, caller.ProjectID, id, authType, start)
		if err != nil {
			return err
		}
		if !ok {
			return cph.ErrStatusNotAllowed("the event changed meanwhile")
		}
		return nil
	})
	if err != nil {
		return wrapEventErr("authorize scheduled event", err)
	}
	s.log.Info("scheduled event authorized", "event_id", id, "project_id", caller.ProjectID, "authorization_type", authType)
	return nil
}

// UpdateScheduledEvent implements cph.EventService.
func (s *Services) UpdateScheduledEvent(ctx context.Context, id string, notBefore *string) error {
	caller, err := writer(ctx)
	if err != nil {
		return err
	}
	if notBefore == nil {
		return cph.ErrInvalidParameter("not_before")
	}
	if !validEventID(id) {
		return cph.ErrEventNotFound()
	}
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		now := tx.Now().Truncate(time.Second)
		start, chosen, err := eventStart(*notBefore, now)
		if err != nil {
			return err
		}
		ev, err := tx.EventByID(ctx, caller.ProjectID, id)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrEventNotFound()
		} else if err != nil {
			return err
		}
		if ev.State != cph.EventScheduled {
			return cph.ErrStatusNotAllowed("event state " + ev.State)
		}
		if chosen && (ev.AuthorizationType == cph.AuthorizeRedeploy || start.After(ev.NotBeforeDeadline)) {
			return cph.ErrInvalidParameter("not_before")
		}
		if !chosen && start.After(ev.NotBeforeDeadline) {
			start = ev.NotBeforeDeadline
		}
		ok, err := tx.RescheduleEvent(ctx, caller.ProjectID, id, start)
		if err != nil {
			return err
		}
		if !ok {
			return cph.ErrStatusNotAllowed("the event changed meanwhile")
		}
		return nil
	})
	if err != nil {
		return wrapEventErr("update scheduled event", err)
	}
	s.log.Info("scheduled event rescheduled", "event_id", id, "project_id", caller.ProjectID, "not_before", *notBefore)
	return nil
}

// wrapEventErr passes API errors on and wraps the others with op.
func wrapEventErr(op string, err error) error {
	var ce *cph.Error
	if errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// AnnounceScheduledEvent implements cph.EventService.
func (s *Services) AnnounceScheduledEvent(ctx context.Context, p cph.AnnounceEventParams) (*cph.ScheduledEvent, error) {
	if _, err := s.operator(ctx); err != nil {
		return nil, err
	}
	ev, err := AnnounceEvent(ctx, s.db, p)
	if err != nil {
		return nil, err
	}
	s.log.Info("scheduled event announced", "event_id", ev.EventID, "server_id", ev.ServerID, "project_id", ev.ProjectID, "type", ev.Type)
	return ev, nil
}

// AnnounceEvent validates p and stores the event it announces, in state
// inquiring; it is AnnounceScheduledEvent without the caller (for cphd
// admin events, which works on the store).
// Errors: CPS.9011 (a bad field), CPS.0016 (no such server).
func AnnounceEvent(ctx context.Context, db *sqlstore.DB, p cph.AnnounceEventParams) (*cph.ScheduledEvent, error) {
	var ev *sqlstore.Event
	err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		deadline, duration, err := p.Validate(tx.Now())
		if err != nil {
			return err
		}
		srv, err := tx.ServerByID(ctx, "", p.ServerID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrServerNotFound()
		} else if err != nil {
			return err
		}
		id := cph.NewUUID()
		if err := tx.CreateEvent(ctx, id, srv, p.Type, p.Description, deadline, duration); err != nil {
			return err
		}
		ev, err = tx.EventByID(ctx, "", id)
		return err
	})
	if err != nil {
		return nil, wrapEventErr("announce scheduled event", err)
	}
	if err := db.AddServerInfo(ctx, ev); err != nil {
		return nil, fmt.Errorf("announce scheduled event: %w", err)
	}
	return eventOut(ev, true), nil
}

// WithdrawScheduledEvent implements cph.EventService.
func (s *Services) WithdrawScheduledEvent(ctx context.Context, id string) (*cph.ScheduledEvent, error) {
	if _, err := s.operator(ctx); err != nil {
		return nil, err
	}
	ev, err := WithdrawEvent(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	s.log.Info("scheduled event withdrawn", "event_id", id, "project_id", ev.ProjectID)
	return ev, nil
}

// WithdrawEvent cancels an event that has not started; it is
// WithdrawScheduledEvent without the caller.
// Errors: CPS.9023 (no such event), CPS.9001 (executing or ended).
func WithdrawEvent(ctx context.Context, db *sqlstore.DB, id string) (*cph.ScheduledEvent, error) {
	if !validEventID(id) {
		return nil, cph.ErrEventNotFound()
	}
	var ev *sqlstore.Event
	err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		ok, err := tx.WithdrawEvent(ctx, id)
		if err != nil {
			return err
		}
		ev, err = tx.EventByID(ctx, "", id)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrEventNotFound()
		} else if err != nil {
			return err
		}
		if !ok {
			return cph.ErrStatusNotAllowed("event state " + ev.State)
		}
		return nil
	})
	if err != nil {
		return nil, wrapEventErr("withdraw scheduled event", err)
	}
	if err := db.AddServerInfo(ctx, ev); err != nil {
		return nil, fmt.Errorf("withdraw scheduled event: %w", err)
	}
	return eventOut(ev, true), nil
}

// EventsResetStep is the project reset's step for scheduled events: it
// removes every event of the project ("scheduled_events"), whatever its
// state (the restarts of an executing one go on as ordinary jobs).
func EventsResetStep(db *sqlstore.DB) ResetStep {
	return ResetStep{Name: "scheduled_events", Run: func(ctx context.Context, projectID string, cleared map[string]int) error {
		return db.Tx(ctx, func(tx *sqlstore.Tx) error {
			n, err := tx.DeleteProjectEvents(ctx, projectID)
			cleared["scheduled_events"] = n
			return err
		})
	}}
}
