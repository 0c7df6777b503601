package cph

import (
	"context"
	"fmt"
	"strings"
	"time"
)

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
	// CustomProperty is the phone's user-defined properties (custom_property
	// of UpdateCloudPhoneProperty); omitted when there is none.
	CustomProperty map[string]string `json:"custom_property,omitempty"`
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

// Key identifies the query f describes: two filters with the same Key
// select the same phones.
func (f PhoneFilter) Key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d|%d", f.ProjectID, f.Offset, f.Limit)
	if f.NameLike != nil {
		fmt.Fprintf(&b, "|name=%q", *f.NameLike)
	}
	if f.ServerID != nil {
		fmt.Fprintf(&b, "|server=%q", *f.ServerID)
	}
	if f.Status != nil {
		fmt.Fprintf(&b, "|status=%d", *f.Status)
	}
	if f.Type != nil {
		fmt.Fprintf(&b, "|type=%d", *f.Type)
	}
	return b.String()
}

// PhoneRef names one phone in a batch request, with the optional property
// JSON string to apply.
type PhoneRef struct {
	PhoneID  string `json:"phone_id"`
	Property string `json:"property,omitempty"`
	// CustomProperty (UpdateCloudPhoneProperty only) is merged into the
	// phone's custom properties: a key with a value is set, a key with ""
	// removed.
	CustomProperty map[string]string `json:"custom_property,omitempty"`
	// FactoryReset (ResetCloudPhone only, factory_reset_enabled) makes
	// the reset forget the properties the phone was created or updated
	// with and its custom properties: it comes back with its image's
	// defaults and Property only. Without it the recorded properties are
	// kept and Property is merged into them.
	FactoryReset bool `json:"factory_reset_enabled,omitempty"`
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

// Limits of the phone operations.
const (
	// MaxConnectPhones is the most phones of one ShowConnectInfos call.
	MaxConnectPhones = 10
	// MaxTrafficPhones is the most phones of one ImportTraffic call.
	MaxTrafficPhones = 100
	// MaxVolumeSize is the largest phone data volume, in GiB.
	MaxVolumeSize = 32768
	// MaxCommandServers is the most server IDs of one ADB command.
	MaxCommandServers = 100
	// MaxSyncCommandPhones is the most phones of one RunSyncCommand call.
	MaxSyncCommandPhones = 15
	// SyncCommandPhoneTimeout is how long the command of one phone of a
	// RunSyncCommand call may run.
	SyncCommandPhoneTimeout = 2 * time.Second
	// SyncCommandWait is how long a RunSyncCommand call waits for its
	// jobs beyond SyncCommandPhoneTimeout before it answers with the
	// jobs as they are.
	SyncCommandWait = 30 * time.Second
)

// BatchResult is the answer to an asynchronous phone operation: the
// request's ID, the handle for ListJobs, and one entry per distinct phone,
// in request order, holding its job or its per-item refusal.
type BatchResult struct {
	RequestID string     `json:"request_id"`
	Jobs      []PhoneJob `json:"jobs"`
}

// BatchPhonesParams is a restart, reset or stop of phones.
type BatchPhonesParams struct {
	// Kind is OpRestartPhone, OpResetPhone or OpStopPhone.
	Kind OpKind
	// Phones are the targets, in request order, each with the optional
	// property JSON object to apply (restart and reset).
	Phones []PhoneRef
	// ImageID, if set, is the image the phones boot (restart and reset).
	ImageID *string
}

// PhoneUpdate is a change of one phone. Nil fields do not change.
type PhoneUpdate struct {
	Name *string // required today: the only field that can change
}

// CommandParams is an ADB command on phones: PhoneIDs, or else every
// phone of ServerIDs.
type CommandParams struct {
	// Command is install, install-multiple, uninstall, push or shell.
	Command string
	// Content is the command's argument.
	Content   string
	PhoneIDs  []string
	ServerIDs []string
}

// CommandResult is the answer to RunCommand: the request's ID and one
// entry per distinct phone, and one per unknown server of server_ids.
type CommandResult struct {
	RequestID string       `json:"request_id"`
	Jobs      []CommandJob `json:"jobs"`
}

// SyncCommandResult is the answer to RunSyncCommand: the jobs as they
// were when they were all final or the wait ran out.
type SyncCommandResult struct {
	RequestID string           `json:"request_id"`
	Jobs      []SyncCommandJob `json:"jobs"`
}

// PhoneService reads and drives the phones of the caller's project. The
// caller travels in the context (NewCallerContext); every method acts on
// the caller's project only. Phones of other projects are unknown phones.
// Every method refuses a caller without a project (APIGW.0301,
// APIGW.0302); the methods that change anything refuse read-only users
// (CPS.0001).
type PhoneService interface {
	// ListPhones returns the page of the caller's phones that f selects
	// (f.ProjectID is ignored). A Status of 0 matches nothing.
	// Errors: CPS.0002 (offset < 0, limit outside 1..MaxPhonePage),
	// CPS.0010 (status outside its enumeration), CPS.9011 (type not 0 or
	// 1, text that is not valid), APIGW.0301, APIGW.0302.
	ListPhones(ctx context.Context, f PhoneFilter) (*PhonePage, error)

	// ShowPhone returns the details of phone id, with where it can be
	// reached.
	// Errors: CPS.0004 (malformed id), CPS.0005 (unknown phone),
	// APIGW.0301, APIGW.0302.
	ShowPhone(ctx context.Context, id string) (*PhoneDetail, error)

	// ShowPhoneScreenshot returns a recent capture of the screen of
	// running phone id: one taken less than ScreenshotFresh ago (by any
	// caller of the project, on any replica), or a new one, for which it
	// waits at most ScreenshotWait. Any caller of the project may call it
	// (read-only users too); it changes nothing a user sees.
	// Errors: CPS.0004 (malformed id), CPS.0005 (unknown phone, or one of
	// another project), CPS.9015 (the phone is not running), CPS.9012
	// (the phone's server is unavailable), CPS.9016 (no capture within
	// ScreenshotWait, or the runtime could not take it), APIGW.0301,
	// APIGW.0302.
	ShowPhoneScreenshot(ctx context.Context, id string) (*PhoneScreenshot, error)

	// BatchPhones restarts, resets or stops phones. Phones that cannot
	// take the operation are refused in their entry of the result
	// (CPS.0004, CPS.0005, CPS.9001, CPS.9011).
	// Errors: CPS.0009 (no phones), CPS.9010 (too many), CPS.0030
	// (unusable image), CPS.9011 (unknown kind, an image for a stop),
	// CPS.0001, APIGW.0301, APIGW.0302.
	BatchPhones(ctx context.Context, p BatchPhonesParams) (*BatchResult, error)

	// UpdatePhone renames phone id.
	// Errors: CPS.0004 (malformed id), CPS.0025 (no name, or a name that
	// breaks the rule), CPS.0026 (a name another phone has), CPS.0005
	// (unknown phone), CPS.0001, APIGW.0301, APIGW.0302.
	UpdatePhone(ctx context.Context, id string, upd PhoneUpdate) error

	// UpdatePhoneProperties applies each phone's property JSON object
	// and merges its custom properties (PhoneRef.CustomProperty, recorded
	// when the update is accepted). A phone with neither a property nor
	// custom properties, with custom properties that break
	// CheckCustomProperty, with more than MaxPropertyUpdateBytes of both
	// together, or whose custom properties would exceed
	// MaxCustomPropertyBytes is refused in its entry (CPS.9011), as are
	// the phones BatchPhones refuses.
	// Errors: CPS.0009, CPS.9010, CPS.0001, APIGW.0301, APIGW.0302.
	UpdatePhoneProperties(ctx context.Context, phones []PhoneRef) (*BatchResult, error)

	// ExpandPhoneVolumes grows phone data volumes; a size outside
	// 1..MaxVolumeSize or below the current one is refused in its entry
	// (CPS.9011).
	// Errors: CPS.0009, CPS.9010, CPS.0001, APIGW.0301, APIGW.0302.
	ExpandPhoneVolumes(ctx context.Context, phones []PhoneDataVolumeSize) (*BatchResult, error)

	// ImportTraffic sets the traffic route of phones (TrafficDirect or
	// TrafficRouting).
	// Errors: CPS.9011 (traffic type), CPS.0009, CPS.9010 (over
	// MaxTrafficPhones), CPS.0001, APIGW.0301, APIGW.0302.
	ImportTraffic(ctx context.Context, trafficType string, phoneIDs []string) (*BatchResult, error)

	// ExportPhoneData packs phone data into objects. An invalid item is
	// refused in its entry (CPS.9011), as is one naming a bucket of
	// another project (CPS.9201).
	// Errors: CPS.0009, CPS.9010, CPS.0001, APIGW.0301, APIGW.0302.
	ExportPhoneData(ctx context.Context, infos []StorageInfo) (*BatchResult, error)

	// ImportPhoneData restores exported data into phones; items are
	// refused as by ExportPhoneData.
	// Errors: CPS.0009, CPS.9010, CPS.0001, APIGW.0301, APIGW.0302.
	ImportPhoneData(ctx context.Context, infos []RestoreInfo) (*BatchResult, error)

	// ShowConnectInfos issues connection tickets of running phones for a
	// streaming client of clientType. Phones that cannot be connected are
	// listed in the answer's Errors (CPS.0004, CPS.0005, CPS.0022). The
	// answer's RequestID is left to the front end.
	// Errors: CPS.0009, CPS.9010 (over MaxConnectPhones), CPS.9011
	// (client type), CPS.0001, APIGW.0301, APIGW.0302.
	ShowConnectInfos(ctx context.Context, clientType string, phoneIDs []string) (*ConnectInfos, error)

	// RunCommand queues an ADB command on phones. An unknown server of
	// ServerIDs is refused in its entry (CPS.0097), phones as by
	// BatchPhones.
	// Errors: CPS.0117 (command), CPS.0118 (content), CPS.0009 (no
	// targets), CPS.9010 (over MaxCommandServers servers), CPS.0001,
	// APIGW.0301, APIGW.0302.
	RunCommand(ctx context.Context, p CommandParams) (*CommandResult, error)

	// RunSyncCommand runs a shell command on at most MaxSyncCommandPhones
	// phones and answers when every job is final or after
	// SyncCommandWait plus SyncCommandPhoneTimeout, with the jobs as they
	// are then. A user may call it 6 times a minute.
	// Errors: those of RunCommand (CPS.0117 for a command other than
	// shell), CPS.9010 (too many phones), 429 CPS.9009 (over the rate,
	// with Error.RetryAfter).
	RunSyncCommand(ctx context.Context, p CommandParams) (*SyncCommandResult, error)
}
