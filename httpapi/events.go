package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
)

// eventRoutes registers the scheduled events: the tenant's three CPH
// operations and the operator's announcements.
func (s *Server) eventRoutes() {
	const p = "/v1/{project_id}/cloud-phone/scheduled-events"
	s.handle("GET "+p, familyCPH, s.withProject(s.listScheduledEvents))
	s.handle("POST "+p+"/{event_id}/authorize", familyCPH, s.withProject(s.authorizeScheduledEvent))
	s.handle("PUT "+p+"/{event_id}", familyCPH, s.withProject(s.updateScheduledEvent))
	const a = "/opencph/v1/admin/scheduled-events"
	s.handle("GET "+a, familyCPH, s.listAllScheduledEvents)
	s.handle("POST "+a, familyCPH, s.announceScheduledEvent)
	s.handle("POST "+a+"/{event_id}/withdraw", familyCPH, s.withdrawScheduledEvent)
}

// eventFilter reads the filters and the page of an event list.
func eventFilter(r *http.Request, max int) (cph.EventFilter, error) {
	page, err := markerPaging(r, max)
	if err != nil {
		return cph.EventFilter{}, err
	}
	q := r.URL.Query()
	f := cph.EventFilter{Page: page, EventID: q.Get("event_id"), ServerID: q.Get("server_id"),
		States: cph.SplitEventValues(q["state"]), Types: cph.SplitEventValues(q["type"])}
	for _, b := range []struct {
		name string
		to   *time.Time
	}{{"publish_since", &f.PublishSince}, {"publish_until", &f.PublishUntil}} {
		if v := q.Get(b.name); v != "" {
			t, ok := cph.ParseEventTime(v)
			if !ok {
				return cph.EventFilter{}, cph.ErrInvalidParameter(b.name)
			}
			*b.to = t
		}
	}
	return f, nil
}

type eventPageResponse struct {
	RequestID string                `json:"request_id"`
	Count     int                   `json:"count"`
	Events    []*cph.ScheduledEvent `json:"scheduled_events"`
	PageInfo  cph.PageInfo          `json:"page_info"`
}

func writeEventPage(w http.ResponseWriter, r *http.Request, page *cph.EventPage) {
	writeJSON(w, http.StatusOK, eventPageResponse{RequestID: RequestID(r), Count: page.Count, Events: page.Events,
		PageInfo: cph.PageInfo{NextMarker: page.NextMarker}})
}

// listScheduledEvents is ListScheduledEvents.
func (s *Server) listScheduledEvents(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	f, err := eventFilter(r, cph.MaxEventPage)
	if err != nil {
		return err
	}
	page, err := s.cfg.Events.ListScheduledEvents(r.Context(), f)
	if err != nil {
		return err
	}
	writeEventPage(w, r, page)
	return nil
}

// decodeOptionalBody is decodeBody for operations whose SDK may send no
// body at all: an empty body reads as {}.
func decodeOptionalBody(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) || errors.Is(err, errSlowBody) {
			return err
		}
		return cph.ErrMalformedBody()
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := unmarshalBody(body, v); err != nil {
		return err
	}
	if rt, _ := r.Context().Value(routeKey).(*route); rt != nil {
		rt.s.noteBodyTargets(r, body)
	}
	return nil
}

// authorizeScheduledEvent is AuthorizeScheduledEvent.
func (s *Server) authorizeScheduledEvent(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		AuthorizationType *string `json:"authorization_type"`
		NotBefore         *string `json:"not_before"`
	}
	if err := decodeOptionalBody(r, &req); err != nil {
		return err
	}
	err := s.cfg.Events.AuthorizeScheduledEvent(r.Context(), r.PathValue("event_id"),
		cph.AuthorizeEventParams{AuthorizationType: req.AuthorizationType, NotBefore: req.NotBefore})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"request_id": RequestID(r)})
	return nil
}

// updateScheduledEvent is UpdateScheduledEvent.
func (s *Server) updateScheduledEvent(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		NotBefore *string `json:"not_before"`
	}
	if err := decodeOptionalBody(r, &req); err != nil {
		return err
	}
	if err := s.cfg.Events.UpdateScheduledEvent(r.Context(), r.PathValue("event_id"), req.NotBefore); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"request_id": RequestID(r)})
	return nil
}

// listAllScheduledEvents is GET /opencph/v1/admin/scheduled-events
// (operators).
func (s *Server) listAllScheduledEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	f, err := eventFilter(r, cph.MaxAdminEventPage)
	if err != nil {
		return err
	}
	f.ProjectID = r.URL.Query().Get("project_id")
	page, err := s.cfg.Events.ListAllScheduledEvents(callerContext(r, p), f)
	if err != nil {
		return err
	}
	writeEventPage(w, r, page)
	return nil
}

type eventResponse struct {
	RequestID string              `json:"request_id"`
	Event     *cph.ScheduledEvent `json:"scheduled_event"`
}

// announceScheduledEvent is POST /opencph/v1/admin/scheduled-events
// (operators): {server_id, type, description, not_before_deadline,
// duration (a Go duration or whole seconds)}.
func (s *Server) announceScheduledEvent(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req struct {
		ServerID          string `json:"server_id"`
		Type              string `json:"type"`
		Description       string `json:"description"`
		NotBeforeDeadline string `json:"not_before_deadline"`
		Duration          string `json:"duration"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	var d time.Duration
	if req.Duration != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(req.Duration)); err == nil {
			d = time.Duration(n) * time.Second
		} else if d, err = time.ParseDuration(req.Duration); err != nil || d <= 0 {
			return cph.ErrInvalidParameter("duration")
		}
		if d <= 0 {
			return cph.ErrInvalidParameter("duration")
		}
	}
	ev, err := s.cfg.Events.AnnounceScheduledEvent(callerContext(r, p), cph.AnnounceEventParams{ServerID: req.ServerID, Type: req.Type,
		Description: req.Description, NotBeforeDeadline: req.NotBeforeDeadline, Duration: d})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, eventResponse{RequestID: RequestID(r), Event: ev})
	return nil
}

// withdrawScheduledEvent is POST
// /opencph/v1/admin/scheduled-events/{event_id}/withdraw (operators).
func (s *Server) withdrawScheduledEvent(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	ev, err := s.cfg.Events.WithdrawScheduledEvent(callerContext(r, p), r.PathValue("event_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, eventResponse{RequestID: RequestID(r), Event: ev})
	return nil
}
