package cph

import "context"

// DefaultImageID is the public image (Android 11, AOSP) that new phones
// run unless told otherwise.
const DefaultImageID = "a1b2c3d4e5f60718293a4b5c6d7e8f11"

// Image types of ListCloudPhoneImages and ListImages.
const (
	ImageTypePublic  = "public"
	ImageTypePrivate = "private"
	ImageTypeShare   = "share"
	ImageTypeAll     = "all"
)

// ImageStatus is the status of a custom image.
type ImageStatus int32

// Custom image statuses.
const (
	ImageCreating     ImageStatus = 0
	ImageProduction   ImageStatus = 1
	ImageCreateFailed ImageStatus = 2
)

// Valid reports whether s is a documented custom image status.
func (s ImageStatus) Valid() bool { return s >= ImageCreating && s <= ImageCreateFailed }

// Image member statuses: a new member is pending until the receiving
// project accepts or rejects the image.
const (
	MemberPending  = "pending"
	MemberAccepted = "accepted"
	MemberRejected = "rejected"
)

// MaxImageMembers is the most projects one image can be shared with.
const MaxImageMembers = 10

// PhoneImage is an image usable for phones, as listed by
// ListCloudPhoneImages.
type PhoneImage struct {
	Name             string `json:"image_name"`
	OSType           string `json:"os_type"`
	IsPublic         int32  `json:"is_public"` // 1 public, 2 private (own or shared)
	OSName           string `json:"os_name"`
	Label            string `json:"image_label"`
	ID               string `json:"image_id"`
	IsSupportEncrypt bool   `json:"is_support_encrypt"`
	// ReceiveStatus is set on images another project shared with the
	// caller only: whether the caller's project has accepted the image
	// (ReceivePending, ReceiveAccepted, ReceiveRejected). Only accepted
	// images boot phones.
	ReceiveStatus *int32 `json:"receive_status,omitempty"`
}

// Receive statuses of an image shared with the caller (PhoneImage's
// ReceiveStatus), the member status of the caller's project.
const (
	ReceivePending  int32 = 0
	ReceiveAccepted int32 = 1
	ReceiveRejected int32 = 2
)

// ReceiveStatusOf returns the receive status of a member status.
func ReceiveStatusOf(memberStatus string) int32 {
	switch memberStatus {
	case MemberAccepted:
		return ReceiveAccepted
	case MemberRejected:
		return ReceiveRejected
	}
	return ReceivePending
}

// Page sizes of the marker-paged image lists: the largest page, which is
// also the page a request without limit gets.
const (
	MaxPhoneImagePage  = 500
	MaxImageMemberPage = 100
)

// ImageView is a custom image as listed by ListImages. ProjectID is set for the caller's own (private) images,
// SrcProjectID for images shared with the caller.
type ImageView struct {
	DomainID     string      `json:"domain_id"`
	Name         string      `json:"image_name"`
	UpdateTime   Time        `json:"update_time"`
	CreateTime   Time        `json:"create_time"`
	Size         int64       `json:"image_size"`
	ProjectID    string      `json:"project_id,omitempty"`
	ID           string      `json:"image_id"`
	Version      string      `json:"image_version"`
	Type         string      `json:"image_type"`
	Status       ImageStatus `json:"status"`
	SrcProjectID string      `json:"src_project_id,omitempty"`
}

// ImageMember is a project an image is shared with, as listed by
// ListImageMembers. Times are Unix milliseconds. Status
// (pending, accepted, rejected) is an OpenCPH addition.
type ImageMember struct {
	CreateTime int64  `json:"create_time"`
	UpdateTime int64  `json:"update_time"`
	ImageID    string `json:"image_id"`
	MemberID   string `json:"member_id"`
	Status     string `json:"status"`
}

// ImageFilter selects custom images in ListImages. Nil fields do not filter.
type ImageFilter struct {
	ProjectID    string       // required: the caller's project
	Type         string       // "private", "share" or "" for both
	Status       *ImageStatus // exact
	ImageID      *string      // exact
	NameLike     *string      // case-insensitive substring of the name
	CreateSince  *Time        // created at or after
	CreateUntil  *Time        // created at or before
	SrcProjectID *string      // owner project of shared images
	Offset       int
	Limit        int
}

// CustomImage is a project's own phone image, shareable with other projects.
type CustomImage struct {
	ID        string
	ProjectID string // owner project
	DomainID  string // owner account
	Name      string
	OSType    string
	OSName    string
	Label     string
	Version   string
	Size      int64 // bytes
	Status    ImageStatus
}

// MaxImagePage is the largest page of a custom image list.
const MaxImagePage = 100

// MaxImageName is the longest image name, in characters.
const MaxImageName = 128

// PhoneImageFilter selects images in ListPhoneImages.
type PhoneImageFilter struct {
	// Type is ImageTypePublic, ImageTypePrivate (the project's own),
	// ImageTypeShare (shared with the project, whatever its answer:
	// ReceiveStatus tells), ImageTypeAll, or "" for all.
	Type string
	// Page is the page: Limit 0..MaxPhoneImagePage (0: MaxPhoneImagePage).
	// The list is ordered public images first, then the project's own,
	// then those shared with it, each group by name and id; the marker
	// is an image_id.
	Page MarkerPage
}

// PhoneImagePage is one page of ListPhoneImages.
type PhoneImagePage struct {
	Images []*PhoneImage
	// NextMarker is the marker of the next page, "" on the last page.
	NextMarker string
}

// ImageMemberPage is one page of ListImageMembers.
type ImageMemberPage struct {
	Members []*ImageMember
	// NextMarker is the marker of the next page, "" on the last page.
	NextMarker string
}

// ImagePage is one page of a custom image list.
type ImagePage struct {
	Total  int          // images matching the filter, over all pages
	Images []*ImageView // the page, in list order
}

// CreateImageParams are the parameters of CreateImage.
type CreateImageParams struct {
	// Name is 1 to MaxImageName printable characters, without leading or
	// trailing space.
	Name string
	// PhoneID is the phone of the caller's project to capture; it must be
	// running or stopped.
	PhoneID string
}

// ImageMemberUpdate is the caller's answer to an image shared with its
// project.
type ImageMemberUpdate struct {
	// Status is MemberAccepted or MemberRejected.
	Status string
}

// ImageService manages the phone images the caller's project owns or may
// use, and their sharing with other projects. The caller travels in the
// context (NewCallerContext); every method acts for the caller's project
// only: another project's image looks unknown (CPS.0030).
type ImageService interface {
	// ListPhoneImages returns the page of the images the caller's
	// project can see for phones, of the type f selects: public images,
	// its own production images, and the production images shared with
	// it, pending, accepted or rejected (ReceiveStatus; only accepted
	// ones boot phones).
	// Errors: CPS.9011 (a type outside its enumeration, a marker that
	// names no image of the list), CPS.0002 (limit outside
	// 0..MaxPhoneImagePage), APIGW.0301, APIGW.0302.
	ListPhoneImages(ctx context.Context, f PhoneImageFilter) (*PhoneImagePage, error)

	// ListImages returns the page of the caller's own custom images and
	// of those shared with its project and accepted that f selects
	// (f.ProjectID is ignored; f.Type is ImageTypePrivate, ImageTypeShare
	// or "" for both).
	// Errors: CPS.0002 (offset < 0, limit outside 1..MaxImagePage),
	// CPS.0010 (status outside its enumeration), CPS.9011 (another type),
	// APIGW.0301, APIGW.0302.
	ListImages(ctx context.Context, f ImageFilter) (*ImagePage, error)

	// CreateImage captures a phone of the caller's project as a new
	// private image, usable at once (status ImageProduction), and returns
	// it.
	// Errors: CPS.9011 (a bad name), CPS.0004 (a malformed phone id),
	// CPS.0005 (an unknown phone), CPS.9001 (the phone is neither running
	// nor stopped), CPS.0001 (a read-only user), APIGW.0301, APIGW.0302.
	CreateImage(ctx context.Context, p CreateImageParams) (*CustomImage, error)

	// DeleteImage deletes one of the caller's own custom images and all
	// its memberships. An image that phones (of any project) run, or that
	// restarts or resets still boot phones with, is kept.
	// Errors: CPS.0030 (not an own custom image), CPS.9008 (in use),
	// CPS.0001, APIGW.0301, APIGW.0302.
	DeleteImage(ctx context.Context, id string) error

	// AddImageMember shares one of the caller's own custom images with
	// another project of the same region; the member must accept it
	// before using it.
	// Errors: CPS.0030 (not an own custom image), CPS.9011 (the member is
	// the caller's project, unknown, or of another region), CPS.9008 (the
	// image has MaxImageMembers members already), CPS.0001, APIGW.0301,
	// APIGW.0302.
	AddImageMember(ctx context.Context, imageID, memberID string) error

	// ListImageMembers returns a page of the projects one of the
	// caller's own custom images is shared with, newest first (by
	// create_time, then member_id); the marker is a member_id, and
	// page.Limit is 0..MaxImageMemberPage (0: MaxImageMemberPage).
	// Errors: CPS.0030 (not an own custom image), CPS.9011 (a marker
	// that names no member), CPS.0002 (limit), APIGW.0301, APIGW.0302.
	ListImageMembers(ctx context.Context, imageID string, page MarkerPage) (*ImageMemberPage, error)

	// UpdateImageMember records the caller's project's answer to an
	// image shared with it. An image that restarts or resets of the
	// project still boot phones with cannot be rejected.
	// Errors: CPS.0030 (an image not shared with the project), CPS.9011
	// (a status other than accepted or rejected), CPS.9008 (rejected
	// while in use), CPS.0001, APIGW.0301, APIGW.0302.
	UpdateImageMember(ctx context.Context, imageID string, upd ImageMemberUpdate) error

	// DeleteImageMember stops sharing one of the caller's own custom
	// images with the project memberID.
	// Errors: CPS.0030 (not an own custom image), CPS.9011 (memberID is
	// not a member), CPS.9008 (phones of the member are booting with the
	// image), CPS.0001, APIGW.0301, APIGW.0302.
	DeleteImageMember(ctx context.Context, imageID, memberID string) error
}
