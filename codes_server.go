package cph

import "net/http"

// Error codes of the server, bandwidth, encode-server, shared storage and
// tag operations.
const (
	CodeEmptyPathList         = "CPS.0014"
	CodeInvalidCount          = "CPS.0024"
	CodeEmptyPhoneModel       = "CPS.0027"
	CodeInvalidPhoneModel     = "CPS.0028"
	CodeEmptyImageID          = "CPS.0029"
	CodeInvalidBandwidth      = "CPS.0031"
	CodeEmptyServerModel      = "CPS.0088"
	CodeInvalidServerModel    = "CPS.0089"
	CodeInvalidPackageName    = "CPS.0173"
	CodeBandwidthNotFound     = "CPS.9005"
	CodeEncodeServerNotFound  = "CPS.9006"
	CodeInvalidServerName     = "CPS.9007"
	CodeOperationNotAllowed   = "CPS.9008"
	MessageServerIDInvalid    = "server_id is invalid."
	MessageEncodeNotFound     = "Encode server is not found."
	MessageOperationForbidden = "Operation is not allowed for this resource."
)

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

// ErrInvalidServerName reports a server name that breaks the naming rule (HTTP 400, CPS.9007).
func ErrInvalidServerName() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidServerName, "Parameter: server_name is invalid.")
}

// ErrInvalidServerID reports an unknown or malformed server ID in a request body (HTTP 400, CPS.0016).
func ErrInvalidServerID() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidServerID, MessageServerIDInvalid)
}

// ErrBandwidthNotFound reports an unknown bandwidth (HTTP 404, CPS.9005).
func ErrBandwidthNotFound() *Error {
	return Errorf(http.StatusNotFound, CodeBandwidthNotFound, "Bandwidth is not found.")
}

// ErrInvalidBandwidth reports a bad bandwidth object or size (HTTP 400, CPS.0031).
func ErrInvalidBandwidth() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidBandwidth, "Parameter: band_width is invalid.")
}

// ErrInvalidCount reports a server count outside 1–10 (HTTP 400, CPS.0024).
func ErrInvalidCount() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidCount, "Parameter: count is invalid.")
}

// ErrEmptyPhoneModel reports a missing phone flavor (HTTP 400, CPS.0027).
func ErrEmptyPhoneModel() *Error {
	return Errorf(http.StatusBadRequest, CodeEmptyPhoneModel, "Parameter: phone_model_name is empty.")
}

// ErrInvalidPhoneModel reports an unknown phone flavor (HTTP 400, CPS.0028).
func ErrInvalidPhoneModel() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidPhoneModel, "Parameter: phone_model_name is invalid.")
}

// ErrEmptyImageID reports a missing image ID (HTTP 400, CPS.0029).
func ErrEmptyImageID() *Error {
	return Errorf(http.StatusBadRequest, CodeEmptyImageID, "Parameter: image_id is empty.")
}

// ErrEmptyServerModel reports a missing server flavor (HTTP 400, CPS.0088).
func ErrEmptyServerModel() *Error {
	return Errorf(http.StatusBadRequest, CodeEmptyServerModel, "Parameter: server_model_name is empty.")
}

// ErrInvalidServerModel reports an unknown server flavor (HTTP 400, CPS.0089).
func ErrInvalidServerModel() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidServerModel, "Parameter: server_model_name is invalid.")
}

// ErrEmptyPathList reports an empty file path list (HTTP 400, CPS.0014).
func ErrEmptyPathList() *Error {
	return Errorf(http.StatusBadRequest, CodeEmptyPathList, "Parameter: sd_path list is empty.")
}

// ErrInvalidPackageName reports a bad Android package name (HTTP 400, CPS.0173).
func ErrInvalidPackageName() *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidPackageName, "Parameter: package_name is invalid.")
}

// ErrOperationNotAllowed reports an operation the resource does not support (HTTP 400, CPS.9008).
func ErrOperationNotAllowed(detail string) *Error {
	if detail == "" {
		return Errorf(http.StatusBadRequest, CodeOperationNotAllowed, MessageOperationForbidden)
	}
	return Errorf(http.StatusBadRequest, CodeOperationNotAllowed, "Operation is not allowed for this resource: %s.", detail)
}

// ErrServerStatusNotAllowed reports a server whose status does not allow the
// operation (HTTP 400, CPS.9001).
func ErrServerStatusNotAllowed(s ServerStatus) *Error {
	return Errorf(http.StatusBadRequest, CodeStatusNotAllowed, "Resource status does not allow this operation (server status %d).", s)
}
