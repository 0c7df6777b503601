package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	cph "github.com/opencph/opencph"
)

// imagesPath is the collection of custom images.
const imagesPath = "/v1/{project_id}/cloud-phone/images"

// ListPhoneImages lists the images the project can see for phones
// (ListCloudPhoneImages, GET /v1/{project_id}/cloud-phone/phone-images),
// every page. imageType is "public", "private" (the project's own),
// "share" (shared with the project; ReceiveStatus says whether it was
// accepted), "all", or "" for the server's default (all). Another value
// is refused with CPS.9011.
func (c *Client) ListPhoneImages(ctx context.Context, imageType string) ([]cph.PhoneImage, error) {
	return allPages(ctx, func(ctx context.Context, marker string) ([]cph.PhoneImage, string, error) {
		return c.ListPhoneImagesPage(ctx, imageType, cph.MarkerPage{Marker: marker})
	})
}

// ListPhoneImagesPage reads one page of ListCloudPhoneImages: the images
// after the one p.Marker names (the first page for ""), at most p.Limit
// (1..500; 0 sends none, the server's 500). It returns the page and the
// marker of the next one ("" on the last page). An unknown marker is
// CPS.9011, a bad limit CPS.0002.
func (c *Client) ListPhoneImagesPage(ctx context.Context, imageType string, p cph.MarkerPage) ([]cph.PhoneImage, string, error) {
	q := url.Values{}
	if imageType != "" {
		q.Set("image_type", imageType)
	}
	markerQuery(q, p)
	var out struct {
		PhoneImages []cph.PhoneImage `json:"phone_images"`
		PageInfo    cph.PageInfo     `json:"page_info"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/{project_id}/cloud-phone/phone-images", Query: q, Out: &out}); err != nil {
		return nil, "", fmt.Errorf("list phone images: %w", err)
	}
	if out.PhoneImages == nil {
		out.PhoneImages = []cph.PhoneImage{}
	}
	return out.PhoneImages, out.PageInfo.NextMarker, nil
}

// ListImagesOptions are the query parameters of ListImages. Nil and empty
// fields are not sent.
type ListImagesOptions struct {
	// Offset is the number of images to skip.
	Offset *int
	// Limit is the page size, 1 to 100.
	Limit *int
	// Type is "private" (the project's own images) or "share" (images
	// shared with the project and accepted); empty lists both.
	Type string
	// Status keeps the images in one status.
	Status *cph.ImageStatus
	// ImageID keeps one image.
	ImageID string
	// Name keeps the images whose name contains it.
	Name string
	// SrcProjectID keeps the shared images of one owner project.
	SrcProjectID string
	// CreateSince and CreateUntil bound the creation time, in Unix
	// milliseconds.
	CreateSince, CreateUntil *int64
}

func (o ListImagesOptions) query() url.Values {
	q := url.Values{}
	setInt(q, "offset", o.Offset)
	setInt(q, "limit", o.Limit)
	set := func(name, v string) {
		if v != "" {
			q.Set(name, v)
		}
	}
	set("image_type", o.Type)
	set("image_id", o.ImageID)
	set("image_name", o.Name)
	set("src_project_id", o.SrcProjectID)
	if o.Status != nil {
		q.Set("status", strconv.Itoa(int(*o.Status)))
	}
	if o.CreateSince != nil {
		q.Set("create_since", strconv.FormatInt(*o.CreateSince, 10))
	}
	if o.CreateUntil != nil {
		q.Set("create_until", strconv.FormatInt(*o.CreateUntil, 10))
	}
	return q
}

// ImageList is the body of a ListImages answer.
type ImageList struct {
	// RequestID is the id of the call.
	RequestID string `json:"request_id"`
	// Total is the number of images matching the filters.
	Total int `json:"total"`
	// Images is the page.
	Images []cph.ImageView `json:"image_infos"`
}

// ListImages lists one page of the project's custom images and of those
// shared with it and accepted (ListImages,
// GET /v1/{project_id}/cloud-phone/images). Bad paging is CPS.0002, a bad
// status CPS.0010, another bad filter CPS.9011.
func (c *Client) ListImages(ctx context.Context, opts ListImagesOptions) (*ImageList, error) {
	var out ImageList
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: imagesPath, Query: opts.query(), Out: &out}); err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	if out.Images == nil {
		out.Images = []cph.ImageView{}
	}
	return &out, nil
}

// CreateImage captures a phone of the project as a new private image and
// returns its id (the OpenCPH extension POST /opencph/v1/{project_id}/images;
// CPH itself has no such operation). The phone must be running or stopped
// (else CPS.9001); an unknown phone is CPS.0005, a bad name CPS.9011.
func (c *Client) CreateImage(ctx context.Context, name, phoneID string) (string, error) {
	var out struct {
		ImageID string `json:"image_id"`
	}
	in := map[string]string{"image_name": name, "phone_id": phoneID}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/opencph/v1/{project_id}/images", In: in, Out: &out}); err != nil {
		return "", fmt.Errorf("create image: %w", err)
	}
	return out.ImageID, nil
}

// DeleteImage deletes one of the project's custom images and all its
// memberships (DeleteImage, DELETE /v1/{project_id}/cloud-phone/images/{image_id}).
// An unknown image is 404 CPS.0030; an image that phones still run is
// CPS.9008.
func (c *Client) DeleteImage(ctx context.Context, imageID string) error {
	if _, err := c.Do(ctx, Request{Method: http.MethodDelete, Path: imagesPath + "/" + url.PathEscape(imageID)}); err != nil {
		return fmt.Errorf("delete image %s: %w", imageID, err)
	}
	return nil
}

// AddImageMember shares one of the project's images with another project
// of the same region; the member must accept it before using it
// (AddImageMember, POST /v1/{project_id}/cloud-phone/images/{image_id}/members).
// An 11th member is CPS.9008, an unknown project CPS.9011.
func (c *Client) AddImageMember(ctx context.Context, imageID, memberProjectID string) error {
	in := map[string]string{"member": memberProjectID}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: imagesPath + "/" + url.PathEscape(imageID) + "/members", In: in}); err != nil {
		return fmt.Errorf("share image %s with %s: %w", imageID, memberProjectID, err)
	}
	return nil
}

// ListImageMembers lists the projects one of the project's images is
// shared with, newest first (ListImageMembers,
// GET /v1/{project_id}/cloud-phone/images/{image_id}/members), every page.
func (c *Client) ListImageMembers(ctx context.Context, imageID string) ([]cph.ImageMember, error) {
	return allPages(ctx, func(ctx context.Context, marker string) ([]cph.ImageMember, string, error) {
		return c.ListImageMembersPage(ctx, imageID, cph.MarkerPage{Marker: marker})
	})
}

// ListImageMembersPage reads one page of ListImageMembers: the members
// after the one p.Marker names (a member_id; "" for the first page), at
// most p.Limit (1..100; 0 sends none, the server's 100), and the marker
// of the next page ("" on the last).
func (c *Client) ListImageMembersPage(ctx context.Context, imageID string, p cph.MarkerPage) ([]cph.ImageMember, string, error) {
	q := url.Values{}
	markerQuery(q, p)
	var out struct {
		Members  []cph.ImageMember `json:"members"`
		PageInfo cph.PageInfo      `json:"page_info"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: imagesPath + "/" + url.PathEscape(imageID) + "/members", Query: q, Out: &out}); err != nil {
		return nil, "", fmt.Errorf("list members of image %s: %w", imageID, err)
	}
	if out.Members == nil {
		out.Members = []cph.ImageMember{}
	}
	return out.Members, out.PageInfo.NextMarker, nil
}

// UpdateImageMember accepts ("accepted") or rejects ("rejected") an image
// another project shared with this one (UpdateImageMember,
// PUT /v1/{project_id}/cloud-phone/images/{image_id}/members). An image not
// shared with the project is 404 CPS.0030.
func (c *Client) UpdateImageMember(ctx context.Context, imageID, status string) error {
	in := map[string]string{"status": status}
	if _, err := c.Do(ctx, Request{Method: http.MethodPut, Path: imagesPath + "/" + url.PathEscape(imageID) + "/members", In: in}); err != nil {
		return fmt.Errorf("answer sharing of image %s: %w", imageID, err)
	}
	return nil
}

// DeleteImageMember stops sharing one of the project's images with a
// project (DeleteImageMember,
// DELETE /v1/{project_id}/cloud-phone/images/{image_id}/members/{member_id}).
func (c *Client) DeleteImageMember(ctx context.Context, imageID, memberProjectID string) error {
	p := imagesPath + "/" + url.PathEscape(imageID) + "/members/" + url.PathEscape(memberProjectID)
	if _, err := c.Do(ctx, Request{Method: http.MethodDelete, Path: p}); err != nil {
		return fmt.Errorf("stop sharing image %s with %s: %w", imageID, memberProjectID, err)
	}
	return nil
}
