package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// maxTagsPerServer is the most tags one server carries (Huawei documents
// no limit).
const maxTagsPerServer = 20

// listProjectTags is ListProjectTags.
func (s *Server) listProjectTags(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	offset, limit, err := paging(r, 100, 100)
	if err != nil {
		return err
	}
	tags, total, err := s.db.ProjectTags(r.Context(), p.ProjectID, offset, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID  string     `json:"request_id"`
		Tags       []cph.Tags `json:"tags"`
		TotalCount int        `json:"total_count"`
	}{RequestID(r), tags, total})
	return nil
}

// taggedServer checks that the path's server exists (404 CPS.0016).
func (s *Server) taggedServer(r *http.Request, p *cph.Principal) (string, error) {
	id := r.PathValue("resource_id")
	if _, err := s.projectServer(r.Context(), p.ProjectID, id); err != nil {
		return "", err
	}
	return id, nil
}

// listResourceTags is ListResourceTags.
func (s *Server) listResourceTags(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	id, err := s.taggedServer(r, p)
	if err != nil {
		return err
	}
	tags, err := s.db.ServerTags(r.Context(), id)
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
	if len(req.Tags) == 0 {
		return cph.ErrInvalidParameter("tags")
	}
	// A server carries at most maxTagsPerServer tags, and keys may not
	// repeat, so a call with more is refused before any work.
	if len(req.Tags) > maxTagsPerServer {
		return cph.ErrTooManyItems("tags", maxTagsPerServer)
	}
	seen := map[string]bool{}
	tags := make([]cph.Tag, 0, len(req.Tags))
	for _, t := range req.Tags {
		if t == nil || !validTagKey(t.Key) || seen[t.Key] {
			return cph.ErrInvalidParameter("tags.key")
		}
		seen[t.Key] = true
		if (req.Action == "create" || t.Value != "") && !validTagValue(t.Value) {
			return cph.ErrInvalidParameter("tags.value")
		}
		tags = append(tags, *t)
	}
	id, err := s.taggedServer(r, p)
	if err != nil {
		return err
	}
	err = s.db.Tx(r.Context(), func(tx *sqlstore.Tx) error {
		if req.Action == "delete" {
			return tx.DeleteServerTags(r.Context(), id, tags)
		}
		err := tx.SetServerTags(r.Context(), p.ProjectID, id, tags, maxTagsPerServer)
		if errors.Is(err, sqlstore.ErrLimit) {
			return cph.ErrTooManyItems("tags", maxTagsPerServer)
		}
		return err
	})
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
	f := cph.ResourceFilter{ProjectID: p.ProjectID, WithoutTags: req.WithoutTags, Limit: 1000}
	switch req.Action {
	case "filter":
		if req.Offset != nil {
			n, err := strconv.Atoi(*req.Offset)
			if err != nil || n < 0 {
				return cph.ErrInvalidPaging()
			}
			f.Offset = n
		}
		if req.Limit != nil {
			n, err := strconv.Atoi(*req.Limit)
			if err != nil || n < 1 || n > 1000 {
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
	if len(req.Tags) > 10 {
		return cph.ErrTooManyItems("tags", 10)
	}
	keys := map[string]bool{}
	for _, t := range req.Tags {
		if t == nil || t.Key == "" || len([]rune(t.Key)) > 127 || keys[t.Key] || len(t.Values) > 10 {
			return cph.ErrInvalidParameter("tags")
		}
		keys[t.Key] = true
		vals := map[string]bool{}
		for _, v := range t.Values {
			if vals[v] || len([]rune(v)) > 255 {
				return cph.ErrInvalidParameter("tags.values")
			}
			vals[v] = true
		}
		f.Tags = append(f.Tags, *t)
	}
	for _, m := range req.Matches {
		if m == nil || m.Key != "resource_name" || m.Value == "" {
			return cph.ErrInvalidParameter("matches")
		}
		v := m.Value
		f.ResourceName = &v
	}
	res, total, err := s.db.ListResourceInstances(r.Context(), f)
	if err != nil {
		return err
	}
	resp := struct {
		RequestID  string            `json:"request_id"`
		Resources  []cph.TagResource `json:"resources,omitempty"`
		TotalCount int               `json:"total_count"`
	}{RequestID: RequestID(r), TotalCount: total}
	if req.Action == "filter" {
		resp.Resources = res
		if resp.Resources == nil {
			resp.Resources = []cph.TagResource{}
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
