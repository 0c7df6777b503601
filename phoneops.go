package cph

import (
	"regexp"
	"strings"
)

// Operation kinds of the phone-instance, ADB-command and data operations.
const (
	OpUpdateProperty OpKind = "update_property"
	OpExpandVolume   OpKind = "expand_volume"
	OpImportTraffic  OpKind = "import_traffic"
	OpExportData     OpKind = "export_data"
	OpImportData     OpKind = "import_data"
	OpADBCommand     OpKind = "adb_command"
)

// ADB commands of POST /phones/commands.
const (
	CommandInstall         = "install"
	CommandInstallMultiple = "install-multiple"
	CommandUninstall       = "uninstall"
	CommandPush            = "push"
	CommandShell           = "shell"
)

// Traffic types of ImportTraffic.
const (
	TrafficDirect  = "direct"
	TrafficRouting = "routing"
)

var rePhoneName = regexp.MustCompile(`^[a-zA-Z0-9\-_\p{Han}]{1,60}$`)

// ValidPhoneName reports whether name satisfies the phone naming rule of
// UpdatePhoneName: 1 to 60 characters of letters, digits,
// Chinese characters, '-' and '_'.
func ValidPhoneName(name string) bool { return rePhoneName.MatchString(name) }

// PropertyTakesEffectNow reports whether a change of the property key
// applies to a running phone at once; every other key applies when the
// phone next boots.
func PropertyTakesEffectNow(key string) bool {
	switch key {
	case "ro.permission.changed", "ro.install.auto":
		return true
	}
	return false
}

// StorageInfo is one phone of a BatchExportCloudPhoneData request.
type StorageInfo struct {
	PhoneID      string   `json:"phone_id"`
	IncludeFiles []string `json:"include_files"`
	ExcludeFiles []string `json:"exclude_files,omitempty"`
	BucketName   string   `json:"bucket_name"`
	ObjectPath   string   `json:"object_path"`
}

// RestoreInfo is one phone of a BatchImportCloudPhoneData request.
type RestoreInfo struct {
	PhoneID    string `json:"phone_id"`
	BucketName string `json:"bucket_name"`
	ObjectPath string `json:"object_path"`
}

// PhoneDataVolumeSize is one phone of an ExpandPhoneDataVolumeSize
// request.
type PhoneDataVolumeSize struct {
	PhoneID string `json:"phone_id"`
	NewSize int32  `json:"new_size"`
}

// ExportArgs are the arguments of OpExportData operations: the storage
// information of every phone of the batch, by phone ID.
type ExportArgs struct {
	Phones map[string]StorageInfo `json:"phones"`
}

// ImportArgs are the arguments of OpImportData operations: the restore
// information of every phone of the batch, by phone ID.
type ImportArgs struct {
	Phones map[string]RestoreInfo `json:"phones"`
}

// VolumeArgs are the arguments of OpExpandVolume operations: the new data
// volume size in GiB of every phone of the batch, by phone ID.
type VolumeArgs struct {
	Sizes map[string]int32 `json:"sizes"`
}

// TrafficArgs are the arguments of OpImportTraffic operations.
type TrafficArgs struct {
	TrafficType string `json:"traffic_type"`
}

// CommandArgs are the arguments of OpADBCommand operations.
type CommandArgs struct {
	Command string `json:"command"`
	Content string `json:"content"`
	// TimeoutMillis, when positive, bounds the command's run time
	// (RunSyncCommand gives each phone 2 s).
	TimeoutMillis int64 `json:"timeout_ms,omitempty"`
}

// CommandJob is one entry of a /phones/commands answer: a phone's job, a
// phone refused per item, or a server of server_ids that is unknown (an
// entry with server_id, which the SDK model ignores).
type CommandJob struct {
	PhoneID   string `json:"phone_id,omitempty"`
	ServerID  string `json:"server_id,omitempty"`
	JobID     string `json:"job_id,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	ErrorMsg  string `json:"error_msg,omitempty"`
}

// SyncCommandJob is one entry of a RunSyncCommand answer. Refused items have status -1 and no job ID.
type SyncCommandJob struct {
	PhoneID    string    `json:"phone_id,omitempty"`
	ServerID   string    `json:"server_id,omitempty"`
	JobID      string    `json:"job_id,omitempty"`
	Status     JobStatus `json:"status"`
	ErrorCode  *string   `json:"error_code"`
	ErrorMsg   *string   `json:"error_msg"`
	ExecuteMsg *string   `json:"execute_msg"`
}

// ConnectAccessInfo is the access information of one phone in a
// BatchShowPhoneConnectInfos answer.
type ConnectAccessInfo struct {
	AccessIP   string `json:"access_ip"`
	IntranetIP string `json:"intranet_ip"`
	AccessIPv6 string `json:"access_ipv6"`
	AccessPort int32  `json:"access_port"`
	SessionID  string `json:"session_id"`
	Timestamp  string `json:"timestamp"`
	Ticket     string `json:"ticket"`
}

// ConnectInfo is the connection information of one phone.
type ConnectInfo struct {
	PhoneID    string            `json:"phone_id"`
	AccessInfo ConnectAccessInfo `json:"access_info"`
}

// ConnectErrorInfo is a phone that could not be connected.
type ConnectErrorInfo struct {
	PhoneID   string `json:"phone_id"`
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

// ConnectInfos is the body of a BatchShowPhoneConnectInfos answer.
type ConnectInfos struct {
	RequestID    string             `json:"request_id"`
	ConnectInfos []ConnectInfo      `json:"connect_infos"`
	Errors       []ConnectErrorInfo `json:"errors"`
}

// Client types of BatchShowPhoneConnectInfos.
var connectClientTypes = []string{"ANDROID", "WINDOWS", "H5_MOBILE", "H5_PC", "IOS"}

// ValidClientType reports whether t is a client_type of
// BatchShowPhoneConnectInfos.
func ValidClientType(t string) bool {
	for _, v := range connectClientTypes {
		if t == v {
			return true
		}
	}
	return false
}

// CommandObjects returns the obs:// references of an install or
// install-multiple content, in order, skipping flags such as -t or -r.
func CommandObjects(content string) []string {
	var out []string
	for _, f := range strings.Fields(content) {
		if strings.HasPrefix(f, "obs://") {
			out = append(out, f)
		}
	}
	return out
}
