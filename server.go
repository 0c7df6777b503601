package cph

import "context"

// ServerStatus is a phone server's status code.
type ServerStatus int32

// Server statuses.
const (
	ServerCreating     ServerStatus = 0
	ServerCreating1    ServerStatus = 1
	ServerAbnormal     ServerStatus = 2
	ServerCreating3    ServerStatus = 3
	ServerCreating4    ServerStatus = 4
	ServerNormal       ServerStatus = 5
	ServerDeleting     ServerStatus = 6
	ServerFrozen       ServerStatus = 8
	ServerShutDown     ServerStatus = 10
	ServerShuttingDown ServerStatus = 11
	ServerShutdownFail ServerStatus = 12
	ServerStarting     ServerStatus = 13
)

// Valid reports whether s is a documented server status.
func (s ServerStatus) Valid() bool {
	switch s {
	case 0, 1, 2, 3, 4, 5, 6, 8, 10, 11, 12, 13:
		return true
	}
	return false
}

// ServerStatuses lists every documented server status.
func ServerStatuses() []ServerStatus {
	return []ServerStatus{ServerCreating, ServerCreating1, ServerAbnormal, ServerCreating3, ServerCreating4, ServerNormal,
		ServerDeleting, ServerFrozen, ServerShutDown, ServerShuttingDown, ServerShutdownFail, ServerStarting}
}

// Operation kinds of server-level and encode-server jobs.
const (
	OpRestartServer       OpKind = "restart_server"
	OpUpdateKeypair       OpKind = "update_keypair"
	OpPushShareFiles      OpKind = "push_share_files"
	OpDeleteShareFiles    OpKind = "delete_share_files"
	OpListShareFiles      OpKind = "list_share_files"
	OpPushShareApps       OpKind = "push_share_apps"
	OpDeleteShareApps     OpKind = "delete_share_apps"
	OpProvisionServer     OpKind = "provision_server"
	OpRebuildServer       OpKind = "rebuild_server"
	OpChangeServerModel   OpKind = "change_server_model"
	OpDeleteServer        OpKind = "delete_server"
	OpRestartEncodeServer OpKind = "restart_encode_server"
)

// Address is one address of a server.
type Address struct {
	IntranetIP string `json:"intranet_ip"`
	AccessIP   string `json:"access_ip"`
	ServerIP   string `json:"server_ip"`
	PublicIP   string `json:"public_ip"`
}

// ServerMetadata is a server's order information.
type ServerMetadata struct {
	ProductID    string `json:"product_id"`
	OrderID      string `json:"order_id"`
	ChargingMode int32  `json:"charging_mode"`
}

// Server is a cloud phone server.
type Server struct {
	Name                string         `json:"server_name"`
	AvailabilityZone    string         `json:"availability_zone"`
	ID                  string         `json:"server_id"`
	ModelName           string         `json:"server_model_name"`
	PhoneModelName      string         `json:"phone_model_name"`
	KeypairName         string         `json:"keypair_name"`
	Status              ServerStatus   `json:"status"`
	VPCID               string         `json:"vpc_id"`
	CIDR                string         `json:"cidr"`
	VPCCIDR             string         `json:"vpc_cidr"`
	SubnetID            string         `json:"subnet_id"`
	SubnetCIDR          string         `json:"subnet_cidr"`
	Addresses           []Address      `json:"addresses"`
	ResourceProjectID   string         `json:"resource_project_id"`
	Metadata            ServerMetadata `json:"metadata"`
	NetworkVersion      string         `json:"network_version"`
	EnterpriseProjectID string         `json:"enterprise_project_id"`
	CreateTime          Time           `json:"create_time"`
	UpdateTime          Time           `json:"update_time"`

	// ProjectID is the tenant project that owns the server.
	ProjectID string `json:"-"`
	// BuiltinIndex is the 1-based number of a server of cphd's own
	// simulated fleet, and 0 for every other server.
	BuiltinIndex int `json:"-"`
	// LastSeen is when the server's agent last polled; zero if never.
	LastSeen Time `json:"-"`
}

// Bandwidth is a bandwidth attached to a server.
type Bandwidth struct {
	Name       string `json:"band_width_name"`
	ID         string `json:"band_width_id"`
	Size       int32  `json:"band_width_size"`
	ChargeMode int32  `json:"band_width_charge_mode"`
	ShareType  int32  `json:"band_width_share_type"`
	CreateTime Time   `json:"create_time"`
	UpdateTime Time   `json:"update_time"`
}

// Volume is a disk of a server.
type Volume struct {
	Name       string `json:"volume_name"`
	ID         string `json:"volume_id"`
	Size       int32  `json:"volume_size"`
	Type       string `json:"volume_type"`
	CreateTime Time   `json:"create_time"`
	UpdateTime Time   `json:"update_time"`
}

// ServerDetail is the body of ShowCloudPhoneServerDetail.
type ServerDetail struct {
	RequestID string `json:"request_id,omitempty"`
	Server
	Bandwidths     []Bandwidth `json:"band_widths"`
	Volumes        []Volume    `json:"volumes"`
	SecurityGroups []string    `json:"security_groups"`
	// ShareVolumeInfo is the server's shared storage, when its flavor has it.
	ShareVolumeInfo *ShareVolumeInfo `json:"share_volume_info,omitempty"`
}

// ServerFilter selects servers in ListCloudPhoneServers. Nil fields do not filter.
type ServerFilter struct {
	ProjectID      string // required
	NameLike       *string
	ServerID       *string
	NetworkVersion *string
	PhoneModelName *string
	CreateSince    *Time
	CreateUntil    *Time
	Status         *ServerStatus
	Offset         int
	Limit          int
}

// ServerJob is one entry of an asynchronous server operation's response: a
// job ID, or an error code when the server was refused.
type ServerJob struct {
	ServerID  string `json:"server_id"`
	JobID     string `json:"job_id,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	ErrorMsg  string `json:"error_msg,omitempty"`
}

// ShareVolumeInfo describes a server's shared storage.
type ShareVolumeInfo struct {
	VolumeType string `json:"volume_type"`
	Size       int32  `json:"size"`
	Version    int32  `json:"version"`
}

// SharedFilesArgs are the arguments of share-file and share-app operations.
type SharedFilesArgs struct {
	BucketName    string   `json:"bucket_name,omitempty"`
	ObjectPath    string   `json:"object_path,omitempty"`
	FilePaths     []string `json:"file_paths,omitempty"`
	Path          string   `json:"path,omitempty"`
	Offset        int      `json:"offset,omitempty"`
	Limit         int      `json:"limit,omitempty"`
	PackageName   string   `json:"package_name,omitempty"`
	PreInstallApp int32    `json:"pre_install_app,omitempty"`
}

// ServerPhonesArgs are the arguments of server operations that act on the
// server's phones: the phones to restart, create or replace.
type ServerPhonesArgs struct {
	Phones []ServerPhoneSpec `json:"phones"`
}

// ServerPhoneSpec is one phone in ServerPhonesArgs.
type ServerPhoneSpec struct {
	ID       string            `json:"phone_id"`
	Name     string            `json:"phone_name,omitempty"`
	Index    int               `json:"index,omitempty"`
	ImageID  string            `json:"image_id,omitempty"`
	Property map[string]string `json:"property,omitempty"`
}

// KeypairArgs are the arguments of an OpUpdateKeypair operation.
type KeypairArgs struct {
	KeypairName string `json:"keypair_name"`
}

// ServerModelArgs are the arguments of an OpChangeServerModel operation.
type ServerModelArgs struct {
	ServerModelName string `json:"server_model_name"`
	PhoneModelName  string `json:"phone_model_name"`
}

// MaxServerPage is the largest page of a server list.
const MaxServerPage = 100

// ServerPage is one page of a server list.
type ServerPage struct {
	Total   int       // servers matching the filter, over all pages
	Servers []*Server // the page, newest first
}

// ServerJobs is the answer to an asynchronous operation on servers: the
// request's id (the handle of ListJobs) and one entry per distinct
// server, in request order, holding its job or the code of its refusal.
type ServerJobs struct {
	RequestID string
	Jobs      []ServerJob
}

// EncodeServerJobs is the answer to RestartEncodeServers.
type EncodeServerJobs struct {
	RequestID string
	Jobs      []EncodeServerJob
}

// ServerTask is the answer to a server operation that runs as one job
// (DeleteServers, ChangeServer).
type ServerTask struct {
	RequestID string
	ServerID  string // the changed server; empty for a deletion
	JobID     string
}

// Order is the answer to an order-based operation (server creation, a
// flavor change). Billing has no effect: every order is treated as paid.
type Order struct {
	RequestID string   `json:"request_id"`
	OrderID   string   `json:"order_id"`
	ProductID string   `json:"product_id"`
	ServerIDs []string `json:"server_ids,omitempty"`
}

// BandwidthSpec is the validated bandwidth of new servers: a dedicated
// one of Size Mbit/s (ShareType 0) or the shared bandwidth ID (ShareType 1).
type BandwidthSpec struct {
	ID         string
	Size       int32
	ChargeMode int32
	ShareType  int32
}

// ServerSpec describes validated servers to create, or what a server
// changes to.
type ServerSpec struct {
	ProjectID      string
	Name           string
	Count          int
	ServerModel    string
	PhoneModel     string // empty for a bare server
	ImageID        string
	KeypairName    string
	AZ             string
	Property       map[string]string
	NetworkVersion string
	VPCID          string
	SubnetID       string
	Bandwidth      *BandwidthSpec
	DataVolumeType string
	DataVolumeSize int32
}

// OrderParams are the order parameters of a server purchase. A nil
// pointer is a parameter that was not given.
type OrderParams struct {
	ChargingMode *int32 // 0 or 1
	PeriodType   *int32 // 2 (months, PeriodNum 1..9) or 3 (years, PeriodNum 1..10)
	PeriodNum    *int32
	IsAutoPay    int32 // 0 or 1
	IsAutoRenew  int32 // 0 or 1
}

// BandwidthParams is the bandwidth asked for new servers. A nil pointer
// is a parameter that was not given.
type BandwidthParams struct {
	ID         string // the shared bandwidth, for ShareType 1
	Size       *int32 // Mbit/s, 1..2000, for ShareType 0
	ChargeMode *int32 // 0 or 1
	ShareType  *int32 // 0 dedicated, 1 shared
}

// ServerPort is an application port of new servers.
type ServerPort struct {
	Name               string `json:"name"`
	ListenPort         int32  `json:"listen_port"`
	InternetAccessible string `json:"internet_accessible"`
}

// VolumeParams is a disk asked for new servers: SSD or GPSSD, in GB.
type VolumeParams struct {
	Type string
	Size int32
}

// CreateServersParams are the servers with phones to buy
// (CreateNet2CloudPhoneServer).
type CreateServersParams struct {
	Name        string // 1..60 letters, digits, Chinese characters, '-', '_'
	ServerModel string
	PhoneModel  string // a phone flavor of ServerModel, on sale
	ImageID     string // a usable image of the project
	Count       int    // 1..10
	KeypairName string // optional
	AZ          string // optional; the project's zone when empty
	Ports       []ServerPort
	Order       *OrderParams // required
	ServerNetwork
	Property *string // a property JSON object for the phones
}

// ServerNetwork is the network, storage and bandwidth of servers to
// create (CreateServersParams) or rebuild (ChangeServerParams).
type ServerNetwork struct {
	VPCID           string   // a UUID
	SubnetIDs       []string // one or more UUIDs; the first is used
	PublicIP        bool     // a public IP was asked for (required)
	PhoneDataVolume *VolumeParams
	ShareVolume     *VolumeParams
	Bandwidth       *BandwidthParams // required
}

// CreateBareServersParams are servers without phones to buy
// (CreateCloudPhoneSingleServer).
type CreateBareServersParams struct {
	Name        string
	ServerModel string
	Count       int
	Order       *OrderParams // required
	SubnetIDs   []string
	PublicIP    bool             // required
	Bandwidth   *BandwidthParams // the public IP's, required
	AZ          string
	DataVolume  *VolumeParams
	KeypairName string // required
	ImageID     string // at most 36 bytes; not used
}

// ChangeServerParams is what a server is rebuilt with
// (ChangeCloudPhoneServer).
type ChangeServerParams struct {
	PhoneModel  string // a phone flavor of the server's flavor
	ImageID     string
	KeypairName string
	AZ          string
	Ports       []ServerPort
	ServerNetwork
	Property *string
}

// ChangeServerModelParams is the flavor a server changes to
// (ChangeCloudPhoneServerModel).
type ChangeServerModelParams struct {
	ServerID    string
	ServerModel string
	PhoneModel  string
	IsAutoPay   int32 // 0 or 1
}

// ServerKeypair names the key pair to give one server.
type ServerKeypair struct {
	ServerID    string `json:"server_id"`
	KeypairName string `json:"keypair_name"`
}

// ServerModelFilter selects server flavors. Nil fields do not filter.
type ServerModelFilter struct {
	ProductType *int32 // 0 or 1
	// Page is the page: Limit 0..MaxServerModelPage (0:
	// MaxServerModelPage); the list is ordered by server_model_name,
	// which is the marker.
	Page MarkerPage
}

// MaxServerModelPage is the largest page of ListServerModels, and the
// page a request without limit gets.
const MaxServerModelPage = 100

// ServerModelPage is one page of ListServerModels.
type ServerModelPage struct {
	Models []ServerModel
	// NextMarker is the marker of the next page, "" on the last page.
	NextMarker string
}

// PhoneModelFilter selects phone flavors. Nil fields do not filter.
type PhoneModelFilter struct {
	Status *int32 // 1 on sale, 0 withdrawn
	Offset int
	Limit  int // 1..100
}

// BandwidthFilter selects a page of the project's bandwidths.
type BandwidthFilter struct {
	Offset int
	Limit  int // 1..100
}

// PushShareFilesParams names a tar of object storage to unpack into the
// shared storage of servers (PushShareFiles).
type PushShareFilesParams struct {
	BucketName string
	ObjectPath string // ends in ".tar"
	ServerIDs  []string
}

// DeleteShareFilesParams names files of the shared storage of servers to
// delete (DeleteShareFiles).
type DeleteShareFilesParams struct {
	FilePaths []string // absolute paths, one or more
	ServerIDs []string
}

// ShareFileFilter selects a directory of the shared storage of servers to
// list (ListShareFiles); the listing arrives in the jobs' execute_msg.
type ShareFileFilter struct {
	Path      string
	ServerIDs []string
	Offset    int
	Limit     int // 1..50
}

// MaxPushShareAppsServersStrict is the most servers of one PushShareApps
// call when cphd runs with --push-share-apps-strict; otherwise the batch
// limit of server operations (100 by default) applies.
const MaxPushShareAppsServersStrict = 20

// PushShareAppsParams names an application tar to push into the shared
// app area of servers (PushShareApps).
type PushShareAppsParams struct {
	PackageName   string
	PreInstallApp int32 // 0 or 1
	BucketName    string
	ObjectPath    string
	ServerIDs     []string
}

// DeleteShareAppsParams names an application to remove from the shared
// app area of servers (DeleteShareApps).
type DeleteShareAppsParams struct {
	PackageName string
	ServerIDs   []string
}

// TagFilter selects a page of the project's tag keys.
type TagFilter struct {
	// ResourceType is ResourceTypeServer ("" too) or
	// ResourceTypeElasticPhone, which has no tags.
	ResourceType string
	Offset       int
	Limit        int // 1..100
}

// TagPage is one page of the project's tag keys with their values.
type TagPage struct {
	Total int // tag keys over all pages
	Tags  []Tags
}

// TagResourcePage is one page of the servers a ResourceFilter selects.
type TagResourcePage struct {
	Total     int // servers matching the filter, over all pages
	Resources []TagResource
}

// MaxTagsPerServer is the most tags one server carries.
const MaxTagsPerServer = 20

// ServerService reads and drives the servers of the caller's project,
// their bandwidths, encode services, shared storage and tags. The caller
// travels in the context (NewCallerContext); every method acts on the
// caller's project only, and every method that changes something refuses
// a read-only user (CPS.0001). Every method may also return APIGW.0301
// (no caller) and APIGW.0302 (a caller not scoped to a project).
type ServerService interface {
	// ListServers returns the page of the caller's servers that f
	// selects (f.ProjectID is ignored).
	// Errors: CPS.0002 (offset < 0, limit outside 1..MaxServerPage),
	// CPS.0010 (status outside its enumeration), CPS.9011 (text that is
	// not valid).
	ListServers(ctx context.Context, f ServerFilter) (*ServerPage, error)
	// ShowServer returns a server with its bandwidths, volumes and
	// shared storage. Errors: 404 CPS.0016 (malformed or unknown server).
	ShowServer(ctx context.Context, id string) (*ServerDetail, error)
	// RenameServer renames a server. Errors: CPS.9007 (a name that breaks
	// the server naming rule), 404 CPS.0016, CPS.0001.
	RenameServer(ctx context.Context, id, name string) error
	// RestartServers restarts servers and their phones. Refused servers
	// (CPS.0016, CPS.9001) are reported in their entry.
	// Errors: CPS.9011 (empty list), CPS.9010 (too many), CPS.0001.
	RestartServers(ctx context.Context, ids []string) (*ServerJobs, error)
	// UpdateKeypairs gives servers new key pairs; refused servers are
	// reported in their entry. Errors: CPS.9011 (empty list, a bad key
	// pair name), CPS.9010, CPS.0001.
	UpdateKeypairs(ctx context.Context, servers []ServerKeypair) (*ServerJobs, error)
	// ListServerModels returns the page of server flavors f selects.
	// Errors: CPS.9011 (product type not 0 or 1, a marker that names no
	// flavor of the list), CPS.0002 (limit).
	ListServerModels(ctx context.Context, f ServerModelFilter) (*ServerModelPage, error)
	// ListPhoneModels returns the page of phone flavors f selects.
	// Errors: CPS.0002 (bad paging), CPS.0010 (status not 0 or 1).
	ListPhoneModels(ctx context.Context, f PhoneModelFilter) ([]PhoneModel, error)
	// CreateServers buys servers with phones; they are created in the
	// background. Errors: CPS.9007 (name), CPS.0088/CPS.0089 (missing or
	// unknown server flavor), CPS.0027/CPS.0028 (missing or unknown phone
	// flavor, or one of another server flavor), CPS.0029/CPS.0030
	// (missing or unusable image), CPS.0024 (count outside 1..10),
	// CPS.0031 (bandwidth), CPS.9011 (any other parameter), CPS.0001.
	CreateServers(ctx context.Context, p CreateServersParams) (*Order, error)
	// CreateBareServers buys servers without phones. Errors: those of
	// CreateServers that apply, CPS.0001.
	CreateBareServers(ctx context.Context, p CreateBareServersParams) (*Order, error)
	// DeleteServers deletes servers and their phones with one job.
	// Errors: CPS.9011 (empty list), CPS.9010 (more than 10 servers),
	// CPS.0016 (malformed or unknown server), CPS.9001 (a server already
	// being deleted), CPS.0001.
	DeleteServers(ctx context.Context, ids []string) (*ServerTask, error)
	// ChangeServer rebuilds a server with a new phone flavor and image.
	// Errors: 404 CPS.0016, CPS.0027/CPS.0028 (phone flavor),
	// CPS.0029/CPS.0030 (image), CPS.0031 (bandwidth), CPS.9001 (server
	// not normal or busy), CPS.9011, CPS.0001.
	ChangeServer(ctx context.Context, id string, p ChangeServerParams) (*ServerTask, error)
	// ChangeServerModel changes a server's flavor. Errors: CPS.0016
	// (missing, malformed or unknown server), CPS.0088/CPS.0089 (server
	// flavor), CPS.0027/CPS.0028 (phone flavor), CPS.9008 (another
	// generation or phone capacity), CPS.9001, CPS.9011, CPS.0001.
	ChangeServerModel(ctx context.Context, p ChangeServerModelParams) (*Order, error)
	// ListBandwidths returns a page of the caller's bandwidths.
	// Errors: CPS.0002.
	ListBandwidths(ctx context.Context, f BandwidthFilter) ([]Bandwidth, error)
	// UpdateBandwidth resizes a shared bandwidth. Errors: CPS.0031 (a size
	// off the steps), 404 CPS.9005 (unknown bandwidth), CPS.9008 (not a
	// shared bandwidth), CPS.0001.
	UpdateBandwidth(ctx context.Context, id string, size int32) error
	// ListEncodeServers returns the caller's encode services f selects
	// (f.ProjectID is ignored). Errors: CPS.0002, CPS.9011 (type not 0 or
	// 1), CPS.0010 (status outside the filter's enumeration).
	ListEncodeServers(ctx context.Context, f EncodeServerFilter) ([]*EncodeServer, error)
	// RestartEncodeServers restarts encode services; unknown ones
	// (CPS.9006) and those whose status does not allow it (CPS.9001) are
	// reported in their entry. Errors: CPS.9011, CPS.9010, CPS.0001.
	RestartEncodeServers(ctx context.Context, ids []string) (*EncodeServerJobs, error)
	// PushShareFiles unpacks a tar into the servers' shared storage.
	// Errors: CPS.9011 (bucket, object path, empty server list), CPS.9010,
	// CPS.0001; refused servers are reported in their entry.
	PushShareFiles(ctx context.Context, p PushShareFilesParams) (*ServerJobs, error)
	// DeleteShareFiles deletes files of the servers' shared storage.
	// Errors: CPS.0014 (no path), CPS.9011, CPS.9010, CPS.0001.
	DeleteShareFiles(ctx context.Context, p DeleteShareFilesParams) (*ServerJobs, error)
	// ListShareFiles lists a directory of the servers' shared storage
	// through jobs. Errors: CPS.0002, CPS.9011 (no server, a bad path).
	ListShareFiles(ctx context.Context, f ShareFileFilter) (*ServerJobs, error)
	// PushShareApps pushes an application into the servers' shared app
	// area. Errors: CPS.0173 (package name), CPS.9011, CPS.9010 (more
	// servers than the batch limit, or than
	// MaxPushShareAppsServersStrict in strict mode), CPS.0001.
	PushShareApps(ctx context.Context, p PushShareAppsParams) (*ServerJobs, error)
	// DeleteShareApps removes an application from the servers' shared
	// app area. Errors: CPS.0173, CPS.9011, CPS.9010, CPS.0001.
	DeleteShareApps(ctx context.Context, p DeleteShareAppsParams) (*ServerJobs, error)
	// ListProjectTags returns a page of the tag keys of the caller's
	// servers with their values. Errors: CPS.0002.
	ListProjectTags(ctx context.Context, f TagFilter) (*TagPage, error)
	// ListServerTags returns the tags of a server. Errors: 404 CPS.0016.
	ListServerTags(ctx context.Context, serverID string) ([]Tag, error)
	// CreateServerTags adds tags to a server or overwrites their values.
	// Errors: CPS.9011 (no tags, a bad or repeated key, a bad value),
	// CPS.9010 (a server with more than MaxTagsPerServer tags), 404
	// CPS.0016, CPS.0001.
	CreateServerTags(ctx context.Context, serverID string, tags []Tag) error
	// DeleteServerTags removes tags of a server; a tag with a value is
	// removed only with that value. Errors: those of CreateServerTags.
	DeleteServerTags(ctx context.Context, serverID string, tags []Tag) error
	// ListTaggedServers returns the page of the caller's servers that f
	// selects by tags (f.ProjectID is ignored). Errors: CPS.0002 (offset
	// < 0, limit outside 1..1000), CPS.9010 (more than 10 tag keys),
	// CPS.9011 (a bad tag filter).
	ListTaggedServers(ctx context.Context, f ResourceFilter) (*TagResourcePage, error)
	// AttachShareFilesystem mounts a shared file system the deployment
	// declares on servers: one job per distinct server, a server that
	// cannot take it gets a job that fails at once (CPS.0016 unknown
	// server, CPS.9001 server not normal, CPS.9008 mounted with another
	// path; CPS.9004 when the sub-directory does not exist). Errors:
	// CPS.9011 (type, id, server_ids, path), CPS.9010 (more than
	// MaxShareFilesystemServers), 404 CPS.9024 (unknown file system),
	// CPS.0001.
	AttachShareFilesystem(ctx context.Context, p ShareFilesystemParams) (*ServerJobs, error)
	// DetachShareFilesystem unmounts a shared file system from servers;
	// a server without it succeeds unchanged. Errors: those of
	// AttachShareFilesystem.
	DetachShareFilesystem(ctx context.Context, p ShareFilesystemParams) (*ServerJobs, error)
	// ListShareFilesystemMounts returns the shared file systems mounted
	// on a server, by ID (an OpenCPH extension). Errors: 404 CPS.0016.
	ListShareFilesystemMounts(ctx context.Context, serverID string) ([]ShareFilesystemMount, error)
	// ListShareAppsSnapshot returns a page of the shared apps of a
	// server's shared app area with their versions, by package name.
	// Errors: 404 CPS.0016, CPS.9011 (package_name, marker), CPS.0002.
	ListShareAppsSnapshot(ctx context.Context, f ShareAppsFilter) (*ShareAppsSnapshot, error)
	// ListServerModelOfferings returns a page of the sale status of each
	// server flavor in each availability zone the project may use, by
	// zone then flavor. Errors: CPS.9011 (marker), CPS.0002.
	ListServerModelOfferings(ctx context.Context, p MarkerPage) (*ServerModelOfferings, error)
	// ElasticPhoneTags is ListResourceTags (change false) and
	// BatchCreateTags or BatchDeleteTags (change true) on an elastic
	// cloud phone (ResourceTypeElasticPhone). OpenCPH hosts none, so
	// every phone id is unknown.
	// Errors: CPS.0005 (always, once the caller may make the call),
	// CPS.0001 (a change by a read-only user), APIGW.0301, APIGW.0302.
	ElasticPhoneTags(ctx context.Context, phoneID string, change bool) error
	// FleetSummary counts the project's phones and servers by status,
	// its servers whose agent is connected, its running jobs and the jobs
	// that failed in the last hour (an OpenCPH extension). Read-only
	// users may read it.
	FleetSummary(ctx context.Context) (*FleetSummary, error)
}

// FleetSummary is the overview of a project's fleet.
type FleetSummary struct {
	// Phones is the number of phones; PhonesByStatus has every documented
	// status (PhoneStatuses order), with 0 for the absent ones, then any
	// undocumented status a phone has.
	Phones         int                `json:"phones"`
	PhonesByStatus []PhoneStatusCount `json:"phones_by_status"`
	// Servers and ServersByStatus are the same for servers
	// (ServerStatuses order).
	Servers         int                 `json:"servers"`
	ServersByStatus []ServerStatusCount `json:"servers_by_status"`
	// AgentsConnected counts the servers whose agent has a session and
	// was heard from within the control plane's agent time-to-live;
	// AgentsDisconnected is every other server.
	AgentsConnected    int `json:"agents_connected"`
	AgentsDisconnected int `json:"agents_disconnected"`
	// JobsRunning counts the running jobs; JobsFailedLastHour the jobs
	// that ended failed in the hour before At.
	JobsRunning        int `json:"jobs_running"`
	JobsFailedLastHour int `json:"jobs_failed_last_hour"`
	// At is when the counts were read.
	At Time `json:"at"`
}

// PhoneStatusCount is the number of phones in one status.
type PhoneStatusCount struct {
	Status PhoneStatus `json:"status"`
	Count  int         `json:"count"`
}

// ServerStatusCount is the number of servers in one status.
type ServerStatusCount struct {
	Status ServerStatus `json:"status"`
	Count  int          `json:"count"`
}
