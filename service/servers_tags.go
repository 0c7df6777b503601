package service

import (
	"context"
	"errors"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Bounds of a tag filter of ListTaggedServers.
const (
	maxTagFilterKeys   = 10
	maxTagFilterValues = 10
	maxTaggedPage      = 1000
)

// ListProjectTags implements cph.ServerService.
func (s *Services) ListProjectTags(ctx context.Context, f cph.TagFilter) (*cph.TagPage, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkPage(f.Offset, f.Limit, maxPage); err != nil {
		return nil, err
	}
	if !cph.ValidResourceType(f.ResourceType) {
		return nil, cph.ErrInvalidParameter("resource_type")
	}
	if f.ResourceType == cph.ResourceTypeElasticPhone {
		return &cph.TagPage{Tags: []cph.Tags{}}, nil
	}
	tags, total, err := s.db.ProjectTags(ctx, p.ProjectID, f.Offset, f.Limit)
	if err != nil {
		return nil, err
	}
	return &cph.TagPage{Total: total, Tags: tags}, nil
}

// ListServerTags implements cph.ServerService.
func (s *Services) ListServerTags(ctx context.Context, serverID string) ([]cph.Tag, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.projectServer(ctx, p.ProjectID, serverID); err != nil {
		return nil, err
	}
	return s.db.ServerTags(ctx, serverID)
}

// checkTags validates the tags of a create (values required) or delete
// (values optional) action: at most cph.MaxTagsPerServer tags with
// distinct, valid keys.
func checkTags(tags []cph.Tag, create bool) error {
	if len(tags) == 0 {
		return cph.ErrInvalidParameter("tags")
	}
	// A server carries at most MaxTagsPerServer tags, and keys may not
	// repeat, so a call with more is refused before any work.
	if len(tags) > cph.MaxTagsPerServer {
		return cph.ErrTooManyItems("tags", cph.MaxTagsPerServer)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if !validTagKey(t.Key) || seen[t.Key] {
			return cph.ErrInvalidParameter("tags.key")
		}
		seen[t.Key] = true
		if (create || t.Value != "") && !validTagValue(t.Value) {
			return cph.ErrInvalidParameter("tags.value")
		}
	}
	return nil
}

// CreateServerTags implements cph.ServerService.
func (s *Services) CreateServerTags(ctx context.Context, serverID string, tags []cph.Tag) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	if err := checkTags(tags, true); err != nil {
		return err
	}
	if _, err := s.projectServer(ctx, p.ProjectID, serverID); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		err := tx.SetServerTags(ctx, p.ProjectID, serverID, tags, cph.MaxTagsPerServer)
		if errors.Is(err, sqlstore.ErrLimit) {
			return cph.ErrTooManyItems("tags", cph.MaxTagsPerServer)
		}
		return err
	})
}

// DeleteServerTags implements cph.ServerService.
func (s *Services) DeleteServerTags(ctx context.Context, serverID string, tags []cph.Tag) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	if err := checkTags(tags, false); err != nil {
		return err
	}
	if _, err := s.projectServer(ctx, p.ProjectID, serverID); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		return tx.DeleteServerTags(ctx, serverID, tags)
	})
}

// ListTaggedServers implements cph.ServerService.
func (s *Services) ListTaggedServers(ctx context.Context, f cph.ResourceFilter) (*cph.TagResourcePage, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	f.ProjectID = p.ProjectID
	if err := checkPage(f.Offset, f.Limit, maxTaggedPage); err != nil {
		return nil, err
	}
	if len(f.Tags) > maxTagFilterKeys {
		return nil, cph.ErrTooManyItems("tags", maxTagFilterKeys)
	}
	keys := map[string]bool{}
	for _, t := range f.Tags {
		if t.Key == "" || len([]rune(t.Key)) > 127 || keys[t.Key] || len(t.Values) > maxTagFilterValues {
			return nil, cph.ErrInvalidParameter("tags")
		}
		keys[t.Key] = true
		vals := map[string]bool{}
		for _, v := range t.Values {
			if vals[v] || len([]rune(v)) > 255 {
				return nil, cph.ErrInvalidParameter("tags.values")
			}
			vals[v] = true
		}
	}
	if f.ResourceName != nil && *f.ResourceName == "" {
		return nil, cph.ErrInvalidParameter("matches")
	}
	if !cph.ValidResourceType(f.ResourceType) {
		return nil, cph.ErrInvalidParameter("resource_type")
	}
	if f.ResourceType == cph.ResourceTypeElasticPhone {
		return &cph.TagResourcePage{Resources: []cph.TagResource{}}, nil
	}
	res, total, err := s.db.ListResourceInstances(ctx, f)
	if err != nil {
		return nil, err
	}
	if res == nil {
		res = []cph.TagResource{}
	}
	return &cph.TagResourcePage{Total: total, Resources: res}, nil
}

// ElasticPhoneTags implements cph.ServerService: OpenCPH hosts no elastic
// cloud phones, so every id is an unknown phone.
func (s *Services) ElasticPhoneTags(ctx context.Context, phoneID string, change bool) error {
	if change {
		if _, err := writer(ctx); err != nil {
			return err
		}
	} else if _, err := reader(ctx); err != nil {
		return err
	}
	return cph.ErrPhoneNotFound()
}
