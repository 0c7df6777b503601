package cph

import "context"

// PhoneStatus is a phone's status code.
type PhoneStatus int32

// Phone statuses.
const (
	PhoneCreating      PhoneStatus = 1
	PhoneRunning       PhoneStatus = 2
	PhoneResetting     PhoneStatus = 3
	PhoneRestarting    PhoneStatus = 4
	PhoneFrozen        PhoneStatus = 6
	PhoneStopping      PhoneStatus = 7
	PhoneStopped       PhoneStatus = 8
	PhoneResetFailed   PhoneStatus = -5
	PhoneRestartFailed PhoneStatus = -6
	PhoneAbnormal      PhoneStatus = -7
	PhoneCreateFailed  PhoneStatus = -8
	PhoneStopFailed    PhoneStatus = -9
)

// PhoneStatuses lists every documented phone status.
func PhoneStatuses() []PhoneStatus {
	return []PhoneStatus{
		PhoneCreating, PhoneRunning, PhoneResetting, PhoneRestarting, PhoneFrozen,
		PhoneStopping, PhoneStopped, PhoneResetFailed, PhoneRestartFailed,
		PhoneAbnormal, PhoneCreateFailed, PhoneStopFailed,
	}
}

// Valid reports whether s is a documented phone status.
func (s PhoneStatus) Valid() bool {
	for _, v := range PhoneStatuses() {
		if s == v {
			return true
		}
	}
	return false
}

// Transient reports whether s is a status a phone only passes through
// while an operation runs (creating, resetting, restarting, stopping).
func (s PhoneStatus) Transient() bool {
	switch s {
	case PhoneCreating, PhoneResetting, PhoneRestarting, PhoneStopping:
		return true
	}
	return false
}

// String returns a short English name of the status.
func (s PhoneStatus) String() string {
	switch s {
	case PhoneCreating:
		return "creating"
	case PhoneRunning:
		return "running"
	case PhoneResetting:
		return "resetting"
	case PhoneRestarting:
		return "restarting"
	case PhoneFrozen:
		return "frozen"
	case PhoneStopping:
		return "stopping"
	case PhoneStopped:
		return "stopped"
	case PhoneResetFailed:
		return "reset-failed"
	case PhoneRestartFailed:
		return "restart-failed"
	case PhoneAbnormal:
		return "abnormal"
	case PhoneCreateFailed:
		return "create-failed"
	case PhoneStopFailed:
		return "stop-failed"
	}
	return "unknown"
}

// PhoneMetadata is the order information of a phone.
type PhoneMetadata struct {
	OrderID   string `json:"order_id,omitempty"`
	ProductID string `json:"product_id,omitempty"`
}

// Phone is a cloud phone, as listed by ListCloudPhones.
type Phone struct {
	Name             string        `json:"phone_name"`
	ServerID         string        `json:"server_id"`
	ID               string        `json:"phone_id"`
	ModelName        string        `json:"phone_model_name"`
	ImageID          string        `json:"image_id"`
	ImageVersion     string        `json:"image_version"`
	VNCEnable        string        `json:"vnc_enable"`
	Status           PhoneStatus   `json:"status"`
	Type             int32         `json:"type"`
	IMEI             string        `json:"imei"`
	TrafficType      string        `json:"traffic_type"`
	VolumeMode       int32         `json:"volume_mode"`
	AvailabilityZone string        `json:"availability_zone"`
	Metadata         PhoneMetadata `json:"metadata"`
	HasEncrypt       bool          `json:"has_encrypt"`
	CreateTime       Time          `json:"create_time"`
	UpdateTime       Time          `json:"update_time"`

	// ProjectID is the tenant project that owns the phone.
	ProjectID string `json:"-"`
	// Index is the phone's 1-based position on its server.
	Index int `json:"-"`
	// Property is the phone's property set as a JSON object.
	Property string `json:"-"`
	// IP is the phone's private address on its server's network.
	IP string `json:"-"`
	// DataVolumeType and DataVolumeSize describe the phone's data disk.
	DataVolumeType string `json:"-"`
	DataVolumeSize int32  `json:"-"`
}

// PhoneAccessInfo is one exposed port of a phone.
type PhoneAccessInfo struct {
	Type       string `json:"type"`
	DeviceIP   string `json:"device_ip"`
	PhoneIP    string `json:"phone_ip"`
	ListenPort int32  `json:"listen_port"`
	AccessIP   string `json:"access_ip"`
	PublicIP   string `json:"public_ip"`
	IntranetIP string `json:"intranet_ip"`
	ServerIP   string `json:"server_ip"`
	AccessPort int32  `json:"access_port"`
	PhoneIPv6  string `json:"phone_ipv6,omitempty"`
	ServerIPv6 string `json:"server_ipv6,omitempty"`
}

// PhoneDataVolume is a phone's data disk.
type PhoneDataVolume struct {
	VolumeType string `json:"volume_type"`
	VolumeSize int32  `json:"volume_size"`
}

// PhoneDetail is the body of ShowCloudPhoneDetail.
type PhoneDetail struct {
	RequestID        string            `json:"request_id,omitempty"`
	Name             string            `json:"phone_name"`
	ServerID         string            `json:"server_id"`
	ID               string            `json:"phone_id"`
	ImageID          string            `json:"image_id"`
	ImageVersion     string            `json:"image_version"`
	VNCEnable        string            `json:"vnc_enable"`
	ModelName        string            `json:"phone_model_name"`
	Status           PhoneStatus       `json:"status"`
	AccessInfos      []PhoneAccessInfo `json:"access_infos"`
	Property         string            `json:"property"`
	Metadata         PhoneMetadata     `json:"metadata"`
	DataVolume       PhoneDataVolume   `json:"phone_data_volume"`
	IMEI             string            `json:"imei"`
	Type             int32             `json:"type"`
	TrafficType      string            `json:"traffic_type"`
	VolumeMode       int32             `json:"volume_mode"`
	AvailabilityZone string            `json:"availability_zone"`
	HasEncrypt       bool              `json:"has_encrypt"`
	CreateTime       Time              `json:"create_time"`
	UpdateTime       Time              `json:"update_time"`
}

// PhoneFilter selects phones in ListCloudPhones. Nil fields do not filter.
type PhoneFilter struct {
	ProjectID string       // required
	NameLike  *string      // substring of phone_name
	ServerID  *string      // exact
	Status    *PhoneStatus // exact
	Type      *int32       // exact
	Offset    int
	Limit     int
}

// PhoneRef names one phone in a batch request, with the optional property
// JSON string to apply.
type PhoneRef struct {
	PhoneID  string `json:"phone_id"`
	Property string `json:"property,omitempty"`
}

// PhoneJob is one entry of an asynchronous phone operation's response: a
// job ID, or an error code when the phone was refused.
type PhoneJob struct {
	PhoneID   string `json:"phone_id"`
	JobID     string `json:"job_id,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	ErrorMsg  string `json:"error_msg,omitempty"`
}

// PhonePage is one page of a phone list.
type PhonePage struct {
	Total  int      // phones matching the filter, over all pages
	Phones []*Phone // the page, in list order
	// Version is the version of the phone data the page was read at, or
	// 0 when it is not known. Two pages of one filter with the same
	// non-zero Version are equal, so a front end may reuse what it made
	// of one (its encoding) for the other. A page is never modified.
	Version uint64
}

// MaxPhonePage is the largest page of a phone list.
const MaxPhonePage = 200

// PhoneService reads and drives the phones of the caller's project. The
// caller travels in the context (NewCallerContext); every method acts on
// the caller's project only.
type PhoneService interface {
	// ListPhones returns the page of the caller's phones that f selects
	// (f.ProjectID is ignored). A Status of 0 matches nothing.
	// Errors: CPS.0002 (offset < 0, limit outside 1..MaxPhonePage),
	// CPS.0010 (status outside its enumeration), CPS.9011 (type not 0 or
	// 1, text that is not valid), APIGW.0301, APIGW.0302.
	ListPhones(ctx context.Context, f PhoneFilter) (*PhonePage, error)
}
