package cph

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

// ServerService reads and drives the servers of the caller's project.
type ServerService interface {
}
