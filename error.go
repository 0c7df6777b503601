package cph

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error codes. Every code OpenCPH answers is declared here, once, and
// described by one row of the error table below. The CPS.0xxx, IAM and
// APIGW codes are Huawei's; CPS.9xxx are OpenCPH's own, for situations
// Huawei documents no code for (CPS.92xx: object storage). The IAM codes
// travel in the Keystone-shaped body of /v3 routes, which carries the
// HTTP status rather than the code. docs/api.md lists the same table.
const (
	CodeForbidden            = "CPS.0001"
	CodeInvalidPaging        = "CPS.0002"
	CodeInternal             = "CPS.0003"
	CodeInvalidPhoneID       = "CPS.0004"
	CodePhoneNotFound        = "CPS.0005"
	CodeEmptyPhoneList       = "CPS.0009"
	CodeInvalidStatus        = "CPS.0010"
	CodeEmptyPathList        = "CPS.0014"
	CodeInvalidServerID      = "CPS.0016"
	CodeTicketInvalid        = "CPS.0021"
	CodePhoneNotAvailable    = "CPS.0022"
	CodeInvalidCount         = "CPS.0024"
	CodePhoneNameInvalid     = "CPS.0025"
	CodePhoneNameConflict    = "CPS.0026"
	CodeEmptyPhoneModel      = "CPS.0027"
	CodeInvalidPhoneModel    = "CPS.0028"
	CodeEmptyImageID         = "CPS.0029"
	CodeInvalidImageID       = "CPS.0030"
	CodeInvalidBandwidth     = "CPS.0031"
	CodeEmptyServerModel     = "CPS.0088"
	CodeInvalidServerModel   = "CPS.0089"
	CodeCommandServerInvalid = "CPS.0097"
	CodeInvalidCommand       = "CPS.0117"
	CodeInvalidContent       = "CPS.0118"
	CodeInvalidPackageName   = "CPS.0173"

	CodeStatusNotAllowed     = "CPS.9001"
	CodeJobNotFound          = "CPS.9002"
	CodeInvalidRequestID     = "CPS.9003"
	CodeJobFailed            = "CPS.9004"
	CodeBandwidthNotFound    = "CPS.9005"
	CodeEncodeServerNotFound = "CPS.9006"
	CodeInvalidServerName    = "CPS.9007"
	CodeOperationNotAllowed  = "CPS.9008"
	CodeTooManyRequests      = "CPS.9009"
	CodeTooManyItems         = "CPS.9010"
	CodeInvalidParameter     = "CPS.9011"
	// CodeServerUnavailable refuses an item whose server's agent is offline.
	CodeServerUnavailable = "CPS.9012"
	// CodeAgentOffline fails a job whose server's agent went offline.
	CodeAgentOffline = "CPS.9013"
	// CodeEnrollmentTokenNotFound: no such enrollment token in the project.
	CodeEnrollmentTokenNotFound = "CPS.9014"
	// CodePhoneNotRunning refuses a screenshot of a phone that is not
	// running.
	CodePhoneNotRunning = "CPS.9015"
	// CodePhoneNoAnswer: the phone (its server's agent or its runtime) did
	// not deliver what was asked of it in time, or failed to.
	CodePhoneNoAnswer = "CPS.9016"
	// CodeFaultNotFound: no such fault-injection rule in the project.
	CodeFaultNotFound = "CPS.9017"
	// CodeInvalidFault refuses a fault-injection rule that fails its
	// validation (the message names the field).
	CodeInvalidFault = "CPS.9018"
	// CodeTooManyFaults refuses a fault-injection rule over the project's
	// limit.
	CodeTooManyFaults = "CPS.9019"
	// CodeSnapshotNotFound: no fleet snapshot of that name.
	CodeSnapshotNotFound = "CPS.9020"
	// CodeSnapshotExists: a fleet snapshot of that name exists.
	CodeSnapshotExists = "CPS.9021"
	// CodeSnapshotSchema: the snapshot was taken at another schema version.
	CodeSnapshotSchema = "CPS.9022"
	// CodeEventNotFound: no such scheduled event in the project.
	CodeEventNotFound = "CPS.9023"
	// CodeShareFilesystemNotFound: no shared file system of that type and
	// ID is declared by the deployment.
	CodeShareFilesystemNotFound = "CPS.9024"

	CodeNoSuchBucket = "CPS.9201"
	CodeNoSuchObject = "CPS.9202"
	// CodeObjectKeyConflict: an object key names a folder of other
	// objects, or one of its folders is an object (the object store keeps
	// objects as files).
	CodeObjectKeyConflict = "CPS.9203"

	CodeIAMBadRequest      = "IAM.0400"
	CodeIAMUnauthenticated = "IAM.0401"
	CodeIAMForbidden       = "IAM.0403"
	CodeIAMNotFound        = "IAM.0404"
	CodeIAMConflict        = "IAM.0409"
	CodeIAMMediaType       = "IAM.0415"
	CodeIAMThrottled       = "IAM.0429"

	// Codes of the agent protocol (/agent/v1), which cph-agent handles.
	CodeAgentBadEnrollment = "AGENT.0400"
	CodeAgentUnauthorized  = "AGENT.0401"
	CodeAgentNoSuchProject = "AGENT.0404"
	CodeAgentWrongProject  = "AGENT.0405"
	CodeAgentSessionGone   = "AGENT.0409"
	CodeAgentNotClaimed    = "AGENT.0410"
	CodeAgentServerDeleted = "AGENT.0411"
	CodeAgentThrottled     = "AGENT.0429"

	CodeNoSuchAPI     = "APIGW.0101"
	CodeBadRequest    = "APIGW.0201"
	CodeUnauthorized  = "APIGW.0301"
	CodeNotAuthorized = "APIGW.0302"

	// Codes of the billing (BSS) stand-in routes (/v2/orders), in the
	// error_code/error_msg body of Huawei's BSS. CBC.0100, CBC.0151,
	// CBC.30050009 and CBC.30050011 are Huawei's; CBC.0101 is OpenCPH's
	// own for an unknown order.
	CodeBSSInvalidParameter = "CBC.0100"
	CodeBSSOrderNotFound    = "CBC.0101"
	CodeBSSAccessDenied     = "CBC.0151"
	CodeBSSResourceNotFound = "CBC.30050009"
	CodeBSSResourceBusy     = "CBC.30050011"

	// CodeNotAllowed is CodeOperationNotAllowed under its older name.
	CodeNotAllowed = CodeOperationNotAllowed
)

// Public messages that other packages compare or reuse.
const (
	MessageServerIDInvalid    = "server_id is invalid."
	MessageEncodeNotFound     = "Encode server is not found."
	MessageOperationForbidden = "Operation is not allowed for this resource."
)

// ErrorDef is one row of the error table: a code, the HTTP status it is
// answered with and its public message.
type ErrorDef struct {
	Code   string
	Status int
	// Message is the public message of the code without a detail.
	Message string
	// Detail, when set, is the fmt format of the message with a detail
	// (E's arguments fill it).
	Detail string
	// ItemMessage is the message of a batch item refused with the code
	// (the answer is 200 and the item carries code and message), when it
	// differs from Message.
	ItemMessage string
	// Also lists other statuses the code is answered with, each with its
	// message; Why says why the code has more than one status.
	Also []AltStatus
	Why  string
	// Meaning says when the code is answered.
	Meaning string
}

// AltStatus is a second HTTP status of an error code, with its message.
type AltStatus struct {
	Status  int
	Message string
}

// errorTable is every error code OpenCPH answers, in code order.
var errorTable = []ErrorDef{
	{Code: CodeForbidden, Status: http.StatusForbidden,
		Message: "No permission to request resources.",
		Meaning: "the caller may not do this: a read-only user changing anything or calling an admin-only API"},
	{Code: CodeInvalidPaging, Status: http.StatusBadRequest,
		Message: "Parameter: offset or limit is invalid.",
		Meaning: "offset or limit out of range"},
	{Code: CodeInternal, Status: http.StatusInternalServerError,
		Message: "Service internal error.",
		Also: []AltStatus{
			{http.StatusServiceUnavailable, "The server is busy: request bodies in progress hold all the memory reserved for them. Retry later."},
			{http.StatusServiceUnavailable, "Service is starting."},
		},
		Why:     "503 (with Retry-After) when the failure is temporary: the body memory budget is exhausted, or the control plane is still starting; 500 for anything unexpected (details only in the log)",
		Meaning: "unexpected failure"},
	{Code: CodeInvalidPhoneID, Status: http.StatusBadRequest,
		Message: "Invalid phone id.", ItemMessage: "Parameter: phone_id is invalid.",
		Meaning: "malformed phone id"},
	{Code: CodePhoneNotFound, Status: http.StatusNotFound,
		Message: "Phone is not found.", ItemMessage: "Phone not found.",
		Meaning: "no such phone in the project"},
	{Code: CodeEmptyPhoneList, Status: http.StatusBadRequest,
		Message: "Parameter: phone_id list is empty.",
		Meaning: "a batch call without phones"},
	{Code: CodeInvalidStatus, Status: http.StatusBadRequest,
		Message: "Parameter: status is invalid.",
		Meaning: "a status filter outside its enumeration"},
	{Code: CodeEmptyPathList, Status: http.StatusBadRequest,
		Message: "Parameter: sd_path list is empty.",
		Meaning: "a shared-file call without paths"},
	{Code: CodeInvalidServerID, Status: http.StatusBadRequest,
		Message: MessageServerIDInvalid,
		Also:    []AltStatus{{http.StatusNotFound, MessageServerIDInvalid}},
		Why:     "404 when the server id is in the path (the resource is not found), 400 when it is in the request body (a parameter is invalid)",
		Meaning: "unknown or malformed server id"},
	{Code: CodeTicketInvalid, Status: http.StatusBadRequest,
		Message: "Invalid ticket.",
		Meaning: "a connection ticket that is not valid"},
	{Code: CodePhoneNotAvailable, Status: http.StatusBadRequest,
		Message: "Not available phone.", Detail: "Not available phone (phone status %d).",
		Meaning: "a phone whose status allows no connection (per item)"},
	{Code: CodeInvalidCount, Status: http.StatusBadRequest,
		Message: "Parameter: count is invalid.",
		Meaning: "a server count outside 1-10"},
	{Code: CodePhoneNameInvalid, Status: http.StatusBadRequest,
		Message: "Parameter: phone_name is invalid.",
		Meaning: "a phone name that breaks the naming rule"},
	{Code: CodePhoneNameConflict, Status: http.StatusBadRequest,
		Message: "Phone name already exists.",
		Meaning: "a phone name already used in the project"},
	{Code: CodeEmptyPhoneModel, Status: http.StatusBadRequest,
		Message: "Parameter: phone_model_name is empty.",
		Meaning: "no phone flavor"},
	{Code: CodeInvalidPhoneModel, Status: http.StatusBadRequest,
		Message: "Parameter: phone_model_name is invalid.",
		Meaning: "an unknown phone flavor"},
	{Code: CodeEmptyImageID, Status: http.StatusBadRequest,
		Message: "Parameter: image_id is empty.",
		Meaning: "no image id"},
	{Code: CodeInvalidImageID, Status: http.StatusBadRequest,
		Message: "Parameter: image_id is invalid.",
		Also:    []AltStatus{{http.StatusNotFound, "Image is not found."}},
		Why:     "404 when the image id is in the path (the resource is not found), 400 when it is a parameter",
		Meaning: "an unknown, unusable or malformed image id"},
	{Code: CodeInvalidBandwidth, Status: http.StatusBadRequest,
		Message: "Parameter: band_width is invalid.",
		Meaning: "a bad bandwidth object or size"},
	{Code: CodeEmptyServerModel, Status: http.StatusBadRequest,
		Message: "Parameter: server_model_name is empty.",
		Meaning: "no server flavor"},
	{Code: CodeInvalidServerModel, Status: http.StatusBadRequest,
		Message: "Parameter: server_model_name is invalid.",
		Meaning: "an unknown server flavor"},
	{Code: CodeCommandServerInvalid, Status: http.StatusBadRequest,
		Message: "Parameter: server_id is invalid.",
		Meaning: "an unknown server in the server_ids of an ADB command (per item)"},
	{Code: CodeInvalidCommand, Status: http.StatusBadRequest,
		Message: "Parameter: command is invalid.",
		Meaning: "an unknown ADB command"},
	{Code: CodeInvalidContent, Status: http.StatusBadRequest,
		Message: "Parameter: content is invalid.",
		Meaning: "ADB command content that breaks its rules"},
	{Code: CodeInvalidPackageName, Status: http.StatusBadRequest,
		Message: "Parameter: package_name is invalid.",
		Meaning: "a bad Android package name"},

	{Code: CodeStatusNotAllowed, Status: http.StatusBadRequest,
		Message: "Resource status does not allow this operation.",
		Detail:  "Resource status does not allow this operation (%s).",
		Meaning: "the status of the resource (or of a phone of it) does not allow the operation"},
	{Code: CodeJobNotFound, Status: http.StatusNotFound,
		Message: "Job is not found.",
		Meaning: "no such job in the project"},
	{Code: CodeInvalidRequestID, Status: http.StatusBadRequest,
		Message: "Parameter: request_id is invalid.",
		Meaning: "ListJobs without usable request ids"},
	{Code: CodeJobFailed, Status: http.StatusInternalServerError,
		Message: "Job execution failed.", Detail: "Job execution failed: %s",
		Meaning: "a job that failed (in the job's error_code; never an HTTP answer)"},
	{Code: CodeBandwidthNotFound, Status: http.StatusNotFound,
		Message: "Bandwidth is not found.",
		Meaning: "no such bandwidth"},
	{Code: CodeEncodeServerNotFound, Status: http.StatusNotFound,
		Message: MessageEncodeNotFound,
		Meaning: "no such encode server (per item)"},
	{Code: CodeInvalidServerName, Status: http.StatusBadRequest,
		Message: "Parameter: server_name is invalid.",
		Meaning: "a server name that breaks the naming rule"},
	{Code: CodeOperationNotAllowed, Status: http.StatusBadRequest,
		Message: MessageOperationForbidden,
		Detail:  "Operation is not allowed for this resource: %s.",
		Meaning: "an operation the resource does not support or allow now"},
	{Code: CodeTooManyRequests, Status: http.StatusTooManyRequests,
		Message: "Too many requests.",
		Meaning: "the caller is over a rate limit (with Retry-After)"},
	{Code: CodeTooManyItems, Status: http.StatusBadRequest,
		Message: "Parameter: too many items.",
		Detail:  "Parameter: too many items in %s (at most %d).",
		Meaning: "a list over its maximum size"},
	{Code: CodeInvalidParameter, Status: http.StatusBadRequest,
		Message: "Parameter: a parameter is invalid.",
		Detail:  "Parameter: %s is invalid.",
		Meaning: "a field that fails its validation"},
	{Code: CodeServerUnavailable, Status: http.StatusServiceUnavailable,
		Message: "The server is unavailable.", Detail: "The %s is unavailable.",
		Meaning: "the server's agent is offline (per item)"},
	{Code: CodeAgentOffline, Status: http.StatusServiceUnavailable,
		Message: "Job execution failed: the server's agent went offline.",
		Meaning: "a job whose server's agent went offline while it ran (in the job's error_code; never an HTTP answer)"},
	{Code: CodeEnrollmentTokenNotFound, Status: http.StatusNotFound,
		Message: "The enrollment token does not exist.",
		Meaning: "no such enrollment token in the project"},
	{Code: CodePhoneNotRunning, Status: http.StatusConflict,
		Message: "The phone is not running.", Detail: "The phone is not running (phone status %d).",
		Meaning: "a screenshot of a phone that is not running (stopped, restarting, abnormal, ...)"},
	{Code: CodePhoneNoAnswer, Status: http.StatusGatewayTimeout,
		Message: "The phone did not answer.", Detail: "The phone did not answer: %s",
		Meaning: "the phone's agent or runtime did not deliver a screenshot in time, or could not take it"},
	{Code: CodeFaultNotFound, Status: http.StatusNotFound,
		Message: "The fault rule does not exist.",
		Meaning: "no such fault-injection rule in the project"},
	{Code: CodeInvalidFault, Status: http.StatusBadRequest,
		Message: "The fault rule is invalid.", Detail: "The fault rule is invalid: %s",
		Meaning: "a fault-injection rule that fails its validation (the message says which field and why)"},
	{Code: CodeTooManyFaults, Status: http.StatusConflict,
		Message: "Too many fault rules.", Detail: "Too many fault rules: a project holds at most %d.",
		Meaning: "a fault-injection rule over the project's limit of rules"},
	{Code: CodeSnapshotNotFound, Status: http.StatusNotFound,
		Message: "The snapshot does not exist.",
		Meaning: "no fleet snapshot of that name"},
	{Code: CodeSnapshotExists, Status: http.StatusConflict,
		Message: "A snapshot of that name exists.",
		Meaning: "saving a fleet snapshot under a name already taken, without replace"},
	{Code: CodeSnapshotSchema, Status: http.StatusConflict,
		Message: "The snapshot was taken at another schema version.",
		Meaning: "restoring a fleet snapshot taken before a migration (or after)"},
	{Code: CodeEventNotFound, Status: http.StatusNotFound,
		Message: "Scheduled event is not found.",
		Meaning: "no such scheduled event in the project"},
	{Code: CodeShareFilesystemNotFound, Status: http.StatusNotFound,
		Message: "Shared file system is not found.",
		Meaning: "attaching or detaching a shared file system the deployment does not declare"},
	{Code: CodeNoSuchBucket, Status: http.StatusNotFound,
		Message: "The specified bucket does not exist.",
		Detail:  "The specified bucket does not exist: %s.",
		Meaning: "no such bucket"},
	{Code: CodeNoSuchObject, Status: http.StatusNotFound,
		Message: "The specified object does not exist.",
		Detail:  "The specified object does not exist: %s.",
		Meaning: "no such object"},
	{Code: CodeObjectKeyConflict, Status: http.StatusConflict,
		Message: "The object key clashes with a folder: another object's key continues it with '/', or one of its folders is an object.",
		Meaning: "an object key that is a folder of other objects, or under an object"},

	{Code: CodeIAMBadRequest, Status: http.StatusBadRequest,
		Message: "The request is invalid.",
		Meaning: "an IAM request with an invalid field (the message names it)"},
	{Code: CodeIAMUnauthenticated, Status: http.StatusUnauthorized,
		Message: "The request you have made requires authentication.",
		Meaning: "wrong credentials at login, or a token that is missing, invalid or not allowed for the scope"},
	{Code: CodeIAMForbidden, Status: http.StatusForbidden,
		Message: "You are not authorized to perform the requested action.",
		Detail:  "You are not authorized to %s.",
		Meaning: "an IAM call the caller may not make"},
	{Code: CodeIAMNotFound, Status: http.StatusNotFound,
		Message: "Could not find the resource.",
		Detail:  "Could not find %s: %s.",
		Meaning: "no such user, account, project, access key or token"},
	{Code: CodeIAMConflict, Status: http.StatusConflict,
		Message: "The request conflicts with the state of the resource.",
		Meaning: "a name already taken, or the last enabled admin of an account"},
	{Code: CodeIAMMediaType, Status: http.StatusUnsupportedMediaType,
		Message: "Content-Type must be application/json.",
		Meaning: "an IAM request body that is not JSON"},
	{Code: CodeIAMThrottled, Status: http.StatusTooManyRequests,
		Message: "Too many failed login attempts.",
		Detail:  "Too many failed login attempts. Retry after %d seconds.",
		Meaning: "too many failed logins for a user or client address (with Retry-After)"},

	{Code: CodeAgentBadEnrollment, Status: http.StatusBadRequest,
		Message: "The enrollment is invalid.",
		Meaning: "an enrollment whose server name is not 1-64 of [A-Za-z0-9_-] or whose phone count is out of range"},
	{Code: CodeAgentUnauthorized, Status: http.StatusUnauthorized,
		Message: "Unknown agent credential.",
		Meaning: "a missing or unknown agent credential; a wrong, revoked or expired enrollment token"},
	{Code: CodeAgentNoSuchProject, Status: http.StatusNotFound,
		Message: "No single project of that name exists.",
		Detail:  "No single project %q exists.",
		Meaning: "an installation-token enrollment naming an unknown or ambiguous project"},
	{Code: CodeAgentWrongProject, Status: http.StatusForbidden,
		Message: "The enrollment token enrolls into its own project only.",
		Detail:  "The enrollment token enrolls into project %s (%s) only.",
		Meaning: "a project's enrollment token used for another project"},
	{Code: CodeAgentSessionGone, Status: http.StatusConflict,
		Message: "The agent session was replaced by a newer one.",
		Meaning: "a call of an agent session that a newer session of its server replaced"},
	{Code: CodeAgentNotClaimed, Status: http.StatusConflict,
		Message: "The operation is not claimed by this session.",
		Meaning: "a result for an operation the session does not hold (it timed out and was failed or queued again)"},
	{Code: CodeAgentServerDeleted, Status: http.StatusGone,
		Message: "The server was deleted; this agent's credential is void.",
		Detail:  "The server %s (%s) was deleted; this agent's credential is void.",
		Meaning: "the credential of a server that was deleted (the agent stops; cph-agent exits 3)"},
	{Code: CodeAgentThrottled, Status: http.StatusTooManyRequests,
		Message: "Too many enrollments with a wrong token from this address.",
		Detail:  "Too many enrollments with a wrong token from this address. Retry after %d seconds.",
		Meaning: "more than 10 enrollments with a wrong token from one address, then one per 30 s (with Retry-After)"},
	{Code: CodeNoSuchAPI, Status: http.StatusNotFound,
		Message: "The API does not exist or has not been published in the environment.",
		Also:    []AltStatus{{http.StatusMethodNotAllowed, "The method is not allowed for this API."}},
		Why:     "405 (with Allow) for a known route called with a method it does not serve, 404 for an unknown route",
		Meaning: "no such route"},
	{Code: CodeBadRequest, Status: http.StatusBadRequest,
		Message: "API request error.",
		Also: []AltStatus{
			{http.StatusRequestTimeout, "Request timeout: the request body did not arrive in time."},
			{http.StatusRequestEntityTooLarge, "Request entity too large."},
		},
		Why:     "the gateway's code for a request it cannot read: 408 when the body does not arrive in time, 413 when it is too large, 400 otherwise",
		Meaning: "a malformed request: bad JSON, text with a NUL byte or invalid UTF-8"},
	{Code: CodeUnauthorized, Status: http.StatusUnauthorized,
		Message: "Incorrect IAM authentication information: x-auth-token not found",
		Detail:  "Incorrect IAM authentication information: %s",
		Meaning: "a missing, unknown, expired or revoked credential, or a bad signature"},
	{Code: CodeNotAuthorized, Status: http.StatusForbidden,
		Message: "The IAM user is not authorized to access the API.",
		Meaning: "a credential not scoped to the project in the path"},
	{Code: CodeBSSInvalidParameter, Status: http.StatusBadRequest,
		Message: "Invalid parameter.", Detail: "Invalid parameter: %s.",
		Meaning: "a billing call with a malformed order id, no resource ids or too many, or an unsupported unsubscribe_type"},
	{Code: CodeBSSOrderNotFound, Status: http.StatusNotFound,
		Message: "The order does not exist.",
		Meaning: "no such order in the caller's account (another account's orders are unknown too)"},
	{Code: CodeBSSAccessDenied, Status: http.StatusForbidden,
		Message: "Access denied.",
		Meaning: "a read-only user unsubscribing from resources"},
	{Code: CodeBSSResourceNotFound, Status: http.StatusNotFound,
		Message: "The resources do not exist or have been deleted.", Detail: "The resources do not exist or have been deleted: %s.",
		Meaning: "an unsubscription naming a server unknown in the caller's account"},
	{Code: CodeBSSResourceBusy, Status: http.StatusConflict,
		Message: "The resources are being unsubscribed from or changed.", Detail: "The resources are being unsubscribed from or changed: %s.",
		Meaning: "an unsubscription naming a server already being deleted"},
}

// errorsByCode indexes errorTable.
var errorsByCode = func() map[string]*ErrorDef {
	m := make(map[string]*ErrorDef, len(errorTable))
	for i := range errorTable {
		m[errorTable[i].Code] = &errorTable[i]
	}
	return m
}()

// ErrorTable returns a copy of the error table, in code order.
func ErrorTable() []ErrorDef {
	out := make([]ErrorDef, len(errorTable))
	for i, d := range errorTable {
		d.Also = append([]AltStatus(nil), d.Also...)
		out[i] = d
	}
	return out
}

// LookupError returns the table row of code.
func LookupError(code string) (ErrorDef, bool) {
	d, ok := errorsByCode[code]
	if !ok {
		return ErrorDef{}, false
	}
	return *d, true
}

// Error is an application error: an HTTP status, a machine-readable CPH
// error code and a message safe to show to the caller. Anything that is not
// an *Error reaching the API layer is reported as an internal error with a
// generic message, so internals never leak.
type Error struct {
	Status  int    // HTTP status, e.g. 400
	Code    string // e.g. "CPS.0002"
	Message string // e.g. "Parameter: offset or limit is invalid."
	// RetryAfter, if positive, tells the caller when to try again (the
	// Retry-After header of a 429 or 503).
	RetryAfter time.Duration
	// Err is the internal cause, for the log only: it is never sent to
	// the caller.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s (%d): %s: %v", e.Code, e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given status and code and a formatted
// message. Prefer E, Ef or a named constructor, which take the status from
// the error table.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// E returns the error of code with the table's status. Without args the
// message is the table's Message; with args they fill the table's Detail
// format (a row without one keeps its Message, and the detail goes to the
// log through Err). An unknown code is a 500 CPS.0003 whose internal cause
// names it.
func E(code string, args ...any) *Error {
	d, ok := errorsByCode[code]
	if !ok {
		return unknownCode(code)
	}
	e := &Error{Status: d.Status, Code: code, Message: d.Message}
	switch {
	case len(args) > 0 && d.Detail != "":
		e.Message = fmt.Sprintf(d.Detail, args...)
	case len(args) > 0:
		e.Err = fmt.Errorf("cph: %s has no detail format; detail %v dropped", code, args)
	}
	return e
}

// Ef returns the error of code with the table's status and a message
// more specific than the table's (an IAM field check, a job failure).
func Ef(code, format string, args ...any) *Error {
	d, ok := errorsByCode[code]
	if !ok {
		return unknownCode(code)
	}
	return &Error{Status: d.Status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Refuse returns the code and message of a batch item refused with code:
// the table's ItemMessage, else as E.
func Refuse(code string, args ...any) (string, string) {
	d, ok := errorsByCode[code]
	if ok && d.ItemMessage != "" && len(args) == 0 {
		return code, d.ItemMessage
	}
	e := E(code, args...)
	return e.Code, e.Message
}

// alt returns the error of code with its other status (one of the
// table's Also). Only named constructors use it, and the table test checks
// each of them.
func alt(code string, status int, i int) *Error {
	d, ok := errorsByCode[code]
	if !ok || i >= len(d.Also) || d.Also[i].Status != status {
		return unknownCode(code)
	}
	return &Error{Status: status, Code: code, Message: d.Also[i].Message}
}

func unknownCode(code string) *Error {
	e := ErrInternal()
	e.Err = fmt.Errorf("cph: error code %q is not in the error table", code)
	return e
}

// ErrorCode returns the CPH code of err if it is (or wraps) an *Error,
// and CodeInternal otherwise. A nil err has no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as an *Error. Errors that are not (and do not wrap)
// an *Error become a 500 CPS.0003 with a generic message.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal()
}

// The named constructors below are the table's rows as functions; each
// doc comment gives the status and code.

// ErrInternal is the generic internal error (HTTP 500, CPS.0003).
func ErrInternal() *Error { return E(CodeInternal) }

// ErrBusy reports a request refused for lack of body memory (HTTP 503, CPS.0003).
func ErrBusy() *Error { return alt(CodeInternal, http.StatusServiceUnavailable, 0) }

// ErrStarting reports a request that came before the control plane was
// ready (HTTP 503, CPS.0003).
func ErrStarting() *Error { return alt(CodeInternal, http.StatusServiceUnavailable, 1) }

// ErrForbidden reports an authenticated caller without permission (HTTP 403, CPS.0001).
func ErrForbidden() *Error { return E(CodeForbidden) }

// ErrInvalidPaging reports a bad offset or limit (HTTP 400, CPS.0002).
func ErrInvalidPaging() *Error { return E(CodeInvalidPaging) }

// ErrInvalidPhoneID reports a malformed phone ID in a path (HTTP 400, CPS.0004).
func ErrInvalidPhoneID() *Error { return E(CodeInvalidPhoneID) }

// ErrPhoneNotFound reports an unknown phone in a path (HTTP 404, CPS.0005).
func ErrPhoneNotFound() *Error { return E(CodePhoneNotFound) }

// ErrEmptyPhoneList reports a batch call without phones (HTTP 400, CPS.0009).
func ErrEmptyPhoneList() *Error { return E(CodeEmptyPhoneList) }

// ErrInvalidStatus reports a status filter outside its enumeration (HTTP 400, CPS.0010).
func ErrInvalidStatus() *Error { return E(CodeInvalidStatus) }

// ErrEmptyPathList reports an empty file path list (HTTP 400, CPS.0014).
func ErrEmptyPathList() *Error { return E(CodeEmptyPathList) }

// ErrInvalidServerID reports an unknown or malformed server ID in a request body (HTTP 400, CPS.0016).
func ErrInvalidServerID() *Error { return E(CodeInvalidServerID) }

// ErrServerNotFound reports an unknown or malformed server ID in a path (HTTP 404, CPS.0016).
func ErrServerNotFound() *Error { return alt(CodeInvalidServerID, http.StatusNotFound, 0) }

// ErrTicketInvalid reports a connection ticket that is not valid (HTTP 400, CPS.0021).
func ErrTicketInvalid() *Error { return E(CodeTicketInvalid) }

// ErrInvalidCount reports a server count outside 1–10 (HTTP 400, CPS.0024).
func ErrInvalidCount() *Error { return E(CodeInvalidCount) }

// ErrPhoneNameInvalid reports a phone name that breaks the naming rule
// (HTTP 400, CPS.0025).
func ErrPhoneNameInvalid() *Error { return E(CodePhoneNameInvalid) }

// ErrPhoneNameConflict reports a phone name already used in the project
// (HTTP 400, CPS.0026).
func ErrPhoneNameConflict() *Error { return E(CodePhoneNameConflict) }

// ErrEmptyPhoneModel reports a missing phone flavor (HTTP 400, CPS.0027).
func ErrEmptyPhoneModel() *Error { return E(CodeEmptyPhoneModel) }

// ErrInvalidPhoneModel reports an unknown phone flavor (HTTP 400, CPS.0028).
func ErrInvalidPhoneModel() *Error { return E(CodeInvalidPhoneModel) }

// ErrEmptyImageID reports a missing image ID (HTTP 400, CPS.0029).
func ErrEmptyImageID() *Error { return E(CodeEmptyImageID) }

// ErrInvalidImage reports an unknown or unusable image (HTTP 400, CPS.0030).
func ErrInvalidImage() *Error { return E(CodeInvalidImageID) }

// ErrImageNotFound reports an unknown image in a path (HTTP 404, CPS.0030).
func ErrImageNotFound() *Error { return alt(CodeInvalidImageID, http.StatusNotFound, 0) }

// ErrInvalidBandwidth reports a bad bandwidth object or size (HTTP 400, CPS.0031).
func ErrInvalidBandwidth() *Error { return E(CodeInvalidBandwidth) }

// ErrEmptyServerModel reports a missing server flavor (HTTP 400, CPS.0088).
func ErrEmptyServerModel() *Error { return E(CodeEmptyServerModel) }

// ErrInvalidServerModel reports an unknown server flavor (HTTP 400, CPS.0089).
func ErrInvalidServerModel() *Error { return E(CodeInvalidServerModel) }

// ErrInvalidCommand reports an unknown ADB command (HTTP 400, CPS.0117).
func ErrInvalidCommand() *Error { return E(CodeInvalidCommand) }

// ErrInvalidContent reports ADB command content that breaks its rules
// (HTTP 400, CPS.0118).
func ErrInvalidContent() *Error { return E(CodeInvalidContent) }

// ErrInvalidPackageName reports a bad Android package name (HTTP 400, CPS.0173).
func ErrInvalidPackageName() *Error { return E(CodeInvalidPackageName) }

// ErrStatusNotAllowed reports a resource whose status does not allow the
// operation (HTTP 400, CPS.9001); detail, if not empty, says which status.
func ErrStatusNotAllowed(detail string) *Error {
	if detail == "" {
		return E(CodeStatusNotAllowed)
	}
	return E(CodeStatusNotAllowed, detail)
}

// ErrServerStatusNotAllowed reports a server whose status does not allow the
// operation (HTTP 400, CPS.9001).
func ErrServerStatusNotAllowed(s ServerStatus) *Error {
	return E(CodeStatusNotAllowed, fmt.Sprintf("server status %d", s))
}

// ErrJobNotFound reports an unknown job (HTTP 404, CPS.9002).
func ErrJobNotFound() *Error { return E(CodeJobNotFound) }

// ErrInvalidRequestID reports a ListJobs call without usable request IDs (HTTP 400, CPS.9003).
func ErrInvalidRequestID() *Error { return E(CodeInvalidRequestID) }

// ErrBandwidthNotFound reports an unknown bandwidth (HTTP 404, CPS.9005).
func ErrBandwidthNotFound() *Error { return E(CodeBandwidthNotFound) }

// ErrEncodeServerNotFound reports an unknown encode server (HTTP 404, CPS.9006).
func ErrEncodeServerNotFound() *Error { return E(CodeEncodeServerNotFound) }

// ErrInvalidServerName reports a server name that breaks the naming rule (HTTP 400, CPS.9007).
func ErrInvalidServerName() *Error { return E(CodeInvalidServerName) }

// ErrOperationNotAllowed reports an operation the resource does not support (HTTP 400, CPS.9008).
func ErrOperationNotAllowed(detail string) *Error {
	if detail == "" {
		return E(CodeOperationNotAllowed)
	}
	return E(CodeOperationNotAllowed, detail)
}

// ErrNotAllowed reports an operation the resource does not allow (HTTP
// 400, CPS.9008); detail is a sentence ending with a period.
func ErrNotAllowed(detail string) *Error {
	return ErrOperationNotAllowed(strings.TrimSuffix(detail, "."))
}

// ErrTooManyRequests reports a caller over a rate limit (HTTP 429, CPS.9009).
func ErrTooManyRequests() *Error { return E(CodeTooManyRequests) }

// ErrTooManyItems reports a list over its maximum size (HTTP 400, CPS.9010).
func ErrTooManyItems(field string, max int) *Error { return E(CodeTooManyItems, field, max) }

// ErrInvalidParameter reports a field-level validation failure (HTTP 400, CPS.9011).
func ErrInvalidParameter(field string) *Error { return E(CodeInvalidParameter, field) }

// ErrPhoneNotRunning refuses a screenshot of a phone in status st (HTTP
// 409, CPS.9015).
func ErrPhoneNotRunning(st PhoneStatus) *Error { return E(CodePhoneNotRunning, int(st)) }

// ErrPhoneNoAnswer reports a phone that did not deliver a screenshot, and
// why (HTTP 504, CPS.9016).
func ErrPhoneNoAnswer(why string) *Error { return E(CodePhoneNoAnswer, why) }

// ErrSnapshotNotFound reports an unknown fleet snapshot (HTTP 404, CPS.9020).
func ErrSnapshotNotFound() *Error { return E(CodeSnapshotNotFound) }

// ErrSnapshotExists refuses to save over a fleet snapshot (HTTP 409, CPS.9021).
func ErrSnapshotExists() *Error { return E(CodeSnapshotExists) }

// ErrSnapshotSchema refuses a fleet snapshot of another schema version
// (HTTP 409, CPS.9022).
func ErrSnapshotSchema() *Error { return E(CodeSnapshotSchema) }

// ErrEventNotFound reports an unknown scheduled event (HTTP 404, CPS.9023).
func ErrEventNotFound() *Error { return E(CodeEventNotFound) }

// ErrShareFilesystemNotFound reports a shared file system the deployment
// does not declare (HTTP 404, CPS.9024).
func ErrShareFilesystemNotFound() *Error { return E(CodeShareFilesystemNotFound) }

// ErrEnrollmentTokenNotFound reports an unknown enrollment token (HTTP 404, CPS.9014).
func ErrEnrollmentTokenNotFound() *Error { return E(CodeEnrollmentTokenNotFound) }

// ErrFaultNotFound reports an unknown fault-injection rule (HTTP 404, CPS.9017).
func ErrFaultNotFound() *Error { return E(CodeFaultNotFound) }

// ErrInvalidFault reports a fault-injection rule that fails its
// validation; why is a sentence ending with a period (HTTP 400, CPS.9018).
func ErrInvalidFault(why string) *Error { return E(CodeInvalidFault, why) }

// ErrTooManyFaults reports a fault-injection rule over the project's
// limit of max rules (HTTP 409, CPS.9019).
func ErrTooManyFaults(max int) *Error { return E(CodeTooManyFaults, max) }

// ErrNoSuchBucket reports an unknown bucket (HTTP 404, CPS.9201).
func ErrNoSuchBucket() *Error { return E(CodeNoSuchBucket) }

// ErrNoSuchObject reports an unknown object (HTTP 404, CPS.9202).
func ErrNoSuchObject() *Error { return E(CodeNoSuchObject) }

// ErrObjectKeyConflict reports an object key that clashes with a folder
// (HTTP 409, CPS.9203).
func ErrObjectKeyConflict() *Error { return E(CodeObjectKeyConflict) }

// ErrIAMBadRequest reports an invalid IAM request; the message says which
// field is wrong and why (HTTP 400, IAM.0400).
func ErrIAMBadRequest(format string, args ...any) *Error {
	return Ef(CodeIAMBadRequest, format, args...)
}

// ErrIAMUnauthenticated reports a token that is missing, invalid or not
// allowed for the requested scope (HTTP 401, IAM.0401).
func ErrIAMUnauthenticated() *Error { return E(CodeIAMUnauthenticated) }

// ErrWrongCredentials reports a failed login; the message is the same
// whatever was wrong (HTTP 401, IAM.0401).
func ErrWrongCredentials() *Error {
	return Ef(CodeIAMUnauthenticated, "The username or password is wrong.")
}

// ErrIAMForbidden reports an IAM call the caller may not make (HTTP 403,
// IAM.0403); action, if not empty, says what was refused ("manage this
// access key").
func ErrIAMForbidden(action string) *Error {
	if action == "" {
		return E(CodeIAMForbidden)
	}
	return E(CodeIAMForbidden, action)
}

// ErrIAMNotFound reports an unknown IAM resource of a kind ("user",
// "domain", "project", "access key") (HTTP 404, IAM.0404).
func ErrIAMNotFound(kind, id string) *Error { return E(CodeIAMNotFound, kind, id) }

// ErrIAMConflict reports an IAM change that conflicts with the state: a
// name taken, the last enabled admin (HTTP 409, IAM.0409).
func ErrIAMConflict(format string, args ...any) *Error {
	return Ef(CodeIAMConflict, format, args...)
}

// ErrIAMMediaType reports an IAM request body that is not JSON (HTTP 415, IAM.0415).
func ErrIAMMediaType() *Error { return E(CodeIAMMediaType) }

// ErrLoginThrottled reports too many failed logins; the message says when
// to retry (HTTP 429, IAM.0429).
func ErrLoginThrottled(after time.Duration) *Error {
	secs := int(after.Seconds() + 0.999)
	return E(CodeIAMThrottled, secs)
}

// ErrNoSuchAPI reports an unknown route (HTTP 404, APIGW.0101).
func ErrNoSuchAPI() *Error { return E(CodeNoSuchAPI) }

// ErrMethodNotAllowed reports a known route called with a method it does
// not serve (HTTP 405, APIGW.0101).
func ErrMethodNotAllowed() *Error { return alt(CodeNoSuchAPI, http.StatusMethodNotAllowed, 0) }

// ErrMalformedBody reports an unparsable request body (HTTP 400, APIGW.0201).
func ErrMalformedBody() *Error { return E(CodeBadRequest) }

// ErrInvalidText reports request text with a NUL byte or invalid UTF-8
// (HTTP 400, APIGW.0201).
func ErrInvalidText() *Error {
	return Ef(CodeBadRequest, "The request holds text with a NUL byte or invalid UTF-8.")
}

// ErrRequestTimeout reports a request body that did not arrive in time
// (HTTP 408, APIGW.0201).
func ErrRequestTimeout() *Error { return alt(CodeBadRequest, http.StatusRequestTimeout, 0) }

// ErrEntityTooLarge reports a request body over its limit (HTTP 413, APIGW.0201).
func ErrEntityTooLarge() *Error { return alt(CodeBadRequest, http.StatusRequestEntityTooLarge, 1) }

// ErrUnauthenticated reports a call without valid credentials (HTTP 401, APIGW.0301).
func ErrUnauthenticated() *Error { return E(CodeUnauthorized) }

// ErrBadCredential reports a credential that is not valid; detail is
// the gateway's reason ("decrypt token fail") (HTTP 401, APIGW.0301).
func ErrBadCredential(detail string) *Error { return E(CodeUnauthorized, detail) }

// ErrNotAuthorized reports a call on a project the caller may not use (HTTP 403, APIGW.0302).
func ErrNotAuthorized() *Error { return E(CodeNotAuthorized) }

// ErrBSSInvalidParameter reports a bad parameter of a billing call (HTTP
// 400, CBC.0100).
func ErrBSSInvalidParameter(field string) *Error { return E(CodeBSSInvalidParameter, field) }

// ErrOrderNotFound reports an order unknown in the caller's account (HTTP
// 404, CBC.0101).
func ErrOrderNotFound() *Error { return E(CodeBSSOrderNotFound) }

// ErrBSSAccessDenied refuses a billing change to a read-only user (HTTP
// 403, CBC.0151).
func ErrBSSAccessDenied() *Error { return E(CodeBSSAccessDenied) }

// ErrResourcesNotFound reports resources unknown in the caller's account
// (HTTP 404, CBC.30050009).
func ErrResourcesNotFound(ids string) *Error { return E(CodeBSSResourceNotFound, ids) }

// ErrResourcesBusy reports resources already being deleted (HTTP 409,
// CBC.30050011).
func ErrResourcesBusy(ids string) *Error { return E(CodeBSSResourceBusy, ids) }
