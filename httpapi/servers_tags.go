package httpapi

import (
	"net/http"
	"strconv"

	"github.com/opencph/opencph"
)

// listProjectTags is ListProjectTags.
func (s *Server) listProjectTags(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var f cph.TagFilter
	var err error
	if f.Offset, f.Limit, err = paging(r, 100, 100); err != nil {
		return err
	}
	page, err := s.cfg.Servers.ListProjectTags(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID  string     `json:"request_id"`
		Tags       []cph.Tags `json:"tags"`
		TotalCount int        `json:"total_count"`
	}{RequestID(r), page.Tags, page.Total})
	return nil
}

// listResourceTags is ListResourceTags.
func (s *Server) listResourceTags(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	tags, err := s.cfg.Servers.ListServerTags(r.Context(), r.PathValue("resource_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID string    `json:"request_id"`
		Tags      []cph.Tag `json:"tags"`
	}{RequestID(r), tags})
	return nil
}

// tagAction is BatchCreateTags and BatchDeleteTags.
func (s *Server) tagAction(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Action string     `json:"action"`
		Tags   []*cph.Tag `json:"tags"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Action != "create" && req.Action != "delete" {
		return cph.ErrInvalidParameter("action")
	}
	tags := make([]cph.Tag, 0, len(req.Tags))
	for _, t := range req.Tags {
		if t == nil {
			return cph.ErrInvalidParameter("tags.key")
		}
		tags = append(tags, *t)
	}
	id := r.PathValue("resource_id")
	var err error
	if req.Action == "delete" {
		err = s.cfg.Servers.DeleteServerTags(r.Context(), id, tags)
	} else {
		err = s.cfg.Servers.CreateServerTags(r.Context(), id, tags)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listResourceInstances is ListResourceInstances.
func (s *Server) listResourceInstances(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Action      string      `json:"action"`
		Offset      *string     `json:"offset"`
		Limit       *string     `json:"limit"`
		WithoutTags bool        `json:"without_any_tag"`
		Tags        []*cph.Tags `json:"tags"`
		Matches     []*cph.Tag  `json:"matches"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	f := cph.ResourceFilter{WithoutTags: req.WithoutTags, Limit: 1000}
	switch req.Action {
	case "filter":
		if req.Offset != nil {
			n, err := strconv.Atoi(*req.Offset)
			if err != nil {
				return cph.ErrInvalidPaging()
			}
			f.Offset = n
		}
		if req.Limit != nil {
			n, err := strconv.Atoi(*req.Limit)
			if err != nil {
				return cph.ErrInvalidPaging()
			}
			f.Limit = n
		}
	case "count":
		if req.Offset != nil || req.Limit != nil {
			return cph.ErrInvalidParameter("offset")
		}
	default:
		return cph.ErrInvalidParameter("action")
	}
	for _, t := range req.Tags {
		if t == nil {
			return cph.ErrInvalidParameter("tags")
		}
		f.Tags = append(f.Tags, *t)
	}
	for _, m := range req.Matches {
		if m == nil || m.Key != "resource_name" {
			return cph.ErrInvalidParameter("matches")
		}
		v := m.Value
		f.ResourceName = &v
	}
	page, err := s.cfg.Servers.ListTaggedServers(r.Context(), f)
	if err != nil {
		return err
	}
	resp := struct {
		RequestID  string            `json:"request_id"`
		Resources  []cph.TagResource `json:"resources,omitempty"`
		TotalCount int               `json:"total_count"`
	}{RequestID: RequestID(r), TotalCount: page.Total}
	if req.Action == "filter" {
		resp.Resources = page.Resources
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
