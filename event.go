package cph

import (
	"context"
	"strings"
	"time"
)

// Scheduled events: maintenance the platform announces for a server. In a
// self-hosted OpenCPH the platform is the operator, who announces and
// withdraws events; the tenant lists them, authorises them (at once or at
// a chosen time) and may move the chosen time. An authorised event runs
// when its time comes: every phone of the server restarts, as in a
// server restart.

// Event types.
const (
	EventLocalDiskRecovery = "localdisk-recovery"
	EventSystemMaintenance = "system-maintenance"
)

// Authorisation types.
const (
	AuthorizeMaintenance = "maintenance"
	AuthorizeRedeploy    = "redeploy"
)

// Event states.
const (
	EventInquiring = "inquiring" // announced, waiting for the tenant's authorisation
	EventScheduled = "scheduled" // authorised, waiting for not_before
	EventExecuting = "executing" // the server's phones are restarting
	EventCompleted = "completed" // every phone restarted
	EventFailed    = "failed"    // a phone's restart failed or was refused
	EventCanceled  = "canceled"  // withdrawn, or the server was deleted
)

// EventTypes and EventStates are the values the list filters accept.
var (
	EventTypes  = []string{EventLocalDiskRecovery, EventSystemMaintenance}
	EventStates = []string{EventInquiring, EventScheduled, EventExecuting, EventCompleted, EventFailed, EventCanceled}
)

// Limits and defaults of scheduled events.
const (
	// EventLead is how far in the future a chosen not_before must be
	// (strictly more than this after now).
	EventLead = 5 * time.Minute
	// DefaultEventDeadline is how long after its announcement an event's
	// not_before_deadline is by default.
	DefaultEventDeadline = 7 * 24 * time.Hour
	// MaxEventDeadline is the latest deadline an announcement may set,
	// after its publish time.
	MaxEventDeadline = 90 * 24 * time.Hour
	// DefaultEventDuration is the planned duration (not_after -
	// not_before) of an event by default.
	DefaultEventDuration = 2 * time.Hour
	// MaxEventDuration is the longest planned duration.
	MaxEventDuration = 7 * 24 * time.Hour
	// MaxEventDescription is the longest description, in bytes.
	MaxEventDescription = 1024
	// MaxEventID is the longest event id a request may name, in bytes.
	MaxEventID = 36
	// DefaultEventPage and MaxEventPage are the default and the largest
	// page of ListScheduledEvents.
	DefaultEventPage = 10
	MaxEventPage     = 100
	// MaxAdminEventPage is the largest page of the operator's list.
	MaxAdminEventPage = 1000
)

// ScheduledEvent is one event, as ListScheduledEvents shows it. Times a
// state has not reached yet are left out.
type ScheduledEvent struct {
	EventID         string `json:"event_id"`
	ServerID        string `json:"server_id"`
	ServerName      string `json:"server_name"`
	ServerModelName string `json:"server_model_name"`
	// ServerState is the server's status, left out once the server is
	// deleted.
	ServerState       *int32 `json:"server_state,omitempty"`
	Type              string `json:"type"`
	AuthorizationType string `json:"authorization_type,omitempty"`
	State             string `json:"state"`
	PublishTime       *Time  `json:"publish_time,omitempty"`
	StartTime         *Time  `json:"start_time,omitempty"`
	FinishTime        *Time  `json:"finish_time,omitempty"`
	NotBefore         *Time  `json:"not_before,omitempty"`
	NotAfter          *Time  `json:"not_after,omitempty"`
	NotBeforeDeadline *Time  `json:"not_before_deadline,omitempty"`
	Description       string `json:"description"`
	// ProjectID is the project of the event's server; only the operator's
	// list shows it.
	ProjectID string `json:"project_id,omitempty"`
}

// TimePtr returns a pointer to NewTime(t), or nil for the zero time.
func TimePtr(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	v := NewTime(t)
	return &v
}

// EventFilter selects and pages ListScheduledEvents. Filters combine with
// AND; the values inside States and Types with OR. Empty fields do not
// filter.
type EventFilter struct {
	EventID  string
	ServerID string
	// PublishSince and PublishUntil bound publish_time, both inclusive.
	PublishSince, PublishUntil time.Time
	States, Types              []string
	Page                       MarkerPage
	// ProjectID, for the operator's list only, keeps one project's
	// events ("" lists every project's).
	ProjectID string
}

// EventPage is one page of events.
type EventPage struct {
	// Count is the number of events matching the filter, whatever the
	// page.
	Count      int
	Events     []*ScheduledEvent
	NextMarker string
}

// AuthorizeEventParams are the body of AuthorizeScheduledEvent.
// NotBefore nil or "" runs the event now.
type AuthorizeEventParams struct {
	AuthorizationType *string
	NotBefore         *string
}

// AnnounceEventParams announce an event for a server (the operator).
type AnnounceEventParams struct {
	ServerID    string
	Type        string
	Description string
	// NotBeforeDeadline is the latest allowed start ("": publish time +
	// DefaultEventDeadline).
	NotBeforeDeadline string
	// Duration is the planned duration (0: DefaultEventDuration).
	Duration time.Duration
}

// Validate checks p at now and returns the deadline and the duration it
// sets. Errors: CPS.9011 naming the field.
func (p AnnounceEventParams) Validate(now time.Time) (deadline time.Time, duration time.Duration, err error) {
	if !ValidID(p.ServerID) {
		return time.Time{}, 0, ErrInvalidParameter("server_id")
	}
	if !contains(EventTypes, p.Type) {
		return time.Time{}, 0, ErrInvalidParameter("type")
	}
	if len(p.Description) > MaxEventDescription || !ValidText(p.Description) {
		return time.Time{}, 0, ErrInvalidParameter("description")
	}
	duration = p.Duration
	if duration == 0 {
		duration = DefaultEventDuration
	}
	if duration < time.Minute || duration > MaxEventDuration || duration%time.Second != 0 {
		return time.Time{}, 0, ErrInvalidParameter("duration")
	}
	now = now.UTC().Truncate(time.Second)
	deadline = now.Add(DefaultEventDeadline)
	if p.NotBeforeDeadline != "" {
		d, ok := ParseEventTime(p.NotBeforeDeadline)
		if !ok || !d.After(now) || d.Sub(now) > MaxEventDeadline {
			return time.Time{}, 0, ErrInvalidParameter("not_before_deadline")
		}
		deadline = d
	}
	return deadline, duration, nil
}

// ParseEventTime parses a time string of the scheduled events: exactly
// YYYY-MM-DDTHH:MM:SSZ, in UTC.
func ParseEventTime(s string) (time.Time, bool) {
	if len(s) != len(TimeLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(TimeLayout, s)
	if err != nil || t.Format(TimeLayout) != s {
		return time.Time{}, false
	}
	return t, true
}

// SplitEventValues returns the values of an array query parameter: every
// repeated value, each split at commas, without empty parts.
func SplitEventValues(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" && !contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// EventService serves scheduled events. The tenant's methods act on the
// caller's project; the operator's (AnnounceScheduledEvent,
// ListAllScheduledEvents, WithdrawScheduledEvent) on the whole
// installation and need an operator (an admin of the bootstrap account).
type EventService interface {
	// ListScheduledEvents returns a page of the project's events, newest
	// publish_time first (then by event id).
	// Errors: CPS.9011 (a bad state, type or time filter, an unknown
	// marker), CPS.0002 (limit out of 1..MaxEventPage), APIGW.0301,
	// APIGW.0302.
	ListScheduledEvents(ctx context.Context, f EventFilter) (*EventPage, error)
	// AuthorizeScheduledEvent authorises an event in state inquiring; it
	// becomes scheduled at not_before (now when absent or "").
	// Errors: CPS.9023 (no such event in the project), CPS.9011
	// (authorization_type missing or unknown; not_before unparsable, not
	// more than EventLead after now, later than the deadline, or given
	// with redeploy), CPS.9001 (the event is not inquiring), CPS.0001
	// (a read-only user), APIGW.0301, APIGW.0302.
	AuthorizeScheduledEvent(ctx context.Context, id string, p AuthorizeEventParams) error
	// UpdateScheduledEvent moves the not_before of a scheduled event
	// (nil: not_before is missing; "" is now).
	// Errors: CPS.9023, CPS.9011 (not_before missing or breaking the rules
	// of AuthorizeScheduledEvent), CPS.9001 (the event is not scheduled),
	// CPS.0001, APIGW.0301, APIGW.0302.
	UpdateScheduledEvent(ctx context.Context, id string, notBefore *string) error

	// AnnounceScheduledEvent announces an event for a server of any
	// project (state inquiring) and returns it.
	// Errors: CPS.9011 (a bad field), CPS.0016 (no such server), CPS.0001
	// (not an operator), APIGW.0301.
	AnnounceScheduledEvent(ctx context.Context, p AnnounceEventParams) (*ScheduledEvent, error)
	// ListAllScheduledEvents returns a page of every project's events
	// (f.ProjectID keeps one project's), in the order of
	// ListScheduledEvents, limit up to MaxAdminEventPage.
	// Errors: those of ListScheduledEvents, CPS.0001 (not an operator).
	ListAllScheduledEvents(ctx context.Context, f EventFilter) (*EventPage, error)
	// WithdrawScheduledEvent cancels an event that has not started
	// (inquiring or scheduled) and returns it.
	// Errors: CPS.9023 (no such event), CPS.9001 (executing or ended),
	// CPS.0001 (not an operator), APIGW.0301.
	WithdrawScheduledEvent(ctx context.Context, id string) (*ScheduledEvent, error)
}
