package httpapi

import (
	"net/http"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
)

// agentEnroll is POST /agent/v1/enroll: an agent trades an enrollment
// token for a new server and that server's credential.
func (s *Server) agentEnroll(w http.ResponseWriter, r *http.Request) error {
	var req agentproto.EnrollRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	e, err := s.cfg.Agents.EnrollAgent(r.Context(), cph.EnrollAgentParams{Token: req.Token, Project: req.Project,
		Name: req.Name, Phones: req.Phones, Version: req.Version, From: clientAddr(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, agentproto.EnrollResponse{ServerID: e.Server.ID, ServerName: e.Server.Name,
		ProjectID: e.Server.ProjectID, Credential: e.Credential})
	return nil
}
