package httpapi

import (
	"net/http"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
)

func timeFromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// withAgent authenticates an agent by its bearer credential and serves
// the request with the agent in its context (cph.NewAgentContext).
func (s *Server) withAgent(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			return cph.Ef(cph.CodeAgentUnauthorized, "Missing agent credential.")
		}
		a, err := s.cfg.Agents.AuthenticateAgent(r.Context(), token)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(cph.NewAgentContext(r.Context(), a)))
	}
}

// phoneStates are the domain form of reported phone states.
func phoneStates(in []agentproto.PhoneState) []cph.AgentPhoneState {
	out := make([]cph.AgentPhoneState, len(in))
	for i, p := range in {
		out[i] = cph.AgentPhoneState{ID: p.ID, State: p.State, Error: p.Error,
			AccessIP: p.AccessIP, AccessPort: p.AccessPort, IntranetIP: p.IntranetIP}
	}
	return out
}

// agentSession is POST /agent/v1/session.
func (s *Server) agentSession(w http.ResponseWriter, r *http.Request) error {
	var req agentproto.SessionRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	sess, err := s.cfg.Agents.StartAgentSession(r.Context(), req.Version, phoneStates(req.Phones))
	if err != nil {
		return err
	}
	resp := agentproto.SessionResponse{SessionID: sess.ID, ServerID: sess.ServerID, PollWaitMillis: sess.PollWait.Milliseconds(),
		Phones: make([]agentproto.Phone, 0, len(sess.Phones))}
	for _, p := range sess.Phones {
		props, err := cph.ParseProperty(p.Property)
		if err != nil {
			props = nil
		}
		resp.Phones = append(resp.Phones, agentproto.Phone{ID: p.ID, Name: p.Name, Index: p.Index, Status: p.Status, ImageID: p.ImageID, Property: props, Model: p.ModelName})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// agentPhones is POST /agent/v1/phones: phones that broke outside an
// operation, and phones' addresses.
func (s *Server) agentPhones(w http.ResponseWriter, r *http.Request) error {
	var req agentproto.PhonesRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := s.cfg.Agents.ReportAgentPhones(r.Context(), req.SessionID, phoneStates(req.Phones)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// agentPoll is POST /agent/v1/poll, a long-poll.
func (s *Server) agentPoll(w http.ResponseWriter, r *http.Request) error {
	var req agentproto.PollRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	ops, err := s.cfg.Agents.PollAgent(r.Context(), cph.AgentPoll{SessionID: req.SessionID,
		Wait: time.Duration(req.WaitMillis) * time.Millisecond, Max: req.Max})
	if err != nil && r.Context().Err() != nil {
		return nil // the agent hung up: there is no one to answer
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, agentproto.PollResponse{Operations: ops})
	return nil
}

// agentResultOf is the domain form of a reported result.
func agentResultOf(opID string, res agentproto.Result) cph.AgentResult {
	return cph.AgentResult{OperationID: opID, Success: res.Success, ErrorCode: res.ErrorCode, ErrorMsg: res.ErrorMsg,
		ExecuteMsg: res.ExecuteMsg, FailedPhones: res.FailedPhones, Screenshot: res.Screenshot, AppVersion: res.AppVersion}
}

// agentResults is POST /agent/v1/results: the results of several
// operations, applied in one transaction.
func (s *Server) agentResults(w http.ResponseWriter, r *http.Request) error {
	var req agentproto.ResultsRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	in := make([]cph.AgentResult, len(req.Results))
	for i, res := range req.Results {
		in[i] = agentResultOf(res.OperationID, res)
	}
	errs, err := s.cfg.Agents.ReportAgentResults(r.Context(), req.SessionID, in)
	if err != nil {
		return err
	}
	resp := agentproto.ResultsResponse{Results: make([]agentproto.ResultStatus, len(in))}
	for i, e := range errs {
		resp.Results[i].OperationID = in[i].OperationID
		if e != nil {
			ce := cph.AsError(e)
			resp.Results[i].ErrorCode, resp.Results[i].ErrorMsg = ce.Code, ce.Message
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// agentResult is POST /agent/v1/operations/{operation_id}/result.
func (s *Server) agentResult(w http.ResponseWriter, r *http.Request) error {
	var req agentproto.Result
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := s.cfg.Agents.ReportAgentResult(r.Context(), req.SessionID, agentResultOf(r.PathValue("operation_id"), req)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pollHold is how long the poll route may hold a request open: the
// agents' poll wait.
func (s *Server) pollHold() time.Duration {
	if s.cfg.Agents == nil {
		return 25 * time.Second
	}
	return s.cfg.Agents.AgentSettings().PollWait
}
