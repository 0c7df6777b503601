package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
)

func timeFromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

type agentCaller struct {
	server  *cph.Server
	session string
}

// withAgent authenticates an agent by its bearer credential.
func (s *Server) withAgent(h func(w http.ResponseWriter, r *http.Request, a *agentCaller) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || token == "" {
			return cph.Errorf(http.StatusUnauthorized, agentproto.CodeUnauthorized, "Missing agent credential.")
		}
		hash := iam.HashToken(token)
		srv, session, err := s.db.ServerByAgentTokenHash(r.Context(), hash)
		if errors.Is(err, sqlstore.ErrNotFound) {
			if d, derr := s.db.DeletedAgentCredentialByHash(r.Context(), hash); derr == nil {
				return serverDeleted(d.ServerName, d.ServerID)
			} else if !errors.Is(derr, sqlstore.ErrNotFound) {
				return derr
			}
			return cph.Errorf(http.StatusUnauthorized, agentproto.CodeUnauthorized, "Unknown agent credential.")
		} else if err != nil {
			return err
		}
		return h(w, r, &agentCaller{server: srv, session: session})
	}
}

// agentSession is POST /agent/v1/session.
func (s *Server) agentSession(w http.ResponseWriter, r *http.Request, a *agentCaller) error {
	var req agentproto.SessionRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	reported := map[string]cph.PhoneStatus{}
	for _, p := range req.Phones {
		switch p.State {
		case "running", "booting":
			reported[p.ID] = cph.PhoneRunning
		case "stopped", "stopping":
			reported[p.ID] = cph.PhoneStopped
		case "failed":
			reported[p.ID] = cph.PhoneAbnormal
		}
	}
	session, err := s.engine.StartSession(r.Context(), a.server.ID, reported)
	if err != nil {
		return err
	}
	if reports := phoneReports(req.Phones); len(reports) > 0 {
		if err := s.engine.ReportPhones(r.Context(), a.server.ID, session, reports); err != nil {
			return err
		}
	}
	phones, err := s.db.PhonesByServer(r.Context(), a.server.ID)
	if err != nil {
		return err
	}
	resp := agentproto.SessionResponse{SessionID: session, ServerID: a.server.ID, PollWaitMillis: s.cfg.PollWait.Milliseconds(),
		Phones: make([]agentproto.Phone, 0, len(phones))}
	for _, p := range phones {
		props, err := cph.ParseProperty(p.Property)
		if err != nil {
			props = nil
		}
		resp.Phones = append(resp.Phones, agentproto.Phone{ID: p.ID, Name: p.Name, Index: p.Index, Status: p.Status, ImageID: p.ImageID, Property: props, Model: p.ModelName})
	}
	s.log.Info("agent session started", "server_id", a.server.ID, "server_name", a.server.Name, "session_id", session, "agent_version", req.Version)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// serverDeleted answers an agent whose server was deleted: 410
// AGENT.0411, which tells the agent to stop rather than retry.
func serverDeleted(name, id string) error {
	return cph.Errorf(http.StatusGone, agentproto.CodeServerDeleted,
		"The server %s (%s) was deleted; this agent's credential is void.", name, id)
}

// phoneReports turns reported phone states into engine reports: failed
// phones and phones with an address.
func phoneReports(states []agentproto.PhoneState) []engine.PhoneReport {
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

// agentPhones is POST /agent/v1/phones: phones that broke outside an
// operation, and phones' addresses.
func (s *Server) agentPhones(w http.ResponseWriter, r *http.Request, a *agentCaller) error {
	var req agentproto.PhonesRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.Phones) > agentproto.MaxPhoneStates {
		return cph.Errorf(http.StatusBadRequest, cph.CodeInvalidParameter, "phones must hold at most %d phones.", agentproto.MaxPhoneStates)
	}
	if req.SessionID != a.session {
		return sessionGone()
	}
	err := s.engine.ReportPhones(r.Context(), a.server.ID, req.SessionID, phoneReports(req.Phones))
	if errors.Is(err, engine.ErrSessionGone) {
		return sessionGone()
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func sessionGone() error {
	return cph.Errorf(http.StatusConflict, agentproto.CodeSessionGone, "The agent session was replaced by a newer one.")
}

// agentPoll is POST /agent/v1/poll, a long-poll.
func (s *Server) agentPoll(w http.ResponseWriter, r *http.Request, a *agentCaller) error {
	var req agentproto.PollRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.SessionID != a.session {
		return sessionGone()
	}
	wait := min(time.Duration(req.WaitMillis)*time.Millisecond, s.cfg.PollWait)
	ops, err := s.engine.Poll(r.Context(), a.server.ID, req.SessionID, wait, req.Max)
	if errors.Is(err, engine.ErrSessionGone) {
		return sessionGone()
	} else if errors.Is(err, sqlstore.ErrNotFound) {
		// The server was deleted while its agent polled.
		return serverDeleted(a.server.Name, a.server.ID)
	} else if err != nil {
		return err
	}
	resp := agentproto.PollResponse{Operations: make([]cph.Operation, 0, len(ops))}
	for _, op := range ops {
		resp.Operations = append(resp.Operations, op.Operation)
	}
	if r.Context().Err() != nil && len(ops) > 0 {
		// The agent hung up after we claimed: hand the work back at once
		// rather than waiting for the lease to run out.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
		defer cancel()
		if err := s.engine.Release(ctx, a.server.ID, req.SessionID, ops); err != nil {
			s.log.Warn("could not re-queue operations of a vanished poll", "server_id", a.server.ID, "err", err)
		}
		return nil
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// agentResults is POST /agent/v1/results: the results of several
// operations, applied in one transaction.
func (s *Server) agentResults(w http.ResponseWriter, r *http.Request, a *agentCaller) error {
	var req agentproto.ResultsRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.Results) == 0 || len(req.Results) > agentproto.MaxResults {
		return cph.Errorf(http.StatusBadRequest, cph.CodeInvalidParameter, "results must hold 1 to %d results.", agentproto.MaxResults)
	}
	in := make([]engine.OpResult, len(req.Results))
	for i, res := range req.Results {
		in[i] = engine.OpResult{OperationID: res.OperationID, Result: engine.Result{
			Success: res.Success, ErrorCode: res.ErrorCode, ErrorMsg: res.ErrorMsg, ExecuteMsg: res.ExecuteMsg,
			FailedPhones: res.FailedPhones,
		}}
	}
	errs, err := s.engine.ApplyResults(r.Context(), a.server.ID, req.SessionID, in)
	if err != nil {
		return err
	}
	resp := agentproto.ResultsResponse{Results: make([]agentproto.ResultStatus, len(in))}
	for i, e := range errs {
		resp.Results[i].OperationID = in[i].OperationID
		if e != nil {
			resp.Results[i].ErrorCode = agentproto.CodeNotClaimed
			resp.Results[i].ErrorMsg = "The operation is not claimed by this session."
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// agentResult is POST /agent/v1/operations/{operation_id}/result.
func (s *Server) agentResult(w http.ResponseWriter, r *http.Request, a *agentCaller) error {
	var req agentproto.Result
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	err := s.engine.ApplyResult(r.Context(), a.server.ID, req.SessionID, r.PathValue("operation_id"), engine.Result{
		Success: req.Success, ErrorCode: req.ErrorCode, ErrorMsg: req.ErrorMsg, ExecuteMsg: req.ExecuteMsg,
		FailedPhones: req.FailedPhones,
	})
	if errors.Is(err, engine.ErrNotClaimed) {
		return cph.Errorf(http.StatusConflict, agentproto.CodeNotClaimed, "The operation is not claimed by this session.")
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
