package cph

// EncodeServerJob is one entry of RestartEncodeServer's response.
type EncodeServerJob struct {
	EncodeServerID string `json:"encode_server_id"`
	JobID          string `json:"job_id,omitempty"`
	ErrorCode      string `json:"error_code,omitempty"`
	ErrorMsg       string `json:"error_msg,omitempty"`
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

// EncodeServerArgs are the arguments of an OpRestartEncodeServer operation.
type EncodeServerArgs struct {
	EncodeServerID string `json:"encode_server_id"`
}
