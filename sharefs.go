package cph

import "time"

// Operation kinds of shared file system jobs (server jobs).
const (
	OpAttachShareFilesystem OpKind = "attach_share_filesystem"
	OpDetachShareFilesystem OpKind = "detach_share_filesystem"
)

// ShareFilesystemTypeSFSTurbo is the only type of shared file system.
const ShareFilesystemTypeSFSTurbo = "sfs_turbo"

// MaxShareFilesystemID is the longest ID of a shared file system, in bytes.
const MaxShareFilesystemID = 64

// MaxShareFilesystemServers is the most distinct servers of one attach or
// detach call.
const MaxShareFilesystemServers = 20

// DefaultShareFilesystemMountRoot is the directory of the phones under
// which a shared file system appears, at <root>/<id>.
const DefaultShareFilesystemMountRoot = "/mnt/sfs"

// ShareFilesystem is a shared file system the operator declares: its ID
// (the one attach and detach name) and the directory on the host of the
// phone runtime that holds its content.
type ShareFilesystem struct {
	ID       string
	HostPath string
}

// ShareFilesystemParams is an attach (AttachShareFilesystem) or a detach
// (DetachShareFilesystem) of a shared file system on servers. Path, the
// sub-directory to mount ("" = the root), is for attach only.
type ShareFilesystemParams struct {
	Type      string
	ID        string
	ServerIDs []string
	Path      string
}

// ShareFilesystemArgs are the arguments of an attach or detach operation:
// what the server's runtime mounts (HostPath/Path) and where (MountPoint).
type ShareFilesystemArgs struct {
	ID         string `json:"id"`
	Path       string `json:"path,omitempty"`
	HostPath   string `json:"host_path,omitempty"`
	MountPoint string `json:"mount_point"`
}

// ShareFilesystemMount is a shared file system mounted on a server.
type ShareFilesystemMount struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Path       string `json:"path"`
	MountPoint string `json:"mount_point"`
	// State is "mounted", or "mounting"/"unmounting" while a job runs.
	State     string `json:"state"`
	MountTime Time   `json:"mount_time"`
}

// ShareApp is one package of a server's shared-app snapshot.
type ShareApp struct {
	PackageName string   `json:"package_name"`
	Versions    []string `json:"versions"`
}

// ShareAppsFilter selects a page of a server's shared-app snapshot.
type ShareAppsFilter struct {
	ServerID    string
	PackageName string // exact; "" lists every package
	Page        MarkerPage
}

// Paging bounds of ListShareAppsSnapshot.
const (
	DefaultShareAppsPage = 100
	MaxShareAppsPage     = 500
)

// ShareAppsSnapshot is one page of a server's shared-app snapshot.
type ShareAppsSnapshot struct {
	CollectTime time.Time
	Apps        []ShareApp
	NextMarker  string
}

// Sale statuses of a server flavor in an availability zone.
const (
	SellAvailable = "available"
	SellOut       = "sellout"
)

// ServerModelOffering is the sale status of a server flavor in one
// availability zone.
type ServerModelOffering struct {
	AvailableZone string `json:"available_zone"`
	ModelName     string `json:"model_name"`
	SellStatus    string `json:"sell_status"`
}

// Paging bounds of ListCloudPhoneServerModelOfferings.
const (
	DefaultOfferingsPage = 100
	MaxOfferingsPage     = 1000
)

// ServerModelOfferings is one page of the offerings.
type ServerModelOfferings struct {
	Count      int // entries over all pages
	Models     []ServerModelOffering
	NextMarker string
}

// ZoneCapacity is the most servers of a flavor an availability zone holds
// (over every project of the deployment).
type ZoneCapacity struct {
	Zone        string
	ServerModel string
	Servers     int
}
