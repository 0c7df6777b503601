package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	cph "github.com/opencph/opencph"
)

const (
	eventsPath      = "/v1/{project_id}/cloud-phone/scheduled-events"
	adminEventsPath = "/opencph/v1/admin/scheduled-events"
)

// ListScheduledEventsOptions filters and pages ListScheduledEvents. Empty
// fields are not sent.
type ListScheduledEventsOptions struct {
	Limit                      int // 0: the server's default (10)
	Marker                     string
	EventID, ServerID          string
	PublishSince, PublishUntil string // YYYY-MM-DDTHH:MM:SSZ
	States, Types              []string
	// ProjectID keeps one project's events (the operator's list only).
	ProjectID string
}

func (o ListScheduledEventsOptions) query() url.Values {
	q := url.Values{}
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	for name, v := range map[string]string{"marker": o.Marker, "event_id": o.EventID, "server_id": o.ServerID,
		"publish_since": o.PublishSince, "publish_until": o.PublishUntil, "project_id": o.ProjectID} {
		if v != "" {
			q.Set(name, v)
		}
	}
	for _, s := range o.States {
		q.Add("state", s)
	}
	for _, s := range o.Types {
		q.Add("type", s)
	}
	return q
}

// ScheduledEventPage is an answer of ListScheduledEvents.
type ScheduledEventPage struct {
	RequestID       string               `json:"request_id"`
	Count           int                  `json:"count"`
	ScheduledEvents []cph.ScheduledEvent `json:"scheduled_events"`
	PageInfo        cph.PageInfo         `json:"page_info"`
}

// ListScheduledEvents lists one page of the project's scheduled events
// (ListScheduledEvents, GET /v1/{project_id}/cloud-phone/scheduled-events).
func (c *Client) ListScheduledEvents(ctx context.Context, opts ListScheduledEventsOptions) (*ScheduledEventPage, error) {
	opts.ProjectID = ""
	var out ScheduledEventPage
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: eventsPath, Query: opts.query(), Out: &out}); err != nil {
		return nil, fmt.Errorf("list scheduled events: %w", err)
	}
	if out.ScheduledEvents == nil {
		out.ScheduledEvents = []cph.ScheduledEvent{}
	}
	return &out, nil
}

// AuthorizeScheduledEvent authorises an event (AuthorizeScheduledEvent):
// authType "maintenance" or "redeploy"; notBefore nil (or "") runs it now.
func (c *Client) AuthorizeScheduledEvent(ctx context.Context, id string, authType *string, notBefore *string) error {
	body := struct {
		AuthorizationType *string `json:"authorization_type,omitempty"`
		NotBefore         *string `json:"not_before,omitempty"`
	}{authType, notBefore}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: eventsPath + "/" + url.PathEscape(id) + "/authorize", In: body}); err != nil {
		return fmt.Errorf("authorize scheduled event %s: %w", id, err)
	}
	return nil
}

// UpdateScheduledEvent moves the planned start of a scheduled event
// (UpdateScheduledEvent); "" runs it now, nil sends no not_before.
func (c *Client) UpdateScheduledEvent(ctx context.Context, id string, notBefore *string) error {
	body := struct {
		NotBefore *string `json:"not_before,omitempty"`
	}{notBefore}
	if _, err := c.Do(ctx, Request{Method: http.MethodPut, Path: eventsPath + "/" + url.PathEscape(id), In: body}); err != nil {
		return fmt.Errorf("update scheduled event %s: %w", id, err)
	}
	return nil
}

// AnnounceEventRequest is the body of the operator's announcement.
type AnnounceEventRequest struct {
	ServerID          string `json:"server_id"`
	Type              string `json:"type"`
	Description       string `json:"description,omitempty"`
	NotBeforeDeadline string `json:"not_before_deadline,omitempty"`
	// Duration is a Go duration ("2h") or whole seconds; "" is 2h.
	Duration string `json:"duration,omitempty"`
}

// AnnounceScheduledEvent announces an event for a server (operators only).
func (c *Client) AnnounceScheduledEvent(ctx context.Context, req AnnounceEventRequest) (*cph.ScheduledEvent, error) {
	var out struct {
		Event *cph.ScheduledEvent `json:"scheduled_event"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: adminEventsPath, In: req, Out: &out}); err != nil {
		return nil, fmt.Errorf("announce scheduled event: %w", err)
	}
	return out.Event, nil
}

// ListAllScheduledEvents lists one page of every project's events
// (operators only).
func (c *Client) ListAllScheduledEvents(ctx context.Context, opts ListScheduledEventsOptions) (*ScheduledEventPage, error) {
	var out ScheduledEventPage
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: adminEventsPath, Query: opts.query(), Out: &out}); err != nil {
		return nil, fmt.Errorf("list all scheduled events: %w", err)
	}
	if out.ScheduledEvents == nil {
		out.ScheduledEvents = []cph.ScheduledEvent{}
	}
	return &out, nil
}

// WithdrawScheduledEvent cancels an event that has not started
// (operators only).
func (c *Client) WithdrawScheduledEvent(ctx context.Context, id string) (*cph.ScheduledEvent, error) {
	var out struct {
		Event *cph.ScheduledEvent `json:"scheduled_event"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: adminEventsPath + "/" + url.PathEscape(id) + "/withdraw", Out: &out}); err != nil {
		return nil, fmt.Errorf("withdraw scheduled event %s: %w", id, err)
	}
	return out.Event, nil
}

var _ cph.EventService = (*Services)(nil)

func eventOptions(f cph.EventFilter) ListScheduledEventsOptions {
	o := ListScheduledEventsOptions{Limit: f.Page.Limit, Marker: f.Page.Marker, EventID: f.EventID, ServerID: f.ServerID,
		States: f.States, Types: f.Types, ProjectID: f.ProjectID}
	fmtTime := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(cph.TimeLayout)
	}
	o.PublishSince, o.PublishUntil = fmtTime(f.PublishSince), fmtTime(f.PublishUntil)
	return o
}

func eventPage(p *ScheduledEventPage) *cph.EventPage {
	out := &cph.EventPage{Count: p.Count, NextMarker: p.PageInfo.NextMarker, Events: make([]*cph.ScheduledEvent, len(p.ScheduledEvents))}
	for i := range p.ScheduledEvents {
		out.Events[i] = &p.ScheduledEvents[i]
	}
	return out
}

// ListScheduledEvents implements cph.EventService.
func (s *Services) ListScheduledEvents(ctx context.Context, f cph.EventFilter) (*cph.EventPage, error) {
	p, err := s.c.ListScheduledEvents(ctx, eventOptions(f))
	if err != nil {
		return nil, err
	}
	return eventPage(p), nil
}

// AuthorizeScheduledEvent implements cph.EventService. An empty id is
// refused as the server refuses an unknown one (CPS.9023).
func (s *Services) AuthorizeScheduledEvent(ctx context.Context, id string, p cph.AuthorizeEventParams) error {
	if id == "" {
		return cph.ErrEventNotFound()
	}
	return s.c.AuthorizeScheduledEvent(ctx, id, p.AuthorizationType, p.NotBefore)
}

// UpdateScheduledEvent implements cph.EventService.
func (s *Services) UpdateScheduledEvent(ctx context.Context, id string, notBefore *string) error {
	if id == "" {
		return cph.ErrEventNotFound()
	}
	return s.c.UpdateScheduledEvent(ctx, id, notBefore)
}

// AnnounceScheduledEvent implements cph.EventService.
func (s *Services) AnnounceScheduledEvent(ctx context.Context, p cph.AnnounceEventParams) (*cph.ScheduledEvent, error) {
	req := AnnounceEventRequest{ServerID: p.ServerID, Type: p.Type, Description: p.Description, NotBeforeDeadline: p.NotBeforeDeadline}
	if p.Duration != 0 {
		req.Duration = p.Duration.String()
	}
	return s.c.AnnounceScheduledEvent(ctx, req)
}

// ListAllScheduledEvents implements cph.EventService.
func (s *Services) ListAllScheduledEvents(ctx context.Context, f cph.EventFilter) (*cph.EventPage, error) {
	p, err := s.c.ListAllScheduledEvents(ctx, eventOptions(f))
	if err != nil {
		return nil, err
	}
	return eventPage(p), nil
}

// WithdrawScheduledEvent implements cph.EventService.
func (s *Services) WithdrawScheduledEvent(ctx context.Context, id string) (*cph.ScheduledEvent, error) {
	if id == "" {
		return nil, cph.ErrEventNotFound()
	}
	return s.c.WithdrawScheduledEvent(ctx, id)
}
