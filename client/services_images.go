package client

import (
	"context"

	cph "github.com/opencph/opencph"
)

var _ cph.ImageService = (*Services)(nil)

// ListPhoneImages implements cph.ImageService.
func (s *Services) ListPhoneImages(ctx context.Context, f cph.PhoneImageFilter) (*cph.PhoneImagePage, error) {
	list, next, err := s.c.ListPhoneImagesPage(ctx, f.Type, f.Page)
	if err != nil {
		return nil, err
	}
	out := make([]*cph.PhoneImage, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return &cph.PhoneImagePage{Images: out, NextMarker: next}, nil
}

// ListImages implements cph.ImageService.
func (s *Services) ListImages(ctx context.Context, f cph.ImageFilter) (*cph.ImagePage, error) {
	opts := ListImagesOptions{Offset: new(f.Offset), Limit: new(f.Limit), Type: f.Type, Status: f.Status}
	if f.ImageID != nil {
		opts.ImageID = *f.ImageID
	}
	if f.NameLike != nil {
		opts.Name = *f.NameLike
	}
	if f.SrcProjectID != nil {
		opts.SrcProjectID = *f.SrcProjectID
	}
	if f.CreateSince != nil {
		opts.CreateSince = new(f.CreateSince.UnixMilli())
	}
	if f.CreateUntil != nil {
		opts.CreateUntil = new(f.CreateUntil.UnixMilli())
	}
	list, err := s.c.ListImages(ctx, opts)
	if err != nil {
		return nil, err
	}
	page := &cph.ImagePage{Total: list.Total, Images: make([]*cph.ImageView, len(list.Images))}
	for i := range list.Images {
		page.Images[i] = &list.Images[i]
	}
	return page, nil
}

// CreateImage implements cph.ImageService. Of the image, the answer
// carries the id only; the other fields are those the server was asked
// for.
func (s *Services) CreateImage(ctx context.Context, p cph.CreateImageParams) (*cph.CustomImage, error) {
	id, err := s.c.CreateImage(ctx, p.Name, p.PhoneID)
	if err != nil {
		return nil, err
	}
	return &cph.CustomImage{ID: id, Name: p.Name, Status: cph.ImageProduction}, nil
}

// DeleteImage implements cph.ImageService.
func (s *Services) DeleteImage(ctx context.Context, id string) error {
	return s.c.DeleteImage(ctx, id)
}

// AddImageMember implements cph.ImageService.
func (s *Services) AddImageMember(ctx context.Context, imageID, memberID string) error {
	return s.c.AddImageMember(ctx, imageID, memberID)
}

// ListImageMembers implements cph.ImageService.
func (s *Services) ListImageMembers(ctx context.Context, imageID string, p cph.MarkerPage) (*cph.ImageMemberPage, error) {
	list, next, err := s.c.ListImageMembersPage(ctx, imageID, p)
	if err != nil {
		return nil, err
	}
	out := make([]*cph.ImageMember, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return &cph.ImageMemberPage{Members: out, NextMarker: next}, nil
}

// UpdateImageMember implements cph.ImageService.
func (s *Services) UpdateImageMember(ctx context.Context, imageID string, upd cph.ImageMemberUpdate) error {
	return s.c.UpdateImageMember(ctx, imageID, upd.Status)
}

// DeleteImageMember implements cph.ImageService.
func (s *Services) DeleteImageMember(ctx context.Context, imageID, memberID string) error {
	return s.c.DeleteImageMember(ctx, imageID, memberID)
}
