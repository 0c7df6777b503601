// Package agentproto defines the wire protocol between cphd and the agents
// that run phone servers: paths, request and response bodies.
//
// The protocol is plain HTTP with JSON bodies, pulled by the agent:
//
//  1. POST SessionPath starts a session. The agent learns its server and the
//     phones it must run. Starting a session hands operations that an
//     earlier session of the same server had claimed but not finished back
//     to the queue, so a restarted agent re-runs them.
//  2. POST PollPath is a long-poll: it returns at once with the operations
//     the agent has claimed, or after up to WaitMillis with none. Every poll
//     is also the agent's heartbeat.
//  3. POST ResultsPath reports the outcomes of one or more operations
//     (POST ResultPath(id) reports one; agents prefer the batch).
//
// Every request carries "Authorization: Bearer <credential>", the agent
// credential of one server. The database behind cphd is the source of
// truth: any cphd replica can serve any of these calls.
package agentproto

import (
	"net/url"
	"strings"

	cph "github.com/opencph/opencph"
)

// Paths of the agent protocol.
const (
	SessionPath = "/agent/v1/session"
	PollPath    = "/agent/v1/poll"
)

// ResultPath is the path to report the result of operation id.
func ResultPath(id string) string {
	return "/agent/v1/operations/" + url.PathEscape(id) + "/result"
}

// SessionRequest starts an agent session.
type SessionRequest struct {
	// Version is the agent's software version, for logs.
	Version string `json:"version,omitempty"`
	// Phones are the phones the agent's runtime has now, with their state,
	// so that a server that was marked down shows its phones' true state
	// when its agent returns. A fresh runtime reports none.
	Phones []PhoneState `json:"phones,omitempty"`
}

// PhoneState is a phone as the agent's runtime sees it.
type PhoneState struct {
	ID string `json:"phone_id"`
	// State is one of "running", "stopped", "booting", "stopping", "failed".
	State string `json:"state"`
	// Error says why a phone is failed.
	Error string `json:"error,omitempty"`
	// AccessIP and AccessPort are where the phone's ADB port is published
	// and IntranetIP is the phone's own address, for runtimes that have
	// real addresses (the Docker runtime); empty otherwise.
	AccessIP   string `json:"access_ip,omitempty"`
	AccessPort int    `json:"access_port,omitempty"`
	IntranetIP string `json:"intranet_ip,omitempty"`
}

// PhonesPath is where an agent reports, at any time in a session, phones
// whose state changed outside an operation (a "failed" phone is shown
// abnormal, -7, if it was running or stopped) and phones' addresses. The
// answer is 204; 409 CodeSessionGone if the session was replaced.
const PhonesPath = "/agent/v1/phones"

// MaxPhoneStates is the most phones one PhonesRequest may carry.
const MaxPhoneStates = 1000

// PhonesRequest reports phones of the session's server.
type PhonesRequest struct {
	SessionID string       `json:"session_id"`
	Phones    []PhoneState `json:"phones"`
}

// SessionResponse describes the server an agent runs and its phones.
type SessionResponse struct {
	SessionID string  `json:"session_id"`
	ServerID  string  `json:"server_id"`
	Phones    []Phone `json:"phones"`
	// PollWaitMillis is how long a poll may be held open by cphd.
	PollWaitMillis int64 `json:"poll_wait_ms"`
}

// Phone is a phone the agent must run, in the state the control plane
// records for it. A phone recorded as running (or in a transient state of an
// operation that will be re-delivered) should exist and run; a stopped phone
// should exist and be stopped.
type Phone struct {
	ID       string            `json:"phone_id"`
	Name     string            `json:"phone_name"`
	Index    int               `json:"index"`
	Status   cph.PhoneStatus   `json:"status"`
	ImageID  string            `json:"image_id"`
	Property map[string]string `json:"property,omitempty"`
	// Model is the phone flavor (phone_model_name), from which a runtime
	// takes CPU, memory and screen.
	Model string `json:"phone_model_name,omitempty"`
}

// PollRequest asks for operations.
type PollRequest struct {
	SessionID string `json:"session_id"`
	// WaitMillis is how long the agent is willing to wait for work; cphd
	// caps it at SessionResponse.PollWaitMillis.
	WaitMillis int64 `json:"wait_ms"`
	// Max is the most operations the agent takes in one answer (default 100).
	Max int `json:"max,omitempty"`
}

// PollResponse carries the operations the agent has now claimed.
type PollResponse struct {
	Operations []cph.Operation `json:"operations"`
}

// ResultsPath is where an agent reports the results of several
// operations in one request.
const ResultsPath = "/agent/v1/results"

// MaxResults is the most results one ResultsRequest may carry.
const MaxResults = 100

// ResultsRequest reports the results of up to MaxResults operations of
// one session. They are applied in one transaction.
type ResultsRequest struct {
	SessionID string `json:"session_id"`
	// Results carry their OperationID; their SessionID is ignored.
	Results []Result `json:"results"`
}

// ResultsResponse answers a ResultsRequest with one status per result, in
// the order of the request.
type ResultsResponse struct {
	Results []ResultStatus `json:"results"`
}

// ResultStatus tells whether one reported result was applied.
type ResultStatus struct {
	OperationID string `json:"operation_id"`
	// ErrorCode is empty when the result was applied, and CodeNotClaimed
	// when the session does not hold the operation (the agent drops it).
	ErrorCode string `json:"error_code,omitempty"`
	ErrorMsg  string `json:"error_msg,omitempty"`
}

// Result is the outcome of one operation.
type Result struct {
	// SessionID is the session that ran the operation (in a
	// ResultsRequest, the request's session is used instead).
	SessionID string `json:"session_id,omitempty"`
	// OperationID names the operation in a ResultsRequest (ResultPath
	// names it in its path).
	OperationID string `json:"operation_id,omitempty"`
	Success     bool   `json:"success"`
	// ErrorCode and ErrorMsg describe a failure; ErrorCode defaults to
	// cph.CodeJobFailed.
	ErrorCode string `json:"error_code,omitempty"`
	ErrorMsg  string `json:"error_msg,omitempty"`
	// ExecuteMsg is command output (at most 1024 bytes are kept).
	ExecuteMsg string `json:"execute_msg,omitempty"`
	// FailedPhones lists, for a server operation that acts on the
	// server's phones, the phones on which it failed.
	FailedPhones []string `json:"failed_phone_ids,omitempty"`
	// Screenshot is the PNG of a successful screenshot operation
	// (cph.OpScreenshot), base64 in JSON, at most cph.MaxScreenshotBytes
	// before encoding. A result that carries one travels alone in its
	// request: MaxResultBodyBytes bounds the body of a result request.
	Screenshot []byte `json:"screenshot_png,omitempty"`
	// AppVersion is, for a successful shared app push, the versionName of
	// the package's base APK (empty when it could not be read).
	AppVersion string `json:"app_version,omitempty"`
}

// MaxResultBodyBytes is the largest body of a ResultsPath or ResultPath
// request: room for one screenshot of cph.MaxScreenshotBytes in base64,
// plus the 1 MiB of any other request.
const MaxResultBodyBytes = 1<<20 + (cph.MaxScreenshotBytes+2)/3*4

// Error is the body of every non-2xx answer of the agent protocol.
type Error struct {
	Code    string `json:"error_code"`
	Message string `json:"error_msg"`
}

// Codes of agent protocol errors (HTTP status in brackets).
const (
	// CodeUnauthorized: the credential is missing or unknown (401).
	CodeUnauthorized = cph.CodeAgentUnauthorized
	// CodeSessionGone: a newer session of the same server replaced this one
	// (409); the agent must start a new session.
	CodeSessionGone = cph.CodeAgentSessionGone
	// CodeNotClaimed: the operation is not claimed by this session (409),
	// typically because it timed out and was failed or re-queued. The agent
	// drops the result.
	CodeNotClaimed = cph.CodeAgentNotClaimed
	// CodeServerDeleted: the credential belonged to a server that has been
	// deleted (410 Gone). It will never work again: the agent stops
	// (cph-agent exits with status 3) instead of retrying.
	CodeServerDeleted = cph.CodeAgentServerDeleted
)

// ObjectPath is the path of an object for agents: GET downloads it, PUT
// uploads it (the body is the object's content). Agents use it to read
// the OBS objects that operations name and to write data exports.
func ObjectPath(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/agent/v1/objects/" + url.PathEscape(bucket) + "/" + strings.Join(segs, "/")
}

// Codes of object errors (HTTP 404; 400 for CodeInvalidName, 409 for
// CodeKeyConflict), as OBS names them.
const (
	CodeNoSuchBucket = "NoSuchBucket"
	CodeNoSuchKey    = "NoSuchKey"
	CodeInvalidName  = "InvalidObjectName"
	// CodeKeyConflict: the key names a folder of other objects, or one of
	// its folders is an object.
	CodeKeyConflict = "ObjectKeyConflict"
)

// EnrollPath is where a new agent trades an enrollment token (a
// project's token, or the installation's operator token) for a server
// and the credential of that server.
const EnrollPath = "/agent/v1/enroll"

// EnrollRequest registers a new phone server.
type EnrollRequest struct {
	// Token is a project's enrollment token, or the installation token
	// configured on cphd (--enroll-token).
	Token string `json:"enroll_token"`
	// Project is the name or id of the project that owns the server. With
	// a project's token it may be empty (the token names the project) and
	// must otherwise name the token's project; the installation token
	// needs it.
	Project string `json:"project,omitempty"`
	// Name is the server's name (letters, digits, '_' and '-').
	Name string `json:"name"`
	// Phones is how many phones the server runs.
	Phones  int    `json:"phones"`
	Version string `json:"version,omitempty"`
}

// EnrollResponse carries the new server's identity and credential. The
// credential is shown only here; the agent keeps it.
type EnrollResponse struct {
	ServerID   string `json:"server_id"`
	ServerName string `json:"server_name"`
	ProjectID  string `json:"project_id"`
	Credential string `json:"credential"`
}

// Codes of enrollment errors.
const (
	// A wrong, revoked or expired enrollment token is 401 CodeUnauthorized.
	//
	// CodeEnrollWrongProject: the project's token does not enroll into
	// the project the request names (403).
	CodeEnrollWrongProject = cph.CodeAgentWrongProject
	// CodeNoSuchProject: the project is unknown or ambiguous (404).
	CodeNoSuchProject = cph.CodeAgentNoSuchProject
	// CodeBadEnrollment: the name or phone count is invalid (400).
	CodeBadEnrollment = cph.CodeAgentBadEnrollment
)

// CodeEnrollThrottled: too many enrollments with a wrong token came from
// the caller's address (429, with Retry-After); the agent waits and tries
// again.
const CodeEnrollThrottled = cph.CodeAgentThrottled
