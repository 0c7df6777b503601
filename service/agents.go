package service

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
)

var _ cph.AgentService = (*Services)(nil)

// defaultPollWait is the longest an agent's poll is held open unless
// Config.PollWait says otherwise.
const defaultPollWait = 25 * time.Second

// agent returns the agent of ctx.
// Errors: AGENT.0401 (no agent in ctx).
func agent(ctx context.Context) (*cph.AgentIdentity, error) {
	a, ok := cph.AgentFrom(ctx)
	if !ok {
		return nil, errUnknownAgent("Missing agent credential.")
	}
	return a, nil
}

func errUnknownAgent(msg string) *cph.Error {
	return cph.Ef(cph.CodeAgentUnauthorized, "%s", msg)
}

// errServerDeleted answers an agent whose server was deleted: 410
// AGENT.0411, which tells the agent to stop rather than retry.
func errServerDeleted(name, id string) *cph.Error {
	return cph.E(cph.CodeAgentServerDeleted, name, id)
}

// errSessionGone is 409 AGENT.0409: a newer session replaced the agent's.
func errSessionGone() *cph.Error {
	return cph.E(cph.CodeAgentSessionGone)
}

// errNotClaimed is 409 AGENT.0410: the session does not hold the operation.
func errNotClaimed() *cph.Error {
	return cph.E(cph.CodeAgentNotClaimed)
}

// AgentSettings implements cph.AgentService.
func (s *Services) AgentSettings() cph.AgentSettings {
	return cph.AgentSettings{PollWait: s.pollWait()}
}

func (s *Services) pollWait() time.Duration {
	if s.cfg.PollWait <= 0 {
		return defaultPollWait
	}
	return s.cfg.PollWait
}

// AuthenticateAgent implements cph.AgentService.
func (s *Services) AuthenticateAgent(ctx context.Context, credential string) (*cph.AgentIdentity, error) {
	if credential == "" {
		return nil, errUnknownAgent("Missing agent credential.")
	}
	hash := iam.HashToken(credential)
	srv, session, err := s.db.ServerByAgentTokenHash(ctx, hash)
	if errors.Is(err, sqlstore.ErrNotFound) {
		if d, derr := s.db.DeletedAgentCredentialByHash(ctx, hash); derr == nil {
			return nil, errServerDeleted(d.ServerName, d.ServerID)
		} else if !errors.Is(derr, sqlstore.ErrNotFound) {
			return nil, derr
		}
		return nil, errUnknownAgent("Unknown agent credential.")
	} else if err != nil {
		return nil, err
	}
	return &cph.AgentIdentity{Server: srv, SessionID: session}, nil
}

// StartAgentSession implements cph.AgentService.
func (s *Services) StartAgentSession(ctx context.Context, version string, states []cph.AgentPhoneState) (*cph.AgentSession, error) {
	a, err := agent(ctx)
	if err != nil {
		return nil, err
	}
	reported := map[string]cph.PhoneStatus{}
	for _, p := range states {
		switch p.State {
		case "running", "booting":
			reported[p.ID] = cph.PhoneRunning
		case "stopped", "stopping":
			reported[p.ID] = cph.PhoneStopped
		case "failed":
			reported[p.ID] = cph.PhoneAbnormal
		}
	}
	session, err := s.engine.StartSession(ctx, a.Server.ID, reported)
	if err != nil {
		return nil, err
	}
	if reports := phoneReports(states); len(reports) > 0 {
		if err := s.engine.ReportPhones(ctx, a.Server.ID, session, reports); err != nil {
			return nil, err
		}
	}
	phones, err := s.db.PhonesByServer(ctx, a.Server.ID)
	if err != nil {
		return nil, err
	}
	s.log.Info("agent session started", "server_id", a.Server.ID, "server_name", a.Server.Name, "session_id", session, "agent_version", version)
	return &cph.AgentSession{ID: session, ServerID: a.Server.ID, Phones: phones, PollWait: s.pollWait()}, nil
}

// phoneReports turns reported phone states into engine reports: failed
// phones and phones with an address.
func phoneReports(states []cph.AgentPhoneState) []engine.PhoneReport {
	var out []engine.PhoneReport
	for _, p := range states {
		r := engine.PhoneReport{ID: p.ID, Failed: p.State == "failed", Reason: p.Error,
			AccessIP: p.AccessIP, AccessPort: p.AccessPort, IntranetIP: p.IntranetIP}
		if r.Failed || r.AccessPort > 0 || r.IntranetIP != "" {
			out = append(out, r)
		}
	}
	return out
}

// ReportAgentPhones implements cph.AgentService.
func (s *Services) ReportAgentPhones(ctx context.Context, sessionID string, states []cph.AgentPhoneState) error {
	a, err := agent(ctx)
	if err != nil {
		return err
	}
	if len(states) > agentproto.MaxPhoneStates {
		return cph.Ef(cph.CodeInvalidParameter, "phones must hold at most %d phones.", agentproto.MaxPhoneStates)
	}
	if sessionID != a.SessionID {
		return errSessionGone()
	}
	err = s.engine.ReportPhones(ctx, a.Server.ID, sessionID, phoneReports(states))
	if errors.Is(err, engine.ErrSessionGone) {
		return errSessionGone()
	}
	return err
}

// PollAgent implements cph.AgentService.
func (s *Services) PollAgent(ctx context.Context, p cph.AgentPoll) ([]cph.Operation, error) {
	a, err := agent(ctx)
	if err != nil {
		return nil, err
	}
	if p.SessionID != a.SessionID {
		return nil, errSessionGone()
	}
	wait := min(p.Wait, s.pollWait())
	ops, err := s.engine.PollCurrent(ctx, a.Server.ID, p.SessionID, wait, p.Max) // authentication read the session
	if errors.Is(err, engine.ErrSessionGone) {
		return nil, errSessionGone()
	} else if errors.Is(err, sqlstore.ErrNotFound) {
		// The server was deleted while its agent polled.
		return nil, errServerDeleted(a.Server.Name, a.Server.ID)
	} else if err != nil {
		return nil, err
	}
	if ctx.Err() != nil && len(ops) > 0 {
		// The agent hung up after we claimed: hand the work back at once
		// rather than waiting for the lease to run out.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.engine.Release(rctx, a.Server.ID, p.SessionID, ops); err != nil {
			s.log.Warn("could not re-queue operations of a vanished poll", "server_id", a.Server.ID, "err", err)
		}
		return nil, fmt.Errorf("poll: %w", context.Cause(ctx))
	}
	out := make([]cph.Operation, 0, len(ops))
	for _, op := range ops {
		out = append(out, op.Operation)
	}
	return out, nil
}

// engineResult is the engine's form of r.
func engineResult(r cph.AgentResult) engine.Result {
	return engine.Result{Success: r.Success, ErrorCode: r.ErrorCode, ErrorMsg: r.ErrorMsg, ExecuteMsg: r.ExecuteMsg,
		FailedPhones: r.FailedPhones, Screenshot: r.Screenshot, AppVersion: r.AppVersion}
}

// ReportAgentResults implements cph.AgentService.
func (s *Services) ReportAgentResults(ctx context.Context, sessionID string, results []cph.AgentResult) ([]error, error) {
	a, err := agent(ctx)
	if err != nil {
		return nil, err
	}
	if len(results) == 0 || len(results) > agentproto.MaxResults {
		return nil, cph.Ef(cph.CodeInvalidParameter, "results must hold 1 to %d results.", agentproto.MaxResults)
	}
	in := make([]engine.OpResult, len(results))
	for i, r := range results {
		in[i] = engine.OpResult{OperationID: r.OperationID, Result: engineResult(r)}
	}
	errs, err := s.engine.ApplyResults(ctx, a.Server.ID, sessionID, in)
	if err != nil {
		return nil, err
	}
	out := make([]error, len(results))
	for i, e := range errs {
		if e != nil {
			out[i] = errNotClaimed()
		}
	}
	return out, nil
}

// ReportAgentResult implements cph.AgentService.
func (s *Services) ReportAgentResult(ctx context.Context, sessionID string, r cph.AgentResult) error {
	a, err := agent(ctx)
	if err != nil {
		return err
	}
	err = s.engine.ApplyResult(ctx, a.Server.ID, sessionID, r.OperationID, engineResult(r))
	if errors.Is(err, engine.ErrNotClaimed) {
		return errNotClaimed()
	}
	return err
}

// objectError maps object store errors to agent protocol errors.
func objectError(err error) error {
	switch {
	case errors.Is(err, objstore.ErrNoSuchBucket):
		return cph.Errorf(http.StatusNotFound, agentproto.CodeNoSuchBucket, "The specified bucket does not exist.")
	case errors.Is(err, objstore.ErrNoSuchObject):
		return cph.Errorf(http.StatusNotFound, agentproto.CodeNoSuchKey, "The specified key does not exist.")
	case errors.Is(err, objstore.ErrInvalidName):
		return cph.Errorf(http.StatusBadRequest, agentproto.CodeInvalidName, "Invalid bucket name or object key.")
	case errors.Is(err, objstore.ErrKeyConflict):
		return cph.Errorf(http.StatusConflict, agentproto.CodeKeyConflict, "The object key clashes with another object's folder.")
	}
	return err
}

// agentBucket checks that bucket belongs to the project of the agent's
// server; any other bucket looks missing.
func (s *Services) agentBucket(ctx context.Context, bucket string) error {
	a, err := agent(ctx)
	if err != nil {
		return err
	}
	owner, err := s.db.BucketOwner(ctx, bucket)
	if errors.Is(err, sqlstore.ErrNotFound) || (err == nil && owner != a.Server.ProjectID) {
		return objectError(objstore.ErrNoSuchBucket)
	}
	return err
}

// OpenAgentObject implements cph.AgentService.
func (s *Services) OpenAgentObject(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error) {
	if err := s.agentBucket(ctx, bucket); err != nil {
		return nil, 0, err
	}
	rc, obj, err := s.objects.Get(ctx, bucket, key)
	if err != nil {
		return nil, 0, objectError(err)
	}
	return rc, obj.Size, nil
}

// PutAgentObject implements cph.AgentService. An error reading body (a
// body over its limit, for one) is returned as it is.
func (s *Services) PutAgentObject(ctx context.Context, bucket, key string, body io.Reader) error {
	if err := s.agentBucket(ctx, bucket); err != nil {
		return err
	}
	if _, err := s.objects.Put(ctx, bucket, key, body); err != nil {
		return objectError(err)
	}
	return nil
}

// Enrollment.

var reServerName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// maxEnrollTokenBytes bounds the enrollment token a request may present.
const maxEnrollTokenBytes = 512

// Failed agent enrollments (a wrong enrollment token) are allowed per
// client address enrollFailures.Burst at once, then one more every
// enrollFailures.Every.
var enrollFailures = sqlstore.TokenBucket{Burst: 10, Every: 30 * time.Second}

// EnrollAgent implements cph.AgentService.
func (s *Services) EnrollAgent(ctx context.Context, p cph.EnrollAgentParams) (*cph.AgentEnrollment, error) {
	tokenRight, err := s.enrollAttempt(ctx, p.From)
	if err != nil {
		return nil, err
	}
	proj, tokenID, err := s.checkEnrollToken(ctx, p)
	if err != nil {
		return nil, err
	}
	tokenRight()
	if !reServerName.MatchString(p.Name) || p.Phones < 0 || p.Phones > engine.MaxEnrolledPhones {
		return nil, cph.Ef(cph.CodeAgentBadEnrollment,
			"The name must be 1-64 letters, digits, '_' or '-', and phones between 0 and %d.", engine.MaxEnrolledPhones)
	}
	secret, hash, err := iam.NewSecret()
	if err != nil {
		return nil, err
	}
	// The server, its phones and its agent's credential commit together:
	// an enrolment the agent is told of is whole, one that failed left
	// nothing (not a server without a credential).
	srv, err := s.engine.EnrollServer(ctx, engine.EnrollSpec{ProjectID: proj.ID, Name: p.Name, Phones: p.Phones, ImageID: cph.DefaultImageID,
		AgentTokenHash: hash})
	if err != nil {
		return nil, err
	}
	if tokenID != "" {
		if err := s.db.TouchEnrollmentToken(ctx, tokenID); err != nil {
			s.log.Warn("could not record the use of an enrollment token", "token_id", tokenID, "err", err)
		}
	}
	s.log.Info("agent enrolled", "server_id", srv.ID, "server_name", srv.Name, "project_id", proj.ID, "phones", p.Phones,
		"enrollment_token_id", tokenID, "agent_version", p.Version)
	return &cph.AgentEnrollment{Server: srv, Credential: secret}, nil
}

// enrollAttempt reserves one failed enrollment for the address from
// before the enrollment token is checked, or refuses the call with 429
// AGENT.0429. The caller calls the returned function once the token
// proved right: then the attempt does not count.
func (s *Services) enrollAttempt(ctx context.Context, from string) (tokenRight func(), err error) {
	key := "enroll:addr:" + from
	ok, after, err := s.db.TakeToken(ctx, key, enrollFailures)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.log.Warn("agent enrollment throttled", "remote", from)
		e := cph.E(cph.CodeAgentThrottled, retryAfterSeconds(after))
		e.RetryAfter = after
		return nil, e
	}
	return func() {
		if err := s.db.ReturnToken(context.WithoutCancel(ctx), key, enrollFailures); err != nil {
			s.log.Warn("could not return an enrollment attempt", "err", err)
		}
	}, nil
}

// retryAfterSeconds is a wait of d in whole seconds, rounded up, at
// least 1 (as a Retry-After header says it).
func retryAfterSeconds(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 1)
}

// checkEnrollToken is the one place where an enrollment token is checked.
// It returns the project the new server joins and the id of the project
// token used (empty for the installation token).
//
// A project's token (created through the enrollment-token endpoints)
// enrolls into its own project only: p.Project may be empty or must
// name that project, else 403 AGENT.0405. The installation token
// (--enroll-token), when configured, is the operator's and enrolls
// into the project p.Project names. Anything else, and an expired
// token, is 401 AGENT.0401.
func (s *Services) checkEnrollToken(ctx context.Context, p cph.EnrollAgentParams) (*cph.Project, string, error) {
	wrong := cph.Ef(cph.CodeAgentUnauthorized, "Wrong enrollment token.")
	if p.Token == "" || len(p.Token) > maxEnrollTokenBytes {
		return nil, "", wrong
	}
	if s.cfg.EnrollToken != "" && subtle.ConstantTimeCompare([]byte(p.Token), []byte(s.cfg.EnrollToken)) == 1 {
		proj, err := s.enrollProject(ctx, p.Project)
		return proj, "", err
	}
	tok, err := s.db.EnrollmentTokenByHash(ctx, iam.HashToken(p.Token))
	if errors.Is(err, sqlstore.ErrNotFound) {
		s.log.Warn("agent enrollment refused: wrong token", "remote", p.From, "name", p.Name)
		return nil, "", wrong
	} else if err != nil {
		return nil, "", err
	}
	if !tok.ExpiresAt.IsZero() && !s.db.Now().Before(tok.ExpiresAt) {
		s.log.Warn("agent enrollment refused: expired token", "remote", p.From, "name", p.Name, "token_id", tok.ID)
		return nil, "", cph.Ef(cph.CodeAgentUnauthorized, "The enrollment token has expired.")
	}
	proj, err := s.db.ProjectByID(ctx, tok.ProjectID)
	if err != nil {
		return nil, "", err
	}
	if p.Project != "" && p.Project != proj.ID && p.Project != proj.Name {
		s.log.Warn("agent enrollment refused: token of another project", "remote", p.From, "name", p.Name,
			"token_id", tok.ID, "token_project_id", proj.ID, "project", p.Project)
		return nil, "", cph.E(cph.CodeAgentWrongProject, proj.Name, proj.ID)
	}
	return proj, tok.ID, nil
}

// enrollProject resolves a project id, or a project name: the bootstrap
// account's project of that name, else the only project of that name.
func (s *Services) enrollProject(ctx context.Context, ref string) (*cph.Project, error) {
	notFound := cph.E(cph.CodeAgentNoSuchProject, ref)
	if ref == "" {
		return nil, notFound
	}
	if p, err := s.db.ProjectByID(ctx, ref); err == nil {
		return p, nil
	} else if !errors.Is(err, sqlstore.ErrNotFound) {
		return nil, err
	}
	if domainID, err := s.db.Meta(ctx, "bootstrap_domain"); err == nil {
		if p, err := s.db.ProjectByName(ctx, domainID, ref); err == nil {
			return p, nil
		}
	}
	ps, err := s.db.ProjectsNamed(ctx, ref)
	if err != nil {
		return nil, err
	}
	if len(ps) != 1 {
		return nil, notFound
	}
	return ps[0], nil
}
