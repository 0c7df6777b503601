package cph

import (
	"context"
	"io"
	"time"
)

// AgentIdentity is an agent that proved its credential: the agent of one
// server.
type AgentIdentity struct {
	// Server is the server whose credential the agent presented.
	Server *Server
	// SessionID is the server's current agent session, empty before its
	// agent started one. Only the current session may report and poll.
	SessionID string
}

type agentKey struct{}

// NewAgentContext returns a context that carries a as the agent calling
// the AgentService. A front end authenticates the agent
// (AgentService.AuthenticateAgent), then calls the service with such a
// context.
func NewAgentContext(ctx context.Context, a *AgentIdentity) context.Context {
	return context.WithValue(ctx, agentKey{}, a)
}

// AgentFrom returns the agent that ctx carries, if any.
func AgentFrom(ctx context.Context) (*AgentIdentity, bool) {
	a, ok := ctx.Value(agentKey{}).(*AgentIdentity)
	return a, ok && a != nil && a.Server != nil
}

// AgentSettings are the parameters of the agent protocol that a front end
// needs to know.
type AgentSettings struct {
	// PollWait is the longest a poll is held open.
	PollWait time.Duration
}

// EnrollAgentParams is an agent's request for a new server.
type EnrollAgentParams struct {
	// Token is a project's enrollment token, or the installation's.
	Token string
	// Project is the name or id of the project the server joins; with a
	// project's token it may be empty.
	Project string
	// Name is the new server's name: 1-64 letters, digits, '_' or '-'.
	Name string
	// Phones is how many phones the server runs.
	Phones int
	// Version is the agent's software version, for the log.
	Version string
	// From is the address the agent called from: failed enrollments are
	// limited per address.
	From string
}

// AgentEnrollment is an enrolled server and its agent's credential.
type AgentEnrollment struct {
	Server *Server
	// Credential is the agent's credential; the control plane keeps its
	// hash only, so it is shown here and never again.
	Credential string
}

// AgentPhoneState is a phone as its agent's runtime reports it.
type AgentPhoneState struct {
	ID string
	// State is one of "running", "stopped", "booting", "stopping",
	// "failed".
	State string
	// Error says why a phone is failed.
	Error string
	// AccessIP and AccessPort are where the phone's ADB port is
	// published, IntranetIP the phone's own address (empty when the
	// runtime has no real addresses).
	AccessIP   string
	AccessPort int
	IntranetIP string
}

// AgentSession is a session an agent started: the server it runs and
// the phones it must run.
type AgentSession struct {
	ID       string
	ServerID string
	// Phones are the server's phones, in the state recorded for them.
	Phones []*Phone
	// PollWait is the longest a poll of the session is held open.
	PollWait time.Duration
}

// AgentPoll asks for operations.
type AgentPoll struct {
	SessionID string
	// Wait is how long the agent is willing to wait for work (at most
	// AgentSettings.PollWait is waited).
	Wait time.Duration
	// Max is the most operations the agent takes (0: the default, 100).
	Max int
}

// AgentResult is an agent's report on one operation.
type AgentResult struct {
	OperationID string
	Success     bool
	// ErrorCode and ErrorMsg describe a failure; ErrorCode defaults to
	// CPS.9004.
	ErrorCode string
	ErrorMsg  string
	// ExecuteMsg is command output (at most 1024 bytes are kept).
	ExecuteMsg string
	// FailedPhones lists, for a server operation that acts on the
	// server's phones, the phones on which it failed.
	FailedPhones []string
	// Screenshot is the PNG of a successful OpScreenshot, at most
	// MaxScreenshotBytes.
	Screenshot []byte
	// AppVersion is, for a successful OpPushShareApps, the versionName of
	// the package's base APK ("" when it could not be read).
	AppVersion string
}

// AgentService is the control plane side of the agent protocol: it
// enrolls agents, holds their sessions, hands out operations and takes
// their results.
//
// The agent travels in the context (NewAgentContext) once
// AuthenticateAgent has accepted its credential. Every method but
// AuthenticateAgent, EnrollAgent and AgentSettings acts for that agent's
// server only, and without an agent in the context answers 401
// AGENT.0401.
type AgentService interface {
	// AuthenticateAgent returns the agent whose credential is credential.
	// Errors: AGENT.0401 (no credential, an unknown one), AGENT.0411 (the
	// credential's server was deleted: the agent must stop).
	AuthenticateAgent(ctx context.Context, credential string) (*AgentIdentity, error)

	// EnrollAgent trades an enrollment token for a new server of
	// p.Phones running phones and its agent's credential. A project's
	// token enrolls into its own project only; the installation token
	// into the project p.Project names. Failed enrollments (a wrong
	// token) are limited per address p.From.
	// Errors: AGENT.0429 (too many failures from p.From, with a
	// RetryAfter), AGENT.0401 (a wrong or expired token), AGENT.0405 (a
	// project's token naming another project), AGENT.0404 (the
	// installation token and no single such project), AGENT.0400 (a bad
	// name or phone count).
	EnrollAgent(ctx context.Context, p EnrollAgentParams) (*AgentEnrollment, error)

	// StartAgentSession starts a new session of the agent's server,
	// replacing any earlier one: operations that one claimed go back to
	// the queue, and a server marked down comes back with its phones in
	// the state reported (phones: what the agent's runtime has now).
	// Errors: AGENT.0401.
	StartAgentSession(ctx context.Context, version string, phones []AgentPhoneState) (*AgentSession, error)

	// ReportAgentPhones records phones that broke outside an operation
	// (a "failed" running or stopped phone turns abnormal) and phones'
	// addresses.
	// Errors: AGENT.0401, CPS.9011 (more than 1000 phones), AGENT.0409
	// (sessionID is not the server's current session).
	ReportAgentPhones(ctx context.Context, sessionID string, phones []AgentPhoneState) error

	// PollAgent is the agent's long-poll and heartbeat: it claims up to
	// p.Max pending operations of the agent's server, waiting up to
	// p.Wait (at most AgentSettings.PollWait) for some to arrive; none
	// when the wait ends empty. If ctx ends after operations were
	// claimed, they are handed back to the queue and the error is ctx's.
	// Errors: AGENT.0401, AGENT.0409 (not the current session),
	// AGENT.0411 (the server was deleted while its agent polled).
	PollAgent(ctx context.Context, p AgentPoll) ([]Operation, error)

	// ReportAgentResults applies the results of several operations of
	// session sessionID, in one transaction. It returns one error per
	// result, in order: nil when the result was applied, AGENT.0410 when
	// the session does not hold the operation.
	// Errors: AGENT.0401, CPS.9011 (no results, or more than 100).
	ReportAgentResults(ctx context.Context, sessionID string, results []AgentResult) ([]error, error)

	// ReportAgentResult applies the result of operation r.OperationID of
	// session sessionID.
	// Errors: AGENT.0401, AGENT.0410 (the session does not hold the
	// operation).
	ReportAgentResult(ctx context.Context, sessionID string, r AgentResult) error

	// OpenAgentObject opens an object of a bucket of the agent's
	// server's project, and returns its size; the caller closes it.
	// Buckets of other projects look missing.
	// Errors: AGENT.0401, NoSuchBucket, NoSuchKey, InvalidObjectName.
	OpenAgentObject(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error)

	// PutAgentObject stores body as an object of a bucket of the agent's
	// server's project, replacing any object of the key. Nothing is
	// stored when reading body fails (its error is returned).
	// Errors: AGENT.0401, NoSuchBucket, InvalidObjectName,
	// ObjectKeyConflict (the key clashes with another object's folder).
	PutAgentObject(ctx context.Context, bucket, key string, body io.Reader) error

	// AgentSettings returns the parameters of the agent protocol. It
	// needs no agent in the context.
	AgentSettings() AgentSettings
}
