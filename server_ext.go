package cph

// ServerJob is one entry of an asynchronous server operation's response: a
// job ID, or an error code when the server was refused.
type ServerJob struct {
	ServerID  string `json:"server_id"`
	JobID     string `json:"job_id,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	ErrorMsg  string `json:"error_msg,omitempty"`
}

// EncodeServerJob is one entry of RestartEncodeServer's response.
type EncodeServerJob struct {
	EncodeServerID string `json:"encode_server_id"`
	JobID          string `json:"job_id,omitempty"`
	ErrorCode      string `json:"error_code,omitempty"`
	ErrorMsg       string `json:"error_msg,omitempty"`
}

// ShareVolumeInfo describes a server's shared storage.
type ShareVolumeInfo struct {
	VolumeType string `json:"volume_type"`
	Size       int32  `json:"size"`
	Version    int32  `json:"version"`
}

// EncodeServerStatus is an encode service's status.
type EncodeServerStatus int32

// Encode service statuses as responses report them (ListEncodeServers
// filters on a different set).
const (
	EncodeCreating   EncodeServerStatus = 0
	EncodeRunning    EncodeServerStatus = 1
	EncodeAbnormal   EncodeServerStatus = 2
	EncodeRestarting EncodeServerStatus = 3
)

// EncodeServerAccessInfo is an access port of an encode service.
type EncodeServerAccessInfo struct {
	ListenPort int32  `json:"listen_port"`
	AccessIP   string `json:"access_ip"`
	IntranetIP string `json:"intranet_ip"`
	PublicIP   string `json:"public_ip"`
	ServerIP   string `json:"server_ip"`
	AccessPort int32  `json:"access_port"`
	Type       string `json:"type"`
	ServerIPv6 string `json:"server_ipv6"`
}

// EncodeServer is an encode service of a phone server.
type EncodeServer struct {
	Name        string                   `json:"encode_server_name"`
	ID          string                   `json:"encode_server_id"`
	IP          string                   `json:"encode_server_ip"`
	ServerID    string                   `json:"server_id"`
	KeypairName string                   `json:"keypair_name"`
	Type        int32                    `json:"type"`
	Status      EncodeServerStatus       `json:"status"`
	AccessInfos []EncodeServerAccessInfo `json:"access_infos"`
	IPv6        string                   `json:"encode_server_ipv6"`

	// ProjectID is the project that owns the encode service.
	ProjectID string `json:"-"`
}

// EncodeServerFilter selects encode services in ListEncodeServers. Nil
// fields do not filter.
type EncodeServerFilter struct {
	ProjectID string // required
	Type      *int32
	Status    *EncodeServerStatus
	ServerID  *string
	Offset    int
	Limit     int
}

// Tag is one key/value tag of a server.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Tags is a tag key with several values, used in filters and
// project tag listings.
type Tags struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// TagResource is a tagged server as ListResourceInstances returns it.
type TagResource struct {
	ResourceID     string `json:"resource_id"`
	ResourceDetail string `json:"resource_detail"`
	ResourceName   string `json:"resource_name"`
	Tags           []Tag  `json:"tags"`
}

// ResourceFilter selects servers by tags in ListResourceInstances.
type ResourceFilter struct {
	ProjectID    string
	WithoutTags  bool
	Tags         []Tags // keys AND-ed, values OR-ed, empty values = any
	ResourceName *string
	Offset       int
	Limit        int
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

// EncodeServerArgs are the arguments of an OpRestartEncodeServer operation.
type EncodeServerArgs struct {
	EncodeServerID string `json:"encode_server_id"`
}
