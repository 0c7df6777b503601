package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/opencph/opencph"
)

// tagRoutes registers the tag operations of one resource type with the
// literal type in their paths, so that they conflict with no other route
// (a {resource_type} wildcard would with .../cloud-phone/phones/{phone_id}).
func (s *Server) tagRoutes(resourceType string) {
	t := "/v1/{project_id}/" + resourceType
	s.handle("GET "+t+"/tags", familyCPH, s.withProject(s.listProjectTags(resourceType)))
	s.handle("GET "+t+"/{resource_id}/tags", familyCPH, s.withProject(s.listResourceTags(resourceType)))
	s.handle("POST "+t+"/{resource_id}/tags/action", familyCPH, s.withProject(s.tagAction(resourceType)))
	// Listing or counting resources by tag changes nothing.
	s.handle("POST "+t+"/resource_instances/action", familyCPH, s.withProject(s.listResourceInstances(resourceType)), onlyReads)
}

// projectHandler is a handler of a project-scoped route (withProject).
type projectHandler = func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error

// tagResourceTypes are the resource types whose tag routes are
// registered.
var tagResourceTypes = []string{cph.ResourceTypeServer, cph.ResourceTypeElasticPhone}

// unknownTagResourceType reports whether a request no route serves is a
// tag operation of a resource type there is none of: the path of one of
// the tag routes with another type in the place of the resource type.
func unknownTagResourceType(method, path string) bool {
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(seg) < 4 || seg[0] != "v1" || seg[1] == "" || seg[2] == "" || slices.Contains(tagResourceTypes, seg[2]) {
		return false
	}
	rest := strings.Join(seg[3:], "/")
	switch method {
	case http.MethodGet:
		return rest == "tags" || (len(seg) == 5 && seg[3] != "" && seg[4] == "tags")
	case http.MethodPost:
		return rest == "resource_instances/action" || (len(seg) == 6 && seg[3] != "" && seg[4] == "tags" && seg[5] == "action")
	}
	return false
}

// listProjectTags is ListProjectTags.
func (s *Server) listProjectTags(resourceType string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
		return s.listProjectTagsOf(w, r, resourceType)
	}
}

func (s *Server) listProjectTagsOf(w http.ResponseWriter, r *http.Request, resourceType string) error {
	f := cph.TagFilter{ResourceType: resourceType}
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
func (s *Server) listResourceTags(resourceType string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
		if resourceType == cph.ResourceTypeElasticPhone {
			return s.cfg.Servers.ElasticPhoneTags(r.Context(), r.PathValue("resource_id"), false)
		}
		return s.listServerTags(w, r)
	}
}

func (s *Server) listServerTags(w http.ResponseWriter, r *http.Request) error {
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
func (s *Server) tagAction(resourceType string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
		return s.tagActionOf(w, r, resourceType)
	}
}

func (s *Server) tagActionOf(w http.ResponseWriter, r *http.Request, resourceType string) error {
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
	if resourceType == cph.ResourceTypeElasticPhone {
		return s.cfg.Servers.ElasticPhoneTags(r.Context(), id, true)
	}
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
func (s *Server) listResourceInstances(resourceType string) projectHandler {
	return func(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
		return s.listResourceInstancesOf(w, r, resourceType)
	}
}

func (s *Server) listResourceInstancesOf(w http.ResponseWriter, r *http.Request, resourceType string) error {
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
	f := cph.ResourceFilter{ResourceType: resourceType, WithoutTags: req.WithoutTags, Limit: 1000}
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
		RequestID  string             `json:"request_id"`
		Resources  *[]cph.TagResource `json:"resources,omitempty"`
		TotalCount int                `json:"total_count"`
	}{RequestID: RequestID(r), TotalCount: page.Total}
	if req.Action == "filter" {
		res := page.Resources
		if res == nil {
			res = []cph.TagResource{}
		}
		resp.Resources = &res
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
