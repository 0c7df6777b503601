package cph

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
}

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

// ImageService manages the phone images the caller's project owns or may use.
type ImageService interface {
}
